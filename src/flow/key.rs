//! Connection keys: the 5-tuple without direction, and a cheap hash for it.
//!
//! Zeek finds a connection by its 5-tuple regardless of direction
//! (`docs/zeek-conn-state.md` §1, step 1), so both directions of a TCP
//! connection must land on one key. The fifth element, the transport
//! protocol ([`TransportProto`]), is not stored per connection: a table
//! holds one transport's connections, so the record derives it
//! (`Connection::transport`) at no cost in memory. [`FlowKey`] orders its two endpoints, and
//! [`FlowKey::hash32`] hashes that canonical form; the flow table keeps
//! orientation (who is originator) in the connection, not in the key.

use std::net::{IpAddr, Ipv4Addr};

use crate::wire::{Endpoint, TunnelId};

/// The two endpoints of a connection as it stores them: an IPv4 pair with
/// its ports inline (12 bytes), anything else (IPv6, or the mixed pair no
/// real packet carries but no input may make fail) behind one pointer, so a
/// connection record stays small for the common IPv4 case. Allocation
/// happens once per IPv6 connection, never per packet. A tunneled
/// connection also moves behind the pointer, where its tunnels are noted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Ends {
    V4 {
        addrs: [Ipv4Addr; 2],
        ports: [u16; 2],
    },
    Other(Box<Wide>),
}

/// The endpoints that do not fit inline, and the tunnels the connection's
/// segments came out of (Zeek's `tunnel_parents`; the first two distinct
/// ones, which covers one tunnel or one per direction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Wide {
    ends: [Endpoint; 2],
    parents: [Option<TunnelId>; 2],
}

impl Ends {
    pub(super) fn new(a: Endpoint, b: Endpoint) -> Self {
        match (a.addr, b.addr) {
            (IpAddr::V4(x), IpAddr::V4(y)) => Ends::V4 {
                addrs: [x, y],
                ports: [a.port, b.port],
            },
            _ => Ends::Other(Box::new(Wide {
                ends: [a, b],
                parents: [None; 2],
            })),
        }
    }

    /// Notes a tunnel this connection's segments came out of.
    pub(super) fn add_parent(&mut self, p: TunnelId) {
        if let Ends::V4 { .. } = self {
            *self = Ends::Other(Box::new(Wide {
                ends: [self.get(0), self.get(1)],
                parents: [None; 2],
            }));
        }
        if let Ends::Other(w) = self {
            if w.parents.contains(&Some(p)) {
                return;
            }
            if let Some(free) = w.parents.iter_mut().find(|q| q.is_none()) {
                *free = Some(p);
            }
        }
    }

    /// The tunnels noted, in the order first seen.
    pub(super) fn parents(&self) -> [Option<TunnelId>; 2] {
        match self {
            Ends::V4 { .. } => [None; 2],
            Ends::Other(w) => w.parents,
        }
    }

    /// Endpoint `i` (0 or 1).
    #[inline]
    pub(super) fn get(&self, i: usize) -> Endpoint {
        match self {
            Ends::V4 { addrs, ports } => Endpoint {
                addr: IpAddr::V4(addrs[i & 1]),
                port: ports[i & 1],
            },
            Ends::Other(w) => w.ends[i & 1],
        }
    }

    /// Port of endpoint `i`.
    #[inline]
    pub(super) fn port(&self, i: usize) -> u16 {
        match self {
            Ends::V4 { ports, .. } => ports[i & 1],
            Ends::Other(w) => w.ends[i & 1].port,
        }
    }
}

/// The transport protocol of a connection: Zeek's `transport_proto`, whose
/// name fills conn.log's `proto` column and whose IP protocol number fills
/// `ip_proto` and goes into the uid. Only TCP connections are tracked today;
/// UDP is the next one the key has room for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportProto {
    /// TCP (RFC 9293).
    Tcp,
    /// UDP (RFC 768).
    Udp,
}

impl TransportProto {
    /// Zeek's lower-case name (`tcp`, `udp`): the one place output writers
    /// take it from.
    pub const fn name(self) -> &'static str {
        match self {
            TransportProto::Tcp => "tcp",
            TransportProto::Udp => "udp",
        }
    }

    /// The IP protocol number (IANA "Assigned Internet Protocol Numbers";
    /// the IPv4 Protocol field of RFC 791 §3.1, IPv6's Next Header).
    pub const fn ip_number(self) -> u8 {
        match self {
            TransportProto::Tcp => 6,
            TransportProto::Udp => 17,
        }
    }
}

/// The two endpoints of a connection, in canonical (sorted) order, and its
/// transport protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowKey {
    transport: TransportProto,
    lo: Endpoint,
    hi: Endpoint,
}

impl FlowKey {
    /// The key shared by both directions of `a` ↔ `b` over `transport`.
    pub fn new(transport: TransportProto, a: Endpoint, b: Endpoint) -> Self {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        FlowKey { transport, lo, hi }
    }

    /// The transport protocol.
    pub fn transport(&self) -> TransportProto {
        self.transport
    }

    /// The lower endpoint in canonical order.
    pub fn lo(&self) -> Endpoint {
        self.lo
    }

    /// The higher endpoint in canonical order.
    pub fn hi(&self) -> Endpoint {
        self.hi
    }

    /// A 32-bit hash of the connection, the same for both directions. The
    /// transport is left out: a table holds one transport's connections.
    pub fn hash32(&self) -> u32 {
        hash_pair(self.lo, self.hi)
    }
}

/// Hash of one endpoint: the address in 64-bit words and the port, each
/// folded in with a multiply-and-rotate step (FxHash's scheme).
fn hash_endpoint(e: Endpoint) -> u64 {
    match e.addr {
        IpAddr::V4(a) => hash_v4(u32::from(a), e.port),
        IpAddr::V6(a) => {
            let v = u128::from(a);
            step(step(step(1, (v >> 64) as u64), v as u64), u64::from(e.port))
        }
    }
}

/// One multiply-and-rotate step.
#[inline]
fn step(h: u64, w: u64) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    (h.rotate_left(5) ^ w).wrapping_mul(K)
}

/// [`hash_endpoint`] of an IPv4 endpoint, from the address as a number.
#[inline]
fn hash_v4(addr: u32, port: u16) -> u64 {
    step(step(0, u64::from(addr)), u64::from(port))
}

/// The final mix of [`hash_pair`].
#[inline]
fn mix(mut x: u64) -> u32 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x as u32
}

/// A direction-free hash of two endpoints (a commutative combination, so no
/// ordering is needed on the hot path), with a final mix so the low bits,
/// used as table index, depend on every input bit. Deterministic across runs.
/// The flow table's hash of a 4-tuple, the same both ways; computed where
/// the packet is decoded, it spares the flow stage the work
/// ([`super::FlowTable::segment_hashed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowHash(pub(super) u32);

impl FlowHash {
    /// The hash of the connection between `a` and `b`.
    pub fn of(a: Endpoint, b: Endpoint) -> Self {
        FlowHash(hash_pair(a, b))
    }

    /// [`FlowHash::of`] two IPv4 endpoints given as numbers and ports.
    #[inline]
    pub fn of_v4(a: (u32, u16), b: (u32, u16)) -> Self {
        FlowHash(mix(hash_v4(a.0, a.1).wrapping_add(hash_v4(b.0, b.1))))
    }
}

pub(super) fn hash_pair(a: Endpoint, b: Endpoint) -> u32 {
    mix(hash_endpoint(a).wrapping_add(hash_endpoint(b)))
}

#[cfg(test)]
mod tests;
