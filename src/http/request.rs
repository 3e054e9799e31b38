//! The request head: request line, fields, and what they say about the body and
//! about the connection.
//!
//! [`check_request`] finds the end of the head; [`RequestHead::parse`] validates it
//! strictly, because every leniency here is a request-smuggling opportunity when
//! another parser on the path reads the same bytes differently (RFC 9112 §11.2).

use super::head::{check_head, lines};
use super::syntax::{is_visible, parse_field_line, parse_version, split_request_line, trim_ows};
use super::{Check, Limits, ParseError, Version};

/// The request methods this server implements (RFC 9110 §9.3). Others get 501.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// HEAD: the response carries no body (RFC 9110 §9.3.2).
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// PATCH (RFC 5789)
    Patch,
    /// TRACE
    Trace,
}

impl Method {
    /// The method named by `token`, case-sensitively (RFC 9110 §9.1).
    pub fn from_token(token: &[u8]) -> Option<Method> {
        Some(match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"OPTIONS" => Method::Options,
            b"PATCH" => Method::Patch,
            b"TRACE" => Method::Trace,
            _ => return None,
        })
    }

    /// The method's name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the request body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFraming {
    /// No body: neither Content-Length nor Transfer-Encoding.
    None,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// Transfer-Encoding: chunked, walked by [`ChunkedDecoder`](super::ChunkedDecoder).
    Chunked,
}

/// One header field. The value is kept as bytes: obs-text (0x80-0xFF) is legal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The field name as sent.
    pub name: String,
    /// The value with surrounding whitespace removed (RFC 9112 §5.1).
    pub value: Vec<u8>,
}

/// A parsed, validated request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request target as sent (origin-form, absolute-form or `*`).
    pub target: String,
    /// The version (HTTP/1.2 and later minors are treated as 1.1, RFC 9110 §6.2).
    pub version: Version,
    /// The header fields in order.
    pub fields: Vec<Field>,
    /// How the body is delimited.
    pub body: BodyFraming,
    /// Whether the client wants the connection to persist (RFC 9112 §9.3).
    pub persistent: bool,
    /// `Expect: 100-continue` was sent (RFC 9110 §10.1.1).
    pub expect_continue: bool,
}

/// Scans `buf` for a complete request head: see [`check_head`].
///
/// # Errors
///
/// As [`check_head`].
pub fn check_request(buf: &[u8], limits: &Limits) -> Result<Check, ParseError> {
    check_head(buf, limits)
}

/// RFC 9112 §9.3: `close` ends persistence in any version; HTTP/1.1 persists by
/// default; HTTP/1.0 persists only with `keep-alive`.
pub fn persistent(version: Version, connection_tokens: &[String]) -> bool {
    let has = |t: &str| connection_tokens.iter().any(|c| c.eq_ignore_ascii_case(t));
    if has("close") {
        return false;
    }
    match version {
        Version::Http11 => true,
        Version::Http10 => has("keep-alive"),
    }
}

impl RequestHead {
    /// Parses a complete head, as delimited by [`check_request`].
    ///
    /// # Errors
    ///
    /// Any syntax or framing rule broken; [`ParseError::status`] gives the answer.
    pub fn parse(head: &[u8]) -> Result<RequestHead, ParseError> {
        let mut it = lines(head);
        let start = it.next().ok_or(ParseError::MalformedStartLine("empty"))?;
        let (method, target, version) = parse_request_line(start)?;
        let mut fields = Vec::new();
        for line in it {
            fields.push(parse_field_line(line)?);
        }
        let mut head = RequestHead {
            method,
            target,
            version,
            fields,
            body: BodyFraming::None,
            persistent: false,
            expect_continue: false,
        };
        head.apply_semantics()?;
        Ok(head)
    }

