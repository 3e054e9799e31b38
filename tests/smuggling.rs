//! Request smuggling shapes (RFC 9112 §11.2): each carries a second request that
//! a lenient parser on the path would see. Every one must be answered 400 (or
//! 413/501 where the framing is refused for size or coding), closed the way the
//! read mode closes, and never be parsed as two requests: the hidden request never
//! reaches the server's log as a `request`.

mod common;

use common::{Lab, start_with};
use wirelab::client::{ReadEnd, Script};
use wirelab::server::{Cause, CloseEnding, Config, Event, ReadMode};

/// The request a front end would forward after the first if it framed the body
/// differently than we do.
const HIDDEN: &str = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

fn shapes() -> Vec<(&'static str, String, u16)> {
    let body = format!("0\r\n\r\n{HIDDEN}");
    let post = "POST / HTTP/1.1\r\nHost: x\r\n";
    vec![
        (
            "CL.TE",
            format!(
                "{post}Content-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{body}",
                body.len()
            ),
            400,
        ),
        (
            "TE.CL",
            format!("{post}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n{body}"),
            400,
        ),
        (
            "duplicate Content-Length, different values",
            format!("{post}Content-Length: 0\r\nContent-Length: 5\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "Content-Length list that disagrees",
            format!("{post}Content-Length: 0, 41\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "Content-Length with a sign",
            format!("{post}Content-Length: +0\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "Transfer-Encoding folded onto the next line (obs-fold)",
            format!("{post}Transfer-Encoding:\r\n chunked\r\n\r\n{body}"),
            400,
        ),
        (
            "obs-fold hiding a header",
            format!("{post}X-A: b\r\n Content-Length: 0\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "bare LF before a header",
            format!("{post}X-A: b\nContent-Length: 0\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "bare LF ending the head",
            format!("GET / HTTP/1.1\r\nHost: x\n\n{HIDDEN}"),
            400,
        ),
        (
            "bare CR inside a header",
            format!("{post}X-A: b\rContent-Length: 0\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "chunk size that overflows 64 bits",
            format!("{post}Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n{HIDDEN}"),
            400,
        ),
        (
            "chunk size with a 0x prefix",
            format!("{post}Transfer-Encoding: chunked\r\n\r\n0x0\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "chunk size ended by bare LF",
            format!("{post}Transfer-Encoding: chunked\r\n\r\n0\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "space in a header name (Transfer-Encoding : chunked)",
            format!("{post}Transfer-Encoding : chunked\r\n\r\n{body}"),
            400,
        ),
        (
            "space inside a header name",
            format!("{post}Content Length: 0\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "chunked twice",
            format!("{post}Transfer-Encoding: chunked, chunked\r\n\r\n{body}"),
            400,
        ),
        (
            "chunked not last",
            format!("{post}Transfer-Encoding: chunked, identity\r\n\r\n{body}"),
            400,
        ),
        (
            "Transfer-Encoding in HTTP/1.0",
            format!("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n{body}"),
            400,
        ),
        (
            "two Host fields",
            format!("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "NUL in a header value",
            format!("{post}X-A: b\0c\r\nContent-Length: 0\r\n\r\n{HIDDEN}"),
            400,
        ),
        (
            "unknown coding before chunked",
            format!("{post}Transfer-Encoding: xchunked, chunked\r\n\r\n{body}"),
            501,
        ),
    ]
}

/// The requests the server parsed, by target.
fn parsed_targets(lab: &Lab) -> Vec<String> {
    lab.records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Request { target, .. } => Some(target.clone()),
            _ => None,
        })
        .collect()
}

/// Why `drain` half-closed connection `conn`.
fn half_close_cause(lab: &Lab, conn: u64) -> Option<Cause> {
    lab.records.iter().find_map(|r| match r.event {
        Event::HalfClosed { cause } if r.conn == Some(conn) => Some(cause),
        _ => None,
    })
}

#[test]
fn smuggling_shapes_get_one_refusal_and_a_close_never_two_requests() {
    for mode in [ReadMode::Full, ReadMode::Drain, ReadMode::Abort] {
        let mut lab = start_with(Config {
            mode,
            ..Config::default()
        });
        let cases = shapes();
        for (what, bytes, status) in &cases {
            let out = lab.raw(&Script::send(bytes.clone().into_bytes()));
            assert_eq!(
                out.responses.len(),
                1,
                "{mode}: {what}: exactly one answer: {out:?}"
            );
            assert_eq!(out.status(), Some(*status), "{mode}: {what}");
            assert!(
                matches!(out.end, ReadEnd::Eof | ReadEnd::Reset),
                "{mode}: {what}: the server closes: {:?}",
                out.end
            );
        }
        let closed = lab.closed(cases.len());
        for (c, (what, _, status)) in closed.iter().zip(&cases) {
            // drain half-closes for the refusal and ends when the client's FIN comes.
            let why = match mode {
                ReadMode::Drain => half_close_cause(&lab, c.conn),
                _ => Some(c.cause),
            };
            assert_eq!(why, Some(Cause::Rejected(*status)), "{mode}: {what}: {c:?}");
            // The close follows the mode: drain sends FIN after reading the rest,
            // abort always resets, full resets when the hidden request is unread.
            let expected = match mode {
                ReadMode::Drain => CloseEnding::WeSentFin,
                ReadMode::Abort => CloseEnding::WeAborted,
                _ if c.unread > 0 => CloseEnding::WeProvokedRst,
                // A body refused unread that had not arrived at the close.
                _ if *status == 413 => CloseEnding::WeClosedBodyDue,
                _ => CloseEnding::WeSentFin,
            };
            assert_eq!(c.end, expected, "{mode}: {what}: {c:?}");
        }
        lab.drain_records();
        let parsed = parsed_targets(&lab);
        assert!(
            !parsed.iter().any(|t| t == "/smuggled"),
            "{mode}: a hidden request was parsed: {parsed:?}"
        );
        let stats = lab.stop();
        assert_eq!(stats.rejected, cases.len() as u64, "{mode}");
    }
}

#[test]
fn a_request_inside_a_declared_body_is_body_not_a_second_request() {
    // The control: a well-framed body that looks like a request is just bytes.
    let mut lab = start_with(Config::default());
    let bytes = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{HIDDEN}",
        HIDDEN.len()
    );
    let out = lab.raw(&Script::send(bytes.into_bytes()));
    assert_eq!(out.responses.len(), 1, "{out:?}");
    assert_eq!(out.status(), Some(200));
    assert_eq!(out.end, ReadEnd::Eof, "everything was read: FIN");
    lab.closed(1);
    assert_eq!(parsed_targets(&lab), vec!["/".to_string()]);
    lab.stop();
}
