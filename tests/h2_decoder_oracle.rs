//! The analyzer's HTTP/2 connection decoder (`wirelab::app::h2`) on
//! conversations made by Python's h2 package (python3-h2, an independent
//! implementation): every stream's method, path, status, DATA bytes,
//! END_STREAM and RST_STREAM, every GOAWAY, and the frame count per type and
//! side as hyperframe counts them. The bytes are fed in the pieces h2 sent
//! and again one byte at a time.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use wirelab::app::Direction;
use wirelab::app::h2::{H2Decoder, Start};

const PYTHON: &str = "/usr/bin/python3";

fn oracle(script: &str, args: &[&str], input: &str) -> String {
    let path = format!("{}/tests/oracle/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(PYTHON)
        .arg(&path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{PYTHON} cannot run ({e}): run scripts/setup"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3-h2 oracle failed (run scripts/setup): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn dir(s: &str) -> Direction {
    if s == "c" {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    }
}

fn check(name: &str) {
    let conv: Value = serde_json::from_str(&oracle("h2_conversation.py", &[name], "")).unwrap();
    let mut chunks: Vec<(Direction, Vec<u8>)> = conv["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (dir(c[0].as_str().unwrap()), unhex(c[1].as_str().unwrap())))
        .collect();
    let start = if name == "upgrade" {
        // The HTTP/1.1 request and the 101 come first, outside HTTP/2.
        let request = chunks.remove(0).1;
        let switch = chunks.remove(0).1;
        assert!(switch.starts_with(b"HTTP/1.1 101"));
        (
            Start::Upgrade {
                method: "GET".into(),
                target: "/up".into(),
            },
            request.len() as u64,
            switch.len() as u64,
        )
    } else {
        (Start::PriorKnowledge, 0, 0)
    };
    for bytewise in [false, true] {
        let mut d = H2Decoder::new(start.0.clone(), start.1, start.2);
        let mut labels = Vec::new();
        for (sender, bytes) in &chunks {
            if bytewise {
                for b in bytes {
                    d.feed(*sender, std::slice::from_ref(b), &mut |f| labels.push(f));
                }
            } else {
                d.feed(*sender, bytes, &mut |f| labels.push(f));
            }
        }
        for side in [Direction::ClientToServer, Direction::ServerToClient] {
            assert_eq!(d.stopped(side), None, "{name}: {side:?} stopped");
            assert!(d.at_frame_boundary(side), "{name}: {side:?} ends mid-frame");
        }
        assert_eq!(d.protocol_errors().0, &[], "{name}");
        // Streams.
        let expected = conv["streams"].as_object().unwrap();
        assert_eq!(d.streams().len(), expected.len(), "{name}: streams");
        for (id, e) in expected {
            let s = &d.streams()[&id.parse::<u32>().unwrap()];
            assert_eq!(s.method.as_deref(), e["method"].as_str(), "{name} s{id}");
            assert_eq!(s.target.as_deref(), e["target"].as_str(), "{name} s{id}");
            assert_eq!(
                s.status.map(u64::from),
                e["status"].as_u64(),
                "{name} s{id}"
            );
            assert_eq!(
                s.request_complete,
                e["request_complete"].as_bool().unwrap(),
                "{name} s{id}"
            );
            assert_eq!(
                s.response_complete,
                e["response_complete"].as_bool().unwrap(),
                "{name} s{id}"
            );
            assert_eq!(
                s.data_bytes.to_vec(),
                vec![
                    e["data"][0].as_u64().unwrap(),
                    e["data"][1].as_u64().unwrap()
                ],
                "{name} s{id}"
            );
            let reset = s.reset.map(|(by, code)| (by, u64::from(code.to_u32())));
            let want = e["reset"]
                .as_array()
                .map(|r| (dir(r[0].as_str().unwrap()), r[1].as_u64().unwrap()));
            assert_eq!(reset, want, "{name} s{id}");
        }
        // GOAWAY.
        let goaways: Vec<(Direction, u64, u64)> = d
            .goaways()
            .iter()
            .map(|g| {
                (
                    g.sender,
                    u64::from(g.last_stream),
                    u64::from(g.code.to_u32()),
                )
            })
            .collect();
        let want: Vec<(Direction, u64, u64)> = conv["goaways"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    dir(g[0].as_str().unwrap()),
                    g[1].as_u64().unwrap(),
                    g[2].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(goaways, want, "{name}");
        // Frame counts, as hyperframe splits each direction.
        for side in [Direction::ClientToServer, Direction::ServerToClient] {
            let bytes: String = chunks
                .iter()
                .filter(|(s, _)| *s == side)
                .flat_map(|(_, b)| b.iter().map(|x| format!("{x:02x}")))
                .collect();
            let theirs: BTreeMap<String, u64> =
                serde_json::from_str(&oracle("h2_frames.py", &["count"], &bytes)).unwrap();
            let ours: BTreeMap<String, u64> = d
                .frame_counts(side)
                .iter()
                .map(|(k, v)| (k.to_u8().to_string(), *v))
                .collect();
            assert_eq!(ours, theirs, "{name}: {side:?} frame counts");
        }
        // Every frame got a label, in order within each direction.
        assert!(labels.iter().any(|l| l.label.starts_with("SETTINGS")));
    }
}

#[test]
fn prior_knowledge_three_streams_ping_goaway() {
    check("prior_knowledge");
}

#[test]
fn refused_post_cancelled_get_and_a_client_goaway() {
    check("reset_and_post");
}

#[test]
fn a_header_list_over_several_frames() {
    check("big_headers");
}

#[test]
fn h2c_upgrade_answers_on_stream_1() {
    check("upgrade");
}
