//! TLS with ALPN against real peers on one `--tls` port: curl (h2 and
//! HTTP/1.1, TLS 1.2 only, `--cacert` with the generated CA), `openssl
//! s_client -alpn` (the choice, alert 120 for no overlap, h2c refused),
//! nghttp, and Python's `ssl` with `set_alpn_protocols` (also the odd
//! ClientHellos: split over many records, an oversized extension, a
//! 16 MiB length, noise). Every peer must be installed (scripts/setup):
//! a missing one fails the test, it does not skip it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Lab, curl, start_with};
use serde_json::Value;
use wirelab::http::is_pattern;
use wirelab::server::{
    Alpn, Cause, Config, Event, H2Start, Http2, ReadMode, TlsSettings, TlsVersion, TlsVersions,
};

/// A `--tls` server and its CA written where curl can read it.
struct TlsLab {
    lab: Lab,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsLab {
    #[track_caller]
    fn start(tls: TlsSettings, http2: Http2) -> TlsLab {
        let lab = start_with(Config {
            mode: ReadMode::Full,
            http2,
            tls: Some(tls),
            ..Config::default()
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = dir.path().join("ca.pem");
        let pem = lab.handle.as_ref().and_then(|h| h.ca_pem()).expect("a CA");
        std::fs::write(&ca, pem).expect("CA written");
        TlsLab { lab, ca, _dir: dir }
    }

    fn default() -> TlsLab {
        TlsLab::start(TlsSettings::default(), Http2::Both)
    }

    fn port(&self) -> u16 {
        self.lab.addr.port()
    }

    fn url(&self, host: &str) -> String {
        format!("https://{host}:{}/tls", self.port())
    }

    fn ca(&self) -> &str {
        self.ca.to_str().expect("utf-8 path")
    }

    /// The ALPN choice of each established connection, in order.
    fn chosen(&mut self, n: usize) -> Vec<(TlsVersion, Option<Alpn>)> {
        self.lab
            .wait_for(n, |r| matches!(r.event, Event::TlsEstablished { .. }))
            .into_iter()
            .filter_map(|r| match r.event {
                Event::TlsEstablished { version, alpn, .. } => Some((version, alpn)),
                _ => None,
            })
            .collect()
    }

    fn failures(&mut self, n: usize) -> Vec<String> {
        self.lab
            .wait_for(n, |r| matches!(r.event, Event::TlsFailed { .. }))
            .into_iter()
            .filter_map(|r| match r.event {
                Event::TlsFailed { reason } => Some(reason),
                _ => None,
            })
            .collect()
    }
}

/// Runs `program args`; panics with how to install it when it is missing.
#[track_caller]
fn run(program: &str, args: &[&str], stdin: &[u8]) -> (i32, String) {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} is required by this test and could not run ({e}): run scripts/setup")
        });
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    let out = child.wait_with_output().expect("waits");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[track_caller]
fn python(args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/tls_client.py");
    let mut all = vec![script.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let (code, out) = run("python3", &all, b"");
    assert_eq!(code, 0, "python3 ssl client failed: {out}");
    let line = out.lines().find(|l| l.starts_with('{')).unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|_| panic!("JSON from the client, got {out}"))
}

/// `curl --cacert CA ARGS URL`: (http_version, body).
#[track_caller]
fn curl_tls(t: &TlsLab, args: &[&str], host: &str) -> (String, String) {
    let url = t.url(host);
    let mut all = vec!["--cacert", t.ca(), "-w", "\n%{http_version}"];
    all.extend_from_slice(args);
    all.push(&url);
    let c = curl(&all);
    assert_eq!(c.code, 0, "curl {args:?} failed: {}", c.stderr);
    let (body, version) = c.stdout.rsplit_once('\n').expect("the -w line");
    (version.to_string(), body.to_string())
}

#[test]
fn curl_gets_h2_and_http11_from_one_tls_port_trusting_the_generated_ca() {
    let mut t = TlsLab::default();
    let (v, body) = curl_tls(&t, &["--http2"], "localhost");
    assert_eq!(v, "2");
    assert!(
        body.len() == 128 && is_pattern(0, body.as_bytes()),
        "{body:?}"
    );
    let (v, body) = curl_tls(&t, &["--http1.1"], "127.0.0.1");
    assert_eq!(v, "1.1");
    assert!(
        body.len() == 128 && is_pattern(0, body.as_bytes()),
        "{body:?}"
    );
    let chosen = t.chosen(2);
    assert_eq!(chosen[0].1, Some(Alpn::H2), "{}", t.lab.log_text());
    assert_eq!(chosen[1].1, Some(Alpn::Http11));
    // HTTP/2 began with ALPN, not with the cleartext ways.
    let starts: Vec<H2Start> = t
        .lab
        .records
        .iter()
        .filter_map(|r| match r.event {
            Event::Preface { start } => Some(start),
            _ => None,
        })
        .collect();
    assert_eq!(starts, vec![H2Start::Alpn]);
    // Without the CA curl refuses the certificate: the trust is real.
    let c = curl(&["--http2", &t.url("localhost")]);
    assert_eq!(c.code, 60, "{}", c.stderr);
}

#[test]
fn curl_with_tls12_only_gets_tls12_and_h2() {
    let mut t = TlsLab::default();
    let (v, _) = curl_tls(
        &t,
        &["--http2", "--tlsv1.2", "--tls-max", "1.2"],
        "localhost",
    );
    assert_eq!(v, "2");
    assert_eq!(t.chosen(1), vec![(TlsVersion::Tls12, Some(Alpn::H2))]);
}

#[test]
fn a_tls12_server_refuses_a_tls13_only_client() {
    let settings = TlsSettings {
        versions: TlsVersions::Tls12,
        ..TlsSettings::default()
    };
    let mut t = TlsLab::start(settings, Http2::Both);
    let c = curl(&["--cacert", t.ca(), "--tlsv1.3", &t.url("localhost")]);
    assert_eq!(c.code, 35, "a handshake failure: {}", c.stderr);
    let reason = &t.failures(1)[0];
    assert!(reason.contains("Tls12NotOffered"), "{reason}");
}

#[test]
fn openssl_s_client_sees_the_choice_alert_120_and_h2c_refused() {
    let mut t = TlsLab::default();
    let connect = format!("127.0.0.1:{}", t.port());
    let (_, out) = run(
        "openssl",
        &["s_client", "-connect", &connect, "-alpn", "h2,http/1.1"],
        b"",
    );
    assert!(out.contains("ALPN protocol: h2"), "{out}");

    let (code, out) = run(
        "openssl",
        &["s_client", "-connect", &connect, "-alpn", "foo"],
        b"",
    );
    assert_ne!(code, 0);
    assert!(out.contains("SSL alert number 120"), "{out}");
    let (_, out) = run(
        "openssl",
        &["s_client", "-connect", &connect, "-alpn", "h2c"],
        b"",
    );
    assert!(out.contains("SSL alert number 120"), "{out}");

    let reasons = t.failures(2);
    assert!(
        reasons[0].starts_with("no_application_protocol (alert 120"),
        "{reasons:?}"
    );
    assert!(reasons[0].ends_with("offered foo"), "{reasons:?}");
    assert!(
        reasons[1].contains("h2c is never used over TLS (RFC 9113 §3.2)"),
        "{reasons:?}"
    );
    let closed = t.lab.closed(3);
    assert!(
        closed[1..].iter().all(|c| c.cause == Cause::TlsFailed),
        "{closed:?}"
    );
}

#[test]
fn the_servers_order_decides_and_http2_off_takes_h2_out() {
    let settings = TlsSettings {
        alpn: vec![Alpn::Http11, Alpn::H2],
        ..TlsSettings::default()
    };
    let t = TlsLab::start(settings, Http2::Both);
    let connect = format!("127.0.0.1:{}", t.port());
    let (_, out) = run(
        "openssl",
        &["s_client", "-connect", &connect, "-alpn", "h2,http/1.1"],
        b"",
    );
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");

    let t = TlsLab::start(TlsSettings::default(), Http2::Off);
    let (v, _) = curl_tls(&t, &["--http2"], "localhost");
    assert_eq!(v, "1.1", "h2 is not offered with HTTP/2 off");
}

#[test]
fn nghttp_over_tls_gets_h2() {
    let mut t = TlsLab::default();
    let (code, out) = run("nghttp", &["-v", &t.url("localhost")], b"");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("The negotiated protocol: h2"), "{out}");
    assert!(out.contains(":status: 200"), "{out}");
    assert_eq!(t.chosen(1)[0].1, Some(Alpn::H2));
}

