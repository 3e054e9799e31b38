//! A bounds-checked reader over a whole message. Names need the whole
//! message (a compression pointer is an offset from its start), so the
//! cursor keeps it and a position, and records read their data through a
//! cursor limited to the data's end.

use super::DnsError;

#[derive(Debug, Clone)]
pub(super) struct Cursor<'a> {
    msg: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(msg: &'a [u8]) -> Self {
        Cursor {
            msg,
            at: 0,
            end: msg.len(),
        }
    }

    /// The whole message, for following name pointers.
    pub(super) fn message(&self) -> &'a [u8] {
        self.msg
    }

    pub(super) fn position(&self) -> usize {
        self.at
    }

    pub(super) fn left(&self) -> usize {
        self.end - self.at
    }

    pub(super) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DnsError> {
        if n > self.left() {
            return Err(DnsError::Truncated {
                field,
                needed: n,
                left: self.left(),
            });
        }
        let s = &self.msg[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    pub(super) fn u8(&mut self, field: &'static str) -> Result<u8, DnsError> {
        Ok(self.take(1, field)?[0])
    }

    pub(super) fn u16(&mut self, field: &'static str) -> Result<u16, DnsError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self, field: &'static str) -> Result<u32, DnsError> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next `n` bytes as their own cursor over the same message (for
    /// a record's data: its names may point anywhere before), and this
    /// cursor past them.
    pub(super) fn split(&mut self, n: usize, field: &'static str) -> Result<Cursor<'a>, DnsError> {
        let start = self.at;
        self.take(n, field)?;
        Ok(Cursor {
            msg: self.msg,
            at: start,
            end: start + n,
        })
    }

    pub(super) fn done(&self, field: &'static str) -> Result<(), DnsError> {
        match self.left() {
            0 => Ok(()),
            extra => Err(DnsError::Trailing { field, extra }),
        }
    }
}
