//! A whole message (RFC 1035 §4.1): the header, then the question,
//! answer, authority and additional sections, as many entries each as the
//! header counts.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::cursor::Cursor;
use super::header::Header;
use super::name::Name;
use super::svcb::Svcb;
use super::{Class, DnsError, RType};

/// A question (§4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name asked about.
    pub name: Name,
    /// The type asked for.
    pub qtype: RType,
    /// The class, `IN`.
    pub qclass: Class,
}

/// What a record holds, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    /// `A` (§3.4.1).
    A(Ipv4Addr),
    /// `AAAA` (RFC 3596 §2.2).
    Aaaa(Ipv6Addr),
    /// `CNAME` (§3.3.1).
    Cname(Name),
    /// `SVCB` or `HTTPS` (RFC 9460 §2.2).
    Svcb(Svcb),
    /// Any other type, its bytes as they came (RFC 3597). A name inside
    /// (NS, MX, SOA…) may be a pointer into the message it came from.
    Other(Vec<u8>),
}

/// A resource record (§4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The owner name.
    pub name: Name,
    /// The type, which also says how `data` was read.
    pub rtype: RType,
    /// The class (for `OPT`, the sender's UDP payload size: RFC 6891 §6.1.2).
    pub class: Class,
    /// Seconds it may be cached (for `OPT`, extended flags).
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The header; its counts are the sections' lengths when encoded.
    pub header: Header,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authorities: Vec<Record>,
    /// The additional section (where EDNS's `OPT` travels).
    pub additionals: Vec<Record>,
}

impl Question {
    fn decode(cur: &mut Cursor<'_>) -> Result<Question, DnsError> {
        Ok(Question {
            name: Name::decode(cur)?,
            qtype: RType(cur.u16("question type")?),
            qclass: Class(cur.u16("question class")?),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        self.name.encode(out);
        out.extend_from_slice(&self.qtype.0.to_be_bytes());
        out.extend_from_slice(&self.qclass.0.to_be_bytes());
    }
}

impl Record {
    fn decode(cur: &mut Cursor<'_>) -> Result<Record, DnsError> {
        let name = Name::decode(cur)?;
        let rtype = RType(cur.u16("record type")?);
        let class = Class(cur.u16("record class")?);
        let ttl = cur.u32("record ttl")?;
        let len = cur.u16("record data length")?;
        let mut rd = cur.split(usize::from(len), "record data")?;
        let data = match rtype {
            RType::A => {
                let b = rd.take(4, "A address")?;
                RData::A(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
            }
            RType::AAAA => {
                let mut a = [0u8; 16];
                a.copy_from_slice(rd.take(16, "AAAA address")?);
                RData::Aaaa(Ipv6Addr::from(a))
            }
            RType::CNAME => RData::Cname(Name::decode(&mut rd)?),
            RType::SVCB | RType::HTTPS => RData::Svcb(Svcb::decode(&mut rd)?),
            _ => RData::Other(rd.take(rd.left(), "record data")?.to_vec()),
        };
        rd.done("record data")?;
        Ok(Record {
            name,
            rtype,
            class,
            ttl,
            data,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), DnsError> {
        self.name.encode(out);
        out.extend_from_slice(&self.rtype.0.to_be_bytes());
        out.extend_from_slice(&self.class.0.to_be_bytes());
        out.extend_from_slice(&self.ttl.to_be_bytes());
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        match &self.data {
            RData::A(a) => out.extend_from_slice(&a.octets()),
            RData::Aaaa(a) => out.extend_from_slice(&a.octets()),
            RData::Cname(n) => n.encode(out),
            RData::Svcb(s) => s.encode(out)?,
            RData::Other(b) => out.extend_from_slice(b),
        }
        let len =
            u16::try_from(out.len() - at - 2).map_err(|_| DnsError::TooLong("record data"))?;
        out[at..at + 2].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}

impl Message {
    /// Reads a whole message; bytes after the last counted record are an
    /// error (`Trailing`), as is anything cut short.
    pub fn decode(bytes: &[u8]) -> Result<Message, DnsError> {
        let mut cur = Cursor::new(bytes);
        let header = Header::decode(&mut cur)?;
        // No capacity from the counts: they are the sender's word, and a
        // 12-byte message can claim 65 535 records.
        let mut m = Message {
            header,
            ..Message::default()
        };
        for _ in 0..header.qdcount {
            m.questions.push(Question::decode(&mut cur)?);
        }
        for (count, section) in [
            (header.ancount, &mut m.answers),
            (header.nscount, &mut m.authorities),
            (header.arcount, &mut m.additionals),
        ] {
            for _ in 0..count {
                section.push(Record::decode(&mut cur)?);
            }
        }
        cur.done("message")?;
        Ok(m)
    }

    /// Writes the message, names uncompressed, the header's counts set
    /// from the sections.
    pub fn encode(&self) -> Result<Vec<u8>, DnsError> {
        let count = |n: usize, what| u16::try_from(n).map_err(|_| DnsError::TooLong(what));
        let header = Header {
            qdcount: count(self.questions.len(), "question section")?,
            ancount: count(self.answers.len(), "answer section")?,
            nscount: count(self.authorities.len(), "authority section")?,
            arcount: count(self.additionals.len(), "additional section")?,
            ..self.header
        };
        let mut out = Vec::with_capacity(512);
        header.encode(&mut out);
        for q in &self.questions {
            q.encode(&mut out);
        }
        for r in self
            .answers
            .iter()
            .chain(&self.authorities)
            .chain(&self.additionals)
        {
            r.encode(&mut out)?;
        }
        Ok(out)
    }
}

impl fmt::Display for Question {
    /// `wirelab.test. IN HTTPS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.name, self.qclass, self.qtype)
    }
}

impl fmt::Display for RData {
    /// The data as a master file writes it; unknown types as RFC 3597 §5
    /// does (`\# 3 0a0b0c`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RData::A(a) => write!(f, "{a}"),
            RData::Aaaa(a) => write!(f, "{a}"),
            RData::Cname(n) => write!(f, "{n}"),
            RData::Svcb(s) => write!(f, "{s}"),
            RData::Other(b) => {
                write!(f, "\\# {}", b.len())?;
                if !b.is_empty() {
                    f.write_str(" ")?;
                }
                b.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl fmt::Display for Record {
    /// `wirelab.test. 300 IN HTTPS 1 . alpn="h3,h2" port=8443`, as `dig`
    /// prints an answer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.name, self.ttl, self.class, self.rtype, self.data
        )
    }
}
