//! The analyzer's HTTP/1 decoder (`wirelab::app::http1`) against real peers:
//! curl and the raw client talk to the project's server through a small
//! forwarding proxy on loopback that records both directions' bytes as they
//! pass, in the order they passed. The decoder reads those bytes; the
//! server's event log says what it received and sent. They must agree on
//! every exchange: method, target, status, response body bytes.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{Lab, curl, start_with};
use wirelab::app::Direction::{self, ClientToServer as C, ServerToClient as S};
use wirelab::app::http1::{End, Framing as BodyFraming, Http1Decoder, Outcome};
use wirelab::client::{Request, Script};
use wirelab::http::Framing;
use wirelab::server::{Config, Event};

/// One proxied connection: the pieces in the order they passed, and how
/// each direction ended.
struct Tap {
    pieces: Vec<(Direction, Vec<u8>)>,
    ends: [End; 2],
}

type Log = Arc<Mutex<Vec<(Direction, Vec<u8>)>>>;

/// Copies `from` to `to`, logging each piece before forwarding it (so a
/// request is always logged before the response it causes).
fn pump(mut from: TcpStream, mut to: TcpStream, dir: Direction, log: Log) -> End {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                return End::Fin;
            }
            Ok(n) => {
                log.lock().unwrap().push((dir, buf[..n].to_vec()));
                if to.write_all(&buf[..n]).is_err() {
                    return End::Rst;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                let _ = to.shutdown(Shutdown::Both);
                return End::Rst;
            }
        }
    }
}

/// A proxy in front of `upstream`; each connection it served arrives on the
/// channel once both directions ended.
fn proxy(upstream: SocketAddr) -> (SocketAddr, Receiver<Tap>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds");
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = channel();
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let server = TcpStream::connect(upstream).expect("proxy reaches the server");
            let log: Log = Arc::default();
            let (c2, s2, l2) = (
                client.try_clone().unwrap(),
                server.try_clone().unwrap(),
                log.clone(),
            );
            let up = thread::spawn(move || pump(c2, s2, C, l2));
            let down = pump(server, client, S, log.clone());
            let up = up.join().unwrap();
            let pieces = std::mem::take(&mut *log.lock().unwrap());
            let _ = tx.send(Tap {
                pieces,
                ends: [up, down],
            });
        }
    });
    (addr, rx)
}

fn decode(tap: &Tap) -> Http1Decoder {
    let mut d = Http1Decoder::new(0, 0);
    for (dir, bytes) in &tap.pieces {
        d.feed(*dir, bytes);
    }
    // The server's end first when it closed: the order the proxy saw is
    // not kept, and outcomes do not depend on it here.
    d.end(S, tap.ends[1]);
    d.end(C, tap.ends[0]);
    d
}

/// What the server's log says for its latest connection: (method, target)
/// per request or refusal, (status, body bytes) per response.
/// (method, target) per request; (status, body bytes) per response.
type Seen = (Vec<(String, String)>, Vec<(u16, u64)>);

fn server_says(lab: &mut Lab, conns: usize) -> Seen {
    lab.wait_for(conns, |r| matches!(r.event, Event::Closed { .. }));
    let conn = lab
        .records
        .iter()
        .filter_map(|r| r.conn)
        .max()
        .expect("a connection");
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    for r in lab.records.iter().filter(|r| r.conn == Some(conn)) {
        match &r.event {
            Event::Request { method, target, .. } => {
                requests.push((method.as_str().to_string(), target.clone()))
            }
            Event::Response {
                status, body_bytes, ..
            } => responses.push((*status, *body_bytes as u64)),
            _ => {}
        }
    }
    (requests, responses)
}

/// The decoder's view, in the same shape.
fn decoder_says(d: &Http1Decoder) -> Seen {
    let ex = d.exchanges();
    let requests = ex
        .iter()
        .filter_map(|e| e.request.as_ref())
        .map(|r| (r.method.clone(), r.target.clone()))
        .collect();
    let responses = ex
        .iter()
        .filter_map(|e| e.response.as_ref())
        .map(|r| (r.status, r.message.body_bytes))
        .collect();
    (requests, responses)
}

struct Rig {
    lab: Lab,
    proxy: SocketAddr,
    taps: Receiver<Tap>,
    conns: usize,
}

impl Rig {
    fn new(config: Config) -> Rig {
        let lab = start_with(config);
        let (proxy, taps) = proxy(lab.addr);
        Rig {
            lab,
            proxy,
            taps,
            conns: 0,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.proxy)
    }

