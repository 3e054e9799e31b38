//! The endpoint state machine (`docs/zeek-conn-state.md` §3) and close handling
//! (§7.1): one `match (state, event)` with a comment per arm.
//!
//! The states coarsen RFC 9293 §3.3.2 for a passive observer who may have
//! missed any packet: INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL,
//! ESTABLISHED, CLOSED, RESET. A FIN (RFC 9293 §3.6) and a RST (§3.5.2–3.5.3)
//! are separate events and separate states throughout.

use crate::wire::TcpSegment;

use super::conn::Connection;
use super::endpoint::{DID_CLOSE, EndpointState as St};
use super::ports::PortSet;
use super::timers::{FIVE_S, Inactivity, SIX_S};
use crate::flow::anomaly::{Anomaly, FlowAnomalies};
use crate::flow::app_hook::AppHook;

/// What the per-packet rules read but do not own: the state machine needs
/// the server ports and the application hook to pick the interactive
/// timeout, and counts what it did not expect; the tracker asks the hook
/// about greetings. Defined here, beside its main user, so the tracker calls
/// the state machine and never the reverse.
pub(in crate::flow) struct Ctx<'a> {
    pub likely_server_ports: &'a PortSet,
    pub app: &'a dyn AppHook,
    pub anomalies: &'a mut FlowAnomalies,
}

/// What a packet's control bits ask of the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// SYN alone.
    Syn,
    /// SYN with ACK.
    SynAck,
    /// FIN without SYN or RST.
    Fin,
    /// RST without SYN or FIN.
    Rst,
    /// FIN and RST, no SYN.
    FinRst,
    /// SYN together with FIN and/or RST (the steps apply in Zeek's order).
    SynClose { ack: bool, fin: bool, rst: bool },
    /// No SYN, FIN or RST.
    Segment { ack: bool, payload: bool },
}

impl Event {
    pub(in crate::flow) fn of(seg: &TcpSegment<'_>) -> Self {
        let f = seg.flags;
        match (f.syn(), f.fin(), f.rst()) {
            (true, false, false) if f.ack() => Event::SynAck,
            (true, false, false) => Event::Syn,
            (true, fin, rst) => Event::SynClose {
                ack: f.ack(),
                fin,
                rst,
            },
            (false, true, true) => Event::FinRst,
            (false, true, false) => Event::Fin,
            (false, false, true) => Event::Rst,
            (false, false, false) => Event::Segment {
                ack: f.ack(),
                payload: seg.payload_len > 0,
            },
        }
    }
}
impl Connection {
    /// The one place endpoint states change. Leaving the handshake states
    /// while the peer is still in them switches the inactivity timeout from
    /// 1 min to 5 min (§7.1).
    pub(in crate::flow) fn set_state(&mut self, i: usize, new: St) {
        let old = self.ep[i].state;
        if new == old {
            return;
        }
        if !new.is_handshake() && old.is_handshake() && self.ep[1 - i].state.is_handshake() {
            self.timers
                .set_inactivity(&mut self.timer_bits, Inactivity::Established);
        }
        let e = &mut self.ep[i];
        e.prev_state = old;
        e.state = new;
    }

