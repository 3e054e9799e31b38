//! Bad input gets a clear status and never a crash, and the server goes on serving:
//! RFC 9112 §2-§7 and §11, RFC 9110 §15, RFC 6585 §5.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::{Lab, start_with};
use wirelab::client::{Request, Script, Step};
use wirelab::server::{Cause, Config, Event, ReadMode};

fn config(mode: ReadMode) -> Config {
    Config {
        mode,
        max_body: 1000,
        ..Config::default()
    }
}

/// Sends `bytes`, expects `status`, then checks a normal request on a new
/// connection still gets 200.
#[track_caller]
fn expect_status(lab: &Lab, what: &str, bytes: Vec<u8>, status: u16) {
    let out = lab.raw(&Script::send(bytes));
    assert_eq!(
        out.status(),
        Some(status),
        "{what}: {out:?}\n{}",
        lab.log_text()
    );
    let ok = lab.raw(&Script::send(
        Request::get("/after").connection("close").to_bytes(),
    ));
    assert_eq!(ok.status(), Some(200), "after {what}: {ok:?}");
}

fn head(lines: &str) -> Vec<u8> {
    format!("{lines}\r\n\r\n").into_bytes()
}

fn cases() -> Vec<(&'static str, Vec<u8>, u16)> {
    let many: String = (0..101).map(|i| format!("\r\nX-{i}: v")).collect();
    let wide = "w".repeat(7000);
    vec![
        (
            "request line over the limit",
            head(&format!("GET /{} HTTP/1.1\r\nHost: x", "a".repeat(9000))),
            414,
        ),
        (
            "field line over the limit",
            head(&format!(
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}",
                "b".repeat(9000)
            )),
            431,
        ),
        (
            "too many fields",
            head(&format!("GET / HTTP/1.1\r\nHost: x{many}")),
            431,
        ),
        (
            "head over the limit",
            head(&format!(
                "GET / HTTP/1.1\r\nHost: x\r\nA: {wide}\r\nB: {wide}\r\nC: {wide}"
            )),
            431,
        ),
        (
            "Content-Length over --max-body",
            head("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000"),
            413,
        ),
        (
            "chunked body over --max-body",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n".to_vec(),
            413,
        ),
        ("unknown method", head("BREW /pot HTTP/1.1\r\nHost: x"), 501),
        (
            "unknown transfer coding",
            head("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked"),
            501,
        ),
        (
            "HTTP/2.0 in an HTTP/1 request line",
            head("GET / HTTP/2.0\r\nHost: x"),
            505,
        ),
        ("HTTP/3.0", head("GET / HTTP/3.0\r\nHost: x"), 505),
        ("malformed request line", head("GET /"), 400),
        (
            "double space in request line",
            head("GET  / HTTP/1.1\r\nHost: x"),
            400,
        ),
        (
            "malformed version",
            head("GET / HTTP/1.1.1\r\nHost: x"),
            400,
        ),
        ("missing Host in HTTP/1.1", head("GET / HTTP/1.1"), 400),
        (
            "two Host fields",
            head("GET / HTTP/1.1\r\nHost: a\r\nHost: b"),
            400,
        ),
        (
            "Content-Length with Transfer-Encoding",
            head("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"),
            400,
        ),
        (
            "conflicting Content-Lengths",
            head("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6"),
            400,
        ),
        (
            "invalid Content-Length",
            head("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5a"),
            400,
        ),
        (
            "bad chunk size",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            400,
        ),
        (
            "missing CRLF after chunk data",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX".to_vec(),
            400,
        ),
        ("bare CR", head("GET / HTTP/1.1\r\nHost: x\rY: z"), 400),
        ("bare LF", b"GET / HTTP/1.1\nHost: x\n\n".to_vec(), 400),
        (
            "whitespace before colon",
            head("GET / HTTP/1.1\r\nHost : x"),
            400,
        ),
        (
            "obsolete line folding",
            head("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c"),
            400,
        ),
        (
            "NUL in a field value",
            head("GET / HTTP/1.1\r\nHost: x\r\nA: b\0c"),
            400,
        ),
        (
            "Transfer-Encoding in HTTP/1.0",
            head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked"),
            400,
        ),
        (
            "binary garbage",
            vec![
                0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
            ],
            400,
        ),
    ]
}

