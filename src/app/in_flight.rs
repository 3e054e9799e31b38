//! What each side had sent and what its peer had acknowledged, in stream
//! offsets, so that a RST can be weighed: the bytes it destroyed.
//!
//! Only what the packets prove is counted. Sequence numbers number bytes
//! (RFC 9293 §3.4); an ACK says the peer's TCP received everything before
//! it. So at a RST from side S:
//! - **lost bytes**: S had sent them, its peer had not acknowledged them;
//!   the peer may never see them (a response tail);
//! - **unacknowledged bytes**: S had received them (the capture shows its
//!   peer sending them) without acknowledging them, the RST's own ACK
//!   field included; they die in S's kernel.
//!
//! Bytes a kernel acknowledged and its application never read are invisible
//! here: a no-read server and a server that read 10 bytes send the same
//! packets.

use crate::wire::TcpSegment;

/// One direction's bytes: sent, and acknowledged by the receiver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirBytes {
    /// The sequence number of stream offset 0 (the SYN's plus one, or the
    /// first segment's when the SYN was not captured), once `has_base`.
    /// (Flags beside the values rather than `Option`s: a direction is 24
    /// bytes instead of 32, and every connection held, settled ones
    /// included, keeps two.)
    base_seq: u32,
    has_base: bool,
    /// `acked_at` holds the receiver's first ACK on.
    has_acked: bool,
    /// One past the last byte sent (the highest seen), the FIN excluded.
    sent: u64,
    /// The receiver's highest acknowledgment, as a stream offset.
    acked_at: u64,
}

impl DirBytes {
    /// The stream offset of a sequence number, taken next to the bytes
    /// sent so far so that 32-bit wrap-around is followed.
    fn offset(&self, seq: u32) -> Option<i64> {
        let base = self.base()?;
        let here = base.wrapping_add(self.sent as u32);
        Some(self.sent as i64 + i64::from(seq.wrapping_sub(here) as i32))
    }

    /// The first stream offset's sequence number, once known.
    pub fn base(&self) -> Option<u32> {
        self.has_base.then_some(self.base_seq)
    }

    fn set_base(&mut self, seq: u32) {
        (self.base_seq, self.has_base) = (seq, true);
    }

    /// The receiver's highest acknowledgment, uncapped.
    fn highest_ack(&self) -> Option<u64> {
        self.has_acked.then_some(self.acked_at)
    }

    /// Bytes sent (one past the highest).
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// The receiver's highest acknowledgment, capped at what was sent (the
    /// FIN takes a sequence number but is no byte).
    pub fn acked(&self) -> Option<u64> {
        self.highest_ack().map(|a| a.min(self.sent))
    }

    /// A segment from this direction's sender.
    pub fn sent_segment(&mut self, seg: &TcpSegment<'_>) {
        if seg.flags.syn() {
            if !self.has_base || self.sent == 0 {
                self.set_base(seg.seq.0.wrapping_add(1));
            }
            return;
        }
        if !self.has_base {
            self.set_base(seg.seq.0);
        }
        if let Some(at) = self.offset(seg.seq.0) {
            let end = at + i64::from(seg.payload_len);
            if end > self.sent as i64 {
                self.sent = end as u64;
            }
        }
    }

    /// An acknowledgment number from this direction's receiver.
    pub fn acknowledged(&mut self, ack: u32) {
        if let Some(at) = self.offset(ack)
            && at >= 0
            && self.highest_ack().is_none_or(|a| at as u64 > a)
        {
            (self.acked_at, self.has_acked) = (at as u64, true);
        }
    }

    /// Bytes sent and not acknowledged (as far as the packets tell).
    pub fn outstanding(&self) -> Option<u64> {
        self.base()?;
        Some(self.sent - self.acked().unwrap_or(0))
    }
}

/// What a RST destroyed, by the side that sent it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RstLoss {
    /// Bytes the sender had sent that its peer had not acknowledged.
    pub lost_bytes: Option<u64>,
    /// Stream offsets (the sender's direction) of those bytes.
    pub lost_range: Option<(u64, u64)>,
    /// Bytes the sender had received and not acknowledged.
    pub unacked_bytes: Option<u64>,
    /// Stream offsets (the peer's direction) of those bytes.
    pub unacked_range: Option<(u64, u64)>,
}

impl RstLoss {
    /// At a RST: `own` is the sender's direction, `peer` the other.
    pub fn at(own: &DirBytes, peer: &DirBytes) -> Self {
        let range = |d: &DirBytes| d.base().map(|_| (d.acked().unwrap_or(0), d.sent));
        RstLoss {
            lost_bytes: own.outstanding(),
            lost_range: range(own),
            unacked_bytes: peer.outstanding(),
            unacked_range: range(peer),
        }
    }
}
