//! The hand-written HTTP/2 layers against independent implementations:
//! Python's hyperframe and h2 (Debian's python3-h2, installed by
//! scripts/setup).
//!
//! - Frames (`wirelab::proto::h2`): every frame type hyperframe writes parses
//!   here to the same fields, and every frame written here parses there to
//!   the same fields.
//! - Connections (`wirelab::app::h2`, the analyzer's decoder): conversations
//!   made by h2 give every stream's method, path, status, DATA bytes,
//!   END_STREAM and RST_STREAM, every GOAWAY, and the frame count per type and
//!   side as hyperframe counts them; the bytes are fed in the pieces h2 sent
//!   and again one byte at a time.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use wirelab::app::Direction;
use wirelab::app::h2::{H2Decoder, Start};
use wirelab::proto::h2::{Check, Frame, check, parse, settings::MAX_MAX_FRAME_SIZE};

/// Debian's interpreter, the one its python3-h2 package serves (a python3
/// earlier on PATH may be another installation).
const PYTHON: &str = "/usr/bin/python3";

/// Runs `tests/oracle/SCRIPT ARGS` with `input` on its standard input.
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
        "python3-h2 oracle failed (is python3-h2 installed? run scripts/setup): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The fields of a parsed frame, shaped as the oracle script prints them.
fn fields(f: &Frame<'_>) -> Value {
    let mut names = Vec::new();
    let mut flag = |on: bool, name: &str| {
        if on {
            names.push(name.to_string());
        }
    };
    let mut v = json!({"type": f.kind().to_u8(), "stream": f.stream()});
    let pad = |p: u32| p.saturating_sub(1);
    match *f {
        Frame::Data {
            end_stream,
            data,
            padding,
            ..
        } => {
            flag(end_stream, "END_STREAM");
            flag(padding > 0, "PADDED");
            v["data"] = json!(hex(data));
            v["pad_length"] = json!(pad(padding));
        }
        Frame::Headers {
            end_stream,
            end_headers,
            priority,
            fragment,
            padding,
            ..
        } => {
            flag(end_stream, "END_STREAM");
            flag(end_headers, "END_HEADERS");
            flag(padding > 0, "PADDED");
            flag(priority.is_some(), "PRIORITY");
            v["data"] = json!(hex(fragment));
            v["pad_length"] = json!(pad(padding));
            if let Some(p) = priority {
                v["priority"] = json!([p.exclusive, p.depends_on, p.weight]);
            }
        }
        Frame::Priority { spec, .. } => {
            v["priority"] = json!([spec.exclusive, spec.depends_on, spec.weight]);
        }
        Frame::RstStream { code, .. } => v["code"] = json!(code.to_u32()),
        Frame::Settings { ack, params } => {
            flag(ack, "ACK");
            let mut s: Vec<(u16, u32)> = params.map(|(id, val)| (id.to_u16(), val)).collect();
            s.sort();
            v["settings"] = json!(s);
        }
        Frame::PushPromise {
            end_headers,
            promised,
            fragment,
            padding,
            ..
        } => {
            flag(end_headers, "END_HEADERS");
            flag(padding > 0, "PADDED");
            v["data"] = json!(hex(fragment));
            v["pad_length"] = json!(pad(padding));
            v["promised"] = json!(promised);
        }
        Frame::Ping { ack, data } => {
            flag(ack, "ACK");
            v["data"] = json!(hex(&data));
        }
        Frame::GoAway {
            last_stream,
            code,
            debug,
        } => {
            v["last_stream"] = json!(last_stream);
            v["code"] = json!(code.to_u32());
            v["data"] = json!(hex(debug));
        }
        Frame::WindowUpdate { increment, .. } => v["increment"] = json!(increment),
        Frame::Continuation {
            end_headers,
            fragment,
            ..
        } => {
            flag(end_headers, "END_HEADERS");
            v["data"] = json!(hex(fragment));
        }
        Frame::Unknown { .. } => panic!("the oracle writes only known types"),
    }
    names.sort();
    v["flags"] = json!(names);
    v
}

