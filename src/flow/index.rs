//! The flow table's lookup index: open addressing over (hash, slot) pairs.
//!
//! The connection records already hold their endpoints, so the index stores
//! only a 32-bit hash and the record's slot number (8 bytes per entry) and
//! asks the caller to compare keys. Linear probing with backward-shift
//! deletion keeps probe sequences short without tombstones. The capacity is a
//! power of two and the load stays at or below 3/4.

/// Open-addressing index from key hash to slot.
#[derive(Debug, Default)]
pub struct Index {
    /// `(hash, slot + 1)`; slot field 0 marks an empty bucket.
    buckets: Vec<(u32, u32)>,
    len: usize,
}

impl Index {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the bucket array.
    pub fn heap_bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<(u32, u32)>()
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The slot whose key matches, among entries with this hash.
    pub fn find(&self, hash: u32, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let (h, s) = self.buckets[i];
            if s == 0 {
                return None;
            }
            if h == hash && is_key(s - 1) {
                return Some(s - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds an entry (the caller has checked the key is absent).
    pub fn insert(&mut self, hash: u32, slot: u32) {
        if (self.len + 1) * 4 > self.buckets.len() * 3 {
            self.grow();
        }
        self.place(hash, slot);
        self.len += 1;
    }

    fn place(&mut self, hash: u32, slot: u32) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.buckets[i].1 != 0 {
            i = (i + 1) & mask;
        }
        self.buckets[i] = (hash, slot + 1);
    }

    fn grow(&mut self) {
        let cap = (self.buckets.len() * 2).max(16);
        let old = std::mem::replace(&mut self.buckets, vec![(0, 0); cap]);
        for (h, s) in old {
            if s != 0 {
                self.place(h, s - 1);
            }
        }
    }

    /// Removes the entry for `slot` (found under `hash`), shifting later
    /// entries of the probe run back so lookups never stop early.
    pub fn remove(&mut self, hash: u32, slot: u32) {
        if self.buckets.is_empty() {
            return;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let (_, s) = self.buckets[i];
            if s == 0 {
                return;
            }
            if s == slot + 1 {
                break;
            }
            i = (i + 1) & mask;
        }
        self.len -= 1;
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let (h, s) = self.buckets[j];
            if s == 0 {
                break;
            }
            let home = h as usize & mask;
            // Move entry j into the hole if its home is not in (hole, j].
            let dist_home = j.wrapping_sub(home) & mask;
            let dist_hole = j.wrapping_sub(hole) & mask;
            if dist_home >= dist_hole {
                self.buckets[hole] = self.buckets[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.buckets[hole] = (0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn index_matches_a_hashmap_under_churn() {
        let mut idx = Index::default();
        let mut model: HashMap<u32, u32> = HashMap::new(); // key -> slot
        let mut keys: Vec<u32> = vec![0; 4096]; // slot -> key
        let mut free: Vec<u32> = (0..4096).rev().collect();
        let mut x: u64 = 7;
        // A weak hash on purpose, so probe runs collide and wrap.
        let hash = |k: u32| k.wrapping_mul(2654435761) >> 7;
        for step in 0..20000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = ((x >> 33) % 3000) as u32;
            match model.get(&key).copied() {
                Some(slot) if step % 3 != 0 => {
                    idx.remove(hash(key), slot);
                    model.remove(&key);
                    free.push(slot);
                }
                Some(_) => {}
                None => {
                    let slot = free.pop().expect("fewer keys than slots");
                    keys[slot as usize] = key;
                    idx.insert(hash(key), slot);
                    model.insert(key, slot);
                }
            }
            if step % 97 == 0 {
                for (k, s) in &model {
                    assert_eq!(idx.find(hash(*k), |c| keys[c as usize] == *k), Some(*s));
                }
                assert_eq!(idx.len(), model.len());
            }
        }
        for (k, s) in model.clone() {
            idx.remove(hash(k), s);
        }
        assert!(idx.is_empty());
        assert_eq!(idx.find(hash(1), |_| true), None);
    }
}
