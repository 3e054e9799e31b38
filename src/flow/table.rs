//! The flow table: lookup-or-insert by 4-tuple, Zeek's connection creation,
//! originator choice and reuse rules, timers on packet time, and hand-off of
//! finished connections.
//!
//! Records live in a [`Slab`] (fixed chunks with a free list) and are found
//! through a chained [`Index`] that keeps its chain links beside the heads; a
//! [`TimerQueue`] (a timing wheel) orders the connections by their next
//! deadline. The memory the lookups and timers wait for is requested ahead
//! (`store/prefetch.rs`). Ids are assigned in first-seen order.
//! A removed connection is lent to the caller's `emit` callback, then dropped and
//! its slot is reused, so memory follows the number of open connections.

use crate::capture::Timestamp;
use crate::wire::{Checksum, Endpoint, TcpFlags, TcpSegment};

use super::anomaly::{FlowAnomalies, TimeWentBack};
use super::app_hook::AppHook;
use super::key::{FlowHash, hash_pair};
use super::store::index::{Index, NONE};
use super::store::prefetch;
use super::store::slab::Slab;
use super::store::timer_queue::TimerQueue;
use super::tcp::PortSet;
use super::tcp::conn::{Connection, Removal};
use super::tcp::endpoint::{DID_CLOSE, EndpointState as St};
use super::tcp::machine::Ctx;
use super::tcp::timers::{FIVE_S, Fired, NEVER, SIX_S};

/// Settings of the flow stage.
#[derive(Clone, Debug)]
pub struct FlowOptions {
    /// Ports that make a non-SYN first packet's sender the responder
    /// (`docs/zeek-conn-state.md` §2.2).
    pub likely_server_ports: PortSet,
    /// The application knowledge the rules ask for (`flow/app_hook.rs`).
    pub app: &'static dyn AppHook,
}

impl FlowOptions {
    /// Zeek's plain `zeek -r` settings, with the application knowledge of
    /// `app` (the analyzer passes the rules of `app::interactive`; without
    /// any, [`super::NoApps`]).
    pub fn zeek(app: &'static dyn AppHook) -> Self {
        FlowOptions {
            likely_server_ports: PortSet::zeek_default(),
            app,
        }
    }
}

/// Which connection a segment went to, for the stages after the table
/// (stream reassembly and the application decoders keep their own state
/// per connection, keyed by its id; the table knows nothing of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The connection's id ([`Connection::id`]).
    pub id: u64,
    /// The segment came from the originator (Zeek's `orig`, the client).
    pub from_orig: bool,
}

/// All open TCP connections of one capture.
pub struct FlowTable {
    opts: FlowOptions,
    slab: Slab<Connection>,
    index: Index,
    queue: TimerQueue,
    next_id: u64,
    /// Zeek's network time: the latest packet time seen; it never goes back.
    now: i64,
    anomalies: FlowAnomalies,
}

impl FlowTable {
    /// An empty table.
    pub fn new(opts: FlowOptions) -> Self {
        FlowTable {
            opts,
            slab: Slab::default(),
            index: Index::default(),
            queue: TimerQueue::default(),
            next_id: 1,
            now: i64::MIN,
            anomalies: FlowAnomalies::default(),
        }
    }

    /// Counted anomalies so far.
    pub fn anomalies(&self) -> &FlowAnomalies {
        &self.anomalies
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.index.len()
    }

    /// Bytes of heap the table holds (slab, free list, index, timer queue),
    /// not counting histories longer than 23 letters.
    pub fn heap_bytes(&self) -> usize {
        self.slab.heap_bytes() + self.index.heap_bytes() + self.queue.heap_bytes()
    }

    /// Moves network time to `t` (if later) and fires every timer due at or
    /// before it, in time order (§7.1). Called before each packet, and with
    /// the wall clock in live captures.
    #[inline]
    pub fn advance(&mut self, t: Timestamp, emit: &mut impl FnMut(&Connection)) {
        self.now = self.now.max(t.0);
        self.fire_if_due(emit);
    }

    /// Network time: the latest packet's, or the wall clock's in live
    /// captures.
    pub fn network_time(&self) -> Timestamp {
        Timestamp(self.now)
    }

