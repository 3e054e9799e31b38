//! The analyzer's application layer against tshark, on every capture in
//! `captures/` (recorded by `lab reset`) and `captures/app/` (real peers:
//! curl, nghttp, Python's h2, recorded by `scripts/record-app-captures`).
//!
//! - `tshark_reads_every_capture` checks the oracle half alone: tshark
//!   (through `tshark/mod.rs`) finds in each capture what its recording
//!   script made the peers do, and prints what it extracted.
//! - `analyzer_agrees_with_tshark` is the comparison: per connection, the
//!   HTTP/1 request lines and status codes in order, the `protocol`, every
//!   HTTP/2 frame's type and stream id in order per direction (the
//!   concatenated `ladder[].h2` of `lab analyze --format json --frames`), the
//!   frame counts per type in `http2.frames`, and each stream's `:status`.
//!
//! - `hyperframe_reads_the_frames_tshark_reads` checks the oracle with a
//!   second reader: Python's hyperframe parses the same reassembled bytes
//!   into the same HTTP/2 frames.
//! - `the_comparison_sees_every_kind_of_disagreement` checks the comparison:
//!   a report written from tshark's own reading agrees, and each kind of
//!   wrong field in it is caught.
//!
//! tshark must be installed (scripts/setup); without it the tests fail with
//! one line saying so. No capture permission is needed.

mod tshark;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use tshark::contract::{Analyzed, analyzed, as_contract, compare};
use tshark::{Capture, Conn, ConnKey, H2Frame, list};

/// `captures/*.pcap` then `captures/app/*.pcap`, sorted.
fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut all = Vec::new();
    for dir in [root.clone(), root.join("app")] {
        let mut pcaps: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{} cannot be read: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            // TLS: encrypted HTTP is no business of this comparison;
            // tests/tls_tshark_oracle.rs compares their handshakes.
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("tls-"))
            })
            .collect();
        pcaps.sort();
        all.extend(pcaps);
    }
    assert!(
        all.len() >= 17,
        "expected the reference captures, found {all:?}"
    );
    all
}

/// Every capture as tshark reads it, read once per test process (the tests
/// share it) with one tshark per capture at a time.
fn readings() -> &'static [(PathBuf, Capture)] {
    static READ: OnceLock<Vec<(PathBuf, Capture)>> = OnceLock::new();
    READ.get_or_init(|| {
        let paths = captures();
        std::thread::scope(|s| {
            let running: Vec<_> = paths
                .iter()
                .map(|p| s.spawn(move || tshark::read(p)))
                .collect();
            // A reader's panic (tshark missing, ...) is re-raised as it was.
            let read = running
                .into_iter()
                .map(|r| r.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            paths.iter().cloned().zip(read).collect()
        })
    })
}

/// The readings of `captures/app/`.
fn app_readings() -> impl Iterator<Item = &'static (PathBuf, Capture)> {
    readings()
        .iter()
        .filter(|(p, _)| p.parent().is_some_and(|d| d.ends_with("app")))
}