    /// The values of every field named `name` (case-insensitive), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_slice())
    }

    /// Comma-separated list members of every field named `name`, trimmed.
    fn list(&self, name: &str) -> Vec<String> {
        self.values(name)
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|m| String::from_utf8_lossy(trim_ows(m)).into_owned())
            .filter(|m| !m.is_empty())
            .collect()
    }

    /// Host, body framing, persistence and Expect (RFC 9112 §3.2, §6, §9.3).
    fn apply_semantics(&mut self) -> Result<(), ParseError> {
        let hosts = self.values("host").count();
        if hosts > 1 {
            return Err(ParseError::DuplicateHost);
        }
        if hosts == 0 && self.version == Version::Http11 {
            return Err(ParseError::MissingHost);
        }

        let lengths = self.list("content-length");
        let codings = self.list("transfer-encoding");
        let has_cl = self.values("content-length").next().is_some();
        let has_te = self.values("transfer-encoding").next().is_some();
        self.body = if has_te {
            // RFC 9112 §6.1: a 1.0 message with Transfer-Encoding has faulty framing;
            // §6.1 and §11.2: Content-Length beside it is a smuggling signature.
            if self.version == Version::Http10 {
                return Err(ParseError::TransferEncodingInHttp10);
            }
            if has_cl {
                return Err(ParseError::ContentLengthWithTransferEncoding);
            }
            let chunked = |c: &String| c.eq_ignore_ascii_case("chunked");
            let count = codings.iter().filter(|c| chunked(c)).count();
            if count != 1 || !codings.last().is_some_and(chunked) {
                return Err(ParseError::ChunkedNotFinal);
            }
            if let Some(other) = codings.iter().find(|c| !chunked(c)) {
                return Err(ParseError::UnsupportedTransferCoding(other.clone()));
            }
            BodyFraming::Chunked
        } else if has_cl {
            BodyFraming::Length(content_length(&lengths)?)
        } else {
            BodyFraming::None
        };

        self.persistent = persistent(self.version, &self.list("connection"));
        self.expect_continue = self.version == Version::Http11
            && self
                .list("expect")
                .iter()
                .any(|e| e.eq_ignore_ascii_case("100-continue"));
        Ok(())
    }
}

/// RFC 9110 §8.6: a list of identical values may be accepted as one; any
/// disagreement, or anything but digits, is an error (RFC 9112 §6.3 step 5).
pub(crate) fn content_length<M: AsRef<[u8]>>(
    members: impl IntoIterator<Item = M>,
) -> Result<u64, ParseError> {
    let mut value = None;
    for m in members {
        let n = decimal(m.as_ref()).ok_or(ParseError::BadContentLength)?;
        match value {
            Some(v) if v != n => return Err(ParseError::ConflictingContentLength),
            _ => value = Some(n),
        }
    }
    value.ok_or(ParseError::BadContentLength)
}

/// `1*DIGIT` as a u64: `None` when empty, not all digits, or too large.
fn decimal(m: &[u8]) -> Option<u64> {
    if m.is_empty() {
        return None;
    }
    m.iter().try_fold(0u64, |n, &b| {
        let d = b.is_ascii_digit().then(|| u64::from(b - b'0'))?;
        n.checked_mul(10)?.checked_add(d)
    })
}

/// The server's reading of the request line: the syntax of
/// [`split_request_line`], then its own policy in the order it has always
/// applied it: a target form it serves, the version, a method it implements.
fn parse_request_line(line: &[u8]) -> Result<(Method, String, Version), ParseError> {
    let (method, target, version) = split_request_line(line)?;
    if !valid_target(target) {
        return Err(ParseError::BadTarget);
    }
    let version = parse_version(version)?;
    let method = Method::from_token(method)
        .ok_or_else(|| ParseError::UnknownMethod(String::from_utf8_lossy(method).into_owned()))?;
    // valid_target admits visible ASCII only, so this conversion cannot fail.
    let target = String::from_utf8_lossy(target).into_owned();
    Ok((method, target, version))
}

/// Origin-form (`/path?q`), absolute-form (`http://host/...`) or asterisk-form;
/// visible ASCII only (RFC 9112 §3.2, RFC 3986 §2). The server does not serve
/// CONNECT, so authority-form is refused here (the syntax layer accepts it).
fn valid_target(t: &[u8]) -> bool {
    is_visible(t) && (t[0] == b'/' || t == b"*" || t.windows(3).any(|w| w == b"://"))
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
