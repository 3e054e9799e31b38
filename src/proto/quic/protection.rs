//! Packet protection from a TLS secret (RFC 9001 §5): the AEAD key, IV and
//! header-protection key a traffic secret expands to, header protection
//! removed from long and short headers (§5.4), the payload opened (§5.3),
//! and the next generation of 1-RTT keys after a key update (§6.1).
//!
//! The Initial keys (RFC 9001 §5.2, [`super::initial`]) and the keys of a
//! key log's handshake and application secrets are built the same way;
//! only where the secret comes from differs.

use std::ops::Range;

use ring::aead::quic::{AES_128, AES_256, CHACHA20, HeaderProtectionKey};
use ring::aead::{
    AES_128_GCM, AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey,
};
use ring::hkdf;

use super::{QuicError, Version};

/// The TLS 1.3 cipher suites QUIC uses (RFC 9001 §5.3: any TLS 1.3 suite
/// but TLS_AES_128_CCM_8_SHA256; ring has no CCM, so TLS_AES_128_CCM_SHA256
/// is refused too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// TLS_AES_128_GCM_SHA256 (0x1301).
    Aes128GcmSha256,
    /// TLS_AES_256_GCM_SHA384 (0x1302).
    Aes256GcmSha384,
    /// TLS_CHACHA20_POLY1305_SHA256 (0x1303).
    ChaCha20Poly1305Sha256,
}

impl Suite {
    /// The suite a ServerHello's code point names.
    pub fn from_code(code: u16) -> Result<Suite, QuicError> {
        match code {
            0x1301 => Ok(Suite::Aes128GcmSha256),
            0x1302 => Ok(Suite::Aes256GcmSha384),
            0x1303 => Ok(Suite::ChaCha20Poly1305Sha256),
            c => Err(QuicError::CipherSuite(c)),
        }
    }

    fn hkdf(self) -> hkdf::Algorithm {
        match self {
            Suite::Aes256GcmSha384 => hkdf::HKDF_SHA384,
            _ => hkdf::HKDF_SHA256,
        }
    }

    /// The length of every secret of the suite: its hash's output.
    pub fn secret_len(self) -> usize {
        match self {
            Suite::Aes256GcmSha384 => 48,
            _ => 32,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Suite::Aes128GcmSha256 => 16,
            _ => 32,
        }
    }
}

/// An output length for ring's HKDF-Expand.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, as RFC 9001
/// §5.1 uses it, into `out`.
pub(super) fn expand_label(prk: &hkdf::Prk, label: &[u8], out: &mut [u8]) {
    const PREFIX: &[u8] = b"tls13 ";
    // Lengths here are this module's: 48 bytes at most, labels under 20.
    let out_len = (out.len() as u16).to_be_bytes();
    let label_len = [(PREFIX.len() + label.len()) as u8];
    let info = [&out_len[..], &label_len, PREFIX, label, &[0u8]];
    // Expand fails only past 255 hash lengths; ours are at most one.
    if let Ok(okm) = prk.expand(&info, Len(out.len())) {
        let _ = okm.fill(out);
    }
}

/// The labels of a version (RFC 9369 §3.3.2 renamed them for v2).
fn labels(version: Version) -> [&'static [u8]; 4] {
    if version == Version::V2 {
        [b"quicv2 key", b"quicv2 iv", b"quicv2 hp", b"quicv2 ku"]
    } else {
        [b"quic key", b"quic iv", b"quic hp", b"quic ku"]
    }
}

/// The AEAD key and IV of one generation (they change on a key update;
/// the header-protection key does not, RFC 9001 §6.1).
pub struct PayloadKey {
    key: LessSafeKey,
    iv: [u8; 12],
}

impl std::fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadKey(..)")
    }
}

impl PayloadKey {
    /// The key and IV `secret` expands to.
    pub fn new(suite: Suite, version: Version, secret: &[u8]) -> PayloadKey {
        Self::from_prk(
            suite,
            version,
            &hkdf::Prk::new_less_safe(suite.hkdf(), secret),
        )
    }

    /// The key and IV a secret's HMAC key `prk` expands to.
    fn from_prk(suite: Suite, version: Version, prk: &hkdf::Prk) -> PayloadKey {
        let [l_key, l_iv, ..] = labels(version);
        let mut key = [0; 32];
        let key = &mut key[..suite.key_len()];
        let mut iv = [0; 12];
        expand_label(prk, l_key, key);
        expand_label(prk, l_iv, &mut iv);
        let alg = match suite {
            Suite::Aes128GcmSha256 => &AES_128_GCM,
            Suite::Aes256GcmSha384 => &AES_256_GCM,
            Suite::ChaCha20Poly1305Sha256 => &CHACHA20_POLY1305,
        };
        // The key has the algorithm's length by construction.
        let key = LessSafeKey::new(UnboundKey::new(alg, key).expect("key of the suite's length"));
        PayloadKey { key, iv }
    }

