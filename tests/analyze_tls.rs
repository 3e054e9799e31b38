//! `lab analyze` on TLS: the table's lines and the JSON `tls` member on the
//! reference captures made with real OpenSSL and curl peers, and on
//! crafted captures that cut a handshake where real peers rarely do.

mod common;

use common::captures::{Conversation, run, stderr, stdout};
use serde_json::Value;

fn analyze(path: &str, extra: &[&str]) -> Value {
    let mut args = vec!["analyze", path, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("one JSON document")
}

fn table(path: &str) -> String {
    let out = run(&["analyze", path, "--frames"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn the_table_says_what_each_handshake_chose_and_hid() {
    let t = table("captures/app/tls-openssl-alpn.pcap");
    for line in [
        "  TLS: TLS 1.3, TLS_AES_256_GCM_SHA384, SNI localhost\n",
        "  ALPN offered: h2, http/1.1; the choice is unknown (TLS 1.3 sends it in EncryptedExtensions: encrypted)\n",
        "  ALPN offered: h2, http/1.1; the server chose h2 (in the clear ServerHello)\n",
        "  alert in the clear from the server: fatal no_application_protocol (120)\n",
        "  alert in the clear from the server: fatal protocol_version (70)\n",
        "client ← server  ServerHello · Certificate · ServerKeyExchange · ServerHelloDone\n",
        "client → server  ClientKeyExchange · ChangeCipherSpec · Handshake (encrypted)\n",
    ] {
        assert!(t.contains(line), "no {line:?} in:\n{t}");
    }
    let t = table("captures/app/tls-npn.pcap");
    assert!(
        t.contains("  NPN: the server listed h2, http/1.1; the client's choice went encrypted (NextProtocol)\n"),
        "{t}"
    );
    // NextProtocol and Finished, both after the client's ChangeCipherSpec.
    assert!(
        t.contains("ChangeCipherSpec · Handshake (encrypted) ×2"),
        "{t}"
    );
}

#[test]
fn curl_offers_and_what_the_servers_chose() {
    let doc = analyze("captures/app/tls-curl.pcap", &[]);
    let got: Vec<(Value, Value, Value)> = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["protocol"], "tls");
            assert_eq!(c["tls"]["sni"], "localhost");
            (
                c["tls"]["version"].clone(),
                c["tls"]["alpn_offered"].clone(),
                c["tls"]["alpn_chosen"].clone(),
            )
        })
        .collect();
    let v = |s: &str| Value::from(s);
    assert_eq!(
        got,
        [
            (
                v("TLS 1.3"),
                serde_json::json!(["h2", "http/1.1"]),
                v("unknown (encrypted)")
            ),
            (v("TLS 1.2"), serde_json::json!(["http/1.1"]), v("none")),
            (
                v("TLS 1.2"),
                serde_json::json!(["h2", "http/1.1"]),
                v("http/1.1")
            ),
        ]
    );
}

#[test]
fn bad_input_is_a_reason_per_connection_and_counted() {
    let doc = analyze("captures/app/tls-bad-input.pcap", &[]);
    let reasons: Vec<&str> = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["decode_error"]["sender"], "client", "{c}");
            c["decode_error"]["reason"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "a record of 18432 bytes, more than 2^14 + 256 (record_overflow)",
            "ClientHello: extension 0 claims 4000 bytes, 12 left in the extension block",
            "a handshake type 238 message of 7237492 bytes, more than the 262144 held",
            "a Handshake record cut short by its FIN: 105 of its 517 bytes",
        ]
    );
    assert_eq!(doc["summary"]["decode"]["decode_errors"], 4);
}

fn vec16(v: &[u8]) -> Vec<u8> {
    [&(v.len() as u16).to_be_bytes()[..], v].concat()
}

/// A ClientHello handshake message offering ALPN `h2, http/1.1` and SNI.
fn client_hello() -> Vec<u8> {
    let alpn = vec16(&[&[2][..], b"h2", &[8], b"http/1.1"].concat());
    let sni = vec16(&[&[0][..], &vec16(b"lab.test")].concat());
    let ext = [&[0, 16][..], &vec16(&alpn), &[0, 0], &vec16(&sni)].concat();
    let body = [
        &[3, 3][..],
        &[7; 32],
        &[0],
        &vec16(&[0xc0, 0x2f]),
        &[1, 0],
        &vec16(&ext),
    ]
    .concat();
    [&[1, 0][..], &(body.len() as u16).to_be_bytes(), &body].concat()
}

fn record(kind: u8, fragment: &[u8]) -> Vec<u8> {
    [&[kind, 3, 3][..], &vec16(fragment)].concat()
}

#[test]
fn a_client_hello_over_three_records_and_three_segments() {
    let dir = tempfile::tempdir().unwrap();
    let hello = client_hello();
    let third = hello.len() / 3;
    let records: Vec<u8> = [
        record(22, &hello[..third]),
        record(22, &hello[third..2 * third]),
        record(22, &hello[2 * third..]),
    ]
    .concat();
    let alpn = vec16(&[&[2][..], b"h2"].concat());
    let sh_body = [
        &[3, 3][..],
        &[9; 32],
        &[0],
        &[0xc0, 0x2f, 0],
        &vec16(&[&[0, 16][..], &vec16(&alpn)].concat()),
    ]
    .concat();
    let sh = [&[2, 0][..], &(sh_body.len() as u16).to_be_bytes(), &sh_body].concat();
    let mut c = Conversation::new(41_000, 8443);
    c.handshake();
    // Segment boundaries fall inside records: 7 bytes, then up to 40 bytes
    // before the end, then the rest.
    let cuts = [7, records.len() - 40, records.len()];
    let mut at = 0;
    for end in cuts {
        c.c_bytes(&records[at..end]);
        at = end;
    }
    c.s_bytes(&record(22, &sh));
    // The capture ends inside the client's next record.
    c.c_bytes(&record(23, &[1; 100])[..60]);
    let path = c.pcap.write(dir.path(), "split.pcap");
    let doc = analyze(path.to_str().unwrap(), &["--frames"]);
    let conn = &doc["connections"][0];
    let tls = &conn["tls"];
    assert_eq!(tls["sni"], "lab.test", "{conn}");
    assert_eq!(tls["alpn_offered"], serde_json::json!(["h2", "http/1.1"]));
    assert_eq!(tls["alpn_chosen"], "h2");
    assert_eq!(tls["cipher_suite"], "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    // The third segment completed the ClientHello (frames 1-3 are the
    // handshake, 4-6 the client's segments).
    assert_eq!(conn["ladder"][0]["frame"], 6);
    assert_eq!(
        conn["ladder"][0]["labels"],
        serde_json::json!(["ClientHello"])
    );
    assert_eq!(
        conn["decode_error"]["reason"],
        "an Application Data record cut short by the end of the capture: 60 of its 105 bytes"
    );
}
