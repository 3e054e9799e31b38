//! Unit tests for the client's request building and response framing.

use super::*;
use crate::http::{Framing, Response};

fn encoded(r: &Response) -> Vec<u8> {
    let mut out = Vec::new();
    r.encode(&mut out);
    out
}

#[test]
fn request_bytes_for_post_with_length() {
    let bytes = Request::post("/up", 3).connection("close").to_bytes();
    assert_eq!(
        bytes,
        b"POST /up HTTP/1.1\r\nHost: wirelab\r\nConnection: close\r\nContent-Length: 3\r\n\r\nABC"
    );
}

#[test]
fn chunked_request_parses_back_to_one_request() {
    let mut r = Request::get("/c");
    r.method = "PUT".into();
    r.body = RequestBody::Chunked { len: 10, chunk: 4 };
    let mut bytes = r.to_bytes();
    bytes.extend(Request::get("/next").to_bytes());
    assert_eq!(request_is_head(&bytes), vec![false, false]);
}

#[test]
fn head_requests_are_recognised_in_a_pipeline() {
    let mut head = Request::get("/h");
    head.method = "HEAD".into();
    let bytes = [
        Request::get("/a").to_bytes(),
        head.to_bytes(),
        Request::post("/p", 5).to_bytes(),
        junk(10),
    ]
    .concat();
    assert_eq!(request_is_head(&bytes), vec![false, true, false]);
}

#[test]
fn reader_frames_length_chunked_and_head_responses_split_anywhere() {
    let mut a = Response::pattern(200, Framing::Length, 100);
    a.keep_alive = true;
    let mut b = Response::pattern(200, Framing::Length, 100);
    b.head_only = true;
    b.keep_alive = true;
    let c = Response::pattern(200, Framing::Chunked, 5000);
    let stream = [encoded(&a), encoded(&b), encoded(&c)].concat();
    for cut in (0..stream.len()).step_by(7) {
        let mut r = Reader::default();
        r.heads = vec![false, true, false];
        r.feed(&stream[..cut]);
        r.feed(&stream[cut..]);
        let r = r.finish(&ReadEnd::Eof);
        assert_eq!(r.done.len(), 3, "cut at {cut}");
        assert!(r.done.iter().all(|s| s.complete && s.body_is_pattern));
        assert_eq!(r.done[0].body_received, 100);
        assert_eq!(r.done[1].body_received, 0);
        assert_eq!(r.done[2].body_expected, Some(5000));
    }
}

#[test]
fn close_delimited_body_is_complete_only_on_eof() {
    let bytes = encoded(&Response::pattern(200, Framing::Close, 50));
    let mut r = Reader::default();
    r.feed(&bytes);
    let reset = r.finish(&ReadEnd::Reset);
    assert!(!reset.done[0].complete);
    assert_eq!(reset.done[0].body_expected, None);
    assert_eq!(reset.done[0].body_received, 50);

    let mut r = Reader::default();
    r.feed(&bytes);
    let eof = r.finish(&ReadEnd::Eof);
    assert!(eof.done[0].complete);
    assert_eq!(eof.done[0].body_expected, Some(50));
}

#[test]
fn truncated_length_body_is_incomplete() {
    let bytes = encoded(&Response::pattern(200, Framing::Length, 50));
    let mut r = Reader::default();
    r.feed(&bytes[..bytes.len() - 10]);
    let r = r.finish(&ReadEnd::Reset);
    assert_eq!(r.done[0].body_expected, Some(50));
    assert_eq!(r.done[0].body_received, 40);
    assert!(!r.done[0].complete);
}

#[test]
fn interim_100_is_not_a_final_response() {
    let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
    bytes.extend(encoded(&Response::pattern(200, Framing::Length, 3)));
    let mut r = Reader::default();
    r.feed(&bytes);
    assert_eq!(r.interim, vec![100]);
    assert_eq!(r.done.len(), 1);
}

#[test]
fn garbage_is_reported_not_panicked_on() {
    let mut r = Reader::default();
    r.feed(b"SSH-2.0-OpenSSH\r\n\r\n");
    assert!(r.garbage.is_some());
    assert!(r.done.is_empty());
}

#[test]
fn read_end_words_never_call_eof_a_reset() {
    assert_eq!(ReadEnd::Eof.to_string(), "clean EOF (server FIN)");
    assert_eq!(ReadEnd::Reset.to_string(), "ECONNRESET (server RST)");
}
