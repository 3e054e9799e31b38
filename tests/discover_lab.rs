//! `lab discover` against real peers: the project's client, Debian's
//! gtlsclient and Python's aioquic (the venv `scripts/setup` makes) each
//! end with an HTTP/3 response and a classified QUIC ending; curl keeps the Alt-Svc entry in its cache file; dig reads the
//! HTTPS record; `--expect` passes and fails as it should; a missing
//! client fails loudly. Every run must have a network namespace of its
//! own (root): the fixed ports of the lab are then free whatever else
//! runs, and a run without one fails here instead of skipping.

use std::path::Path;
use std::process::{Command, Output};

fn lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("discover")
        .args(args)
        .output()
        .expect("run lab")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the lab, checks the exit status and that it had its own
/// namespace, and returns stdout.
#[track_caller]
fn run(args: &[&str], code: i32) -> (String, String) {
    let o = lab(args);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(code), "{args:?}\n{out}{err}");
    assert!(
        out.contains("note: the run had a network namespace of its own"),
        "this test needs root for a private network namespace:\n{out}"
    );
    (out, err)
}

#[track_caller]
fn tool(name: &str) {
    let ok = Command::new(name).arg("--help").output().is_ok();
    assert!(ok, "{name} is missing: run scripts/setup");
}

#[test]
fn own_client_follows_record_and_alt_svc_to_an_h3_response_and_a_graceful_close() {
    let (out, _) = run(
        &[
            "--expect",
            "https-record",
            "--expect",
            "alt-svc-seen",
            "--expect",
            "h3-used",
            "--expect",
            "quic-close=graceful",
        ],
        0,
    );
    for want in [
        "answer wirelab.test. 300 IN HTTPS 1 . alpn=\"h3,h2\" port=8443",
        "TLS, SNI wirelab.test, ALPN offered http/1.1, chosen http/1.1; response 200",
        "Alt-Svc h3=\":8443\"; ma=86400",
        "Initial v1, DCID ",
        "SNI wirelab.test, ALPN offered h3",
        "HANDSHAKE_DONE: ALPN chosen h3",
        "HTTP/3  stream 0: GET / → 200, 128 body bytes",
        "GOAWAY from the server",
        "connection_close by the server: H3_NO_ERROR (application 0x100)",
        "VERDICT  HTTPS record answered, Alt-Svc h3 seen, HTTP/3 used",
        "fin, the server closed first",
        "QUIC ended: server's CONNECTION_CLOSE (0x1d) code 0x100",
        "server   connection-close by=us code=0x100 name=H3_NO_ERROR",
        "dns      udp query wirelab.test. HTTPS: NOERROR, 1 answer",
    ] {
        assert!(out.contains(want), "missing {want:?}:\n{out}");
    }
    // Capture order: the record before TCP, TCP before QUIC.
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}: {out}"));
    assert!(at("IN HTTPS 1") < at("TCP     ") && at("TCP     ") < at("QUIC    "));
}

#[test]
fn own_client_sees_each_other_ending_from_the_packets() {
    for (close, words) in [
        ("abrupt", "H3_INTERNAL_ERROR (application 0x102)"),
        ("idle", "idle_timeout: silent past 1000 ms"),
        (
            "stateless-reset",
            "stateless_reset by the server (its token matched)",
        ),
    ] {
        let expect = format!("quic-close={close}");
        let (out, _) = run(
            &[
                "--h3-close",
                close,
                "--expect",
                &expect,
                "--expect",
                "h3-used",
            ],
            0,
        );
        assert!(out.contains(words), "{close}: {out}");
    }
}

