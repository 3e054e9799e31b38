use super::*;

#[test]
fn first_bytes_decide() {
    assert_eq!(guess(b"GET / HTTP/1.1\r\n", b""), Guess::Http1);
    assert_eq!(guess(b"M-SEARCH * HTTP/1.1", b""), Guess::Http1);
    assert_eq!(guess(b"GE", b""), Guess::NeedMore);
    assert_eq!(guess(PREFACE, b""), Guess::Is(Protocol::H2PriorKnowledge));
    // The preface starts like an HTTP/1 request line: wait for all of it.
    assert_eq!(guess(b"PRI * HTTP/2.0\r\n", b""), Guess::NeedMore);
    assert_eq!(guess(b"PRI * HTTP/1.1\r\n", b""), Guess::Http1);
    assert_eq!(guess(&[0x16, 3, 1, 2, 0], b""), Guess::Is(Protocol::Tls));
    assert_eq!(guess(b"", b"SSH-2.0-x\r\n"), Guess::Is(Protocol::Ssh));
    assert_eq!(
        guess(b"", b"220 ftp ready\r\n"),
        Guess::Is(Protocol::Unknown)
    );
    assert_eq!(guess(b"", b"HTTP/1.1 408 "), Guess::Http1);
    assert_eq!(guess(b"\x00\x01garbage", b""), Guess::Is(Protocol::Unknown));
    assert_eq!(guess(b"", b""), Guess::NeedMore);
}
