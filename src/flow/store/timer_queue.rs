//! The queue that orders open connections by their next timer deadline, so
//! the flow table can fire Zeek's timers in time order before each packet
//! (`docs/zeek-conn-state.md` §7.1).
//!
//! Almost every deadline lies a few seconds after the packet that set it
//! (Zeek's 5 s attempt and close timers, the 6 s expire period), so the
//! queue is a hashed timing wheel rather than a heap: time is cut into
//! windows of 2^24 ns (16.8 ms), a ring of 512 unordered buckets holds the
//! entries of the next 8.6 s, and only the window being fired is kept in
//! order, in a small binary heap. Filing an entry is an append to a bucket
//! that the recent entries share, where a heap of every open connection
//! would walk its levels, a cache miss at each, on every change. Deadlines
//! beyond the ring (the inactivity timeouts, from 1 min) wait in a second
//! heap, which the wheel empties window by window. A bucket is a chain of
//! 512-byte blocks from a shared pool: a fired window's blocks serve the
//! windows being filed, so the memory held follows the entries waiting (an
//! 8-byte key per slot and an 8-byte entry), not the busiest window ever.
//!
//! Each slot has one *key*, the deadline the queue holds for it. Entries are
//! never searched for: when a key changes, an entry is filed for the new
//! one and the old entry, now differing from its slot's key, is dropped
//! whenever it is met. Entries come out in (deadline, slot) order, as from
//! the exact heap this queue replaced, so the firing order, and with it the
//! order of the output, is deterministic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A deadline that never comes.
pub const NEVER: i64 = i64::MAX;

/// A window is 2^WINDOW_BITS ns, about 16.8 ms.
const WINDOW_BITS: u32 = 24;
/// Buckets in the ring (a power of two): 512 windows, 8.6 s ahead.
const BUCKETS: usize = 512;

/// Entries of room `near` keeps once emptied.
const NEAR_ROOM: usize = 512;
/// Entries of room the key array grows by at least.
const MIN_ROOM: usize = 16;
/// Entries per block of a bucket's chain (a block is 512 bytes).
const BLOCK: usize = 63;
/// No block: an empty chain, or its end.
const NONE: u32 = u32::MAX;

/// A run of entries of one bucket, (offset in the window, slot) each, and
/// the next block of the chain. Blocks come from one pool and go back to it
/// when their window is fired, so the room the ring holds follows the
/// entries in it, and no entry is ever copied to grow a bucket.
#[derive(Debug)]
struct Block {
    len: u32,
    next: u32,
    entries: [(u32, u32); BLOCK],
}

/// A bucket: the first and last block of its chain.
#[derive(Clone, Copy, Debug)]
struct Chain {
    head: u32,
    tail: u32,
}

/// An entry in order: (deadline, slot), smallest first.
type Ordered = Reverse<(i64, u32)>;

/// Deadlines of open connections, earliest first.
#[derive(Debug)]
pub struct TimerQueue {
    /// Each slot's key (`NEVER`: the slot has none).
    key: Vec<i64>,
    /// Slots with a key.
    live: usize,
    /// Every entry of the windows before `cursor`, in order.
    near: BinaryHeap<Ordered>,
    /// The first window not yet moved into `near`.
    cursor: i64,
    /// Entries of windows `cursor .. cursor + BUCKETS`, filed by window
    /// modulo `BUCKETS` as (offset in the window, slot): 8 bytes each, in
    /// chains of blocks.
    ring: Box<[Chain]>,
    /// Every block, in use or free. Boxed so the pool grows by copying
    /// pointers, and its doubling leaves slack in pointers, not in blocks.
    #[allow(clippy::vec_box)]
    blocks: Vec<Box<Block>>,
    /// The first free block (the free list runs through `Block::next`).
    free: u32,
    /// Entries in `ring`, dropped ones included.
    in_ring: usize,
    /// Entries of later windows, in order.
    far: BinaryHeap<Ordered>,
}

impl Default for TimerQueue {
    fn default() -> Self {
        TimerQueue {
            key: Vec::new(),
            live: 0,
            near: BinaryHeap::new(),
            // Below every window: the first fill moves it to the earliest.
            cursor: window(i64::MIN),
            ring: vec![
                Chain {
                    head: NONE,
                    tail: NONE
                };
                BUCKETS
            ]
            .into_boxed_slice(),
            blocks: Vec::new(),
            free: NONE,
            in_ring: 0,
            far: BinaryHeap::new(),
        }
    }
}

/// The window holding time `t`.
#[inline]
fn window(t: i64) -> i64 {
    t >> WINDOW_BITS
}

