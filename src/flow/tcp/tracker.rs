//! Per-packet TCP processing, exactly as Zeek does it: sequence bookkeeping,
//! history letters and the facts the teardown verdict needs; each packet then
//! goes through the endpoint state machine and close handling (`machine.rs`).
//!
//! Read first:
//! - `docs/zeek-conn-state.md` §1 (order of work for one packet), §3 (endpoint
//!   states), §5 (history), §6 (sequence numbers), §7 (close timers);
//! - RFC 9293 §3.3.2 (the TCP state machine Zeek's endpoint states coarsen),
//!   §3.4 (sequence numbers, modulo 2^32), §3.5.2–3.5.3 (reset generation and
//!   processing), §3.6 (closing a connection), §3.10.7.4 (checking the RST bit);
//! - RFC 1122 §4.2.2.13 and RFC 2525 §2.16–2.17 (RST on close with unread data
//!   or on data after close), RFC 9112 §9.6 (HTTP's lingering close).
//!
//! Zeek does not model RFC 9293's full state machine: each endpoint is only
//! INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED or RESET, as
//! seen by a passive observer who may have missed any packet.

use crate::wire::{SeqNum, TcpSegment};

use super::conn::Connection;
use super::endpoint::{
    DATA_AFTER_FIN, DID_CLOSE, EndpointState as St, FIN_SEEN, GREETING, RstPhase, SENT_PAYLOAD,
};
use super::history::Letter;
use super::machine::{Ctx, Event};
use super::timers::Inactivity;

/// Sequence jumps beyond this on SYN/RST packets are not trusted (§5.5).
const TOO_LARGE_SEQ_DELTA: i32 = 1 << 20;

impl Connection {
    /// A packet whose TCP checksum is bad: a `C`/`c` letter on the
    /// logarithmic scale, nothing else (§1 step 3, §5.4 rule 3).
    pub(in crate::flow) fn bad_checksum(&mut self, i: usize) {
        if self.rare_mut().bad_csum[i].bump() {
            self.add_letter(i, Letter::BadChecksum);
        }
    }

    /// Processes one TCP segment sent by endpoint `i` at time `t` (§1 steps
    /// 4–11; lookup, reuse and checksums were handled by the table).
    pub(in crate::flow) fn process(
        &mut self,
        i: usize,
        seg: &TcpSegment<'_>,
        t: i64,
        frame: u64,
        ctx: &mut Ctx<'_>,
    ) {
        let j = 1 - i;
        let f = seg.flags;
        let len = seg.payload_len;
        let seq = seg.seq.0;
        let ack = seg.ack.0;
        // The role at arrival; Zeek's state machine keeps using it even if
        // the SYN-ACK flip below changes roles (that flip only happens for
        // packets without SYN/FIN/RST, where it makes no difference).
        let was_orig = self.is_orig(i);
        if let Some(p) = seg.tunnel_parent {
            self.ends.add_parent(p);
        }

        // Sequence space of this segment: payload, plus one for SYN and FIN;
        // a RST's payload is not stream data (§5.5).
        let mut seg_len = len.wrapping_add(u32::from(f.syn()) + u32::from(f.fin()));
        if f.rst() {
            seg_len = seg_len.wrapping_sub(len);
        }
        let seq_end = seq.wrapping_add(seg_len);

        self.init_endpoint(i, seg, seq_end);
        let e = &self.ep[i];
        let (rel_seq, seq_underflow) = e.relative(seq, e.last_seq, e.seq_wraps);
        self.update_history(i, seg, rel_seq as u32);
        self.update_window(i, seg);

        // §6.3: last_time moves until both sides have closed.
        if !(self.ep[0].has(DID_CLOSE) && self.ep[1].has(DID_CLOSE)) {
            self.last = t;
        }
        if f.fin() {
            self.ep[i].mark(FIN_SEEN);
        }
        let ack_usable = f.ack() && self.note_ack(j, ack, f.rst());
        let delta_last = self.update_last_seq(i, seg, seq_end);

        self.note_teardown_facts(i, seg, frame, delta_last);

        let close = self.state_machine(i, was_orig, Event::of(seg), t, ctx);
        // §12: what this packet tells Zeek's reassembler, in Zeek's order:
        // the acknowledgement of the peer's data (with the states this
        // packet left), then this packet's own data (a SYN's after the SYN).
        if ack_usable {
            self.ack_received(j, ack, f.syn());
        }
        if len > 0 && !f.rst() && !seg.payload_truncated && !seq_underflow {
            let rel_data = (rel_seq as u32).wrapping_add(u32::from(f.syn()));
            self.data_sent(i, rel_data, len);
        }
        if close {
            self.connection_closed(i);
        }
        self.note_greeting(i, seg, ctx);

        let e = &mut self.ep[i];
        e.pkts = e.pkts.saturating_add(1);
        e.ip_bytes += u64::from(seg.ip_len);
    }