#[test]
fn frames_hyperframe_writes_parse_to_the_same_fields() {
    let made = oracle("h2_frames.py", &["make"], "");
    let mut types = std::collections::BTreeSet::new();
    for line in made.lines() {
        let (wire, expected) = line.split_once('\t').unwrap();
        let bytes = unhex(wire);
        assert_eq!(
            check(&bytes, MAX_MAX_FRAME_SIZE),
            Ok(Check::Complete(bytes.len()))
        );
        let frame = parse(&bytes).unwrap_or_else(|e| panic!("{wire}: {e}"));
        let expected: Value = serde_json::from_str(expected).unwrap();
        assert_eq!(fields(&frame), expected, "{wire}");
        types.insert(frame.kind().to_u8());
    }
    assert_eq!(types.len(), 10, "the oracle covers all ten frame types");
}

#[test]
fn frames_written_here_parse_there_to_the_same_fields() {
    use wirelab::proto::h2::{
        ErrorCode, PrioritySpec, SettingId, encode_field_block, encode_settings,
    };
    let mut wire: Vec<Vec<u8>> = Vec::new();
    let mut one = |f: Frame<'_>| {
        let mut out = Vec::new();
        f.encode(&mut out);
        wire.push(out);
    };
    one(Frame::Data {
        stream: 1,
        end_stream: true,
        data: b"body",
        padding: 0,
    });
    one(Frame::Data {
        stream: 3,
        end_stream: false,
        data: b"x",
        padding: 9,
    });
    one(Frame::Headers {
        stream: 5,
        end_stream: false,
        end_headers: true,
        priority: Some(PrioritySpec {
            exclusive: false,
            depends_on: 1,
            weight: 255,
        }),
        fragment: b"\x82",
        padding: 3,
    });
    one(Frame::Priority {
        stream: 7,
        spec: PrioritySpec {
            exclusive: true,
            depends_on: 5,
            weight: 0,
        },
    });
    one(Frame::RstStream {
        stream: 1,
        code: ErrorCode::RefusedStream,
    });
    one(Frame::Settings {
        ack: true,
        params: wirelab::proto::h2::SettingsParams::new(&[]),
    });
    one(Frame::PushPromise {
        stream: 1,
        end_headers: false,
        promised: 4,
        fragment: b"ab",
        padding: 1,
    });
    one(Frame::Ping {
        ack: true,
        data: *b"pingpong",
    });
    one(Frame::GoAway {
        last_stream: 9,
        code: ErrorCode::EnhanceYourCalm,
        debug: b"slow down",
    });
    one(Frame::WindowUpdate {
        stream: 0,
        increment: 65_535,
    });
    one(Frame::Continuation {
        stream: 1,
        end_headers: true,
        fragment: b"\x84",
    });
    let mut settings = Vec::new();
    encode_settings(
        &[
            (SettingId::MaxConcurrentStreams, 128),
            (SettingId::InitialWindowSize, 1 << 24),
        ],
        &mut settings,
    );
    wire.push(settings);
    let mut block = Vec::new();
    encode_field_block(11, &[0x82; 40], true, 16, &mut block);
    let mut pos = 0;
    while pos < block.len() {
        let Ok(Check::Complete(n)) = check(&block[pos..], 16) else {
            panic!("whole frames")
        };
        wire.push(block[pos..pos + n].to_vec());
        pos += n;
    }
    let input: String = wire.iter().map(|w| hex(w) + "\n").collect();
    let theirs = oracle("h2_frames.py", &["parse"], &input);
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(theirs.len(), wire.len());
    for (w, t) in wire.iter().zip(theirs) {
        let ours = fields(&parse(w).unwrap());
        let t: Value = serde_json::from_str(t).unwrap();
        assert_eq!(ours, t, "{}", hex(w));
    }
}

fn dir(s: &str) -> Direction {
    if s == "c" {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    }
}

fn decode_conversation(name: &str) {
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
    decode_conversation("prior_knowledge");
}

#[test]
fn refused_post_cancelled_get_and_a_client_goaway() {
    decode_conversation("reset_and_post");
}

#[test]
fn a_header_list_over_several_frames() {
    decode_conversation("big_headers");
}

#[test]
fn h2c_upgrade_answers_on_stream_1() {
    decode_conversation("upgrade");
}
