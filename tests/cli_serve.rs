//! The `lab serve` binary: help, logging to stderr, curl's (56), clean stop on
//! SIGTERM and SIGINT, one-line errors.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::curl_status;
use rustix::process::{Pid, Signal, kill_process};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

struct Serve {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(LAB)
            .args(["serve", "--port", "0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("lab runs");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Serve {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `needle`.
    #[track_caller]
    fn wait_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!(
                    "no stderr line with {needle:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The URL from the text `listening` line.
    fn url(&mut self) -> String {
        let line = self.wait_line("event=listening");
        let addr = line
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("addr="))
            .expect("addr= in listening line");
        format!("http://{addr}/")
    }

    #[track_caller]
    fn signal_and_wait(mut self, sig: Signal) -> (std::process::ExitStatus, Vec<String>) {
        let pid = Pid::from_raw(self.child.id() as i32).expect("pid");
        kill_process(pid, sig).expect("signal sent");
        let status = self.child.wait().expect("lab exits");
        let mut seen = std::mem::take(&mut self.seen);
        seen.extend(self.lines.iter());
        (status, seen)
    }
}

impl Drop for Serve {
    /// A failed assertion must not leave the server running (it would hold the
    /// test harness's output pipe open).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn help_documents_every_mode_and_knob() {
    let out = Command::new(LAB)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "no-read",
        "partial",
        "full",
        "drain",
        "abort",
        "--framing",
        "--body-size",
        "--status",
        "--keep-alive",
        "--respond-before-body",
        "--max-body",
        "--partial-bytes",
        "--linger-idle",
        "--linger-total",
        "--header-timeout",
        "--idle-timeout",
        "--max-conns",
        "--http2",
        "prior-knowledge",
        "--max-streams",
        "--log",
        "RST",
        "FIN",
    ] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
}

#[test]
fn no_read_close_framing_gives_curl_56_and_sigterm_stops_cleanly() {
    let mut serve = Serve::start(&["--mode", "no-read", "--framing", "close"]);
    let url = serve.url();
    let c = curl_status(&url, &["-d", "a request body the server never reads"]);
    assert_eq!(c.code, 56, "{c:?}");
    serve.wait_line("event=closed end=\"we provoked RST\"");
    let (status, lines) = serve.signal_and_wait(Signal::TERM);
    assert!(status.success(), "{status:?}");
    assert!(
        lines.last().is_some_and(|l| l.contains("event=stopped")),
        "{lines:?}"
    );
}

#[test]
fn json_log_and_ctrl_c() {
    let mut serve = Serve::start(&["--mode", "drain", "--log", "json"]);
    let listening: serde_json::Value =
        serde_json::from_str(&serve.wait_line("\"listening\"")).expect("json line");
    let url = format!("http://{}/", listening["addr"].as_str().expect("addr"));
    let c = curl_status(&url, &["-H", "Connection: close"]);
    assert_eq!((c.code, c.stdout.as_str()), (0, "200 128"), "{c:?}");
    let closed: serde_json::Value =
        serde_json::from_str(&serve.wait_line("\"closed\"")).expect("json line");
    assert_eq!(closed["end"], "we_sent_fin");
    assert_eq!(closed["conn"], 1);
    let (status, _) = serve.signal_and_wait(Signal::INT);
    assert!(status.success(), "{status:?}");
}

#[test]
fn bad_flags_give_one_line_errors() {
    let out = Command::new(LAB)
        .args(["serve", "--port", "0", "--mode", "full", "--status", "100"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("status 100"), "{err}");
}

#[test]
fn http2_flag_turns_each_way_in_on_and_off() {
    let w = ["-o", "/dev/null", "-w", "%{http_version} %{http_code}"];
    for (flag, upgrade, prior) in [
        ("both", "2 200", "2 200"),
        ("upgrade", "2 200", ""),
        ("prior-knowledge", "1.1 200", "2 200"),
        ("off", "1.1 200", ""),
    ] {
        let mut serve = Serve::start(&["--http2", flag, "--max-streams", "10"]);
        let url = serve.url();
        let c = common::curl(&[&w[..], &["--http2", &url]].concat());
        assert_eq!(c.stdout, upgrade, "--http2 {flag}: curl --http2 {c:?}");
        let c = common::curl(&[&w[..], &["--http2-prior-knowledge", &url]].concat());
        if prior.is_empty() {
            assert_ne!(
                c.code, 0,
                "--http2 {flag}: prior knowledge must fail: {c:?}"
            );
        } else {
            assert_eq!(c.stdout, prior, "--http2 {flag}: {c:?}");
            serve.wait_line("event=preface start=prior-knowledge");
            serve.wait_line("MAX_CONCURRENT_STREAMS:10");
        }
    }
}

#[test]
fn tls_writes_its_ca_serves_h2_and_http11_and_refuses_misused_flags() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    let ca = ca.to_str().expect("utf-8 path");
    let mut serve = Serve::start(&["--tls", "--write-ca", ca]);
    let line = serve.wait_line("event=listening-tls");
    assert!(
        line.contains(" alpn=h2,http/1.1 versions=1.2,1.3"),
        "{line}"
    );
    let port = line
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("addr=127.0.0.1:"))
        .expect("addr= in the listening-tls line");
    let url = format!("https://localhost:{port}/");
    let w = [
        "--cacert",
        ca,
        "-o",
        "/dev/null",
        "-w",
        "%{http_version} %{http_code}",
    ];
    for (flag, want) in [("--http2", "2 200"), ("--http1.1", "1.1 200")] {
        let c = common::curl(&[&w[..], &[flag, &url]].concat());
        assert_eq!(c.stdout, want, "{flag}: {c:?}");
    }
    serve.wait_line("event=tls-established version=1.3");
    let (status, _) = serve.signal_and_wait(Signal::TERM);
    assert!(status.success(), "{status:?}");

    for (args, says) in [
        (
            &["--alpn", "h2"][..],
            "TLS options need --tls or --tls-port",
        ),
        (
            &["--tls", "--alpn", "h2c"][..],
            "h2c is never used over TLS (RFC 9113 §3.2)",
        ),
        (
            &["--tls", "--alpn", "h2", "--http2", "off"][..],
            "--alpn h2 with --http2 off leaves nothing to offer",
        ),
        (
            &[
                "--tls",
                "--cert",
                "/nonexistent.pem",
                "--key",
                "/nonexistent.pem",
            ][..],
            "cannot read /nonexistent.pem",
        ),
    ] {
        let out = Command::new(LAB)
            .args(["serve", "--port", "0"])
            .args(args)
            .output()
            .expect("lab runs");
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.lines().count() <= 3, "{args:?}: {err}");
    }
}
