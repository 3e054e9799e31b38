//! Recognising the h2c upgrade (RFC 7540 §3.2; deprecated by RFC 9113 §3.1
//! but still sent by curl `--http2` and `nghttp -u`): an HTTP/1.1 request
//! with `Upgrade: h2c`, exactly one `HTTP2-Settings` field, and both names
//! listed in `Connection`. Anything short of that is answered as plain
//! HTTP/1.1, "as though the Upgrade header field were absent" (§3.2), which
//! is also what a server does with `Upgrade: h2` in cleartext.

use crate::http::{RequestHead, Version, list_members};
use crate::proto::h2::{SettingId, SettingsParams};
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
    let payload = base64url(value)?;
    if !payload.len().is_multiple_of(6) {
        return None;
    }
    Some(
        SettingsParams::new(&payload)
            .map(|(id, value): (SettingId, u32)| SettingValue { id, value })
            .collect(),
    )
}

/// Decodes base64url (RFC 4648 §5: `-` and `_` where base64 has `+` and
/// `/`). HTTP2-Settings is a token68 "with any trailing '=' characters
/// omitted" (RFC 7540 §3.2.1); trailing `=` are tolerated all the same.
pub fn base64url(text: &[u8]) -> Option<Vec<u8>> {
    let text = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be zero padding (RFC 4648 §3.5, canonical form).
    (acc == 0).then_some(out)
}

#[cfg(test)]
mod tests;