    /// §6.1: initial sequence numbers, and later SYNs that reset them.
    fn init_endpoint(&mut self, i: usize, seg: &TcpSegment<'_>, seq_end: u32) {
        let e = &mut self.ep[i];
        let seq = seg.seq.0;
        let syn = seg.flags.syn();
        match e.state {
            // First packet: a SYN gives the ISN; anything else pretends a SYN
            // occupied seq − 1, and starts last_seq at the segment's start so
            // the first packet is never a retransmission.
            St::Inactive if syn => e.init_seqs(seq, seq, seq_end),
            St::Inactive => e.init_seqs(seq.wrapping_sub(1), seq.wrapping_sub(1), seq),
            // A SYN with a new ISN replaces the old one.
            St::SynSent | St::SynAckSent if syn && seq != e.start_seq => {
                e.init_seqs(seq, seq, seq_end)
            }
            // A SYN inside a connection: guess that this one sets it up.
            St::Established | St::Partial if syn => e.init_seqs(seq, seq, seq_end),
            // A SYN after a RST that came first: the RST was likely injected.
            St::Reset if syn && e.prev_state == St::Inactive => e.init_seqs(seq, seq, seq_end),
            _ => {}
        }
    }

    /// §6.1/§6.2: what an ACK from endpoint `j`'s peer tells about `j`.
    /// Returns whether Zeek hands it on to `j`'s reassembler (§12): not when
    /// it re-based a peer that had sent nothing (it then acknowledges only
    /// the assumed SYN), nor when it lies before `j`'s ISN. A RST's ACK is
    /// handed on, though it does not move the acknowledged position.
    fn note_ack(&mut self, j: usize, ack: u32, rst: bool) -> bool {
        let p = &mut self.ep[j];
        if p.state == St::Inactive {
            // While the peer has sent nothing, every ACK re-bases it.
            let base = ack.wrapping_sub(1);
            p.init_seqs(base, base, base);
            false
        } else {
            let (_, underflow) = p.relative(ack, p.ack_seq, p.ack_wraps);
            // RST acknowledgements are not trusted; nor is a jump to 0.
            if !underflow && !rst {
                let delta = SeqNum(ack).diff(SeqNum(p.ack_seq));
                if !(ack == 0 && delta > TOO_LARGE_SEQ_DELTA) && delta > 0 {
                    p.advance_ack_seq(ack);
                }
            }
            !underflow
        }
    }

