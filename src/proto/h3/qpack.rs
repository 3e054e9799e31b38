//! QPACK field sections (RFC 9204 §4.5) with the static table and
//! literals: the section prefix, then field lines. A section whose
//! Required Insert Count is not zero depends on the dynamic table, which
//! the encoder stream fills (§2.1.2); this reader does not keep that table
//! and says so rather than guess. Integers and Huffman-coded strings are
//! HPACK's (§4.1.1, §4.1.2), read with [`crate::proto::hpack`]'s code.

use crate::proto::hpack::{huffman, integer};

use super::static_table::STATIC;

/// One field line decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name (lowercase in HTTP/3, §4.2 of RFC 9114).
    pub name: String,
    /// The value.
    pub value: String,
}

/// Why a field section could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QpackError {
    /// The section ends inside a representation.
    #[error("truncated")]
    Truncated,
    /// An integer over 2^32 (HPACK's limit, which this reader keeps).
    #[error("an integer too large")]
    Integer,
    /// A Huffman-coded string that does not decode.
    #[error("a Huffman string that does not decode")]
    Huffman,
    /// A static table index past its 99 entries (§3.1).
    #[error("static table index {0} (the table has 99 entries)")]
    StaticIndex(u64),
    /// The section refers to the dynamic table: its Required Insert Count
    /// (encoded) is not zero, or a line names a dynamic entry.
    #[error("refers to the dynamic table (encoded Required Insert Count {0}): not decoded")]
    DynamicTable(u64),
}

impl From<integer::IntegerError> for QpackError {
    fn from(e: integer::IntegerError) -> Self {
        match e {
            integer::IntegerError::Truncated => QpackError::Truncated,
            integer::IntegerError::Overflow => QpackError::Integer,
        }
    }
}

/// A prefixed integer at the start of `b`.
fn int(b: &[u8], prefix: u8) -> Result<(u64, usize), QpackError> {
    Ok(integer::decode(b, prefix)?)
}

/// A string literal whose Huffman flag is the bit just above a
/// `prefix`-bit length (§4.1.2); its text and the bytes it took.
fn string(b: &[u8], prefix: u8) -> Result<(String, usize), QpackError> {
    let first = *b.first().ok_or(QpackError::Truncated)?;
    let huffman = first & (1 << prefix) != 0;
    let (len, n) = int(b, prefix)?;
    let len = usize::try_from(len).map_err(|_| QpackError::Integer)?;
    let raw = b.get(n..n + len).ok_or(QpackError::Truncated)?;
    let text = if huffman {
        let mut out = Vec::with_capacity(raw.len() * 8 / 5);
        huffman::decode(raw, &mut out).map_err(|_| QpackError::Huffman)?;
        String::from_utf8_lossy(&out).into_owned()
    } else {
        String::from_utf8_lossy(raw).into_owned()
    };
    Ok((text, n + len))
}

fn entry(index: u64) -> Result<(&'static str, &'static str), QpackError> {
    usize::try_from(index)
        .ok()
        .and_then(|i| STATIC.get(i))
        .copied()
        .ok_or(QpackError::StaticIndex(index))
}

/// The fields of a HEADERS (or PUSH_PROMISE) frame's field section.
pub fn decode_section(block: &[u8]) -> Result<Vec<Field>, QpackError> {
    // §4.5.1: Encoded Required Insert Count (8-bit prefix), then the sign
    // bit and Delta Base (7-bit prefix).
    let (ric, n) = int(block, 8)?;
    if ric != 0 {
        return Err(QpackError::DynamicTable(ric));
    }
    let (_, m) = int(block.get(n..).ok_or(QpackError::Truncated)?, 7)?;
    let mut b = &block[n + m..];
    let mut out = Vec::new();
    while let Some(&first) = b.first() {
        let used = if first & 0x80 != 0 {
            // §4.5.2 Indexed Field Line: 1 T index(6).
            let (index, n) = int(b, 6)?;
            if first & 0x40 == 0 {
                return Err(QpackError::DynamicTable(ric));
            }
            let (name, value) = entry(index)?;
            out.push(Field {
                name: name.to_owned(),
                value: value.to_owned(),
            });
            n
        } else if first & 0x40 != 0 {
            // §4.5.4 Literal Field Line with Name Reference: 01 N T index(4).
            let (index, n) = int(b, 4)?;
            if first & 0x10 == 0 {
                return Err(QpackError::DynamicTable(ric));
            }
            let (name, _) = entry(index)?;
            let (value, m) = string(b.get(n..).ok_or(QpackError::Truncated)?, 7)?;
            out.push(Field {
                name: name.to_owned(),
                value,
            });
            n + m
        } else if first & 0x20 != 0 {
            // §4.5.6 Literal Field Line with Literal Name: 001 N H len(3).
            let (name, n) = string(b, 3)?;
            let (value, m) = string(b.get(n..).ok_or(QpackError::Truncated)?, 7)?;
            out.push(Field { name, value });
            n + m
        } else {
            // §4.5.3 and §4.5.5: post-base references, always dynamic.
            return Err(QpackError::DynamicTable(ric));
        };
        b = &b[used..];
    }
    Ok(out)
}
