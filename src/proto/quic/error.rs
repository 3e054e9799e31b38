//! What can be wrong with a datagram that was read as QUIC.

use super::Version;

/// A QUIC datagram, packet or frame that does not parse or open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuicError {
    /// Not QUIC: RFC 9000 §17.2 and §17.3 require the fixed bit (0x40) in
    /// every packet of versions 1 and 2 but Version Negotiation.
    #[error("not QUIC: the fixed bit of the first byte (0x{0:02x}) is 0")]
    FixedBit(u8),
    /// A field runs past the end of the bytes there are.
    #[error("truncated: {field} needs {needed} bytes, {left} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left.
        left: usize,
    },
    /// A long header's Length runs past the datagram (RFC 9000 §17.2: the
    /// packets coalesced in a datagram must fit in it, §12.2).
    #[error("a packet length of {claimed} bytes overruns the {left} left in the datagram")]
    LengthOverrun {
        /// The Length field.
        claimed: u64,
        /// Bytes left in the datagram after the field.
        left: usize,
    },
    /// A connection ID longer than the version allows (RFC 9000 §17.2: 20).
    #[error("a connection ID of {0} bytes (at most 20 in QUIC v1 and v2)")]
    ConnectionIdLength(usize),
    /// A version whose packets cannot be read past the invariants.
    #[error("unknown QUIC version {0}: only the invariant header can be read")]
    UnknownVersion(Version),
    /// The packet is too short to take the header protection sample (RFC
    /// 9001 §5.4.2: 16 bytes from 4 past the packet number's start).
    #[error(
        "too short for the header protection sample ({0} bytes after the packet number offset)"
    )]
    NoSample(usize),
    /// AES-128-GCM did not authenticate the packet with the Initial keys
    /// (wrong keys: not this connection's Initial, or damaged bytes).
    #[error("the Initial packet does not open with the keys of its connection")]
    Open,
    /// A frame type that packet type may not carry (RFC 9000 §12.4,
    /// Table 3), or that this reader does not know.
    #[error("frame type 0x{0:02x} is not allowed in an Initial or Handshake packet")]
    FrameNotAllowed(u64),
    /// An ACK frame with more ranges than packets could exist.
    #[error("an ACK frame whose ranges go below packet number 0")]
    AckRange,
    /// CRYPTO data past what is held for reassembly.
    #[error("CRYPTO data at offset {offset}, past the {max} bytes held")]
    CryptoTooFar {
        /// The frame's offset plus its length.
        offset: u64,
        /// The most this reader holds.
        max: u64,
    },
    /// A transport parameter that does not parse (RFC 9000 §18.2).
    #[error("transport parameter 0x{id:x}: {why}")]
    Parameter {
        /// Its id.
        id: u64,
        /// What is wrong.
        why: &'static str,
    },
    /// A cipher suite QUIC packets are not opened with here (RFC 9001
    /// §5.3 allows the TLS 1.3 suites but CCM_8; ring has no CCM).
    #[error("cipher suite 0x{0:04x}: not one this reader opens QUIC packets with")]
    CipherSuite(u16),
    /// A Handshake or 1-RTT packet that the key log's secrets do not open
    /// (secrets of another connection, or damaged bytes).
    #[error("a {0} packet does not open with the key log's secrets")]
    Undecryptable(&'static str),
    /// A frame type neither RFC 9000 §19 nor RFC 9221 defines: the rest
    /// of the packet cannot be read (§12.4: a FRAME_ENCODING_ERROR).
    #[error("unknown frame type 0x{0:02x}")]
    UnknownFrame(u64),
}
