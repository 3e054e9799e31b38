//! The phase of a RST in Cloudflare Radar's terms, so a capture can be
//! set beside Radar's Internet-wide figures of TCP resets and timeouts.
//!
//! Checked against Cloudflare's own words (2024-09-05, "Bringing insights
//! into TCP resets and timeouts to Cloudflare Radar",
//! blog.cloudflare.com/tcp-resets-timeouts, and the API reference of
//! `GET /radar/tcp_resets_timeouts/summary`, whose fields are `post_syn`,
//! `post_ack`, `post_psh`, `later_in_flow` and `no_match`): Radar counts the
//! connections that "terminate within the first 10 ingress packets due to
//! resets or timeouts" (the API: "terminated within the first 10 packets
//! by a reset or timeout"), ingress being what the server receives from
//! the client, and sorts them by stage:
//!
//! - **Post-SYN** (mid-handshake): the server had the client's SYN, and
//!   the client never acknowledged the SYN-ACK;
//! - **Post-ACK** (immediately post-handshake): the handshake completed,
//!   and no data came;
//! - **Post-PSH** (after the first data packet): the server had received
//!   one packet with the PSH flag;
//! - **Later** (after multiple data packets): several data packets, still
//!   within the first 10 from the client;
//! - anything else is `no_match` (here [`RadarPhase::None`]).
//!
//! Two readings are this project's, said here so nobody takes them for
//! Radar's: a data packet is one carrying payload (a large write sets PSH
//! on its last segment only, and every such segment is data), and the 10
//! are the client's packets up to the first RST, that RST included when
//! the client sent it (from the IP trail `lab diagnose` keeps; without
//! one, the client's packets in the whole record, which errs toward
//! `none`). Radar sees resets at its servers; here a RST from either side
//! is placed on the same scale.

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
    let trail = f.app.and_then(|a| a.ip_trail.as_deref());
    let ingress = trail.map_or(f.client_pkts, |t| {
        let rst = u64::from(
            t.sides[0]
                .rst
                .is_some_and(|r| r.at.frame.get() == f.rst.frame),
        );
        u64::from(t.sides[0].packets) + rst
    });
    if f.t.frames.syn.is_none() || ingress > WINDOW {
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