fn short(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn summary(key: &ConnKey, c: &Conn) -> String {
    let requests: Vec<String> = c.requests.iter().map(ToString::to_string).collect();
    let status: Vec<String> = c
        .h2_status
        .iter()
        .map(|(s, v)| format!("s{s}={v}"))
        .collect();
    format!(
        "  {key}\n    http/1 requests: [{}]  statuses: {:?}\n    h2 preface: {}\n    \
         h2 client: [{}]\n    h2 server: [{}]\n    :status: [{}]",
        requests.join(", "),
        c.statuses,
        c.preface,
        list(&c.client_frames),
        list(&c.server_frames),
        status.join(", ")
    )
}

fn frame(kind: &str, stream: u32) -> H2Frame {
    H2Frame::new(kind, stream)
}

/// What each capture's recording made the peers do, as tshark must see it
/// (see captures/app/README.md); problems found, as lines.
fn known_facts(pcap: &Path, name: &str, cap: &Capture) -> Vec<String> {
    let conns: Vec<&Conn> = cap.conns.values().filter(|c| !c.is_empty()).collect();
    let mut bad = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            bad.push(format!("{name}: {what}"));
        }
    };
    let targets =
        |c: &Conn| -> Vec<String> { c.requests.iter().map(ToString::to_string).collect() };
    let mut all_requests: Vec<String> = conns.iter().flat_map(|c| targets(c)).collect();
    all_requests.sort();
    match name {
        "h2c-upgrade.pcap" => {
            check(conns.len() == 3, "three connections");
            check(
                all_requests == ["GET /bye", "GET /x", "POST /form"],
                "the three upgrading requests",
            );
            for c in &conns {
                check(c.statuses == [101], "each answered 101 Switching Protocols");
                check(c.preface, "each client sends the preface after the 101");
                check(
                    c.h2_status == BTreeMap::from([(1, 200)]),
                    "stream 1 :status 200",
                );
                check(
                    c.server_frames.first() == Some(&frame("SETTINGS", 0)),
                    "the server's first frame is SETTINGS",
                );
            }
            check(
                conns
                    .iter()
                    .any(|c| c.server_frames.contains(&frame("GOAWAY", 0))),
                "the --goaway server sends GOAWAY",
            );
        }
        "h2-prior-knowledge.pcap" => {
            check(conns.len() == 4, "four connections");
            check(
                conns.iter().all(|c| c.preface),
                "every client sends the preface",
            );
            check(all_requests == ["GET /up"], "only nghttp -u sends HTTP/1.1");
            let statuses: Vec<usize> = conns.iter().map(|c| c.h2_status.len()).collect();
            check(
                statuses.iter().filter(|&&n| n == 2).count() == 1,
                "nghttp's two streams on one connection",
            );
            check(
                conns
                    .iter()
                    .all(|c| c.h2_status.values().all(|&s| s == 200)),
                "every :status is 200",
            );
        }
        "h2-python-client.pcap" => {
            check(conns.len() == 1, "one connection");
            if let Some(c) = conns.first() {
                let f = &c.client_frames;
                check(
                    f.windows(2)
                        .any(|w| w == [frame("HEADERS", 3), frame("CONTINUATION", 3)]),
                    "stream 3's headers continue in CONTINUATION",
                );
                check(f.contains(&frame("RST_STREAM", 5)), "stream 5 is cancelled");
                check(f.contains(&frame("PING", 0)), "the client pings");
                check(
                    f.last() == Some(&frame("GOAWAY", 0)),
                    "the client ends with GOAWAY",
                );
                check(
                    f.iter().filter(|x| **x == frame("DATA", 7)).count() == 2,
                    "the POST body is two DATA frames",
                );
                check(
                    c.h2_status == BTreeMap::from([(1, 200), (3, 200), (7, 200)]),
                    "streams 1, 3 and 7 answered 200, stream 5 never",
                );
            }
        }
        "http1-pipelined.pcap" => {
            check(conns.len() == 2, "two connections");
            check(
                all_requests == ["GET /k1", "GET /k2", "GET /p1", "GET /p2", "GET /p3"],
                "three pipelined requests and curl's two",
            );
            for c in &conns {
                check(
                    c.statuses.len() == c.requests.len() && c.statuses.iter().all(|&s| s == 200),
                    "every request answered 200",
                );
                check(!c.preface && c.client_frames.is_empty(), "no HTTP/2");
            }
            check(
                conns
                    .iter()
                    .any(|c| targets(c) == ["GET /p1", "GET /p2", "GET /p3"]),
                "the pipelined requests in order on one connection",
            );
        }
        "http1-framing.pcap" => {
            check(conns.len() == 3, "three connections");
            let seen: Vec<(Vec<String>, Vec<u16>, &str)> = conns
                .iter()
                .map(|c| {
                    let version = c.requests.first().map_or("", |r| r.version.as_str());
                    (targets(c), c.statuses.clone(), version)
                })
                .collect();
            for want in [
                (vec!["GET /c1", "GET /c2"], vec![200, 200], "HTTP/1.1"),
                (vec!["POST /upload"], vec![100, 200], "HTTP/1.1"),
                (vec!["GET /old"], vec![200], "HTTP/1.0"),
            ] {
                check(
                    seen.iter()
                        .any(|(t, s, v)| *t == want.0 && *s == want.1 && *v == want.2),
                    &format!("a connection with {want:?}"),
                );
            }
        }
        "h2c-upgrade-full.pcap" | "h2c-upgrade-no-read.pcap" | "h2c-upgrade-drain.pcap" => {
            check(conns.len() == 1, "one connection");
            for c in &conns {
                check(all_requests == ["GET /"], "curl's upgrading GET");
                check(c.statuses == [101], "answered 101 Switching Protocols");
                check(c.preface, "the preface after the 101");
                check(
                    c.h2_status == BTreeMap::from([(1, 200)]),
                    "stream 1 :status 200",
                );
                check(
                    c.server_frames.first() == Some(&frame("SETTINGS", 0)),
                    "the server's first frame is SETTINGS",
                );
            }
        }
        "h2-prior-full.pcap" => {
            check(conns.len() == 1, "one connection");
            for c in &conns {
                check(
                    c.preface && c.requests.is_empty(),
                    "nghttp's preface, no HTTP/1",
                );
                check(
                    c.h2_status == BTreeMap::from([(13, 200)]),
                    "stream 13 :status 200 (nghttp's streams 3-11 are PRIORITY anchors)",
                );
            }
        }
        "h2-prior-http2-off.pcap" => {
            // tshark's HTTP/2 dissector takes the server's `HTTP/1.1 505`
            // for the header of a 4.7 MB frame and shows nothing of it; the
            // comparison reads it with that dissector off.
            check(conns.len() == 1, "one connection");
            for c in &conns {
                check(c.preface, "curl's preface");
                check(
                    c.server_frames.is_empty() && c.statuses.is_empty(),
                    "no server frame, no HTTP/1 status (tshark cannot read the refusal)",
                );
            }
            check(
                tshark::http1_answers_without_http2(
                    pcap,
                    cap.server_ports.iter().copied().next().unwrap_or(0),
                ) == [505],
                "with the HTTP/2 dissector off: the server's 505",
            );
        }
        _ => {
            // The lab's captures: HTTP/1.1 from curl or the raw client.
            check(!conns.is_empty(), "at least one connection with HTTP");
            for c in &conns {
                check(!c.requests.is_empty(), "every connection carries a request");
                check(!c.preface && c.client_frames.is_empty(), "no HTTP/2");
            }
        }
    }
    bad
}

