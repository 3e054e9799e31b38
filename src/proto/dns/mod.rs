//! DNS messages as they travel (RFC 1035 §4), with the records HTTP/3
//! discovery needs: `A`, `AAAA` (RFC 3596) and the `SVCB`/`HTTPS` records of
//! RFC 9460, whose SvcParams tell a client which protocols (`alpn`) an
//! endpoint speaks and on which `port`, before it opens any connection.
//!
//! [`header`] is the fixed 12-byte header, [`name`] domain names (with the
//! compression pointers of §4.1.4 on decode, and their loops refused),
//! [`svcb`] the SVCB/HTTPS record data, [`message`] the whole message:
//! question, answer, authority and additional sections. Other record types
//! are carried as opaque bytes, so a message decodes whole whatever it
//! holds.
//!
//! Pure syntax over byte slices: every length is checked against the bytes
//! there are, every error is a [`DnsError`], nothing panics on any input
//! (the `dns_message` fuzz target holds it to that). Encoding writes names
//! uncompressed, which every decoder must accept (§4.1.4 makes compression
//! optional for the sender).

mod cursor;
pub mod header;
pub mod message;
pub mod name;
pub mod svcb;
#[cfg(test)]
mod tests;

use std::fmt;

pub use header::{Header, Opcode, Rcode};
pub use message::{Message, Question, RData, Record};
pub use name::Name;
pub use svcb::{SvcParam, SvcParamKey, SvcParamValue, Svcb};

/// The wire's limit without EDNS (RFC 1035 §4.2.1): a UDP answer longer than
/// this is cut and marked truncated, and the client asks again over TCP.
pub const UDP_LIMIT: usize = 512;

/// A record type (RFC 1035 §3.2.2, IANA "Resource Record (RR) TYPEs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RType(pub u16);

impl RType {
    /// IPv4 address (RFC 1035 §3.4.1).
    pub const A: RType = RType(1);
    /// Canonical name (RFC 1035 §3.3.1).
    pub const CNAME: RType = RType(5);
    /// IPv6 address (RFC 3596 §2.1).
    pub const AAAA: RType = RType(28);
    /// EDNS's pseudo-record (RFC 6891 §6.1.1).
    pub const OPT: RType = RType(41);
    /// General service binding (RFC 9460 §14.1).
    pub const SVCB: RType = RType(64);
    /// Service binding for HTTPS origins (RFC 9460 §9).
    pub const HTTPS: RType = RType(65);
    /// Any type, in a question only (RFC 1035 §3.2.3; RFC 8482 lets a
    /// server answer it minimally).
    pub const ANY: RType = RType(255);
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RType::A => f.write_str("A"),
            RType::CNAME => f.write_str("CNAME"),
            RType::AAAA => f.write_str("AAAA"),
            RType::OPT => f.write_str("OPT"),
            RType::SVCB => f.write_str("SVCB"),
            RType::HTTPS => f.write_str("HTTPS"),
            RType::ANY => f.write_str("ANY"),
            // RFC 3597 §5's spelling of a type without a mnemonic.
            RType(n) => write!(f, "TYPE{n}"),
        }
    }
}

/// A record class (RFC 1035 §3.2.4); only `IN` is served here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Class(pub u16);

impl Class {
    /// The Internet.
    pub const IN: Class = Class(1);
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Class::IN => f.write_str("IN"),
            Class(n) => write!(f, "CLASS{n}"),
        }
    }
}

/// Why bytes are not a DNS message, or a message cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// A field runs past the end of the message or of its record.
    #[error("{field} needs {needed} bytes, {left} left")]
    Truncated {
        /// Which field.
        field: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes there were.
        left: usize,
    },
    /// Bytes left after the field that should have used them all.
    #[error("{extra} bytes left over in {field}")]
    Trailing {
        /// Which field.
        field: &'static str,
        /// The bytes left over.
        extra: usize,
    },
    /// A compression pointer that does not point strictly backwards: the
    /// only way a pointer chain can loop (RFC 1035 §4.1.4 points to a
    /// "prior occurrence").
    #[error("name pointer at offset {at} points to {to}, not before itself")]
    PointerNotBackwards {
        /// Where the pointer is.
        at: usize,
        /// Where it points.
        to: usize,
    },
    /// The two high bits 01 or 10 of a label's length byte (RFC 6891 §5:
    /// extended label types are deprecated, none is in use).
    #[error("label type 0x{0:02x} at a name is not a length or a pointer")]
    LabelType(u8),
    /// A label over 63 octets (RFC 1035 §2.3.4), on encode.
    #[error("label of {0} octets (at most 63)")]
    LabelTooLong(usize),
    /// A name over 255 octets in wire form (RFC 1035 §2.3.4).
    #[error("name of {0} octets (at most 255)")]
    NameTooLong(usize),
    /// An empty label inside a name (`a..b`), on encode.
    #[error("empty label in a name")]
    EmptyLabel,
    /// SvcParam keys out of order (RFC 9460 §2.2: "strictly increasing").
    #[error("SvcParam {key} follows {prev}: keys must increase strictly (RFC 9460 §2.2)")]
    SvcParamOrder {
        /// The key before.
        prev: SvcParamKey,
        /// The key out of place.
        key: SvcParamKey,
    },
    /// A SvcParam value its key's rules refuse (RFC 9460 §7, §8).
    #[error("SvcParam {key}: {why}")]
    SvcParamValue {
        /// Which key.
        key: SvcParamKey,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A section with more entries than its 16-bit count can say, or a
    /// record data longer than its 16-bit length.
    #[error("{0} too long for its 16-bit length")]
    TooLong(&'static str),
}
