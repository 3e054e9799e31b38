//! `lab reset --proto h2c-upgrade|h2-prior`: the reset lab over HTTP/2 with
//! real curl and nghttp, each run asserting the packets (the analyzer's
//! verdict and its HTTP/2 labels), the client, the server's log and the
//! kernel's counters in the run's own network namespace.
//!
//! Needs root (capture and a network namespace), curl and nghttp
//! (scripts/setup installs nghttp2-client): without them these tests fail
//! with the reason; they never skip.

mod common;

use wirelab::flow::{ConnState, RstPhase};
use wirelab::labs::reset::run::ResetRun;
use wirelab::labs::reset::{ClientKind, Conflict, Error, Http1Scenario, Proto, ResetOptions, run};
use wirelab::server::{CloseEnding, H2Start, Http2, ReadMode};
use wirelab::teardown::{Ending, Role};

/// The first GOAWAY of RFC 9113 §6.8's graceful shutdown.
const ANY_STREAM: u32 = (1 << 31) - 1;

fn lab(opts: ResetOptions) -> ResetRun {
    common::reset_lab(opts)
}

fn h2(proto: Proto, mode: ReadMode, client: ClientKind) -> ResetOptions {
    ResetOptions {
        proto,
        mode,
        client,
        ..ResetOptions::default()
    }
}

fn delta(r: &ResetRun, name: &str) -> u64 {
    r.kernel.deltas[name]
}

