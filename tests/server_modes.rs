//! The five read modes, seen by real curl and by the raw client: FIN or RST.

mod common;

use std::time::Duration;

use common::{Closed, curl_status, start, start_with};
use wirelab::client::{ReadEnd, Request, Script, Step, junk};
use wirelab::http::Framing;
use wirelab::server::{Cause, CloseEnding, Config, Event, ReadMode};

fn config(mode: ReadMode, framing: Framing) -> Config {
    Config {
        mode,
        framing,
        ..Config::default()
    }
}

#[test]
fn curl_exit_56_when_a_close_delimited_body_ends_in_rst() {
    for mode in [ReadMode::NoRead, ReadMode::Partial, ReadMode::Abort] {
        let mut lab = start_with(config(mode, Framing::Close));
        let c = curl_status(&lab.url("/"), &[]);
        assert_eq!(c.code, 56, "{mode}: curl said {c:?}\n{}", lab.log_text());
        assert!(
            c.stderr.contains("Recv failure: Connection reset by peer"),
            "{mode}: {}",
            c.stderr
        );
        let closed = lab.closed(1);
        let expected = if mode == ReadMode::Abort {
            CloseEnding::WeAborted
        } else {
            CloseEnding::WeProvokedRst
        };
        assert_eq!(closed[0].end, expected, "{mode}");
        lab.stop();
    }
}

#[test]
fn curl_gets_200_from_no_read_with_content_length_and_small_body() {
    // Linux keeps the bytes that arrived before the RST: curl has the whole body.
    let mut lab = start_with(config(ReadMode::NoRead, Framing::Length));
    let c = curl_status(&lab.url("/"), &[]);
    assert_eq!((c.code, c.stdout.as_str()), (0, "200 128"), "{c:?}");
    let closed = lab.closed(1);
    assert_eq!(closed[0].end, CloseEnding::WeProvokedRst);
    assert!(closed[0].unread > 0, "the request was unread: {closed:?}");
}

#[test]
fn curl_exit_0_from_full_and_drain_in_every_framing() {
    for mode in [ReadMode::Full, ReadMode::Drain] {
        for framing in [Framing::Length, Framing::Close, Framing::Chunked] {
            let mut lab = start_with(Config {
                body_size: 10_000,
                ..config(mode, framing)
            });
            let c = curl_status(&lab.url("/"), &[]);
            assert_eq!(
                (c.code, c.stdout.as_str()),
                (0, "200 10000"),
                "{mode} {framing}: {c:?}\n{}",
                lab.log_text()
            );
            let closed = lab.closed(1);
            assert_ne!(
                closed[0].end,
                CloseEnding::WeProvokedRst,
                "{mode} {framing}"
            );
            assert_ne!(closed[0].end, CloseEnding::PeerRst, "{mode} {framing}");
        }
    }
}

/// One request with `Connection: close`, read to the end by the raw client.
fn one_request(mode: ReadMode) -> (wirelab::client::Outcome, Vec<Closed>) {
    let mut lab = start(mode);
    let out = lab.raw(&Script::send(
        Request::get("/").connection("close").to_bytes(),
    ));
    let closed = lab.closed(1);
    (out, closed)
}

#[test]
fn raw_client_sees_reset_from_no_read_partial_and_abort() {
    for mode in [ReadMode::NoRead, ReadMode::Partial, ReadMode::Abort] {
        let (out, closed) = one_request(mode);
        assert_eq!(out.end, ReadEnd::Reset, "{mode}: {out:?}");
        assert_eq!(out.status(), Some(200), "{mode}");
        // Content-Length body: complete even though the connection was reset.
        assert!(out.responses[0].complete && out.responses[0].body_is_pattern);
        let expected = if mode == ReadMode::Abort {
            CloseEnding::WeAborted
        } else {
            CloseEnding::WeProvokedRst
        };
        assert_eq!(closed[0].end, expected, "{mode}");
    }
    let (_, closed) = one_request(ReadMode::Partial);
    assert!(closed[0].unread > 0, "partial leaves bytes unread");
    let (_, closed) = one_request(ReadMode::Abort);
    assert_eq!(
        closed[0].unread, 0,
        "abort read everything: RST from SO_LINGER 0"
    );
}

