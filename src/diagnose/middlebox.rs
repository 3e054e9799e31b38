//! Who really sent a RST: one whose IP header is not its claimed sender's,
//! or after which that sender keeps talking, is `middlebox-suspected`.
//!
//! Three signs decide, each against the claimed sender's own packets
//! before the RST ([`IpTrail`]):
//!
//! - **TTL**: every packet of the sender carried one TTL (hop limit) and
//!   the RST another. A sender's stack sets one initial TTL and the path
//!   to the capture point takes the same hops, so a different count means
//!   another origin (RFC 791 §3.1, RFC 8200 §3).
//! - **IP identification**: the sender's identifications ran as a counter
//!   and the RST's is neither zero nor just ahead of it (and often equal
//!   to the peer's last one: an injector copying the packet it answers).
//!   Zero is exempt: RFC 6864 §4 leaves an atomic datagram's value free,
//!   and Linux's RSTs from no socket carry 0.
//! - **It keeps sending**: a TCP that resets a connection forgets it
//!   (RFC 9293 §3.10.7); packets from the same side afterwards (no new
//!   SYN in between) come from a TCP that never sent that RST.
//!
//! Timing is reported beside them but never decides alone: a RST that
//! reaches the capture point sooner after the peer's last packet than half
//! the sender's round trip (from the handshake) cannot answer that packet,
//! but a close the sender chose on its own (an idle timeout crossing a
//! request in flight, the keep-alive race) arrives just as fast.

use crate::app::ip_trail::{IpTrail, RstMarks, SideTrail};

use super::facts::{Facts, role_index};

/// How far ahead of the sender's last identification its RST's may be
/// and still be the same counter: a few other packets of the sender that
/// the capture missed, never a stranger's random value (1 in 32 by
/// chance).
const MAX_RST_ID_GAP: u16 = 2048;

/// Round trips shorter than this (loopback, a LAN) say nothing of timing:
/// scheduling alone moves a packet by as much.
const MIN_TIMED_RTT_NS: i64 = 1_000_000;

/// The RST's TTL is not its sender's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlSign {
    /// What every other packet of the sender carried.
    pub usual: u8,
    /// What the RST carried.
    pub seen: u8,
}

/// The RST's IP identification breaks its sender's counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdSign {
    /// The sender's last identification before the RST.
    pub last: u16,
    /// The RST's.
    pub seen: u16,
    /// The RST's equals the peer's last one.
    pub copies_peer: bool,
}

/// The claimed sender kept sending after its RST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendsAfter {
    /// Its packets after the RST.
    pub packets: u32,
    /// The first of them.
    pub first_frame: u64,
}

/// How soon the RST came after the peer's last packet, beside the
/// sender's round trip measured from the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Nanoseconds from the peer's last packet to the RST.
    pub after_peer_ns: i64,
    /// The sender's round trip from the capture point: SYN to SYN-ACK for
    /// the server, SYN-ACK to the handshake's ACK for the client.
    pub rtt_ns: i64,
}

impl Timing {
    /// Too soon to answer the peer's last packet.
    pub fn too_soon(&self) -> bool {
        self.rtt_ns >= MIN_TIMED_RTT_NS
            && self.after_peer_ns >= 0
            && self.after_peer_ns * 2 < self.rtt_ns
    }
}

/// The other side's RST, when it too shows a stranger's marks: the pair a
/// censor sends, one to each end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairedRst {
    /// Its frame.
    pub frame: u64,
    /// Its TTL sign.
    pub ttl: Option<TtlSign>,
    /// Its identification sign.
    pub ip_id: Option<IdSign>,
}

/// What makes a RST suspected (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiddleboxSigns {
    /// The TTL differs.
    pub ttl: Option<TtlSign>,
    /// The identification breaks the counter.
    pub ip_id: Option<IdSign>,
    /// The sender kept sending.
    pub sends_after: Option<SendsAfter>,
    /// The timing, when the handshake gave a round trip (reported, never
    /// deciding).
    pub timing: Option<Timing>,
    /// The other side's RST, forged alike.
    pub pair: Option<PairedRst>,
    /// The frame of the sender's last packet before the RST (what its
    /// marks are compared with).
    pub usual_frame: Option<u64>,
}

/// The signs of the connection's first RST, when at least one decides.
pub(super) fn signs(f: &Facts<'_>) -> Option<MiddleboxSigns> {
    let trail = f.app.and_then(|a| a.ip_trail.as_deref())?;
    let i = role_index(f.rst.sender);
    let (side, peer) = (&trail.sides[i], &trail.sides[1 - i]);
    let rst = side.rst.filter(|r| r.at.frame.get() == f.rst.frame)?;
    let (ttl, ip_id) = marks(side, peer, &rst);
    let sends_after = side.first_after_rst.map(|m| SendsAfter {
        packets: side.after_rst,
        first_frame: m.frame.get(),
    });
    if ttl.is_none() && ip_id.is_none() && sends_after.is_none() {
        return None;
    }
    let pair = peer.rst.and_then(|r| {
        let (ttl, ip_id) = marks(peer, side, &r);
        (ttl.is_some() || ip_id.is_some()).then_some(PairedRst {
            frame: r.at.frame.get(),
            ttl,
            ip_id,
        })
    });
    Some(MiddleboxSigns {
        ttl,
        ip_id,
        sends_after,
        timing: timing(trail, i, peer, &rst),
        pair,
        usual_frame: side.last.map(|m| m.frame.get()),
    })
}

/// The TTL and identification signs of `side`'s RST `rst`.
fn marks(side: &SideTrail, peer: &SideTrail, rst: &RstMarks) -> (Option<TtlSign>, Option<IdSign>) {
    let ttl = side
        .steady_ttl()
        .filter(|&usual| usual != rst.ip.ttl)
        .map(|usual| TtlSign {
            usual,
            seen: rst.ip.ttl,
        });
    let ip_id = match (side.last_id, rst.ip.id) {
        (Some(last), Some(seen)) if side.id_counter() && seen != 0 => {
            let ahead = seen.wrapping_sub(last);
            (!(1..=MAX_RST_ID_GAP).contains(&ahead)).then_some(IdSign {
                last,
                seen,
                copies_peer: peer.last_id == Some(seen),
            })
        }
        _ => None,
    };
    (ttl, ip_id)
}

/// The RST's delay after the peer's last packet, with the sender's round
/// trip from the handshake.
fn timing(trail: &IpTrail, i: usize, peer: &SideTrail, rst: &RstMarks) -> Option<Timing> {
    let rtt = if i == 1 {
        trail.syn_ack?.0 - trail.syn?.0
    } else {
        trail.handshake_ack?.0 - trail.syn_ack?.0
    };
    Some(Timing {
        after_peer_ns: rst.at.ts.0 - peer.last?.ts.0,
        rtt_ns: rtt,
    })
}
