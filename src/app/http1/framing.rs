//! Where a message body ends, decided as RFC 9112 §6.3 tells any recipient,
//! from the fields as sent. The server's own parser refuses what it does not
//! accept (Content-Length beside Transfer-Encoding, for instance); an
//! observer cannot refuse, so it reads such a message the way the RFC says
//! it must be read, and flags it.

use crate::http::{FieldView, ParseError, Version, members};

/// How a body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// No body (§6.3 rules 1, 2 and 7).
    None,
    /// Exactly this many bytes (Content-Length, rule 6).
    Length(u64),
    /// The chunked coding (rule 4).
    Chunked,
    /// A response without a length: the body ends with the connection (rule 8).
    UntilClose,
}

/// Something legal to read but worth a reader's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// Transfer-Encoding and Content-Length together: the coding wins and
    /// the length is ignored (§6.3 rule 3), a request-smuggling signature
    /// (§11.2).
    TransferEncodingWithContentLength,
    /// Transfer-Encoding in an HTTP/1.0 message: its framing is faulty and
    /// the connection must close after it (§6.1).
    TransferEncodingInHttp10,
}

/// What a head says about its body and its connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeadFields {
    /// Content-Length, when present and valid.
    pub content_length: Option<u64>,
    /// The fields of an upgrade offer or an alternative service, only for
    /// a head that has one: every connection's decoder holds its exchanges
    /// until the flow table lets the connection go, and most heads offer
    /// nothing (boxed, so a head without an offer costs one pointer and no
    /// allocation).
    offer: Option<Box<Offer>>,
}

/// The fields that tell how a connection may switch protocols, or where
/// else the origin is served.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Offer {
    connection: Vec<String>,
    upgrade: Vec<String>,
    http2_settings: Vec<String>,
    /// Alt-Svc (RFC 7838 §3), its fields joined with `, ` as RFC 9110
    /// §5.3 combines a repeated list field.
    alt_svc: Option<String>,
}

