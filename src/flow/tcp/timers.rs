//! Zeek's connection timers on packet time.
//!
//! Each connection carries at most four live timers (`docs/zeek-conn-state.md`
//! §7.1): the attempt timer, the close ("delete") timer, one or two expire
//! timers, and the inactivity timer. They live in the connection record as
//! plain deadlines; the flow table's `TimerQueue` (`store/timer_queue.rs`)
//! keys each connection by its earliest one, so timers fire in time order
//! before each packet.
//!
//! Slot sharing, argued from the close rules (§7.1): the attempt timer can
//! only be armed while neither side has closed, the delete timer only after a
//! completed close, and a second expire timer only after an incomplete close,
//! at which point the attempt timer can never fire successfully again (its
//! responder is no longer INACTIVE). So one slot serves all three.

pub use crate::flow::store::timer_queue::NEVER;

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

#[cfg(test)]
mod tests;
