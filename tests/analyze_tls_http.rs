//! `lab analyze --keylog`: the HTTP inside TLS, read by the same HTTP/1.x
//! and HTTP/2 decoders as cleartext, checked against tshark decrypting the
//! same captures with the same key logs (`-o tls.keylog_file:`).
//!
//! Per connection tshark dissected as HTTP: the requests' method and URI in
//! order, the HTTP/1 status codes (where tshark finished the response: it
//! never finishes `openssl s_server -www`'s, whose body runs to the close
//! and whose last record is a close_notify), every HTTP/2 frame's type and
//! stream in order, each stream's `:status`, and the frame numbers: the
//! ladder labels a request, a response or an HTTP/2 frame in the frame
//! tshark dissected it in (the TCP frame that completed its TLS record).
//!
//! The captures: `captures/app/tls-*.pcap` with their `.keylog`
//! (`tls-lab-serve` is `lab serve --tls` with curl: h2 and HTTP/1.1 by
//! ALPN in TLS 1.3 and 1.2, no ALPN, and a RST), and `captures/tls/*.pcap`
//! with their `.keys`. tshark must be installed (scripts/setup); without
//! it the test fails saying so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

type Key = (u16, u16);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every capture that has a key log beside it.
fn captures() -> Vec<(PathBuf, PathBuf)> {
    let mut all = Vec::new();
    for (dir, ext) in [("captures/app", "keylog"), ("captures/tls", "keys")] {
        let mut found: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .filter_map(|p| {
                let keys = p.with_extension(ext);
                keys.exists().then_some((p, keys))
            })
            .collect();
        found.sort();
        all.extend(found);
    }
    assert!(
        all.len() >= 8,
        "expected the TLS captures with keys: {all:?}"
    );
    all
}

fn lab(pcap: &Path, keys: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(pcap)
        .arg("--keylog")
        .arg(keys)
        .args(["--format", "json", "--frames"])
        .output()
        .expect("run lab");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("lab writes JSON")
}

/// What one side of the comparison read of a connection.
#[derive(Debug, Default, PartialEq, Eq)]
struct Reading {
    /// (frame, method, target) per HTTP/1 request.
    requests: Vec<(u64, String, String)>,
    /// (frame, status) per HTTP/1 response.
    responses: Vec<(u64, u16)>,
    /// (frame, type, stream) per HTTP/2 frame, client's then server's.
    h2: [Vec<(u64, String, u32)>; 2],
    /// stream → :status.
    statuses: BTreeMap<u32, u16>,
}

fn h2_type(code: &str) -> String {
    let names = [
        "DATA",
        "HEADERS",
        "PRIORITY",
        "RST_STREAM",
        "SETTINGS",
        "PUSH_PROMISE",
        "PING",
        "GOAWAY",
        "WINDOW_UPDATE",
        "CONTINUATION",
    ];
    let n: usize = code.parse().unwrap();
    names.get(n).map_or(format!("0x{n:02x}"), |s| s.to_string())
}

fn tshark(pcap: &Path, keys: &Path) -> BTreeMap<Key, Reading> {
    let fields = [
        "frame.number",
        "tcp.srcport",
        "tcp.dstport",
        "http.request.method",
        "http.request.uri",
        "http.response.code",
        "http2.type",
        "http2.streamid",
        "http2.headers.status",
    ];
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(pcap)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keys.display()))
        .args(["-Y", "http || http2", "-T", "fields"])
        .args([
            "-E",
            "separator=\t",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
        ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("tshark cannot run ({e}): install it with scripts/setup"));
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all: BTreeMap<Key, Reading> = BTreeMap::new();
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let frame: u64 = f[0].parse().unwrap();
        let (src, dst): (u16, u16) = (f[1].parse().unwrap(), f[2].parse().unwrap());
        // Requests go to the server: the side whose port is the lower
        // here (every server listens on 1848x, clients on ephemeral ports).
        let from_client = src > dst;
        let key = if from_client { (src, dst) } else { (dst, src) };
        let r = all.entry(key).or_default();
        for (m, u) in list(f[3]).into_iter().zip(list(f[4])) {
            r.requests.push((frame, m, u));
        }
        for code in list(f[5]) {
            r.responses.push((frame, code.parse().unwrap()));
        }
        let types = list(f[6]);
        let streams = list(f[7]);
        assert_eq!(types.len(), streams.len(), "frame {frame}: {line}");
        for (t, s) in types.iter().zip(&streams) {
            // tshark lists a frame it could not finish as type 0 with no
            // stream; only whole frames count.
            r.h2[usize::from(!from_client)].push((frame, h2_type(t), s.parse().unwrap()));
        }
        let statuses = list(f[8]);
        if !statuses.is_empty() {
            // The :status belongs to the HEADERS frames of this packet, in
            // order.
            let headers: Vec<u32> = types
                .iter()
                .zip(&streams)
                .filter(|(t, _)| *t == "1")
                .map(|(_, s)| s.parse().unwrap())
                .collect();
            for (s, st) in headers.into_iter().zip(statuses) {
                r.statuses.insert(s, st.parse().unwrap());
            }
        }
    }
    all
}

