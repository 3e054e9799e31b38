//! HTTP/3 discovery in one listing (`captures/quic/discovery/h3-discovery.pcap`,
//! recorded by `scripts/record-discovery-capture`): the DNS HTTPS answer,
//! the TCP+TLS connections' `Alt-Svc` (checked against tshark's reading of
//! the decrypted HTTP/1.1 and HTTP/2 responses), and the QUIC connection
//! with h3, in that order in the table. tshark must be installed
//! (scripts/setup); without it the test fails saying so.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::tshark;
use serde_json::Value;

fn path(ext: &str) -> String {
    format!(
        "{}/captures/quic/discovery/h3-discovery.{ext}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn lab(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .output()
        .expect("lab runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Alt-Svc per client port, from tshark's decrypted HTTP/1.1 response
/// lines and HTTP/2 header fields.
fn alt_svc_by_tshark() -> BTreeMap<u16, String> {
    let keylog = format!("tls.keylog_file:{}", path("keys"));
    let out = tshark(&[
        "-r",
        &path("pcap"),
        "-o",
        &keylog,
        "-Y",
        "http.response || http2.headers.status",
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\u{1}",
        "-e",
        "tcp.dstport",
        "-e",
        "http.response.line",
        "-e",
        "http2.header.name",
        "-e",
        "http2.header.value",
    ]);
    let mut seen = BTreeMap::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let port: u16 = f[0].parse().unwrap();
        let h1 = f[1].split('\u{1}').find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("alt-svc")
                .then(|| value.trim().trim_end_matches("\\r\\n").to_owned())
        });
        let names: Vec<&str> = f.get(2).map_or(Vec::new(), |s| s.split('\u{1}').collect());
        let values: Vec<&str> = f.get(3).map_or(Vec::new(), |s| s.split('\u{1}').collect());
        let h2 = names
            .iter()
            .position(|n| *n == "alt-svc")
            .and_then(|i| values.get(i))
            .map(|v| v.to_string());
        if let Some(v) = h1.or(h2) {
            seen.insert(port, v);
        }
    }
    seen
}

#[test]
fn alt_svc_of_each_tls_connection_agrees_with_tshark() {
    let doc: Value = serde_json::from_str(&lab(&[
        "analyze",
        &path("pcap"),
        "--keylog",
        &path("keys"),
        "--format",
        "json",
    ]))
    .expect("JSON");
    let mut ours = BTreeMap::new();
    for c in doc["connections"].as_array().unwrap() {
        let port: u16 = c["client"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        // Over TLS with keys, the exchanges are the decrypted stream's.
        for e in c["exchanges"].as_array().expect("exchanges") {
            if let Some(a) = e["alt_svc"].as_str() {
                ours.insert(port, a.to_owned());
            }
        }
    }
    let theirs = alt_svc_by_tshark();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 2, "HTTP/1.1 and HTTP/2 each carried Alt-Svc");
    assert!(
        ours.values().all(|v| v == "h3=\":18470\"; ma=86400"),
        "{ours:?}"
    );
}

#[test]
fn the_table_reads_dns_then_tcp_with_alt_svc_then_quic_with_h3() {
    let text = lab(&["analyze", &path("pcap"), "--keylog", &path("keys")]);
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not in:\n{text}"))
    };
    let https = at("localhost. HTTPS → NOERROR: HTTPS 1 . alpn=\"h3,h2\" port=18470");
    let table = at("│ id ");
    let alt_svc = at("alt-svc: h3=\":18470\"; ma=86400");
    let h3 = at("EncryptedExtensions: ALPN h3");
    let response = at("HTTP/3 stream 0: GET localhost:18470/ → 200");
    assert!(https < table && table < alt_svc && alt_svc < h3 && h3 < response);
    assert!(
        text.contains("5 DNS exchanges (5 answered, 1 malformed)"),
        "{text}"
    );
}
