//! Frames to TCP segments and UDP datagrams: link layer → IPv4/IPv6 →
//! (tunnels →) TCP or UDP.
//!
//! The second stage of the analyzer pipeline (capture → **wire** → flow →
//! teardown → report). [`decode`] takes one captured frame with its link type
//! and returns a [`Decoded`] value: a [`TcpSegment`] (a small owned summary plus a
//! borrowed view of the captured payload), a TCP packet whose header is damaged
//! (Zeek still creates the connection for it), a [`UdpDatagram`] (likewise),
//! or the reason the frame carries neither. Raw flag bits never leave this module: [`TcpFlags`] answers
//! questions about them.
//!
//! Contract: decoding never panics and never allocates; what it cannot decode it
//! names in a [`Skip`] so the caller can count it as an anomaly.

mod checksum;
mod fast;
mod icmp;
mod ip;
mod link;
mod seq;
mod tcp;
#[cfg(test)]
mod tests;
mod tunnel;
mod udp;

pub use fast::{Ipv4Found, ipv4_tcp_into};
pub use icmp::{UdpUnreachable, Unreachable, udp_unreachable};
pub use seq::SeqNum;
pub use tunnel::TunnelId;

use std::net::IpAddr;

use crate::capture::Frame;

/// How to decode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Verify the IPv4 header checksum (a bad one skips the packet, as Zeek
    /// drops it) and the TCP checksum (reported in [`TcpSegment::checksum`]).
    /// Off by default, like `zeek -C`: loopback and NICs with checksum offload
    /// hand the capture packets whose checksums are not filled in yet.
    pub validate_checksums: bool,
}

/// Decodes one frame down to its TCP or UDP header.
///
/// Walks the link layer of `frame.link` (with VLAN, MPLS, PPPoE and the other
/// stacked headers Zeek follows), the IPv4 or IPv6 header (options, extension
/// headers, fragments), the tunnels Zeek decapsulates (GRE, IP-in-IP, VXLAN,
/// Geneve, Teredo, GTP-U, AYIYA; see [`TunnelKind`]) and the TCP or UDP header. Lengths come from the IP header;
/// the frame's on-the-wire length bounds them. Never panics, never allocates.
#[inline]
pub fn decode<'a>(frame: &Frame<'a>, opts: &DecodeOptions) -> Decoded<'a> {
    if !opts.validate_checksums
        && let Some(seg) = fast::ipv4_tcp(frame)
    {
        return Decoded::Tcp(seg);
    }
    decode_layers(frame, opts)
}

/// [`decode`] layer by layer, for every frame the fast path leaves.
fn decode_layers<'a>(frame: &Frame<'a>, opts: &DecodeOptions) -> Decoded<'a> {
    let data = frame.data;
    let off = match link::ip_offset(frame.link, data) {
        Ok(off) => off,
        Err(skip) => return Decoded::Skip(skip),
    };
    let Some(ip_bytes) = data.get(off..) else {
        return Decoded::Skip(Skip::Truncated);
    };
    // Files written by buggy tools may state an on-the-wire length below the
    // captured one; the captured bytes are then the better bound.
    let wire = (frame.orig_len as usize).max(data.len());
    let mut d = match ip::decode(ip_bytes, wire.saturating_sub(off), opts.validate_checksums) {
        Ok(transport) => tunnel::after_ip(transport, wire - data.len(), opts.validate_checksums),
        Err(skip) => Decoded::Skip(skip),
    };
    if let Decoded::Tcp(s) = &mut d {
        s.payload_truncated = wire > data.len() && s.payload.len() < s.payload_len as usize;
    }
    d
}

/// One side of a TCP connection or UDP flow: an address and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Endpoint {
    /// IPv4 or IPv6 address.
    pub addr: IpAddr,
    /// TCP or UDP port.
    pub port: u16,
}

impl Endpoint {
    /// 0.0.0.0 port 0, to be overwritten.
    pub const UNSET: Self = Endpoint {
        addr: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        port: 0,
    };
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

/// The control bits of a TCP header (RFC 9293 §3.1), behind named questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpFlags(u8);

impl TcpFlags {
    const FIN: u8 = 0x01;
    const SYN: u8 = 0x02;
    const RST: u8 = 0x04;
    const PSH: u8 = 0x08;
    const ACK: u8 = 0x10;
    const URG: u8 = 0x20;

