//! HTTP/1.0 and HTTP/1.1 message syntax, written by hand because the parser is
//! part of what wirelab teaches.
//!
//! This module is pure: it never touches a socket, so every rule can be unit-tested
//! with byte literals. The [`server`](crate::server) feeds it bytes it has peeked or
//! read; the [`client`](crate::client) uses it to frame the responses it receives.
//!
//! Parsing is incremental and two-phase, in the style of mini-redis: [`check_request`]
//! scans a buffer and says [`Check::Incomplete`] ("read more") or
//! [`Check::Complete`]`(len)` (the head ends at `len`), and only then
//! [`RequestHead::parse`] builds the owned request. Incomplete is a value, not an
//! error; an error is a request the server must refuse, and
//! [`ParseError::status`] says with which status code.
//!
//! Two layers: [`RequestSyntax`] reads what was sent (any token method, any
//! target form); [`RequestHead::parse`] is the server's policy on top of the same
//! functions (methods it implements, Host, the framings it accepts). The analyzer's
//! HTTP/1 decoder reads the syntax layer, because an observer must read what a
//! server would refuse.
//!
//! Bodies: [`ChunkedDecoder`] walks the chunked framing (RFC 9112 §7.1) byte by byte
//! and tells how many bytes belong to the message, so the server can consume exactly
//! the request and never a byte beyond it. [`Response`] encodes a response with
//! Content-Length, close-delimited or chunked framing and a deterministic body.
//!
//! Read first: RFC 9112 §2 (message format), §3 (request line), §5 (field syntax),
//! §6 (body length), §7 (chunked), §9.3 (persistence), §11 (security: smuggling);
//! RFC 9110 §5.5 (field values), §6.2 (versions), §15 (status codes).

mod alt_svc;
mod chunked;
mod head;
mod request;
mod response;
mod syntax;

pub use alt_svc::{AltSvc, AltSvcError, Alternative};
pub use chunked::{ChunkedDecoder, Feed, encode as chunked_encode};
pub use head::check_head;
pub(crate) use head::{Scan, check_head_from};
pub(crate) use request::content_length;
pub use request::{BodyFraming, Field, Method, RequestHead, check_request, persistent};
pub use response::{
    BodyLength, CHUNK_SIZE, Framing, Response, ResponseHead, check_response, encode_continue,
    http_date, is_pattern, pattern_byte, reason_phrase,
};
pub use syntax::{FieldView, FieldViews, RequestSyntax, ResponseSyntax, list_members, members};

/// The HTTP/1.x versions the server speaks (RFC 9112 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Version {
    /// HTTP/1.0 (RFC 1945): one request per connection unless `Connection: keep-alive`.
    #[serde(rename = "HTTP/1.0")]
    Http10,
    /// HTTP/1.1 (RFC 9112): persistent by default.
    #[serde(rename = "HTTP/1.1")]
    Http11,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        })
    }
}

/// Result of scanning a buffer for a complete message head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The head is not complete yet: read more and check again.
    Incomplete,
    /// The head (including its final empty line) is the first `len` bytes.
    Complete(usize),
}

/// Size limits on a message head. Exceeding one is answered with 414 or 431.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line (or status line) in bytes, without CRLF → 414 (RFC 9112 §3).
    pub max_start_line: usize,
    /// Longest single field line in bytes, without CRLF → 431 (RFC 6585 §5).
    pub max_field_line: usize,
    /// Most field lines in one head → 431.
    pub max_fields: usize,
    /// Largest whole head in bytes, start line and final CRLF included → 431.
    pub max_head: usize,
}

impl Default for Limits {
    /// 8 KiB lines, 100 fields and a 16 KiB head: the order of magnitude of nginx's
    /// `large_client_header_buffers 4 8k` and Apache's `LimitRequestFields 100`.
    fn default() -> Self {
        Limits {
            max_start_line: 8 * 1024,
            max_field_line: 8 * 1024,
            max_fields: 100,
            max_head: 16 * 1024,
        }
    }
}