#[test]
fn python_ssl_with_set_alpn_protocols() {
    let mut t = TlsLab::default();
    let port = t.port().to_string();
    let v = python(&["alpn", &port, t.ca(), "h2,http/1.1"]);
    assert_eq!(v["alpn"], "h2");
    let v = python(&["alpn", &port, t.ca(), "http/1.1"]);
    assert_eq!(
        (v["alpn"].as_str(), v["status"].as_u64()),
        (Some("http/1.1"), Some(200))
    );
    assert_eq!(v["body_len"], 128);
    // No ALPN extension at all: HTTP/1.1 (RFC 7301 §3.2 leaves it to the server).
    let v = python(&["alpn", &port, t.ca(), "none"]);
    assert_eq!(
        (v["alpn"].as_null(), v["status"].as_u64()),
        (Some(()), Some(200))
    );
    let chosen: Vec<Option<Alpn>> = t.chosen(3).into_iter().map(|c| c.1).collect();
    assert_eq!(chosen, vec![Some(Alpn::H2), Some(Alpn::Http11), None]);
}

#[test]
fn odd_client_hellos_get_an_answer_or_one_reason_and_the_server_goes_on() {
    let mut t = TlsLab::default();
    let port = t.port().to_string();
    // RFC 8446 §5.1: a handshake message may span records.
    let v = python(&["split", &port, t.ca()]);
    assert!(v["records"].as_u64() > Some(10), "{v}");
    assert_eq!(v["status"], 200, "{v}");
    // A 40 000-byte unknown extension is legal: a ServerHello comes back.
    let v = python(&["bigext", &port, t.ca()]);
    assert_eq!(
        (v["reply"].as_str(), v["type"].as_u64()),
        (Some("record"), Some(22)),
        "{v}"
    );
    // A length rustls will not buffer, and noise after a record header.
    for scenario in ["huge", "garbage"] {
        let v = python(&[scenario, &port]);
        assert_ne!(v["type"], 22, "{scenario}: no handshake goes on: {v}");
    }
    let reasons = t.failures(2);
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("HandshakePayloadTooLarge")),
        "{reasons:?}"
    );
    // The server still serves.
    let (v, _) = curl_tls(&t, &["--http2"], "localhost");
    assert_eq!(v, "2");
}

