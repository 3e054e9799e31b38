//! One side of a TCP connection as Zeek tracks it: its state, its sequence
//! bookkeeping, its counters, and the few facts the teardown verdict needs.
//!
//! Sequence rules follow `docs/zeek-conn-state.md` §6 (initial sequence numbers,
//! highest sequence sent, highest sequence acknowledged by the peer, 64-bit
//! sizes via wrap counters) and §5.5 (what counts as a retransmission). All
//! arithmetic on 32-bit sequence numbers is modulo 2^32 (RFC 9293 §3.4).

use std::fmt;

use crate::wire::SeqNum;

use super::history::Scaled;

/// Zeek's endpoint states (§3). The numbers are the values Zeek prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum EndpointState {
    /// Nothing seen from this side yet (or only packets that changed nothing).
    #[default]
    Inactive = 0,
    /// A pure SYN was seen from this side.
    SynSent = 1,
    /// This side is the originator and its first packet was a SYN-ACK.
    SynAckSent = 2,
    /// Traffic without a SYN was seen from this side (its start was missed).
    Partial = 3,
    /// The handshake completed as far as this side is concerned.
    Established = 4,
    /// A FIN was seen from this side.
    Closed = 5,
    /// A RST was seen from this side.
    Reset = 6,
}

impl EndpointState {
    /// Zeek's spelling (`TCP_ESTABLISHED` without the prefix).
    pub fn name(self) -> &'static str {
        match self {
            EndpointState::Inactive => "INACTIVE",
            EndpointState::SynSent => "SYN_SENT",
            EndpointState::SynAckSent => "SYN_ACK_SENT",
            EndpointState::Partial => "PARTIAL",
            EndpointState::Established => "ESTABLISHED",
            EndpointState::Closed => "CLOSED",
            EndpointState::Reset => "RESET",
        }
    }

    /// The handshake states (INACTIVE, SYN_SENT, SYN_ACK_SENT): while both
    /// sides are in them the inactivity timeout is the short one (§7.1).
    pub fn is_handshake(self) -> bool {
        matches!(
            self,
            EndpointState::Inactive | EndpointState::SynSent | EndpointState::SynAckSent
        )
    }

    /// INACTIVE or PARTIAL: "inactive" for `conn_state` (§4).
    pub fn is_inactive_like(self) -> bool {
        matches!(self, EndpointState::Inactive | EndpointState::Partial)
    }
}

impl fmt::Display for EndpointState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a RST related to the sender's close, decided when its first RST is
/// processed (see [`crate::teardown`] for the rules and their limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RstPhase {
    /// Before the handshake completed: answering a SYN, or aborting its own
    /// attempt (a refused or abandoned connection).
    Handshake,
    /// No FIN from either side and no payload received from the peer.
    WithoutFin,
    /// No FIN from the sender, which had received payload from the peer: the
    /// shape of `close()` with unread data (RFC 1122 §4.2.2.13). An
    /// `SO_LINGER` zero-timeout abort after reading everything looks the same.
    UnreadData,
    /// The sender had sent its own FIN, and no new payload came after it.
    AfterOwnFin,
    /// The sender had sent its FIN and the peer then sent new payload: data
    /// after close (RFC 1122 §4.2.2.13, RFC 2525 §2.16).
    DataAfterClose,
    /// The sender had not sent a FIN, but the peer had.
    AfterPeerFin,
}

impl RstPhase {
    /// Stable lower-case name used in every output.
    pub fn name(self) -> &'static str {
        match self {
            RstPhase::Handshake => "handshake",
            RstPhase::WithoutFin => "without_fin",
            RstPhase::UnreadData => "unread_data",
            RstPhase::AfterOwnFin => "after_own_fin",
            RstPhase::DataAfterClose => "data_after_close",
            RstPhase::AfterPeerFin => "after_peer_fin",
        }
    }
}

/// One endpoint's record.
#[derive(Clone, Debug, Default)]
pub struct TcpEndpoint {
    /// Current state.
    pub(in crate::flow) state: EndpointState,
    /// State before the last change.
    pub(in crate::flow) prev_state: EndpointState,
    /// One-bit facts, see the `Bit` constants.
    pub(in crate::flow) bits: u8,
    /// Phase of this side's first RST.
    pub(in crate::flow) rst_phase: Option<RstPhase>,
    /// Initial sequence number (Zeek keeps it in a 64-bit field, but every
    /// value it stores there is a 32-bit sequence number).
    pub(in crate::flow) start_seq: u32,
    /// One past the highest sequence number sent ("last_seq", §5.5).
    pub(in crate::flow) last_seq: u32,
    /// Highest sequence number the peer acknowledged (§6.2).
    pub(in crate::flow) ack_seq: u32,
    /// Wraps of `last_seq` past 2^32, for 64-bit sizes (16 bits cover
    /// 256 TiB per direction).
    pub(in crate::flow) seq_wraps: u16,
    /// Wraps of `ack_seq` past 2^32.
    pub(in crate::flow) ack_wraps: u16,
    /// Relative position of the last SYN, FIN and RST (§5.4 rule 2). Zeek
    /// keeps 64 bits; only equality is ever asked, and two positions that
    /// differ by an exact multiple of 4 GiB are not a realistic case.
    pub(in crate::flow) hist_last_syn: u32,
    pub(in crate::flow) hist_last_fin: u32,
    pub(in crate::flow) hist_last_rst: u32,
    /// Retransmissions (`T`). The rarer logarithmic letters (`W`, `C`, `G`)
    /// count in the record's rarely used part (`gaps.rs`), which keeps this
    /// record small.
    pub(in crate::flow) rxmit: Scaled,
    /// Packets processed from this side (Zeek's conn-size analyzer);
    /// saturates at 2^32 − 1.
    pub(in crate::flow) pkts: u32,
    /// Sum of their IP lengths.
    pub(in crate::flow) ip_bytes: u64,
}

