//! Every subcommand on its failure paths: a reader that goes away (`| head`,
//! `| true`), errors that name their cause once with the path or value, and
//! Ctrl-C in the middle of `lab reset --repeat`. The reset runs need root and
//! curl, like every lab run; nothing here skips.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `lab args` with its stdout a pipe whose reading end is already
/// closed, so that its first write fails with EPIPE.
fn with_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(LAB)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lab runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("lab ends")
}

#[test]
fn a_closed_stdout_ends_every_subcommand_quietly() {
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/no-read.pcap");
    for args in [
        &["reset", "--mode", "full"][..],
        &["reset", "--mode", "no-read", "--format", "json"][..],
        &["analyze", capture][..],
        &["analyze", capture, "--format", "json"][..],
        &["--help"][..],
    ] {
        let o = with_closed_stdout(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} wrote to stderr: {err}");
    }
}

/// A closed stderr (`2>&1 | head -1` after the first line) is no panic either:
/// the exit status still tells the outcome.
#[test]
fn a_closed_stderr_is_no_panic() {
    for (args, code) in [
        (&["reset", "--mode", "drain", "--repeat", "2"][..], 0),
        (&["reset", "--mode", "drain", "--expect", "rst"][..], 1),
        (&["reset", "--status", "99"][..], 2),
    ] {
        let mut child = Command::new(LAB)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lab runs");
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

/// `lab serve` writes its log to stderr: a log reader that went away must
/// neither panic nor stop the server.
#[test]
fn serve_outlives_a_closed_log_reader() {
    let mut child = Command::new(LAB)
        .args(["serve", "--port", "0", "--mode", "no-read"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("lab runs");
    drop(child.stderr.take());
    // The port is not known without the log: find it in /proc/net/tcp.
    let port = listening_port(child.id()).expect("lab serve listens");
    let c = common::curl_status(&format!("http://127.0.0.1:{port}/"), &[]);
    assert_eq!(c.code, 0, "{c:?}");
    stop(&mut child, Signal::TERM);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// The port a child process listens on, from its socket inode.
fn listening_port(pid: u32) -> Option<u16> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .ok()?
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter_map(|l| {
                let l = l.to_string_lossy().into_owned();
                Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
            })
            .collect();
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        for line in table.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // State 0A is LISTEN.
            if f.len() > 9 && f[3] == "0A" && inodes.iter().any(|i| i == f[9]) {
                let port = f[1].rsplit(':').next()?;
                return u16::from_str_radix(port, 16).ok();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn stop(child: &mut Child, sig: Signal) {
    let pid = Pid::from_raw(child.id() as i32).expect("pid");
    kill_process(pid, sig).expect("signal");
}

/// One stderr line, starting `lab: `, that names `what`, and no cause twice.
#[track_caller]
fn one_line_error(o: &Output, what: &str) -> String {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("lab: "), "{err}");
    assert!(err.contains(what), "{what:?} not named: {err}");
    let parts: Vec<&str> = err.trim_end().split(": ").collect();
    for (i, p) in parts.iter().enumerate() {
        assert!(!parts[i + 1..].contains(p), "{p:?} said twice: {err}");
    }
    err
}

fn lab(args: &[&str]) -> Output {
    Command::new(LAB).args(args).output().expect("lab runs")
}

#[test]
fn errors_name_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pcap");
    let missing = missing.to_str().unwrap();
    let e = one_line_error(&lab(&["analyze", missing]), missing);
    assert!(e.contains("No such file"), "{e}");
    let folder = dir.path().to_str().unwrap();
    let e = one_line_error(&lab(&["analyze", folder]), folder);
    assert!(e.contains("directory"), "{e}");

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let e = one_line_error(&lab(&["serve", "--port", &port]), &port);
    assert!(e.contains("in use"), "{e}");

    one_line_error(&lab(&["reset", "--mode", "full", "--status", "99"]), "99");
    one_line_error(&lab(&["serve", "--port", "0", "--status", "99"]), "99");

    let o = Command::new(LAB)
        .args(["reset", "--client", "curl"])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    let e = one_line_error(&o, "curl");
    assert!(e.contains("scripts/setup"), "{e}");
}

#[test]
fn reset_expect_failures_are_one_prefixed_line() {
    let o = lab(&[
        "reset", "--mode", "drain", "--expect", "rst", "--repeat", "2",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("lab: expected rst but saw fin (0/2 runs matched --expect rst; "),
        "{err}"
    );
}

/// SIGINT to the lab alone (not to its process group), as a test can send it:
/// the run in progress finishes, the count so far is printed, exit 130.
#[test]
fn ctrl_c_during_repeat_prints_the_count_so_far() {
    let mut child = Command::new(LAB)
        .args([
            "reset", "--mode", "drain", "--expect", "fin", "--repeat", "500",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lab runs");
    std::thread::sleep(Duration::from_millis(1500));
    stop(&mut child, Signal::INT);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // "lab: interrupted after N of 500 runs: N/N matched --expect fin so far; ..."
    let rest = err
        .strip_prefix("lab: interrupted after ")
        .unwrap_or_else(|| panic!("{err}"));
    let n: usize = rest.split(' ').next().unwrap().parse().expect("a count");
    assert!(n > 0 && n < 500, "{err}");
    assert!(
        rest.contains(&format!("{n}/{n} matched --expect fin so far")),
        "{err}"
    );
}
