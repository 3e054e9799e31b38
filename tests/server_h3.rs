//! `lab serve --tls --h3`: HTTP/3 on the TLS port number, against real
//! peers: the library's own client (quinn + h3), Debian's `gtlsclient`
//! (ngtcp2 and nghttp3, from scripts/setup; a missing one fails the test),
//! and curl over TCP for the Alt-Svc header. Each `--h3-close` ending is
//! checked from the client's side and in the event log; garbage datagrams
//! and a client without `h3` in its ALPN get a log line and change nothing.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::Lab;
use wirelab::client::h3::{self, Ending, Options};
use wirelab::http::pattern_byte;
use wirelab::server::{
    By, CloseLayer, Config, Event, H3Close, H3Settings, QuicEvent, Record, TlsSettings,
};

struct H3Lab {
    lab: Lab,
    h3: SocketAddr,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

#[track_caller]
fn start(close: H3Close, idle: Duration, tls: TlsSettings) -> H3Lab {
    let lab = common::start_with(Config {
        tls: Some(tls),
        h3: Some(H3Settings {
            close,
            idle_timeout: idle,
            ..H3Settings::default()
        }),
        ..Config::default()
    });
    let handle = lab.handle.as_ref().expect("running");
    let h3 = handle.h3_addr().expect("the h3 endpoint is bound");
    assert_eq!(
        Some(h3),
        handle.tls_addr(),
        "same address and port number as TLS"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, handle.ca_pem().expect("a generated CA")).expect("CA written");
    H3Lab {
        lab,
        h3,
        ca,
        _dir: dir,
    }
}

fn quic(r: &Record) -> Option<&QuicEvent> {
    match &r.event {
        Event::Quic(q) => Some(q),
        _ => None,
    }
}

fn url(addr: SocketAddr) -> String {
    format!("https://localhost:{}/", addr.port())
}

#[track_caller]
fn fetch(l: &H3Lab, options: &Options) -> h3::Fetched {
    h3::get(&url(l.h3), l.h3, options).expect("the h3 GET succeeds")
}

#[test]
fn graceful_is_goaway_then_h3_no_error_and_the_body_arrives_whole() {
    let mut l = start(
        H3Close::Graceful,
        Duration::from_secs(30),
        TlsSettings::default(),
    );
    let f = fetch(&l, &Options::new(&l.ca));
    assert_eq!((f.alpn.as_str(), f.status), ("h3", 200));
    let expected: Vec<u8> = (0..128).map(pattern_byte).collect();
    assert_eq!(f.body, expected);
    assert!(f.headers.contains(&("content-length".into(), "128".into())));
    assert_eq!(
        f.ending,
        Ending::ServerClosed {
            application: true,
            code: 0x100,
            reason: String::new()
        }
    );
    let close = l.wait_for(1, |r| {
        matches!(quic(r), Some(QuicEvent::ConnectionClose { .. }))
    });
    let text = l.lab.log_text();
    assert!(
        text.contains("event=quic-handshake")
            && text.contains("version=0x00000001 alpn=h3 sni=localhost"),
        "{text}"
    );
    assert!(
        text.contains(
            "event=stream id=0 method=GET target=/ request_bytes=0 status=200 body_bytes=128"
        ),
        "{text}"
    );
    assert!(text.contains("event=h3-goaway dir=sent id=4"), "{text}");
    assert_eq!(
        quic(&close[0]),
        Some(&QuicEvent::ConnectionClose {
            by: By::Us,
            layer: CloseLayer::Application,
            code: 0x100,
            name: "H3_NO_ERROR".into(),
            reason: String::new()
        })
    );
}

impl std::ops::Deref for H3Lab {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        &self.lab
    }
}
impl std::ops::DerefMut for H3Lab {
    fn deref_mut(&mut self) -> &mut Lab {
        &mut self.lab
    }
}

