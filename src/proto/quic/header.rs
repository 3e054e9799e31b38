//! Packet headers (RFC 9000 §17; RFC 8999 for what every version keeps)
//! and the packets coalesced in one UDP datagram (RFC 9000 §12.2).
//!
//! A long header (first bit 1) says its version, both connection IDs and,
//! from versions 1 and 2, its type and, except for Retry, a Length that ends
//! the packet, so several can share a datagram. A short header (first bit 0)
//! carries only the Destination Connection ID, whose length the packet does
//! not say, and runs to the end of the datagram.

use super::reader::Reader;
use super::{ConnectionId, QuicError, Version};

/// The Long Header Packet Types (RFC 9000 §17.2, Table 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LongType {
    /// The client's first flight and the server's answer (§17.2.2).
    Initial,
    /// Early data (§17.2.3).
    ZeroRtt,
    /// The rest of the TLS handshake (§17.2.4).
    Handshake,
    /// The server's address-validation token (§17.2.5).
    Retry,
}

impl LongType {
    /// The two type bits of the first byte: v1's values (RFC 9000 Table 5),
    /// or v2's, which RFC 9369 §3.2 shuffled.
    fn from_bits(version: Version, bits: u8) -> LongType {
        let bits = if version == Version::V2 {
            bits.wrapping_add(3) & 3
        } else {
            bits
        };
        match bits {
            0 => LongType::Initial,
            1 => LongType::ZeroRtt,
            2 => LongType::Handshake,
            _ => LongType::Retry,
        }
    }

    /// Its name, as RFC 9000 writes it.
    pub fn name(self) -> &'static str {
        match self {
            LongType::Initial => "Initial",
            LongType::ZeroRtt => "0-RTT",
            LongType::Handshake => "Handshake",
            LongType::Retry => "Retry",
        }
    }
}

/// What a packet's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketHeader {
    /// Version Negotiation (RFC 9000 §17.2.1): the versions the server
    /// supports, in an answer to a version it does not.
    VersionNegotiation {
        /// The client's SCID, echoed.
        dcid: ConnectionId,
        /// The client's DCID, echoed.
        scid: ConnectionId,
        /// Supported Version fields.
        versions: Vec<Version>,
    },
    /// Initial, 0-RTT or Handshake: protected, with a packet number.
    Long {
        /// Its type (never Retry).
        kind: LongType,
        /// The version.
        version: Version,
        /// Destination Connection ID.
        dcid: ConnectionId,
        /// Source Connection ID.
        scid: ConnectionId,
        /// An Initial's token (§17.2.2: empty unless it answers a Retry or
        /// uses a NEW_TOKEN), empty for the others.
        token: Vec<u8>,
    },
    /// Retry (RFC 9000 §17.2.5): a token and the Retry Integrity Tag
    /// (RFC 9001 §5.8).
    Retry {
        /// The version.
        version: Version,
        /// The client's SCID.
        dcid: ConnectionId,
        /// The server's new connection ID: the client's next DCID.
        scid: ConnectionId,
        /// The Retry Token.
        token: Vec<u8>,
        /// The Retry Integrity Tag.
        tag: [u8; 16],
    },
    /// A long header of a version this reader does not know: only RFC
    /// 8999's invariant fields.
    UnknownVersion {
        /// The version.
        version: Version,
        /// Destination Connection ID.
        dcid: ConnectionId,
        /// Source Connection ID.
        scid: ConnectionId,
    },
    /// A short header (1-RTT, §17.3.1).
    Short,
}

/// One packet of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Its header.
    pub header: PacketHeader,
    /// The whole packet as sent: header and protected payload.
    pub bytes: &'a [u8],
    /// Where the (protected) packet number starts in `bytes`, for the
    /// packets that have one.
    pub pn_offset: usize,
}

/// The packets of one datagram, and why reading stopped early if it did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Datagram<'a> {
    /// The packets, in order.
    pub packets: Vec<Packet<'a>>,
    /// Zero bytes after the last packet (padding outside any packet, which
    /// some stacks send). A zero first byte has the Fixed Bit clear, so it
    /// starts no valid packet and is discarded (RFC 9000 §17.2, §17.3.1),
    /// while the packets before it are kept (§12.2).
    pub trailing_zeros: usize,
    /// Why the rest of the datagram could not be read.
    pub error: Option<QuicError>,
}

fn cid(r: &mut Reader<'_>, field: &'static str, limit: usize) -> Result<ConnectionId, QuicError> {
    let len = usize::from(r.u8(field)?);
    if len > limit {
        return Err(QuicError::ConnectionIdLength(len));
    }
    Ok(ConnectionId(r.take(len, field)?.to_vec()))
}