/// Why a request (or a response, on the client side) cannot be accepted.
///
/// Each variant maps to the status a server answers with ([`ParseError::status`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The request line is longer than the limit (RFC 9112 §3: 414).
    #[error("request line longer than {limit} bytes")]
    StartLineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// One field line is longer than the limit (RFC 6585 §5: 431).
    #[error("a header field line is longer than {limit} bytes")]
    FieldLineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// More field lines than the limit (431).
    #[error("more than {limit} header fields")]
    TooManyFields {
        /// The configured limit.
        limit: usize,
    },
    /// The whole head is larger than the limit (431).
    #[error("request head larger than {limit} bytes")]
    HeadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A CR not followed by LF (RFC 9112 §2.2: reject or replace; we reject).
    #[error("bare CR in the message head")]
    BareCr,
    /// A LF not preceded by CR: we accept CRLF only (RFC 9112 §2.2 allows, not requires, LF).
    #[error("bare LF in the message head (lines must end with CRLF)")]
    BareLf,
    /// The start line does not have the shape `method SP target SP version`.
    #[error("malformed request line: {0}")]
    MalformedStartLine(&'static str),
    /// The version is not `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3).
    #[error("malformed HTTP version")]
    MalformedVersion,
    /// A well-formed version whose major number is not 1 (RFC 9110 §15.6.6: 505).
    #[error("unsupported HTTP version {0}")]
    UnsupportedVersion(String),
    /// A method this server does not implement (RFC 9110 §9.1: 501).
    #[error("method {0} not implemented")]
    UnknownMethod(String),
    /// The request target is not origin-form, absolute-form or `*` (RFC 9112 §3.2).
    #[error("malformed request target")]
    BadTarget,
    /// A field line starting with whitespace (obsolete line folding, RFC 9112 §5.2).
    #[error("obsolete line folding in a header field")]
    ObsFold,
    /// Whitespace between a field name and the colon (RFC 9112 §5.1: MUST reject with 400).
    #[error("whitespace between header field name and colon")]
    WhitespaceBeforeColon,
    /// A field line without a colon, or a name that is not a token.
    #[error("malformed header field name")]
    BadFieldName,
    /// A field value with NUL or another control character (RFC 9110 §5.5).
    #[error("control character in a header field value")]
    BadFieldValue,
    /// HTTP/1.1 without Host (RFC 9112 §3.2: 400).
    #[error("HTTP/1.1 request without Host")]
    MissingHost,
    /// More than one Host field (RFC 9112 §3.2: 400).
    #[error("more than one Host field")]
    DuplicateHost,
    /// A Content-Length that is not a decimal number (RFC 9112 §6.3).
    #[error("invalid Content-Length")]
    BadContentLength,
    /// Content-Length values that disagree (RFC 9110 §8.6, RFC 9112 §6.3).
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// Both Content-Length and Transfer-Encoding (RFC 9112 §6.1, §11.2: smuggling).
    #[error("both Content-Length and Transfer-Encoding")]
    ContentLengthWithTransferEncoding,
    /// Transfer-Encoding in an HTTP/1.0 request: faulty framing (RFC 9112 §6.1).
    #[error("Transfer-Encoding in an HTTP/1.0 request")]
    TransferEncodingInHttp10,
    /// chunked missing, repeated or not last (RFC 9112 §6.1: 400 and close).
    #[error("chunked is not the final transfer coding")]
    ChunkedNotFinal,
    /// A transfer coding other than chunked (RFC 9112 §6.1: 501).
    #[error("transfer coding {0} not implemented")]
    UnsupportedTransferCoding(String),
    /// A chunk size that is empty, not hexadecimal or too large (RFC 9112 §7.1).
    #[error("invalid chunk size")]
    BadChunkSize,
    /// Missing CRLF after a chunk, or a bad chunk extension or trailer line.
    #[error("malformed chunked framing")]
    BadChunkFraming,
    /// The body is larger than the limit (RFC 9110 §15.5.14: 413).
    #[error("request body larger than {limit} bytes")]
    BodyTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// A response's status line is not `HTTP/1.x SP 3DIGIT SP reason` (client side).
    #[error("malformed status line")]
    MalformedStatusLine,
}

impl ParseError {
    /// The status code a server answers this error with (RFC 9110 §15).
    pub fn status(&self) -> u16 {
        match self {
            ParseError::StartLineTooLong { .. } => 414,
            ParseError::FieldLineTooLong { .. }
            | ParseError::TooManyFields { .. }
            | ParseError::HeadTooLarge { .. } => 431,
            ParseError::UnsupportedVersion(_) => 505,
            ParseError::UnknownMethod(_) | ParseError::UnsupportedTransferCoding(_) => 501,
            ParseError::BodyTooLarge { .. } => 413,
            _ => 400,
        }
    }
}

/// `tchar` from RFC 9110 §5.6.2: the characters of a token (methods, field names).
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
