//! Persistent connections (RFC 9112 §9.3), pipelining, request bodies and the
//! idle timeout, with HTTP/1.0 and HTTP/1.1.

mod common;

use std::time::Duration;

use common::{curl, start, start_with};
use wirelab::client::{ReadEnd, Request, RequestBody, Script, Step};
use wirelab::http::{Framing, Version};
use wirelab::server::{Cause, CloseEnding, Config, Event, ReadMode};

fn targets(out: &wirelab::client::Outcome) -> Vec<String> {
    out.responses
        .iter()
        .map(|r| r.field("X-Wirelab-Target").unwrap_or("?").to_string())
        .collect()
}

#[test]
fn three_pipelined_requests_in_one_write_get_three_responses_in_order() {
    for mode in [ReadMode::Full, ReadMode::Drain, ReadMode::Abort] {
        let mut lab = start(mode);
        let mut head = Request::get("/2");
        head.method = "HEAD".into();
        let bytes = [
            Request::get("/1").to_bytes(),
            head.to_bytes(),
            Request::post("/3", 300).connection("close").to_bytes(),
        ]
        .concat();
        let out = lab.raw(&Script::send(bytes));
        let got = targets(&out);
        if mode == ReadMode::Abort && got.len() < 3 {
            // SO_LINGER 0 discards what the kernel has not sent yet (RFC 9293
            // §3.10.5 ABORT): with both cores busy, the third response was
            // once still queued when the RST went (1 run in about 80 here).
            // What did arrive is in order, and the end is the RST.
            assert_eq!(got, ["/1", "/2", "/3"][..got.len()], "{out:?}");
            assert_eq!(out.end, ReadEnd::Reset, "{out:?}");
        } else {
            assert_eq!(got, ["/1", "/2", "/3"], "{mode}: {out:?}");
            let seqs: Vec<_> = out
                .responses
                .iter()
                .map(|r| r.field("X-Wirelab-Seq").unwrap_or("?"))
                .collect();
            assert_eq!(seqs, ["1", "2", "3"]);
            assert!(out.responses.iter().all(|r| r.complete && r.status == 200));
            assert_eq!(out.responses[1].body_received, 0, "HEAD has no body");
            assert_eq!(out.responses[0].field("Connection"), None);
            assert_eq!(out.responses[2].field("Connection"), Some("close"));
        }
        let closed = lab.closed(1);
        assert_eq!(
            closed[0].cause,
            if mode == ReadMode::Drain {
                Cause::DrainedToPeerFin
            } else {
                Cause::NotPersistent
            }
        );
        let stats = lab.stop();
        assert_eq!((stats.accepted, stats.requests, stats.responses), (1, 3, 3));
    }
}

#[test]
fn http11_persists_until_connection_close() {
    let mut lab = start(ReadMode::Full);
    let out = lab.raw(
        &Script::send(Request::get("/a").to_bytes())
            .then(Step::AwaitResponses(1))
            .then(Step::Send(Request::get("/b").to_bytes()))
            .then(Step::AwaitResponses(2))
            .then(Step::Send(
                Request::get("/c").connection("close").to_bytes(),
            )),
    );
    assert_eq!(targets(&out), ["/a", "/b", "/c"]);
    assert_eq!(out.end, ReadEnd::Eof);
    assert_eq!(lab.closed(1)[0].end, CloseEnding::WeSentFin);
    assert_eq!(lab.stop().accepted, 1);
}

#[test]
fn http10_closes_unless_keep_alive_is_asked() {
    let mut lab = start(ReadMode::Full);
    let plain = Request::get("/").version(Version::Http10);
    let out = lab.raw(&Script::send([plain.to_bytes(), plain.to_bytes()].concat()));
    assert_eq!(out.responses.len(), 1, "1.0 without keep-alive: one answer");
    assert_eq!(out.responses[0].field("Connection"), Some("close"));
    // The second request was queued unread when the server closed: RST.
    assert_eq!(out.end, ReadEnd::Reset);
    assert_eq!(lab.closed(1)[0].cause, Cause::NotPersistent);

    let ka = Request::get("/")
        .version(Version::Http10)
        .connection("keep-alive");
    let out = lab.raw(&Script::send([ka.to_bytes(), plain.to_bytes()].concat()));
    assert_eq!(out.responses.len(), 2);
    assert_eq!(out.responses[0].field("Connection"), Some("keep-alive"));
    assert_eq!(out.end, ReadEnd::Eof);
}

#[test]
fn keep_alive_off_closes_after_every_response() {
    let mut lab = start_with(Config {
        keep_alive: false,
        mode: ReadMode::Drain,
        ..Config::default()
    });
    let out = lab.raw(&Script::send(
        [Request::get("/1").to_bytes(), Request::get("/2").to_bytes()].concat(),
    ));
    assert_eq!(targets(&out), ["/1"]);
    assert_eq!(out.end, ReadEnd::Eof, "drain swallowed the second request");
    let half = lab.wait_for(1, |r| matches!(r.event, Event::HalfClosed { .. }));
    assert_eq!(
        half[0].event,
        Event::HalfClosed {
            cause: Cause::KeepAliveOff
        }
    );
}