/// The first packet of `bytes` and how many bytes it takes.
///
/// `greased`: the packet's receiver advertised grease_quic_bit (RFC 9287
/// §3), so its sender may clear the fixed bit, which is then no sign of
/// something that is not QUIC.
pub fn packet(bytes: &[u8], greased: bool) -> Result<Packet<'_>, QuicError> {
    let mut r = Reader::new(bytes);
    let first = r.u8("first byte")?;
    if first & 0x80 == 0 {
        // RFC 9000 §17.3.1: the fixed bit is 1 in a short header too.
        if first & 0x40 == 0 && !greased {
            return Err(QuicError::FixedBit(first));
        }
        return Ok(Packet {
            header: PacketHeader::Short,
            bytes,
            pn_offset: 0,
        });
    }
    let version = Version(r.u32("version")?);
    // RFC 8999 §5.1 allows connection IDs of up to 255 bytes in versions
    // this reader does not know; v1 and v2 allow 20 (RFC 9000 §17.2).
    let limit = if version.is_known() { 20 } else { 255 };
    let dcid = cid(&mut r, "Destination Connection ID", limit)?;
    let scid = cid(&mut r, "Source Connection ID", limit)?;
    if version == Version::NEGOTIATION {
        let mut versions = Vec::with_capacity(r.left() / 4);
        while !r.is_empty() {
            versions.push(Version(r.u32("Supported Version")?));
        }
        return Ok(Packet {
            header: PacketHeader::VersionNegotiation {
                dcid,
                scid,
                versions,
            },
            bytes,
            pn_offset: 0,
        });
    }
    if !version.is_known() {
        // Nothing past the connection IDs has a known layout: the rest of
        // the datagram belongs to this packet.
        return Ok(Packet {
            header: PacketHeader::UnknownVersion {
                version,
                dcid,
                scid,
            },
            bytes,
            pn_offset: 0,
        });
    }
    if first & 0x40 == 0 && !greased {
        return Err(QuicError::FixedBit(first));
    }
    let kind = LongType::from_bits(version, (first >> 4) & 3);
    if kind == LongType::Retry {
        // The token is everything before the 16-byte tag (§17.2.5).
        let left = r.left();
        if left < 16 {
            return Err(QuicError::Truncated {
                field: "Retry Integrity Tag",
                needed: 16,
                left,
            });
        }
        let token = r.take(left - 16, "Retry Token")?.to_vec();
        let mut tag = [0; 16];
        tag.copy_from_slice(r.take(16, "Retry Integrity Tag")?);
        return Ok(Packet {
            header: PacketHeader::Retry {
                version,
                dcid,
                scid,
                token,
                tag,
            },
            bytes,
            pn_offset: 0,
        });
    }
    let token = if kind == LongType::Initial {
        r.varint_bytes("Token")?.to_vec()
    } else {
        Vec::new()
    };
    let length = r.varint("Length")?;
    let pn_offset = r.position();
    let left = r.left();
    if length > left as u64 {
        return Err(QuicError::LengthOverrun {
            claimed: length,
            left,
        });
    }
    let end = pn_offset + length as usize;
    Ok(Packet {
        header: PacketHeader::Long {
            kind,
            version,
            dcid,
            scid,
            token,
        },
        bytes: &bytes[..end],
        pn_offset,
    })
}

/// The packets coalesced in a datagram's payload (RFC 9000 §12.2), read
/// one at a time up to the first one that does not parse: a datagram is
/// read as it is walked, with no list of its packets made. Once walked,
/// `trailing_zeros` and `error` say how it ended.
#[derive(Debug, Clone)]
pub struct Coalesced<'a> {
    rest: &'a [u8],
    greased: bool,
    read: usize,
    /// Zero bytes after the last packet (padding outside any packet, which
    /// some stacks send). A zero first byte has the Fixed Bit clear, so it
    /// starts no valid packet and is discarded (RFC 9000 §17.2, §17.3.1),
    /// while the packets before it are kept (§12.2).
    pub trailing_zeros: usize,
    /// Why the rest of the datagram could not be read.
    pub error: Option<QuicError>,
}

impl<'a> Iterator for Coalesced<'a> {
    type Item = Packet<'a>;

    fn next(&mut self) -> Option<Packet<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        if self.read > 0 && self.rest.iter().all(|&b| b == 0) {
            self.trailing_zeros = self.rest.len();
            self.rest = &[];
            return None;
        }
        match packet(self.rest, self.greased) {
            Ok(p) => {
                // Every packet takes at least its first byte.
                self.rest = &self.rest[p.bytes.len()..];
                self.read += 1;
                Some(p)
            }
            Err(e) => {
                self.error = Some(e);
                self.rest = &[];
                None
            }
        }
    }
}

/// The packets of a datagram's payload, to be walked; `greased` as for
/// [`packet`].
pub fn coalesced(bytes: &[u8], greased: bool) -> Coalesced<'_> {
    Coalesced {
        rest: bytes,
        greased,
        read: 0,
        trailing_zeros: 0,
        error: None,
    }
}

/// Every packet coalesced in a datagram's payload (RFC 9000 §12.2), up to
/// the first one that does not parse; `greased` as for [`packet`].
pub fn datagram(bytes: &[u8], greased: bool) -> Datagram<'_> {
    let mut packets = coalesced(bytes, greased);
    Datagram {
        packets: packets.by_ref().collect(),
        trailing_zeros: packets.trailing_zeros,
        error: packets.error,
    }
}
