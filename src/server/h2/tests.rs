//! The session without a socket: frames in, frames out.

use super::session::{Session, SessionLimits, Shutdown};
use super::stream::Request;
use crate::proto::h2::{Check, ErrorCode, Frame, PREFACE, check, parse};
use crate::server::log::{Event, SettingValue};

const GET: [u8; 6] = [0x82, 0x86, 0x84, 0x01, 0x01, b'x'];

fn limits() -> SessionLimits {
    SessionLimits {
        max_streams: 100,
        max_header_list: 16_384,
        status: 200,
        shutdown_after_answer: false,
        one_shot: false,
    }
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The frames written so far, as (type, flags-relevant summary).
fn written(s: &mut Session) -> Vec<String> {
    let out = std::mem::take(&mut s.out);
    let mut pos = 0;
    let mut names = Vec::new();
    while pos < out.len() {
        let Ok(Check::Complete(n)) = check(&out[pos..], 1 << 24) else {
            panic!("a broken frame");
        };
        let f = parse(&out[pos..pos + n]).unwrap();
        names.push(match f {
            Frame::Settings { ack, .. } => format!("SETTINGS ack={ack}"),
            Frame::Headers {
                stream, end_stream, ..
            } => format!("HEADERS {stream} end={end_stream}"),
            Frame::Data {
                stream,
                end_stream,
                data,
                ..
            } => {
                format!("DATA {stream} {} end={end_stream}", data.len())
            }
            Frame::GoAway {
                last_stream, code, ..
            } => format!("GOAWAY {last_stream} {code}"),
            Frame::RstStream { stream, code } => format!("RST_STREAM {stream} {code}"),
            Frame::WindowUpdate { stream, increment } => {
                format!("WINDOW_UPDATE {stream} {increment}")
            }
            Frame::Ping { ack, .. } => format!("PING ack={ack}"),
            other => format!("{}", other.kind()),
        });
        pos += n;
    }
    names
}

#[test]
fn prior_knowledge_get_is_answered_on_its_stream() {
    let body = [b'a'; 10];
    let mut s = Session::prior_knowledge(limits());
    let input = [&PREFACE[..], &frame(4, 0, 0, b""), &frame(1, 5, 1, &GET)].concat();
    assert_eq!(s.receive(&input, &body), Ok(input.len()));
    assert_eq!(
        written(&mut s),
        [
            "SETTINGS ack=false",
            "SETTINGS ack=true",
            "HEADERS 1 end=false",
            "DATA 1 10 end=true"
        ]
    );
    assert_eq!(s.answered, 1);
    assert_eq!(s.active_streams(), 0);
}

#[test]
fn the_client_window_holds_the_body_back_until_window_update() {
    let body = [b'a'; 100];
    let mut s = Session::prior_knowledge(limits());
    // SETTINGS_INITIAL_WINDOW_SIZE = 30.
    let settings = frame(4, 0, 0, &[0, 4, 0, 0, 0, 30]);
    let input = [&PREFACE[..], &settings, &frame(1, 5, 1, &GET)].concat();
    s.receive(&input, &body).unwrap();
    let w = written(&mut s);
    assert_eq!(w[2..], ["HEADERS 1 end=false", "DATA 1 30 end=false"]);
    s.receive(&frame(8, 0, 1, &100u32.to_be_bytes()), &body)
        .unwrap();
    assert_eq!(written(&mut s), ["DATA 1 70 end=true"]);
}

#[test]
fn an_upgraded_stream_1_waits_for_the_preface() {
    let body = [b'a'; 10];
    let settings = [SettingValue {
        id: crate::proto::h2::SettingId::MaxConcurrentStreams,
        value: 100,
    }];
    let request = Request {
        method: "POST".into(),
        path: "/p".into(),
        body_bytes: 7,
        content_length: None,
    };
    let mut s = Session::upgraded(limits(), &settings, request).unwrap();
    assert_eq!(written(&mut s), ["SETTINGS ack=false"]);
    let input = [&PREFACE[..], &frame(4, 0, 0, b"")].concat();
    s.receive(&input, &body).unwrap();
    assert_eq!(
        written(&mut s),
        [
            "SETTINGS ack=true",
            "HEADERS 1 end=false",
            "DATA 1 10 end=true"
        ]
    );
    // Stream 1 is taken: the client's next stream is 3.
    s.receive(&frame(1, 5, 3, &GET), &body).unwrap();
    assert_eq!(
        written(&mut s),
        ["HEADERS 3 end=false", "DATA 3 10 end=true"]
    );
}

#[test]
fn a_one_shot_session_takes_nothing_past_its_first_request() {
    let body = [b'a'; 10];
    let mut s = Session::prior_knowledge(SessionLimits {
        one_shot: true,
        ..limits()
    });
    let first = [&PREFACE[..], &frame(4, 0, 0, b""), &frame(1, 5, 1, &GET)].concat();
    let input = [&first[..], &frame(4, 1, 0, b"")].concat();
    assert_eq!(s.receive(&input, &body), Ok(first.len()));
}

#[test]
fn graceful_shutdown_goes_goaway_ping_goaway() {
    let body = [b'a'; 10];
    let mut s = Session::prior_knowledge(SessionLimits {
        shutdown_after_answer: true,
        ..limits()
    });
    let input = [&PREFACE[..], &frame(4, 0, 0, b""), &frame(1, 5, 1, &GET)].concat();
    s.receive(&input, &body).unwrap();
    let w = written(&mut s);
    assert_eq!(w[4..], ["GOAWAY 2147483647 NO_ERROR", "PING ack=false"]);
    let Shutdown::Announced(data) = s.shutdown else {
        panic!("not announced");
    };
    s.receive(&frame(6, 1, 0, &data), &body).unwrap();
    assert_eq!(written(&mut s), ["GOAWAY 1 NO_ERROR"]);
    assert_eq!(s.shutdown, Shutdown::Final);
}

#[test]
fn a_connection_error_is_goaway_and_then_silence() {
    let body = [b'a'; 10];
    let mut s = Session::prior_knowledge(limits());
    let input = [&PREFACE[..], &frame(4, 0, 0, b""), &frame(0, 0, 0, b"x")].concat();
    let err = s.receive(&input, &body).unwrap_err();
    assert_eq!(err.0.code, ErrorCode::ProtocolError);
    assert_eq!(written(&mut s)[2..], ["GOAWAY 0 PROTOCOL_ERROR"]);
    assert!(s.receive(&frame(1, 5, 1, &GET), &body).is_ok());
    assert!(s.out.is_empty());
    assert!(s.events.iter().any(|e| matches!(e, Event::GoAway { .. })));
}
