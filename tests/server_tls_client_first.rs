//! The client ends TLS first, and the server answers with its own
//! close_notify before its FIN (RFC 8446 §6.1: each party MUST send one
//! before closing its write side). Real peers, each ending its own way:
//! curl over HTTP/1.1 (close_notify, then `close()` at once), curl over
//! HTTP/2 (a bare FIN), OpenSSL's s_client and Python's `ssl` (close_notify,
//! then they read the server's before closing). tshark with the server's
//! key log is the oracle for the alerts' direction and frames; the
//! server's log and `lab analyze --keylog` must say the same.
//!
//! Needs root (capture), curl, openssl, python3 and tshark
//! (scripts/setup); without them the tests fail, they do not skip.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::curl;
use common::tls_ending::{BENIGN_RST, CLEAN, Ending, capture};
use wirelab::server::{CloseEnding, Dir, Event, PeerClose, ReadMode};

fn answered(peer: PeerClose) -> Event {
    Event::CloseNotify {
        dir: Dir::Sent,
        answering: Some(peer),
    }
}

const RECEIVED: Event = Event::CloseNotify {
    dir: Dir::Received,
    answering: None,
};

/// The log in order: the client's end, then our answer, then the close
/// (`peer FIN (EOF)`: the client closed first).
#[track_caller]
fn answered_in_order(e: &Ending, theirs: &Event, peer: PeerClose) {
    let at = |want: &Event| e.log.iter().position(|ev| ev == want);
    let got = at(theirs).unwrap_or_else(|| panic!("{theirs:?} not logged: {e:?}"));
    let ours = at(&answered(peer)).unwrap_or_else(|| panic!("no answer logged: {e:?}"));
    assert!(got < ours, "{e:?}");
    assert_eq!(e.closed.end, CloseEnding::PeerFin, "{e:?}");
    assert_eq!(e.closed.unread, 0, "{e:?}");
    // One close_notify from the server, and it went before its FIN.
    assert_eq!(e.server_alerts, vec!["0"], "{e:?}");
    match e.first.as_str() {
        "FIN" => assert!(e.server_alert_frames[0] <= e.first_frame, "{e:?}"),
        // On loopback a client that has closed its socket resets our
        // answer within our own write, before our close() can send a FIN.
        "none" => assert!(
            e.client_rst.is_some_and(|r| r > e.server_alert_frames[0]),
            "{e:?}"
        ),
        _ => panic!("the server must not reset: {e:?}"),
    }
    assert_eq!(e.responses, 1, "{e:?}");
}

/// curl with keep-alive (no `Connection: close`): it closes first once
/// its answer (with a Content-Length) is in.
#[track_caller]
fn curl_first(proto: &str) -> Ending {
    capture(ReadMode::Full, true, |port, ca| {
        let url = format!("https://localhost:{port}/first");
        let c = curl(&[
            "--cacert",
            ca.to_str().expect("utf-8"),
            proto,
            "-o",
            "/dev/null",
            &url,
        ]);
        assert_eq!(c.code, 0, "curl: {}", c.stderr);
    })
}

#[test]
fn curl_http11_closes_with_close_notify_and_its_kernel_resets_our_answer() {
    let e = curl_first("--http1.1");
    answered_in_order(&e, &RECEIVED, PeerClose::CloseNotify);
    // The client's alert came first, ours answered it.
    assert!(
        e.client_alert_frames.first() < e.server_alert_frames.first(),
        "{e:?}"
    );
    // curl calls close() right after its close_notify: our answer meets a
    // socket that cannot read it, and its kernel resets (RFC 1122
    // §4.2.2.13). The cost of the MUST, after both ends of data.
    let rst = e
        .client_rst
        .unwrap_or_else(|| panic!("no RST from curl: {e:?}"));
    assert!(rst > e.server_alert_frames[0], "{e:?}");
    assert_eq!(e.analyzed, BENIGN_RST, "{e:?}");
}

#[test]
fn curl_http2_closes_with_a_bare_fin_and_still_gets_close_notify() {
    let e = curl_first("--http2");
    let truncated = Event::Truncation { dir: Dir::Received };
    answered_in_order(&e, &truncated, PeerClose::Fin);
    assert!(
        e.client_alert_frames.is_empty(),
        "curl sent no alert: {e:?}"
    );
    let rst = e
        .client_rst
        .unwrap_or_else(|| panic!("no RST from curl: {e:?}"));
    assert!(rst > e.server_alert_frames[0], "{e:?}");
    assert_eq!(e.analyzed, BENIGN_RST, "{e:?}");
}

#[test]
fn python_ssl_unwrap_reads_our_answer_so_fin_both_ways() {
    let e = capture(ReadMode::Full, true, |port, ca| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/tls_client.py");
        let out = Command::new("python3")
            .arg(script)
            .args(["unwrap", &port.to_string()])
            .arg(ca)
            .output()
            .unwrap_or_else(|e| panic!("python3 could not run ({e}): run scripts/setup"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("\"status\": 200") && text.contains("\"unwrapped\": true"),
            "unwrap() got the server's close_notify: {text}"
        );
    });
    answered_in_order(&e, &RECEIVED, PeerClose::CloseNotify);
    assert!(
        e.client_alert_frames.first() < e.server_alert_frames.first(),
        "{e:?}"
    );
    assert_eq!(e.client_rst, None, "{e:?}");
    assert_eq!(e.analyzed, CLEAN, "{e:?}");
}

#[test]
fn openssl_s_client_at_end_of_input_reads_our_answer_so_fin_both_ways() {
    let e = capture(ReadMode::Full, true, |port, ca| {
        let mut child = Command::new("openssl")
            .args(["s_client", "-connect"])
            .arg(format!("localhost:{port}"))
            .args(["-servername", "localhost", "-CAfile"])
            .arg(ca)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("openssl could not run ({e}): run scripts/setup"));
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"GET /s HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .expect("request");
        // End of input once the answer is in: s_client then sends its
        // close_notify (it is not -quiet, so not -ign_eof).
        std::thread::sleep(std::time::Duration::from_millis(500));
        drop(stdin);
        let out = child.wait_with_output().expect("s_client ends");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("HTTP/1.1 200"), "{text}");
    });
    answered_in_order(&e, &RECEIVED, PeerClose::CloseNotify);
    assert_eq!(e.client_rst, None, "{e:?}");
    assert_eq!(e.analyzed, CLEAN, "{e:?}");
}
