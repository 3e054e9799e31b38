//! Tunnels: from an outer IP packet's transport bytes to the inner IP packet,
//! the way Zeek's packet analyzers decapsulate (Zeek 9.1, `src/packet_analysis/
//! protocol/{gre,iptunnel,vxlan,geneve,teredo,gtpv1,ayiya}`).
//!
//! Sits between [`super::ip`] and [`super::tcp`] on the layered path: when an
//! IP packet carries no TCP, [`after_ip`] asks whether it is a tunnel, strips
//! the tunnel header, decodes the inner link and IP headers, and starts over,
//! at most [`MAX_DEPTH`] times. The inner 5-tuple and the inner IP length are
//! what the flow stage then sees, as in Zeek's conn.log.
//!
//! Nothing is guessed: a tunnel header that does not parse, or a payload that
//! is not the inner protocol the header announces, is a [`Skip::Tunnel`] (an
//! anomaly counted per kind), and nesting beyond [`MAX_DEPTH`] is
//! [`Skip::TunnelTooDeep`]. The one heuristic is Zeek's own: a UDP datagram
//! on a port no tunnel is registered on is tried as AYIYA or Teredo when its
//! first bytes match Zeek's detection rules; if it then does not decapsulate
//! it counts as the plain UDP it probably is.

use super::ip::{self, Transport, proto};
use super::{Decoded, Skip, TunnelKind, link, tcp};
use crate::capture::LinkType;

/// How many tunnels one packet may nest: Zeek's `Tunnel::max_depth` (4 in
/// `init-bare.zeek`). A fifth tunnel header is not opened.
pub(super) const MAX_DEPTH: usize = 4;

/// A UDP header (RFC 768).
const UDP_HEADER: usize = 8;
/// An Ethernet header without tags.
const ETHERNET_HEADER: usize = 14;
/// The fixed IPv4 and IPv6 headers.
const IPV4_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
/// IPv6 "No Next Header" (RFC 8200 §4.7): a Teredo bubble.
const NO_NEXT_HEADER: u8 = 59;

/// EtherTypes a tunnel header may name (IEEE 802 numbers registry).
mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86dd;
    pub const ARP: u16 = 0x0806;
    /// Transparent Ethernet bridging (RFC 1701 §3.3 registry).
    pub const TEB: u16 = 0x6558;
    /// ERSPAN type I and II (draft-foschiano-erspan §4.1, §4.2).
    pub const ERSPAN: u16 = 0x88be;
    /// ERSPAN type III (draft-foschiano-erspan §4.3).
    pub const ERSPAN3: u16 = 0x22eb;
    /// PPP, the payload of enhanced GRE in PPTP (RFC 2637 §4.1).
    pub const PPP: u16 = 0x880b;
}

/// The UDP ports Zeek registers its tunnel analyzers on
/// (`scripts/base/packet-protocols/*/main.zeek`).
fn by_port(port: u16) -> Option<Layer> {
    match port {
        4789 => Some(Layer::Vxlan),             // vxlan_ports, RFC 7348 §5
        6081 => Some(Layer::Geneve),            // geneve_ports, RFC 8926 §3.3
        3544 => Some(Layer::Teredo),            // teredo_ports, RFC 4380 §4
        2152 | 2123 => Some(Layer::Gtp),        // gtpv1_ports, TS 29.281 §4.4.2
        5072 => Some(Layer::Ayiya),             // ayiya_ports
        4754 => Some(Layer::Gre { udp: true }), // gre_ports, RFC 8086 §3
        _ => None,
    }
}

/// One tunnel header to open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// GRE over IP (protocol 47) or over UDP.
    Gre {
        udp: bool,
    },
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
            Layer::Gre { .. } => TunnelKind::Gre,
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
enum Payload<'a> {
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
struct Broken;

