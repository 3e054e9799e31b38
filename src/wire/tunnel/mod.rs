//! Tunnels: from an outer IP packet's transport bytes to the inner IP packet,
//! the way Zeek's packet analyzers decapsulate (Zeek 9.1, `src/packet_analysis/
//! protocol/{gre,iptunnel,vxlan,geneve,teredo,gtpv1,ayiya}`).
//!
//! Sits between [`super::ip`] and the transport parsers ([`super::tcp`],
//! [`super::udp`]) on the layered path: when an IP packet carries no TCP,
//! [`after_ip`] asks whether it is a tunnel, strips the tunnel header,
//! decodes the inner link and IP headers, and starts over, at most
//! [`MAX_DEPTH`] times. The inner 5-tuple and the inner IP length are what
//! the flow stage then sees, as in Zeek's conn.log. A UDP datagram that is
//! no tunnel comes out as [`Decoded::Udp`]; its header is read once, by
//! [`super::udp`], for both questions.
//!
//! Nothing is guessed: a tunnel header that does not parse, or a payload that
//! is not the inner protocol the header announces, is a [`Skip::Tunnel`] (an
//! anomaly counted per kind), and nesting beyond [`MAX_DEPTH`] is
//! [`Skip::TunnelTooDeep`]. The one heuristic is Zeek's own: a UDP datagram
//! on a port no tunnel is registered on is tried as AYIYA or Teredo when its
//! first bytes match Zeek's detection rules; if it then does not decapsulate
//! it is the plain UDP datagram it probably is.
//!
//! Decoding stays stateless, one frame at a time, so two of Zeek's stateful
//! rules are approximated: Zeek picks a UDP tunnel by the port of the UDP
//! connection's responder (here: the destination port, then the source
//! port), and it stops decapsulating a UDP connection for good after its
//! first malformed tunnel packet (here: each packet is judged on its own).
//! Zeek reassembles IP fragments before decapsulating; here a UDP tunnel in
//! a first fragment is decapsulated with the lengths its headers state (see
//! [`udp_absent`]), and later fragments are counted as fragments.

mod headers;
mod parent;

pub use parent::TunnelId;

use super::ip::{self, Transport, proto};
use super::udp;
use super::{Checksum, Decoded, Skip, TunnelKind, UdpDatagram, link, tcp};
use crate::capture::LinkType;
use headers::{ayiya, ayiya_detected, geneve, gre, gtp, teredo, teredo_detected, vxlan};

/// How many tunnels one packet may nest: Zeek's `Tunnel::max_depth` (4 in
/// `init-bare.zeek`). A fifth tunnel header is not opened.
pub(super) const MAX_DEPTH: usize = 4;

/// The fixed IPv4 and IPv6 headers.
const IPV4_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;

/// The UDP ports Zeek registers its tunnel analyzers on
/// (`scripts/base/packet-protocols/*/main.zeek`).
fn by_port(port: u16) -> Option<Layer> {
    match port {
        4789 => Some(Layer::Vxlan),      // vxlan_ports, RFC 7348 §5
        6081 => Some(Layer::Geneve),     // geneve_ports, RFC 8926 §3.3
        3544 => Some(Layer::Teredo),     // teredo_ports, RFC 4380 §4
        2152 | 2123 => Some(Layer::Gtp), // gtpv1_ports, TS 29.281 §4.4.2
        5072 => Some(Layer::Ayiya),      // ayiya_ports
        4754 => Some(Layer::Gre),        // gre_ports, RFC 8086 §3
        _ => None,
    }
}

/// One tunnel header to open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// GRE over IP (protocol 47) or over UDP.
    Gre,
    /// IP in IP: the version the outer protocol number announces (4 or 6).
    IpInIp(u8),
    Vxlan,
    Geneve,
    Teredo,
    Gtp,
    Ayiya,
}