/// Every HTTP/2 label the analyzer put on the ladder, joined.
fn labels(r: &ResetRun) -> String {
    r.ladder
        .iter()
        .flat_map(|c| &c.rungs)
        .filter_map(|g| g.http.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[track_caller]
fn assert_unread_frames_rst(r: &ResetRun, start: H2Start) {
    assert_eq!(r.verdict.ending, Some(Ending::Rst), "{}", r.verdict.reason);
    assert_eq!(r.verdict.by, Some(Role::Server));
    assert!(
        matches!(
            r.verdict.phase,
            Some(RstPhase::UnreadData | RstPhase::AfterPeerFin)
        ),
        "{:?}",
        r.verdict.phase
    );
    assert_eq!(r.verdict.conn_state, Some(ConnState::RSTR));
    assert_eq!(r.server_log[0].end, CloseEnding::WeProvokedRst);
    assert!(r.server_log[0].unread > 0);
    assert_eq!(r.server_h2.start, Some(start));
    assert!(r.server_h2.goaways_sent.is_empty(), "{:?}", r.server_h2);
    assert_eq!(delta(r, "TcpExtTCPAbortOnClose"), 1);
    assert_eq!(delta(r, "TcpOutRsts"), 1);
    assert!(
        r.verdict.reason.contains("SETTINGS ACK")
            && r.verdict.reason.contains("no GOAWAY came first"),
        "{}",
        r.verdict.reason
    );
    assert!(r.verdict.citation.contains("RFC 9113 §6.8"));
}

#[test]
fn upgrade_no_read_curl_ends_in_the_servers_rst_on_unread_frames() {
    let r = lab(h2(Proto::H2cUpgrade, ReadMode::NoRead, ClientKind::Curl));
    assert_unread_frames_rst(&r, H2Start::Upgrade);
    // The answer to the upgrading request travels on stream 1 (RFC 7540 §3.2).
    assert_eq!(r.server_h2.first_stream, Some(1));
    assert!(
        r.verdict.reason.contains("stream 1"),
        "{}",
        r.verdict.reason
    );
    let l = labels(&r);
    assert!(l.contains("HTTP/1.1 101"), "{l}");
    assert!(l.contains("HEADERS s1 :status 200"), "{l}");
    // The answer was queued before the close: curl has all of it.
    assert_eq!(r.client.curl_exit, Some(0));
    assert_eq!((r.client.status, r.client.body_received), (200, 128));
}

#[test]
fn prior_knowledge_no_read_nghttp_ends_in_the_same_rst() {
    let r = lab(h2(Proto::H2Prior, ReadMode::NoRead, ClientKind::Nghttp));
    assert_unread_frames_rst(&r, H2Start::PriorKnowledge);
    assert_eq!(r.client.nghttp_exit, Some(0));
    assert_eq!(r.client.status, 200);
}

/// curl's message for a reset before any GOAWAY: the large answer is cut
/// short by the RST of the server's close with unread frames.
#[test]
fn reset_before_goaway_costs_curl_the_tail_curl_56() {
    let r = lab(ResetOptions {
        body_size: 5_000_000,
        client_pause: Some(std::time::Duration::from_millis(200)),
        ..h2(Proto::H2Prior, ReadMode::NoRead, ClientKind::Curl)
    });
    assert_unread_frames_rst(&r, H2Start::PriorKnowledge);
    assert_eq!(r.client.curl_exit, Some(56));
    assert_eq!(
        r.client.curl_error.as_deref(),
        Some("curl: (56) Recv failure: Connection reset by peer")
    );
    assert!(r.client.body_received < r.client.body_expected);
}

/// nghttp answers the server's first GOAWAY with its own and closes: FIN
/// both ways, but before the PING round trip, so the final GOAWAY of
/// RFC 9113 §6.8 is never sent. No client this lab runs reads to the end.
#[test]
fn drain_nghttp_closes_with_fin_both_ways_after_its_own_goaway() {
    for proto in [Proto::H2cUpgrade, Proto::H2Prior] {
        let r = lab(h2(proto, ReadMode::Drain, ClientKind::Nghttp));
        assert_eq!(r.verdict.ending, Some(Ending::Fin), "{}", r.verdict.reason);
        assert_eq!(r.verdict.conn_state, Some(ConnState::SF));
        for n in [
            "TcpExtTCPAbortOnClose",
            "TcpExtTCPAbortOnData",
            "TcpOutRsts",
        ] {
            assert_eq!(delta(&r, n), 0, "{n}");
        }
        assert_eq!(r.server_h2.goaways_sent, vec![ANY_STREAM], "{proto:?}");
        assert!(r.server_h2.goaway_received);
        assert_eq!(r.server_log[0].end, CloseEnding::PeerFin);
        assert!(
            r.verdict.reason.contains("its own GOAWAY")
                && r.verdict.reason.contains("final GOAWAY was never sent"),
            "{}",
            r.verdict.reason
        );
        assert!(labels(&r).contains("GOAWAY last=0"), "{}", labels(&r));
        assert_eq!(r.client.status, 200);
        assert_eq!(r.client.body_received, 128);
    }
}

/// curl closes as soon as it has its answer. When it has acknowledged the
/// PING first (as it usually does with prior knowledge), the server's final
/// GOAWAY finds a closed socket and curl's kernel answers it with RST; curl
/// has exited 0 by then. When curl closes before, it is FIN both ways
/// without the final GOAWAY. Either way the verdict says which.
#[test]
fn drain_curl_closes_early_and_the_verdict_says_how_it_ended() {
    for proto in [Proto::H2cUpgrade, Proto::H2Prior] {
        let r = lab(h2(proto, ReadMode::Drain, ClientKind::Curl));
        assert_eq!(r.server_h2.goaways_sent.first(), Some(&ANY_STREAM));
        assert_eq!(r.client.curl_exit, Some(0), "{proto:?}");
        assert_eq!(r.client.body_received, 128);
        match r.verdict.ending {
            Some(Ending::Rst) => {
                assert_eq!(r.verdict.by, Some(Role::Client));
                assert_eq!(r.server_log[0].end, CloseEnding::PeerRst);
                // Two kernel paths: the final GOAWAY reached curl's socket
                // after its close (data after close), or before it, unread.
                let (counter, says) = match r.verdict.phase {
                    Some(RstPhase::DataAfterClose) => {
                        ("TcpExtTCPAbortOnData", "client's kernel answered")
                    }
                    Some(RstPhase::AfterPeerFin | RstPhase::UnreadData) => {
                        ("TcpExtTCPAbortOnClose", "closed without reading it")
                    }
                    other => panic!("{other:?}: {}", r.verdict.reason),
                };
                assert_eq!(delta(&r, counter), 1, "{counter}");
                assert!(r.verdict.reason.contains(says), "{}", r.verdict.reason);
            }
            Some(Ending::Fin) => {
                assert_eq!(r.verdict.by, Some(Role::Client));
                assert_eq!(delta(&r, "TcpOutRsts"), 0);
                assert!(
                    r.verdict.reason.contains("final GOAWAY was never sent"),
                    "{}",
                    r.verdict.reason
                );
            }
            other => panic!("{other:?}: {}", r.verdict.reason),
        }
    }
}

#[test]
fn upgrade_with_a_post_body_reads_the_body_before_switching() {
    let r = lab(ResetOptions {
        request_body: 5000,
        ..h2(Proto::H2cUpgrade, ReadMode::Full, ClientKind::Curl)
    });
    assert_eq!(r.server_h2.upgrade_body, Some(5000));
    assert_eq!(r.server_h2.first_stream, Some(1));
    assert_eq!((r.client.curl_exit, r.client.status), (Some(0), 200));
    assert_eq!(r.verdict.ending, Some(Ending::Fin), "{}", r.verdict.reason);
    assert_eq!(delta(&r, "TcpOutRsts"), 0);
}

#[test]
fn upgrade_to_a_server_without_http2_is_plain_http11() {
    let r = lab(ResetOptions {
        server_http2: Http2::Off,
        ..h2(Proto::H2cUpgrade, ReadMode::Full, ClientKind::Curl)
    });
    assert_eq!(r.server_h2.start, None);
    assert_eq!((r.client.curl_exit, r.client.status), (Some(0), 200));
    assert_eq!(r.verdict.ending, Some(Ending::Fin));
    assert!(
        r.verdict.reason.contains("ignored `Upgrade: h2c`"),
        "{}",
        r.verdict.reason
    );
    assert!(!labels(&r).contains(" 101"), "{}", labels(&r));
}

/// The server reads `PRI * HTTP/2.0` as an HTTP/1 request line, answers an
/// error and closes with the rest unread: RST. curl's message depends on
/// whether the answer or the RST is read first.
#[test]
fn prior_knowledge_to_a_server_without_http2_is_reset() {
    let r = lab(ResetOptions {
        server_http2: Http2::Off,
        ..h2(Proto::H2Prior, ReadMode::Full, ClientKind::Curl)
    });
    assert_eq!(r.server_h2.start, None);
    assert_eq!(r.verdict.ending, Some(Ending::Rst));
    assert_eq!(r.verdict.by, Some(Role::Server));
    assert_eq!(delta(&r, "TcpExtTCPAbortOnClose"), 1);
    assert!(
        r.verdict.reason.contains("does not speak HTTP/2")
            && r.verdict.reason.contains("answered 505"),
        "{}",
        r.verdict.reason
    );
    assert!(
        matches!(r.client.curl_exit, Some(52 | 55 | 56)),
        "{:?}",
        r.client
    );
    assert_eq!(r.client.status, 0);
}

#[test]
fn unsupported_client_and_protocol_pairs_are_typed_conflicts() {
    let e = run(&h2(Proto::H1, ReadMode::NoRead, ClientKind::Nghttp)).unwrap_err();
    assert!(
        matches!(&e, Error::Options(Conflict::NghttpNeedsHttp2)),
        "{e}"
    );
    assert!(!e.to_string().contains('\n'), "{e}");
    let e = run(&ResetOptions {
        pipeline: 3,
        ..h2(Proto::H2Prior, ReadMode::Full, ClientKind::Curl)
    })
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Options(Conflict::Http1Only(Http1Scenario::Pipeline))
        ),
        "{e}"
    );
    // The raw client's HTTP/2 limits: no pause, and by prior knowledge a
    // body within the server's initial window.
    for (opts, conflict) in [
        (
            ResetOptions {
                client_pause: Some(std::time::Duration::from_millis(10)),
                ..h2(Proto::H2cUpgrade, ReadMode::Full, ClientKind::Own)
            },
            Conflict::Http2PauseNeedsCurl,
        ),
        (
            ResetOptions {
                request_body: 100_000,
                ..h2(Proto::H2Prior, ReadMode::Full, ClientKind::Own)
            },
            Conflict::PriorBodyOverWindow {
                limit: wirelab::client::h2::MAX_PRIOR_BODY,
            },
        ),
    ] {
        let e = run(&opts).unwrap_err();
        assert!(matches!(&e, Error::Options(c) if *c == conflict), "{e}");
    }
}

