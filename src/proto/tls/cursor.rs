//! A bounds-checked reader over one message's bytes: every read says which
//! field ran past the end instead of panicking.

use super::hello::HelloError;

#[derive(Debug, Clone)]
pub(super) struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(super) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], HelloError> {
        if n > self.bytes.len() {
            return Err(HelloError::Truncated {
                field,
                needed: n,
                left: self.bytes.len(),
            });
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(super) fn u8(&mut self, field: &'static str) -> Result<u8, HelloError> {
        Ok(self.take(1, field)?[0])
    }

    pub(super) fn u16(&mut self, field: &'static str) -> Result<u16, HelloError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A vector with a one-byte length (RFC 8446 §3.4 `<0..2^8-1>`).
    pub(super) fn vec8(&mut self, field: &'static str) -> Result<&'a [u8], HelloError> {
        let n = self.u8(field)?;
        self.take(usize::from(n), field)
    }

    /// A vector with a two-byte length (`<0..2^16-1>`).
    pub(super) fn vec16(&mut self, field: &'static str) -> Result<&'a [u8], HelloError> {
        let n = self.u16(field)?;
        self.take(usize::from(n), field)
    }

    /// The bytes must all have been read (a vector's declared length and
    /// its contents agree).
    pub(super) fn done(&self, field: &'static str) -> Result<(), HelloError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(HelloError::Trailing {
                field,
                extra: self.bytes.len(),
            })
        }
    }
}
