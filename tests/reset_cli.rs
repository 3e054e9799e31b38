//! `lab reset` as CI uses it: `--expect` exit codes and their one-line
//! messages, `--repeat` counts, `--format json`, and refusals of impossible
//! combinations. Needs root and curl, like every lab run; never skips.

use std::process::{Command, Output};

fn lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("reset")
        .args(args)
        .output()
        .expect("run lab")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn expect_match_exits_0_and_prints_the_report() {
    let o = lab(&["--mode", "no-read", "--expect", "rst"]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(
        out.contains("VERDICT  RST by the server (unread_data)"),
        "{out}"
    );
    assert!(out.contains("LADDER"));
    assert!(out.contains("The witnesses agree."), "{out}");
    assert!(
        out.lines()
            .filter(|l| l.contains('|'))
            .all(|l| l.chars().count() <= 80)
    );
}

#[test]
fn expect_mismatch_exits_1_with_one_line() {
    let o = lab(&["--mode", "drain", "--expect", "rst"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("lab: expected rst but saw fin: "), "{err}");
}

#[test]
fn repeat_counts_matching_runs() {
    let o = lab(&["--mode", "drain", "--expect", "fin", "--repeat", "5"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stderr).contains("5/5 runs matched --expect fin; 0 had disagreeing witnesses"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn json_document_carries_all_three_witnesses() {
    let o = lab(&["--mode", "abort", "--client", "curl", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["version"], 1);
    let run = &doc["run"];
    // The names and shapes of `lab analyze --format json`.
    assert_eq!(run["verdict"]["ended"], "rst");
    assert_eq!(run["verdict"]["rst"]["sender"], "server");
    assert_eq!(run["verdict"]["rst"]["phase"], "unread_data");
    assert_eq!(run["verdict"]["zeek"]["conn_state"], "RSTR");
    assert_eq!(run["connections"][0]["ended"], "rst");
    assert_eq!(run["connections"][0]["rst"], run["verdict"]["rst"]);
    assert_eq!(run["connections"][0]["zeek"]["conn_state"], "RSTR");
    assert_eq!(run["server_log"][0]["end"], "we_aborted");
    assert_eq!(run["kernel"]["isolation"], "private_namespace");
    assert_eq!(run["kernel"]["deltas"]["TcpExtTCPAbortOnData"], 1);
    assert_eq!(run["client"]["kind"], "curl");
    assert!(run["client"]["curl_exit"].is_i64());
    assert_eq!(run["disagreements"].as_array().map(Vec::len), Some(0));
    assert!(
        run["ladder"][0]["rungs"]
            .as_array()
            .is_some_and(|r| r.len() >= 7)
    );
    assert_eq!(doc["matched"], 1);
}

#[test]
fn save_pcap_writes_a_capture_the_analyzer_agrees_with() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("no-read.pcap");
    let o = lab(&["--mode", "no-read", "--save-pcap", pcap.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let a = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args([
            "analyze",
            pcap.to_str().unwrap(),
            "--expect",
            "rst",
            "--expect",
            "conn_state=RSTR",
        ])
        .output()
        .unwrap();
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}{}",
        text(&a.stdout),
        text(&a.stderr)
    );
}

#[test]
fn impossible_combinations_are_refused_in_one_line() {
    for args in [
        &["--mode", "full", "--client", "curl", "--late-bytes", "5"][..],
        &["--mode", "full", "--client", "curl", "--pipeline", "2"][..],
        &["--mode", "full", "--keep-alive", "--framing", "close"][..],
    ] {
        let o = lab(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("lab: "), "{err}");
    }
}

/// The HTTP/2 lab's conflicts, worded by the command line with its flags
/// (the library names what each setting means, not the flag).
#[test]
fn protocol_conflicts_name_their_flags() {
    for (args, says) in [
        (
            &["--proto", "h1", "--client", "nghttp"][..],
            "--client nghttp speaks only HTTP/2: use --proto h2c-upgrade or h2-prior",
        ),
        (
            &[
                "--proto",
                "h2-prior",
                "--client",
                "own",
                "--request-body",
                "100000",
            ][..],
            "--request-body over 65535 bytes with --proto h2-prior needs --client curl: the raw client sends its body within the server's initial window",
        ),
        (
            &[
                "--proto",
                "h2c-upgrade",
                "--client",
                "own",
                "--client-pause",
                "1",
            ][..],
            "--client-pause with HTTP/2 needs --client curl",
        ),
        (
            &[
                "--proto",
                "h2c-upgrade",
                "--client",
                "curl",
                "--http-version",
                "1.0",
            ][..],
            "--http-version 1.0 is an HTTP/1 scenario: use it with --proto h1",
        ),
        (
            &["--proto", "h2-prior", "--client", "curl", "--pipeline", "2"][..],
            "--pipeline is an HTTP/1 scenario: use it with --proto h1",
        ),
        (
            &[
                "--proto",
                "h2-prior",
                "--client",
                "nghttp",
                "--request-body",
                "10",
            ][..],
            "--request-body with HTTP/2 needs --client curl",
        ),
        (
            &[
                "--proto",
                "h2-prior",
                "--client",
                "nghttp",
                "--client-pause",
                "1",
            ][..],
            "--client-pause needs --client curl or own",
        ),
    ] {
        let o = lab(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&o.stderr), format!("lab: {says}\n"), "{args:?}");
    }
}
