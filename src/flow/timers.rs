//! Zeek's connection timers on packet time, and the queue that orders them.
//!
//! Each connection carries at most four live timers (`zeek-conn-state.md`
//! §7.1): the attempt timer, the close ("delete") timer, one or two expire
//! timers, and the inactivity timer. They live in the connection record as
//! plain deadlines; [`TimerQueue`] holds one entry per connection keyed by
//! its earliest deadline, so the flow table can fire timers in time order
//! before each packet, and remove a connection's entry when it is freed.
//!
//! Slot sharing, argued from the close rules (§7.1): the attempt timer can
//! only be armed while neither side has closed, the delete timer only after a
//! completed close, and a second expire timer only after an incomplete close,
//! at which point the attempt timer can never fire successfully again (its
//! responder is no longer INACTIVE). So one slot serves all three.

/// A deadline that never comes.
pub const NEVER: i64 = i64::MAX;

/// Nanoseconds per second.
pub const SEC: i64 = 1_000_000_000;

/// `tcp_attempt_delay`, `tcp_close_delay`, `tcp_SYN_timeout`: 5 s.
pub const FIVE_S: i64 = 5 * SEC;

/// `tcp_session_timer`: the expire timer's period, 6 s.
pub const SIX_S: i64 = 6 * SEC;

/// The inactivity timeout in force (§7.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Inactivity {
    /// `udp_inactivity_timeout`, 1 min: both sides still in handshake states.
    #[default]
    Handshake,
    /// `tcp_inactivity_timeout`, 5 min: a side left the handshake states.
    Established,
    /// 1 h: interactive services (`base/protocols/conn/inactivity.zeek`).
    Interactive,
}

impl Inactivity {
    /// The timeout in nanoseconds.
    pub fn nanos(self) -> i64 {
        match self {
            Inactivity::Handshake => 60 * SEC,
            Inactivity::Established => 300 * SEC,
            Inactivity::Interactive => 3600 * SEC,
        }
    }
}

/// A timer that came due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fired {
    /// 5 s after the originator's first SYN.
    Attempt,
    /// 5 s after the last activity at a completed close.
    Delete,
    /// A periodic expire check; `shared` tells which chain, for re-arming.
    Expire {
        /// The second chain (in the shared slot) rather than the first.
        shared: bool,
    },
    /// The inactivity check.
    Inactivity,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shared {
    Empty,
    Attempt,
    Delete,
    Expire,
}

/// The small part of a connection's timer state, kept apart from the
/// deadlines (and in one byte) so the connection record packs it with its
/// other bytes: what the shared slot holds (bits 0–1) and the inactivity
/// timeout in force (bits 2–3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerBits(u8);

impl TimerBits {
    fn shared(self) -> Shared {
        match self.0 & 3 {
            1 => Shared::Attempt,
            2 => Shared::Delete,
            3 => Shared::Expire,
            _ => Shared::Empty,
        }
    }

    fn set_shared(&mut self, s: Shared) {
        let v = match s {
            Shared::Empty => 0,
            Shared::Attempt => 1,
            Shared::Delete => 2,
            Shared::Expire => 3,
        };
        self.0 = (self.0 & !3) | v;
    }

    /// The inactivity timeout in force.
    pub fn timeout(&self) -> Inactivity {
        match (self.0 >> 2) & 3 {
            1 => Inactivity::Established,
            2 => Inactivity::Interactive,
            _ => Inactivity::Handshake,
        }
    }

    fn set_timeout(&mut self, t: Inactivity) {
        let v = match t {
            Inactivity::Handshake => 0,
            Inactivity::Established => 1,
            Inactivity::Interactive => 2,
        };
        self.0 = (self.0 & !12) | (v << 2);
    }
}

/// A connection's deadlines (nanoseconds since the epoch).
///
/// The inactivity deadline is not stored: it is always the connection's
/// last activity plus the timeout in force. Zeek arms that timer at some
/// earlier activity plus the timeout and, when it fires before the timeout
/// has passed since the latest activity, re-arms it at latest activity plus
/// timeout; so the connection is removed exactly at (last activity +
/// timeout), and an early firing changes nothing. Computing the deadline
/// from `last` gives the same removals and saves the record eight bytes.
#[derive(Clone, Copy, Debug)]
pub struct Timers {
    shared: i64,
    expire: i64,
}

impl Timers {
    /// The timers of a new connection: the first expire check at `now + 5 s`
    /// (network time); the 1-minute inactivity timer runs from the first
    /// packet's own time, the connection's first `last`.
    pub fn new(now: i64) -> Self {
        Timers {
            shared: NEVER,
            expire: now.saturating_add(FIVE_S),
        }
    }

