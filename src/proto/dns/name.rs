//! Domain names (RFC 1035 §3.1): a sequence of labels of 1–63 octets ended
//! by the empty root label, at most 255 octets on the wire, compared
//! without regard to ASCII case (RFC 4343 §3).
//!
//! On decode a name may end in a compression pointer (§4.1.4): two bytes
//! `11` + a 14-bit offset from the message's start, where the rest of the
//! name is. A hostile message can make pointers loop; here every pointer
//! must point before the place where the labels being read began, so each
//! jump goes strictly backwards and the walk ends.

use std::fmt;

use super::DnsError;
use super::cursor::Cursor;

/// The longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL: usize = 63;
/// The longest name in wire form (RFC 1035 §2.3.4).
pub const MAX_NAME: usize = 255;

/// A domain name: its labels without the root, as bytes (a label may hold
/// any octet; RFC 2181 §11).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

impl Name {
    /// The root, `.`.
    pub fn root() -> Name {
        Name::default()
    }

    /// A name from its text, `wirelab.test` or `wirelab.test.` (always
    /// fully qualified; `.` is the root). No escapes: each character is
    /// its octet.
    pub fn parse(text: &str) -> Result<Name, DnsError> {
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() {
            return Ok(Name::root());
        }
        Name::from_labels(text.split('.').map(|l| l.as_bytes().to_vec()).collect())
    }

    /// A name from labels, checked against RFC 1035 §2.3.4's sizes.
    pub fn from_labels(labels: Vec<Vec<u8>>) -> Result<Name, DnsError> {
        for l in &labels {
            if l.is_empty() {
                return Err(DnsError::EmptyLabel);
            }
            if l.len() > MAX_LABEL {
                return Err(DnsError::LabelTooLong(l.len()));
            }
        }
        let name = Name { labels };
        match name.wire_len() {
            n if n > MAX_NAME => Err(DnsError::NameTooLong(n)),
            _ => Ok(name),
        }
    }

    /// The labels, root left out.
    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// Is this the root (`.`), which in an SVCB TargetName means "the
    /// owner name" (RFC 9460 §2.5)?
    pub fn is_root(&self) -> bool {
        self.labels.is_empty()
    }

    /// This name under `labels` prefixed, such as `_8443._https` (RFC 9460
    /// §9.1).
    pub fn prefixed(&self, first: &[&str]) -> Result<Name, DnsError> {
        let mut labels: Vec<Vec<u8>> = first.iter().map(|l| l.as_bytes().to_vec()).collect();
        labels.extend(self.labels.iter().cloned());
        Name::from_labels(labels)
    }

    /// Equal under DNS's comparison: ASCII letters without case (RFC 4343).
    pub fn same(&self, other: &Name) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// Octets on the wire, uncompressed: a length byte per label and the
    /// root's zero.
    pub fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| 1 + l.len()).sum::<usize>() + 1
    }

    /// Appends the name uncompressed.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for l in &self.labels {
            // `from_labels` and `decode` keep every label at 1..=63 octets.
            out.push(l.len() as u8);
            out.extend_from_slice(l);
        }
        out.push(0);
    }

    /// Reads a name at the cursor, following pointers into the message;
    /// the cursor ends after the name's bytes in place (after the first
    /// pointer, if any).
    pub(super) fn decode(cur: &mut Cursor<'_>) -> Result<Name, DnsError> {
        let msg = cur.message();
        let mut labels = Vec::new();
        let mut wire = 1;
        // Where the labels being read began: a pointer must go before it.
        let mut hop_start = cur.position();
        // Reading in place (the cursor) until the first pointer, then in
        // the message at `at`.
        let mut jumped: Option<usize> = None;
        loop {
            let (len, here) = match jumped {
                None => (cur.u8("name label length")?, cur.position() - 1),
                Some(at) => match msg.get(at) {
                    Some(&b) => {
                        jumped = Some(at + 1);
                        (b, at)
                    }
                    None => {
                        return Err(DnsError::Truncated {
                            field: "name label length",
                            needed: 1,
                            left: 0,
                        });
                    }
                },
            };
            match len >> 6 {
                0b00 if len == 0 => return Ok(Name { labels }),
                0b00 => {
                    let n = usize::from(len);
                    wire += 1 + n;
                    if wire > MAX_NAME {
                        return Err(DnsError::NameTooLong(wire));
                    }
                    let label = match jumped {
                        None => cur.take(n, "name label")?,
                        Some(at) => {
                            let label = msg.get(at..at + n).ok_or(DnsError::Truncated {
                                field: "name label",
                                needed: n,
                                left: msg.len().saturating_sub(at),
                            })?;
                            jumped = Some(at + n);
                            label
                        }
                    };
                    labels.push(label.to_vec());
                }
                0b11 => {
                    let low = match jumped {
                        None => cur.u8("name pointer")?,
                        Some(at) => *msg.get(at).ok_or(DnsError::Truncated {
                            field: "name pointer",
                            needed: 1,
                            left: 0,
                        })?,
                    };
                    let to = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                    if to >= hop_start {
                        return Err(DnsError::PointerNotBackwards { at: here, to });
                    }
                    hop_start = to;
                    jumped = Some(to);
                }
                _ => return Err(DnsError::LabelType(len)),
            }
        }
    }
}

impl fmt::Display for Name {
    /// Master-file text (RFC 1035 §5.1), fully qualified: `wirelab.test.`;
    /// a dot or backslash inside a label is escaped with `\`, and an octet
    /// that is not printable ASCII is written `\DDD` in decimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            return f.write_str(".");
        }
        for l in &self.labels {
            for &b in l {
                match b {
                    b'.' | b'\\' => write!(f, "\\{}", b as char)?,
                    0x21..=0x7e => write!(f, "{}", b as char)?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
            f.write_str(".")?;
        }
        Ok(())
    }
}
