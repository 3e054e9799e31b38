//! QPACK's dynamic table (RFC 9204 §3.2) as a passive reader rebuilds it
//! from one side's encoder stream (§4.3): capacity changes, inserts with a
//! static or dynamic name reference or a literal name, duplicates, each
//! entry costing its name and value plus 32 bytes, the oldest evicted
//! first. Field sections of that side are then decoded against it
//! ([`super::qpack::decode_section`]).

use std::collections::VecDeque;

use crate::proto::hpack::integer;

use super::qpack::{QpackError, string};
use super::static_table::STATIC;

/// Bytes of an encoder stream held while an instruction is incomplete.
const MAX_PENDING: usize = 64 * 1024;

/// One side's dynamic table.
#[derive(Debug, Clone, Default)]
pub struct DynamicTable {
    /// Entries, oldest first: absolute index `dropped + i`.
    entries: VecDeque<(String, String)>,
    /// Entries evicted so far.
    dropped: u64,
    /// Current capacity (Set Dynamic Table Capacity).
    capacity: u64,
    /// Sum of the entries' sizes.
    size: u64,
    /// SETTINGS_QPACK_MAX_TABLE_CAPACITY of the decoding side (§3.2.3),
    /// when its SETTINGS were read.
    max_capacity: Option<u64>,
    /// Encoder stream bytes of an instruction not yet whole.
    pending: Vec<u8>,
}

/// §3.2.1: an entry's size.
fn entry_size(name: &str, value: &str) -> u64 {
    (name.len() + value.len() + 32) as u64
}

impl DynamicTable {
    /// The decoder's SETTINGS_QPACK_MAX_TABLE_CAPACITY.
    pub fn set_max_capacity(&mut self, max: u64) {
        self.max_capacity = Some(max);
    }

    /// Inserts so far (the next entry's absolute index).
    pub fn insert_count(&self) -> u64 {
        self.dropped + self.entries.len() as u64
    }

    /// The entry at absolute index `abs`, if still held.
    pub fn get(&self, abs: u64) -> Option<(&str, &str)> {
        let i = abs.checked_sub(self.dropped)?;
        let (n, v) = self.entries.get(usize::try_from(i).ok()?)?;
        Some((n, v))
    }

    fn evict_to(&mut self, room: u64) {
        while self.size > room {
            let Some((n, v)) = self.entries.pop_front() else {
                break;
            };
            self.size -= entry_size(&n, &v);
            self.dropped += 1;
        }
    }

    fn insert(&mut self, name: String, value: String) -> Result<(), QpackError> {
        let size = entry_size(&name, &value);
        if size > self.capacity {
            return Err(QpackError::Encoder("an entry larger than the table"));
        }
        self.evict_to(self.capacity - size);
        self.size += size;
        self.entries.push_back((name, value));
        Ok(())
    }

    /// Bytes of the encoder stream, in order.
    pub fn encoder_bytes(&mut self, bytes: &[u8]) -> Result<(), QpackError> {
        self.pending.extend_from_slice(bytes);
        let mut used = 0;
        loop {
            match self.instruction(used) {
                Ok(Some(n)) => used += n,
                Ok(None) => break,
                Err(e) => {
                    self.pending.clear();
                    return Err(e);
                }
            }
        }
        self.pending.drain(..used);
        if self.pending.len() > MAX_PENDING {
            self.pending.clear();
            return Err(QpackError::Encoder("an instruction longer than held"));
        }
        Ok(())
    }

    /// The instruction at `at` in the pending bytes applied; its length,
    /// or `None` when it is not all there yet.
    fn instruction(&mut self, at: usize) -> Result<Option<usize>, QpackError> {
        let b = &self.pending[at..];
        let Some(&first) = b.first() else {
            return Ok(None);
        };
        let whole = |r: Result<(String, usize), QpackError>| match r {
            Ok(v) => Ok(Some(v)),
            Err(QpackError::Truncated) => Ok(None),
            Err(e) => Err(e),
        };
        let int = |b: &[u8], p: u8| match integer::decode(b, p) {
            Ok(v) => Ok(Some(v)),
            Err(integer::IntegerError::Truncated) => Ok(None),
            Err(_) => Err(QpackError::Integer),
        };
        if first & 0x80 != 0 {
            // Insert with Name Reference: 1 T index(6), value.
            let Some((index, n)) = int(b, 6)? else {
                return Ok(None);
            };
            let Some((value, m)) = whole(string(&b[n..], 7))? else {
                return Ok(None);
            };
            let name = if first & 0x40 != 0 {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| STATIC.get(i))
                    .ok_or(QpackError::StaticIndex(index))?
                    .0
                    .to_owned()
            } else {
                // §4.3.2: a relative index, 0 for the newest entry.
                let abs = self
                    .insert_count()
                    .checked_sub(1 + index)
                    .ok_or(QpackError::Encoder("a name reference to no entry"))?;
                self.get(abs)
                    .ok_or(QpackError::Encoder("a name reference to an evicted entry"))?
                    .0
                    .to_owned()
            };
            self.insert(name, value)?;
            Ok(Some(n + m))
        } else if first & 0x40 != 0 {
            // Insert with Literal Name: 01 H len(5) name, value.
            let Some((name, n)) = whole(string(b, 5))? else {
                return Ok(None);
            };
            let Some((value, m)) = whole(string(&b[n..], 7))? else {
                return Ok(None);
            };
            self.insert(name, value)?;
            Ok(Some(n + m))
        } else if first & 0x20 != 0 {
            // Set Dynamic Table Capacity: 001 capacity(5).
            let Some((cap, n)) = int(b, 5)? else {
                return Ok(None);
            };
            // §4.3.1: never above the decoder's maximum.
            if self.max_capacity.is_some_and(|m| cap > m) {
                return Err(QpackError::Encoder("a capacity above the peer's maximum"));
            }
            self.capacity = cap;
            self.evict_to(cap);
            Ok(Some(n))
        } else {
            // Duplicate: 000 index(5).
            let Some((index, n)) = int(b, 5)? else {
                return Ok(None);
            };
            let abs = self
                .insert_count()
                .checked_sub(1 + index)
                .ok_or(QpackError::Encoder("a duplicate of no entry"))?;
            let (name, value) = self
                .get(abs)
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .ok_or(QpackError::Encoder("a duplicate of an evicted entry"))?;
            self.insert(name, value)?;
            Ok(Some(n))
        }
    }

    /// §4.5.1.1: the Required Insert Count from its encoding.
    pub fn required_insert_count(&self, encoded: u64) -> Result<u64, QpackError> {
        if encoded == 0 {
            return Ok(0);
        }
        let max_entries = self.max_capacity.ok_or(QpackError::DynamicTable(encoded))? / 32;
        let full_range = 2 * max_entries;
        if encoded > full_range {
            return Err(QpackError::InsertCount(encoded));
        }
        let max_value = self.insert_count() + max_entries;
        let max_wrapped = (max_value / full_range) * full_range;
        let mut ric = max_wrapped + encoded - 1;
        if ric > max_value {
            if ric <= full_range {
                return Err(QpackError::InsertCount(encoded));
            }
            ric -= full_range;
        }
        if ric == 0 {
            return Err(QpackError::InsertCount(encoded));
        }
        Ok(ric)
    }
}
