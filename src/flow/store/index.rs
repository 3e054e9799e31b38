//! The flow table's lookup index: a chained hash table whose chains run
//! through an array of links beside the heads, one per slab slot.
//!
//! The index holds one 4-byte head slot per bucket and one 4-byte link per
//! record slot (the slot of the next record in the same bucket). The links
//! used to live in the records themselves (`Connection::chain`), on the
//! 224-byte record's last cache line: every step along a chain then loaded
//! two lines of a record long out of the caches (its key at the front, the
//! link at the back), and removing a connection walked its bucket through
//! the other records only to find the link pointing at it. With the links
//! here a chain walk reads 4-byte words packed sixteen to a line, and a
//! removal touches no other record at all. Lookups still compare keys in
//! the records, so the index needs no copy of the keys or hashes.
//!
//! Buckets number a power of two and at least the entries (load ≤ 1), so
//! the heads cost 4 to 8 bytes per open connection, and 12 at the moment
//! they double (old and new head arrays side by side); the links cost 4
//! bytes per slot, grown [`LINK_CHUNK`] slots at a time like the slab.

/// No record: an empty bucket or the end of a chain.
pub const NONE: u32 = u32::MAX;

/// Smallest number of buckets.
const MIN_BUCKETS: usize = 16;

/// Links added at a time: exact growth (no doubling), so the links cost
/// 4 bytes per slot and not up to 8.
const LINK_CHUNK: usize = 1024;

/// Bucket heads and chain links of a chained hash table.
#[derive(Debug, Default)]
pub struct Index {
    heads: Vec<u32>,
    /// Per slab slot, the next slot in its bucket's chain.
    links: Vec<u32>,
    len: usize,
}

impl Index {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes held by the head and link arrays.
    pub fn heap_bytes(&self) -> usize {
        (self.heads.capacity() + self.links.capacity()) * std::mem::size_of::<u32>()
    }

    fn bucket(&self, hash: u32) -> Option<usize> {
        let n = self.heads.len();
        (n != 0).then(|| hash as usize & (n - 1))
    }

    /// The first slot in this hash's bucket, or [`NONE`].
    #[inline]
    pub fn head(&self, hash: u32) -> u32 {
        self.bucket(hash)
            .and_then(|b| self.heads.get(b).copied())
            .unwrap_or(NONE)
    }

    /// Where this hash's bucket head lies (for a prefetch hint), or null.
    #[inline]
    pub fn head_ptr(&self, hash: u32) -> *const u32 {
        self.bucket(hash)
            .and_then(|b| self.heads.get(b))
            .map_or(std::ptr::null(), |h| h as *const u32)
    }

    /// The slot after `slot` in its chain, or [`NONE`].
    #[inline]
    pub fn next(&self, slot: u32) -> u32 {
        self.links.get(slot as usize).copied().unwrap_or(NONE)
    }

    /// Puts `slot` first in this hash's bucket. The caller has made room
    /// ([`Index::full`], [`Index::rebuild`]).
    pub fn push_head(&mut self, hash: u32, slot: u32) {
        let Some(b) = self.bucket(hash) else {
            return;
        };
        let s = slot as usize;
        if s >= self.links.len() {
            let want = (s / LINK_CHUNK + 1) * LINK_CHUNK;
            self.links.reserve_exact(want - self.links.len());
            self.links.resize(want, NONE);
        }
        if let (Some(h), Some(l)) = (self.heads.get_mut(b), self.links.get_mut(s)) {
            *l = *h;
            *h = slot;
            self.len += 1;
        }
    }

    /// Takes `slot` out of this hash's bucket; false if it was not there.
    pub fn unlink(&mut self, hash: u32, slot: u32) -> bool {
        let next = self.next(slot);
        let Some(b) = self.bucket(hash) else {
            return false;
        };
        let (mut prev, mut s) = (NONE, self.head(hash));
        while s != NONE {
            if s == slot {
                let at = if prev == NONE {
                    self.heads.get_mut(b)
                } else {
                    self.links.get_mut(prev as usize)
                };
                if let Some(at) = at {
                    *at = next;
                }
                self.len = self.len.saturating_sub(1);
                return true;
            }
            (prev, s) = (s, self.next(s));
        }
        false
    }

    /// Whether one more entry needs more buckets (load would pass 1).
    pub fn full(&self) -> bool {
        self.len + 1 > self.heads.len()
    }

    /// Doubles the buckets and empties them: the caller pushes every entry
    /// again. The old head array is freed before the new one is made.
    pub fn rebuild(&mut self) {
        let n = (self.heads.len() * 2).max(MIN_BUCKETS);
        self.heads = Vec::new();
        self.heads = vec![NONE; n];
        self.len = 0;
    }
}

#[cfg(test)]
mod tests;
