//! Unit tests for request parsing, with byte literals.

use super::*;

fn parse(buf: &[u8]) -> Result<RequestHead, ParseError> {
    match check_request(buf, &Limits::default())? {
        Check::Complete(len) => RequestHead::parse(&buf[..len]),
        Check::Incomplete => panic!("test head is incomplete"),
    }
}

fn status(buf: &[u8]) -> u16 {
    parse(buf).expect_err("should be rejected").status()
}

#[test]
fn get_http11_is_persistent_without_body() {
    let h = parse(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n").unwrap();
    assert_eq!(h.method, Method::Get);
    assert_eq!(h.target, "/a?b=1");
    assert_eq!(h.version, Version::Http11);
    assert_eq!(h.body, BodyFraming::None);
    assert!(h.persistent);
    assert_eq!(h.fields.len(), 2);
    assert_eq!(h.fields[1].value, b"*/*");
}

#[test]
fn split_at_every_point_gives_the_same_result() {
    let whole: &[u8] =
        b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    let limits = Limits::default();
    let Check::Complete(len) = check_request(whole, &limits).unwrap() else {
        panic!("complete")
    };
    let expected = RequestHead::parse(&whole[..len]).unwrap();
    for cut in 0..=whole.len() {
        // Feed the first part, then the whole, as a server reading twice would.
        let first = check_request(&whole[..cut], &limits).unwrap();
        if cut < len {
            assert_eq!(first, Check::Incomplete, "cut at {cut}");
        } else {
            assert_eq!(first, Check::Complete(len), "cut at {cut}");
        }
        assert_eq!(check_request(whole, &limits).unwrap(), Check::Complete(len));
        assert_eq!(RequestHead::parse(&whole[..len]).unwrap(), expected);
    }
    assert_eq!(expected.body, BodyFraming::Length(5));
    assert!(!expected.persistent);
}

#[test]
fn http10_persists_only_with_keep_alive() {
    let plain = parse(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(plain.version, Version::Http10);
    assert!(!plain.persistent);
    let ka = parse(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
    assert!(ka.persistent);
}

#[test]
fn connection_close_ends_persistence_in_http11() {
    let h = parse(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n").unwrap();
    assert!(!h.persistent);
}

#[test]
fn higher_minor_version_is_processed_as_http11() {
    let h = parse(b"GET / HTTP/1.7\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(h.version, Version::Http11);
}

#[test]
fn chunked_request_and_expect_continue() {
    let h = parse(
        b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    assert_eq!(h.body, BodyFraming::Chunked);
    assert!(h.expect_continue);
}

#[test]
fn identical_content_lengths_are_one() {
    let h =
        parse(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n")
            .unwrap();
    assert_eq!(h.body, BodyFraming::Length(3));
}

#[test]
fn leading_empty_line_is_ignored() {
    let h = parse(b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(h.method, Method::Get);
}

#[test]
fn unknown_method_is_501() {
    assert_eq!(status(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
    assert_eq!(status(b"get / HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
}

#[test]
fn unsupported_version_is_505_and_malformed_version_400() {
    assert_eq!(status(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
    assert_eq!(status(b"GET / HTTP/0.9\r\n\r\n"), 505);
    assert_eq!(status(b"GET / HTTP/1.1x\r\nHost: x\r\n\r\n"), 400);
    assert_eq!(status(b"GET / http/1.1\r\nHost: x\r\n\r\n"), 400);
}

#[test]
fn malformed_request_lines_are_400() {
    for line in [
        &b"GET /\r\n\r\n"[..],
        b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
        b"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET nope HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        assert_eq!(status(line), 400, "{:?}", String::from_utf8_lossy(line));
    }
}

#[test]
fn missing_or_duplicate_host_in_http11_is_400() {
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\n\r\n"),
        Err(ParseError::MissingHost)
    );
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        Err(ParseError::DuplicateHost)
    );
}

#[test]
fn content_length_with_transfer_encoding_is_400() {
    assert_eq!(
        parse(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        Err(ParseError::ContentLengthWithTransferEncoding)
    );
}

#[test]
fn conflicting_or_invalid_content_length_is_400() {
    assert_eq!(
        parse(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n"),
        Err(ParseError::ConflictingContentLength)
    );
    for v in ["-1", "+4", "0x10", "4 4", "", "99999999999999999999999"] {
        let req = format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {v}\r\n\r\n");
        assert_eq!(status(req.as_bytes()), 400, "Content-Length: {v}");
    }
}

#[test]
fn transfer_codings_other_than_final_chunked() {
    let te = |v: &str| {
        let req = format!("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {v}\r\n\r\n");
        parse(req.as_bytes())
    };
    assert_eq!(te("chunked, gzip"), Err(ParseError::ChunkedNotFinal));
    assert_eq!(te("chunked, chunked"), Err(ParseError::ChunkedNotFinal));
    assert_eq!(te("gzip"), Err(ParseError::ChunkedNotFinal));
    assert_eq!(
        te("gzip, chunked"),
        Err(ParseError::UnsupportedTransferCoding("gzip".into()))
    );
    assert_eq!(te("gzip, chunked").unwrap_err().status(), 501);
    assert_eq!(
        parse(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
        Err(ParseError::TransferEncodingInHttp10)
    );
}

#[test]
fn whitespace_before_colon_is_400() {
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
        Err(ParseError::WhitespaceBeforeColon)
    );
}

#[test]
fn obs_fold_and_bad_fields_are_400() {
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n"),
        Err(ParseError::ObsFold)
    );
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
        Err(ParseError::BadFieldName)
    );
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n"),
        Err(ParseError::BadFieldName)
    );
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nHost: x\r\nA: b\x00c\r\n\r\n"),
        Err(ParseError::BadFieldValue)
    );
}

#[test]
fn bare_cr_in_a_field_is_400() {
    let err = check_request(b"GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", &Limits::default());
    assert_eq!(err, Err(ParseError::BareCr));
    assert_eq!(ParseError::BareCr.status(), 400);
}

#[test]
fn obs_text_in_a_value_is_kept() {
    let h = parse(b"GET / HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n\r\n").unwrap();
    assert_eq!(h.values("x").next(), Some(&b"caf\xc3\xa9"[..]));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic generator (xorshift) over a grammar-ish alphabet.
    let alphabet = b"GET /HTP1.0\r\n:; ,\t\x00\x7fchunkedContent-Length0123456789Host";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        let mut buf = Vec::new();
        let len = (state % 64) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            buf.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        if let Ok(Check::Complete(n)) = check_request(&buf, &Limits::default()) {
            let _ = RequestHead::parse(&buf[..n]);
        }
    }
}