/// The raw client does what RFC 9113 §6.8 asks of a peer that is done: it
/// acknowledges the PING, reads to the server's final GOAWAY and FIN, and
/// leaves nothing unread: FIN both ways, the whole graceful shutdown.
#[test]
fn drain_with_the_raw_client_is_the_whole_graceful_shutdown() {
    for proto in [Proto::H2cUpgrade, Proto::H2Prior] {
        let r = lab(h2(proto, ReadMode::Drain, ClientKind::Own));
        assert_eq!(r.verdict.ending, Some(Ending::Fin), "{}", r.verdict.reason);
        assert_eq!(r.verdict.conn_state, Some(ConnState::SF));
        assert_eq!(r.server_h2.goaways_sent, vec![ANY_STREAM, 1], "{proto:?}");
        assert_eq!(r.server_log[0].end, CloseEnding::WeSentFin);
        for n in [
            "TcpExtTCPAbortOnClose",
            "TcpExtTCPAbortOnData",
            "TcpOutRsts",
        ] {
            assert_eq!(delta(&r, n), 0, "{n}");
        }
        assert!(
            r.verdict.reason.contains("the graceful shutdown"),
            "{}",
            r.verdict.reason
        );
        assert_eq!((r.client.status, r.client.body_received), (200, 128));
        assert!(
            r.client.end.contains("last stream 2147483647, then 1")
                && r.client.end.ends_with("clean EOF (server FIN)"),
            "{}",
            r.client.end
        );
        let l = labels(&r);
        // The client's own GOAWAY is on the wire (the server, draining after
        // its half-close, may discard it unparsed).
        assert!(
            l.contains("PING ACK") && l.contains("GOAWAY last=1") && l.contains("GOAWAY last=0"),
            "{l}"
        );
    }
}

