//! The QUIC connections a tracker holds: the open ones by address pair,
//! and every one in order of its first packet, each finished into its
//! report once the capture has been silent about it long enough that
//! nothing more can belong to it. The memory then follows the
//! connections open at once; a finished one keeps its report only.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::capture::Timestamp;
use crate::flow::{FlowKey, TransportProto};
use crate::wire::Endpoint;

use super::connection::QuicConnection;
use super::report::QuicReport;

/// RFC 9000 §10.2: the closing and draining periods last three probe
/// timeouts, and RFC 9002 §6.2.2's initial RTT of 333 ms makes a first
/// PTO of about one second: after 3 s of silence a closed connection's
/// endpoints have discarded it.
const DRAINING_NS: i64 = 3 * Timestamp::SECOND;

/// RFC 9000 §10.1: each side stretches its idle timer to at least three
/// of its own probe timeouts, which the capture does not show; the same
/// 3 s beyond the idle timeout covers them.
const IDLE_GRACE_NS: i64 = 3 * Timestamp::SECOND;

/// How often (in network time) the open connections are looked over.
const SWEEP_NS: i64 = Timestamp::SECOND;

/// An address pair, the same both ways, hashed as the flow table hashes
/// its 4-tuples (one multiply-and-rotate per word, not SipHash).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Pair(FlowKey);

impl Pair {
    pub(super) fn new(a: Endpoint, b: Endpoint) -> Self {
        Pair(FlowKey::new(TransportProto::Udp, a, b))
    }
}

impl Pair {
    /// Its two endpoints, the lower first.
    fn ends(&self) -> (Endpoint, Endpoint) {
        (self.0.lo(), self.0.hi())
    }
}

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(self.0.hash32());
    }
}

/// Which of `n` shards the pair of `a` and `b` goes to: by its hash's top
/// bits (the map's buckets take the low ones of the spread hash).
pub(super) fn shard_of(a: Endpoint, b: Endpoint, n: usize) -> usize {
    let h = u64::from(Pair::new(a, b).0.hash32());
    ((h * n.max(1) as u64) >> 32) as usize
}

/// Takes [`Pair`]'s hash as it is, spread over 64 bits (the map's control
/// bytes come from the top bits).
#[derive(Default)]
pub(super) struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// One connection in first-packet order: still open, or finished.
enum Slot {
    Open(Box<QuicConnection>),
    Done(Box<QuicReport>),
    /// Only while an open one is being finished.
    Finishing,
}

/// An open connection's entry in the map: its place in `all`, and the
/// network time after which it is over if nothing more comes (see
/// [`over_after`]), kept so that a sweep need not touch a connection that
/// is not yet due: reading every open connection's state once a second
/// was a cache miss each, and the transport parameters read again each
/// time (a third of the keyless run). `None` until a sweep computes it;
/// every datagram or ICMP error for the connection clears it, since it may
/// change the connection's state (a close shortens the wait).
struct Entry {
    at: usize,
    due: Option<Timestamp>,
}

/// The connections of a capture.
#[derive(Default)]
pub(super) struct Held {
    /// Open connections by address pair.
    open: HashMap<Pair, Entry, BuildHasherDefault<PairHasher>>,
    all: Vec<Slot>,
    /// Network time: the latest datagram's (it never goes back); on a
    /// thread holding some of the connections, the latest of all of them.
    now: Timestamp,
    /// When the open connections are next looked over.
    next_sweep: Timestamp,
}

impl Held {
    /// The open connection between `a` and `b`. One the capture has been
    /// silent about past its end (see [`over_after`]) by the network time
    /// is finished first and is not returned, whether or not a sweep has
    /// come by since. A sweep at time N finishes only connections over by
    /// N, and every later lookup sees a time of at least N and finishes
    /// them too: so what belongs to a connection does not depend on when
    /// sweeps ran, and the QUIC connections split over threads
    /// ([`super::QuicTracker::split`]), each thread given the network time
    /// of all of them ([`Held::advance`]), end as they do on one, even
    /// when the capture's times go back.
    pub(super) fn get_mut(&mut self, a: Endpoint, b: Endpoint) -> Option<&mut QuicConnection> {
        let now = self.now;
        let pair = Pair::new(a, b);
        let e = self.open.get_mut(&pair)?;
        e.due = None;
        let slot = self.all.get_mut(e.at)?;
        // Every wait is at least this long: most lookups stop at the
        // first test, without reading the transport parameters.
        let over = match slot {
            Slot::Open(c) => {
                now.0.saturating_sub(c.last_ts().0) > DRAINING_NS.min(IDLE_GRACE_NS)
                    && over_after(c).is_some_and(|due| now > due)
            }
            _ => return None,
        };
        if over {
            if let Slot::Open(c) = std::mem::replace(slot, Slot::Finishing) {
                *slot = Slot::Done(Box::new(c.finish(now)));
            }
            self.open.remove(&pair);
            return None;
        }
        match slot {
            Slot::Open(c) => Some(c),
            _ => None,
        }
    }