    /// The next proxied connection, decoded and checked against the log.
    #[track_caller]
    fn next(&mut self) -> Http1Decoder {
        let tap = self
            .taps
            .recv_timeout(Duration::from_secs(20))
            .expect("the proxy saw a connection end");
        self.conns += 1;
        let d = decode(&tap);
        let (requests, responses) = server_says(&mut self.lab, self.conns);
        let (seen_requests, seen_responses) = decoder_says(&d);
        assert_eq!(seen_responses, responses, "{:?}", d.exchanges());
        // The server logs refused requests without a Request event.
        for (i, r) in requests.iter().enumerate() {
            assert_eq!(&seen_requests[i], r);
        }
        assert_eq!((d.stopped(C), d.stopped(S)), (None, None));
        d
    }
}

#[test]
fn curl_keepalive_head_and_bodies_agree_with_the_server_log() {
    let mut rig = Rig::new(Config {
        body_size: 70_000,
        ..Config::default()
    });
    // Two requests on one connection (curl reuses it), then HEAD.
    let out = curl(&[
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        &rig.url("/a"),
        &rig.url("/b"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let d = rig.next();
    assert_eq!(d.exchanges().len(), 2);
    for e in d.exchanges() {
        assert_eq!(e.outcome(), Outcome::Complete);
        let m = &e.response.as_ref().unwrap().message;
        assert_eq!(m.framing, BodyFraming::Length(70_000));
    }
    let out = curl(&["-I", &rig.url("/h")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let d = rig.next();
    let e = &d.exchanges()[0];
    assert_eq!(e.request.as_ref().unwrap().method, "HEAD");
    let m = &e.response.as_ref().unwrap().message;
    assert_eq!(
        (m.framing, m.fields.content_length),
        (BodyFraming::None, Some(70_000))
    );
    assert_eq!(e.outcome(), Outcome::Complete);
    rig.lab.stop();
}

#[test]
fn curl_chunked_and_close_delimited_responses() {
    for (framing, expect) in [
        (Framing::Chunked, BodyFraming::Chunked),
        (Framing::Close, BodyFraming::UntilClose),
    ] {
        let mut rig = Rig::new(Config {
            framing,
            body_size: 20_000,
            ..Config::default()
        });
        let out = curl(&["-o", "/dev/null", &rig.url("/x")]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let d = rig.next();
        let e = &d.exchanges()[0];
        let m = &e.response.as_ref().unwrap().message;
        assert_eq!((m.framing, m.body_bytes), (expect, 20_000));
        // Close-delimited: complete because the server ended with a FIN.
        assert_eq!(e.outcome(), Outcome::Complete, "{framing:?}");
        rig.lab.stop();
    }
}

#[test]
fn curl_expect_continue_shows_the_interim_response() {
    let mut rig = Rig::new(Config::default());
    let body = "z".repeat(5000);
    let out = curl(&[
        "-o",
        "/dev/null",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &body,
        &rig.url("/post"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let d = rig.next();
    let e = &d.exchanges()[0];
    assert_eq!(e.interim.iter().map(|i| i.0).collect::<Vec<_>>(), [100]);
    let r = e.request.as_ref().unwrap();
    assert_eq!((r.method.as_str(), r.message.body_bytes), ("POST", 5000));
    assert_eq!(e.outcome(), Outcome::Complete);
    rig.lab.stop();
}

#[test]
fn raw_client_pipelining_and_a_refused_method() {
    let mut rig = Rig::new(Config::default());
    let mut head = Request::get("/2");
    head.method = "HEAD".into();
    let pipelined = [
        Request::get("/1").to_bytes(),
        head.to_bytes(),
        Request::post("/3", 3000).to_bytes(),
        Request::get("/4").connection("close").to_bytes(),
    ]
    .concat();
    let out = wirelab::client::run(rig.proxy, &Script::send(pipelined)).expect("client runs");
    assert_eq!(out.responses.len(), 4);
    let d = rig.next();
    let methods: Vec<_> = d
        .exchanges()
        .iter()
        .map(|e| e.request.as_ref().unwrap().method.as_str())
        .collect();
    assert_eq!(methods, ["GET", "HEAD", "POST", "GET"]);
    assert!(
        d.exchanges()
            .iter()
            .all(|e| e.outcome() == Outcome::Complete)
    );
    // Each response starts where the previous one ended.
    let ranges: Vec<_> = d
        .exchanges()
        .iter()
        .map(|e| e.response_range().unwrap())
        .collect();
    for w in ranges.windows(2) {
        assert_eq!(w[0].1, Some(w[1].0));
    }

    // A method the server does not implement: it answers 501 and logs no
    // Request; the observer reads the request as sent.
    let brew = b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    let out = wirelab::client::run(rig.proxy, &Script::send(brew)).expect("client runs");
    assert_eq!(out.status(), Some(501));
    let d = rig.next();
    let e = &d.exchanges()[0];
    let r = e.request.as_ref().unwrap();
    assert_eq!((r.method.as_str(), r.target.as_str()), ("BREW", "/pot"));
    assert_eq!(e.response.as_ref().unwrap().status, 501);
    rig.lab.wait_for(1, |r| {
        matches!(r.event, Event::Rejected { status: 501, .. })
    });
    rig.lab.stop();
}