    /// [`FlowTable::advance`] to the time of packet `frame`. Network time
    /// never goes back (Zeek's `dispatch_packet`): a packet older than it
    /// leaves it where it is, and is noted in the anomalies.
    #[inline]
    pub fn advance_to(&mut self, frame: u64, t: Timestamp, emit: &mut impl FnMut(&Connection)) {
        if t.0 < self.now {
            TimeWentBack::note(
                &mut self.anomalies.time_went_back,
                frame,
                t,
                Timestamp(self.now),
            );
        } else {
            self.now = t.0;
        }
        self.fire_if_due(emit);
    }

    #[inline]
    fn fire_if_due(&mut self, emit: &mut impl FnMut(&Connection)) {
        // Most packets come before the next deadline: nothing to look at.
        if self.queue.quiet_until() > self.now {
            return;
        }
        self.fire_due(emit);
    }

    /// Fires every timer due by `now`, in time order.
    fn fire_due(&mut self, emit: &mut impl FnMut(&Connection)) {
        while let Some((due, slot)) = self.queue.peek_until(self.now) {
            if due > self.now {
                break;
            }
            // The records due next are asked for now: a timer fires on a
            // connection last touched seconds of capture ago, whose record
            // has long left the caches (see `prefetch.rs`).
            for s in self.queue.upcoming() {
                self.slab.prefetch(s);
            }
            // Packets move deadlines later lazily (`TimerQueue::set_lazy`):
            // the earliest key is re-keyed from its record unless current.
            let real = self
                .slab
                .get(slot)
                .map_or(NEVER, |c| c.timers.next_due(c.timer_bits, c.last));
            if real != due {
                self.queue.set(slot, real);
                continue;
            }
            self.fire(slot, emit);
        }
    }

    /// One TCP segment from frame number `frame`, captured at `t`.
    pub fn segment(
        &mut self,
        frame: u64,
        t: Timestamp,
        seg: &TcpSegment<'_>,
        emit: &mut impl FnMut(&Connection),
    ) {
        let hash = FlowHash::of(seg.src, seg.dst);
        self.segment_hashed(frame, t, seg, hash, emit);
    }

    /// Hints the CPU to load the lookup bucket of a connection with this
    /// hash: call it some packets before [`FlowTable::segment_hashed`], then
    /// [`FlowTable::prefetch_record`] a few packets before. Hints change no
    /// result, only how long the lookup waits for memory.
    #[inline]
    pub fn prefetch_bucket(&self, hash: FlowHash) {
        prefetch::line(self.index.head_ptr(hash.0));
    }

    /// Hints the CPU to load the record first in this hash's bucket (the
    /// connection itself, most of the time). Reads the bucket, so
    /// [`FlowTable::prefetch_bucket`] should have come first.
    #[inline]
    pub fn prefetch_record(&self, hash: FlowHash) {
        let s = self.index.head(hash.0);
        if s != NONE {
            self.slab.prefetch(s);
        }
    }

    /// [`FlowTable::segment`] with the segment's [`FlowHash`] computed
    /// beforehand (by the thread that decoded it).
    pub fn segment_hashed(
        &mut self,
        frame: u64,
        t: Timestamp,
        seg: &TcpSegment<'_>,
        hash: FlowHash,
        emit: &mut impl FnMut(&Connection),
    ) -> Option<Applied> {
        self.advance_to(frame, t, emit);
        let hash = hash.0;
        let (slot, created) = match self.find(hash, seg.src, seg.dst) {
            Some(s) if seg.flags.syn() && self.conn(s).is_some_and(|c| c.is_reuse(seg)) => {
                // §7.2: the old connection is logged now, a new one starts.
                self.remove(s, Removal::Reuse, emit);
                let s = self.create(hash, seg.src, seg.dst, Some(seg.flags), t.0, frame);
                (s, true)
            }
            Some(s) => (s, false),
            None => {
                let s = self.create(hash, seg.src, seg.dst, Some(seg.flags), t.0, frame);
                (s, true)
            }
        };
        let FlowTable {
            slab,
            opts,
            anomalies,
            queue,
            ..
        } = self;
        let conn = slab.get_mut(slot)?;
        let i = conn.sender_index(seg.src);
        // The queue's key for this slot is at or before this deadline; a
        // new connection has none yet.
        let before = if created {
            NEVER
        } else {
            conn.timers.next_due(conn.timer_bits, conn.last)
        };
        if seg.checksum == Checksum::Invalid {
            anomalies.tcp_bad_checksum += 1;
            conn.bad_checksum(i);
        } else {
            let mut ctx = Ctx {
                likely_server_ports: &opts.likely_server_ports,
                app: opts.app,
                anomalies,
            };
            conn.process(i, seg, t.0, frame, &mut ctx);
        }
        // Most packets leave the deadline where it was: the queue, whose
        // entries are cache misses, is then not touched at all.
        let after = conn.timers.next_due(conn.timer_bits, conn.last);
        if created {
            queue.set(slot, after);
        } else if after != before {
            queue.set_lazy(slot, after);
        }
        Some(Applied {
            id: conn.id,
            from_orig: usize::from(conn.orig) == i,
        })
    }

