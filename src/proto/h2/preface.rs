//! The client connection preface (RFC 9113 §3.4): 24 fixed bytes a client
//! sends first, chosen so that an HTTP/1.x server reads them as a request
//! line with the unknown method `PRI` and version `HTTP/2.0` and fails
//! rather than answering, followed by the client's SETTINGS frame.

/// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the first bytes of a connection say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefaceMatch {
    /// Everything so far agrees with the preface; more is needed to tell.
    Incomplete,
    /// The whole preface is there.
    Yes,
    /// Not the preface: a byte differs.
    No,
}

/// Compares the start of a connection with the preface. A server that
/// serves HTTP/1.x and HTTP/2 on one port decides with this before parsing
/// anything, as Traffic Server's protocol probe does.
pub fn match_preface(buf: &[u8]) -> PrefaceMatch {
    let n = buf.len().min(PREFACE.len());
    if buf[..n] != PREFACE[..n] {
        PrefaceMatch::No
    } else if n == PREFACE.len() {
        PrefaceMatch::Yes
    } else {
        PrefaceMatch::Incomplete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preface_prefixes_wait_and_anything_else_is_no() {
        assert_eq!(match_preface(b""), PrefaceMatch::Incomplete);
        assert_eq!(match_preface(b"PRI * HTTP/2"), PrefaceMatch::Incomplete);
        assert_eq!(match_preface(PREFACE), PrefaceMatch::Yes);
        assert_eq!(
            match_preface(&[&PREFACE[..], b"\0\0"].concat()),
            PrefaceMatch::Yes
        );
        assert_eq!(match_preface(b"GET / HTTP/1.1\r\n"), PrefaceMatch::No);
        assert_eq!(match_preface(b"PRI * HTTP/1.1\r\n"), PrefaceMatch::No);
    }
}
