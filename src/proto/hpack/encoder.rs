//! Encoding a header list into a header block (RFC 7541 §6), for the
//! teaching server's HTTP/2 responses.
//!
//! The policy is the plain one RFC 7541's own examples follow, so Appendix C
//! doubles as its test: a field already in a table is sent by index (§6.1);
//! otherwise it is sent as a literal that joins the dynamic table (§6.2.1),
//! naming it by the lowest index that has the name; fields marked sensitive
//! go as never-indexed literals (§6.2.3, §7.1.3), and fields marked varying
//! (a stream id) as literals without indexing once their name is in a table
//! (§6.2.2), so that values that never repeat do not push out the ones that
//! do, nor grow the table the encoder searches. Strings are Huffman-coded
//! unless that would make them longer (§5.2; Appendix C.6.2 codes "307",
//! three bytes either way).

use super::huffman;
use super::integer;
use super::table::{self, DynamicTable, Found};

/// The encoding side of one direction of a connection.
#[derive(Debug, Clone)]
pub struct Encoder {
    table: DynamicTable,
    huffman: bool,
    /// Size updates owed at the start of the next block (§4.2): the
    /// smallest size the table passed through, then the final one.
    pending: Option<(usize, usize)>,
}

/// How a field is to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// May be indexed.
    Plain,
    /// Never indexed, here or by any intermediary (§7.1.3).
    NeverIndex,
    /// A value that changes from one block to the next: indexed only while
    /// its name is in no table (so later blocks can name it by index), then
    /// sent without indexing (§6.2.2). A value already in a table is still
    /// sent by index.
    Varying,
}

impl Encoder {
    /// An encoder with HTTP/2's initial table size of 4096 bytes.
    pub fn new(huffman: bool) -> Self {
        Encoder {
            table: DynamicTable::new(super::decoder::DEFAULT_TABLE_SIZE),
            huffman,
            pending: None,
        }
    }

    /// Sets the table's maximum size, which must not exceed the peer's
    /// SETTINGS_HEADER_TABLE_SIZE; the change is announced at the start of
    /// the next block (§6.3).
    pub fn set_max_table_size(&mut self, size: usize) {
        let smallest = match self.pending {
            Some((min, _)) => min.min(size),
            None => size,
        };
        self.pending = Some((smallest, size));
        self.table.set_max_size(size);
    }

    /// The dynamic table as it stands.
    pub fn table(&self) -> &DynamicTable {
        &self.table
    }

    /// Appends the block for `fields` to `out`.
    pub fn encode<'a, I>(&mut self, fields: I, out: &mut Vec<u8>)
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8], Sensitivity)>,
    {
        if let Some((smallest, last)) = self.pending.take() {
            // A decoder that saw the table shrink below its final size must
            // evict as the encoder did, so the low point goes first.
            if smallest < last {
                integer::encode(smallest as u64, 5, 0x20, out);
            }
            integer::encode(last as u64, 5, 0x20, out);
        }
        for (name, value, sensitivity) in fields {
            let found = table::find(&self.table, name, value);
            match (found, sensitivity) {
                (Found::Field(i), Sensitivity::Plain | Sensitivity::Varying) => {
                    integer::encode(i as u64, 7, 0x80, out)
                }
                (Found::Name(i), Sensitivity::Varying) => {
                    integer::encode(i as u64, 4, 0x00, out);
                    self.string(value, out);
                }
                (Found::Field(i) | Found::Name(i), Sensitivity::NeverIndex) => {
                    integer::encode(i as u64, 4, 0x10, out);
                    self.string(value, out);
                }
                (Found::Nothing, Sensitivity::NeverIndex) => {
                    out.push(0x10);
                    self.string(name, out);
                    self.string(value, out);
                }
                (Found::Name(i), Sensitivity::Plain) => {
                    integer::encode(i as u64, 6, 0x40, out);
                    self.string(value, out);
                    self.table.insert(name, value);
                }
                (Found::Nothing, Sensitivity::Plain | Sensitivity::Varying) => {
                    out.push(0x40);
                    self.string(name, out);
                    self.string(value, out);
                    self.table.insert(name, value);
                }
            }
        }
    }

    fn string(&self, s: &[u8], out: &mut Vec<u8>) {
        let coded = huffman::encoded_len(s);
        if self.huffman && !s.is_empty() && coded <= s.len() {
            integer::encode(coded as u64, 7, 0x80, out);
            huffman::encode(s, out);
        } else {
            integer::encode(s.len() as u64, 7, 0x00, out);
            out.extend_from_slice(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::hpack::Decoder;

    #[test]
    fn a_varying_field_joins_the_table_once_then_goes_without_indexing() {
        let mut encoder = Encoder::new(true);
        let mut decoder = Decoder::new(64 * 1024);
        for (i, id) in ["1", "3", "5"].iter().enumerate() {
            let fields = [
                (&b":status"[..], &b"200"[..], Sensitivity::Plain),
                (b"x-wirelab-stream", id.as_bytes(), Sensitivity::Varying),
            ];
            let mut block = Vec::new();
            encoder.encode(fields, &mut block);
            // The first block adds the field (§6.2.1: 0x40, a literal
            // name); the later ones name it by index 62 without indexing
            // (§6.2.2: 0000 then 15 + 47 in the 4-bit prefix).
            let expect_start: &[u8] = if i == 0 {
                &[0x88, 0x40]
            } else {
                &[0x88, 0x0f, 47]
            };
            assert!(block.starts_with(expect_start), "{i}: {block:02x?}");
            assert_eq!(encoder.table().len(), 1, "only the first value is kept");
            let got = decoder.decode(&block).expect("decodes");
            assert_eq!(got[1].value, id.as_bytes());
        }
        // A value already in the table is still sent by index.
        let mut block = Vec::new();
        encoder.encode(
            [(&b"x-wirelab-stream"[..], &b"1"[..], Sensitivity::Varying)],
            &mut block,
        );
        assert_eq!(block, [0x80 | 62]);
    }
}
