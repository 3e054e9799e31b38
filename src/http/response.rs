//! Responses: encoding on the server side, head parsing on the client side.
//!
//! The body framing is a lab knob because it decides what a client sees when a RST
//! follows the response: with Content-Length (or chunked) the client knows the body
//! is complete before the RST arrives; with a close-delimited body it needs the FIN,
//! and a RST instead is an error (curl's `(56)`). Bodies are deterministic
//! ([`pattern_byte`]) so a client can tell a truncated body from a complete one.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::head::{check_head, lines};
use super::syntax::{parse_field_line, split_status_line};
use super::{Check, Field, Limits, ParseError, Version, chunked};

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// `Content-Length`: the client knows where the body ends.
    #[default]
    Length,
    /// No length: the body ends when the server closes (RFC 9112 §6.3 rule 8), so
    /// the connection cannot persist.
    Close,
    /// `Transfer-Encoding: chunked` (HTTP/1.1 clients only, RFC 9112 §7).
    Chunked,
    /// The answer of a first hand-written server, as in the write-up the reset
    /// lab retells: the status line `HTTP/1.0 200 OK`, no header fields at
    /// all, the body ended by the close (RFC 1945 §7.2.2). Never persistent.
    Bare,
}

impl std::fmt::Display for Framing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Framing::Length => "length",
            Framing::Close => "close",
            Framing::Chunked => "chunked",
            Framing::Bare => "bare",
        })
    }
}

/// Size of each chunk in a chunked response.
pub const CHUNK_SIZE: usize = 4096;

/// A response to encode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body framing. Close framing always ends the connection.
    pub framing: Framing,
    /// The body. The head carries its length even when [`Response::head_only`].
    pub body: Vec<u8>,
    /// Answer to HEAD: the head describes the body, which is not sent (RFC 9110 §9.3.2).
    pub head_only: bool,
    /// The connection persists after this response. When false, the head says
    /// `Connection: close` (RFC 9112 §9.6).
    pub keep_alive: bool,
    /// The request was HTTP/1.0: a persistent answer must say `Connection: keep-alive`.
    pub http10_client: bool,
    /// Extra header fields, in order.
    pub extra: Vec<(String, String)>,
}

impl Response {
    /// A response with `len` deterministic body bytes.
    pub fn pattern(status: u16, framing: Framing, len: usize) -> Self {
        let body = (0..len as u64).map(pattern_byte).collect();
        Response {
            status,
            framing,
            body,
            head_only: false,
            keep_alive: false,
            http10_client: false,
            extra: Vec::new(),
        }
    }

    /// A short plain-text response (error answers).
    pub fn text(status: u16, text: &str) -> Self {
        Response {
            body: format!("{status} {}: {text}\n", reason_phrase(status)).into_bytes(),
            ..Response::pattern(status, Framing::Length, 0)
        }
    }

    /// Appends the encoded response to `out`. The status line always says HTTP/1.1,
    /// the version we implement (RFC 9110 §6.2).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_with_body(&self.body, out);
    }

    /// [`Response::encode`] with `body` in place of [`Response::body`], so a
    /// server answering every request with the same bytes need not copy them
    /// into each response.
    pub fn encode_with_body(&self, body: &[u8], out: &mut Vec<u8>) {
        // A 1.0 client cannot decode chunked (RFC 9112 §7): fall back to close.
        let framing = match self.framing {
            Framing::Chunked if self.http10_client => Framing::Close,
            f => f,
        };
        if framing == Framing::Bare {
            // Writing into a Vec cannot fail.
            let _ = write!(
                out,
                "HTTP/1.0 {} {}\r\n\r\n",
                self.status,
                reason_phrase(self.status)
            );
            if !self.head_only {
                out.extend_from_slice(body);
            }
            return;
        }
        let keep_alive = self.keep_alive && framing != Framing::Close;
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "HTTP/1.1 {} {}\r\nServer: wirelab\r\n",
            self.status,
            reason_phrase(self.status)
        );
        DATE.with(|d| {
            let mut d = d.borrow_mut();
            let now = SystemTime::now();
            let secs = now.duration_since(UNIX_EPOCH).map_or(0, |t| t.as_secs());
            // The Date field has one-second resolution (RFC 9110 §6.6.1):
            // format it once a second, as nginx does.
            if d.0 != secs || d.1.is_empty() {
                *d = (secs, http_date(now));
            }
            out.extend_from_slice(b"Date: ");
            out.extend_from_slice(d.1.as_bytes());
            out.extend_from_slice(b"\r\n");
        });
        match framing {
            Framing::Length => {
                let _ = write!(out, "Content-Length: {}\r\n", body.len());
            }
            Framing::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            Framing::Close | Framing::Bare => {}
        }
        if !keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if self.http10_client {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        for (name, value) in &self.extra {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if self.head_only {
            return;
        }
        match framing {
            Framing::Chunked => chunked::encode(body, CHUNK_SIZE, out),
            _ => out.extend_from_slice(body),
        }
    }
}