#[test]
fn gtlsclient_gets_an_h3_response_and_sees_the_abrupt_close() {
    tool("gtlsclient");
    let (out, _) = run(
        &[
            "--client",
            "gtlsclient",
            "--h3-close",
            "abrupt",
            "--expect",
            "h3-used",
            "--expect",
            "quic-close=abrupt",
            "--expect",
            "https-record",
        ],
        0,
    );
    for want in [
        "client   gtlsclient (exit 0)",
        "the lab resolved for it (it reads no HTTPS record)",
        "HTTP/3: ALPN h3, status 200",
        "QUIC ended: received CONNECTION_CLOSE(0x1d) error_code=(unknown)(0x102)",
        "connection_close by the server: H3_INTERNAL_ERROR (application 0x102)",
        "HTTP/3  stream 0: GET / → 200, 128 body bytes",
    ] {
        assert!(out.contains(want), "missing {want:?}:\n{out}");
    }
    // No TCP: gtlsclient was told where h3 is.
    assert!(out.contains("0 TCP and 1 QUIC"), "{out}");
}

#[test]
fn curl_keeps_the_alt_svc_entry_and_never_tries_quic() {
    tool("curl");
    let dir = tempfile::tempdir().expect("temp dir");
    let kept = dir.path().join("run");
    let kept_s = kept.to_str().expect("utf-8");
    let (out, _) = run(
        &[
            "--client",
            "curl",
            "--expect",
            "alt-svc-seen",
            "--out",
            kept_s,
        ],
        0,
    );
    // Origin wirelab.test:443 (the URL's), alternative h3 on 8443.
    let line = "h2 wirelab.test 443 h3 wirelab.test 8443 ";
    assert!(out.contains(&format!("alt-svc cache: {line}")), "{out}");
    let cache = std::fs::read_to_string(kept.join("curl-alt-svc.txt")).expect("cache file");
    assert!(cache.lines().any(|l| l.starts_with(line)), "{cache}");
    assert!(out.contains("0 QUIC connections"), "{out}");
    assert!(!out.contains("HTTP/3 used"), "{out}");
}

#[test]
fn dig_reads_the_https_record_alone() {
    tool("dig");
    let (out, _) = run(&["--client", "dig", "--expect", "https-record"], 0);
    assert!(
        out.contains("             wirelab.test. 300 IN HTTPS 1 . alpn=\"h3,h2\" port=8443"),
        "{out}"
    );
    assert!(out.contains("2 DNS messages, 0 TCP and 0 QUIC"), "{out}");
}

#[test]
fn unmet_expectations_exit_1_with_one_line_each() {
    let (_, err) = run(
        &[
            "--client",
            "curl",
            "--expect",
            "h3-used",
            "--expect",
            "alt-svc-seen",
        ],
        1,
    );
    assert_eq!(
        err.trim(),
        "lab: expected h3-used but saw no QUIC connection in the capture"
    );
    let (_, err) = run(
        &["--h3-close", "abrupt", "--expect", "quic-close=graceful"],
        1,
    );
    assert_eq!(
        err.trim(),
        "lab: expected quic-close=graceful but saw quic-close=abrupt"
    );
    let (_, err) = run(&["--client", "gtlsclient", "--expect", "alt-svc-seen"], 1);
    assert!(
        err.contains("expected alt-svc-seen but saw no TCP fetch"),
        "{err}"
    );
    let o = lab(&["--expect", "quic-close=sometime"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("is not an expectation"));
}

#[test]
fn kept_capture_reads_again_with_lab_analyze_and_the_key_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kept = dir.path().join("run");
    let (out, _) = run(&["--out", kept.to_str().expect("utf-8")], 0);
    assert!(out.contains("capture saved: "), "{out}");
    for f in [
        "discover.pcap",
        "discover.keylog",
        "ca.pem",
        "server.log",
        "dns.log",
    ] {
        assert!(kept.join(f).is_file(), "{f} kept");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(kept.join("discover.pcap"))
        .arg("--keylog")
        .arg(kept.join("discover.keylog"))
        .output()
        .expect("run lab analyze");
    let a = text(&o.stdout);
    assert!(
        a.contains("HTTP/3 stream 0: GET wirelab.test/ → 200"),
        "{a}"
    );
    assert!(
        a.contains("ALPN offered: http/1.1; the server chose http/1.1"),
        "{a}"
    );
}

#[test]
fn a_missing_client_fails_loudly() {
    // PATH with `ip` alone (the namespace needs it) and no gtlsclient.
    let dir = tempfile::tempdir().expect("temp dir");
    let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("iproute2 is installed");
    std::os::unix::fs::symlink(ip, dir.path().join("ip")).expect("symlink");
    let o = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["discover", "--client", "gtlsclient"])
        .env("PATH", dir.path())
        .output()
        .expect("run lab");
    // An error, not an unmet expectation: exit 2, one line.
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("gtlsclient is not installed") && err.lines().count() == 1,
        "{err}"
    );
}