/// Makes room for one more item, growing by an eighth rather than doubling,
/// so the capacity held stays within 12.5 % of the peak.
#[inline]
fn reserve_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.capacity() / 8).max(MIN_ROOM));
    }
}

impl TimerQueue {
    /// The earliest (deadline, slot) whose deadline is at or before `limit`,
    /// or some later one, or `None`: the caller fires while the deadline is
    /// at or before `limit`, and stops at the first that is not. Windows
    /// after `limit`'s are left in the ring, so `near` stays small.
    #[inline]
    pub fn peek_until(&mut self, limit: i64) -> Option<(i64, u32)> {
        loop {
            if self.near.is_empty() {
                self.fill(window(limit));
            }
            let &Reverse((due, slot)) = self.near.peek()?;
            if self.key_of(slot) == due {
                return Some((due, slot));
            }
            // A key that changed since this entry was filed.
            self.near.pop();
        }
    }

    /// A time before which no deadline in the queue falls (the first entry
    /// in order, or the start of the first window not in `near`), found
    /// without moving anything.
    #[inline]
    pub fn quiet_until(&self) -> i64 {
        match self.near.peek() {
            // A dropped entry may come first: then this is earlier than
            // needed, which only costs a look.
            Some(e) => e.0.0,
            None => self.cursor.saturating_mul(1 << WINDOW_BITS),
        }
    }

    /// The earliest (deadline, slot).
    #[cfg(test)]
    pub fn peek(&mut self) -> Option<(i64, u32)> {
        self.peek_until(i64::MAX)
    }

