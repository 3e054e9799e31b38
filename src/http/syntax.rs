//! The syntax of a message head, and nothing else: what was sent, read as
//! RFC 9112 writes it, with no opinion on whether a server would serve it.
//!
//! Two readers stand on this layer. The server ([`RequestHead::parse`]) adds
//! its policy on top (methods it implements, Host, framing it accepts) and
//! refuses the rest with a status code. The analyzer
//! ([`crate::app::http1`]) is an observer: it must read a request the
//! server would refuse, so it takes [`RequestSyntax`] as it is and decides
//! body framing the way RFC 9112 §6.3 tells any recipient to.
//!
//! [`RequestHead::parse`]: super::RequestHead::parse

use super::head::lines;
use super::{Field, ParseError, Version, is_tchar};

/// One field line as sent, borrowed from the head it was read in: the name,
/// and the value with the whitespace around it removed (RFC 9112 §5.1).
/// An observer reads a few fields of each head and keeps fewer, so it does
/// not copy every name and value into owned strings ([`Field`] is the
/// owned form the server keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldView<'a> {
    /// The field name as sent (a token: ASCII).
    pub name: &'a [u8],
    /// The value, obs-text (0x80-0xFF) included.
    pub value: &'a [u8],
}

impl FieldView<'_> {
    /// The name matches `name` regardless of case (RFC 9110 §5.1).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// Field lines kept in place before a head needs a list on the heap: a
/// request or a response seen on the wire usually has a handful.
const INLINE_FIELDS: usize = 8;

/// A head's field lines, borrowed: the first [`INLINE_FIELDS`] in place,
/// all of them on the heap past that. Reads as a slice.
#[derive(Clone, Debug)]
pub struct FieldViews<'a> {
    len: usize,
    inline: [FieldView<'a>; INLINE_FIELDS],
    spilled: Vec<FieldView<'a>>,
}

impl<'a> FieldViews<'a> {
    /// The field lines of a head (after its start line), each checked.
    fn parse(lines: impl Iterator<Item = &'a [u8]>) -> Result<Self, ParseError> {
        let empty = FieldView {
            name: &[],
            value: &[],
        };
        let mut f = FieldViews {
            len: 0,
            inline: [empty; INLINE_FIELDS],
            spilled: Vec::new(),
        };
        for line in lines {
            let field = split_field_line(line)?;
            if f.len < INLINE_FIELDS {
                f.inline[f.len] = field;
            } else {
                if f.spilled.is_empty() {
                    f.spilled.extend_from_slice(&f.inline);
                }
                f.spilled.push(field);
            }
            f.len += 1;
        }
        Ok(f)
    }
}