impl Layer {
    fn kind(self) -> TunnelKind {
        match self {
            Layer::Gre => TunnelKind::Gre,
            Layer::IpInIp(_) => TunnelKind::IpInIp,
            Layer::Vxlan => TunnelKind::Vxlan,
            Layer::Geneve => TunnelKind::Geneve,
            Layer::Teredo => TunnelKind::Teredo,
            Layer::Gtp => TunnelKind::Gtp,
            Layer::Ayiya => TunnelKind::Ayiya,
        }
    }
}

/// What a tunnel header carries.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Payload<'a> {
    /// An IP packet; its version nibble decides (Zeek's IP analyzer).
    Ip(&'a [u8]),
    /// An IP packet that must be exactly this version and fill the payload
    /// to the byte (Zeek's `IP::ParsePacket` for IP-in-IP, PPTP, GTP, Teredo).
    ExactIp(&'a [u8], u8),
    /// An Ethernet frame.
    Ethernet(&'a [u8]),
    /// A valid tunnel packet that carries no packet to analyze (a control
    /// message, a keepalive, ARP): the protocol to report as not TCP.
    Nothing(Skip),
}

/// The tunnel header does not parse: the packet is not decapsulated.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Broken;

/// Decodes what follows an IP header: TCP or UDP, or a tunnel around them.
///
/// `uncaptured` is how many bytes of the frame's on-the-wire length the
/// capture did not keep (the snap length's cut). Zeek gives an inner packet
/// behind a UDP tunnel the same cut (`build_inner_packet`), and one behind
/// GRE or IP-in-IP none (its wire length is what was captured).
#[inline]
pub(super) fn after_ip(outer: Transport<'_>, uncaptured: usize, validate: bool) -> Decoded<'_> {
    if outer.proto == proto::TCP {
        return tcp::decode(outer, validate);
    }
    let mut t = outer;
    let mut extra = uncaptured;
    let mut outermost = None;
    let mut parent = None;
    let mut in_gtp = false;
    let mut depth = 0;
    loop {
        let datagram = match t.proto {
            proto::UDP => udp::decode(&t, extra, validate),
            _ => None,
        };
        let Some((layer, detected, data)) = identify(&t, datagram.as_ref()) else {
            return transport(t, datagram, outermost, parent, validate);
        };
        // A UDP tunnel in the first fragment of a datagram: the UDP length
        // says how much of it later fragments carry (see `udp_absent`).
        let absent = match &datagram {
            Some(d) if t.first_fragment => udp_absent(d, &t),
            _ => 0,
        };
        let kind = layer.kind();
        // Zeek checks the depth before parsing the header (`exceeded_tunnel_max_depth`).
        if depth == MAX_DEPTH {
            return Decoded::Skip(Skip::TunnelTooDeep);
        }
        depth += 1;
        // A first fragment cannot be checked: the checksum covers the rest
        // (the datagram's verdict is then `Truncated`).
        if let Some(d) = datagram
            && udp_checksum_bad(&d, layer)
        {
            // A datagram only detected as AYIYA or Teredo by its first bytes
            // is plain UDP with a bad checksum, like any other (see below).
            return if detected {
                plain(d, outermost, parent)
            } else {
                Decoded::Skip(Skip::Tunnel(kind))
            };
        }
        // In a frame cut by the snap length, what does not decapsulate is
        // counted as truncated: the cut, not the tunnel, may be at fault. A
        // datagram that only looked like AYIYA or Teredo (Zeek's protocol
        // detection) and does not decapsulate is plain UDP, not a broken tunnel.
        let broken = match datagram {
            _ if uncaptured > 0 => Decoded::Skip(Skip::Truncated),
            Some(d) if detected => plain(d, outermost, parent),
            _ => Decoded::Skip(Skip::Tunnel(kind)),
        };
        let Ok(payload) = open(layer, data, in_gtp) else {
            return broken;
        };
        // GRE and IP-in-IP hand Zeek a packet whose wire length is what was
        // captured; UDP tunnels keep the outer cut (see `uncaptured`).
        if matches!(layer, Layer::Gre | Layer::IpInIp(_)) {
            extra = 0;
        }
        let ports = datagram
            .filter(|_| kind != TunnelKind::Gre)
            .map(|d| (d.src.port, d.dst.port));
        let carrier = TunnelId::of(&t, ports, kind);
        t = match inner_ip(payload, extra, absent, validate) {
            Ok(inner) => inner,
            Err(InnerError::Skip(skip)) => return Decoded::Skip(skip),
            Err(InnerError::Broken) => return broken,
        };
        outermost.get_or_insert(kind);
        // The last layer opened is the innermost: Zeek's parent.
        parent = Some(carrier);
        in_gtp = kind == TunnelKind::Gtp;
        extra += absent;
    }
}

/// The transport header behind the last IP header: a TCP segment, a UDP
/// datagram (`datagram`, already read), or the protocol it is, with the
/// tunnels it came out of.
fn transport<'a>(
    t: Transport<'a>,
    datagram: Option<UdpDatagram<'a>>,
    outermost: Option<TunnelKind>,
    parent: Option<TunnelId>,
    validate: bool,
) -> Decoded<'a> {
    match t.proto {
        proto::TCP => {
            let mut decoded = tcp::decode(t, validate);
            if let Decoded::Tcp(seg) = &mut decoded {
                seg.tunnel = outermost;
                seg.tunnel_parent = parent;
            }
            decoded
        }
        // A UDP header that is not all there is counted as UDP all the same.
        proto::UDP => match datagram {
            Some(d) => plain(d, outermost, parent),
            None => Decoded::Skip(Skip::NotTcp(proto::UDP)),
        },
        other => Decoded::Skip(Skip::NotTcp(other)),
    }
}

/// A UDP datagram that carries no tunnel, with the tunnels it came out of.
fn plain<'a>(
    mut d: UdpDatagram<'a>,
    outermost: Option<TunnelKind>,
    parent: Option<TunnelId>,
) -> Decoded<'a> {
    d.tunnel = outermost;
    d.tunnel_parent = parent;
    Decoded::Udp(d)
}