#[test]
fn raw_client_sees_clean_eof_from_full_and_drain() {
    for mode in [ReadMode::Full, ReadMode::Drain] {
        let (out, closed) = one_request(mode);
        assert_eq!(out.end, ReadEnd::Eof, "{mode}: {out:?}");
        assert!(!out.reset_seen());
        assert_eq!(out.responses[0].body_received, 128);
        assert_eq!(closed[0].end, CloseEnding::WeSentFin, "{mode}");
        assert_eq!(closed[0].unread, 0);
    }
    let (_, closed) = one_request(ReadMode::Drain);
    assert_eq!(closed[0].cause, Cause::DrainedToPeerFin);
}

#[test]
fn junk_behind_the_request_full_resets_drain_ends_with_fin() {
    let bytes = [Request::get("/").connection("close").to_bytes(), junk(100)].concat();

    let mut full = start(ReadMode::Full);
    let out = full.raw(&Script::send(bytes.clone()));
    assert_eq!(out.status(), Some(200));
    assert!(out.responses[0].complete);
    assert_eq!(out.end, ReadEnd::Reset, "junk unread at close: {out:?}");
    let closed = full.closed(1);
    assert_eq!(closed[0].end, CloseEnding::WeProvokedRst);
    assert_eq!(closed[0].unread, 100, "full read exactly the request");

    let mut drain = start(ReadMode::Drain);
    let out = drain.raw(&Script::send(bytes));
    assert_eq!(out.status(), Some(200));
    assert_eq!(out.end, ReadEnd::Eof, "drain read the junk: {out:?}");
    let closed = drain.closed(1);
    assert_eq!(closed[0].end, CloseEnding::WeSentFin);
    let drained = drain.wait_for(1, |r| matches!(r.event, Event::Drained { .. }));
    assert_eq!(drained[0].event, Event::Drained { bytes: 100 });
}

#[test]
fn partial_reads_exactly_partial_bytes() {
    let mut lab = start_with(Config {
        partial_bytes: 7,
        ..config(ReadMode::Partial, Framing::Length)
    });
    let req = Request::get("/").connection("close").to_bytes();
    let out = lab.raw(&Script::send(req.clone()));
    assert_eq!(out.end, ReadEnd::Reset);
    let closed = lab.closed(1);
    assert_eq!(closed[0].unread, req.len() - 7);
    let reads = lab.wait_for(1, |r| matches!(r.event, Event::Read { .. }));
    assert_eq!(reads[0].event, Event::Read { bytes: 7, total: 7 });
}

#[test]
fn respond_before_body_resets_in_full_and_drains_in_drain() {
    let post = Request::post("/upload", 64 * 1024)
        .connection("close")
        .to_bytes();
    for (mode, reset) in [(ReadMode::Full, true), (ReadMode::Drain, false)] {
        let mut lab = start_with(Config {
            status: 413,
            respond_before_body: true,
            ..config(mode, Framing::Length)
        });
        let out = lab.raw(&Script::send(post.clone()));
        assert_eq!(out.status(), Some(413), "{mode}: {out:?}");
        assert_eq!(out.reset_seen(), reset, "{mode}: {out:?}");
        let closed = lab.closed(1);
        let expected = if reset {
            CloseEnding::WeProvokedRst
        } else {
            CloseEnding::WeSentFin
        };
        assert_eq!(closed[0].end, expected, "{mode}\n{}", lab.log_text());
        let why = Cause::RespondedBeforeBody;
        if reset {
            assert_eq!(closed[0].cause, why);
        } else {
            let half = lab.wait_for(1, |r| matches!(r.event, Event::HalfClosed { .. }));
            assert_eq!(half[0].event, Event::HalfClosed { cause: why });
            let drained = lab.wait_for(1, |r| matches!(r.event, Event::Drained { .. }));
            assert!(matches!(drained[0].event, Event::Drained { bytes } if bytes > 0));
        }
    }
}

#[test]
fn abort_with_content_length_delivers_the_body_then_resets() {
    let mut lab = start_with(Config {
        body_size: 1000,
        ..config(ReadMode::Abort, Framing::Length)
    });
    let out = lab.raw(
        &Script::send(Request::get("/").to_bytes())
            .then(Step::AwaitResponses(1))
            .then(Step::Send(
                Request::get("/2").connection("close").to_bytes(),
            )),
    );
    assert_eq!(out.responses.len(), 2, "keep-alive works in abort: {out:?}");
    assert!(out.responses.iter().all(|r| r.complete));
    assert_eq!(out.end, ReadEnd::Reset);
    assert_eq!(lab.closed(1)[0].end, CloseEnding::WeAborted);
}