/// Decodes what follows an IP header: TCP, or a tunnel around TCP.
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
    let mut in_gtp = false;
    let mut depth = 0;
    while let Some((layer, detected, data)) = identify(&t) {
        // A UDP tunnel in the first fragment of a datagram: the UDP length
        // says how much of it later fragments carry (see `udp_absent`).
        let absent = match t.proto {
            proto::UDP if t.first_fragment => udp_absent(&t),
            _ => 0,
        };
        let kind = layer.kind();
        // Zeek checks the depth before parsing the header (`exceeded_tunnel_max_depth`).
        if depth == MAX_DEPTH {
            return Decoded::Skip(Skip::TunnelTooDeep);
        }
        depth += 1;
        if validate && t.proto == proto::UDP && udp_checksum_bad(&t, extra, layer) {
            return Decoded::Skip(Skip::Tunnel(kind));
        }
        // A datagram that only looked like AYIYA or Teredo (Zeek's protocol
        // detection) and does not decapsulate is plain UDP, not a broken tunnel.
        let broken = if detected {
            Skip::NotTcp(proto::UDP)
        } else {
            Skip::Tunnel(kind)
        };
        let Ok(payload) = open(layer, data, in_gtp) else {
            return Decoded::Skip(broken);
        };
        // GRE and IP-in-IP hand Zeek a packet whose wire length is what was
        // captured; UDP tunnels keep the outer cut (see `uncaptured`).
        if matches!(layer, Layer::Gre { .. } | Layer::IpInIp(_)) {
            extra = 0;
        }
        t = match inner_ip(payload, extra, absent, validate) {
            Ok(inner) => inner,
            Err(InnerError::Skip(skip)) => return Decoded::Skip(skip),
            Err(InnerError::Broken) => return Decoded::Skip(broken),
        };
        outermost.get_or_insert(kind);
        in_gtp = kind == TunnelKind::Gtp;
        extra += absent;
    }
    let mut decoded = tcp::decode(t, validate);
    if let Decoded::Tcp(seg) = &mut decoded {
        seg.tunnel = outermost;
    }
    decoded
}

/// Which tunnel `t` is, if any, with the bytes its header starts at. The
/// flag is true when only Zeek's protocol detection named it.
fn identify<'a>(t: &Transport<'a>) -> Option<(Layer, bool, &'a [u8])> {
    match t.proto {
        proto::GRE => Some((Layer::Gre { udp: false }, false, t.captured)),
        proto::IPIP => Some((Layer::IpInIp(4), false, t.captured)),
        proto::IPV6 => Some((Layer::IpInIp(6), false, t.captured)),
        proto::UDP => {
            // Zeek forwards the UDP payload cut at the IP-stated end.
            let udp = t.captured;
            let payload = udp.get(UDP_HEADER..)?;
            let port = |off: usize| u16::from_be_bytes([udp[off], udp[off + 1]]);
            // Zeek picks the analyzer by the UDP connection's responder port;
            // per packet, the destination port stands in for it, then the
            // source port (a reply from the tunnel endpoint).
            if let Some(layer) = by_port(port(2)).or_else(|| by_port(port(0))) {
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
/// sender may leave it zero, RFC 7348 §5).
fn udp_checksum_bad(t: &Transport<'_>, extra: usize, layer: Layer) -> bool {
    let udp = t.captured;
    if extra != 0 || udp.len() < UDP_HEADER || udp.len() != t.len as usize {
        return false;
    }
    let sum = u16::from_be_bytes([udp[6], udp[7]]);
    if sum == 0 && (t.src.is_ipv4() || layer == Layer::Vxlan) {
        return false;
    }
    !super::checksum::transport_ok(t.src, t.dst, proto::UDP, udp)
}

/// Strips one tunnel header. `in_gtp` says the packet already came out of
/// GTP, which Zeek never opens again (`GTP-in-GTP`).
fn open(layer: Layer, data: &[u8], in_gtp: bool) -> Result<Payload<'_>, Broken> {
    match layer {
        Layer::Gre { .. } => gre(data),
        Layer::IpInIp(version) => Ok(Payload::ExactIp(data, version)),
        Layer::Vxlan => vxlan(data),
        Layer::Geneve => geneve(data),
        Layer::Teredo => teredo(data),
        Layer::Gtp if in_gtp => Err(Broken),
        Layer::Gtp => gtp(data),
        Layer::Ayiya => ayiya(data),
    }
}

fn be16(b: &[u8], off: usize) -> Result<u16, Broken> {
    match b.get(off..off + 2) {
        Some(w) => Ok(u16::from_be_bytes([w[0], w[1]])),
        None => Err(Broken),
    }
}

/// GRE, RFC 2784 §2 with the key and sequence fields of RFC 2890 §2, and
/// enhanced GRE for PPTP (RFC 2637 §4.1), with Zeek's length rules.
fn gre(d: &[u8]) -> Result<Payload<'_>, Broken> {
    let flags = be16(d, 0)?;
    let ptype = be16(d, 2)?;
    let version = flags & 0x0007;
    // Checksum (C), key (K), sequence (S) and, in enhanced GRE, the
    // acknowledgement (A) each add 4 bytes to the 4-byte base header.
    let mut len = 4;
    for bit in [0x8000, 0x2000, 0x1000, 0x0080] {
        if flags & bit != 0 {
            len += 4;
        }
    }
    // The routing bit (RFC 1701) is deprecated by RFC 2784 and Zeek does not
    // follow it; the reserved bits must be zero.
    if flags & 0x4000 != 0 || flags & 0x0078 != 0 {
        return Err(Broken);
    }
    let rest = |skip: usize| d.get(len + skip..).ok_or(Broken);
    match (version, ptype) {
        (0, ethertype::TEB) if d.len() > len + ETHERNET_HEADER => Ok(Payload::Ethernet(rest(0)?)),
        (0, ethertype::ERSPAN) if d.len() > len + ETHERNET_HEADER => {
            // Type I has no ERSPAN header; type II (sequence bit set) has 8 bytes.
            let erspan = if flags & 0x1000 != 0 { 8 } else { 0 };
            if d.len() < len + erspan + ETHERNET_HEADER {
                return Err(Broken);
            }
            Ok(Payload::Ethernet(rest(erspan)?))
        }
        (0, ethertype::ERSPAN3) if d.len() > len + 12 + ETHERNET_HEADER => {
            // 12 bytes, then an 8-byte platform subheader when the O bit
            // (the last bit of the header) is set.
            let mut erspan = 12;
            if d[len + 11] & 0x01 != 0 {
                if d.len() <= len + erspan + 8 + ETHERNET_HEADER {
                    return Err(Broken);
                }
                erspan += 8;
            }
            Ok(Payload::Ethernet(rest(erspan)?))
        }
        // Zeek hands any other payload type to its IP analyzer; only the
        // two IP types are followed here, anything else (Aruba's 802.11,
        // MPLS, ...) is counted as not decapsulated rather than tried as IP.
        (0, ethertype::IPV4 | ethertype::IPV6) => Ok(Payload::Ip(rest(0)?)),
        // PPTP: a PPP header (address, control, protocol) before the IP packet.
        (1, ethertype::PPP) => match be16(d, len + 2)? {
            0x0021 => Ok(Payload::ExactIp(rest(4)?, 4)),
            0x0057 => Ok(Payload::ExactIp(rest(4)?, 6)),
            _ => Err(Broken),
        },
        _ => Err(Broken),
    }
}

/// VXLAN, RFC 7348 §5: 8 bytes, the I flag set, then an Ethernet frame.
fn vxlan(d: &[u8]) -> Result<Payload<'_>, Broken> {
    let rest = d.get(8..).ok_or(Broken)?;
    if d[0] & 0x08 == 0 || rest.is_empty() {
        return Err(Broken);
    }
    Ok(Payload::Ethernet(rest))
}

/// Geneve, RFC 8926 §3.4: version 0, options skipped by their total length,
/// the protocol type naming the payload.
fn geneve(d: &[u8]) -> Result<Payload<'_>, Broken> {
    let ptype = be16(d, 2)?;
    if d.len() < 8 || d[0] >> 6 != 0 {
        return Err(Broken);
    }
    let header = 8 + usize::from(d[0] & 0x3f) * 4;
    let rest = d.get(header..).ok_or(Broken)?;
    if rest.is_empty() {
        return Err(Broken);
    }
    match ptype {
        ethertype::TEB => Ok(Payload::Ethernet(rest)),
        ethertype::IPV4 | ethertype::IPV6 => Ok(Payload::Ip(rest)),
        ethertype::ARP => Ok(Payload::Nothing(Skip::NotIp)),
        _ => Err(Broken),
    }
}

