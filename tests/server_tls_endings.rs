//! The read modes' endings over TLS, from a loopback capture: whether the
//! server's first teardown segment was a FIN or a RST, and whether a
//! close_notify alert went before it. In TLS 1.3 every alert is an
//! encrypted record of type 23 like application data (RFC 8446 §5.2), so
//! the oracle is tshark decrypting the capture with the server's own key
//! log (`--keylog`); the server's event log must say the same.
//!
//! Needs root (or CAP_NET_RAW) for the capture, curl and tshark
//! (scripts/setup); without them the tests fail, they do not skip.

mod common;

use std::path::Path;

use common::tls_ending::{BENIGN_RST, CLEAN, Ending, capture};
use common::{curl, start_with};
use wirelab::server::{CloseEnding, Config, Dir, Event, ReadMode, TlsSettings};

/// Serves one `curl --http1.1 -H 'Connection: close'` in `mode` over TLS
/// while capturing it.
#[track_caller]
fn ending(mode: ReadMode, close_notify: bool) -> Ending {
    ending_over(mode, close_notify, "--http1.1")
}

/// As [`ending`], with curl's protocol flag (`--http1.1`, `--http2`).
#[track_caller]
fn ending_over(mode: ReadMode, close_notify: bool, proto: &str) -> Ending {
    capture(mode, close_notify, |port, ca| {
        let url = format!("https://localhost:{port}/end");
        let c = curl(&[
            "--cacert",
            ca.to_str().expect("utf-8"),
            proto,
            "-H",
            "Connection: close",
            "-o",
            "/dev/null",
            &url,
        ]);
        // no-read's RST may cut the response short; the capture is the witness.
        assert!(matches!(c.code, 0 | 56), "curl: {}", c.stderr);
    })
}

/// A TLS 1.3 alert record on the wire: a 5-byte record header, then the
/// encrypted 2-byte alert, its 1-byte inner content type and the 16-byte
/// AEAD tag (RFC 8446 §5.2).
const TLS13_ALERT_RECORD: usize = 5 + 2 + 1 + 16;

/// `full` closes right after its last records, and so races the client:
/// curl answers the response (and our close_notify) with a close_notify of
/// its own, and if that record reaches the kernel before our close, the
/// close finds it unread and is a RST (RFC 2525 §2.17); after our close,
/// it draws a RST from the closed socket behind our FIN. Both are real
/// endings of the same server behaviour; only the order is timing. This
/// accepts the RST-first ending only when the one unread thing was the
/// client's alert record and the capture shows it arriving before the RST.
#[track_caller]
fn fin_unless_the_clients_close_notify_raced(e: &Ending) {
    if e.first == "FIN" {
        assert_eq!(e.closed.end, CloseEnding::WeSentFin, "{e:?}");
        return;
    }
    assert_eq!(e.first, "RST", "{e:?}");
    assert_eq!(e.closed.end, CloseEnding::WeProvokedRst, "{e:?}");
    assert_eq!(
        e.closed.unread, TLS13_ALERT_RECORD,
        "only the client's alert record may be unread: {e:?}"
    );
    assert!(
        e.client_alert_frames.iter().any(|&f| f < e.first_frame),
        "the client's close_notify must precede the RST: {e:?}"
    );
}

fn said(e: &Ending, event: &Event) -> bool {
    e.log.contains(event)
}

const SENT: Event = Event::CloseNotify {
    dir: Dir::Sent,
    answering: None,
};
const TRUNCATED: Event = Event::Truncation { dir: Dir::Sent };

#[test]
fn full_sends_close_notify_then_fin() {
    let e = ending(ReadMode::Full, true);
    assert_eq!(e.responses, 1, "{e:?}");
    fin_unless_the_clients_close_notify_raced(&e);
    assert_eq!(e.server_alerts, vec!["0"], "one close_notify: {e:?}");
    assert!(said(&e, &SENT) && !said(&e, &TRUNCATED), "{e:?}");
    // curl answers the close_notify with its own, and may then reset.
    let analyzed = &e.analyzed;
    assert!(analyzed == CLEAN || analyzed == BENIGN_RST, "{e:?}");
}

