//! QUIC as a passive reader sees it without the TLS secrets (RFC 9000,
//! RFC 9001, and RFC 8999's version-independent invariants): the headers of
//! every packet in a datagram ([`header`]), the variable-length integers
//! they are built of ([`reader`]), the Initial packets opened with the keys
//! anyone can derive from the client's first Destination Connection ID
//! ([`initial`], RFC 9001 §5.2), the frames an Initial or Handshake packet
//! may carry ([`frame`]), the CRYPTO stream put back in order
//! ([`crypto`]), the transport parameters of either side ([`params`],
//! RFC 9000 §18), and, with a key log's secrets, the Handshake and 1-RTT
//! packets ([`protection`], RFC 9001 §5 and §6) and every frame of RFC
//! 9000 §19 in them.
//!
//! Pure syntax and cryptography over byte slices (ring's HKDF, AES-GCM and
//! header protection): every length is checked against the bytes there
//! are, every error is a value, nothing panics on any input (the
//! `quic_initial` fuzz target holds it to that).

pub mod crypto;
pub mod error;
pub mod frame;
pub mod header;
pub mod initial;
pub mod params;
pub mod protection;
pub mod reader;
#[cfg(test)]
mod tests;

use std::fmt;

pub use crypto::CryptoStream;
pub use error::QuicError;
pub use frame::{ConnectionClose, Frame, Frames};
pub use header::{Datagram, LongType, Packet, PacketHeader};
pub use initial::{InitialKeys, Side};
pub use params::{TransportParameter, TransportParameters};
pub use protection::{Opened, Scratch, Suite};

/// A QUIC version number (RFC 8999 §5.1: 32 bits; 0 is reserved for
/// Version Negotiation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub u32);

impl Version {
    /// The Version Negotiation packet's version field (RFC 9000 §17.2.1).
    pub const NEGOTIATION: Version = Version(0);
    /// QUIC version 1 (RFC 9000).
    pub const V1: Version = Version(1);
    /// QUIC version 2 (RFC 9369 §3.1).
    pub const V2: Version = Version(0x6b33_43cf);

    /// A version reserved to exercise negotiation (RFC 9000 §15: the
    /// pattern 0x?a?a?a?a), which no endpoint speaks.
    pub fn is_reserved(self) -> bool {
        self.0 & 0x0f0f_0f0f == 0x0a0a_0a0a
    }

    /// The versions whose packets this module can read past the
    /// invariants (their header layout and Initial salt are known).
    pub fn is_known(self) -> bool {
        self == Version::V1 || self == Version::V2
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Version::NEGOTIATION => f.write_str("negotiation"),
            Version::V1 => f.write_str("1"),
            Version::V2 => f.write_str("2"),
            v => write!(f, "0x{:08x}", v.0),
        }
    }
}

/// A connection ID (RFC 9000 §5.1): at most 20 bytes in versions 1 and 2,
/// up to 255 under the invariants (RFC 8999 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ConnectionId(pub Vec<u8>);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