impl<'a> std::ops::Deref for FieldViews<'a> {
    type Target = [FieldView<'a>];
    fn deref(&self) -> &[FieldView<'a>] {
        if self.len <= INLINE_FIELDS {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

impl PartialEq for FieldViews<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for FieldViews<'_> {}

/// A request head as sent, borrowed from its bytes: any token as method,
/// any visible target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSyntax<'a> {
    /// The method token, case preserved (RFC 9110 §9.1: case-sensitive).
    pub method: &'a str,
    /// The request target as sent, in any of the four forms of RFC 9112 §3.2
    /// (authority-form included, for CONNECT).
    pub target: &'a str,
    /// The version.
    pub version: Version,
    /// The header fields in order.
    pub fields: FieldViews<'a>,
}

impl<'a> RequestSyntax<'a> {
    /// Parses a complete head, as delimited by [`check_head`](super::check_head).
    ///
    /// # Errors
    ///
    /// A request line or a field line that breaks the grammar of RFC 9112
    /// §3 and §5 (the same [`ParseError`] values the server gives them).
    pub fn parse(head: &'a [u8]) -> Result<RequestSyntax<'a>, ParseError> {
        let mut it = lines(head);
        let start = it.next().ok_or(ParseError::MalformedStartLine("empty"))?;
        let (method, target, version) = split_request_line(start)?;
        if !is_visible(target) {
            return Err(ParseError::BadTarget);
        }
        let version = parse_version(version)?;
        let fields = FieldViews::parse(it)?;
        // A token and a visible target are ASCII, so both are UTF-8; the
        // error arm is unreachable but costs nothing to keep honest.
        let ascii = |b| std::str::from_utf8(b).map_err(|_| ParseError::BadTarget);
        Ok(RequestSyntax {
            method: ascii(method)?,
            target: ascii(target)?,
            version,
            fields,
        })
    }
}

/// A response head as sent, borrowed from its bytes (the reason phrase,
/// which no reader of this layer keeps, is left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseSyntax<'a> {
    /// Version of the status line.
    pub version: Version,
    /// Status code.
    pub status: u16,
    /// The header fields in order.
    pub fields: FieldViews<'a>,
}

impl<'a> ResponseSyntax<'a> {
    /// Parses a complete head, as delimited by [`check_head`](super::check_head).
    ///
    /// # Errors
    ///
    /// A malformed status line or field line: the errors of
    /// [`ResponseHead::parse`](super::ResponseHead::parse), which reads the
    /// status line with the same function.
    pub fn parse(head: &'a [u8]) -> Result<ResponseSyntax<'a>, ParseError> {
        let mut it = lines(head);
        let line = it.next().ok_or(ParseError::MalformedStatusLine)?;
        let (version, status, _reason) = split_status_line(line)?;
        let fields = FieldViews::parse(it)?;
        Ok(ResponseSyntax {
            version,
            status,
            fields,
        })
    }
}

/// `HTTP-version SP status-code SP [ reason-phrase ]` (RFC 9112 §4): the
/// version, the three-digit code, and the reason as bytes.
pub(crate) fn split_status_line(line: &[u8]) -> Result<(Version, u16, &[u8]), ParseError> {
    let mut parts = line.splitn(3, |&b| b == b' ');
    let version = parse_version(parts.next().unwrap_or_default())
        .map_err(|_| ParseError::MalformedStatusLine)?;
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::MalformedStatusLine);
    }
    let status = code
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    Ok((version, status, parts.next().unwrap_or_default()))
}

/// The comma-separated list members of every field named `name`
/// (case-insensitive), trimmed, empty members left out (RFC 9110 §5.6.1),
/// borrowed: what [`list_members`] gives, without a copy.
pub fn members<'a>(
    fields: &'a [FieldView<'a>],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    fields
        .iter()
        .filter(move |f| f.is(name))
        .flat_map(|f| f.value.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|m| !m.is_empty())
}

/// The comma-separated list members of every field named `name`
/// (case-insensitive), trimmed, empty members left out (RFC 9110 §5.6.1).
pub fn list_members(fields: &[Field], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(name))
        .flat_map(|f| f.value.split(|&b| b == b','))
        .map(|m| String::from_utf8_lossy(trim_ows(m)).into_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

/// A request line's method, target and version, as bytes.
pub(crate) type LineParts<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// `method SP request-target SP HTTP-version` with exactly single spaces
/// (RFC 9112 §3), the method a token; the target and version are returned
/// unchecked for the caller's rules.
pub(crate) fn split_request_line(line: &[u8]) -> Result<LineParts<'_>, ParseError> {
    // Exactly two spaces make the three parts (no list is built: this runs
    // for every request an observer reads).
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::MalformedStartLine(
            "expected method, target and version separated by single spaces",
        ));
    };
    if version.contains(&b' ') {
        return Err(ParseError::MalformedStartLine(
            "expected method, target and version separated by single spaces",
        ));
    }
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::MalformedStartLine("method is not a token"));
    }
    Ok((method, target, version))
}

/// Non-empty visible ASCII: what any request target is made of (RFC 3986 §2).
pub(crate) fn is_visible(t: &[u8]) -> bool {
    !t.is_empty() && t.iter().all(|&b| (0x21..0x7f).contains(&b))
}

/// `HTTP/` DIGIT `.` DIGIT, case-sensitive (RFC 9112 §2.3).
pub(crate) fn parse_version(v: &[u8]) -> Result<Version, ParseError> {
    let [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] = v else {
        return Err(ParseError::MalformedVersion);
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return Err(ParseError::MalformedVersion);
    }
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        // RFC 9110 §6.2: a higher minor version of the same major is processed as
        // the highest minor we implement.
        (b'1', _) => Ok(Version::Http11),
        _ => Err(ParseError::UnsupportedVersion(
            String::from_utf8_lossy(v).into_owned(),
        )),
    }
}

