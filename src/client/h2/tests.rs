//! The raw HTTP/2 client's requests, byte by byte.
use super::*;
use crate::proto::h2::decode_http2_settings;

#[test]
fn the_upgrade_request_offers_h2c_with_its_settings_and_body() {
    let req = H2Request {
        start: H2Start::Upgrade,
        path: "/up".into(),
        body: 3,
        timeout: Duration::from_secs(1),
    };
    let bytes = upgrade_request(&req, &[(SettingId::EnablePush, 0)]);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("POST /up HTTP/1.1\r\n"), "{text}");
    assert!(text.contains("Connection: Upgrade, HTTP2-Settings\r\n"));
    assert!(text.contains("Upgrade: h2c\r\n"));
    assert!(text.contains("Content-Length: 3\r\n\r\n"));
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("HTTP2-Settings: "))
        .unwrap();
    assert_eq!(
        decode_http2_settings(value.as_bytes()),
        Some(vec![(SettingId::EnablePush, 0)])
    );
    assert_eq!(bytes.len(), text.find("\r\n\r\n").unwrap() + 4 + 3);
}

#[test]
fn prior_knowledge_requests_fit_frames_and_end_the_stream_once() {
    let req = H2Request {
        start: H2Start::PriorKnowledge,
        path: "/".into(),
        body: 20_000,
        timeout: Duration::from_secs(1),
    };
    let mut out = Vec::new();
    request_frames(&req, &mut out);
    let mut kinds = Vec::new();
    let mut rest = &out[..];
    while let Ok(Check::Complete(n)) = check(rest, MAX_FRAME) {
        match parse(&rest[..n]).unwrap() {
            Frame::Headers { end_stream, .. } => kinds.push(("HEADERS", end_stream, 0)),
            Frame::Data {
                end_stream, data, ..
            } => kinds.push(("DATA", end_stream, data.len())),
            other => panic!("{other:?}"),
        }
        rest = &rest[n..];
    }
    assert!(rest.is_empty());
    assert_eq!(
        kinds,
        [
            ("HEADERS", false, 0),
            ("DATA", false, 16_384),
            ("DATA", true, 20_000 - 16_384)
        ]
    );
}

#[test]
fn status_lines_are_read_only_when_they_are_http1() {
    assert_eq!(
        http1_status(b"HTTP/1.1 505 HTTP Version Not Supported\r\n"),
        Some(505)
    );
    assert_eq!(http1_status(b"HTTP/1.0 200 OK\r\n"), Some(200));
    assert_eq!(http1_status(b"\0\0\x12\x04\0\0\0\0\0"), None);
    assert_eq!(http1_status(b"HTTP/1.1 2"), None);
}