/// Which tunnel `t` is, if any, with the bytes its header starts at. The
/// flag is true when only Zeek's protocol detection named it. `datagram` is
/// `t` read as UDP, when it is UDP with a whole header.
fn identify<'a>(
    t: &Transport<'a>,
    datagram: Option<&UdpDatagram<'a>>,
) -> Option<(Layer, bool, &'a [u8])> {
    match t.proto {
        proto::GRE => Some((Layer::Gre, false, t.captured)),
        proto::IPIP => Some((Layer::IpInIp(4), false, t.captured)),
        proto::IPV6 => Some((Layer::IpInIp(6), false, t.captured)),
        proto::UDP => {
            // Zeek forwards the UDP payload cut at the IP-stated end.
            let d = datagram?;
            let payload = d.payload;
            // Zeek picks the analyzer by the UDP connection's responder port;
            // per packet, the destination port stands in for it, then the
            // source port (a reply from the tunnel endpoint).
            if let Some(layer) = by_port(d.dst.port).or_else(|| by_port(d.src.port)) {
                return Some((layer, false, payload));
            }
            // Zeek's protocol detection on other ports, AYIYA first (the
            // order `packet-protocols/__load__.zeek` registers them in).
            if ayiya_detected(payload) {
                Some((Layer::Ayiya, true, payload))
            } else if teredo_detected(payload) {
                Some((Layer::Teredo, true, payload))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// With checksums validated, Zeek drops a fully captured UDP datagram whose
/// checksum is wrong before any tunnel analyzer sees it (zero means "none"
/// over IPv4, RFC 768; over IPv6 it is mandatory, RFC 8200 §8.1, but a VXLAN
/// sender may leave it zero, RFC 7348 §5). One cut short, or whose checksum
/// was not asked for, is not judged.
fn udp_checksum_bad(d: &UdpDatagram<'_>, layer: Layer) -> bool {
    match d.checksum {
        Checksum::Invalid => true,
        Checksum::Absent => d.src.addr.is_ipv6() && layer != Layer::Vxlan,
        Checksum::Unchecked | Checksum::Valid | Checksum::Truncated => false,
    }
}

/// Strips one tunnel header. `in_gtp` says the packet already came out of
/// GTP, which Zeek never opens again (`GTP-in-GTP`).
fn open(layer: Layer, data: &[u8], in_gtp: bool) -> Result<Payload<'_>, Broken> {
    match layer {
        Layer::Gre => gre(data),
        Layer::IpInIp(version) => Ok(Payload::ExactIp(data, version)),
        Layer::Vxlan => vxlan(data),
        Layer::Geneve => geneve(data),
        Layer::Teredo => teredo(data),
        Layer::Gtp if in_gtp => Err(Broken),
        Layer::Gtp => gtp(data),
        Layer::Ayiya => ayiya(data),
    }
}

/// Why an inner packet was not reached.
enum InnerError {
    /// The payload is not what the tunnel header announced.
    Broken,
    /// The inner packet is there but carries nothing to analyze (not IP, a
    /// later fragment, a bad IPv4 checksum, not TCP): counted as such.
    Skip(Skip),
}

/// Decodes the inner link and IP headers. `extra` is the inner packet's
/// on-the-wire length beyond its captured bytes; `absent` is how much of the
/// tunnel payload later IP fragments carry.
fn inner_ip(
    payload: Payload<'_>,
    extra: usize,
    absent: usize,
    validate: bool,
) -> Result<Transport<'_>, InnerError> {
    let (bytes, off) = match payload {
        Payload::Nothing(skip) => return Err(InnerError::Skip(skip)),
        Payload::Ip(bytes) => (bytes, 0),
        Payload::ExactIp(bytes, version) => {
            if !exact_ip(bytes, bytes.len() + absent, version) {
                return Err(InnerError::Broken);
            }
            (bytes, 0)
        }
        Payload::Ethernet(bytes) => match link::ip_offset(LinkType::ETHERNET, bytes) {
            Ok(off) => (bytes, off),
            Err(Skip::NotIp) => return Err(InnerError::Skip(Skip::NotIp)),
            Err(_) => return Err(InnerError::Broken),
        },
    };
    let wire_left = (bytes.len() + extra + absent).saturating_sub(off);
    match ip::decode(bytes.get(off..).unwrap_or_default(), wire_left, validate) {
        Ok(t) => Ok(t),
        Err(skip @ (Skip::Fragment | Skip::BadIpChecksum)) => Err(InnerError::Skip(skip)),
        Err(_) => Err(InnerError::Broken),
    }
}

/// Zeek's `IP::ParsePacket`: the version the tunnel announced, at least a
/// fixed header, and a stated total length equal to the `carried` bytes.
fn exact_ip(b: &[u8], carried: usize, version: u8) -> bool {
    let total = match version {
        4 if b.len() >= IPV4_HEADER => usize::from(u16::from_be_bytes([b[2], b[3]])),
        6 if b.len() >= IPV6_HEADER => IPV6_HEADER + usize::from(u16::from_be_bytes([b[4], b[5]])),
        _ => return false,
    };
    b[0] >> 4 == version && total == carried
}

/// How many bytes of a UDP datagram's payload the fragments after this first
/// one carry, by the UDP length field (RFC 768), which covers the whole
/// datagram. Zeek reassembles the fragments before decapsulating; without
/// keeping fragments, the first one still holds every header the analysis
/// needs (the inner IP and TCP headers), and lengths come from those
/// headers, so the segment is analyzed as if the rest arrived, the way a
/// snap-length cut is.
fn udp_absent(d: &UdpDatagram<'_>, t: &Transport<'_>) -> usize {
    usize::from(d.length).saturating_sub(t.len as usize)
}
