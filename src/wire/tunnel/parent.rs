//! Which tunnel a decapsulated segment came out of.
//!
//! Zeek logs, in a tunneled connection's `tunnel_parents`, the uid of its
//! innermost encapsulation: the outer UDP connection of a UDP tunnel
//! (VXLAN, Geneve, Teredo, GTP, AYIYA), or, for GRE (over IP or UDP) and IP
//! in IP, a tunnel Zeek keys by the outer address pair either way round and
//! the tunnel type (`IPTunnelAnalyzer`), whatever UDP ports carry it.
//! [`TunnelId`] is that identity: a hash of the tunnel kind, the outer
//! addresses and, for UDP tunnels, ports, the same either way.

use std::net::IpAddr;
use std::num::NonZeroU64;

use super::super::TunnelKind;
use super::super::ip::Transport;

/// The identity of the innermost tunnel around a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TunnelId(NonZeroU64);

impl TunnelId {
    /// The identity as a number (never 0).
    pub fn get(self) -> u64 {
        self.0.get()
    }

    /// The tunnel of kind `kind` that `outer` (the packet carrying the
    /// tunnel header) is part of. A UDP tunnel is its UDP connection, so its
    /// `ports` (source, destination) are given; GRE and IP in IP are their
    /// address pair, even when GRE rides in UDP (RFC 8086), and come
    /// without.
    pub(in super::super) fn of(
        outer: &Transport<'_>,
        ports: Option<(u16, u16)>,
        kind: TunnelKind,
    ) -> Self {
        let (sport, dport) = ports.unwrap_or((0, 0));
        // Either direction gives the same identity (Zeek's connection key
        // and its IP tunnel key are both direction-free).
        let a = (bytes16(outer.src), sport);
        let b = (bytes16(outer.dst), dport);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        // FNV-1a over the kind, then each end's address and port.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &x in bytes {
                h = (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(&[kind as u8]);
        for (addr, port) in [lo, hi] {
            eat(&addr);
            eat(&port.to_be_bytes());
        }
        TunnelId(NonZeroU64::new(h).unwrap_or(NonZeroU64::MIN))
    }
}

/// An address as 16 bytes, IPv4 in its IPv4-mapped form (RFC 4291 §2.5.5.2).
fn bytes16(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

#[cfg(test)]
mod tests;