/// The venv `scripts/setup` makes, or the interpreter the lab is told to
/// use: it must import aioquic.
#[track_caller]
fn aioquic() {
    let python = std::env::var("WIRELAB_AIOQUIC_PYTHON")
        .unwrap_or_else(|_| "/opt/wirelab/aioquic/bin/python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import aioquic"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "{python} cannot import aioquic: run scripts/setup");
}

#[test]
fn aioquic_gets_an_h3_response_and_its_own_key_log_decrypts_the_capture() {
    aioquic();
    let dir = tempfile::tempdir().expect("temp dir");
    let kept = dir.path().join("run");
    let (out, _) = run(
        &[
            "--client",
            "aioquic",
            "--expect",
            "h3-used",
            "--expect",
            "quic-close=graceful",
            "--expect",
            "https-record",
            "--out",
            kept.to_str().expect("utf-8"),
        ],
        0,
    );
    for want in [
        "client   aioquic (scripts/clients/aioquic_get.py) (exit 0)",
        "the lab resolved for it (it reads no HTTPS record)",
        "SNI wirelab.test, ALPN offered h3,",
        "HANDSHAKE_DONE: ALPN chosen h3",
        "HTTP/3  stream 0: GET / → 200, 128 body bytes",
        "GOAWAY from the server",
        "connection_close by the server: H3_NO_ERROR (application 0x100)",
        "HTTP/3: ALPN h3, status 200, 128 body bytes",
        "QUIC ended: received CONNECTION_CLOSE (0x1d) code 0x100",
        "VERDICT  HTTPS record answered, HTTP/3 used",
    ] {
        assert!(out.contains(want), "missing {want:?}:\n{out}");
    }
    assert!(out.contains("0 TCP and 1 QUIC"), "{out}");
    // The client's key log alone (not the server's) opens the same
    // connection: aioquic wrote its secrets as it was asked to.
    let keys = kept.join("aioquic.keylog");
    let lines = std::fs::read_to_string(&keys).expect("aioquic.keylog kept");
    assert!(lines.contains("CLIENT_TRAFFIC_SECRET_0 "), "{lines}");
    let o = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(kept.join("discover.pcap"))
        .arg("--keylog")
        .arg(&keys)
        .output()
        .expect("run lab analyze");
    let a = text(&o.stdout);
    assert!(
        a.contains("HTTP/3 stream 0: GET wirelab.test/ → 200"),
        "{a}"
    );
    assert!(a.contains("EncryptedExtensions: ALPN h3"), "{a}");
}

#[test]
fn aioquic_sees_the_abrupt_close_code() {
    aioquic();
    let (out, _) = run(
        &[
            "--client",
            "aioquic",
            "--h3-close",
            "abrupt",
            "--expect",
            "quic-close=abrupt",
        ],
        0,
    );
    assert!(
        out.contains("QUIC ended: received CONNECTION_CLOSE (0x1d) code 0x102"),
        "{out}"
    );
}

