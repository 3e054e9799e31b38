//! ICMP (RFC 792) and ICMPv6 (RFC 4443) Destination Unreachable messages
//! that quote a UDP datagram: who refused, why, and the quoted datagram's
//! addresses and ports, so a UDP flow (a QUIC connection) can learn that
//! its packets were refused. Read only for frames [`super::decode`]
//! already set aside as not TCP; nothing else about ICMP is decoded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ip::proto;
use super::{Endpoint, link};
use crate::capture::Frame;

/// ICMP's protocol number (IPv4).
const ICMP: u8 = 1;
/// ICMPv6's next-header value.
const ICMPV6: u8 = 58;

/// Why a destination was unreachable, from the message's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unreachable {
    /// Nothing listens on the port (ICMP code 3, ICMPv6 code 4).
    Port,
    /// The host cannot be reached (ICMP code 1, ICMPv6 code 3).
    Host,
    /// No route to the network (ICMP code 0, ICMPv6 code 0).
    Network,
    /// Administratively prohibited: a filter (ICMP 9, 10, 13; ICMPv6 1).
    Prohibited,
    /// Another code of Destination Unreachable, as sent.
    Other(u8),
}

impl Unreachable {
    /// Its name in the table and the JSON.
    pub fn name(self) -> String {
        match self {
            Unreachable::Port => "port unreachable".to_owned(),
            Unreachable::Host => "host unreachable".to_owned(),
            Unreachable::Network => "network unreachable".to_owned(),
            Unreachable::Prohibited => "administratively prohibited".to_owned(),
            Unreachable::Other(c) => format!("unreachable (code {c})"),
        }
    }
}

/// A Destination Unreachable about a UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpUnreachable {
    /// Who sent the ICMP message.
    pub reporter: IpAddr,
    /// Why.
    pub kind: Unreachable,
    /// The quoted datagram's sender.
    pub src: Endpoint,
    /// The quoted datagram's receiver.
    pub dst: Endpoint,
}

/// The Destination Unreachable in `frame` that quotes a UDP datagram, if it
/// is one.
pub fn udp_unreachable(frame: &Frame<'_>) -> Option<UdpUnreachable> {
    let data = frame.data;
    let ip = data.get(link::ip_offset(frame.link, data).ok()?..)?;
    let t = super::ip::decode(ip, ip.len(), false).ok()?;
    let body = t.captured;
    let (&kind, &code, quoted) = (body.first()?, body.get(1)?, body.get(8..)?);
    // RFC 792: type 3 is Destination Unreachable, its data the original
    // IP header and at least 8 bytes of what followed; RFC 4443 §3.1:
    // type 1, as much of the original packet as fits.
    let why = match (t.proto, kind, code) {
        (ICMP, 3, 0) | (ICMPV6, 1, 0) => Unreachable::Network,
        (ICMP, 3, 1) | (ICMPV6, 1, 3) => Unreachable::Host,
        (ICMP, 3, 3) | (ICMPV6, 1, 4) => Unreachable::Port,
        (ICMP, 3, 9 | 10 | 13) | (ICMPV6, 1, 1) => Unreachable::Prohibited,
        (ICMP, 3, c) | (ICMPV6, 1, c) => Unreachable::Other(c),
        _ => return None,
    };
    let (src, dst, udp) = quoted_udp(quoted)?;
    Some(UdpUnreachable {
        reporter: t.src,
        kind: why,
        src: Endpoint {
            addr: src,
            port: u16::from_be_bytes([udp[0], udp[1]]),
        },
        dst: Endpoint {
            addr: dst,
            port: u16::from_be_bytes([udp[2], udp[3]]),
        },
    })
}

/// The quoted IP header's addresses and the UDP header after it (no
/// extension headers in IPv6: a QUIC datagram carries none).
fn quoted_udp(q: &[u8]) -> Option<(IpAddr, IpAddr, &[u8])> {
    match q.first()? >> 4 {
        4 => {
            let ihl = usize::from(q[0] & 0x0f) * 4;
            if ihl < 20 || *q.get(9)? != proto::UDP {
                return None;
            }
            let a: [u8; 4] = q.get(12..16)?.try_into().ok()?;
            let b: [u8; 4] = q.get(16..20)?.try_into().ok()?;
            let udp = q.get(ihl..ihl + 8)?;
            Some((Ipv4Addr::from(a).into(), Ipv4Addr::from(b).into(), udp))
        }
        6 => {
            if *q.get(6)? != proto::UDP {
                return None;
            }
            let a: [u8; 16] = q.get(8..24)?.try_into().ok()?;
            let b: [u8; 16] = q.get(24..40)?.try_into().ok()?;
            let udp = q.get(40..48)?;
            Some((Ipv6Addr::from(a).into(), Ipv6Addr::from(b).into(), udp))
        }
        _ => None,
    }
}
