//! SETTINGS_TIMEOUT (RFC 9113 §6.5.3): a client that never acknowledges the
//! server's SETTINGS gets a connection error of that type — GOAWAY with code
//! 0x4, then the close — once `settings_timeout` has passed, even while it
//! is being served; a client that acknowledges is left to the idle timeout.
//! Driven frame by frame over a real socket, as the conformance tests are.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Lab, frame, start_with};
use wirelab::proto::h2::{ErrorCode, FrameType, PREFACE, flags};
use wirelab::server::log::Timer;
use wirelab::server::{Cause, CloseEnding, Config, Dir, Event};

/// GET http://x/ on `stream`: static indexes 2, 6, 4 and `:authority x`
/// without indexing (RFC 7541 §6.2.2), the whole request.
fn get(stream: u32) -> Vec<u8> {
    let block = [0x82, 0x86, 0x84, 0x01, 0x01, b'x'];
    frame(0x1, flags::END_HEADERS | flags::END_STREAM, stream, &block)
}

/// A client that has sent the preface and an empty SETTINGS, and reads
/// frames one at a time.
struct Client {
    sock: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn open(lab: &Lab) -> Client {
        let mut sock = TcpStream::connect(lab.addr).expect("connects");
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        sock.write_all(&[&PREFACE[..], &frame(0x4, 0, 0, &[])].concat())
            .unwrap();
        Client {
            sock,
            buf: Vec::new(),
        }
    }

    /// The next frame (type, flags, stream, payload), or `None` at the
    /// server's FIN.
    #[track_caller]
    fn next(&mut self) -> Option<(FrameType, u8, u32, Vec<u8>)> {
        loop {
            if self.buf.len() >= 9 {
                let len = u32::from_be_bytes([0, self.buf[0], self.buf[1], self.buf[2]]) as usize;
                if self.buf.len() >= 9 + len {
                    let f: Vec<u8> = self.buf.drain(..9 + len).collect();
                    let stream = u32::from_be_bytes(f[5..9].try_into().unwrap());
                    return Some((FrameType::from_u8(f[3]), f[4], stream, f[9..].to_vec()));
                }
            }
            let mut chunk = [0u8; 4096];
            match self.sock.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => panic!("RST, not FIN"),
                Err(e) => panic!("no frame and no close within 5 s: {e}"),
            }
        }
    }

    /// Reads to the answer on `stream` (its DATA with END_STREAM), ACKing
    /// the server's SETTINGS on the way if `ack`.
    #[track_caller]
    fn answer(&mut self, stream: u32, ack: bool) {
        loop {
            match self.next() {
                Some((FrameType::Settings, f, _, _)) if ack && f & flags::ACK == 0 => {
                    self.sock
                        .write_all(&frame(0x4, flags::ACK, 0, &[]))
                        .unwrap();
                }
                Some((FrameType::Data, f, s, _)) if s == stream && f & flags::END_STREAM != 0 => {
                    return;
                }
                Some((FrameType::GoAway, ..)) => panic!("GOAWAY before the answer"),
                Some(_) => {}
                None => panic!("FIN before the answer"),
            }
        }
    }

    /// Reads to the GOAWAY: its last stream and code; then expects FIN.
    #[track_caller]
    fn goaway(&mut self) -> (u32, ErrorCode) {
        loop {
            match self.next() {
                Some((FrameType::GoAway, _, _, p)) => {
                    let last = u32::from_be_bytes(p[0..4].try_into().unwrap());
                    let code = ErrorCode::from_u32(u32::from_be_bytes(p[4..8].try_into().unwrap()));
                    while self.next().is_some() {}
                    return (last, code);
                }
                Some(_) => {}
                None => panic!("FIN without GOAWAY"),
            }
        }
    }
}

fn settings_timeouts(lab: &Lab) -> usize {
    lab.records
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                Event::Timeout {
                    timer: Timer::SettingsAck
                }
            )
        })
        .count()
}

#[test]
fn settings_never_acknowledged_is_a_settings_timeout() {
    let mut lab = start_with(Config {
        settings_timeout: Duration::from_millis(300),
        ..Config::default()
    });
    let start = Instant::now();
    let mut c = Client::open(&lab);
    // Served meanwhile: the timeout is about the ACK, not about activity.
    c.sock.write_all(&get(1)).unwrap();
    c.answer(1, false);
    let (last, code) = c.goaway();
    let waited = start.elapsed();
    assert_eq!((last, code), (1, ErrorCode::SettingsTimeout));
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    let closed = lab.closed(1);
    assert_eq!(
        closed[0].cause,
        Cause::H2ConnectionError,
        "{}",
        lab.log_text()
    );
    assert_eq!(closed[0].end, CloseEnding::WeSentFin, "{}", lab.log_text());
    assert_eq!(settings_timeouts(&lab), 1, "{}", lab.log_text());
    let text = lab.log_text();
    assert!(text.contains("event=timeout timer=settings-ack"), "{text}");
    let sent = lab.records.iter().any(|r| {
        matches!(
            r.event,
            Event::GoAway {
                dir: Dir::Sent,
                code: ErrorCode::SettingsTimeout,
                ..
            }
        )
    });
    assert!(sent, "{text}");
}

#[test]
fn settings_acknowledged_leaves_the_connection_to_the_idle_timeout() {
    let mut lab = start_with(Config {
        settings_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_millis(800),
        ..Config::default()
    });
    let mut c = Client::open(&lab);
    c.sock.write_all(&get(1)).unwrap();
    c.answer(1, true);
    let quiet = Instant::now();
    let (last, code) = c.goaway();
    assert_eq!((last, code), (1, ErrorCode::NoError));
    assert!(
        quiet.elapsed() >= Duration::from_millis(700),
        "{:?}",
        quiet.elapsed()
    );
    let closed = lab.closed(1);
    assert_eq!(closed[0].cause, Cause::IdleTimeout, "{}", lab.log_text());
    assert_eq!(settings_timeouts(&lab), 0, "{}", lab.log_text());
}
