//! What each side's IP headers said over one connection, as far as telling
//! a RST its claimed sender did not send needs: the TTL (hop limit) its
//! packets usually carry, whether its IPv4 identifications run as a
//! counter, its last packet before its first RST and the packets it sent
//! after that RST, and when the handshake's three packets passed.
//!
//! A side's own TCP sets one TTL for a connection (the route to the
//! capture point does not change between packets), and Linux numbers a
//! connected socket's datagrams from a per-socket counter that grows by
//! the number of segments sent (RFC 6864 §4 lets an atomic datagram carry
//! any value; Linux's RSTs from no socket and its SYN-ACKs carry 0). A
//! device on the path that forges a RST sets its own TTL and its own
//! identification. A few fixed fields per connection, kept only when
//! `lab diagnose` asks ([`super::AppOptions::ip_trail`]).

use crate::capture::Timestamp;
use crate::wire::{IpMarks, TcpSegment};

use super::Direction;
use super::timeline::Moment;

/// The largest step between consecutive identifications that still counts
/// as the same counter: a send of one large segment that offload splits
/// (64 KiB at the smallest common MSS) advances it by some 45.
pub const MAX_ID_STEP: u16 = 64;

/// How a RST's TCP header relates to the segment before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RstForm {
    /// No ACK flag, and its sequence number is the acknowledgment the
    /// peer's last segment carried: the answer RFC 9293 §3.10.7.1 gives a
    /// segment that reaches no connection (`<SEQ=SEG.ACK><CTL=RST>`).
    /// Linux answers in that form from no socket, from a listener, and from
    /// a socket that refuses a segment after its own FIN.
    Answer,
    /// No ACK flag, and no segment of the peer's carried that
    /// acknowledgment (or none was captured).
    NoAck,
    /// The ACK flag set: an abort (close with unread data, `SO_LINGER`
    /// {on, 0}, `ss -K`: Linux's `tcp_send_active_reset`), or the answer to
    /// a segment without ACK (a SYN).
    WithAck,
}

/// A side's first RST and its IP marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RstMarks {
    /// When it was captured.
    pub at: Moment,
    /// Its IP header's marks.
    pub ip: IpMarks,
    /// Its TCP header's form.
    pub form: RstForm,
}

/// One side's packets (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideTrail {
    /// Packets other than RSTs, before the connection's first RST.
    pub packets: u32,
    /// The TTL (hop limit) of the first of them.
    pub ttl: Option<u8>,
    /// How many of the others carried another TTL.
    pub ttl_changes: u32,
    /// The identification of the last of them whose identification was
    /// not zero (IPv4 only).
    pub last_id: Option<u16>,
    /// Steps of 1 to [`MAX_ID_STEP`] between consecutive non-zero
    /// identifications.
    pub id_steps: u32,
    /// Other steps: backwards, repeated, or larger.
    pub id_breaks: u32,
    /// The last of those packets.
    pub last: Option<Moment>,
    /// The side's first RST.
    pub rst: Option<RstMarks>,
    /// The acknowledgment number of the last of those packets that
    /// carried one, when `acked` (two fields, not an `Option`, so that
    /// they fit in this struct's padding: it is kept per open connection).
    last_ack: u32,
    /// One of those packets carried ACK.
    acked: bool,
    /// Packets other than RSTs and SYNs the side sent after its first RST.
    pub after_rst: u32,
    /// The first of them.
    pub first_after_rst: Option<Moment>,
}

impl SideTrail {
    /// The side's identifications ran as one counter: at least one step,
    /// every step forward and small.
    pub fn id_counter(&self) -> bool {
        self.id_steps > 0 && self.id_breaks == 0
    }

    /// The acknowledgment number the side's last packet with ACK carried.
    pub fn last_ack(&self) -> Option<u32> {
        self.acked.then_some(self.last_ack)
    }

    /// Every packet counted carried the same TTL.
    pub fn steady_ttl(&self) -> Option<u8> {
        self.ttl.filter(|_| self.ttl_changes == 0)
    }
}

/// One connection's trail, client side first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IpTrail {
    /// Client, server.
    pub sides: [SideTrail; 2],
    /// The client's first SYN.
    pub syn: Option<Timestamp>,
    /// The server's first SYN-ACK after it.
    pub syn_ack: Option<Timestamp>,
    /// The client's first ACK after that: the handshake's end.
    pub handshake_ack: Option<Timestamp>,
    /// A RST has been seen.
    rst_seen: bool,
    /// A SYN came after it: the 4-tuple may carry a new connection, whose
    /// packets are no side's sending after its RST.
    reopened: bool,
}

impl IpTrail {
    /// One segment of the connection.
    pub fn segment(&mut self, at: Moment, sender: Direction, seg: &TcpSegment<'_>) {
        let i = match sender {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        };
        let f = seg.flags;
        match (i, f.syn(), f.ack()) {
            (0, true, false) if self.syn.is_none() => self.syn = Some(at.ts),
            (1, true, true) if self.syn.is_some() && self.syn_ack.is_none() => {
                self.syn_ack = Some(at.ts);
            }
            (0, false, true) if self.syn_ack.is_some() && self.handshake_ack.is_none() => {
                self.handshake_ack = Some(at.ts);
            }
            _ => {}
        }
        if self.rst_seen && f.syn() {
            self.reopened = true;
        }
        let peer_ack = self.sides[1 - i].last_ack();
        let side = &mut self.sides[i];
        if f.rst() {
            self.rst_seen = true;
            if side.rst.is_none() {
                let form = if f.ack() {
                    RstForm::WithAck
                } else if peer_ack == Some(seg.seq.0) {
                    RstForm::Answer
                } else {
                    RstForm::NoAck
                };
                side.rst = Some(RstMarks {
                    at,
                    ip: seg.ip,
                    form,
                });
            }
            return;
        }
        if side.rst.is_some() {
            if !self.reopened {
                side.after_rst = side.after_rst.saturating_add(1);
                side.first_after_rst.get_or_insert(at);
            }
            return;
        }
        if self.rst_seen {
            return;
        }
        side.packets = side.packets.saturating_add(1);
        match side.ttl {
            None => side.ttl = Some(seg.ip.ttl),
            Some(t) if t != seg.ip.ttl => side.ttl_changes = side.ttl_changes.saturating_add(1),
            Some(_) => {}
        }
        if let Some(id) = seg.ip.id.filter(|&id| id != 0) {
            if let Some(last) = side.last_id {
                let step = id.wrapping_sub(last);
                if (1..=MAX_ID_STEP).contains(&step) {
                    side.id_steps = side.id_steps.saturating_add(1);
                } else {
                    side.id_breaks = side.id_breaks.saturating_add(1);
                }
            }
            side.last_id = Some(id);
        }
        if f.ack() {
            side.last_ack = seg.ack.0;
            side.acked = true;
        }
        side.last = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_kept_per_open_connection_stays_small() {
        // What `lab diagnose` holds per open connection beyond the
        // analyzer's decoder (README, "Performance"): 88 bytes a side.
        assert!(
            std::mem::size_of::<SideTrail>() <= 88,
            "{}",
            std::mem::size_of::<SideTrail>()
        );
        assert!(
            std::mem::size_of::<IpTrail>() <= 232,
            "{}",
            std::mem::size_of::<IpTrail>()
        );
    }
}
