//! Initial packets opened with the keys anyone on the path can derive
//! (RFC 9001 §5.2): HKDF-Extract of the client's first Destination
//! Connection ID with the version's public salt, then HKDF-Expand-Label
//! for each direction's AES-128-GCM key, IV and header-protection key.
//! Header protection (§5.4) hides the packet number's length and value
//! behind an AES mask made from a sample of the ciphertext.

use ring::aead::quic::{AES_128, HeaderProtectionKey};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;

use super::header::Packet;
use super::{QuicError, Version};

/// Who sent a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The endpoint that sent the first Initial.
    Client,
    /// The other one.
    Server,
}

/// RFC 9001 §5.2: initial_salt for QUIC version 1.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1: initial_salt for QUIC version 2.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// RFC 9001 §5.8: the Retry Integrity Tag's fixed key and nonce, v1.
const RETRY_V1: ([u8; 16], [u8; 12]) = (
    [
        0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8,
        0x4e,
    ],
    [
        0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
    ],
);
/// RFC 9369 §3.3.3: the same for v2.
const RETRY_V2: ([u8; 16], [u8; 12]) = (
    [
        0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc,
        0x92,
    ],
    [
        0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a,
    ],
);

/// An output length for ring's HKDF-Expand.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1, which RFC 9001 §5.1 uses with an
/// empty context) into `out`.
fn expand_label(prk: &hkdf::Prk, label: &[u8], out: &mut [u8]) {
    const PREFIX: &[u8] = b"tls13 ";
    // Lengths here are this module's constants: 32 bytes at most, labels
    // under 20.
    let out_len = (out.len() as u16).to_be_bytes();
    let label_len = [(PREFIX.len() + label.len()) as u8];
    let info = [&out_len[..], &label_len, PREFIX, label, &[0u8]];
    // Expand fails only past 255 hash lengths; ours are at most one.
    if let Ok(okm) = prk.expand(&info, Len(out.len())) {
        let _ = okm.fill(out);
    }
}

/// One direction's packet protection.
pub struct DirectionKeys {
    key: LessSafeKey,
    iv: [u8; 12],
    hp: HeaderProtectionKey,
}

impl std::fmt::Debug for DirectionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectionKeys(..)")
    }
}

impl DirectionKeys {
    fn from_secret(secret: &[u8], v2: bool) -> DirectionKeys {
        let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, secret);
        // RFC 9369 §3.3.2 renamed the labels for v2.
        let (l_key, l_iv, l_hp): (&[u8], &[u8], &[u8]) = if v2 {
            (b"quicv2 key", b"quicv2 iv", b"quicv2 hp")
        } else {
            (b"quic key", b"quic iv", b"quic hp")
        };
        let mut key = [0; 16];
        let mut iv = [0; 12];
        let mut hp = [0; 16];
        expand_label(&prk, l_key, &mut key);
        expand_label(&prk, l_iv, &mut iv);
        expand_label(&prk, l_hp, &mut hp);
        // Both constructors fail only for a key of the wrong length; these
        // are AES-128's 16 bytes.
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).expect("16-byte key"));
        let hp = HeaderProtectionKey::new(&AES_128, &hp).expect("16-byte key");
        DirectionKeys { key, iv, hp }
    }
}

/// A packet opened: its full packet number and its frames' bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The packet number, expanded (RFC 9000 §17.1, Appendix A.3).
    pub packet_number: u64,
    /// The plaintext payload: frames.
    pub payload: Vec<u8>,
}

/// The Initial keys of one connection, both directions, from the
/// Destination Connection ID of the client's first Initial (or of its
/// Initial after a Retry, §5.2: the Retry's SCID).
#[derive(Debug)]
pub struct InitialKeys {
    /// For what the client sends.
    pub client: DirectionKeys,
    /// For what the server sends.
    pub server: DirectionKeys,
}

