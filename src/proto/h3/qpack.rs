//! QPACK field sections (RFC 9204 §4.5): the section prefix, then field
//! lines naming the static table, the dynamic table (rebuilt from the
//! encoder stream by [`super::qpack_table`]) or literals. Without the
//! table (no encoder stream or SETTINGS seen), a section that needs it is
//! reported as such rather than guessed. Integers and Huffman-coded
//! strings are HPACK's (§4.1.1, §4.1.2), read with
//! [`crate::proto::hpack`]'s code.

use crate::proto::hpack::{huffman, integer};

use super::qpack_table::DynamicTable;
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
    /// An encoded Required Insert Count that decodes to no valid count
    /// (§4.5.1.1).
    #[error("encoded Required Insert Count {0} is invalid")]
    InsertCount(u64),
    /// The section needs entries the encoder stream has not inserted yet
    /// (§2.1.2: a blocked stream), and never did in the capture.
    #[error("blocked: needs {required} dynamic table inserts, {inserted} seen")]
    Blocked {
        /// The Required Insert Count.
        required: u64,
        /// Inserts seen.
        inserted: u64,
    },
    /// A reference to a dynamic entry that is not in the table (evicted,
    /// or past the Required Insert Count).
    #[error("dynamic table entry {0} is not in the table")]
    DynamicEntry(u64),
    /// An encoder stream instruction that cannot be applied (§4.3).
    #[error("encoder stream: {0}")]
    Encoder(&'static str),
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
pub(super) fn string(b: &[u8], prefix: u8) -> Result<(String, usize), QpackError> {
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

/// The entry at `abs` of `table` below `ric`.
fn dynamic(table: &DynamicTable, ric: u64, abs: Option<u64>) -> Result<(&str, &str), QpackError> {
    let abs = abs.ok_or(QpackError::DynamicEntry(0))?;
    if abs >= ric {
        return Err(QpackError::DynamicEntry(abs));
    }
    table.get(abs).ok_or(QpackError::DynamicEntry(abs))
}

/// The fields of a HEADERS (or PUSH_PROMISE) frame's field section, with
/// the static table and literals only.
pub fn decode_section(block: &[u8]) -> Result<Vec<Field>, QpackError> {
    decode_with(block, None)
}

/// The fields of a field section; `table` is the encoding side's dynamic
/// table as its encoder stream built it so far.
pub fn decode_with(block: &[u8], table: Option<&DynamicTable>) -> Result<Vec<Field>, QpackError> {
    // §4.5.1: Encoded Required Insert Count (8-bit prefix), then the sign
    // bit and Delta Base (7-bit prefix).
    let (encoded, n) = int(block, 8)?;
    let (ric, table) = match (encoded, table) {
        (0, t) => (0, t),
        (e, None) => return Err(QpackError::DynamicTable(e)),
        (e, Some(t)) => (t.required_insert_count(e)?, Some(t)),
    };
    if let Some(t) = table
        && ric > t.insert_count()
    {
        return Err(QpackError::Blocked {
            required: ric,
            inserted: t.insert_count(),
        });
    }
    let sign = block.get(n).ok_or(QpackError::Truncated)? & 0x80 != 0;
    let (delta, m) = int(&block[n..], 7)?;
    // §4.5.1.2: Base is RIC plus Delta Base, or minus it and one.
    let base = if sign {
        ric.checked_sub(delta + 1)
            .ok_or(QpackError::InsertCount(encoded))?
    } else {
        ric + delta
    };
    let relative = |i: u64| base.checked_sub(1 + i);
    let post = |i: u64| base.checked_add(i);
    let mut b = &block[n + m..];
    let mut out = Vec::new();
    let need = table.ok_or(QpackError::DynamicTable(encoded));
    while let Some(&first) = b.first() {
        let (name, value, used): (String, Option<String>, usize) = if first & 0x80 != 0 {
            // §4.5.2 Indexed Field Line: 1 T index(6).
            let (index, n) = int(b, 6)?;
            let (name, value) = if first & 0x40 != 0 {
                entry(index)?
            } else {
                dynamic(need?, ric, relative(index))?
            };
            (name.to_owned(), Some(value.to_owned()), n)
        } else if first & 0x40 != 0 {
            // §4.5.4 Literal Field Line with Name Reference: 01 N T index(4).
            let (index, n) = int(b, 4)?;
            let name = if first & 0x10 != 0 {
                entry(index)?.0
            } else {
                dynamic(need?, ric, relative(index))?.0
            };
            (name.to_owned(), None, n)
        } else if first & 0x20 != 0 {
            // §4.5.6 Literal Field Line with Literal Name: 001 N H len(3).
            let (name, n) = string(b, 3)?;
            (name, None, n)
        } else if first & 0x10 != 0 {
            // §4.5.3 Indexed Field Line with Post-Base Index: 0001 index(4).
            let (index, n) = int(b, 4)?;
            let (name, value) = dynamic(need?, ric, post(index))?;
            (name.to_owned(), Some(value.to_owned()), n)
        } else {
            // §4.5.5 Literal Field Line with Post-Base Name Reference:
            // 0000 N index(3).
            let (index, n) = int(b, 3)?;
            let name = dynamic(need?, ric, post(index))?.0;
            (name.to_owned(), None, n)
        };
        let (value, used) = match value {
            Some(v) => (v, used),
            None => {
                let (v, m) = string(b.get(used..).ok_or(QpackError::Truncated)?, 7)?;
                (v, used + m)
            }
        };
        out.push(Field { name, value });
        b = &b[used..];
    }
    Ok(out)
}
