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
use super::super::ip::{Transport, proto};

/// The identity of the innermost tunnel around a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TunnelId(NonZeroU64);

impl TunnelId {
    /// The identity as a number (never 0).
    pub fn get(self) -> u64 {
        self.0.get()
    }

    /// The tunnel of kind `kind` that `outer` (the packet carrying the
    /// tunnel header) is part of.
    pub(in super::super) fn of(outer: &Transport<'_>, kind: TunnelKind) -> Self {
        // A UDP tunnel is its UDP connection; GRE and IP in IP are their
        // address pair, even when GRE rides in UDP (RFC 8086).
        let by_flow = outer.proto == proto::UDP && kind != TunnelKind::Gre;
        let ports = |off: usize| match outer.captured.get(off..off + 2) {
            Some(p) if by_flow => u16::from_be_bytes([p[0], p[1]]),
            _ => 0,
        };
        // Either direction gives the same identity (Zeek's connection key
        // and its IP tunnel key are both direction-free).
        let a = (bytes16(outer.src), ports(0));
        let b = (bytes16(outer.dst), ports(2));
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
mod tests {
    use super::*;

    fn outer<'a>(src: &str, dst: &str, proto: u8, udp: &'a [u8]) -> Transport<'a> {
        Transport {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            proto,
            captured: udp,
            rest: udp,
            len: udp.len() as u32,
            ip_len: 20 + udp.len() as u32,
            first_fragment: false,
        }
    }

    #[test]
    fn either_direction_is_one_tunnel() {
        let there = [0xc0, 0x00, 0x12, 0xb5, 0, 8, 0, 0];
        let back = [0x12, 0xb5, 0xc0, 0x00, 0, 8, 0, 0];
        let a = TunnelId::of(
            &outer("10.0.0.1", "10.0.0.2", proto::UDP, &there),
            TunnelKind::Vxlan,
        );
        let b = TunnelId::of(
            &outer("10.0.0.2", "10.0.0.1", proto::UDP, &back),
            TunnelKind::Vxlan,
        );
        assert_eq!(a, b);
    }

    #[test]
    fn a_udp_tunnel_is_its_flow_and_gre_its_address_pair() {
        let p1 = [0xc0, 0x00, 0x12, 0x92, 0, 8, 0, 0];
        let p2 = [0xc0, 0x01, 0x12, 0x92, 0, 8, 0, 0];
        let (a, b) = ("10.0.0.1", "10.0.0.2");
        let id = |udp: &[u8], kind| TunnelId::of(&outer(a, b, proto::UDP, udp), kind);
        // Another source port is another VXLAN connection…
        assert_ne!(id(&p1, TunnelKind::Vxlan), id(&p2, TunnelKind::Vxlan));
        // …but the same GRE tunnel (RFC 8086 varies it for load balancing),
        // and GRE over IP between the same addresses too.
        assert_eq!(id(&p1, TunnelKind::Gre), id(&p2, TunnelKind::Gre));
        let gre_ip = TunnelId::of(&outer(b, a, proto::GRE, &[0; 4]), TunnelKind::Gre);
        assert_eq!(id(&p1, TunnelKind::Gre), gre_ip);
        // Another kind between the same ends is another tunnel.
        let ipip = TunnelId::of(&outer(a, b, proto::IPIP, &[]), TunnelKind::IpInIp);
        assert_ne!(ipip, gre_ip);
    }
}