    fn inactivity(bits: TimerBits, last: i64) -> i64 {
        last.saturating_add(bits.timeout().nanos())
    }

    /// The earliest deadline, given the connection's last activity.
    #[inline]
    pub fn next_due(&self, bits: TimerBits, last: i64) -> i64 {
        self.shared
            .min(self.expire)
            .min(Self::inactivity(bits, last))
    }

    /// Arms the attempt timer. If one is pending (possible only after a role
    /// flip made a second endpoint the originator), the earlier one is kept.
    pub fn arm_attempt(&mut self, bits: &mut TimerBits, at: i64) {
        match bits.shared() {
            Shared::Empty => {
                self.shared = at;
                bits.set_shared(Shared::Attempt);
            }
            Shared::Attempt => self.shared = self.shared.min(at),
            Shared::Delete | Shared::Expire => {}
        }
    }

    /// A completed close: cancel attempt and expire timers, (re)arm the
    /// delete timer.
    pub fn close_completed(&mut self, bits: &mut TimerBits, delete_at: i64) {
        self.expire = NEVER;
        self.shared = delete_at;
        bits.set_shared(Shared::Delete);
    }

    /// An incomplete close adds a second expire timer.
    pub fn arm_extra_expire(&mut self, bits: &mut TimerBits, at: i64) {
        if bits.shared() != Shared::Delete {
            self.shared = at;
            bits.set_shared(Shared::Expire);
        }
    }

    /// Sets a new inactivity timeout (from then on the deadline is the last
    /// activity plus this timeout, as Zeek re-arms it on a change).
    pub fn set_inactivity(&mut self, bits: &mut TimerBits, timeout: Inactivity) {
        bits.set_timeout(timeout);
    }

    /// Takes the earliest deadline if it is due at `now`.
    pub fn take_due(&mut self, bits: &mut TimerBits, now: i64, last: i64) -> Option<Fired> {
        let due = self.next_due(*bits, last);
        if due == NEVER || due > now {
            return None;
        }
        if self.shared == due {
            self.shared = NEVER;
            let kind = bits.shared();
            bits.set_shared(Shared::Empty);
            Some(match kind {
                Shared::Attempt => Fired::Attempt,
                Shared::Delete => Fired::Delete,
                Shared::Expire | Shared::Empty => Fired::Expire { shared: true },
            })
        } else if self.expire == due {
            self.expire = NEVER;
            Some(Fired::Expire { shared: false })
        } else {
            Some(Fired::Inactivity)
        }
    }

    /// Re-arms the expire chain that just fired.
    pub fn rearm_expire(&mut self, bits: &mut TimerBits, shared: bool, at: i64) {
        if shared {
            self.shared = at;
            bits.set_shared(Shared::Expire);
        } else {
            self.expire = at;
        }
    }
}

/// A 4-ary min-heap of (deadline, slot) with one entry per slot and a
/// position index, so an entry can be moved or removed in O(log n) when a
/// connection's deadlines change or it is freed. Ties are broken by slot
/// number, which keeps the firing order deterministic.
///
/// Four children per node halve the depth of a binary heap, and entries are
/// moved into a hole rather than swapped, so each level costs one write of
/// an entry and one of its position: with tens of thousands of connections
/// open these random writes, not the comparisons, are the cost.
#[derive(Debug, Default)]
pub struct TimerQueue {
    heap: Vec<Entry>,
    /// Position of each slot's entry in `heap`, or `ABSENT`.
    pos: Vec<u32>,
}

const ABSENT: u32 = u32::MAX;

/// Makes room for `needed` items, growing by an eighth rather than doubling,
/// so the capacity held stays within 12.5 % of the peak (large vectors grow
/// by `realloc`, which moves pages rather than copying them).
fn grow_by_eighths<T>(v: &mut Vec<T>, needed: usize) {
    if needed > v.capacity() {
        let target = needed.max(v.capacity() + v.capacity() / 8).max(64);
        v.reserve_exact(target - v.len());
    }
}
const ARITY: usize = 4;

/// One heap entry, packed to 12 bytes (its fields are only read by value).
#[derive(Clone, Copy, Debug)]
#[repr(C, packed(4))]
struct Entry {
    due: i64,
    slot: u32,
}

impl Entry {
    #[inline]
    fn key(self) -> (i64, u32) {
        (self.due, self.slot)
    }
}

impl TimerQueue {
    /// The earliest (deadline, slot).
    #[inline]
    pub fn peek(&self) -> Option<(i64, u32)> {
        self.heap.first().map(|e| e.key())
    }