#[test]
fn tshark_reads_every_capture() {
    let mut bad = Vec::new();
    for (pcap, cap) in readings() {
        println!("{} (server ports {:?})", short(pcap), cap.server_ports);
        for (key, conn) in &cap.conns {
            println!("{}", summary(key, conn));
        }
        let name = pcap.file_name().unwrap().to_str().unwrap();
        bad.extend(known_facts(pcap, name, cap));
    }
    assert!(
        bad.is_empty(),
        "tshark's reading is not what was recorded:\n{}",
        bad.join("\n")
    );
}

#[test]
fn analyzer_agrees_with_tshark() {
    let mut bad = Vec::new();
    let mut compared = (0, 0, 0); // connections, HTTP/1 requests, HTTP/2 frames
    for (pcap, oracle) in readings() {
        let name = short(pcap);
        let out = Command::new(env!("CARGO_BIN_EXE_lab"))
            .args([
                "analyze",
                pcap.to_str().unwrap(),
                "--format",
                "json",
                "--frames",
            ])
            .output()
            .expect("run lab");
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err.lines().next().unwrap_or("(no message)");
            bad.push(format!(
                "{name}: lab analyze --format json --frames failed: {first}"
            ));
            continue;
        }
        let report: Value = serde_json::from_slice(&out.stdout).expect("lab writes JSON");
        let mut ours: BTreeMap<ConnKey, Analyzed> = BTreeMap::new();
        for c in report["connections"].as_array().expect("connections") {
            let key = ConnKey {
                client: c["client"].as_str().unwrap_or("?").into(),
                server: c["server"].as_str().unwrap_or("?").into(),
            };
            ours.entry(key).or_insert_with(|| analyzed(c));
        }
        for (key, t) in oracle.conns.iter().filter(|(_, t)| !t.is_empty()) {
            let Some(a) = ours.get(key) else {
                bad.push(format!(
                    "{name} {key}: tshark decoded it, the analyzer has no such connection"
                ));
                continue;
            };
            // A preface the server answered in HTTP/1.x: tshark's HTTP/2
            // dissector cannot show that answer, its HTTP dissector can.
            let mut t = t.clone();
            if t.preface && t.server_frames.is_empty() && t.statuses.is_empty() {
                let port = key.server.rsplit(':').next().and_then(|p| p.parse().ok());
                if let Some(port) = port {
                    t.statuses = tshark::http1_answers_without_http2(pcap, port);
                }
            }
            let t = &t;
            compared.0 += 1;
            compared.1 += t.requests.len();
            compared.2 += t.client_frames.len() + t.server_frames.len();
            let diffs = compare(t, a);
            if !diffs.is_empty() {
                bad.push(format!("{name} {key}:\n    {}", diffs.join("\n    ")));
            }
        }
        for (key, a) in &ours {
            let empty = oracle.conns.get(key).is_none_or(Conn::is_empty);
            if empty && a.decoded_anything {
                bad.push(format!(
                    "{name} {key}: the analyzer decoded exchanges tshark did not see"
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the analyzer disagrees with tshark ({} lines):\n{}",
        bad.len(),
        bad.join("\n")
    );
    println!(
        "agreed with tshark on {} connections, {} HTTP/1 requests, {} HTTP/2 frames",
        compared.0, compared.1, compared.2
    );
    assert!(
        compared.0 >= 20 && compared.1 >= 20 && compared.2 >= 60,
        "too little compared: {compared:?}"
    );
}

/// The client connection preface (RFC 9113 §3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// `bytes` after the first `marker` in them.
fn after<'a>(bytes: &'a [u8], marker: &[u8]) -> &'a [u8] {
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .unwrap_or_else(|| panic!("{:?} not in the stream", String::from_utf8_lossy(marker)));
    &bytes[at + marker.len()..]
}

/// One direction's frames as hyperframe reads them, and the bytes left over.
fn hyperframe(bytes: &[u8]) -> (Vec<H2Frame>, u64) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/h2_frame_list.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("/usr/bin/python3 cannot run ({e}): run scripts/setup"));
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(hex.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "hyperframe failed (is python3-h2 installed? run scripts/setup): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("h2_frame_list.py writes JSON");
    let frames = v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let kind = u8::try_from(f[0].as_u64().unwrap()).unwrap();
            H2Frame::new(
                &tshark::frame_type_name(kind),
                f[1].as_u64().unwrap() as u32,
            )
        })
        .collect();
    (frames, v["rest"].as_u64().unwrap())
}