    /// §3: the endpoint state machine. Returns true when the packet closes
    /// this side (FIN or RST), which runs close handling.
    pub(in crate::flow) fn state_machine(
        &mut self,
        i: usize,
        was_orig: bool,
        ev: Event,
        t: i64,
        ctx: &mut Ctx<'_>,
    ) -> bool {
        let j = 1 - i;
        let peer = self.ep[j].state;
        match (self.ep[i].state, ev) {
            // INACTIVE, originator's SYN: the attempt starts (attempt timer).
            (St::Inactive, Event::Syn) if was_orig => {
                self.set_state(i, St::SynSent);
                self.timers
                    .arm_attempt(&mut self.timer_bits, t.saturating_add(FIVE_S));
                false
            }
            // INACTIVE, originator's first packet is a SYN-ACK (missed SYN or
            // a stealth scan): SYN_ACK_SENT, attempt timer too.
            (St::Inactive, Event::SynAck) if was_orig => {
                self.set_state(i, St::SynAckSent);
                self.timers
                    .arm_attempt(&mut self.timer_bits, t.saturating_add(FIVE_S));
                false
            }
            // INACTIVE, responder's SYN-ACK or SYN: it is established.
            (St::Inactive, Event::SynAck | Event::Syn) => {
                self.responder_syn(i, ev == Event::SynAck, ctx);
                false
            }
            // INACTIVE, FIN first: closed.
            (St::Inactive, Event::Fin) => {
                self.set_state(i, St::Closed);
                true
            }
            // INACTIVE, RST first: reset.
            (St::Inactive, Event::Rst) => {
                self.set_state(i, St::Reset);
                true
            }
            // INACTIVE, FIN+RST: closed, then reset (prev_state CLOSED).
            (St::Inactive, Event::FinRst) => {
                self.set_state(i, St::Closed);
                self.set_state(i, St::Reset);
                true
            }
            // INACTIVE, SYN with FIN and/or RST: the SYN step, then FIN, then RST.
            (St::Inactive, Event::SynClose { ack, fin, rst }) => {
                if was_orig {
                    let s = if ack { St::SynAckSent } else { St::SynSent };
                    self.set_state(i, s);
                    self.timers
                        .arm_attempt(&mut self.timer_bits, t.saturating_add(FIVE_S));
                } else {
                    self.responder_syn(i, ack, ctx);
                }
                if fin {
                    self.set_state(i, St::Closed);
                }
                if rst {
                    self.set_state(i, St::Reset);
                }
                true
            }
            // INACTIVE, responder's bare ACK while the originator waits in
            // SYN_SENT: some stacks ACK a SYN before answering it; stay.
            (St::Inactive, Event::Segment { payload: false, .. })
                if !was_orig && self.orig_ep().state == St::SynSent =>
            {
                false
            }
            // INACTIVE, ACK after the peer's SYN-ACK: this side's SYN was
            // missed, but the handshake is complete.
            (St::Inactive, Event::Segment { ack: true, .. }) if peer == St::Established => {
                self.set_state(i, St::Established);
                false
            }
            // INACTIVE, anything else: a connection whose start was missed.
            (St::Inactive, Event::Segment { .. }) => {
                self.set_state(i, St::Partial);
                false
            }
            // SYN_SENT/SYN_ACK_SENT, FIN: closed without a handshake.
            (St::SynSent | St::SynAckSent, Event::Fin) => {
                self.set_state(i, St::Closed);
                true
            }
            // SYN_SENT/SYN_ACK_SENT, RST: the attempt is aborted.
            (St::SynSent | St::SynAckSent, Event::Rst) => {
                self.set_state(i, St::Reset);
                true
            }
            // SYN_SENT/SYN_ACK_SENT, FIN+RST (with or without SYN).
            (St::SynSent | St::SynAckSent, Event::FinRst)
            | (
                St::SynSent | St::SynAckSent,
                Event::SynClose {
                    fin: true,
                    rst: true,
                    ..
                },
            ) => {
                self.set_state(i, St::Closed);
                self.set_state(i, St::Reset);
                true
            }
            // SYN_SENT/SYN_ACK_SENT, SYN+FIN.
            (St::SynSent | St::SynAckSent, Event::SynClose { fin: true, .. }) => {
                self.set_state(i, St::Closed);
                true
            }
            // SYN_SENT/SYN_ACK_SENT, SYN+RST.
            (St::SynSent | St::SynAckSent, Event::SynClose { .. }) => {
                self.set_state(i, St::Reset);
                true
            }
            // SYN_SENT/SYN_ACK_SENT, retransmitted SYN or bare ACK: no change;
            // only the responder's first SYN establishes this side.
            (St::SynSent | St::SynAckSent, Event::Syn | Event::SynAck)
            | (St::SynSent | St::SynAckSent, Event::Segment { payload: false, .. }) => false,
            // PARTIAL, pure SYN while the peer is silent: an attempt after all.
            (St::Partial, Event::Syn) if peer == St::Inactive => {
                self.set_state(i, St::SynSent);
                false
            }
            // ESTABLISHED/PARTIAL, FIN: this side closes; a peer that sent FIN
            // then RST is counted as a normal close after all.
            (St::Established | St::Partial, Event::Fin) => {
                self.fin_while_open(i);
                true
            }
            // ESTABLISHED/PARTIAL, RST (with or without FIN): reset.
            (St::Established | St::Partial, Event::Rst | Event::FinRst) => {
                self.set_state(i, St::Reset);
                true
            }
            // ESTABLISHED/PARTIAL, SYN with FIN and/or RST: each step in order.
            (s @ (St::Established | St::Partial), Event::SynClose { ack, fin, rst }) => {
                if s == St::Partial && peer == St::Inactive && !ack {
                    self.set_state(i, St::SynSent);
                }
                if fin && !rst {
                    self.fin_while_open(i);
                }
                if rst {
                    self.set_state(i, St::Reset);
                }
                true
            }
            // ESTABLISHED/PARTIAL, data and ACKs: the normal case.
            (St::Established | St::Partial, Event::Segment { .. }) => false,
            // CLOSED, RST before the peer closed: reset (after its own FIN).
            // A RST after both FINs changes nothing (§3).
            (St::Closed, Event::Rst | Event::FinRst | Event::SynClose { rst: true, .. })
                if peer != St::Closed =>
            {
                self.set_state(i, St::Reset);
                !self.ep[i].has(DID_CLOSE)
            }
            // CLOSED, retransmitted FIN, ACKs, or a RST after both FINs.
            (St::Closed, Event::Fin | Event::Rst | Event::FinRst | Event::Segment { .. }) => false,
            // RESET, bare ACKs and repeated RSTs: nothing changes.
            (St::Reset, Event::Rst | Event::Segment { payload: false, .. }) => false,
            // Everything else is legal to see but unexpected (Zeek raises a
            // "weird": SYN inside or after a connection, data before the
            // handshake or after a reset). No state changes.
            (state, ev) => {
                ctx.anomalies.count(unexpected(state, ev));
                false
            }
        }
    }