/// AYIYA (draft-massar-v6ops-ayiya §6): identity and signature lengths in
/// the first two bytes; only the "forward" operation carries a packet.
fn ayiya(d: &[u8]) -> Result<Payload<'_>, Broken> {
    if d.len() < 8 {
        return Err(Broken);
    }
    let identity = 1usize << (d[0] >> 4);
    let signature = usize::from(d[1] >> 4) * 4;
    let rest = d.get(8 + identity + signature..).ok_or(Broken)?;
    if d[2] & 0x0f != 1 {
        return Ok(Payload::Nothing(Skip::NotTcp(proto::UDP)));
    }
    if rest.is_empty() {
        return Err(Broken);
    }
    match d[3] {
        proto::IPIP | proto::IPV6 => Ok(Payload::Ip(rest)),
        _ => Err(Broken),
    }
}

/// Zeek's AYIYA detection on ports not registered to another analyzer.
fn ayiya_detected(d: &[u8]) -> bool {
    d.len() >= 3 && d[1] == 0x52 && d[2] == 0x11
}

/// Teredo, RFC 4380 §5.1.1: an optional authentication header, then an
/// optional origin indication, then IPv6 (Zeek's `TeredoEncapsulation`).
fn teredo(mut d: &[u8]) -> Result<Payload<'_>, Broken> {
    let (mut origin, mut auth) = (false, false);
    loop {
        match be16(d, 0)? {
            // Origin indication: 8 bytes, at most once, last.
            0x0000 if !origin => {
                d = d.get(8..).ok_or(Broken)?;
                origin = true;
            }
            // Authentication: 4 bytes, client id, authentication value,
            // 8-byte nonce, 1-byte confirmation; at most once, first.
            0x0001 if !origin && !auth => {
                let (id, value) = (*d.get(2).ok_or(Broken)?, *d.get(3).ok_or(Broken)?);
                d = d
                    .get(4 + usize::from(id) + usize::from(value) + 9..)
                    .ok_or(Broken)?;
                auth = true;
            }
            tag if tag >> 12 == 6 && d.len() >= IPV6_HEADER => break,
            _ => return Err(Broken),
        }
    }
    // A bubble (no next header, no payload) may be followed by bytes; any
    // other packet must fill the datagram exactly.
    let payload_len = usize::from(u16::from_be_bytes([d[4], d[5]]));
    if d[6] == NO_NEXT_HEADER && payload_len == 0 {
        return Ok(Payload::Nothing(Skip::NotTcp(NO_NEXT_HEADER)));
    }
    Ok(Payload::ExactIp(d, 6))
}