#[test]
fn a_missing_aioquic_fails_loudly_naming_scripts_setup() {
    let o = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["discover", "--client", "aioquic"])
        .env("WIRELAB_AIOQUIC_PYTHON", "/nonexistent/wirelab/python3")
        .output()
        .expect("run lab");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("aioquic is not installed")
            && err.contains("scripts/setup")
            && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn json_document_holds_the_runs_facts_and_the_texts_verdict() {
    let expects = [
        "--expect",
        "https-record",
        "--expect",
        "alt-svc-seen",
        "--expect",
        "h3-used",
        "--expect",
        "quic-close=abrupt",
    ];
    // graceful, so quic-close=abrupt is unmet: exit 1, and the document
    // says which.
    let mut args = vec!["--format", "json"];
    args.extend(expects);
    let o = lab(&args);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert_eq!(
        err.trim(),
        "lab: expected quic-close=abrupt but saw quic-close=graceful"
    );
    let d: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(d["version"], 1);
    assert_eq!(d["run"]["client"], "own");
    assert_eq!(d["run"]["h3_close"], "graceful");
    assert_eq!(d["run"]["server"], "127.0.0.1:8443");
    assert_eq!(
        d["run"]["own_namespace"], true,
        "this test needs root for a private network namespace"
    );
    // DNS: the HTTPS answer, with its protocols.
    let dns = d["dns"].as_array().expect("dns");
    let https = dns
        .iter()
        .find(|m| m["kind"] == "answer" && m["question"] == "wirelab.test. HTTPS")
        .expect("HTTPS answer");
    assert_eq!(https["rcode"], "NOERROR");
    assert_eq!(
        https["answers"][0],
        "wirelab.test. 300 IN HTTPS 1 . alpn=\"h3,h2\" port=8443"
    );
    assert_eq!(https["https_protocols"][0], "h3");
    // Alt-Svc, read inside TLS with the key log and as received.
    assert_eq!(d["alt_svc"]["in_capture"], "h3=\":8443\"; ma=86400");
    assert_eq!(d["alt_svc"]["received"], d["alt_svc"]["in_capture"]);
    // One TCP connection, then one QUIC connection.
    let conns = d["connections"].as_array().expect("connections");
    let protocols: Vec<&str> = conns
        .iter()
        .filter_map(|c| c["protocol"].as_str())
        .collect();
    assert_eq!(protocols, ["tcp", "quic"]);
    let (tcp, quic) = (&conns[0], &conns[1]);
    assert_eq!(tcp["sni"], "wirelab.test");
    assert_eq!(tcp["alpn"], "http/1.1");
    assert_eq!(tcp["responses"][0]["status"], 200);
    assert_eq!(tcp["ending"]["ended"], "fin");
    assert_eq!(tcp["analyzer"]["ended"], "fin");
    assert_eq!(quic["alpn"], "h3");
    assert_eq!(quic["analyzer"]["alpn"], "h3");
    assert_eq!(quic["responses"][0]["stream"], 0);
    assert_eq!(quic["responses"][0]["status"], 200);
    assert_eq!(quic["responses"][0]["body_bytes"], 128);
    assert_eq!(quic["ending"]["ended"], "connection_close");
    assert_eq!(quic["ending"]["ended"], quic["analyzer"]["ending"]);
    assert_eq!(quic["ending"]["kind"], "graceful");
    let close = &quic["ending"]["connection_close"];
    assert_eq!(close["by"], "server");
    assert_eq!(close["code"], 0x100);
    assert_eq!(close["application"], true);
    // Verdict and expectations.
    let v = &d["verdict"];
    assert_eq!(v["https_record"], true);
    assert_eq!(v["alt_svc_h3"], true);
    assert_eq!(v["quic"], "h3-used");
    let met: Vec<(&str, bool)> = d["expect"]
        .as_array()
        .expect("expect")
        .iter()
        .map(|e| (e["name"].as_str().unwrap_or(""), e["met"] == true))
        .collect();
    assert_eq!(
        met,
        [
            ("https-record", true),
            ("alt-svc-seen", true),
            ("h3-used", true),
            ("quic-close=abrupt", false)
        ]
    );
    assert_eq!(d["expect"][3]["seen"], "quic-close=graceful");
    // The witnesses: what the client said, and the server's log.
    assert_eq!(d["witnesses"]["client"]["h3"]["status"], 200);
    assert!(
        d["witnesses"]["server_log"].as_array().is_some_and(|l| l
            .iter()
            .any(|x| x.as_str().is_some_and(|x| x.contains("H3_NO_ERROR")))),
        "{}",
        d["witnesses"]["server_log"]
    );
    // The text report of the same run's options prints the same verdict.
    let (text_out, _) = run(&expects[..6], 0);
    let line = format!("VERDICT  {}", v["text"].as_str().expect("verdict text"));
    assert!(text_out.contains(&line), "{line:?} in\n{text_out}");
}