    /// Flags from the low byte of the TCP flags field (CWR/ECE are kept but unused).
    pub fn from_bits(bits: u8) -> Self {
        TcpFlags(bits)
    }

    /// Builds flags from named bits; used by tests and generators.
    pub fn new(syn: bool, ack: bool, fin: bool, rst: bool) -> Self {
        let mut b = 0;
        if syn {
            b |= Self::SYN;
        }
        if ack {
            b |= Self::ACK;
        }
        if fin {
            b |= Self::FIN;
        }
        if rst {
            b |= Self::RST;
        }
        TcpFlags(b)
    }

    /// SYN: synchronize sequence numbers.
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    /// ACK: the acknowledgement field is significant.
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
    /// FIN: no more data from the sender (an orderly close).
    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    /// RST: reset (an abort; never an orderly close).
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    /// PSH: push.
    pub fn psh(self) -> bool {
        self.0 & Self::PSH != 0
    }
    /// URG: urgent pointer significant.
    pub fn urg(self) -> bool {
        self.0 & Self::URG != 0
    }
}

impl std::fmt::Display for TcpFlags {
    /// tcpdump's letters: `S`, `F`, `R`, `P`, `U`, and `.` for ACK.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut any = false;
        for (on, c) in [
            (self.syn(), 'S'),
            (self.fin(), 'F'),
            (self.rst(), 'R'),
            (self.psh(), 'P'),
            (self.urg(), 'U'),
            (self.ack(), '.'),
        ] {
            if on {
                write!(f, "{c}")?;
                any = true;
            }
        }
        if !any {
            write!(f, "none")?;
        }
        Ok(())
    }
}

/// What a TCP or UDP checksum check said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// Not checked (the default, like `zeek -C`: loopback and offloading NICs
    /// capture packets before the checksum is filled in).
    Unchecked,
    /// Checked and correct.
    Valid,
    /// Checked and wrong.
    Invalid,
    /// Could not be checked: the frame was cut by the snap length (or, for
    /// UDP, the rest of the datagram is in later IP fragments).
    Truncated,
    /// UDP only: the checksum field is zero, the sender computed none (RFC
    /// 768; over IPv6 only tunnel protocols may, RFC 6935 §5).
    Absent,
}

/// One decoded TCP segment: what the flow stage needs, nothing more.
#[derive(Clone, Copy, Debug)]
pub struct TcpSegment<'a> {
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// Sequence number of the first octet (or of the SYN).
    pub seq: SeqNum,
    /// Acknowledgement number (meaningful only when `flags.ack()`).
    pub ack: SeqNum,
    /// Control bits.
    pub flags: TcpFlags,
    /// Advertised receive window, unscaled.
    pub window: u16,
    /// Payload length as the IP header states it (not cut by the snap length,
    /// Ethernet padding excluded).
    pub payload_len: u32,
    /// IP datagram length as the IP header states it (for `orig_ip_bytes`).
    pub ip_len: u32,
    /// The captured part of the payload (may be shorter than `payload_len`).
    pub payload: &'a [u8],
    /// The snap length cut the payload: the frame was captured short and
    /// fewer than `payload_len` bytes are here. (A first IP fragment, whose
    /// payload continues in later frames, is not cut: Zeek reassembles IP
    /// fragments.) Kept apart from `payload`, which later stages may shorten
    /// to the few bytes they read, because a stream reassembler such as
    /// Zeek's cannot use a segment whose bytes it does not have.
    pub payload_truncated: bool,
    /// Checksum verdict.
    pub checksum: Checksum,
    /// The outermost tunnel the segment was taken out of, if any (its
    /// addresses, ports and `ip_len` are the inner packet's, as in Zeek).
    pub tunnel: Option<TunnelKind>,
    /// The innermost tunnel it was taken out of, if any: Zeek's
    /// `tunnel_parents` names that tunnel.
    pub tunnel_parent: Option<TunnelId>,
    /// The sender's marks in the (innermost) IP header.
    pub ip: IpMarks,
}

/// What an IP header says of who sent it, beyond the address: `lab
/// diagnose` compares a RST's with its claimed sender's other packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpMarks {
    /// IPv4's TTL (RFC 791 §3.1) or IPv6's hop limit (RFC 8200 §3): what
    /// the sender set, less one per router on the way to the capture.
    pub ttl: u8,
    /// IPv4's identification (RFC 791 §3.1; RFC 6864 §4 lets an atomic
    /// datagram carry any value); IPv6 has none.
    pub id: Option<u16>,
}

