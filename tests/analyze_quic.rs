//! `lab analyze` on QUIC: the reference captures' facts that tshark does
//! not give (the ending, a Retry's integrity tag, the transport parameters,
//! handshake completion), the table's QUIC section, captures without QUIC
//! unchanged, and bad input: datagrams that look like QUIC but are not, a
//! truncated Initial, a coalesced length that overruns, each a reason on
//! its connection, never a panic.

mod common;

use std::path::Path;

use common::captures::{run, stdout};
use common::rewrite::{self, Record};
use serde_json::Value;

fn json(path: &str) -> Value {
    let o = run(&["analyze", "--format", "json", path], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&stdout(&o)).expect("JSON")
}

fn capture(name: &str) -> String {
    format!("{}/captures/quic/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The one QUIC connection of a capture.
fn only(doc: &Value) -> &Value {
    let q = doc["quic"].as_array().expect("a quic member");
    assert_eq!(q.len(), 1, "{q:#?}");
    &q[0]
}

fn param<'a>(q: &'a Value, name: &str) -> &'a Value {
    q["transport_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["value"])
        .unwrap_or_else(|| panic!("no {name} in {:#?}", q["transport_parameters"]))
}

#[test]
fn an_h3_get_completes_and_its_ending_is_hidden() {
    let doc = json(&capture("quic-h3-get.pcap"));
    let q = only(&doc);
    assert_eq!(q["version"], "1");
    assert_eq!(q["sni"], "localhost");
    assert_eq!(q["alpn_offered"], serde_json::json!(["h3"]));
    assert_eq!(q["handshake_completed"], true);
    assert_eq!(q["server_hello"]["version"], "TLS 1.3");
    // gtlsclient closes in a 1-RTT packet: without its keys, unknown.
    assert_eq!(q["ending"], "unknown (encrypted)");
    assert!(q.get("connection_close").is_none());
    assert_eq!(param(q, "max_idle_timeout"), 30_000);
    assert_eq!(param(q, "initial_source_connection_id"), &q["scid"]);
    assert_eq!(param(q, "grease_quic_bit"), &Value::Null);
    // ngtcp2's server greases the QUIC bit (RFC 9287): no problem for it.
    assert!(q.get("problems").is_none(), "{:#?}", q["problems"]);
    // No TCP here.
    assert_eq!(doc["connections"], serde_json::json!([]));
}

#[test]
fn a_retry_changes_the_keys_and_its_tag_verifies() {
    let doc = json(&capture("quic-retry.pcap"));
    let q = only(&doc);
    let retry = &q["retry"];
    assert_eq!(retry["integrity_tag_valid"], true);
    assert!(retry["token_length"].as_u64().unwrap() > 0);
    // The client's second Initial carries the token and is opened with the
    // keys of the Retry's SCID: its ClientHello and the server's
    // ServerHello are read.
    assert_eq!(q["token_length"], retry["token_length"]);
    assert_eq!(q["packets"]["client"]["initial"], 2);
    assert_eq!(q["sni"], "localhost");
    assert_eq!(q["server_hello"]["cipher_suite"], "TLS_AES_128_GCM_SHA256");
    assert_eq!(q["handshake_completed"], true);
    assert!(q.get("problems").is_none(), "{:#?}", q["problems"]);
}

#[test]
fn a_reserved_version_is_negotiated_away() {
    let doc = json(&capture("quic-version-negotiation.pcap"));
    let q = only(&doc);
    assert_eq!(q["version"], "0x1a2a3a4a");
    assert_eq!(q["ending"], "version_negotiation");
    let offered = q["version_negotiation"].as_array().unwrap();
    assert!(offered.contains(&Value::from("1")), "{offered:?}");
    assert_eq!(
        q["sni"],
        Value::Null,
        "an unknown version is never decrypted"
    );
    assert!(
        q["problems"][0]["error"]
            .as_str()
            .unwrap()
            .contains("unknown QUIC version 0x1a2a3a4a")
    );
}

#[test]
fn a_refused_handshake_ends_in_connection_close() {
    let doc = json(&capture("quic-refused.pcap"));
    let q = only(&doc);
    assert_eq!(q["ending"], "connection_close");
    let c = &q["connection_close"];
    assert_eq!(c["by"], "server");
    assert_eq!(c["packet"], "Initial");
    assert_eq!(c["frame_type"], "0x1c");
    // RFC 9001 §4.8: 0x100 + TLS alert 40, handshake_failure.
    assert_eq!(c["error_code"], 0x128);
    assert_eq!(c["error"], "CRYPTO_ERROR (TLS alert 40)");
    assert_eq!(q["handshake_completed"], false);
}

#[test]
fn the_table_tells_each_quic_connection() {
    let o = run(&["analyze", &capture("quic-refused.pcap")], None);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("QUIC 1: 127.0.0.1:"), "{text}");
    assert!(text.contains(": connection_close\n"), "{text}");
    assert!(
        text.contains("ClientHello: SNI localhost, ALPN offered h3"),
        "{text}"
    );
    assert!(
        text.contains("CONNECTION_CLOSE (0x1c) by the server in an Initial packet (frame 2): CRYPTO_ERROR (TLS alert 40)"),
        "{text}"
    );
    let o = run(
        &["analyze", "--format", "jsonl", &capture("quic-retry.pcap")],
        None,
    );
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "one QUIC line, then the summary");
    assert_eq!(lines[0]["quic"]["retry"]["integrity_tag_valid"], true);
    assert!(lines[1].get("summary").is_some());
}