#[test]
fn peer_fin_and_peer_rst_are_told_apart() {
    // The client closes an idle keep-alive connection: peer FIN (EOF).
    let mut lab = start(ReadMode::Full);
    let out = lab.raw(
        &Script::send(Request::get("/").to_bytes())
            .then(Step::AwaitResponses(1))
            .then(Step::Close),
    );
    assert_eq!(out.end, ReadEnd::ClientClosed);
    let closed = lab.closed(1);
    assert_eq!(closed[0].end, CloseEnding::PeerFin);
    assert_eq!(closed[0].cause, Cause::PeerClosed);

    // The client aborts with SO_LINGER 0 mid-head: peer RST (ECONNRESET).
    let stream = std::net::TcpStream::connect(lab.addr).unwrap();
    std::io::Write::write_all(&mut &stream, b"GET / HTTP/1.1\r\nHo").unwrap();
    lab.wait_for(2, |r| matches!(r.event, Event::Read { .. }));
    socket2::SockRef::from(&stream)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(stream);
    let closed = lab.closed(2);
    assert_eq!(closed[1].end, CloseEnding::PeerRst, "{}", lab.log_text());
    let stats = lab.stop();
    assert_eq!((stats.peer_fin, stats.peer_rst), (1, 1));
}

#[test]
fn drain_gives_up_after_linger_idle_and_linger_total() {
    use std::io::{Read, Write};
    use std::time::Duration;

    let mut lab = start_with(Config {
        linger_idle: Duration::from_millis(300),
        linger_total: Duration::from_millis(900),
        ..config(ReadMode::Drain, Framing::Length)
    });
    // A client that reads our FIN but never closes: linger-idle ends it.
    let mut quiet = std::net::TcpStream::connect(lab.addr).unwrap();
    quiet
        .write_all(&Request::get("/").connection("close").to_bytes())
        .unwrap();
    let mut sink = Vec::new();
    quiet
        .read_to_end(&mut sink)
        .expect("clean EOF from the half-close");
    let closed = lab.closed(1);
    assert_eq!(closed[0].end, CloseEnding::WeSentFin);
    assert_eq!(closed[0].cause, Cause::LingerIdleTimeout);

    // A client that keeps sending after our FIN: linger-total ends it.
    let mut chatty = std::net::TcpStream::connect(lab.addr).unwrap();
    chatty
        .write_all(&Request::get("/").connection("close").to_bytes())
        .unwrap();
    lab.wait_for(1, |r| {
        r.conn == Some(2) && matches!(r.event, Event::HalfClosed { .. })
    });
    while lab
        .records
        .iter()
        .all(|r| !(r.conn == Some(2) && matches!(r.event, Event::Closed { .. })))
    {
        // Each write lands within linger-idle of the last, so only the total limit
        // can end the connection; stop once the server has closed.
        if chatty.write_all(b"more").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(40));
        lab.drain_records();
    }
    let closed = lab.closed(2);
    assert_eq!(
        closed[1].cause,
        Cause::LingerTotalTimeout,
        "{}",
        lab.log_text()
    );
    drop((quiet, chatty));
}

/// A head that announces a body the client never sends: answered early, the
/// close finds nothing unread, and the server says it cannot promise FIN
/// (`full`); a lingering close (`drain`) reads whatever comes, so its FIN is
/// a promise again, even when it gives up waiting.
#[test]
fn an_early_answer_with_the_body_still_due_says_so() {
    let head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n".to_vec();
    for (mode, expected) in [
        (ReadMode::Full, CloseEnding::WeClosedBodyDue),
        (ReadMode::Drain, CloseEnding::WeSentFin),
    ] {
        let mut lab = start_with(Config {
            status: 413,
            respond_before_body: true,
            linger_idle: Duration::from_millis(100),
            ..config(mode, Framing::Length)
        });
        // Silent and open past --linger-idle: drain gives up waiting.
        let script = Script::send(head.clone()).then(Step::Sleep(Duration::from_millis(300)));
        let out = lab.raw(&script);
        assert_eq!(out.status(), Some(413), "{mode}: {out:?}");
        assert_eq!(out.end, ReadEnd::Eof, "{mode}: {out:?}");
        let closed = lab.closed(1);
        assert_eq!(closed[0].end, expected, "{mode}\n{}", lab.log_text());
        assert_eq!(closed[0].unread, 0, "{mode}");
    }
}