    /// The network time.
    pub(super) fn now(&self) -> Timestamp {
        self.now
    }

    /// A new open connection between `a` and `b`.
    pub(super) fn insert(&mut self, a: Endpoint, b: Endpoint, c: QuicConnection) {
        let e = Entry {
            at: self.all.len(),
            due: None,
        };
        self.open.insert(Pair::new(a, b), e);
        self.all.push(Slot::Open(Box::new(c)));
    }

    /// Network time moves to `ts`; once a second of it, the connections
    /// the capture has been silent about for long enough are finished.
    pub(super) fn advance(&mut self, ts: Timestamp) {
        self.now = self.now.max(ts);
        if self.now < self.next_sweep {
            return;
        }
        self.next_sweep = Timestamp(self.now.0.saturating_add(SWEEP_NS));
        let now = self.now;
        let all = &mut self.all;
        self.open.retain(|_, e| {
            if e.due.is_some_and(|due| now <= due) {
                return true;
            }
            let Some(slot) = all.get_mut(e.at) else {
                return false;
            };
            let Slot::Open(c) = slot else {
                return false;
            };
            let due = over_after(c);
            if due.is_none_or(|due| now <= due) {
                e.due = Some(due.unwrap_or(Timestamp(i64::MAX)));
                return true;
            }
            let Slot::Open(c) = std::mem::replace(slot, Slot::Finishing) else {
                return false;
            };
            *slot = Slot::Done(Box::new(c.finish(now)));
            false
        });
    }

    /// These connections as `n` holds by [`shard_of`] their pairs, each
    /// keeping its own first-packet order; the finished ones go to the
    /// first. The clocks are copied: each moves with its own datagrams.
    pub(super) fn split(self, n: usize) -> Vec<Held> {
        let n = n.max(1);
        let mut out: Vec<Held> = (0..n)
            .map(|_| Held {
                now: self.now,
                next_sweep: self.next_sweep,
                ..Held::default()
            })
            .collect();
        // Where each open slot goes, from its pair.
        let mut dest: Vec<Option<(usize, Pair)>> = (0..self.all.len()).map(|_| None).collect();
        for (pair, e) in &self.open {
            if let Some(d) = dest.get_mut(e.at) {
                let (a, b) = pair.ends();
                *d = Some((shard_of(a, b, n), *pair));
            }
        }
        for (slot, d) in self.all.into_iter().zip(dest) {
            match (slot, d) {
                (Slot::Open(c), Some((i, pair))) => {
                    let h = &mut out[i];
                    h.open.insert(
                        pair,
                        Entry {
                            at: h.all.len(),
                            due: None,
                        },
                    );
                    h.all.push(Slot::Open(c));
                }
                (Slot::Done(r), _) => out[0].all.push(Slot::Done(r)),
                // An open slot is always in the map; one being finished
                // exists only inside `advance` and `get_mut`.
                _ => debug_assert!(false, "an open QUIC connection missing from the map"),
            }
        }
        out
    }

    /// Every connection's report in order of its first packet, judged
    /// at `end`, the capture's last time.
    pub(super) fn finish(self, end: Timestamp) -> Vec<QuicReport> {
        let mut reports = Vec::with_capacity(self.all.len());
        for slot in self.all {
            match slot {
                Slot::Open(c) => reports.push(c.finish(end)),
                Slot::Done(mut r) => {
                    r.judge_silence(end);
                    reports.push(*r);
                }
                Slot::Finishing => {}
            }
        }
        reports
    }
}

/// The network time after which nothing more can belong to `c`, if
/// nothing more comes: a closed connection's last packet plus its
/// draining period, another's plus its idle timeout and the grace above.
/// `None`: no idle timeout, it stays to the end.
fn over_after(c: &QuicConnection) -> Option<Timestamp> {
    let wait = if c.closing() {
        DRAINING_NS
    } else {
        let ms = i64::try_from(c.idle_timeout_ms()?).unwrap_or(i64::MAX);
        ms.saturating_mul(1_000_000).saturating_add(IDLE_GRACE_NS)
    };
    Some(Timestamp(c.last_ts().0.saturating_add(wait)))
}