#[test]
fn without_decoding_or_without_quic_nothing_changes() {
    let o = run(
        &[
            "analyze",
            "--decode",
            "none",
            "--format",
            "json",
            &capture("quic-h3-get.pcap"),
        ],
        None,
    );
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(doc.get("quic").is_none());
    // A TCP reference capture: no quic member, no QUIC line.
    let tcp = format!("{}/captures/full.pcap", env!("CARGO_MANIFEST_DIR"));
    assert!(json(&tcp).get("quic").is_none());
    assert!(!stdout(&run(&["analyze", &tcp], None)).contains("QUIC"));
}

/// The reference capture's records with `edit` applied to the UDP payload
/// of record `index` (Ethernet, IPv4 without options, UDP: 42 bytes of
/// headers), written to a temporary file.
fn edited(name: &str, index: usize, edit: impl Fn(&mut Record)) -> tempfile_path::Path {
    let mut records = rewrite::records(&format!("quic/{name}"));
    edit(&mut records[index]);
    tempfile_path::write(name, &rewrite::pcap(1, &records))
}

/// Temporary files named after the test, removed when dropped.
mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);
    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    pub fn write(name: &str, bytes: &[u8]) -> Path {
        let p = std::env::temp_dir().join(format!(
            "wirelab-quic-{}-{}-{name}",
            std::process::id(),
            std::thread::current()
                .name()
                .unwrap_or("t")
                .replace("::", "-")
        ));
        std::fs::write(&p, bytes).unwrap();
        Path(p)
    }
}

const UDP_PAYLOAD: usize = 42;

fn problems(path: &Path) -> Vec<String> {
    let doc = json(path.to_str().unwrap());
    let q = only(&doc);
    q["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| p["error"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn bad_input_is_a_reason_on_its_connection() {
    // A truncated Initial: the capture kept 60 bytes of the client's first
    // datagram (a short snap length).
    let f = edited("quic-refused.pcap", 0, |r| {
        r.data.truncate(UDP_PAYLOAD + 60)
    });
    let p = problems(&f.0);
    assert!(p.iter().any(|e| e.contains("overruns")), "{p:?}");
    // A coalesced length that overruns the datagram: the Initial's Length
    // (the varint after the empty token) set to 16383.
    let f = edited("quic-refused.pcap", 0, |r| {
        let d = &mut r.data[UDP_PAYLOAD..];
        let dcid = usize::from(d[5]);
        let scid = usize::from(d[6 + dcid]);
        let at = 7 + dcid + scid + 1;
        // 16383 in the varint's own width (RFC 9000 §16).
        let width = 1usize << (d[at] >> 6);
        assert!(width >= 2, "a Length of {width} byte");
        d[at..at + width].fill(0);
        d[at] = [0, 0x40, 0x80, 0xc0][width.trailing_zeros() as usize];
        d[at + width - 2] |= 0x3f;
        d[at + width - 1] = 0xff;
    });
    let p = problems(&f.0);
    assert!(
        p.iter()
            .any(|e| e.contains("a packet length of 16383 bytes overruns")),
        "{p:?}"
    );
    // Looks like QUIC, is not: one byte of the protected payload changed,
    // so AES-GCM refuses it.
    let f = edited("quic-refused.pcap", 0, |r| {
        let n = r.data.len();
        r.data[n - 1] ^= 0x55;
    });
    let p = problems(&f.0);
    assert!(p.iter().any(|e| e.contains("does not open")), "{p:?}");
    // The server's close still reads: its keys come from the same DCID.
    let doc = json(f.0.to_str().unwrap());
    assert_eq!(only(&doc)["ending"], "connection_close");
}