    /// Slots of entries that follow the first in order, as far as that is
    /// cheap to tell: one of them is next once the first is gone.
    #[inline]
    pub fn upcoming(&self) -> impl Iterator<Item = u32> + '_ {
        // A binary heap's root has two children.
        self.near.as_slice().iter().skip(1).take(2).map(|e| e.0.1)
    }

    /// Number of slots with a deadline.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.live
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.key.capacity() * std::mem::size_of::<i64>()
            + (self.near.capacity() + self.far.capacity()) * std::mem::size_of::<Ordered>()
            + self.blocks.len() * std::mem::size_of::<Block>()
            + self.blocks.capacity() * std::mem::size_of::<Box<Block>>()
            + self.ring.len() * std::mem::size_of::<Chain>()
    }

    /// Drops every entry and key.
    pub fn clear(&mut self) {
        self.key.fill(NEVER);
        self.live = 0;
        self.near.clear();
        self.far.clear();
        for b in 0..self.ring.len() {
            self.drain_bucket(b, |_, _| {});
        }
        self.in_ring = 0;
    }

    /// Empties the queue and returns the slots of `pairs` (id, slot) in
    /// ascending id order, for the end of the input, when no timer fires
    /// any more. `span` bounds the ids. While the ids span less than 2^31,
    /// the key array (a word per slot) is sorted in place, so the end of a
    /// capture allocates nothing at its peak of open connections.
    pub fn sorted_slots(
        &mut self,
        span: (u64, u64),
        pairs: impl Iterator<Item = (u64, u32)>,
    ) -> Box<dyn Iterator<Item = u32>> {
        self.clear();
        let (lo, hi) = span;
        if hi.saturating_sub(lo) < 1 << 31 {
            let mut packed = std::mem::take(&mut self.key);
            packed.clear();
            // (id - lo) < 2^31 in the high half, the slot in the low half.
            packed.extend(pairs.map(|(id, slot)| {
                let rank = i64::try_from(id.saturating_sub(lo)).unwrap_or(i64::MAX >> 32);
                (rank << 32) | i64::from(slot)
            }));
            packed.sort_unstable();
            Box::new(packed.into_iter().map(|k| (k & 0xffff_ffff) as u32))
        } else {
            let mut v: Vec<(u64, u32)> = pairs.collect();
            v.sort_unstable();
            Box::new(v.into_iter().map(|(_, slot)| slot))
        }
    }

    /// Sets `slot`'s deadline; `NEVER` removes it.
    pub fn set(&mut self, slot: u32, due: i64) {
        let s = slot as usize;
        if self.key.len() <= s {
            while self.key.len() <= s {
                reserve_one(&mut self.key);
                self.key.push(NEVER);
            }
        }
        let old = std::mem::replace(&mut self.key[s], due);
        match (old == NEVER, due == NEVER) {
            (true, false) => self.live += 1,
            (false, true) => self.live -= 1,
            _ => {}
        }
        // An unchanged key keeps its entry.
        if due != NEVER && due != old {
            self.file(due, slot);
        }
    }

    /// Sets `slot`'s deadline unless it moves later: a later deadline is
    /// left for the flow table to find when the old one comes up, which
    /// saves filing an entry on every packet that moves it. Keys therefore
    /// never run ahead of the deadlines, only behind.
    #[inline]
    pub fn set_lazy(&mut self, slot: u32, due: i64) {
        let key = self.key_of(slot);
        if due != NEVER && key != NEVER && due >= key {
            return;
        }
        self.set(slot, due);
    }

    #[inline]
    fn key_of(&self, slot: u32) -> i64 {
        self.key.get(slot as usize).copied().unwrap_or(NEVER)
    }

    /// Files an entry in `near`, the ring or `far`, by its window.
    fn file(&mut self, due: i64, slot: u32) {
        let w = window(due);
        if w < self.cursor {
            self.near.push(Reverse((due, slot)));
        } else if w - self.cursor < BUCKETS as i64 {
            // 0 <= due - (w << WINDOW_BITS) < 2^WINDOW_BITS.
            let offset = (due - (w << WINDOW_BITS)) as u32;
            let b = (w as usize) & (BUCKETS - 1);
            let tail = self.ring[b].tail;
            let room = self
                .blocks
                .get(tail as usize)
                .is_some_and(|blk| (blk.len as usize) < BLOCK);
            let t = if room {
                tail
            } else {
                let fresh = self.take_block();
                match self.blocks.get_mut(tail as usize) {
                    Some(blk) => blk.next = fresh,
                    None => self.ring[b].head = fresh,
                }
                self.ring[b].tail = fresh;
                fresh
            };
            if let Some(blk) = self.blocks.get_mut(t as usize) {
                blk.entries[blk.len as usize] = (offset, slot);
                blk.len += 1;
                self.in_ring += 1;
            }
        } else {
            self.far.push(Reverse((due, slot)));
        }
    }

    /// An empty block, from the free list or new.
    fn take_block(&mut self) -> u32 {
        if let Some(blk) = self.blocks.get_mut(self.free as usize) {
            let b = self.free;
            self.free = blk.next;
            blk.len = 0;
            blk.next = NONE;
            return b;
        }
        self.blocks.push(Box::new(Block {
            len: 0,
            next: NONE,
            entries: [(0, 0); BLOCK],
        }));
        (self.blocks.len() - 1) as u32
    }

    /// Empties bucket `b`, handing each entry to `each` and its blocks back
    /// to the free list; returns how many entries it held.
    fn drain_bucket(&mut self, b: usize, mut each: impl FnMut(u32, u32)) -> usize {
        let empty = Chain {
            head: NONE,
            tail: NONE,
        };
        let mut i = std::mem::replace(&mut self.ring[b], empty).head;
        let mut n = 0;
        while let Some(blk) = self.blocks.get_mut(i as usize) {
            for &(offset, slot) in &blk.entries[..blk.len as usize] {
                each(offset, slot);
            }
            n += blk.len as usize;
            let next = blk.next;
            blk.len = 0;
            blk.next = self.free;
            self.free = i;
            i = next;
        }
        n
    }

    /// Moves windows from the ring and `far` into `near`, up to window
    /// `last`, until `near` has an entry or nothing is left up to there.
    fn fill(&mut self, last: i64) {
        // `near` is empty: its room need not outlast a burst.
        if self.near.capacity() > NEAR_ROOM {
            self.near.shrink_to(NEAR_ROOM);
        }
        while self.near.is_empty() && self.cursor <= last {
            if self.in_ring == 0 {
                // Nothing in the ring: skip to the window of the next entry
                // in `far`, or past `last`. Entries filed from now on land
                // in the ring, not in `far`.
                let next = self.far.peek().map_or(i64::MAX, |e| window(e.0.0));
                self.cursor = self.cursor.max(next.min(last.saturating_add(1)));
                if self.cursor > last {
                    return;
                }
            }
            let w = self.cursor;
            let base = w << WINDOW_BITS;
            // Taken out for the drain's closure, put back below.
            let mut near = std::mem::take(&mut self.near);
            let key = std::mem::take(&mut self.key);
            let current = |slot: u32, due: i64| key.get(slot as usize) == Some(&due);
            let n = self.drain_bucket((w as usize) & (BUCKETS - 1), |offset, slot| {
                let due = base + i64::from(offset);
                if current(slot, due) {
                    near.push(Reverse((due, slot)));
                }
            });
            self.in_ring -= n;
            while let Some(&Reverse((due, slot))) = self.far.peek() {
                if window(due) > w {
                    break;
                }
                self.far.pop();
                if current(slot, due) {
                    near.push(Reverse((due, slot)));
                }
            }
            self.near = near;
            self.key = key;
            self.cursor = w + 1;
        }
    }
}

#[cfg(test)]
mod tests;