/// `field-name ":" OWS field-value OWS` (RFC 9112 §5.1, RFC 9110 §5.5).
pub(crate) fn parse_field_line(line: &[u8]) -> Result<Field, ParseError> {
    let f = split_field_line(line)?;
    Ok(Field {
        // is_tchar admits ASCII only, so the name is valid UTF-8.
        name: String::from_utf8_lossy(f.name).into_owned(),
        value: f.value.to_vec(),
    })
}

/// [`parse_field_line`]'s rules, the line borrowed rather than copied.
pub(crate) fn split_field_line(line: &[u8]) -> Result<FieldView<'_>, ParseError> {
    if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
        return Err(ParseError::ObsFold);
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(ParseError::BadFieldName)?;
    let name = &line[..colon];
    if name.last().is_some_and(|&b| b == b' ' || b == b'\t') {
        return Err(ParseError::WhitespaceBeforeColon);
    }
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::BadFieldName);
    }
    let value = trim_ows(&line[colon + 1..]);
    if value.iter().any(|&b| b != b'\t' && (b < 0x20 || b == 0x7f)) {
        return Err(ParseError::BadFieldValue);
    }
    Ok(FieldView { name, value })
}

pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::RequestHead;

    #[test]
    fn any_token_method_and_authority_form_are_syntax() {
        let h =
            RequestSyntax::parse(b"CONNECT example.com:443 HTTP/1.1\r\nHost: e\r\n\r\n").unwrap();
        assert_eq!((h.method, h.target), ("CONNECT", "example.com:443"));
        assert_eq!(h.version, Version::Http11);
        // The server's policy refuses both, as it always has.
        let served = RequestHead::parse(b"CONNECT example.com:443 HTTP/1.1\r\nHost: e\r\n\r\n");
        assert_eq!(served, Err(ParseError::BadTarget));
        let brew = RequestSyntax::parse(b"BREW /pot HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(brew.method, "BREW");
        assert_eq!(
            RequestHead::parse(b"BREW /pot HTTP/1.0\r\n\r\n"),
            Err(ParseError::UnknownMethod("BREW".into()))
        );
    }

    #[test]
    fn missing_host_and_smuggling_shapes_are_still_syntax() {
        let h = RequestSyntax::parse(
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap();
        let got = |name| members(&h.fields, name).collect::<Vec<_>>();
        assert_eq!(got("transfer-encoding"), [b"chunked"]);
        assert_eq!(got("CONTENT-LENGTH"), [b"3"]);
    }

    #[test]
    fn many_fields_are_all_kept_in_order() {
        for n in [
            0,
            1,
            INLINE_FIELDS - 1,
            INLINE_FIELDS,
            INLINE_FIELDS + 1,
            40,
        ] {
            let mut head = String::from("GET / HTTP/1.1\r\n");
            for i in 0..n {
                head.push_str(&format!("X-{i}: {i}\r\n"));
            }
            head.push_str("\r\n");
            let h = RequestSyntax::parse(head.as_bytes()).unwrap();
            let got: Vec<String> = h
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}={}",
                        String::from_utf8_lossy(f.name),
                        String::from_utf8_lossy(f.value)
                    )
                })
                .collect();
            let want: Vec<String> = (0..n).map(|i| format!("X-{i}={i}")).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn grammar_errors_are_the_servers_errors() {
        for (head, err) in [
            (&b"GET  / HTTP/1.1\r\n\r\n"[..], "malformed request line"),
            (b"GET / HTTP/1.1 \r\n\r\n", "malformed request line"),
            (b"GET / HTTP/1.1 x\r\n\r\n", "malformed request line"),
            (b"GET /\r\n\r\n", "malformed request line"),
            (b"G@T / HTTP/1.1\r\n\r\n", "malformed request line"),
            (b"GET / HTTP/1.x\r\n\r\n", "malformed HTTP version"),
            (
                b"GET / HTTP/2.0\r\n\r\n",
                "unsupported HTTP version HTTP/2.0",
            ),
            (
                b"GET / HTTP/1.1\r\nA : b\r\n\r\n",
                "whitespace between header",
            ),
            (b"GET / HTTP/1.1\r\n x\r\n\r\n", "obsolete line folding"),
        ] {
            let got = RequestSyntax::parse(head).unwrap_err().to_string();
            assert!(got.starts_with(err), "{got:?}");
        }
    }
}
