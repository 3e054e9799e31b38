//! Decoding a header block (RFC 7541 §3, §6) into a header list.
//!
//! A header block is the concatenated fragments of one HEADERS (or
//! PUSH_PROMISE) frame and its CONTINUATION frames (RFC 9113 §4.3). Each
//! representation starts with a pattern in its first byte's high bits:
//!
//! | first byte | representation | section |
//! |---|---|---|
//! | `1xxxxxxx` | indexed field | §6.1 |
//! | `01xxxxxx` | literal, added to the dynamic table | §6.2.1 |
//! | `001xxxxx` | dynamic table size update | §6.3 |
//! | `0001xxxx` | literal, never to be indexed | §6.2.3 |
//! | `0000xxxx` | literal, not added | §6.2.2 |
//!
//! Any error leaves the dynamic table out of step with the encoder's, so in
//! HTTP/2 it is a connection error of type COMPRESSION_ERROR (RFC 9113
//! §4.3): nothing after it on that connection can be decoded.

use std::borrow::Cow;
use std::fmt;

use super::huffman::{self, HuffmanError};
use super::integer::{self, IntegerError};
use super::table::{self, DynamicTable};

/// One decoded field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField {
    /// Field name.
    pub name: Vec<u8>,
    /// Field value.
    pub value: Vec<u8>,
    /// Sent as "never indexed" (§6.2.3): an intermediary must keep it so.
    pub never_indexed: bool,
}

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Offset in the header block of the representation that failed.
    pub offset: usize,
    /// Why.
    pub kind: DecodeErrorKind,
}

/// Why a header block could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The block ends inside a representation.
    Truncated,
    /// An integer over 2^32 − 1.
    IntegerOverflow,
    /// Index 0, or past the end of the dynamic table (§2.3.3).
    BadIndex(u64),
    /// A Huffman-coded string that §5.2 makes an error.
    Huffman(HuffmanError),
    /// A size update above the limit the decoder announced (§6.3).
    TableSizeOverLimit {
        /// The size asked for.
        requested: u64,
        /// The decoder's SETTINGS_HEADER_TABLE_SIZE.
        limit: usize,
    },
    /// A size update after the first field of the block (§4.2).
    TableSizeUpdateNotFirst,
    /// The decoded list is larger than allowed (RFC 9113 §6.5.2
    /// SETTINGS_MAX_HEADER_LIST_SIZE, or the decoder's own bound): the
    /// defence against a small block that expands into a huge list. The
    /// whole block was still processed, so the table stays in step.
    ListTooLarge {
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Truncated => f.write_str("header block ends inside a field"),
            DecodeErrorKind::IntegerOverflow => f.write_str("integer over 2^32-1"),
            DecodeErrorKind::BadIndex(i) => write!(f, "index {i} is not in the table"),
            DecodeErrorKind::Huffman(HuffmanError::Eos) => f.write_str("Huffman string holds EOS"),
            DecodeErrorKind::Huffman(HuffmanError::PaddingTooLong) => {
                f.write_str("Huffman padding longer than 7 bits")
            }
            DecodeErrorKind::Huffman(HuffmanError::PaddingNotOnes) => {
                f.write_str("Huffman padding is not all ones")
            }
            DecodeErrorKind::TableSizeOverLimit { requested, limit } => {
                write!(f, "table size update to {requested} over the limit {limit}")
            }
            DecodeErrorKind::TableSizeUpdateNotFirst => {
                f.write_str("table size update after a field")
            }
            DecodeErrorKind::ListTooLarge { limit } => {
                write!(f, "header list larger than {limit} bytes")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HPACK: {} (offset {})", self.kind, self.offset)
    }
}

impl std::error::Error for DecodeError {}

impl From<IntegerError> for DecodeErrorKind {
    fn from(e: IntegerError) -> Self {
        match e {
            IntegerError::Truncated => DecodeErrorKind::Truncated,
            IntegerError::Overflow => DecodeErrorKind::IntegerOverflow,
        }
    }
}

/// The decoding side of one direction of a connection.
#[derive(Debug, Clone)]
pub struct Decoder {
    table: DynamicTable,
    /// The SETTINGS_HEADER_TABLE_SIZE this side announced: the most the
    /// encoder may set its table to (§4.2).
    limit: usize,
    /// Largest header list accepted, as §6.5.2 counts its size.
    max_list_size: usize,
}

/// HTTP/2's initial SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2).
pub const DEFAULT_TABLE_SIZE: usize = 4096;

impl Decoder {
    /// A decoder with the initial table size and a list bound of
    /// `max_list_size` bytes.
    pub fn new(max_list_size: usize) -> Self {
        Decoder {
            table: DynamicTable::new(DEFAULT_TABLE_SIZE),
            limit: DEFAULT_TABLE_SIZE,
            max_list_size,
        }
    }