    /// Opens the payload of the packet `bytes`, whose header protection
    /// `u` took off, in `scratch`, which then lends the plaintext
    /// ([`Scratch::plaintext`]): the AEAD decrypts in place, with the
    /// header in the clear as its associated data (RFC 9001 §5.3) and the
    /// packet number XORed into the IV as the nonce.
    pub fn open(
        &self,
        u: &Unprotected,
        bytes: &[u8],
        scratch: &mut Scratch,
    ) -> Result<(), QuicError> {
        let mut nonce = self.iv;
        for (n, p) in nonce[4..].iter_mut().zip(u.packet_number.to_be_bytes()) {
            *n ^= p;
        }
        let packet = scratch.load(bytes);
        u.clear_header(packet);
        let (header, payload) = packet.split_at_mut(u.header_len);
        let len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&*header),
                payload,
            )
            .map_err(|_| QuicError::Open)?
            .len();
        scratch.plaintext = u.header_len..u.header_len + len;
        Ok(())
    }
}

/// Where a packet is opened: a copy of its bytes that the AEAD decrypts in
/// place (RFC 9001 §5.3), whose plaintext is lent to whoever reads the
/// frames. A packet of up to [`Scratch::STACK`] bytes, as every packet of a
/// path with an Ethernet MTU is, is held in the scratch itself (its users
/// keep one on the stack: nothing is allocated); a larger one
/// (max_udp_payload_size allows 65527, RFC 9000 §18.2) in a Vec.
pub struct Scratch {
    stack: [u8; Scratch::STACK],
    heap: Vec<u8>,
    /// The packet last loaded is in `heap`.
    on_heap: bool,
    /// Where the plaintext of the packet last opened lies (empty when the
    /// last packet loaded did not open).
    plaintext: Range<usize>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            stack: [0; Scratch::STACK],
            heap: Vec::new(),
            on_heap: false,
            plaintext: 0..0,
        }
    }
}

impl Scratch {
    /// The largest packet held on the stack: a 1500-byte MTU's IPv4 UDP
    /// payload.
    pub const STACK: usize = 1472;

    /// `bytes` copied in, to be opened where they lie.
    fn load(&mut self, bytes: &[u8]) -> &mut [u8] {
        self.plaintext = 0..0;
        self.on_heap = bytes.len() > Self::STACK;
        if self.on_heap {
            self.heap.clear();
            self.heap.extend_from_slice(bytes);
            &mut self.heap
        } else {
            let room = &mut self.stack[..bytes.len()];
            room.copy_from_slice(bytes);
            room
        }
    }

    /// The plaintext of the packet last opened: its frames.
    pub fn plaintext(&self) -> &[u8] {
        let packet = if self.on_heap {
            &self.heap[..]
        } else {
            &self.stack[..]
        };
        &packet[self.plaintext.clone()]
    }
}

/// The secret of the next 1-RTT key generation (RFC 9001 §6.1:
/// HKDF-Expand-Label(secret, "quic ku", "", Hash.length)).
pub fn next_secret(suite: Suite, version: Version, secret: &[u8]) -> Vec<u8> {
    let prk = hkdf::Prk::new_less_safe(suite.hkdf(), secret);
    let mut next = vec![0; suite.secret_len()];
    expand_label(&prk, labels(version)[3], &mut next);
    next
}

/// A header-protection key (RFC 9001 §5.4).
pub struct HeaderKey(HeaderProtectionKey);

impl std::fmt::Debug for HeaderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeaderKey(..)")
    }
}

/// A packet with its header protection removed: what differs from the
/// protected bytes (the first byte's low bits and the packet number, RFC
/// 9001 §5.4.1), kept beside them rather than in a copy of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unprotected {
    /// The header's length, packet number included: the header in the
    /// clear is the AEAD's associated data (§5.3).
    pub header_len: usize,
    /// The first byte in the clear.
    first: u8,
    /// The packet number's bytes in the clear, as many as `first` says.
    pn: [u8; 4],
    /// The packet number, expanded (RFC 9000 Appendix A.3).
    pub packet_number: u64,
    /// A short header's Key Phase bit (RFC 9001 §6); false for a long one.
    pub key_phase: bool,
}