    /// A TCP packet whose header is damaged (§1 step 2): it creates the
    /// connection if none exists, and is otherwise ignored.
    pub fn bad_header(
        &mut self,
        frame: u64,
        t: Timestamp,
        src: Endpoint,
        dst: Endpoint,
        emit: &mut impl FnMut(&Connection),
    ) {
        self.advance_to(frame, t, emit);
        self.anomalies.tcp_bad_header += 1;
        let hash = hash_pair(src, dst);
        if self.find(hash, src, dst).is_none() {
            // The flags are not known here, so no port-based flip (§2.2).
            let slot = self.create(hash, src, dst, None, t.0, frame);
            if let Some(c) = self.slab.get(slot) {
                self.queue
                    .set(slot, c.timers.next_due(c.timer_bits, c.last));
            }
        }
    }

    /// End of input: every open connection is handed out, in id order.
    pub fn finish(&mut self, emit: &mut impl FnMut(&Connection)) {
        // No timer fires any more, so the timer queue's key array (a word
        // per slot) is reused to sort them: no allocation at the peak.
        let span = self.slab.iter().fold((u64::MAX, 0), |(lo, hi), (_, c)| {
            (lo.min(c.id), hi.max(c.id))
        });
        let order = self
            .queue
            .sorted_slots(span, self.slab.iter().map(|(s, c)| (c.id, s)));
        for slot in order {
            if let Some(conn) = self.slab.get_mut(slot) {
                conn.removal = Removal::EndOfInput;
                emit(conn);
            }
        }
        // Everything goes at once, without unlinking one by one.
        self.slab = Slab::default();
        self.index = Index::default();
    }

    fn conn(&self, slot: u32) -> Option<&Connection> {
        self.slab.get(slot)
    }

    /// The open connection between `a` and `b`: a walk along the bucket's
    /// chain (links in the index), comparing keys in the records.
    #[inline]
    fn find(&self, hash: u32, a: Endpoint, b: Endpoint) -> Option<u32> {
        let mut s = self.index.head(hash);
        while s != NONE {
            if self.slab.get(s)?.joins(a, b) {
                return Some(s);
            }
            s = self.index.next(s);
        }
        None
    }

    /// Adds `slot` (just stored) to the index, doubling the buckets first
    /// when full: every other record is then relinked from its key.
    fn link(&mut self, hash: u32, slot: u32) {
        if self.index.full() {
            self.index.rebuild();
            let FlowTable { slab, index, .. } = self;
            for (s, c) in slab.iter().filter(|(s, _)| *s != slot) {
                index.push_head(c.hash(), s);
            }
        }
        self.index.push_head(hash, slot);
    }