    /// This side announced a new SETTINGS_HEADER_TABLE_SIZE. The encoder
    /// answers with a size update; until then its table keeps its size,
    /// unless the new limit is smaller (it must come down, §4.2).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        if self.table.max_size() > limit {
            self.table.set_max_size(limit);
        }
    }

    /// The SETTINGS_HEADER_TABLE_SIZE in force: the most a size update may
    /// ask for.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The dynamic table as it stands.
    pub fn table(&self) -> &DynamicTable {
        &self.table
    }

    /// Decodes one complete header block.
    pub fn decode(&mut self, block: &[u8]) -> Result<Vec<HeaderField>, DecodeError> {
        let mut fields = Vec::new();
        self.decode_each(block, |name, value, never_indexed| {
            fields.push(HeaderField {
                name: name.to_vec(),
                value: value.to_vec(),
                never_indexed,
            });
        })?;
        Ok(fields)
    }

    /// Decodes one complete header block, handing each field to `field`
    /// (name, value, never indexed) as it comes: nothing is copied for a
    /// field sent by index or as a plain literal. On an error the fields
    /// already handed over are to be dropped; past the list size limit
    /// none are handed over, but the block is still read to its end (the
    /// table stays in step) before [`DecodeErrorKind::ListTooLarge`].
    pub fn decode_each(
        &mut self,
        block: &[u8],
        mut field: impl FnMut(&[u8], &[u8], bool),
    ) -> Result<(), DecodeError> {
        let mut budget = ListBudget {
            size: 0,
            limit: self.max_list_size,
            over: false,
        };
        let mut pos = 0;
        let mut seen_field = false;
        while pos < block.len() {
            let start = pos;
            let at = |kind: DecodeErrorKind| DecodeError {
                offset: start,
                kind,
            };
            let first = block[pos];
            if first & 0x80 != 0 {
                // §6.1: the whole field by index.
                let (index, used) = integer::decode(&block[pos..], 7).map_err(|e| at(e.into()))?;
                pos += used;
                let (name, value) = table::lookup(&self.table, index as usize)
                    .ok_or(at(DecodeErrorKind::BadIndex(index)))?;
                seen_field = true;
                // The bomb's shape is a short index repeated, each copy of a
                // large entry: counted before anything is handed over.
                if budget.admit(name, value) {
                    field(name, value, false);
                }
            } else if first & 0xe0 == 0x20 {
                // §6.3, allowed only before the first field (§4.2).
                if seen_field {
                    return Err(at(DecodeErrorKind::TableSizeUpdateNotFirst));
                }
                let (size, used) = integer::decode(&block[pos..], 5).map_err(|e| at(e.into()))?;
                pos += used;
                if size > self.limit as u64 {
                    return Err(at(DecodeErrorKind::TableSizeOverLimit {
                        requested: size,
                        limit: self.limit,
                    }));
                }
                self.table.set_max_size(size as usize);
            } else {
                let (prefix, indexing, never_indexed) = match first & 0xf0 {
                    0x40..=0x70 => (6, true, false),
                    0x10 => (4, false, true),
                    _ => (4, false, false),
                };
                let (index, used) =
                    integer::decode(&block[pos..], prefix).map_err(|e| at(e.into()))?;
                pos += used;
                let name = if index == 0 {
                    let (name, used) = read_string(&block[pos..]).map_err(at)?;
                    pos += used;
                    name
                } else {
                    let (name, _) = table::lookup(&self.table, index as usize)
                        .ok_or(at(DecodeErrorKind::BadIndex(index)))?;
                    // The table may evict this entry when the new one goes
                    // in, so an indexed name is copied; otherwise borrowed.
                    if indexing {
                        Cow::Owned(name.to_vec())
                    } else {
                        Cow::Borrowed(name)
                    }
                };
                let (value, used) = read_string(&block[pos..]).map_err(at)?;
                pos += used;
                seen_field = true;
                if budget.admit(&name, &value) {
                    field(&name, &value, never_indexed);
                }
                if indexing {
                    let (name, value) = (name.into_owned(), value.into_owned());
                    self.table.insert(&name, &value);
                }
            }
        }
        if budget.over {
            return Err(DecodeError {
                offset: block.len(),
                kind: DecodeErrorKind::ListTooLarge {
                    limit: self.max_list_size,
                },
            });
        }
        Ok(())
    }
}

/// The running size of the decoded list (RFC 9113 §6.5.2 counts each field
/// as name + value + 32). Past the limit the block is still read to its end,
/// so the dynamic table stays in step, but nothing more is kept.
struct ListBudget {
    size: usize,
    limit: usize,
    over: bool,
}

impl ListBudget {
    fn admit(&mut self, name: &[u8], value: &[u8]) -> bool {
        self.size = self.size.saturating_add(table::entry_size(name, value));
        self.over |= self.size > self.limit;
        !self.over
    }
}

/// Reads a string literal (§5.2): H bit, 7-bit-prefix length, octets;
/// borrowed from the block unless Huffman-coded.
fn read_string(buf: &[u8]) -> Result<(Cow<'_, [u8]>, usize), DecodeErrorKind> {
    let huffman = buf.first().is_some_and(|b| b & 0x80 != 0);
    let (len, used) = integer::decode(buf, 7)?;
    let end = used
        .checked_add(len as usize)
        .filter(|&end| end <= buf.len())
        .ok_or(DecodeErrorKind::Truncated)?;
    let raw = &buf[used..end];
    let text = if huffman {
        // Huffman codes are at least 5 bits, so the text is at most 8/5 of
        // the coded length: reserve that, never more.
        let mut out = Vec::with_capacity(raw.len() * 8 / 5 + 1);
        huffman::decode(raw, &mut out).map_err(DecodeErrorKind::Huffman)?;
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    Ok((text, end))
}
