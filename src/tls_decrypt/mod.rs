//! TLS record decryption with an NSS key log, as Wireshark does it: the
//! secrets a client or server wrote to `SSLKEYLOGFILE` turn a capture's
//! encrypted records back into the handshake messages, alerts and
//! application data inside them.
//!
//! What it covers:
//!
//! - the key log itself ([`keylog`]): `CLIENT_RANDOM` (TLS 1.2's master
//!   secret) and the TLS 1.3 traffic secrets, keyed by client random; lines
//!   it cannot use are counted with their line numbers, never fatal;
//! - TLS 1.3 (RFC 8446): the handshake keys, then the application keys, then
//!   each KeyUpdate's next generation (§7.1-§7.3), the per-record nonce
//!   (§5.3), the inner content type under the zero padding (§5.2);
//! - TLS 1.2 AEAD suites (RFC 5246 §6.3 key block from the master secret,
//!   AES-GCM as RFC 5288 frames it, ChaCha20-Poly1305 as RFC 7905 does).
//!
//! One [`Decrypter`] per connection and direction is fed the direction's
//! records in order (header and fragment, as a record splitter cuts them out
//! of the reassembled stream) and returns each record's plaintext with its
//! true content type, or a typed [`DecryptError`]. It keeps the sequence
//! numbers. TLS 1.3 changes keys on handshake messages only the caller sees
//! in full (a Finished, a KeyUpdate), so the caller says when
//! ([`Decrypter::advance`]); [`HandshakeWatch`] finds those moments for a
//! caller without a handshake parser of its own. TLS 1.2 changes keys at
//! ChangeCipherSpec, which the decrypter sees itself.
//!
//! The cryptography is ring's (HKDF, HMAC, the AEADs); this module only
//! lays out labels, nonces and additional data as the RFCs say.
//! It depends on nothing else in the crate.

mod error;
pub mod keylog;
mod record;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod seal;
mod session;
mod suite;
mod tls12;
mod tls13;
mod watch;

#[cfg(test)]
mod tests;

pub use error::{DecryptError, RecordProblem, SessionError};
pub use keylog::{KeyLog, Label, Secrets};
pub use record::{Decrypter, Epoch, KeyChange, Opened};
pub use session::{Decrypters, decrypters};
pub use suite::{Aead, Hash, Suite};
pub use watch::{HandshakeWatch, WatchError};

/// Which end of the connection wrote the records a decrypter reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The end that sent the ClientHello.
    Client,
    /// The end that answered it.
    Server,
}

/// The protocol version the ServerHello chose (for TLS 1.3, the
/// `supported_versions` extension's, not the legacy field's: RFC 8446 §4.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// TLS 1.2, RFC 5246.
    Tls12,
    /// TLS 1.3, RFC 8446.
    Tls13,
}

/// A record's content type (RFC 8446 §5.1, RFC 5246 §6.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// 20.
    ChangeCipherSpec,
    /// 21.
    Alert,
    /// 22.
    Handshake,
    /// 23.
    ApplicationData,
    /// Any other value (24 is heartbeat, RFC 6520).
    Other(u8),
}

impl ContentType {
    /// The type a record header's first byte names.
    pub fn from_byte(b: u8) -> Self {
        match b {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            other => ContentType::Other(other),
        }
    }

    /// The byte on the wire.
    pub fn to_byte(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Other(b) => b,
        }
    }
}

/// A hello message's 32-byte random; the client's names the connection in
/// the key log.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Random(pub [u8; 32]);

impl std::fmt::Debug for Random {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// What a decrypter needs from the hellos: the caller's TLS parser reads
/// them in the clear (RFC 8446 §4.1.2, §4.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The version the server chose.
    pub version: Version,
    /// The cipher suite the ServerHello chose.
    pub suite: u16,
    /// ClientHello.random.
    pub client_random: Random,
    /// ServerHello.random (TLS 1.2's key block needs it; TLS 1.3 does not).
    pub server_random: Random,
}