#[test]
fn no_close_notify_closes_with_a_bare_fin() {
    let e = ending(ReadMode::Full, false);
    assert_eq!(e.responses, 1, "{e:?}");
    // curl still closes with a close_notify of its own.
    fin_unless_the_clients_close_notify_raced(&e);
    assert!(e.server_alerts.is_empty(), "no alert at all: {e:?}");
    assert!(said(&e, &TRUNCATED) && !said(&e, &SENT), "{e:?}");
    assert!(
        e.analyzed.contains("none from the server (truncation"),
        "{e:?}"
    );
}

#[test]
fn no_read_leaves_the_request_records_unread_so_rst() {
    let e = ending(ReadMode::NoRead, true);
    assert_eq!(e.first, "RST", "{e:?}");
    assert_eq!(e.closed.end, CloseEnding::WeProvokedRst, "{e:?}");
    assert!(e.closed.unread > 0, "{e:?}");
    // The alert went out before the RST: the application had finished.
    assert_eq!(e.server_alerts, vec!["0"], "{e:?}");
    assert!(said(&e, &SENT), "{e:?}");
}

#[test]
fn h2_no_read_answers_then_close_notify_then_rst() {
    let e = ending_over(ReadMode::NoRead, true, "--http2");
    assert_eq!(
        e.responses, 1,
        "curl's answer went out before the RST: {e:?}"
    );
    assert_eq!(e.server_alerts, vec!["0"], "{e:?}");
    match e.first.as_str() {
        "RST" => assert_eq!(e.closed.end, CloseEnding::WeProvokedRst, "{e:?}"),
        // Two closers race here: on a loaded machine curl can read the
        // answer and the close_notify and close before its SETTINGS ACK
        // reaches the server, and then its own kernel's RST ends the
        // connection. Either way the RST comes after the server's
        // close_notify, which is the lesson.
        "none" => assert!(
            e.client_rst
                .is_some_and(|rst| e.server_alert_frames.first().is_some_and(|a| *a < rst)),
            "{e:?}"
        ),
        other => panic!("the server's first end is {other}, not a RST: {e:?}"),
    }
}

#[test]
fn drain_sends_close_notify_and_fin_then_reads_to_the_clients_end() {
    let e = ending(ReadMode::Drain, true);
    assert_eq!(e.first, "FIN", "{e:?}");
    assert_eq!(e.server_alerts, vec!["0"], "{e:?}");
    assert!(said(&e, &SENT), "{e:?}");
    // The log in wire order: the alert left with the response, before the FIN.
    let at = |want: fn(&Event) -> bool| e.log.iter().position(want);
    let alert = at(|ev| *ev == SENT).expect("close_notify logged");
    let fin = at(|ev| matches!(ev, Event::HalfClosed { .. })).expect("half-close logged");
    assert!(alert < fin, "{e:?}");
    assert_eq!(e.closed.end, CloseEnding::WeSentFin, "{e:?}");
}

#[test]
fn abort_sends_rst_and_no_alert() {
    let e = ending(ReadMode::Abort, true);
    assert_eq!(e.first, "RST", "{e:?}");
    assert!(e.server_alerts.is_empty(), "{e:?}");
    assert!(!said(&e, &SENT), "{e:?}");
    assert_eq!(e.closed.end, CloseEnding::WeAborted);
}

#[test]
fn the_key_log_names_both_traffic_secrets() {
    // Without the server's key log tshark could not have decrypted the
    // alerts above; check its lines directly too.
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("k");
    let lab = start_with(Config {
        tls: Some(TlsSettings {
            keylog: Some(keys.clone()),
            ..TlsSettings::default()
        }),
        ..Config::default()
    });
    let c = curl(&[
        "-k",
        "--http2",
        &format!("https://127.0.0.1:{}/", lab.addr.port()),
    ]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    lab.stop();
    let text = std::fs::read_to_string(Path::new(&keys)).expect("key log");
    for label in [
        "CLIENT_TRAFFIC_SECRET_0 ",
        "SERVER_TRAFFIC_SECRET_0 ",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label}in {text}"));
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert_eq!(fields[1].len(), 64, "client random: {line}");
    }
}