/// Zeek's Teredo detection (its old DPD signature) on ports not registered
/// to another analyzer: an IPv6 header with a Teredo address (2001:0000::/32)
/// as source or destination, or IPv6 after an origin indication, with or
/// without an authentication header before it.
fn teredo_detected(d: &[u8]) -> bool {
    let len = d.len();
    if len < IPV6_HEADER || (len > 8 && d[0] >> 4 != 6 && (d[0] != 0 || (d[1] != 0 && d[1] != 1))) {
        return false;
    }
    // The signature is anchored at the start and matches a 40-byte prefix
    // (an IPv6 header); its `.` excludes a newline.
    let teredo_at = |off: usize| {
        (0x60..=0x6f).contains(&d[0])
            && d[off..off + 4] == [0x20, 0x01, 0x00, 0x00]
            && d[1..off]
                .iter()
                .chain(&d[off + 4..IPV6_HEADER])
                .all(|&b| b != b'\n')
    };
    if teredo_at(8) || teredo_at(24) {
        return true;
    }
    let mut d = d;
    let mut tag = u16::from(d[1]);
    if tag == 1 {
        let skip = 13 + usize::from(d[2]) + usize::from(d[3]);
        match d.get(skip..) {
            Some(rest) if rest.len() >= IPV6_HEADER => {
                d = rest;
                tag = u16::from_be_bytes([d[0], d[1]]);
            }
            _ => return false,
        }
    }
    tag == 0 && d.len() >= 8 + IPV6_HEADER && d[8] >> 4 == 6
}

/// GTPv1-U, 3GPP TS 29.281 §5.1-§5.2 (Zeek's `gtpv1-protocol.pac`): version
/// 1, protocol type GTP, the optional 4-byte fields when any of E, S, PN is
/// set, the extension header chain, and only a T-PDU (type 255) carries a
/// packet, which must be IP and fill the datagram exactly.
fn gtp(d: &[u8]) -> Result<Payload<'_>, Broken> {
    if d.len() < 8 {
        return Err(Broken);
    }
    // The header is parsed whole before it is judged, as Zeek's parser does.
    let mut off = 8;
    if d[0] & 0x07 != 0 {
        off = 12;
        if d.len() < off {
            return Err(Broken);
        }
    }
    if d[0] & 0x04 != 0 {
        // Each extension header: a length in 4-byte units (zero is invalid),
        // its contents, and the type of the next one (zero ends the chain).
        loop {
            let units = usize::from(*d.get(off).ok_or(Broken)?);
            if units == 0 {
                return Err(Broken);
            }
            let next = *d.get(off + units * 4 - 1).ok_or(Broken)?;
            off += units * 4;
            if next == 0 {
                break;
            }
        }
    }
    if d[0] >> 5 != 1 {
        return Err(Broken);
    }
    // GTP' (protocol type 0) is charging data, and message types other than
    // the T-PDU are signalling: neither carries a user packet.
    if d[0] & 0x10 == 0 || d[1] != 255 {
        return Ok(Payload::Nothing(Skip::NotTcp(proto::UDP)));
    }
    let packet = d.get(off..).ok_or(Broken)?;
    match packet.first().map(|b| b >> 4) {
        Some(v @ (4 | 6)) if packet.len() >= IPV4_HEADER => Ok(Payload::ExactIp(packet, v)),
        _ => Err(Broken),
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
fn udp_absent(t: &Transport<'_>) -> usize {
    match t.captured.get(4..6) {
        Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])).saturating_sub(t.len as usize),
        _ => 0,
    }
}
