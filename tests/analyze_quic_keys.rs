//! `lab analyze --keylog` on QUIC: the reference captures' Handshake and
//! 1-RTT packets opened with the client's key log (the server's ALPN and
//! transport parameters, HANDSHAKE_DONE, NEW_CONNECTION_ID, HTTP/3 with
//! QPACK's dynamic table, the client's application close), the endings
//! beyond a close (ICMP unreachable, idle timeout), and a key log that is
//! not the connection's: a reason and one warning, never a panic.

mod common;

use common::captures::{run, stdout};
use serde_json::Value;

fn capture(name: &str) -> String {
    format!("{}/captures/quic/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn analyze(pcap: &str, keylog: Option<&str>) -> (Value, String) {
    let mut args = vec!["analyze", "--format", "json", pcap];
    if let Some(k) = keylog {
        args.extend(["--keylog", k]);
    }
    let o = run(&args, None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let q = doc["quic"].as_array().expect("a quic member");
    assert_eq!(q.len(), 1, "{q:#?}");
    (
        q[0].clone(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_key_log_opens_an_h3_get_to_its_close() {
    let (q, stderr) = analyze(
        &capture("quic-h3-get.pcap"),
        Some(&capture("quic-h3-get.keys")),
    );
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(q["keys"]["status"], "ok");
    assert_eq!(q["alpn"], "h3");
    let token = q["server_transport_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "stateless_reset_token")
        .expect("the server's stateless_reset_token");
    assert_eq!(token["value"].as_str().unwrap().len(), 32);
    assert!(q["handshake_done_frame"].as_u64().is_some());
    // Six connection IDs each way, retransmissions counted once.
    let ncid = q["new_connection_ids"].as_array().unwrap();
    for side in ["client", "server"] {
        assert_eq!(
            ncid.iter().filter(|n| n["by"] == side).count(),
            6,
            "{ncid:#?}"
        );
    }
    // gtlsclient's close: HTTP/3's H3_NO_ERROR in a 1-RTT packet.
    let c = &q["connection_close"];
    assert_eq!(c["by"], "client");
    assert_eq!(c["packet"], "1-RTT");
    assert_eq!(c["frame_type"], "0x1d");
    assert_eq!(c["error_code"], 0x100);
    assert_eq!(c["error"], "H3_NO_ERROR (application 0x100)");
    assert_eq!(q["ending"], "connection_close");
    // The request and response, with QPACK's dynamic table (nghttp3 uses
    // it): the body is the server's index.html, 20 bytes.
    let x = &q["http3"]["exchanges"][0];
    assert_eq!(x["stream"], 0);
    assert_eq!(x["method"], "GET");
    assert_eq!(x["path"], "/index.html");
    assert_eq!(x["authority"], "localhost:18490");
    assert_eq!(x["status"], 200);
    assert_eq!(x["response_body"], 20);
    assert!(x.get("undecoded").is_none(), "{x:#?}");
    let kinds: Vec<&str> = q["http3"]["unidirectional_streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["kind"].as_str().unwrap())
        .collect();
    for k in ["control", "QPACK encoder", "QPACK decoder"] {
        assert_eq!(kinds.iter().filter(|x| **x == k).count(), 2, "{kinds:?}");
    }
    assert_eq!(q["http3"]["settings"].as_array().unwrap().len(), 2);
    assert_eq!(q["idle_timeout_ms"], 30_000);
    assert!(q.get("problems").is_none(), "{:#?}", q["problems"]);
}

#[test]
fn another_connections_key_log_is_a_reason_and_one_warning() {
    let (q, stderr) = analyze(
        &capture("quic-h3-get.pcap"),
        Some(&capture("quic-retry.keys")),
    );
    assert_eq!(q["keys"]["status"], "missing");
    assert_eq!(q["ending"], "unknown (encrypted)");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("1 missing"), "{stderr}");
    // The right random with another connection's secrets: mismatch.
    let random = std::fs::read_to_string(capture("quic-h3-get.keys")).unwrap();
    let random = random.split_whitespace().nth(1).unwrap().to_owned();
    let other = std::fs::read_to_string(capture("quic-retry.keys")).unwrap();
    let forged: String = other
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!("{} {random} {}\n", f[0], f[2])
        })
        .collect();
    let path =
        std::env::temp_dir().join(format!("wirelab-quic-forged-{}.keys", std::process::id()));
    std::fs::write(&path, forged).unwrap();
    let (q, stderr) = analyze(&capture("quic-h3-get.pcap"), path.to_str());
    let _ = std::fs::remove_file(&path);
    assert_eq!(q["keys"]["status"], "mismatch", "{q:#?}");
    assert!(
        q["keys"]["reason"]
            .as_str()
            .unwrap()
            .contains("does not open with the key log's secrets")
    );
    assert!(stderr.contains("1 mismatch"), "{stderr}");
}

#[test]
fn an_icmp_port_unreachable_ends_the_connection() {
    let (q, _) = analyze(&capture("quic-icmp-unreachable.pcap"), None);
    assert_eq!(q["ending"], "icmp_unreachable");
    assert_eq!(q["icmp"]["kind"], "port unreachable");
    assert_eq!(q["icmp"]["about"], "client");
    assert_eq!(q["icmp"]["reporter"], "127.0.0.1");
    // The client's close came after the ICMP error: kept, not the cause.
    assert_eq!(q["connection_close"]["by"], "client");
    assert!(q["icmp"]["frame"].as_u64() < q["connection_close"]["frame"].as_u64());
    let o = run(&["analyze", &capture("quic-icmp-unreachable.pcap")], None);
    assert!(
        stdout(&o).contains("1 QUIC connection: 1 icmp_unreachable"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn silence_past_the_smaller_idle_timeout_is_an_idle_timeout() {
    let (q, _) = analyze(
        &capture("quic-idle-timeout.pcap"),
        Some(&capture("quic-idle-timeout.keys")),
    );
    // The client's 1 s, not the server's 30 s (RFC 9000 §10.1).
    assert_eq!(q["idle_timeout_ms"], 1000);
    assert_eq!(q["silent_past_idle"], true);
    assert!(q.get("connection_close").is_none());
    assert_eq!(q["ending"], "idle_timeout");
    // Without the keys a close could hide in the 1-RTT packets.
    let (q, _) = analyze(&capture("quic-idle-timeout.pcap"), None);
    assert_eq!(q["ending"], "unknown (encrypted)");
    assert_eq!(q["silent_past_idle"], true);
}
