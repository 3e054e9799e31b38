//! A bounds-checked reader over QUIC's fields, with the variable-length
//! integer encoding (RFC 9000 §16): the two most significant bits of the
//! first byte give the length (1, 2, 4 or 8 bytes), the rest the value.

use super::QuicError;

/// Reads fields from a byte slice; every read says which field ran past
/// the end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Nothing left.
    pub fn is_empty(&self) -> bool {
        self.left() == 0
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], QuicError> {
        if n > self.left() {
            return Err(QuicError::Truncated {
                field,
                needed: n,
                left: self.left(),
            });
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, QuicError> {
        Ok(self.take(1, field)?[0])
    }

    /// A 32-bit big-endian number.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, QuicError> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A variable-length integer (RFC 9000 §16).
    pub fn varint(&mut self, field: &'static str) -> Result<u64, QuicError> {
        let first = *self.bytes.get(self.pos).ok_or(QuicError::Truncated {
            field,
            needed: 1,
            left: 0,
        })?;
        let len = 1usize << (first >> 6);
        let b = self.take(len, field)?;
        let mut v = u64::from(first & 0x3f);
        for &x in &b[1..] {
            v = v << 8 | u64::from(x);
        }
        Ok(v)
    }

    /// A field whose length is a varint before it.
    pub fn varint_bytes(&mut self, field: &'static str) -> Result<&'a [u8], QuicError> {
        let n = self.varint(field)?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        self.take(n, field)
    }
}
