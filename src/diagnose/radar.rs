//! The phase of a RST in Cloudflare Radar's terms, so a capture can be
//! set beside Radar's Internet-wide figures of TCP resets and timeouts.
//!
//! Radar ("Bringing insights into TCP resets and timeouts to Cloudflare
//! Radar", blog.cloudflare.com/tcp-resets-timeouts, 2024-09-05; API
//! `/radar/tcp_resets_timeouts/summary`: `post_syn`, `post_ack`,
//! `post_psh`, `later_in_flow`, `no_match`) counts connections that a
//! reset or timeout ended within the first 10 packets the server received
//! from the client, by what the server had received by then:
//!
//! - **Post-SYN** (mid-handshake): the client's SYN, and no ACK of the
//!   server's SYN-ACK;
//! - **Post-ACK** (immediately after the handshake): the SYN and the ACK,
//!   but no data packet;
//! - **Post-PSH** (after the first data packet): one packet with data (PSH);
//! - **Later** (after multiple data packets): more than one, still within
//!   the first 10 packets;
//! - anything else matches none of them.
//!
//! Here the packets counted are the client's as captured (the server's
//! ingress), a data packet is one carrying payload, and the window is the
//! client's packets in the whole record: a RST within the first 10 but
//! followed by more client packets is counted as none (conservative).

use std::fmt;

use crate::flow::RstPhase;

use super::facts::Facts;

/// Radar's window: packets from the client.
const WINDOW: u64 = 10;

/// Cloudflare Radar's connection stage at a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RadarPhase {
    /// After the client's SYN, before its handshake ACK.
    PostSyn,
    /// After the handshake, before any data from the client.
    PostAck,
    /// After the client's first data packet.
    PostPsh,
    /// After several data packets, within the client's first 10 packets.
    Later,
    /// Outside Radar's categories: past the client's 10th packet, or the
    /// client's SYN was not captured.
    None,
}

impl RadarPhase {
    /// The stable name (Radar's own words, kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            RadarPhase::PostSyn => "post-syn",
            RadarPhase::PostAck => "post-ack",
            RadarPhase::PostPsh => "post-psh",
            RadarPhase::Later => "later",
            RadarPhase::None => "none",
        }
    }
}

impl fmt::Display for RadarPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub(super) fn phase(f: &Facts<'_>) -> RadarPhase {
    if f.t.frames.syn.is_none() || f.client_pkts > WINDOW {
        return RadarPhase::None;
    }
    if f.rst.phase == RstPhase::Handshake {
        return RadarPhase::PostSyn;
    }
    match f.timeline().map_or(0, |t| t.data_segments[0]) {
        0 => RadarPhase::PostAck,
        1 => RadarPhase::PostPsh,
        _ => RadarPhase::Later,
    }
}