impl Unprotected {
    /// Puts the header in the clear over the protected one at the start of
    /// `packet`.
    fn clear_header(&self, packet: &mut [u8]) {
        let pn_len = usize::from(self.first & 3) + 1;
        packet[0] = self.first;
        packet[self.header_len - pn_len..self.header_len].copy_from_slice(&self.pn[..pn_len]);
    }
}

impl HeaderKey {
    /// The header-protection key a secret's HMAC key `prk` expands to.
    fn from_prk(suite: Suite, version: Version, prk: &hkdf::Prk) -> HeaderKey {
        let mut hp = [0; 32];
        let (alg, len) = match suite {
            Suite::Aes128GcmSha256 => (&AES_128, 16),
            Suite::Aes256GcmSha384 => (&AES_256, 32),
            Suite::ChaCha20Poly1305Sha256 => (&CHACHA20, 32),
        };
        expand_label(prk, labels(version)[2], &mut hp[..len]);
        // The key has the algorithm's length by construction.
        HeaderKey(HeaderProtectionKey::new(alg, &hp[..len]).expect("key of the suite's length"))
    }

    /// Removes the protection of the packet `bytes`, whose packet number
    /// starts at `pn_offset`; `largest` is the largest packet number seen
    /// in its space and direction, to expand the truncated one.
    pub fn unprotect(
        &self,
        bytes: &[u8],
        pn_offset: usize,
        largest: Option<u64>,
    ) -> Result<Unprotected, QuicError> {
        let long = bytes.first().is_some_and(|b| b & 0x80 != 0);
        // §5.4.2: the sample starts 4 bytes past the packet number's
        // start, as if it were 4 bytes long.
        let sample = bytes
            .get(pn_offset + 4..pn_offset + 20)
            .ok_or(QuicError::NoSample(bytes.len().saturating_sub(pn_offset)))?;
        let mask = self.0.new_mask(sample).map_err(|_| QuicError::Open)?;
        // §5.4.1: a long header protects the low four bits of its first
        // byte, a short header the low five (Key Phase among them).
        let first = bytes[0] ^ (mask[0] & if long { 0x0f } else { 0x1f });
        let pn_len = usize::from(first & 3) + 1;
        // The sample lies past the longest packet number: its bytes are
        // there.
        let mut pn = [0; 4];
        let mut truncated = 0u64;
        for ((clear, b), m) in pn[..pn_len]
            .iter_mut()
            .zip(&bytes[pn_offset..])
            .zip(&mask[1..])
        {
            *clear = b ^ m;
            truncated = truncated << 8 | u64::from(*clear);
        }
        Ok(Unprotected {
            header_len: pn_offset + pn_len,
            first,
            pn,
            packet_number: expand_pn(largest, truncated, pn_len * 8),
            key_phase: !long && first & 0x04 != 0,
        })
    }
}

/// One direction's keys for a packet number space: header protection and
/// the payload key.
#[derive(Debug)]
pub struct DirectionKeys {
    /// Header protection.
    pub hp: HeaderKey,
    /// The AEAD key and IV.
    pub payload: PayloadKey,
}

impl DirectionKeys {
    /// Both keys `secret` expands to.
    pub fn new(suite: Suite, version: Version, secret: &[u8]) -> DirectionKeys {
        // One HMAC key for the three expansions: setting one up hashes
        // two blocks, as much as an expansion does.
        let prk = hkdf::Prk::new_less_safe(suite.hkdf(), secret);
        DirectionKeys {
            hp: HeaderKey::from_prk(suite, version, &prk),
            payload: PayloadKey::from_prk(suite, version, &prk),
        }
    }

    /// Header protection off, then the payload opened in `scratch`.
    pub fn open<'s>(
        &self,
        bytes: &[u8],
        pn_offset: usize,
        largest: Option<u64>,
        scratch: &'s mut Scratch,
    ) -> Result<Opened<'s>, QuicError> {
        let u = self.hp.unprotect(bytes, pn_offset, largest)?;
        self.payload.open(&u, bytes, scratch)?;
        Ok(Opened {
            packet_number: u.packet_number,
            payload: scratch.plaintext(),
        })
    }
}

/// A packet opened: its full packet number and its frames' bytes, where
/// they were decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<'s> {
    /// The packet number, expanded (RFC 9000 §17.1, Appendix A.3).
    pub packet_number: u64,
    /// The plaintext payload: frames.
    pub payload: &'s [u8],
}

/// RFC 9000 Appendix A.3: the packet number closest to the one expected
/// next whose low `bits` bits are `truncated`.
pub(super) fn expand_pn(largest: Option<u64>, truncated: u64, bits: usize) -> u64 {
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
