//! The `HTTP2-Settings` header field of an h2c upgrade request (RFC 7540
//! §3.2.1, obsoleted with the mechanism by RFC 9113 §3.1 and §11.1): the
//! payload of a SETTINGS frame, base64url-encoded without padding. The
//! server reads it to accept an upgrade, the analyzer to show what the
//! client offered: one decoder for both.

use super::{SettingId, SettingsParams};

/// The settings an `HTTP2-Settings` value carries, in order; `None` when
/// the value is not base64url or not a whole number of 6-byte parameters
/// (§6.5.1), which a server must treat as no valid field.
pub fn decode_http2_settings(value: &[u8]) -> Option<Vec<(SettingId, u32)>> {
    let payload = base64url(value)?;
    if !payload.len().is_multiple_of(6) {
        return None;
    }
    Some(SettingsParams::new(&payload).collect())
}

/// The `HTTP2-Settings` value for `params`: their SETTINGS payload in
/// base64url without padding (RFC 7540 §3.2.1).
pub fn encode_http2_settings(params: &[(SettingId, u32)]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut payload = Vec::with_capacity(params.len() * 6);
    for (id, value) in params {
        payload.extend_from_slice(&id.to_u16().to_be_bytes());
        payload.extend_from_slice(&value.to_be_bytes());
    }
    let mut out = String::with_capacity(payload.len().div_ceil(3) * 4);
    for chunk in payload.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        // 1 byte → 2 characters, 2 → 3, 3 → 4: no '=' padding.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
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
mod tests {
    use super::*;

    #[test]
    fn curl_and_nghttp_values_decode_to_named_settings() {
        // curl 7.88 and nghttp 1.52, as captured.
        assert_eq!(
            decode_http2_settings(b"AAMAAABkAAQCAAAAAAIAAAAA"),
            Some(vec![
                (SettingId::MaxConcurrentStreams, 100),
                (SettingId::InitialWindowSize, 33_554_432),
                (SettingId::EnablePush, 0),
            ])
        );
        assert_eq!(
            decode_http2_settings(b"AAMAAABkAAQAAP__"),
            Some(vec![
                (SettingId::MaxConcurrentStreams, 100),
                (SettingId::InitialWindowSize, 65_535),
            ])
        );
        assert_eq!(decode_http2_settings(b""), Some(vec![]));
        let curl = [
            (SettingId::MaxConcurrentStreams, 100),
            (SettingId::InitialWindowSize, 33_554_432),
            (SettingId::EnablePush, 0),
        ];
        assert_eq!(encode_http2_settings(&curl), "AAMAAABkAAQCAAAAAAIAAAAA");
        let nghttp = [
            (SettingId::MaxConcurrentStreams, 100),
            (SettingId::InitialWindowSize, 65_535),
        ];
        assert_eq!(encode_http2_settings(&nghttp), "AAMAAABkAAQAAP__");
        let one = [(SettingId::EnablePush, 0), (SettingId::Unknown(0xff), 7)];
        let text = encode_http2_settings(&one);
        assert_eq!(decode_http2_settings(text.as_bytes()), Some(one.to_vec()));
        assert_eq!(decode_http2_settings(b"AAMA"), None, "3 bytes, not 6");
        assert_eq!(decode_http2_settings(b"AA+/AAAA"), None, "base64, not url");
    }
}
