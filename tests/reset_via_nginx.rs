//! `lab reset --via nginx`: Debian's nginx as a real reverse proxy in front
//! of the teaching server, real curl in front of nginx, both legs captured
//! on loopback. Each test checks what the client got, each leg's verdict,
//! nginx's error-log line (the fourth witness) and, on the saved capture,
//! what `lab diagnose` names on the upstream leg.
//!
//! Needs root (capture, network namespace), nginx and curl (scripts/setup
//! installs them); a missing one fails the test with what to install.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn installed(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is not installed: apt-get install {program} (scripts/setup does)"
    );
}

fn lab(args: &[&str]) -> Output {
    installed("nginx");
    installed("curl");
    Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .output()
        .expect("run lab")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One run as JSON; `expect` must hold (exit 0).
fn run_json(args: &[&str], pcap: &Path) -> Value {
    let mut all = vec!["reset", "--via", "nginx", "--client", "curl"];
    all.extend_from_slice(args);
    let pcap = pcap.to_str().expect("utf-8 path");
    all.extend_from_slice(&["--format", "json", "--save-pcap", pcap]);
    let o = lab(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "lab {all:?}: {}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("one JSON document")
}

/// The endings of a leg's connections: `fin`, `rst-by-server`, ...
fn leg(run: &Value, name: &str) -> Vec<String> {
    run["proxy"][format!("{name}_leg")]["connections"]
        .as_array()
        .expect("a leg's connections")
        .iter()
        .map(|c| match c["rst_by"].as_str() {
            Some(by) => format!("{}-by-{by}", c["ending"].as_str().unwrap()),
            None => c["ending"].as_str().unwrap().to_string(),
        })
        .collect()
}

/// nginx's error-log messages with the request each names.
fn error_log(run: &Value) -> Vec<(String, String)> {
    run["proxy"]["error_log"]
        .as_array()
        .expect("the error log witness")
        .iter()
        .map(|l| {
            (
                l["message"].as_str().unwrap().to_string(),
                l["request"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Each leg's connections go to the right listener: the client's to
/// nginx, the upstream ones to the teaching server.
fn legs_are_where_they_belong(run: &Value) {
    let nginx = run["proxy"]["addr"].as_str().unwrap();
    let server = run["server"].as_str().unwrap();
    assert_ne!(nginx, server);
    for (name, to) in [("client", nginx), ("upstream", server)] {
        let conns = run["proxy"][format!("{name}_leg")]["connections"]
            .as_array()
            .unwrap();
        assert!(!conns.is_empty(), "no {name} leg in {run}");
        assert!(conns.iter().all(|c| c["server"] == to), "{name} leg: {run}");
    }
}

/// `lab diagnose --format json` on a saved capture: (cause, server, sender)
/// of each diagnosed RST.
fn diagnosed(pcap: &Path) -> Vec<(String, String, String)> {
    let o = lab(&["diagnose", "--format", "json", pcap.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("diagnose's JSON");
    doc["diagnoses"]
        .as_array()
        .expect("diagnoses")
        .iter()
        .map(|d| {
            (
                d["cause"].as_str().unwrap().to_string(),
                d["server"].as_str().unwrap().to_string(),
                d["rst"]["sender"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn no_read_resets_the_upstream_leg_and_nginx_cuts_the_clients_response() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("no-read.pcap");
    let doc = run_json(
        &[
            "--mode",
            "no-read",
            "--expect",
            "status:200,client:fin,upstream:rst-by-server",
        ],
        &pcap,
    );
    let run = &doc["run"];
    legs_are_where_they_belong(run);
    // The server's RST came after its close-delimited response head and
    // body had left; nginx had sent its client a chunked head, and the RST
    // ends its relay: it closes the client's leg with FIN, no last chunk.
    assert_eq!(run["client"]["status"], 200, "{run}");
    assert_eq!(run["client"]["curl_exit"], 18, "{run}");
    assert_eq!(leg(run, "client"), ["fin"], "{run}");
    assert_eq!(leg(run, "upstream"), ["rst-by-server"], "{run}");
    assert_eq!(run["verdict"]["ended"], "rst");
    assert_eq!(
        error_log(run),
        [(
            "readv() failed (104: Connection reset by peer) while reading upstream".to_string(),
            "GET / HTTP/1.1".to_string()
        )]
    );
    assert_eq!(run["disagreements"], serde_json::json!([]), "{run}");
    // diagnose finds the one RST on the upstream leg, sent by the server.
    let server = run["server"].as_str().unwrap();
    let d = diagnosed(&pcap);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].1.as_str(), d[0].2.as_str()), (server, "server"));
    assert!(
        ["linger-zero-abort", "closed-with-unread-data"].contains(&d[0].0.as_str()),
        "{d:?}"
    );
}

#[test]
fn full_ends_both_legs_with_fin_and_nginx_logs_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("full.pcap");
    let doc = run_json(
        &[
            "--mode",
            "full",
            "--expect",
            "status:200,client:fin,upstream:fin",
        ],
        &pcap,
    );
    let run = &doc["run"];
    legs_are_where_they_belong(run);
    assert_eq!(run["client"]["status"], 200);
    assert_eq!(run["client"]["curl_exit"], 0);
    assert_eq!(run["client"]["body_received"], 128);
    assert_eq!(leg(run, "client"), ["fin"]);
    assert_eq!(leg(run, "upstream"), ["fin"]);
    assert_eq!(error_log(run), []);
    assert!(diagnosed(&pcap).is_empty());
}

#[test]
fn the_keepalive_race_through_nginx_is_retried_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("race.pcap");
    let doc = run_json(
        &[
            "--mode",
            "full",
            "--keepalive-race",
            "--expect",
            "status:200,client:fin,upstream:rst-by-server",
        ],
        &pcap,
    );
    let run = &doc["run"];
    legs_are_where_they_belong(run);
    // curl got both answers on one connection and retried nothing itself:
    // nginx resent GET /second on a fresh upstream connection.
    assert_eq!(run["client"]["curl_exit"], 0);
    assert_eq!(run["client"]["curl_retry"], Value::Null);
    assert_eq!(run["client"]["body_received"], 256);
    assert_eq!(leg(run, "client"), ["fin"]);
    assert_eq!(leg(run, "upstream"), ["rst-by-server", "fin"], "{run}");
    assert_eq!(
        error_log(run),
        [(
            "recv() failed (104: Connection reset by peer) while reading response header from \
             upstream"
                .to_string(),
            "GET /second HTTP/1.1".to_string()
        )]
    );
    let server = run["server"].as_str().unwrap();
    let d = diagnosed(&pcap);
    assert_eq!(
        d,
        [(
            "keep-alive-race".to_string(),
            server.to_string(),
            "server".to_string()
        )]
    );
}

/// The same race with a POST: nginx does not send a non-idempotent
/// request again on another upstream connection (`proxy_next_upstream`
/// leaves `non_idempotent` off), so the RST becomes the 502 the user sees.
/// Unlike the upload's race, this one goes the same way every run.
#[test]
fn a_post_in_the_keepalive_race_draws_nginxs_502() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("race-post.pcap");
    let doc = run_json(
        &[
            "--mode",
            "full",
            "--keepalive-race",
            "--request-body",
            "100",
            "--expect",
            "status:502,client:fin,upstream:rst-by-server",
        ],
        &pcap,
    );
    let run = &doc["run"];
    legs_are_where_they_belong(run);
    assert_eq!(run["client"]["curl_exit"], 0);
    assert_eq!(run["client"]["status"], 502);
    // One upstream connection only: nothing was resent.
    assert_eq!(leg(run, "upstream"), ["rst-by-server"], "{run}");
    assert_eq!(
        error_log(run),
        [(
            "recv() failed (104: Connection reset by peer) while reading response header from \
             upstream"
                .to_string(),
            "POST /second HTTP/1.1".to_string()
        )]
    );
    let server = run["server"].as_str().unwrap();
    assert_eq!(
        diagnosed(&pcap),
        [(
            "keep-alive-race".to_string(),
            server.to_string(),
            "server".to_string()
        )]
    );
}

/// An upload the server never reads: nginx answers 502 when its write of
/// the request body meets the RST, and relays the server's 200 when its
/// read of the response comes first. Which one is a race on loopback (both
/// seen here); the status and nginx's log line always tell the same story.
#[test]
fn an_unread_upload_draws_a_502_or_the_relayed_200_and_the_log_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("upload.pcap");
    let doc = run_json(
        &[
            "--mode",
            "no-read",
            "--request-body",
            "4000000",
            "--expect",
            "upstream:rst-by-server",
        ],
        &pcap,
    );
    let run = &doc["run"];
    legs_are_where_they_belong(run);
    let log = error_log(run);
    let status = run["client"]["status"].as_u64().unwrap();
    let expected = match status {
        502 => "writev() failed (104: Connection reset by peer) while sending request to upstream",
        200 => "readv() failed (104: Connection reset by peer) while reading upstream",
        other => panic!("nginx answered {other}: {run}"),
    };
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].0, expected, "status {status}");
    assert_eq!(log[0].1, "POST / HTTP/1.1");
}

#[test]
fn the_terminal_report_names_both_legs_and_the_fourth_witness() {
    let o = lab(&[
        "reset", "--via", "nginx", "--mode", "no-read", "--client", "curl",
    ]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(
        out.starts_with("lab reset: via nginx, mode no-read, framing close, server 127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("\n  client leg    FIN\n"), "{out}");
    assert!(
        out.contains("\n  upstream leg  RST by the server (connection 2, frame "),
        "{out}"
    );
    assert!(
        out.contains(
            "\n  nginx    error: readv() failed (104: Connection reset by peer) while reading\n"
        ),
        "{out}"
    );
    // How much of the body nginx relayed before the RST varies (0 or 128
    // bytes were seen).
    assert!(out.contains(" bytes (server sent 128)"), "{out}");
    assert!(out.contains("The witnesses agree."), "{out}");
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
}

#[test]
fn a_missed_expectation_is_one_line_naming_what_the_client_got() {
    let o = lab(&[
        "reset",
        "--via",
        "nginx",
        "--mode",
        "no-read",
        "--client",
        "curl",
        "--expect",
        "upstream:rst-by-server,status:502",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "lab: expected status:502 but saw status:200: the client: curl: (18) transfer closed"
        ),
        "{err}"
    );
}

#[test]
fn without_nginx_the_run_fails_with_one_line() {
    // A PATH with curl but no nginx; no namespace, so `ip` is not needed.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/usr/bin/curl", bin.path().join("curl")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["reset", "--via", "nginx", "--client", "curl", "--no-netns"])
        .env("PATH", bin.path())
        .output()
        .expect("run lab");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "lab: nginx is not installed (not found on PATH): apt-get install nginx (scripts/setup \
         does)\n"
    );
}

#[test]
fn legs_and_proxy_refusals_are_one_line() {
    for (args, says) in [
        (
            &["reset", "--expect", "upstream:rst"][..],
            "lab: --expect client: and upstream: are the legs through a proxy: add --via\n",
        ),
        (
            &["reset", "--via", "nginx", "--tls"][..],
            "lab: --via speaks HTTP/1.1 in cleartext on both legs: no --tls, --proto h1\n",
        ),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_lab"))
            .args(args)
            .output()
            .expect("run lab");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&o.stderr), says, "{args:?}");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["reset", "--expect", "upstream:rst-by-nginx"])
        .output()
        .expect("run lab");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("a leg's ending is fin, rst, rst-by-client or rst-by-server"),
        "{}",
        text(&o.stderr)
    );
}