    /// §5.5: highest sequence sent, and retransmissions (`T`).
    fn update_last_seq(&mut self, i: usize, seg: &TcpSegment<'_>, seq_end: u32) -> i32 {
        let f = seg.flags;
        let e = &mut self.ep[i];
        let delta = SeqNum(seq_end).diff(SeqNum(e.last_seq));
        let rxmit = if (f.syn() || f.rst())
            && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta)
        {
            false
        } else if f.fin() && e.last_seq == e.start_seq.wrapping_add(1) {
            // Only the SYN was seen before: accept the FIN's position even
            // backwards (connections over 2 GiB seen only at SYN and FIN).
            e.advance_last_seq(seq_end);
            false
        } else if e.state == St::Reset {
            false
        } else if delta > 0 {
            e.advance_last_seq(seq_end);
            false
        } else {
            seg.payload_len > 0
        };
        if rxmit && self.ep[i].rxmit.bump() {
            self.add_letter(i, Letter::Retransmit);
        }
        delta
    }

    /// §5.5: a zero window (`W`), judged on the states before this packet.
    fn update_window(&mut self, i: usize, seg: &TcpSegment<'_>) {
        let j = 1 - i;
        if seg.window == 0
            && !seg.flags.rst()
            && self.ep[j].state != St::Closed
            && self.ep[i].state != St::Reset
            && self.rare_mut().zero_win[i].bump()
        {
            self.add_letter(i, Letter::ZeroWindow);
        }
    }

    /// §5.3/§5.4: the flag or payload letter of one packet.
    fn update_history(&mut self, i: usize, seg: &TcpSegment<'_>, rel: u32) {
        let f = seg.flags;
        let len = seg.payload_len;
        let bits = u8::from(f.syn()) + u8::from(f.fin()) + u8::from(f.rst());
        if bits > 1 {
            let l = if f.fin() && f.rst() {
                Letter::FinRst
            } else {
                Letter::MultiFlag
            };
            self.check_history(i, l);
        } else if bits == 1 {
            // S/H, F and R repeat only at a new sequence position (rule 2);
            // the position is remembered whether or not a letter was added.
            if f.syn() {
                let l = if f.ack() { Letter::SynAck } else { Letter::Syn };
                if self.check_history(i, l) && rel != self.ep[i].hist_last_syn {
                    self.add_letter(i, l);
                }
                self.ep[i].hist_last_syn = rel;
            }
            if f.fin() {
                // A FIN sits after the packet's data.
                let pos = rel.wrapping_add(len);
                if self.check_history(i, Letter::Fin) && pos != self.ep[i].hist_last_fin {
                    self.add_letter(i, Letter::Fin);
                }
                self.ep[i].hist_last_fin = pos;
            }
            if f.rst() {
                if self.check_history(i, Letter::Rst) && rel != self.ep[i].hist_last_rst {
                    self.add_letter(i, Letter::Rst);
                }
                self.ep[i].hist_last_rst = rel;
            }
        } else if len > 0 {
            self.check_history(i, Letter::Data);
        } else if f.ack() {
            self.check_history(i, Letter::Ack);
        }
    }

    /// Adds a once-per-direction letter if it is new; returns true when it
    /// had been seen before. Before an `A` or `D`, a history of exactly `H`
    /// triggers the SYN-ACK flip (§2.4): roles swap and the history becomes
    /// `^h`.
    fn check_history(&mut self, i: usize, letter: Letter) -> bool {
        if matches!(letter, Letter::Ack | Letter::Data) && self.history.as_bytes() == b"H" {
            self.flip();
            self.history.replace(b"^h");
        }
        let is_orig = self.is_orig(i);
        if self.once.first(letter, is_orig) {
            self.history.push(letter.for_role(is_orig));
            false
        } else {
            true
        }
    }

    /// An approximation of Zeek's SSH and FTP analyzer confirmation (which
    /// sets the 1-hour timeout, `flow/app_hook.rs`): both sides sent a
    /// greeting, as the application hook judges the payload's first bytes.
    fn note_greeting(&mut self, i: usize, seg: &TcpSegment<'_>, ctx: &mut Ctx<'_>) {
        if !seg.payload.is_empty() && !self.ep[i].has(GREETING) && ctx.app.greeting(seg.payload) {
            self.ep[i].mark(GREETING);
            if self.ep[1 - i].has(GREETING) {
                self.timers
                    .set_inactivity(&mut self.timer_bits, Inactivity::Interactive);
            }
        }
    }

    /// Facts for the teaching verdict: payload sent, data after the peer's
    /// FIN, the first SYN/FIN/RST frames, and the phase of the first RST.
    fn note_teardown_facts(&mut self, i: usize, seg: &TcpSegment<'_>, frame: u64, delta_last: i32) {
        let j = 1 - i;
        let f = seg.flags;
        let new_payload = seg.payload_len > 0 && !f.rst() && delta_last > 0;
        if new_payload {
            self.ep[i].mark(SENT_PAYLOAD);
            if self.frames.fin[j] != 0 {
                self.ep[j].mark(DATA_AFTER_FIN);
            }
        }
        let off = self.frames.offset(frame);
        if f.syn() && !f.ack() && !f.fin() && !f.rst() && self.frames.syn == 0 {
            self.frames.syn = off;
            self.syn_by = i as u8 + 1;
        }
        if f.fin() && self.frames.fin[i] == 0 {
            self.frames.fin[i] = off;
        }
        if f.rst() && self.frames.rst[i] == 0 {
            self.frames.rst[i] = off;
            self.ep[i].rst_phase = Some(self.rst_phase(i));
        }
    }

    /// How endpoint `i`'s first RST relates to the close (see `teardown`).
    fn rst_phase(&self, i: usize) -> RstPhase {
        let j = 1 - i;
        let (e, p) = (&self.ep[i], &self.ep[j]);
        let attempting = |s: St| matches!(s, St::SynSent | St::SynAckSent);
        if e.state.is_handshake()
            && p.state.is_handshake()
            && (attempting(e.state) || attempting(p.state))
        {
            RstPhase::Handshake
        } else if self.frames.fin[i] != 0 {
            if e.has(DATA_AFTER_FIN) {
                RstPhase::DataAfterClose
            } else {
                RstPhase::AfterOwnFin
            }
        } else if self.frames.fin[j] != 0 {
            RstPhase::AfterPeerFin
        } else if p.has(SENT_PAYLOAD) {
            RstPhase::UnreadData
        } else {
            RstPhase::WithoutFin
        }
    }
}