impl InitialKeys {
    /// The keys of `version` for the client's `dcid`.
    pub fn new(version: Version, dcid: &[u8]) -> Result<InitialKeys, QuicError> {
        let salt = match version {
            Version::V1 => &SALT_V1,
            Version::V2 => &SALT_V2,
            v => return Err(QuicError::UnknownVersion(v)),
        };
        let initial = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(dcid);
        let mut client = [0; 32];
        let mut server = [0; 32];
        expand_label(&initial, b"client in", &mut client);
        expand_label(&initial, b"server in", &mut server);
        let v2 = version == Version::V2;
        Ok(InitialKeys {
            client: DirectionKeys::from_secret(&client, v2),
            server: DirectionKeys::from_secret(&server, v2),
        })
    }

    /// Removes the header protection of a long-header packet sent by
    /// `from` and opens it. `largest` is the largest packet number opened
    /// so far in that direction, to expand the truncated one.
    pub fn open(
        &self,
        from: Side,
        packet: &Packet<'_>,
        largest: Option<u64>,
    ) -> Result<Opened, QuicError> {
        let keys = match from {
            Side::Client => &self.client,
            Side::Server => &self.server,
        };
        let bytes = packet.bytes;
        let pn_offset = packet.pn_offset;
        // §5.4.2: the sample starts 4 bytes past the packet number's start,
        // as if it were 4 bytes long.
        let sample = bytes
            .get(pn_offset + 4..pn_offset + 20)
            .ok_or(QuicError::NoSample(bytes.len().saturating_sub(pn_offset)))?;
        let mask = keys.hp.new_mask(sample).map_err(|_| QuicError::Open)?;
        // §5.4.1: a long header protects the low four bits of its first byte.
        let first = bytes[0] ^ (mask[0] & 0x0f);
        let pn_len = usize::from(first & 3) + 1;
        let mut header = bytes[..pn_offset + pn_len].to_vec();
        header[0] = first;
        let mut truncated = 0u64;
        for i in 0..pn_len {
            header[pn_offset + i] ^= mask[1 + i];
            truncated = truncated << 8 | u64::from(header[pn_offset + i]);
        }
        let packet_number = expand_pn(largest, truncated, pn_len * 8);
        let mut nonce = keys.iv;
        for (n, p) in nonce[4..].iter_mut().zip(packet_number.to_be_bytes()) {
            *n ^= p;
        }
        let mut payload = bytes[pn_offset + pn_len..].to_vec();
        let n = keys
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&header[..]),
                &mut payload,
            )
            .map_err(|_| QuicError::Open)?
            .len();
        payload.truncate(n);
        Ok(Opened {
            packet_number,
            payload,
        })
    }
}

/// RFC 9000 Appendix A.3: the packet number closest to the one expected
/// next whose low `bits` bits are `truncated`.
fn expand_pn(largest: Option<u64>, truncated: u64, bits: usize) -> u64 {
    let expected = largest.map_or(0, |l| l.saturating_add(1));
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if expected >= hwin && candidate <= expected - hwin && candidate < (1 << 62) - win {
        candidate + win
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// Whether a Retry packet's Integrity Tag (RFC 9001 §5.8) matches the
/// client's original Destination Connection ID: AES-128-GCM with a fixed
/// key over the Retry pseudo-packet, with nothing to encrypt.
pub fn retry_tag_valid(version: Version, odcid: &[u8], retry: &[u8]) -> bool {
    let (key, nonce) = match version {
        Version::V1 => RETRY_V1,
        Version::V2 => RETRY_V2,
        _ => return false,
    };
    let (Some(body), Ok(odcid_len)) = (retry.len().checked_sub(16), u8::try_from(odcid.len()))
    else {
        return false;
    };
    let mut pseudo = Vec::with_capacity(1 + odcid.len() + body);
    pseudo.push(odcid_len);
    pseudo.extend_from_slice(odcid);
    pseudo.extend_from_slice(&retry[..body]);
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).expect("16-byte key"));
    match key.seal_in_place_separate_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&pseudo[..]),
        &mut [],
    ) {
        Ok(tag) => tag.as_ref() == &retry[body..],
        Err(_) => false,
    }
}
