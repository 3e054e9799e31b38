//! Initial packets opened with the keys anyone on the path can derive
//! (RFC 9001 §5.2): HKDF-Extract of the client's first Destination
//! Connection ID with the version's public salt, then HKDF-Expand-Label
//! for each direction's AES-128-GCM key, IV and header-protection key.
//! Header protection (§5.4) hides the packet number's length and value
//! behind an AES mask made from a sample of the ciphertext.

use std::sync::OnceLock;

use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;

use super::header::Packet;
use super::protection::{DirectionKeys, Opened, Scratch, Suite, expand_label};
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
        // The salts' HMAC keys, set up once: every connection's Initial
        // keys start from one of them.
        static V1: OnceLock<hkdf::Salt> = OnceLock::new();
        static V2: OnceLock<hkdf::Salt> = OnceLock::new();
        let salt = match version {
            Version::V1 => V1.get_or_init(|| hkdf::Salt::new(hkdf::HKDF_SHA256, &SALT_V1)),
            Version::V2 => V2.get_or_init(|| hkdf::Salt::new(hkdf::HKDF_SHA256, &SALT_V2)),
            v => return Err(QuicError::UnknownVersion(v)),
        };
        let initial = salt.extract(dcid);
        let mut client = [0; 32];
        let mut server = [0; 32];
        expand_label(&initial, b"client in", &mut client);
        expand_label(&initial, b"server in", &mut server);
        Ok(InitialKeys {
            client: DirectionKeys::new(Suite::Aes128GcmSha256, version, &client),
            server: DirectionKeys::new(Suite::Aes128GcmSha256, version, &server),
        })
    }

    /// Removes the header protection of a long-header packet sent by
    /// `from` and opens it in `scratch`. `largest` is the largest packet
    /// number opened so far in that direction, to expand the truncated one.
    pub fn open<'s>(
        &self,
        from: Side,
        packet: &Packet<'_>,
        largest: Option<u64>,
        scratch: &'s mut Scratch,
    ) -> Result<Opened<'s>, QuicError> {
        let keys = match from {
            Side::Client => &self.client,
            Side::Server => &self.server,
        };
        keys.open(packet.bytes, packet.pn_offset, largest, scratch)
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