impl HeadFields {
    /// The fields of interest among `fields`: owned only for a head with
    /// an offer (the rest of the head is not kept).
    pub fn read(fields: &[FieldView<'_>]) -> Self {
        let any = fields
            .iter()
            .any(|f| f.is("http2-settings") || f.is("alt-svc"))
            || members(fields, "upgrade").next().is_some();
        let offer = any.then(|| {
            let owned = |m: &[u8]| String::from_utf8_lossy(m).into_owned();
            let values = |name| -> Vec<String> {
                fields
                    .iter()
                    .filter(|f| f.is(name))
                    .map(|f| owned(f.value))
                    .collect()
            };
            let alt_svc = values("alt-svc");
            Box::new(Offer {
                connection: members(fields, "connection").map(owned).collect(),
                upgrade: members(fields, "upgrade").map(owned).collect(),
                http2_settings: values("http2-settings"),
                alt_svc: (!alt_svc.is_empty()).then(|| alt_svc.join(", ")),
            })
        });
        HeadFields {
            content_length: content_length(fields).ok().flatten(),
            offer,
        }
    }

    /// Upgrade's protocols (RFC 9110 §7.8), as sent.
    pub fn upgrade(&self) -> &[String] {
        self.offer.as_ref().map_or(&[], |o| &o.upgrade)
    }

    /// Connection's options (RFC 9110 §7.6.1), kept for a head that carries
    /// Upgrade or HTTP2-Settings (the options an upgrade needs, §7.8):
    /// empty for any other head.
    pub fn connection(&self) -> &[String] {
        self.offer.as_ref().map_or(&[], |o| &o.connection)
    }

    /// The `Alt-Svc` value (RFC 7838 §3), as sent (several fields joined).
    pub fn alt_svc(&self) -> Option<&str> {
        self.offer.as_ref().and_then(|o| o.alt_svc.as_deref())
    }

    /// Each `HTTP2-Settings` field's value, as sent: an h2c upgrade needs
    /// exactly one (RFC 7540 §3.2.1), so a repeated one is kept to be seen.
    pub fn http2_settings(&self) -> &[String] {
        self.offer.as_ref().map_or(&[], |o| &o.http2_settings)
    }
}

fn present(fields: &[FieldView<'_>], name: &str) -> bool {
    fields.iter().any(|f| f.is(name))
}

/// `Ok(None)` without Content-Length; identical repeated values are one
/// (RFC 9110 §8.6); anything else is the error of rule 5.
fn content_length(fields: &[FieldView<'_>]) -> Result<Option<u64>, ParseError> {
    if !present(fields, "content-length") {
        return Ok(None);
    }
    crate::http::content_length(members(fields, "content-length")).map(Some)
}

/// Transfer-Encoding is present: the notes it earns, and whether chunked is
/// the final coding, applied once (§6.1).
fn coded(version: Version, fields: &[FieldView<'_>], notes: &mut Vec<Note>) -> bool {
    if present(fields, "content-length") {
        notes.push(Note::TransferEncodingWithContentLength);
    }
    if version == Version::Http10 {
        notes.push(Note::TransferEncodingInHttp10);
    }
    // Chunked once, and last.
    let (mut chunked, mut last) = (0, false);
    for c in members(fields, "transfer-encoding") {
        last = c.eq_ignore_ascii_case(b"chunked");
        chunked += usize::from(last);
    }
    last && chunked == 1
}

/// A request's body (§6.3 rules 3 to 7).
///
/// # Errors
///
/// Transfer-Encoding whose final coding is not chunked (rule 4: the length
/// cannot be determined), or an invalid Content-Length (rule 5).
pub fn request(
    version: Version,
    fields: &[FieldView<'_>],
) -> Result<(Framing, Vec<Note>), ParseError> {
    let mut notes = Vec::new();
    if present(fields, "transfer-encoding") {
        if !coded(version, fields, &mut notes) {
            return Err(ParseError::ChunkedNotFinal);
        }
        return Ok((Framing::Chunked, notes));
    }
    let framing = match content_length(fields)? {
        Some(n) => Framing::Length(n),
        None => Framing::None,
    };
    Ok((framing, notes))
}

/// A response's body, given the request's method (`None` when no request
/// was seen) (§6.3 rules 1 to 8).
///
/// # Errors
///
/// An invalid Content-Length (rule 5).
pub fn response(
    version: Version,
    status: u16,
    fields: &[FieldView<'_>],
    method: Option<&str>,
) -> Result<(Framing, Vec<Note>), ParseError> {
    let mut notes = Vec::new();
    // Rule 1: HEAD, 1xx, 204 and 304 never have a body, whatever the fields say.
    if method == Some("HEAD") || status < 200 || status == 204 || status == 304 {
        return Ok((Framing::None, notes));
    }
    // Rule 2: a 2xx to CONNECT is the start of a tunnel.
    if method == Some("CONNECT") && (200..300).contains(&status) {
        return Ok((Framing::None, notes));
    }
    if present(fields, "transfer-encoding") {
        // Rule 4: chunked not final in a response means read until close.
        let framing = if coded(version, fields, &mut notes) {
            Framing::Chunked
        } else {
            Framing::UntilClose
        };
        return Ok((framing, notes));
    }
    let framing = match content_length(fields)? {
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    };
    Ok((framing, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(name: &'a str, value: &'a str) -> FieldView<'a> {
        FieldView {
            name: name.as_bytes(),
            value: value.as_bytes(),
        }
    }

    #[test]
    fn an_upgrade_offer_keeps_its_fields_and_a_plain_head_none() {
        let offer = HeadFields::read(&[
            field("Connection", "Upgrade, HTTP2-Settings"),
            field("Upgrade", "h2c"),
            field("HTTP2-Settings", "AAMAAABkAAQCAAAAAAIAAAAA"),
            field("Content-Length", "0"),
        ]);
        assert_eq!(offer.upgrade(), ["h2c"]);
        assert_eq!(offer.connection(), ["Upgrade", "HTTP2-Settings"]);
        assert_eq!(offer.http2_settings(), ["AAMAAABkAAQCAAAAAAIAAAAA"]);
        assert_eq!(offer.content_length, Some(0));
        let plain = HeadFields::read(&[
            field("Connection", "keep-alive"),
            field("Content-Length", "5"),
        ]);
        assert!(plain.offer.is_none(), "{plain:?}");
        assert_eq!(plain.content_length, Some(5));
    }
}