fn port(endpoint: &Value) -> u16 {
    endpoint
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn ours(report: &Value) -> BTreeMap<Key, (Reading, Value)> {
    let mut all = BTreeMap::new();
    for c in report["connections"].as_array().unwrap() {
        let key = (port(&c["client"]), port(&c["server"]));
        let mut r = Reading::default();
        let ladder = c["ladder"].as_array().cloned().unwrap_or_default();
        for step in &ladder {
            let frame = step["frame"].as_u64().unwrap();
            let side = usize::from(step["from"] == "server");
            for l in step["labels"].as_array().unwrap() {
                let l = l.as_str().unwrap();
                let words: Vec<&str> = l.split(' ').collect();
                if side == 0 && words.len() == 3 && words[2].starts_with("HTTP/1.") {
                    r.requests
                        .push((frame, words[0].to_string(), words[1].to_string()));
                } else if side == 1
                    && words.len() == 2
                    && words[0].starts_with("HTTP/1.")
                    && let Ok(code) = words[1].parse()
                {
                    r.responses.push((frame, code));
                }
            }
            for f in step["h2"].as_array().unwrap() {
                let t = f["type"].as_str().unwrap().to_string();
                let s = f["stream"].as_u64().unwrap() as u32;
                r.h2[side].push((frame, t, s));
            }
        }
        for e in c["exchanges"].as_array().unwrap() {
            if let (Some(s), Some(st)) = (e["stream"].as_u64(), e["status"].as_u64()) {
                r.statuses.insert(s as u32, st as u16);
            }
        }
        all.insert(key, (r, c.clone()));
    }
    all
}

#[test]
fn the_http_inside_tls_agrees_with_tshark_decrypting_with_the_same_key_log() {
    let (mut requests, mut responses, mut frames, mut connections) = (0, 0, 0, 0);
    let mut inner_seen = BTreeMap::new();
    let mut problems = Vec::new();
    for (pcap, keys) in captures() {
        let name = pcap.file_stem().unwrap().to_string_lossy().to_string();
        let theirs = tshark(&pcap, &keys);
        let ours = ours(&lab(&pcap, &keys));
        for (key, (mine, conn)) in &ours {
            let tls = &conn["tls"];
            if let Some(inner) = tls["inner"].as_str() {
                *inner_seen
                    .entry((inner.to_string(), tls["inner_chosen_by"].to_string()))
                    .or_insert(0) += 1;
            }
            let Some(t) = theirs.get(key) else {
                // tshark follows the ALPN choice: a client that belied it
                // (s_client negotiates h2 and sends HTTP/1.0) is nothing
                // to its HTTP/2 dissector. Any other connection we read
                // HTTP in, tshark must have read too.
                let has_http = !mine.requests.is_empty() || !mine.h2[0].is_empty();
                if has_http && tls["inner_chosen_by"] != "sniffed_against_alpn" {
                    problems.push(format!("{name} {key:?}: tshark read no HTTP, we did"));
                }
                continue;
            };
            connections += 1;
            let mut check = |what: &str, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
                let (a, b) = (format!("{a:?}"), format!("{b:?}"));
                if a != b {
                    problems.push(format!("{name} {key:?} {what}: ours {a}, tshark {b}"));
                }
            };
            check("requests", &mine.requests, &t.requests);
            requests += t.requests.len();
            // tshark finishes a response only when it knows its end.
            if !t.responses.is_empty() {
                check("responses", &mine.responses, &t.responses);
                responses += t.responses.len();
            }
            check("client h2 frames", &mine.h2[0], &t.h2[0]);
            check("server h2 frames", &mine.h2[1], &t.h2[1]);
            check(":status", &mine.statuses, &t.statuses);
            frames += t.h2[0].len() + t.h2[1].len();
        }
        for key in theirs.keys() {
            if !ours.contains_key(key) {
                problems.push(format!("{name} {key:?}: no such connection for lab"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the analyzer disagrees with tshark:\n{}",
        problems.join("\n")
    );
    eprintln!(
        "agreed with tshark on {connections} connections: {requests} HTTP/1 requests, \
         {responses} responses, {frames} HTTP/2 frames; inside: {inner_seen:?}"
    );
    // What the captures hold, so that the comparison compares something.
    assert!(requests >= 10, "{requests}");
    assert!(responses >= 4, "{responses}");
    assert!(frames >= 15, "{frames}");
    for want in [
        ("h2", "\"alpn\""),
        ("http/1.1", "\"alpn\""),
        ("http/1.1", "\"sniffed\""),
        ("http/1.0", "\"sniffed_against_alpn\""),
    ] {
        let key = (want.0.to_string(), want.1.to_string());
        assert!(inner_seen.contains_key(&key), "{want:?}: {inner_seen:?}");
    }
}

/// The same connections without `--keylog` stay as they were: `tls`, no
/// exchanges, no `inner`, the records labelled encrypted.
#[test]
fn without_keys_nothing_is_read_inside() {
    let pcap = root().join("captures/app/tls-lab-serve.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(&pcap)
        .args(["--format", "json", "--frames"])
        .output()
        .expect("run lab");
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for c in report["connections"].as_array().unwrap() {
        assert_eq!(c["protocol"], "tls");
        assert_eq!(c["exchanges"].as_array().unwrap().len(), 0, "{c}");
        assert!(c["tls"].get("inner").is_none(), "{c}");
        let labels = c["ladder"].to_string();
        assert!(labels.contains("Application Data (encrypted)"), "{labels}");
    }
}

/// A RST inside TLS: `lab serve --mode no-read` answered a POST it never
/// read and closed; its kernel sent RST, and the response (with the
/// close_notify after it) was never acknowledged. The bytes the RST
/// destroyed belong to that exchange, as they would in the clear.
#[test]
fn what_a_rst_destroyed_inside_tls() {
    let dir = root().join("captures/app");
    let report = lab(
        &dir.join("tls-lab-serve.pcap"),
        &dir.join("tls-lab-serve.keylog"),
    );
    let conns = report["connections"].as_array().unwrap();
    let c = conns
        .iter()
        .find(|c| port(&c["server"]) == 18494)
        .expect("the no-read server's connection");
    assert_eq!(c["ended"], "rst", "{c}");
    let e = &c["exchanges"][0];
    assert_eq!(
        (e["method"].as_str(), e["status"].as_u64()),
        (Some("POST"), Some(200))
    );
    assert_eq!(e["response_delivered"], false, "{e}");
    let rst = &c["server_rst"];
    assert!(rst["lost_bytes"].as_u64().unwrap() > 0, "{rst}");
    assert_eq!(rst["lost_in"], serde_json::json!([0]), "{rst}");
    assert_eq!(c["tls"]["inner"], "http/1.1");
}

fn lab_raw(pcap: &Path, keys: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(pcap)
        .arg("--keylog")
        .arg(keys)
        .output()
        .expect("run lab")
}

/// Another capture's key log opens none of these connections: one warning
/// line on stderr counts them, the report is still written.
#[test]
fn connections_the_key_log_cannot_open_are_one_counted_warning() {
    let dir = root().join("captures/app");
    let out = lab_raw(
        &dir.join("tls-lab-serve.pcap"),
        &dir.join("tls-curl.keylog"),
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("lab: warning: "))
        .collect();
    assert_eq!(
        warnings,
        [
            "lab: warning: the key log opened none of the records of 5 of the 5 TLS connections \
             (5 missing: no secrets for their client random); their HTTP and alerts stay \
             unread (`keys` in each row says which)"
        ],
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("keys: missing"));
    // Its own key log opens them all: no warning.
    let out = lab_raw(
        &dir.join("tls-lab-serve.pcap"),
        &dir.join("tls-lab-serve.keylog"),
    );
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A file with no line to decrypt with (empty, or not a key log at all)
/// is a one-line error and exit status 2, before any analysis.
#[test]
fn a_key_log_without_a_usable_line_is_a_one_line_error() {
    let dir = std::env::temp_dir().join(format!("wirelab-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = root().join("captures/app/tls-curl.pcap");
    for (name, text) in [
        ("empty", ""),
        ("comments", "# nothing\n\n"),
        (
            "pem",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = lab_raw(&pcap, &path);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(out.stdout.is_empty(), "{name}: no report");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains("no usable line"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