/// A close (FIN or RST) from this side has been processed (Zeek's `did_close`).
pub(in crate::flow) const DID_CLOSE: u8 = 1;
/// At least one FIN was seen (Zeek's `FIN_cnt > 0`; it shortens the size).
pub(in crate::flow) const FIN_SEEN: u8 = 2;
/// This side sent payload that advanced its sequence space.
pub(in crate::flow) const SENT_PAYLOAD: u8 = 4;
/// The peer sent new payload after this side's FIN.
pub(in crate::flow) const DATA_AFTER_FIN: u8 = 8;
/// This side opened with an interactive protocol's greeting (an SSH
/// version banner; see `flow/app_hook.rs`).
pub(in crate::flow) const GREETING: u8 = 16;

impl TcpEndpoint {
    /// Whether one of the `bits` facts holds.
    pub(in crate::flow) fn has(&self, bit: u8) -> bool {
        self.bits & bit != 0
    }

    /// Records one of the `bits` facts.
    pub(in crate::flow) fn mark(&mut self, bit: u8) {
        self.bits |= bit;
    }

    /// Current state.
    pub fn state(&self) -> EndpointState {
        self.state
    }

    /// Packets processed from this side.
    pub fn pkts(&self) -> u64 {
        u64::from(self.pkts)
    }

    /// Sum of the IP lengths of those packets (`orig_ip_bytes`).
    pub fn ip_bytes(&self) -> u64 {
        self.ip_bytes
    }

    /// Whether a FIN from this side was seen.
    pub fn fin_seen(&self) -> bool {
        self.has(FIN_SEEN)
    }

    /// Phase of this side's first RST, if it sent one.
    pub fn rst_phase(&self) -> Option<RstPhase> {
        self.rst_phase
    }

    /// Whether this side sent payload.
    pub fn sent_payload(&self) -> bool {
        self.has(SENT_PAYLOAD)
    }

    /// Sets initial sequence number, acknowledged and highest sequence at once.
    pub(in crate::flow) fn init_seqs(&mut self, start: u32, ack: u32, last: u32) {
        self.start_seq = start;
        self.ack_seq = ack;
        self.last_seq = last;
    }

    /// Moves the highest sequence sent forward, counting a wrap when the
    /// 32-bit value falls numerically (Zeek compares unsigned here).
    pub(in crate::flow) fn advance_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps = self.seq_wraps.wrapping_add(1);
        }
        self.last_seq = seq;
    }

    /// Moves the acknowledged sequence forward (same wrap rule).
    pub(in crate::flow) fn advance_ack_seq(&mut self, seq: u32) {
        if seq < self.ack_seq {
            self.ack_wraps = self.ack_wraps.wrapping_add(1);
        }
        self.ack_seq = seq;
    }

    /// Position of `seq` relative to the ISN in 64 bits, given the last known
    /// value and its wrap count (Zeek's `get_relative_seq`): a step across the
    /// 2^32 boundary adjusts the wrap count, and with no wraps the plain signed
    /// distance is used (negative values wrap to huge ones, as in Zeek).
    /// The second value is true when that distance is negative ("underflow").
    pub(in crate::flow) fn relative(&self, seq: u32, last: u32, wraps: u16) -> (u64, bool) {
        let delta = SeqNum(seq).diff(SeqNum(last));
        let mut w = u32::from(wraps);
        if delta < 0 {
            if w > 0 && seq > last {
                w -= 1;
            }
        } else if delta > 0 && seq < last {
            w += 1;
        }
        if w == 0 {
            let d = SeqNum(seq).diff(SeqNum(self.start_seq));
            ((i64::from(d)) as u64, d < 0)
        } else {
            let full = (u64::from(w) << 32) + u64::from(seq);
            (full.wrapping_sub(u64::from(self.start_seq)), false)
        }
    }

    /// Nothing beyond the ISN (or the SYN octet) was acknowledged.
    pub(in crate::flow) fn no_data_acked(&self) -> bool {
        let ack = (u64::from(self.ack_wraps) << 32) + u64::from(self.ack_seq);
        let start = u64::from(self.start_seq);
        ack == start || ack == start + 1
    }

    /// Bytes this side sent, as Zeek computes `orig_bytes`/`resp_bytes`
    /// (§6.2): the larger of highest sequence sent and highest acknowledged,
    /// minus the ISN, minus one for the SYN and one for a FIN.
    pub fn size(&self, peer_state: EndpointState) -> u64 {
        // A half-open connection discovered and aborted: its sequence numbers
        // say nothing about data (§6.2, special case).
        if self.prev_state == EndpointState::SynSent
            && self.state == EndpointState::Reset
            && peer_state == EndpointState::Inactive
            && !self.no_data_acked()
        {
            return 0;
        }
        let last = (u64::from(self.seq_wraps) << 32) + u64::from(self.last_seq);
        let ack = (u64::from(self.ack_wraps) << 32) + u64::from(self.ack_seq);
        let mut size = last.max(ack).wrapping_sub(u64::from(self.start_seq));
        size = size.saturating_sub(1);
        if self.has(FIN_SEEN) && size != 0 {
            size -= 1;
        }
        size
    }
}

#[cfg(test)]
mod tests;