/// Before tshark judges the analyzer, a second reader checks tshark: on every
/// HTTP/2 connection of captures/app/, hyperframe parses the reassembled
/// bytes of each direction (from tshark's `follow,tcp,raw`, after the
/// preface and, for an Upgrade, after the HTTP/1.1 head) into the same
/// frames, in the same order, with nothing left over.
#[test]
fn hyperframe_reads_the_frames_tshark_reads() {
    let mut checked = 0;
    for (pcap, cap) in app_readings() {
        for (key, t) in cap.conns.iter().filter(|(_, t)| t.preface) {
            let (client, server) = tshark::follow_raw(pcap, key, t.tcp_stream);
            let server = if t.requests.is_empty() {
                &server[..]
            } else {
                after(&server, b"\r\n\r\n")
            };
            for (side, bytes, listed) in [
                ("client", after(&client, PREFACE), &t.client_frames),
                ("server", server, &t.server_frames),
            ] {
                let (frames, rest) = hyperframe(bytes);
                assert_eq!(
                    (&frames, rest),
                    (listed, 0),
                    "{} {key} {side}: hyperframe (left) and tshark (right) differ",
                    short(pcap)
                );
                checked += frames.len();
            }
        }
    }
    assert!(checked >= 60, "only {checked} frames checked");
}

/// A named change that makes a report disagree with tshark.
type Mutation = (&'static str, fn(&mut Value));

/// The comparison finds each kind of disagreement, and none in a report that
/// says what tshark says: checked on every connection of the app captures,
/// so `analyzer_agrees_with_tshark` cannot pass by comparing nothing.
#[test]
fn the_comparison_sees_every_kind_of_disagreement() {
    let mut checked = 0;
    for (_, cap) in app_readings() {
        for (key, t) in &cap.conns {
            let agree = as_contract(t);
            assert_eq!(compare(t, &analyzed(&agree)), Vec::<String>::new(), "{key}");
            let mutations: [Mutation; 6] = [
                ("protocol", |v| v["protocol"] = "unknown".into()),
                ("requests", |v| {
                    v["exchanges"]
                        .as_array_mut()
                        .unwrap()
                        .retain(|x| x["method"].is_null())
                }),
                ("statuses", |v| {
                    for x in v["exchanges"].as_array_mut().unwrap() {
                        x["status"] = 404.into();
                    }
                }),
                ("a missing frame", |v| {
                    let ladder = v["ladder"].as_array_mut().unwrap();
                    if !ladder.is_empty() {
                        ladder.remove(0);
                    }
                }),
                ("a stream id", |v| {
                    if let Some(step) = v["ladder"].as_array_mut().unwrap().last_mut() {
                        let s = step["h2"][0]["stream"].as_u64().unwrap();
                        step["h2"][0]["stream"] = (s + 2).into();
                    }
                }),
                ("frame counts", |v| {
                    if let Some(c) = v["http2"]["frames"]["client"].as_object_mut() {
                        c.insert("PING".into(), 99.into());
                    }
                }),
            ];
            for (what, mutate) in mutations {
                let mut wrong = agree.clone();
                mutate(&mut wrong);
                if wrong != agree {
                    let diffs = compare(t, &analyzed(&wrong));
                    assert!(!diffs.is_empty(), "{key}: a wrong {what} went unnoticed");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 50, "only {checked} disagreements tried");
}
