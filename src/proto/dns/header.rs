//! The 12-byte header (RFC 1035 §4.1.1, with the AD and CD bits of
//! RFC 4035 §3.2): id, flags, opcode, response code and the four section
//! counts.

use std::fmt;

use super::DnsError;
use super::cursor::Cursor;

/// The header's length.
pub const HEADER_LEN: usize = 12;

/// What kind of query (RFC 1035 §4.1.1; IANA "DNS OpCodes"); the default
/// is 0, a standard query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Opcode(pub u8);

impl Opcode {
    /// A standard query, the only one `lab dns` answers.
    pub const QUERY: Opcode = Opcode(0);
    /// Server status (RFC 1035).
    pub const STATUS: Opcode = Opcode(2);
    /// Zone change notification (RFC 1996).
    pub const NOTIFY: Opcode = Opcode(4);
    /// Dynamic update (RFC 2136).
    pub const UPDATE: Opcode = Opcode(5);
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Opcode::QUERY => f.write_str("QUERY"),
            Opcode(1) => f.write_str("IQUERY"),
            Opcode::STATUS => f.write_str("STATUS"),
            Opcode::NOTIFY => f.write_str("NOTIFY"),
            Opcode::UPDATE => f.write_str("UPDATE"),
            Opcode(n) => write!(f, "OPCODE{n}"),
        }
    }
}

/// The response code in the header's four bits (RFC 1035 §4.1.1; IANA
/// "DNS RCODEs"); the default is 0, no error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rcode(pub u8);

impl Rcode {
    /// No error.
    pub const NOERROR: Rcode = Rcode(0);
    /// The query could not be read.
    pub const FORMERR: Rcode = Rcode(1);
    /// The server failed.
    pub const SERVFAIL: Rcode = Rcode(2);
    /// The name does not exist (an authoritative answer).
    pub const NXDOMAIN: Rcode = Rcode(3);
    /// The server does not do this kind of query.
    pub const NOTIMP: Rcode = Rcode(4);
    /// The server will not answer.
    pub const REFUSED: Rcode = Rcode(5);
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rcode::NOERROR => f.write_str("NOERROR"),
            Rcode::FORMERR => f.write_str("FORMERR"),
            Rcode::SERVFAIL => f.write_str("SERVFAIL"),
            Rcode::NXDOMAIN => f.write_str("NXDOMAIN"),
            Rcode::NOTIMP => f.write_str("NOTIMP"),
            Rcode::REFUSED => f.write_str("REFUSED"),
            Rcode(n) => write!(f, "RCODE{n}"),
        }
    }
}

/// The header, every bit kept so that a message re-encodes to its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Chosen by the asker, copied into the answer.
    pub id: u16,
    /// QR: a response, not a query.
    pub response: bool,
    /// The kind of query.
    pub opcode: Opcode,
    /// AA: the answer comes from the zone's authority.
    pub authoritative: bool,
    /// TC: the message was cut to fit (ask again over TCP).
    pub truncated: bool,
    /// RD: the asker wants recursion.
    pub recursion_desired: bool,
    /// RA: the server offers recursion.
    pub recursion_available: bool,
    /// Z: reserved, must be zero; kept as it came.
    pub z: bool,
    /// AD: the data is authenticated (RFC 4035 §3.2.3).
    pub authentic_data: bool,
    /// CD: the asker checks signatures itself (RFC 4035 §3.2.2).
    pub checking_disabled: bool,
    /// The response code.
    pub rcode: Rcode,
    /// Entries in the question section.
    pub qdcount: u16,
    /// Records in the answer section.
    pub ancount: u16,
    /// Records in the authority section.
    pub nscount: u16,
    /// Records in the additional section.
    pub arcount: u16,
}

impl Header {
    pub(super) fn decode(cur: &mut Cursor<'_>) -> Result<Header, DnsError> {
        let id = cur.u16("header id")?;
        let flags = cur.u16("header flags")?;
        let bit = |n: u16| flags & (1 << n) != 0;
        Ok(Header {
            id,
            response: bit(15),
            opcode: Opcode(((flags >> 11) & 0xf) as u8),
            authoritative: bit(10),
            truncated: bit(9),
            recursion_desired: bit(8),
            recursion_available: bit(7),
            z: bit(6),
            authentic_data: bit(5),
            checking_disabled: bit(4),
            rcode: Rcode((flags & 0xf) as u8),
            qdcount: cur.u16("header qdcount")?,
            ancount: cur.u16("header ancount")?,
            nscount: cur.u16("header nscount")?,
            arcount: cur.u16("header arcount")?,
        })
    }

    /// Reads only the header of `bytes`, for a cheap look (is it a query,
    /// which opcode, which id to answer with).
    pub fn peek(bytes: &[u8]) -> Result<Header, DnsError> {
        Header::decode(&mut Cursor::new(bytes))
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        let mut flags = u16::from(self.opcode.0 & 0xf) << 11 | u16::from(self.rcode.0 & 0xf);
        for (on, n) in [
            (self.response, 15),
            (self.authoritative, 10),
            (self.truncated, 9),
            (self.recursion_desired, 8),
            (self.recursion_available, 7),
            (self.z, 6),
            (self.authentic_data, 5),
            (self.checking_disabled, 4),
        ] {
            if on {
                flags |= 1 << n;
            }
        }
        for v in [
            self.id,
            flags,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}