thread_local! {
    /// The last Date value formatted, with the second it is for.
    static DATE: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((0, String::new())) };
}

/// The interim `100 Continue` (RFC 9110 §15.2.1), sent before reading a body the
/// client is holding back with `Expect: 100-continue`.
pub fn encode_continue(out: &mut Vec<u8>) {
    out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
}

/// Byte `offset` of every deterministic body: lines of 63 letters and digits, then
/// a newline, rotating so that a shifted or truncated body is easy to spot.
pub fn pattern_byte(offset: u64) -> u8 {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if offset % 64 == 63 {
        b'\n'
    } else {
        ALPHABET[((offset / 64 + offset % 64) % 62) as usize]
    }
}

/// `bytes` equal the deterministic body starting at `offset`.
pub fn is_pattern(offset: u64, bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .all(|(i, &b)| b == pattern_byte(offset + i as u64))
}

/// The reason phrase for the status codes this project sends or names.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A parsed response head, as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// Version of the status line.
    pub version: Version,
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Header fields in order.
    pub fields: Vec<Field>,
}

/// Scans `buf` for a complete response head (same grammar as a request head).
///
/// # Errors
///
/// As [`check_head`].
pub fn check_response(buf: &[u8], limits: &Limits) -> Result<Check, ParseError> {
    check_head(buf, limits)
}

impl ResponseHead {
    /// Parses a complete head, as delimited by [`check_response`].
    ///
    /// # Errors
    ///
    /// A malformed status line or field line.
    pub fn parse(head: &[u8]) -> Result<ResponseHead, ParseError> {
        let mut it = lines(head);
        let line = it.next().ok_or(ParseError::MalformedStatusLine)?;
        let (version, status, reason) = split_status_line(line)?;
        let reason = String::from_utf8_lossy(reason).into_owned();
        let fields = it.map(parse_field_line).collect::<Result<_, _>>()?;
        Ok(ResponseHead {
            version,
            status,
            reason,
            fields,
        })
    }

    /// The first value of field `name` (case-insensitive), as text.
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| String::from_utf8_lossy(&f.value).into_owned())
    }

    /// The body's framing per RFC 9112 §6.3, given whether the request was HEAD.
    /// `None` means no body at all (HEAD, 1xx, 204, 304).
    pub fn body_framing(&self, request_was_head: bool) -> Option<BodyLength> {
        if request_was_head || self.status < 200 || self.status == 204 || self.status == 304 {
            return None;
        }
        let te = self.field("transfer-encoding").unwrap_or_default();
        if te
            .rsplit(',')
            .next()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"))
        {
            return Some(BodyLength::Chunked);
        }
        match self
            .field("content-length")
            .map(|v| v.trim().parse::<u64>())
        {
            Some(Ok(n)) => Some(BodyLength::Length(n)),
            _ => Some(BodyLength::UntilClose),
        }
    }
}