    /// Number of connections with a pending deadline.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Entry>()
            + self.pos.capacity() * std::mem::size_of::<u32>()
    }

    /// Drops every entry (the end of the input removes every connection).
    pub fn clear(&mut self) {
        for e in self.heap.drain(..) {
            if let Some(p) = self.pos.get_mut(e.slot as usize) {
                *p = ABSENT;
            }
        }
    }

    /// End of input, when no timer can fire any more: empties the queue and
    /// reuses its storage (one entry per open connection) to sort
    /// `(key, slot)` pairs, returning the slots in key order.
    pub fn sorted_slots(
        &mut self,
        pairs: impl Iterator<Item = (u64, u32)>,
    ) -> impl Iterator<Item = u32> + '_ {
        self.clear();
        self.pos = Vec::new();
        // Keys are connection ids, below 2^63.
        self.heap.extend(pairs.map(|(key, slot)| Entry {
            due: i64::try_from(key).unwrap_or(i64::MAX),
            slot,
        }));
        self.heap.sort_unstable_by_key(|e| e.key());
        self.heap.drain(..).map(|e| e.slot)
    }

    /// Sets `slot`'s deadline; `NEVER` removes its entry.
    pub fn set(&mut self, slot: u32, due: i64) {
        let s = slot as usize;
        if self.pos.len() <= s {
            grow_by_eighths(&mut self.pos, s + 1);
            self.pos.resize(s + 1, ABSENT);
        }
        let at = self.pos[s];
        if due == NEVER {
            if at != ABSENT {
                self.remove_at(at as usize);
            }
            return;
        }
        let entry = Entry { due, slot };
        if at == ABSENT {
            let needed = self.heap.len() + 1;
            grow_by_eighths(&mut self.heap, needed);
            self.heap.push(entry);
            self.sift_up(self.heap.len() - 1, entry);
        } else {
            let i = at as usize;
            let old = self.heap[i].due;
            if due < old {
                self.sift_up(i, entry);
            } else if due > old {
                self.sift_down(i, entry);
            }
        }
    }

    /// Sets `slot`'s deadline, lazily when it moves later: the entry then
    /// keeps its earlier key, and the caller, before firing the earliest
    /// entry, compares its key with the slot's real deadline and re-keys it
    /// with [`TimerQueue::set`] if they differ ([`super::FlowTable`] does,
    /// from the record). Every key stays at or before its slot's deadline,
    /// so the first entry found current is the earliest (deadline, slot)
    /// of all, as with [`TimerQueue::set`] alone; a deadline that moves
    /// several times before it comes due is sifted once, not each time.
    pub fn set_lazy(&mut self, slot: u32, due: i64) {
        let at = self.pos.get(slot as usize).copied().unwrap_or(ABSENT);
        if due != NEVER && at != ABSENT && self.heap.get(at as usize).is_some_and(|e| due >= e.due)
        {
            return;
        }
        self.set(slot, due);
    }

    fn remove_at(&mut self, i: usize) {
        let Some(last) = self.heap.pop() else {
            return;
        };
        if let Some(removed) = self.heap.get(i).copied() {
            self.pos[removed.slot as usize] = ABSENT;
            // The last entry fills the hole, moving whichever way it must.
            if last.key() < removed.key() {
                self.sift_up(i, last);
            } else {
                self.sift_down(i, last);
            }
        } else {
            // The removed entry was the last one.
            self.pos[last.slot as usize] = ABSENT;
        }
    }

    /// Writes `e` at `i` and records its position.
    #[inline]
    fn place(&mut self, i: usize, e: Entry) {
        self.heap[i] = e;
        self.pos[e.slot as usize] = i as u32;
    }

    /// Moves `e`, to be stored at `i`, up past later-due parents.
    fn sift_up(&mut self, mut i: usize, e: Entry) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let p = self.heap[parent];
            if e.key() < p.key() {
                self.place(i, p);
                i = parent;
            } else {
                break;
            }
        }
        self.place(i, e);
    }

    /// Moves `e`, to be stored at `i`, down past earlier-due children.
    fn sift_down(&mut self, mut i: usize, e: Entry) {
        let n = self.heap.len();
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let mut m = first;
            let mut best = self.heap[first];
            for c in first + 1..(first + ARITY).min(n) {
                let candidate = self.heap[c];
                if candidate.key() < best.key() {
                    m = c;
                    best = candidate;
                }
            }
            if best.key() < e.key() {
                self.place(i, best);
                i = m;
            } else {
                break;
            }
        }
        self.place(i, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_orders_by_deadline_and_supports_updates() {
        let mut q = TimerQueue::default();
        q.set(3, 30);
        q.set(1, 10);
        q.set(2, 20);
        assert_eq!(q.peek(), Some((10, 1)));
        q.set(1, 40);
        assert_eq!(q.peek(), Some((20, 2)));
        q.set(2, NEVER);
        assert_eq!(q.peek(), Some((30, 3)));
        q.set(3, 5);
        assert_eq!(q.peek(), Some((5, 3)));
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn queue_random_operations_match_a_sorted_model() {
        let mut q = TimerQueue::default();
        let mut model = std::collections::BTreeMap::new();
        let mut x: u64 = 12345;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let slot = ((x >> 33) % 700) as u32;
            let due = if (x >> 20).is_multiple_of(5) {
                NEVER
            } else {
                ((x >> 40) % 1000) as i64
            };
            q.set(slot, due);
            if due == NEVER {
                model.remove(&slot);
            } else {
                model.insert(slot, due);
            }
            let want = model.iter().map(|(s, d)| (*d, *s)).min();
            assert_eq!(q.peek(), want);
        }
    }

    #[test]
    fn lazy_queue_rechecked_at_the_top_matches_the_exact_one() {
        let (mut exact, mut lazy) = (TimerQueue::default(), TimerQueue::default());
        let mut real = std::collections::HashMap::new();
        let mut x: u64 = 777;
        for step in 0..40_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let slot = ((x >> 33) % 500) as u32;
            let due = if (x >> 20).is_multiple_of(7) {
                NEVER
            } else {
                ((x >> 40) % 300) as i64 + step / 16
            };
            exact.set(slot, due);
            lazy.set_lazy(slot, due);
            real.insert(slot, due);
            // What the flow table does before firing: re-key a stale top.
            while let Some((key, s)) = lazy.peek() {
                let d = real[&s];
                if key == d {
                    break;
                }
                assert!(key < d, "a key ran ahead of its deadline");
                lazy.set(s, d);
            }
            assert_eq!(lazy.peek(), exact.peek(), "step {step}");
        }
    }

    #[test]
    fn queue_drains_in_deadline_then_slot_order() {
        let mut q = TimerQueue::default();
        let mut want = Vec::new();
        let mut x: u64 = 99;
        for slot in 0..3000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let due = (x % 500) as i64;
            q.set(slot, due);
            want.push((due, slot));
        }
        // Move a third of them later and a third earlier.
        for slot in (0..3000u32).step_by(3) {
            let (due, _) = want[slot as usize];
            want[slot as usize].0 = due + 250;
            q.set(slot, due + 250);
        }
        for slot in (1..3000u32).step_by(3) {
            let (due, _) = want[slot as usize];
            want[slot as usize].0 = due - 250;
            q.set(slot, due - 250);
        }
        want.sort_unstable();
        let mut got = Vec::new();
        while let Some((due, slot)) = q.peek() {
            got.push((due, slot));
            q.set(slot, NEVER);
        }
        assert_eq!(got, want);
    }

    #[test]
    fn queue_clear_then_reuse_slots() {
        let mut q = TimerQueue::default();
        for slot in 0..100 {
            q.set(slot, i64::from(1000 - slot));
        }
        q.clear();
        assert_eq!((q.peek(), q.len()), (None, 0));
        q.set(7, 70);
        q.set(3, 30);
        q.set(7, 10);
        assert_eq!(q.peek(), Some((10, 7)));
        q.set(7, NEVER);
        assert_eq!(q.peek(), Some((30, 3)));
    }

    #[test]
    fn shared_slot_serves_attempt_then_delete() {
        let mut t = Timers::new(0);
        let b = &mut TimerBits::default();
        t.arm_attempt(b, 5 * SEC);
        assert_eq!(t.next_due(*b, 0), 5 * SEC);
        assert_eq!(t.take_due(b, 5 * SEC, 0), Some(Fired::Attempt));
        assert_eq!(
            t.take_due(b, 5 * SEC, 0),
            Some(Fired::Expire { shared: false })
        );
        t.close_completed(b, 9 * SEC);
        assert_eq!(t.take_due(b, 8 * SEC, 0), None);
        assert_eq!(t.take_due(b, 9 * SEC, 0), Some(Fired::Delete));
        assert_eq!(t.take_due(b, 59 * SEC, 0), None);
        assert_eq!(t.take_due(b, 60 * SEC, 0), Some(Fired::Inactivity));
    }

    #[test]
    fn inactivity_follows_last_activity_and_timeout() {
        let mut t = Timers::new(0);
        let b = &mut TimerBits::default();
        t.set_inactivity(b, Inactivity::Established);
        assert_eq!(b.timeout(), Inactivity::Established);
        assert_eq!(
            t.take_due(b, 309 * SEC, 20 * SEC),
            Some(Fired::Expire { shared: false })
        );
        // Last activity at 20 s: due at 320 s, not at 300 s.
        assert_eq!(t.take_due(b, 319 * SEC, 20 * SEC), None);
        assert_eq!(t.take_due(b, 320 * SEC, 20 * SEC), Some(Fired::Inactivity));
    }
}