impl TcpSegment<'static> {
    /// A segment with every field zero or empty, to be overwritten.
    pub const UNSET: Self = TcpSegment {
        src: Endpoint::UNSET,
        dst: Endpoint::UNSET,
        seq: SeqNum(0),
        ack: SeqNum(0),
        flags: TcpFlags(0),
        window: 0,
        payload_len: 0,
        ip_len: 0,
        payload: &[],
        payload_truncated: false,
        checksum: Checksum::Unchecked,
        tunnel: None,
        tunnel_parent: None,
        ip: IpMarks { ttl: 0, id: None },
    };
}

/// One decoded UDP datagram (RFC 768), read by `udp.rs`.
#[derive(Clone, Copy, Debug)]
pub struct UdpDatagram<'a> {
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// The Length field (header and data, in octets) as the datagram states
    /// it; it may disagree with the IP header's length, which bounds
    /// `payload_len`.
    pub length: u16,
    /// Payload length as the IP header states it (not cut by the snap
    /// length, Ethernet padding excluded).
    pub payload_len: u32,
    /// IP datagram length as the IP header states it.
    pub ip_len: u32,
    /// The captured part of the payload (may be shorter than `payload_len`).
    pub payload: &'a [u8],
    /// Checksum verdict; [`Checksum::Absent`] when the sender computed none.
    pub checksum: Checksum,
    /// The outermost tunnel the datagram was taken out of, if any (as for
    /// [`TcpSegment::tunnel`]).
    pub tunnel: Option<TunnelKind>,
    /// The innermost tunnel it was taken out of, if any.
    pub tunnel_parent: Option<TunnelId>,
}

/// The outcome of decoding one frame.
#[derive(Clone, Copy, Debug)]
pub enum Decoded<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A TCP packet whose header is shorter than 20 bytes or does not fit in
    /// the packet. Zeek creates the connection but counts nothing for it.
    TcpBadHeader {
        /// Sender.
        src: Endpoint,
        /// Receiver.
        dst: Endpoint,
    },
    /// A UDP datagram that carries no tunnel this decoder opens.
    Udp(UdpDatagram<'a>),
    /// Not analyzed; the reason is counted as an anomaly or a skip.
    Skip(Skip),
}

/// Why a frame produced no TCP segment or UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// An IP packet of another protocol (ICMP, ESP, ...), or a UDP datagram
    /// that is a tunnel's signalling or too short for its header: the
    /// protocol number. (The name predates [`Decoded::Udp`]; the analyzer
    /// counts both together as not TCP.)
    NotTcp(u8),
    /// A link-layer frame that carries no IP (ARP, LLDP, ...).
    NotIp,
    /// A tunnel that could not be decapsulated: its header, or the packet
    /// it announces, does not parse (or is a kind this decoder does not
    /// follow, such as Aruba's 802.11 in GRE).
    Tunnel(TunnelKind),
    /// Tunnels nested deeper than Zeek's `Tunnel::max_depth` (4).
    TunnelTooDeep,
    /// A link type this decoder does not know: the LINKTYPE_ value.
    UnknownLinkType(u32),
    /// The frame ends before the headers do (snap length or damage).
    Truncated,
    /// Headers that contradict themselves (bad version, length below header size, ...).
    Malformed,
    /// A non-first IP fragment: it carries no TCP header.
    Fragment,
    /// An IPv4 header with a bad checksum (only when checksums are validated).
    BadIpChecksum,
}

/// Tunnels that are decapsulated (or, when they do not parse, counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelKind {
    /// GRE (IP protocol 47, and GRE in UDP 4754), with Ethernet, ERSPAN
    /// I/II/III and PPTP payloads.
    Gre,
    /// IP in IP (IP protocols 4 and 41).
    IpInIp,
    /// VXLAN (UDP 4789), inner Ethernet.
    Vxlan,
    /// Geneve (UDP 6081), inner Ethernet or IP.
    Geneve,
    /// Teredo (UDP 3544, or detected as Zeek does), inner IPv6.
    Teredo,
    /// GTPv1 (UDP 2152 and 2123): the user packets of T-PDUs.
    Gtp,
    /// AYIYA (UDP 5072, or detected as Zeek does).
    Ayiya,
}
