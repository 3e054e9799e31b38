//! The flow table's lookup index: a chained hash table whose chains run
//! through the connection records.
//!
//! The index holds one 4-byte head slot per bucket; each record keeps the
//! slot of the next record in its bucket (`Connection::chain`, which fits in
//! bytes the record's alignment leaves free). Lookups compare keys in the
//! records themselves, so the index needs no copy of the keys or hashes.
//! Buckets number a power of two and at least the entries (load ≤ 1), so
//! the index costs 4 to 8 bytes per open connection, and 12 at the moment
//! it doubles (old and new head arrays side by side). The table walks and
//! relinks the chains; this type only keeps the heads and the count.

/// No record: an empty bucket or the end of a chain.
pub const NONE: u32 = u32::MAX;

/// Smallest number of buckets.
const MIN_BUCKETS: usize = 16;

/// Bucket heads of a chained hash table.
#[derive(Debug, Default)]
pub struct Index {
    heads: Vec<u32>,
    len: usize,
}

impl Index {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes held by the head array.
    pub fn heap_bytes(&self) -> usize {
        self.heads.capacity() * std::mem::size_of::<u32>()
    }

    fn bucket(&self, hash: u32) -> Option<usize> {
        let n = self.heads.len();
        (n != 0).then(|| hash as usize & (n - 1))
    }

    /// The first slot of `hash`'s chain, or `NONE`.
    #[inline]
    pub fn head(&self, hash: u32) -> u32 {
        self.bucket(hash)
            .and_then(|b| self.heads.get(b).copied())
            .unwrap_or(NONE)
    }

    /// Where `hash`'s chain head lives (null with no buckets), for a
    /// prefetch hint.
    #[inline]
    pub fn head_ptr(&self, hash: u32) -> *const u32 {
        self.bucket(hash)
            .and_then(|b| self.heads.get(b))
            .map_or(std::ptr::null(), |h| h as *const u32)
    }

    /// Makes `slot` the first of `hash`'s chain; the caller has linked the
    /// old head behind it. Call [`Index::full`] first.
    pub fn push_head(&mut self, hash: u32, slot: u32) {
        if let Some(h) = self.bucket(hash).and_then(|b| self.heads.get_mut(b)) {
            *h = slot;
            self.len += 1;
        }
    }

    /// Replaces the first slot of `hash`'s chain (unlinking its old head).
    pub fn set_head(&mut self, hash: u32, slot: u32) {
        if let Some(h) = self.bucket(hash).and_then(|b| self.heads.get_mut(b)) {
            *h = slot;
        }
    }

    /// One entry fewer (the caller unlinked it).
    pub fn removed(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    /// True when one more entry needs more buckets: the caller then calls
    /// [`Index::rebuild`] with every entry.
    pub fn full(&self) -> bool {
        self.len + 1 > self.heads.len()
    }

    /// Starts over with twice the buckets (at least [`MIN_BUCKETS`]), all
    /// empty; the caller relinks every entry with [`Index::push_head`].
    pub fn rebuild(&mut self) {
        let n = (self.heads.len() * 2).max(MIN_BUCKETS);
        // Free the old array before the new one is written, so both are not
        // resident at once any longer than the allocation itself.
        self.heads = Vec::new();
        self.heads = vec![NONE; n];
        self.len = 0;
    }
}

#[cfg(test)]
mod tests;
