//! The cipher suites this module decrypts, and what each one means for the
//! key schedule: which AEAD, which hash, how long the keys and IVs are.

use ring::aead;

use super::Version;
use super::error::SessionError;

/// The AEAD that protects records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aead {
    /// AES-128 in Galois/Counter Mode (RFC 5116 AEAD_AES_128_GCM).
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 8439).
    ChaCha20Poly1305,
}

impl Aead {
    pub(crate) fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Aead::Aes128Gcm => &aead::AES_128_GCM,
            Aead::Aes256Gcm => &aead::AES_256_GCM,
            Aead::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        self.algorithm().key_len()
    }

    /// The authentication tag's length (16 for all three).
    pub fn tag_len(self) -> usize {
        self.algorithm().tag_len()
    }
}

/// The suite's hash: the TLS 1.3 HKDF's, or the TLS 1.2 PRF's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl Hash {
    /// Output length in bytes: the length of every TLS 1.3 secret.
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

/// A cipher suite this module can decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    /// The code point the ServerHello carried.
    pub code: u16,
    /// The record protection.
    pub aead: Aead,
    /// The HKDF (TLS 1.3) or PRF (TLS 1.2) hash.
    pub hash: Hash,
}

/// TLS 1.2 suites whose records are CBC with HMAC (RFC 5246 §6.2.3.2): named
/// so that such a connection gets "not supported" rather than "unknown".
const CBC_SUITES: [u16; 19] = [
    0x000a, 0x002f, 0x0033, 0x0035, 0x0039, 0x003c, 0x003d, 0x0067, 0x006b, 0xc008, 0xc009, 0xc00a,
    0xc012, 0xc013, 0xc014, 0xc023, 0xc024, 0xc027, 0xc028,
];

impl Suite {
    /// The suite `code` under `version`, or why it cannot be decrypted.
    ///
    /// # Errors
    ///
    /// A CBC suite, a suite of the other version, or one this module does
    /// not know.
    pub fn lookup(version: Version, code: u16) -> Result<Suite, SessionError> {
        use Aead::*;
        use Hash::*;
        let (aead, hash) = match (version, code) {
            // RFC 8446 §B.4.
            (Version::Tls13, 0x1301) => (Aes128Gcm, Sha256),
            (Version::Tls13, 0x1302) => (Aes256Gcm, Sha384),
            (Version::Tls13, 0x1303) => (ChaCha20Poly1305, Sha256),
            // RFC 5288 (RSA, DHE) and RFC 5289 (ECDHE): GCM; the key
            // exchange does not matter once the master secret is known.
            (Version::Tls12, 0x009c | 0x009e | 0xc02b | 0xc02f) => (Aes128Gcm, Sha256),
            (Version::Tls12, 0x009d | 0x009f | 0xc02c | 0xc030) => (Aes256Gcm, Sha384),
            // RFC 7905: ECDHE-RSA, ECDHE-ECDSA, DHE-RSA.
            (Version::Tls12, 0xcca8..=0xccaa) => (ChaCha20Poly1305, Sha256),
            (Version::Tls12, c) if CBC_SUITES.contains(&c) => {
                return Err(SessionError::CbcNotSupported(code));
            }
            _ => return Err(SessionError::UnknownSuite { version, code }),
        };
        Ok(Suite { code, aead, hash })
    }

    /// TLS 1.2's fixed IV length: the 4-byte salt of RFC 5288 §3, or the
    /// whole 12-byte nonce mask of RFC 7905 §2.
    pub(crate) fn tls12_fixed_iv_len(self) -> usize {
        match self.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => 4,
            Aead::ChaCha20Poly1305 => 12,
        }
    }
}