/// How the client finds the end of a response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyLength {
    /// Content-Length.
    Length(u64),
    /// Chunked.
    Chunked,
    /// Until the server closes: only a clean EOF (FIN) completes it.
    UntilClose,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(r: &Response) -> String {
        let mut out = Vec::new();
        r.encode(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn length_framing_with_keep_alive() {
        let mut r = Response::pattern(200, Framing::Length, 5);
        r.keep_alive = true;
        let s = encode(&r);
        assert!(s.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(s.contains("Content-Length: 5\r\n"));
        assert!(!s.contains("Connection:"));
        assert!(s.ends_with("\r\n\r\nABCDE"));
    }

    #[test]
    fn close_framing_has_no_length_and_says_close() {
        let mut r = Response::pattern(200, Framing::Close, 3);
        r.keep_alive = true;
        let s = encode(&r);
        assert!(!s.contains("Content-Length"));
        assert!(s.contains("Connection: close\r\n"));
        assert!(s.ends_with("\r\n\r\nABC"));
    }

    #[test]
    fn chunked_falls_back_to_close_for_http10() {
        let mut r = Response::pattern(200, Framing::Chunked, 3);
        r.http10_client = true;
        let s = encode(&r);
        assert!(!s.contains("Transfer-Encoding"));
        assert!(s.ends_with("\r\n\r\nABC"));
        r.http10_client = false;
        assert!(encode(&r).ends_with(
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nABC\r\n0\r\n\r\n"
        ));
    }

    #[test]
    fn bare_is_a_status_line_and_the_body_whatever_was_asked() {
        let mut r = Response::pattern(200, Framing::Bare, 3);
        r.keep_alive = true;
        r.extra = vec![("X-Wirelab-Seq".into(), "1".into())];
        assert_eq!(encode(&r), "HTTP/1.0 200 OK\r\n\r\nABC");
        r.head_only = true;
        assert_eq!(encode(&r), "HTTP/1.0 200 OK\r\n\r\n");
    }

    #[test]
    fn head_only_sends_length_but_no_body() {
        let mut r = Response::pattern(200, Framing::Length, 10);
        r.head_only = true;
        let s = encode(&r);
        assert!(s.contains("Content-Length: 10\r\n"));
        assert!(s.ends_with("\r\n\r\n"));
    }

    #[test]
    fn pattern_is_lines_of_64() {
        let body: Vec<u8> = (0..130).map(pattern_byte).collect();
        assert_eq!(body[63], b'\n');
        assert_eq!(body[127], b'\n');
        assert_eq!(&body[..3], b"ABC");
        assert_eq!(&body[64..66], b"BC");
        assert!(is_pattern(10, &body[10..]));
        assert!(!is_pattern(11, &body[10..]));
    }

    #[test]
    fn encode_with_shared_body_equals_owned_body() {
        let body: Vec<u8> = (0..200).map(pattern_byte).collect();
        for framing in [Framing::Length, Framing::Chunked, Framing::Close] {
            let mut owned = Response::pattern(200, framing, 200);
            owned.keep_alive = true;
            let shared = Response {
                body: Vec::new(),
                ..owned.clone()
            };
            let (mut a, mut b) = (Vec::new(), Vec::new());
            owned.encode(&mut a);
            shared.encode_with_body(&body, &mut b);
            // The Date field may tick between the two; compare without it.
            let strip = |v: &[u8]| {
                String::from_utf8_lossy(v)
                    .lines()
                    .filter(|l| !l.starts_with("Date: "))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(&a), strip(&b), "{framing:?}");
            assert!(String::from_utf8_lossy(&b).contains("\r\nDate: "));
        }
    }

    #[test]
    fn http_date_known_instants() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn response_head_parse_and_framing() {
        let h = ResponseHead::parse(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 7\r\n\r\n")
            .unwrap();
        assert_eq!(h.status, 413);
        assert_eq!(h.reason, "Content Too Large");
        assert_eq!(h.body_framing(false), Some(BodyLength::Length(7)));
        assert_eq!(h.body_framing(true), None);
        let c = ResponseHead::parse(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
        assert_eq!(c.body_framing(false), Some(BodyLength::UntilClose));
        let t = ResponseHead::parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(t.unwrap().body_framing(false), Some(BodyLength::Chunked));
        assert_eq!(
            ResponseHead::parse(b"HTTP/1.1 2000 OK\r\n\r\n"),
            Err(ParseError::MalformedStatusLine)
        );
    }
}