#[test]
fn plain_http_on_the_tls_port_gets_a_readable_400() {
    let mut t = TlsLab::default();
    let c = curl(&["-i", &format!("http://127.0.0.1:{}/", t.port())]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(c.stdout.starts_with("HTTP/1.1 400 "), "{}", c.stdout);
    assert!(c.stdout.contains("TLS port"), "{}", c.stdout);
    let rejected = t
        .lab
        .wait_for(1, |r| matches!(r.event, Event::Rejected { .. }));
    assert_eq!(
        rejected[0].to_text().split_once(" event=").map(|x| x.1),
        Some("rejected status=400 reason=\"plain HTTP on a TLS port\"")
    );
}

#[test]
fn tls_port_beside_the_cleartext_one() {
    let settings = TlsSettings {
        listen: wirelab::server::TlsListen::Beside("127.0.0.1:0".parse().expect("addr")),
        ..TlsSettings::default()
    };
    let mut t = TlsLab::start(settings, Http2::Both);
    let clear = curl(&["-w", "%{http_version}", "-o", "/dev/null", &t.lab.url("/")]);
    assert_eq!(clear.stdout, "1.1", "{}", clear.stderr);
    let tls_port = t
        .lab
        .handle
        .as_ref()
        .and_then(|h| h.tls_addr())
        .expect("TLS port")
        .port();
    assert_ne!(tls_port, t.port());
    let url = format!("https://localhost:{tls_port}/");
    let c = curl(&[
        "--cacert",
        t.ca(),
        "-w",
        "%{http_version}",
        "-o",
        "/dev/null",
        &url,
    ]);
    assert_eq!(c.stdout, "2", "{}", c.stderr);
    assert_eq!(t.chosen(1)[0].1, Some(Alpn::H2));
}

/// `write_ca` is written while the server binds, before its port listens:
/// a script that waits for the port to accept can read the CA at once
/// (written after the bind, curl met a missing file under load: exit 77).
#[test]
fn the_ca_file_is_there_before_the_port_accepts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ca.pem");
    let config = Config {
        bind: "127.0.0.1:0".parse().expect("address"),
        tls: Some(TlsSettings {
            write_ca: Some(path.clone()),
            ..TlsSettings::default()
        }),
        ..Config::default()
    };
    let server =
        wirelab::server::Server::bind(config, wirelab::server::LogSink::Discard).expect("bound");
    let addr = server.tls_addr().expect("a TLS port");
    // The kernel completes handshakes into the backlog from the bind on,
    // before the loop runs: the port accepts now.
    std::net::TcpStream::connect(addr).expect("the port accepts");
    let pem = std::fs::read_to_string(&path).expect("the CA file exists");
    assert_eq!(Some(pem.as_str()), server.ca_pem(), "the file holds the CA");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
}
