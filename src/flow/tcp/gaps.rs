//! Content gaps: the bytes an acknowledgement proves were sent but that
//! the capture never showed, found as Zeek's TCP reassembler finds them
//! (`docs/zeek-conn-state.md` §12), without keeping any byte.
//!
//! Zeek reassembles every TCP connection from its first packet (its default
//! `dpd_reassemble_first_packets`), whether or not an application analyzer
//! ever claims it. Each direction has a *delivered point*: the relative
//! sequence number up to which its stream is contiguous. Data at that point
//! moves it; data beyond it waits as out-of-order blocks. When the peer
//! acknowledges a position beyond the delivered point, the octets between
//! are declared missing: each hole is one content gap, the waiting blocks in
//! between are delivered, and the point jumps to the acknowledgement
//! (RFC 9293 §3.4: an ACK covers every octet before it). So the decision
//! needs sequence numbers, acknowledgements, payload lengths and whether
//! the payload was captured whole; never the payload itself.
//!
//! The delivered point lives in the connection record (it is read on every
//! packet); the waiting blocks, the gap counters and `missed_bytes` live in
//! the record's rarely used part (`rare.rs`), allocated the first time a
//! connection needs one of them.

use super::conn::Connection;
use super::endpoint::{EndpointState as St, FIN_SEEN, TcpEndpoint};
use super::history::Letter;
use super::rare::{MAX_ABOVE_HOLE_WITHOUT_ACKS, MAX_WAITING_RANGES, diff};

/// Zeek's `is_clean`: an endpoint established, or closed from established.
fn is_clean(e: &TcpEndpoint) -> bool {
    e.state == St::Established || (e.state == St::Closed && e.prev_state == St::Established)
}

impl Connection {
    /// Payload of endpoint `i` reaching Zeek's reassembler: `rel` is the
    /// relative sequence number of its first octet (after a SYN's), `len`
    /// its length. Called only for payload Zeek hands over: not on a RST,
    /// not cut by the snap length, not below the ISN.
    #[inline]
    pub(in crate::flow) fn data_sent(&mut self, i: usize, rel: u32, len: u32) {
        let point = self.delivered[i];
        let end = rel.wrapping_add(len);
        let waiting = self.rare.as_ref().is_some_and(|r| {
            let w = &r.waiting[i];
            w.skipping || !w.spans.is_empty()
        });
        if !waiting && diff(rel, point) <= 0 {
            // The common case: in order, or a retransmission.
            if diff(end, point) > 0 {
                self.delivered[i] = end;
            }
            return;
        }
        self.data_sent_slow(i, rel, end);
    }

    #[cold]
    #[inline(never)]
    fn data_sent_slow(&mut self, i: usize, rel: u32, end: u32) {
        let point = self.delivered[i];
        if diff(end, point) <= 0 {
            return;
        }
        let no_acks = self.ep[i].no_data_acked();
        let w = &mut self.rare.get_or_insert_with(Box::default).waiting[i];
        if w.skipping {
            return;
        }
        if diff(rel, point) <= 0 {
            let p = w.absorb(end);
            self.delivered[i] = p;
            return;
        }
        w.insert(rel, end);
        // Zeek gives up on a direction whose data runs far beyond a hole
        // while none of it was ever acknowledged (a one-sided capture); the
        // flow stage also gives up past its bound on separate ranges.
        let far = no_acks
            && w.top()
                .is_some_and(|top| top.wrapping_sub(point) > MAX_ABOVE_HOLE_WITHOUT_ACKS);
        if far || w.ranges() > MAX_WAITING_RANGES {
            w.spans.clear();
            w.skipping = true;
        }
    }

    /// An acknowledgement `ack` of endpoint `i`'s data, one Zeek hands to
    /// `i`'s reassembler, after the state machine ran for the packet that
    /// carried it, as Zeek orders it so that a gap found by a FIN or RST is
    /// judged with the states that packet left. `syn`: that packet had the
    /// SYN bit.
    #[inline]
    pub(in crate::flow) fn ack_received(&mut self, i: usize, ack: u32, syn: bool) {
        // The low 32 bits of the relative position, whatever the wraps.
        let up_to = ack.wrapping_sub(self.ep[i].start_seq);
        // The common case: nothing acknowledged beyond the delivered point.
        // (The FIN rule below only lowers `up_to`.)
        if diff(up_to, self.delivered[i]) > 0 {
            self.beyond_delivered(i, up_to, syn);
        }
    }

    #[cold]
    #[inline(never)]
    fn beyond_delivered(&mut self, i: usize, mut up_to: u32, syn: bool) {
        let e = &self.ep[i];
        // The FIN occupies a sequence number but is not data: an ACK of it
        // acknowledges the data before it (RFC 9293 §3.4).
        if e.has(FIN_SEEN) && diff(up_to, e.hist_last_fin) > 0 {
            up_to = e.hist_last_fin;
            if diff(up_to, self.delivered[i]) <= 0 {
                return;
            }
        }
        // Zeek's guard for connections it joined late: an ACK one or two
        // octets beyond the start only shows that the first packet seen was
        // a keep-alive. Its "partial" flag is set by nearly every packet
        // without SYN, so the guard is applied to those.
        if up_to <= 2 && e.ack_wraps == 0 && !syn {
            return;
        }
        self.undelivered(i, up_to);
    }

    /// Zeek's `Undelivered`: declares the holes below `up_to` as gaps,
    /// delivering the waiting ranges between them.
    fn undelivered(&mut self, i: usize, up_to: u32) {
        let clean = is_clean(&self.ep[i]) && is_clean(&self.ep[1 - i]);
        let mut point = self.delivered[i];
        let mut found: u32 = 0;
        let mut missed: u64 = 0;
        let r = self.rare.get_or_insert_with(Box::default);
        let w = &mut r.waiting[i];
        if !w.skipping {
            // The ranges are disjoint and not adjacent, so each one below
            // `up_to` has a hole before it; delivering it moves the point
            // to its end. They are dropped in one go afterwards.
            let mut delivered = 0;
            for &(lo, hi) in &w.spans {
                if diff(lo, up_to) >= 0 {
                    break;
                }
                if diff(lo, point) > 0 {
                    found += 1;
                    missed += u64::from(lo.wrapping_sub(point));
                }
                if diff(hi, point) > 0 {
                    point = hi;
                }
                delivered += 1;
            }
            w.spans.drain(..delivered);
            if diff(up_to, point) > 0 {
                found += 1;
                missed += u64::from(up_to.wrapping_sub(point));
            }
        }
        if diff(up_to, point) > 0 {
            point = up_to;
        }
        // A range starting exactly at the new point is delivered too.
        point = w.absorb(point);
        self.delivered[i] = point;
        if !clean {
            // Zeek reports gaps only while both sides are established or
            // closing cleanly: elsewhere they arise from RSTs' sequence
            // numbers and from connections joined late.
            return;
        }
        r.missed_bytes = r.missed_bytes.saturating_add(missed);
        let mut letters = 0;
        for _ in 0..found {
            if r.gaps[i].bump() {
                letters += 1;
            }
        }
        for _ in 0..letters {
            self.add_letter(i, Letter::Gap);
        }
    }

    /// Zeek's `missed_bytes`: octets of the content gaps reported.
    pub fn missed_bytes(&self) -> u64 {
        self.rare.as_ref().map_or(0, |r| r.missed_bytes)
    }
}