    fn create(
        &mut self,
        hash: u32,
        src: Endpoint,
        dst: Endpoint,
        flags: Option<TcpFlags>,
        t: i64,
        frame: u64,
    ) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let mut conn = Connection::new(id, src, dst, t, self.now, frame);
        if flags.is_some_and(|f| self.wants_flip(f, src, dst)) {
            conn.flip();
        }
        let slot = self.slab.insert(conn);
        self.link(hash, slot);
        // The caller files its first deadline in the queue.
        slot
    }

    /// §2.2: whether a new connection's first packet came from the responder,
    /// judged by `likely_server_ports`. A pure SYN is never flipped; a SYN-ACK
    /// between two likely server ports neither (stealth scans).
    fn wants_flip(&self, f: TcpFlags, src: Endpoint, dst: Endpoint) -> bool {
        let pure_syn = f.syn() && !f.ack();
        let broadcast = matches!(dst.addr, std::net::IpAddr::V4(a) if a.is_broadcast());
        if pure_syn || broadcast {
            return false;
        }
        let lsp = &self.opts.likely_server_ports;
        if !lsp.contains(src.port) {
            false
        } else if lsp.contains(dst.port) {
            !f.syn() && src.port < dst.port
        } else {
            true
        }
    }

    fn remove(&mut self, slot: u32, why: Removal, emit: &mut impl FnMut(&Connection)) {
        let Some(conn) = self.slab.get_mut(slot) else {
            return;
        };
        conn.removal = why;
        // The bucket is asked for now and read after the hand-out, which
        // gives it time to arrive (see `prefetch.rs`).
        let hash = conn.hash();
        prefetch::line(self.index.head_ptr(hash));
        // Handed out where it lies, then dropped in place: no copy of the record.
        emit(conn);
        self.index.unlink(hash, slot);
        self.queue.set(slot, NEVER);
        self.slab.free(slot);
    }

    fn fire(&mut self, slot: u32, emit: &mut impl FnMut(&Connection)) {
        let now = self.now;
        let Some(conn) = self.slab.get_mut(slot) else {
            self.queue.set(slot, NEVER);
            return;
        };
        let removal = conn
            .timers
            .take_due(&mut conn.timer_bits, now, conn.last)
            .and_then(|fired| conn.on_timer(fired, now));
        match removal {
            Some(why) => self.remove(slot, why, emit),
            None => {
                let due = conn.timers.next_due(conn.timer_bits, conn.last);
                self.queue.set(slot, due);
            }
        }
    }
}

impl Connection {
    /// §7.2: does a SYN from `seg` on this existing connection start a new one?
    fn is_reuse(&self, seg: &TcpSegment<'_>) -> bool {
        let f = seg.flags;
        if !f.syn() {
            return false;
        }
        let (orig, resp) = (self.orig_ep(), self.resp_ep());
        // A SYN-ACK is compared with the responder's ISN, and only while the
        // originator is INACTIVE (a half connection).
        let compare = if f.ack() {
            if orig.state != St::Inactive {
                return false;
            }
            resp
        } else {
            orig
        };
        let closed = orig.has(DID_CLOSE) || resp.has(DID_CLOSE);
        if closed {
            return true;
        }
        let seq = seg.seq.0;
        if seq == compare.start_seq {
            // A retransmission.
            return false;
        }
        // SYN and SYN-ACK swapped (§2.5): the SYN matches the SYN-ACK's ack.
        let reversed = !f.ack()
            && compare.state == St::SynAckSent
            && resp.state == St::Inactive
            && seq == resp.start_seq;
        !reversed
    }

    /// §7.1: what a due timer does. `Some` removes the connection.
    fn on_timer(&mut self, fired: Fired, now: i64) -> Option<Removal> {
        let (o, r) = (self.orig_ep(), self.resp_ep());
        let (os, rs) = (o.state, r.state);
        let (oc, rc) = (o.has(DID_CLOSE), r.has(DID_CLOSE));
        match fired {
            Fired::Attempt => (matches!(os, St::SynSent | St::SynAckSent) && rs == St::Inactive)
                .then_some(Removal::AttemptTimer),
            Fired::Delete => Some(Removal::CloseTimer),
            Fired::Expire { shared } => {
                let idle = self.last.saturating_add(FIVE_S) < now;
                let some_closed = oc || rc;
                let ended = (oc && rc)
                    || os == St::Reset
                    || rs == St::Reset
                    || os == St::Inactive
                    || rs == St::Inactive;
                let never_active = os == St::Inactive && rs == St::Inactive;
                if idle && ((some_closed && ended) || never_active) {
                    Some(Removal::ExpireTimer)
                } else {
                    self.timers.rearm_expire(
                        &mut self.timer_bits,
                        shared,
                        now.saturating_add(SIX_S),
                    );
                    None
                }
            }
            // The deadline follows the last activity (see `Timers`), so
            // when it is due the timeout has passed since that activity.
            Fired::Inactivity => {
                let deadline = self.last.saturating_add(self.timer_bits.timeout().nanos());
                (deadline <= now).then_some(Removal::InactivityTimer)
            }
        }
    }
}