    /// A FIN from an ESTABLISHED or PARTIAL side.
    fn fin_while_open(&mut self, i: usize) {
        let j = 1 - i;
        self.set_state(i, St::Closed);
        if self.ep[j].state == St::Reset && self.ep[j].prev_state == St::Closed {
            self.set_state(j, St::Closed);
        }
    }

    /// The responder's first SYN or SYN-ACK (§3, E INACTIVE step 1; §2.5).
    fn responder_syn(&mut self, i: usize, with_ack: bool, ctx: &mut Ctx<'_>) {
        let j = 1 - i;
        if !with_ack && self.ep[j].state == St::SynAckSent {
            // SYN and SYN-ACK arrived swapped: the reuse test already checked
            // that this SYN matches the SYN-ACK's acknowledgement (§2.5).
            self.flip();
            self.set_state(j, St::Established);
        }
        if self.ep[j].state == St::SynSent {
            self.set_state(j, St::Established);
        }
        self.set_state(i, St::Established);
        if self.ep[j].state != St::Partial {
            self.connection_established(ctx);
        }
    }

    /// Zeek's `connection_established` event: interactive service ports (as
    /// the application hook names them) get the 1-hour inactivity timeout.
    /// The service port is the responder's, or the originator's when this
    /// is a half-seen connection whose only likely server port is that one
    /// (`inactivity.zeek`).
    fn connection_established(&mut self, ctx: &mut Ctx<'_>) {
        let o = usize::from(self.orig);
        let (orig_port, resp_port) = (self.port(o), self.port(1 - o));
        let lsp = ctx.likely_server_ports;
        let port = if self.orig_ep().state == St::Inactive
            && !lsp.contains(resp_port)
            && lsp.contains(orig_port)
        {
            orig_port
        } else {
            resp_port
        };
        if ctx.app.interactive_port(port) {
            self.timers
                .set_inactivity(&mut self.timer_bits, Inactivity::Interactive);
        }
    }

    /// §7.1 close handling, once per side: a completed close cancels the
    /// other timers and schedules removal 5 s after the last activity; an
    /// incomplete one adds an expire check 6 s later.
    pub(in crate::flow) fn connection_closed(&mut self, i: usize) {
        let j = 1 - i;
        if self.ep[i].has(DID_CLOSE) {
            return;
        }
        self.ep[i].mark(DID_CLOSE);
        let complete = self.ep[i].state == St::Reset
            || self.ep[j].has(DID_CLOSE)
            || self.ep[j].state == St::Inactive;
        if complete {
            self.timers
                .close_completed(&mut self.timer_bits, self.last.saturating_add(FIVE_S));
        } else if self.ep[i].prev_state != St::Inactive {
            self.timers
                .arm_extra_expire(&mut self.timer_bits, self.last.saturating_add(SIX_S));
        }
    }
}

/// Classifies an unexpected (state, event) pair: Zeek's "weird" for it.
fn unexpected(state: St, ev: Event) -> Anomaly {
    match (state, ev) {
        (St::Reset, _) => Anomaly::AfterReset,
        (St::SynSent | St::SynAckSent, Event::Segment { .. }) => Anomaly::DataBeforeEstablished,
        _ => Anomaly::SynInConnection,
    }
}
