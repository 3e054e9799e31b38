//! Recognising the h2c upgrade (RFC 7540 §3.2; deprecated by RFC 9113 §3.1
//! but still sent by curl `--http2` and `nghttp -u`): an HTTP/1.1 request
//! with `Upgrade: h2c`, exactly one `HTTP2-Settings` field, and both names
//! listed in `Connection`. Anything short of that is answered as plain
//! HTTP/1.1, "as though the Upgrade header field were absent" (§3.2), which
//! is also what a server does with `Upgrade: h2` in cleartext.

use crate::http::{RequestHead, Version, list_members};
use crate::proto::h2::decode_http2_settings;
#[cfg(test)]
use crate::proto::h2::{SettingId, base64url};
use crate::server::log::SettingValue;

/// The 101 that accepts the upgrade (RFC 7540 §3.2). HTTP/2 frames follow
/// it at once, the server's SETTINGS first.
pub const SWITCHING: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

/// The client's settings from `HTTP2-Settings`, if `req` asks for h2c in a
/// way the server accepts; `None` means "answer as HTTP/1.1".
pub fn h2c_settings(req: &RequestHead) -> Option<Vec<SettingValue>> {
    // RFC 9110 §7.8: Upgrade in an HTTP/1.0 request is ignored.
    if req.version != Version::Http11 {
        return None;
    }
    if !list_members(&req.fields, "upgrade")
        .iter()
        .any(|p| p == "h2c")
    {
        return None;
    }
    let connection = list_members(&req.fields, "connection");
    let listed = |t: &str| connection.iter().any(|c| c.eq_ignore_ascii_case(t));
    // RFC 7540 §3.2.1: the client MUST list HTTP2-Settings in Connection,
    // and Upgrade must be there for the Upgrade field to mean anything
    // (RFC 9110 §7.8).
    if !listed("upgrade") || !listed("http2-settings") {
        return None;
    }
    // "A server MUST NOT upgrade ... if this header field is not present or
    // if more than one is present" (§3.2.1).
    let mut values = req.values("http2-settings");
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    Some(
        decode_http2_settings(value)?
            .into_iter()
            .map(|(id, value)| SettingValue { id, value })
            .collect(),
    )
}

#[cfg(test)]
mod tests;