#[test]
fn no_read_with_the_raw_client_is_the_servers_rst_on_its_frames() {
    for proto in [Proto::H2cUpgrade, Proto::H2Prior] {
        let r = lab(h2(proto, ReadMode::NoRead, ClientKind::Own));
        assert_eq!(r.verdict.ending, Some(Ending::Rst), "{}", r.verdict.reason);
        assert_eq!(r.verdict.by, Some(Role::Server));
        assert_eq!(r.server_log[0].end, CloseEnding::WeProvokedRst);
        assert!(r.server_log[0].unread > 0);
        assert_eq!(delta(&r, "TcpExtTCPAbortOnClose"), 1);
        assert!(r.client.saw_reset, "{:?}", r.client);
        assert_eq!(r.client.status, 200);
    }
}

#[test]
fn the_raw_client_reports_an_http1_answer_as_such() {
    let r = lab(ResetOptions {
        server_http2: Http2::Off,
        ..h2(Proto::H2Prior, ReadMode::Full, ClientKind::Own)
    });
    assert_eq!(r.client.status, 505);
    assert!(
        r.client.end.starts_with("answered in HTTP/1.x"),
        "{}",
        r.client.end
    );
    assert_eq!(r.verdict.ending, Some(Ending::Rst));
    let r = lab(ResetOptions {
        server_http2: Http2::Off,
        request_body: 1000,
        ..h2(Proto::H2cUpgrade, ReadMode::Full, ClientKind::Own)
    });
    assert_eq!((r.client.status, r.client.body_received), (200, 128));
    assert!(
        r.client.end.starts_with("answered in HTTP/1.x"),
        "{}",
        r.client.end
    );
    assert_eq!(r.verdict.ending, Some(Ending::Fin), "{}", r.verdict.reason);
}