#[test]
fn abrupt_is_h3_internal_error_without_goaway_after_the_response() {
    let mut l = start(
        H3Close::Abrupt,
        Duration::from_secs(30),
        TlsSettings::default(),
    );
    let f = fetch(&l, &Options::new(&l.ca));
    assert_eq!((f.status, f.body.len()), (200, 128));
    assert!(
        matches!(
            f.ending,
            Ending::ServerClosed {
                application: true,
                code: 0x102,
                ..
            }
        ),
        "{:?}",
        f.ending
    );
    l.wait_for(1, |r| {
        matches!(
            quic(r),
            Some(QuicEvent::ConnectionClose {
                by: By::Us,
                code: 0x102,
                ..
            })
        )
    });
    assert!(!l.log_text().contains("h3-goaway"), "{}", l.log_text());
}

#[test]
fn idle_says_nothing_and_both_sides_time_out() {
    let mut l = start(
        H3Close::Idle,
        Duration::from_millis(400),
        TlsSettings::default(),
    );
    let mut options = Options::new(&l.ca);
    // No PINGs: they would keep the connection alive (RFC 9000 §10.1.2).
    options.keep_alive = None;
    let f = fetch(&l, &options);
    assert_eq!(f.status, 200);
    assert_eq!(f.ending, Ending::IdleTimeout);
    let idle = l.wait_for(1, |r| {
        matches!(quic(r), Some(QuicEvent::IdleTimeout { .. }))
    });
    assert_eq!(
        quic(&idle[0]),
        Some(&QuicEvent::IdleTimeout { announced_ms: 400 })
    );
    let text = l.log_text();
    assert!(!text.contains("connection-close"), "{text}");
}

#[test]
fn stateless_reset_answers_the_next_packet_of_a_forgotten_connection() {
    let mut l = start(
        H3Close::StatelessReset,
        Duration::from_secs(30),
        TlsSettings::default(),
    );
    let f = fetch(&l, &Options::new(&l.ca));
    assert_eq!((f.status, f.body.len()), (200, 128));
    assert_eq!(f.ending, Ending::StatelessReset);
    l.wait_for(1, |r| {
        matches!(quic(r), Some(QuicEvent::EndpointRestart { forgot: 1 }))
    });
    let resets = l.wait_for(1, |r| {
        matches!(quic(r), Some(QuicEvent::StatelessReset { .. }))
    });
    assert_eq!(
        resets[0].conn,
        Some(1),
        "logged under the forgotten connection"
    );
    // The restarted endpoint serves the next connection.
    let again = fetch(&l, &Options::new(&l.ca));
    assert_eq!(again.status, 200);
}