#[test]
fn every_bad_input_gets_its_status_and_the_server_keeps_serving() {
    for mode in [ReadMode::Full, ReadMode::Drain, ReadMode::Abort] {
        let mut lab = start_with(config(mode));
        let cases = cases();
        for (what, bytes, status) in &cases {
            expect_status(&lab, &format!("{mode}: {what}"), bytes.clone(), *status);
        }
        let rejected = lab.wait_for(cases.len(), |r| matches!(r.event, Event::Rejected { .. }));
        let statuses: Vec<u16> = rejected
            .iter()
            .map(|r| match r.event {
                Event::Rejected { status, .. } => status,
                _ => 0,
            })
            .collect();
        let expected: Vec<u16> = cases.iter().map(|c| c.2).collect();
        assert_eq!(statuses, expected, "{mode}");
        lab.closed(2 * cases.len());
        let stats = lab.stop();
        assert_eq!(stats.rejected, cases.len() as u64);
        assert_eq!(stats.responses, 2 * cases.len() as u64, "{mode}");
    }
}

#[test]
fn slowloris_gets_408_while_others_are_served() {
    let mut lab = start_with(Config {
        header_timeout: Duration::from_millis(300),
        ..config(ReadMode::Full)
    });
    let addr = lab.addr;
    let slow = std::thread::spawn(move || {
        let bytes = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\nX-Slower: 2\r\n\r\n".to_vec();
        let script = Script {
            steps: vec![Step::SendPaced {
                bytes,
                chunk: 4,
                interval: Duration::from_millis(50),
            }],
            timeout: Duration::from_secs(10),
        };
        wirelab::client::run(addr, &script).expect("connects")
    });
    // Once the slow client is inside its head, someone else is served at once.
    lab.wait_for(1, |r| {
        r.conn == Some(1) && matches!(r.event, Event::Read { .. })
    });
    let ok = lab.raw(&Script::send(
        Request::get("/").connection("close").to_bytes(),
    ));
    assert_eq!(ok.status(), Some(200));
    let slow = slow.join().expect("slow client thread");
    assert_eq!(slow.status(), Some(408), "{slow:?}");
    let timeouts = lab.wait_for(1, |r| matches!(r.event, Event::Timeout { .. }));
    assert_eq!(timeouts[0].conn, Some(1));
    let closed = lab.closed(2);
    let slow_close = closed
        .iter()
        .find(|c| c.conn == 1)
        .expect("slow conn closed");
    assert_eq!(slow_close.cause, Cause::HeaderTimeout);
}

#[test]
fn max_conns_answers_503_and_recovers_when_a_connection_closes() {
    let mut lab = start_with(Config {
        max_conns: 2,
        ..config(ReadMode::Full)
    });
    let idle1 = TcpStream::connect(lab.addr).unwrap();
    let mut idle2 = TcpStream::connect(lab.addr).unwrap();
    lab.wait_for(2, |r| matches!(r.event, Event::Accepted { .. }));
    let out = lab.raw(&Script::send(Request::get("/").to_bytes()));
    assert_eq!(out.status(), Some(503), "{out:?}");
    assert_eq!(out.responses[0].field("Retry-After"), Some("1"));
    let refused = lab.closed(1);
    assert_eq!(refused[0].cause, Cause::MaxConns);

    drop(idle1);
    lab.closed(2);
    let ok = lab.raw(&Script::send(
        Request::get("/").connection("close").to_bytes(),
    ));
    assert_eq!(ok.status(), Some(200), "a slot freed up");
    idle2
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let stats = {
        lab.closed(4);
        lab.stop()
    };
    assert_eq!(stats.refused, 1);
    assert_eq!(stats.accepted, 4);
}