#[test]
fn chunked_framing_with_http10_falls_back_to_close() {
    let mut lab = start_with(Config {
        framing: Framing::Chunked,
        body_size: 9000,
        ..Config::default()
    });
    let out = lab.raw(&Script::send(
        Request::get("/").version(Version::Http10).to_bytes(),
    ));
    let r = &out.responses[0];
    assert_eq!(r.field("Transfer-Encoding"), None);
    assert_eq!((r.body_received, r.complete), (9000, true));
    assert_eq!(lab.closed(1)[0].end, CloseEnding::WeSentFin);
}

#[test]
fn request_bodies_are_consumed_exactly_then_the_next_request_is_answered() {
    let mut lab = start(ReadMode::Full);
    let mut chunked = Request::post("/chunked", 0);
    chunked.body = RequestBody::Chunked {
        len: 20_000,
        chunk: 3000,
    };
    let bytes = [
        Request::post("/length", 70_000).to_bytes(),
        chunked.to_bytes(),
        Request::get("/last").connection("close").to_bytes(),
    ]
    .concat();
    let out = lab.raw(&Script::send(bytes));
    assert_eq!(targets(&out), ["/length", "/chunked", "/last"], "{out:?}");
    assert_eq!(out.end, ReadEnd::Eof, "nothing was left unread");
    assert_eq!(lab.closed(1)[0].unread, 0);
}

#[test]
fn expect_100_continue_gets_an_interim_response() {
    let mut lab = start(ReadMode::Full);
    let mut req = Request::post("/big", 5000).connection("close");
    req.extra.push(("Expect".into(), "100-continue".into()));
    let bytes = req.to_bytes();
    let split = bytes.len() - 5000;
    // The head, then the body only once 100 Continue has arrived.
    let out = lab.raw(
        &Script::send(bytes[..split].to_vec())
            .then(Step::AwaitInterim(1))
            .then(Step::Send(bytes[split..].to_vec())),
    );
    assert_eq!(out.interim, [100]);
    assert_eq!(out.status(), Some(200));
    lab.wait_for(1, |r| r.event == Event::Continue);
}

#[test]
fn curl_reuses_one_connection_for_two_urls_and_speaks_http10() {
    let mut lab = start(ReadMode::Full);
    let c = curl(&[
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{num_connects}\n",
        &lab.url("/a"),
        &lab.url("/b"),
    ]);
    assert_eq!(c.code, 0, "{c:?}");
    assert_eq!(
        c.stdout, "200 1\n200 0\n",
        "second transfer reused the connection"
    );
    lab.wait_for(2, |r| matches!(r.event, Event::Request { .. }));
    let c = curl(&[
        "--http1.0",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &lab.url("/"),
    ]);
    assert_eq!((c.code, c.stdout.as_str()), (0, "200"), "{c:?}");
    lab.closed(2);
    let stats = lab.stop();
    assert_eq!((stats.accepted, stats.requests), (2, 3));
}

#[test]
fn idle_keep_alive_connection_is_closed_with_fin() {
    let mut lab = start_with(Config {
        idle_timeout: Duration::from_millis(200),
        ..Config::default()
    });
    let out = lab.raw(&Script::send(Request::get("/").to_bytes()));
    assert_eq!(out.status(), Some(200));
    assert_eq!(
        out.end,
        ReadEnd::Eof,
        "the server closed the idle connection"
    );
    assert!(out.elapsed >= Duration::from_millis(200));
    let closed = lab.closed(1);
    assert_eq!(
        (closed[0].end, closed[0].cause),
        (CloseEnding::WeSentFin, Cause::IdleTimeout)
    );
}

/// The keep-alive race staged: the server closes the "idle" connection with
/// curl's second request unread, so its close is a RST; curl, having got no
/// byte of the second response on a reused connection, retries it on a fresh
/// connection and succeeds (RFC 9112 §9.3.1, §9.5).
#[test]
fn keepalive_race_resets_and_curl_retries_silently() {
    let mut lab = start_with(Config {
        keepalive_race: true,
        idle_timeout: Duration::from_millis(100),
        ..Config::default()
    });
    let out = curl(&[
        "-v",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        &lab.url("/a"),
        &lab.url("/b"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Connection died, retrying a fresh connect"),
        "{}",
        out.stderr
    );
    let closed = lab.closed(2);
    assert_eq!(
        closed[0].end,
        CloseEnding::WeProvokedRst,
        "{}",
        lab.log_text()
    );
    assert_eq!(closed[0].cause, Cause::IdleTimeout);
    assert!(closed[0].unread > 0);
    assert_eq!(closed[1].end, CloseEnding::WeSentFin, "{}", lab.log_text());
}
