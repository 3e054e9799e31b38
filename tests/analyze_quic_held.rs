//! `lab analyze` finishes a QUIC connection while the capture goes on once
//! the capture has been silent about it for longer than its endpoints keep
//! it (RFC 9000 §10.1's idle timeout, §10.2's draining period after a
//! close), so the analyzer's memory follows the connections open at once.
//! Seen from the output: the same address pair used again after that
//! silence is a second connection, read as the first; used again sooner,
//! it is still the first connection. The recording is the reference
//! capture of one HTTP/3 GET (ngtcp2's client, max_idle_timeout 30 s,
//! closed in a 1-RTT packet), written twice with the second copy later.

mod common;

use common::captures::{run, stdout};
use common::rewrite;
use serde_json::Value;

fn capture(name: &str) -> String {
    format!("{}/captures/quic/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The QUIC connections `lab analyze --format json` finds in the capture
/// of one GET followed by the same GET `later_s` seconds later.
fn twice(later_s: i64, keylog: bool) -> Vec<Value> {
    let once = rewrite::records("quic/quic-h3-get.pcap");
    let mut records = once.clone();
    records.extend(rewrite::shifted(&once, later_s * 1_000_000));
    let path = std::env::temp_dir().join(format!(
        "wirelab-quic-held-{}-{later_s}-{keylog}.pcap",
        std::process::id()
    ));
    std::fs::write(&path, rewrite::pcap(1, &records)).unwrap();
    let keys = capture("quic-h3-get.keys");
    let mut args = vec!["analyze", "--format", "json", path.to_str().unwrap()];
    if keylog {
        args.extend(["--keylog", &keys]);
    }
    let o = run(&args, None);
    let _ = std::fs::remove_file(&path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    doc["quic"].as_array().expect("a quic member").clone()
}

/// The single GET's connection, as the analyzer reads it alone.
fn alone(keylog: bool) -> Value {
    let pcap = capture("quic-h3-get.pcap");
    let keys = capture("quic-h3-get.keys");
    let mut args = vec!["analyze", "--format", "json", &pcap];
    if keylog {
        args.extend(["--keylog", &keys]);
    }
    let o = run(&args, None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    doc["quic"][0].clone()
}

/// What must read the same in a copy: everything but times and frames.
fn facts(q: &Value) -> Vec<Value> {
    [
        "version",
        "sni",
        "alpn_offered",
        "alpn",
        "ending",
        "packets",
        "datagrams",
        "transport_parameters",
        "handshake_completed",
    ]
    .iter()
    .map(|k| q[*k].clone())
    .collect()
}

#[test]
fn without_keys_a_pair_silent_past_its_idle_timeout_is_a_new_connection() {
    let one = alone(false);
    assert_eq!(one["ending"], "unknown (encrypted)");
    // 40 s: past the client's 30 s idle timeout and the 3 s of grace.
    let q = twice(40, false);
    assert_eq!(q.len(), 2, "{q:#?}");
    assert_eq!(facts(&q[0]), facts(&one));
    assert_eq!(facts(&q[1]), facts(&one));
    // The first was judged at the capture's end, 40 s on: silent past it.
    assert_eq!(q[0]["silent_past_idle"], true);
    assert_eq!(q[1]["silent_past_idle"], false);
    // 10 s: within the idle timeout, the same connection goes on.
    let q = twice(10, false);
    assert_eq!(q.len(), 1, "{q:#?}");
    assert_eq!(q[0]["datagrams"], one["datagrams"].as_u64().unwrap() * 2);
}

#[test]
fn with_keys_a_closed_pair_silent_past_its_draining_period_is_a_new_connection() {
    let one = alone(true);
    assert_eq!(one["ending"], "connection_close");
    // 5 s: the client's close read, past 3 s of draining (RFC 9000 §10.2),
    // though within the idle timeout.
    let q = twice(5, true);
    assert_eq!(q.len(), 2, "{q:#?}");
    // The first copy has the same frame numbers as the GET alone.
    assert_eq!(q[0]["connection_close"], one["connection_close"]);
    assert_eq!(q[0]["http3"], one["http3"]);
    for c in &q {
        assert_eq!(facts(c), facts(&one));
        for k in ["by", "packet", "error_code", "error"] {
            assert_eq!(c["connection_close"][k], one["connection_close"][k]);
        }
    }
    // 1 s: still draining, the same connection (its first close stays the
    // one that ended it).
    let q = twice(1, true);
    assert_eq!(q.len(), 1, "{q:#?}");
    assert_eq!(q[0]["datagrams"], one["datagrams"].as_u64().unwrap() * 2);
}
