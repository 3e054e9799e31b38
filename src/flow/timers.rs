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
#[derive(Clone, Copy, Debug)]
pub struct Timers {
    shared: i64,
    expire: i64,
    inactivity: i64,
}

impl Timers {
    /// The timers of a new connection: the first expire check at `now + 5 s`
    /// (network time) and the 1-minute inactivity timer from the first
    /// packet's own time.
    pub fn new(now: i64, first_packet: i64) -> Self {
        Timers {
            shared: NEVER,
            expire: now.saturating_add(FIVE_S),
            inactivity: first_packet.saturating_add(Inactivity::Handshake.nanos()),
        }
    }

    /// The earliest deadline.
    pub fn next_due(&self) -> i64 {
        self.shared.min(self.expire).min(self.inactivity)
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

    /// Sets a new inactivity timeout; as in Zeek the timer is re-armed from
    /// the connection's last activity only when the value changes.
    pub fn set_inactivity(&mut self, bits: &mut TimerBits, timeout: Inactivity, last_time: i64) {
        if timeout != bits.timeout() {
            bits.set_timeout(timeout);
            self.inactivity = last_time.saturating_add(timeout.nanos());
        }
    }

    /// Takes the earliest deadline if it is due at `now`.
    pub fn take_due(&mut self, bits: &mut TimerBits, now: i64) -> Option<Fired> {
        let due = self.next_due();
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
            self.inactivity = NEVER;
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

    /// Re-arms the inactivity timer (its check found recent activity).
    pub fn rearm_inactivity(&mut self, at: i64) {
        self.inactivity = at;
    }
}

/// A binary min-heap of (deadline, slot) with one entry per slot and a
/// position index, so an entry can be moved or removed in O(log n) when a
/// connection's deadlines change or it is freed. Ties are broken by slot
/// number, which keeps the firing order deterministic.
#[derive(Debug, Default)]
pub struct TimerQueue {
    heap: Vec<Entry>,
    /// Position of each slot's entry in `heap`, or `ABSENT`.
    pos: Vec<u32>,
}

const ABSENT: u32 = u32::MAX;

/// One heap entry, packed to 12 bytes (its fields are only read by value).
#[derive(Clone, Copy, Debug)]
#[repr(C, packed(4))]
struct Entry {
    due: i64,
    slot: u32,
}

impl Entry {
    fn key(self) -> (i64, u32) {
        (self.due, self.slot)
    }
}

impl TimerQueue {
    /// The earliest (deadline, slot).
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

    /// Sets `slot`'s deadline; `NEVER` removes its entry.
    pub fn set(&mut self, slot: u32, due: i64) {
        let s = slot as usize;
        if self.pos.len() <= s {
            self.pos.resize(s + 1, ABSENT);
        }
        let at = self.pos[s];
        if due == NEVER {
            if at != ABSENT {
                self.remove_at(at as usize);
            }
            return;
        }
        if at == ABSENT {
            self.heap.push(Entry { due, slot });
            let i = self.heap.len() - 1;
            self.pos[s] = i as u32;
            self.sift_up(i);
        } else {
            let i = at as usize;
            let old = self.heap[i].due;
            if old == due {
                return;
            }
            self.heap[i].due = due;
            if due < old {
                self.sift_up(i);
            } else {
                self.sift_down(i);
            }
        }
    }

    fn remove_at(&mut self, i: usize) {
        let last = self.heap.len() - 1;
        self.swap(i, last);
        if let Some(e) = self.heap.pop() {
            self.pos[e.slot as usize] = ABSENT;
        }
        if i < self.heap.len() {
            self.sift_down(i);
            self.sift_up(i);
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        let (sa, sb) = (self.heap[a].slot, self.heap[b].slot);
        self.pos[sa as usize] = a as u32;
        self.pos[sb as usize] = b as u32;
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[i].key() < self.heap[parent].key() {
                self.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let l = 2 * i + 1;
            let r = l + 1;
            let mut m = i;
            if l < n && self.heap[l].key() < self.heap[m].key() {
                m = l;
            }
            if r < n && self.heap[r].key() < self.heap[m].key() {
                m = r;
            }
            if m == i {
                break;
            }
            self.swap(i, m);
            i = m;
        }
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
        for _ in 0..5000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let slot = ((x >> 33) % 64) as u32;
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
    fn shared_slot_serves_attempt_then_delete() {
        let mut t = Timers::new(0, 0);
        let b = &mut TimerBits::default();
        t.arm_attempt(b, 5 * SEC);
        assert_eq!(t.next_due(), 5 * SEC);
        assert_eq!(t.take_due(b, 5 * SEC), Some(Fired::Attempt));
        assert_eq!(
            t.take_due(b, 5 * SEC),
            Some(Fired::Expire { shared: false })
        );
        t.close_completed(b, 9 * SEC);
        assert_eq!(t.take_due(b, 8 * SEC), None);
        assert_eq!(t.take_due(b, 9 * SEC), Some(Fired::Delete));
        assert_eq!(t.take_due(b, 59 * SEC), None);
        assert_eq!(t.take_due(b, 60 * SEC), Some(Fired::Inactivity));
    }

    #[test]
    fn inactivity_rearmed_only_on_change() {
        let mut t = Timers::new(0, 0);
        let b = &mut TimerBits::default();
        t.set_inactivity(b, Inactivity::Established, 10 * SEC);
        assert_eq!(b.timeout(), Inactivity::Established);
        t.set_inactivity(b, Inactivity::Established, 20 * SEC);
        assert_eq!(
            t.take_due(b, 309 * SEC),
            Some(Fired::Expire { shared: false })
        );
        assert_eq!(t.take_due(b, 309 * SEC), None);
        assert_eq!(t.take_due(b, 310 * SEC), Some(Fired::Inactivity));
    }
}