/// gtlsclient's output for one GET (its debug output names the frames).
#[track_caller]
fn gtlsclient(addr: SocketAddr) -> String {
    let out = Command::new("gtlsclient")
        .args(["--no-quic-dump", "--timeout=5s"])
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg(url(addr))
        .output()
        .expect("gtlsclient runs (scripts/setup installs ngtcp2-client)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn gtlsclient_gets_the_answer_and_sees_each_ending() {
    let cases = [
        (
            H3Close::Graceful,
            "CONNECTION_CLOSE(0x1d) error_code=(unknown)(0x100)",
        ),
        (
            H3Close::Abrupt,
            "CONNECTION_CLOSE(0x1d) error_code=(unknown)(0x102)",
        ),
        (H3Close::Idle, "ERR_IDLE_CLOSE"),
        (H3Close::StatelessReset, " SR token="),
    ];
    for (close, seen) in cases {
        let mut l = start(close, Duration::from_millis(500), TlsSettings::default());
        let out = gtlsclient(l.h3);
        assert!(out.contains("[:status: 200]"), "{close}: {out}");
        assert!(
            out.contains(seen),
            "{close}: gtlsclient did not show {seen:?}:\n{out}"
        );
        l.wait_for(1, |r| {
            matches!(
                quic(r),
                Some(QuicEvent::H3Stream {
                    status: 200,
                    body_bytes: 128,
                    ..
                })
            )
        });
    }
}

/// curl over TCP+TLS to the lab's origin, trusting its CA: the response
/// head on standard output.
fn curl_headers(l: &H3Lab) -> common::Curl {
    let ca = l.ca.to_str().expect("utf-8 path");
    common::curl(&[
        "-sS",
        "--cacert",
        ca,
        "-D",
        "-",
        "-o",
        "/dev/null",
        &url(l.h3),
    ])
}

#[test]
fn curl_over_tcp_sees_the_alt_svc_that_names_the_h3_port() {
    let l = start(
        H3Close::Graceful,
        Duration::from_secs(30),
        TlsSettings::default(),
    );
    let out = curl_headers(&l);
    let want = format!("alt-svc: h3=\":{}\"; ma=86400", l.h3.port());
    assert!(out.stdout.to_lowercase().contains(&want), "{}", out.stdout);

    // An explicit Alt-Svc wins.
    let own = TlsSettings {
        alt_svc: Some(wirelab::http::AltSvc::parse("h3=\":9443\"").expect("valid")),
        ..TlsSettings::default()
    };
    let l = start(H3Close::Graceful, Duration::from_secs(30), own);
    let out = curl_headers(&l);
    assert!(
        out.stdout.contains("alt-svc: h3=\":9443\""),
        "{}",
        out.stdout
    );
}

#[test]
fn garbage_datagrams_and_a_foreign_alpn_are_logged_and_change_nothing() {
    let mut l = start(
        H3Close::Graceful,
        Duration::from_secs(30),
        TlsSettings::default(),
    );
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    // A v1 Initial header (DCID 8 bytes, no SCID, no token) whose Length
    // covers the rest of `size` bytes of noise.
    let fake_initial = |size: usize| {
        let len = (size - 18) as u16 | 0x4000;
        let mut d = vec![0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0];
        d.extend_from_slice(&len.to_be_bytes());
        d.resize(size, 0x55);
        d
    };
    for datagram in [
        b"hello, is this QUIC?".to_vec(),
        vec![0x00, 1, 2, 3],
        fake_initial(1200),
        fake_initial(300),
    ] {
        udp.send_to(&datagram, l.h3).expect("sent");
    }
    let dropped = l.wait_for(4, |r| {
        matches!(quic(r), Some(QuicEvent::QuicDropped { .. }))
    });
    let reasons: Vec<String> = dropped
        .iter()
        .filter_map(|r| match quic(r) {
            Some(QuicEvent::QuicDropped { reason, .. }) => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(reasons[0].contains("never issued"), "{reasons:?}");
    assert!(reasons[1].contains("fixed bit"), "{reasons:?}");
    assert!(reasons[2].contains("does not open"), "{reasons:?}");
    assert!(reasons[3].contains("RFC 9000 §14.1"), "{reasons:?}");

    let mut options = Options::new(&l.ca);
    options.alpn = vec![b"h2".to_vec()];
    match h3::get(&url(l.h3), l.h3, &options) {
        Err(h3::Error::Ended(Ending::ServerClosed {
            application: false,
            code,
            ..
        })) => assert_eq!(code, 0x100 + 120, "TLS alert 120 no_application_protocol"),
        other => panic!("a client without h3 must be refused: {other:?}"),
    }
    l.wait_for(1, |r| {
        matches!(
            quic(r),
            Some(QuicEvent::ConnectionClose {
                by: By::Us,
                layer: CloseLayer::Transport,
                code: 0x178,
                ..
            })
        )
    });
    let f = fetch(&l, &Options::new(&l.ca));
    assert_eq!(f.status, 200);
}

/// The log's `event=stream` records, as (connection, stream ID, target).
fn streams(l: &H3Lab) -> Vec<(Option<u64>, u64, String)> {
    l.records
        .iter()
        .filter_map(|r| match quic(r) {
            Some(QuicEvent::H3Stream { id, target, .. }) => Some((r.conn, *id, target.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_request_on_a_connection_is_answered_then_each_ending_follows() {
    let urls_owned = |addr: SocketAddr| -> Vec<String> {
        (0..5)
            .map(|i| format!("https://localhost:{}/r{i}", addr.port()))
            .collect()
    };
    for close in H3Close::ALL {
        let mut l = start(close, Duration::from_millis(400), TlsSettings::default());
        let mut options = Options::new(&l.ca);
        if close == H3Close::Idle {
            options.keep_alive = None;
        }
        let urls = urls_owned(l.h3);
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        let all = h3::get_all(&urls, l.h3, &options).expect("five GETs on one connection");
        assert_eq!(all.responses.len(), 5, "{close}");
        for r in &all.responses {
            assert_eq!((r.status, r.body.len()), (200, 128), "{close}");
        }
        let expected = match close {
            H3Close::Graceful => Ending::ServerClosed {
                application: true,
                code: 0x100,
                reason: String::new(),
            },
            H3Close::Abrupt => Ending::ServerClosed {
                application: true,
                code: 0x102,
                reason: "--h3-close abrupt".into(),
            },
            H3Close::Idle => Ending::IdleTimeout,
            H3Close::StatelessReset => Ending::StatelessReset,
        };
        assert_eq!(all.ending, expected, "{close}");
        l.wait_for(5, |r| matches!(quic(r), Some(QuicEvent::H3Stream { .. })));
        l.wait_for(1, |r| match (close, quic(r)) {
            (H3Close::Graceful | H3Close::Abrupt, Some(QuicEvent::ConnectionClose { by, .. })) => {
                *by == By::Us
            }
            (H3Close::Idle, Some(QuicEvent::IdleTimeout { .. })) => true,
            (H3Close::StatelessReset, Some(QuicEvent::StatelessReset { .. })) => true,
            _ => false,
        });
        // One handshake, five request streams (client-initiated
        // bidirectional: IDs 0, 4, … RFC 9000 §2.1) on connection 1.
        let mut seen = streams(&l);
        seen.sort_by_key(|s| s.1);
        let ids: Vec<u64> = seen.iter().map(|s| s.1).collect();
        assert_eq!(ids, [0, 4, 8, 12, 16], "{close}: {}", l.log_text());
        assert!(seen.iter().all(|s| s.0 == Some(1)), "{close}: {seen:?}");
        let mut targets: Vec<&str> = seen.iter().map(|s| s.2.as_str()).collect();
        targets.sort_unstable();
        assert_eq!(targets, ["/r0", "/r1", "/r2", "/r3", "/r4"], "{close}");
        let text = l.log_text();
        assert_eq!(text.matches("event=quic-handshake").count(), 1, "{text}");
        // GOAWAY names the stream after the last one answered.
        assert_eq!(
            text.contains("event=h3-goaway dir=sent id=20"),
            close == H3Close::Graceful,
            "{close}: {text}"
        );
    }
}

#[test]
fn gtlsclient_gets_every_uri_on_one_connection() {
    let mut l = start(
        H3Close::Graceful,
        Duration::from_secs(30),
        TlsSettings::default(),
    );
    let base = url(l.h3);
    let out = Command::new("gtlsclient")
        .args(["--no-quic-dump", "--timeout=5s"])
        .arg(l.h3.ip().to_string())
        .arg(l.h3.port().to_string())
        .args([format!("{base}a"), format!("{base}b"), format!("{base}c")])
        .output()
        .expect("gtlsclient runs (scripts/setup installs ngtcp2-client)");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.matches("[:status: 200]").count(), 3, "{out}");
    assert!(
        out.contains("CONNECTION_CLOSE(0x1d) error_code=(unknown)(0x100)"),
        "{out}"
    );
    l.wait_for(3, |r| matches!(quic(r), Some(QuicEvent::H3Stream { .. })));
    let seen = streams(&l);
    assert!(seen.iter().all(|s| s.0 == Some(1)), "{seen:?}");
    let mut targets: Vec<&str> = seen.iter().map(|s| s.2.as_str()).collect();
    targets.sort_unstable();
    assert_eq!(targets, ["/a", "/b", "/c"], "{}", l.log_text());
    assert_eq!(l.log_text().matches("event=quic-handshake").count(), 1);
}
