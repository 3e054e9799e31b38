//! The common frame in one pass: IPv4 carrying TCP right after an Ethernet
//! header, checksums not validated.
//!
//! [`ipv4_tcp`] reads such a frame straight into a [`TcpSegment`] without the
//! layered walk ([`super::link`], [`super::ip`], [`super::tcp`]) and the
//! intermediate values it passes along, which matters at millions of frames
//! per capture. It answers only when every check of the layered path would
//! pass (the same rules, in the same order); anything else, including every
//! frame the layered path would skip or flag, returns `None` and goes the
//! long way, so both paths always agree (see the differential test below).

use std::net::{IpAddr, Ipv4Addr};

use super::{Checksum, SeqNum, TcpFlags, TcpSegment};
use crate::capture::{Frame, LinkType};

const ETHERNET_HEADER: usize = 14;
const IPV4_MIN_HEADER: usize = 20;
const TCP_MIN_HEADER: usize = 20;
const PROTO_TCP: u8 = 6;

/// The segment of an Ethernet/IPv4/TCP frame that the layered decoder would
/// accept, or `None` to let it decide.
#[inline]
pub(super) fn ipv4_tcp<'a>(frame: &Frame<'a>) -> Option<TcpSegment<'a>> {
    let mut seg = TcpSegment::UNSET;
    let found = ipv4_tcp_into(frame, &mut seg)?;
    Some(TcpSegment {
        payload: found.payload,
        ..seg
    })
}

/// What [`ipv4_tcp_into`] leaves outside the segment it writes.
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Found<'a> {
    /// The captured payload.
    pub payload: &'a [u8],
    /// The source address, as a number (for hashing without a copy of the
    /// segment's address fields).
    pub src: u32,
    /// The destination address, as a number.
    pub dst: u32,
}

/// [`ipv4_tcp`] written field by field into `out`, every field but
/// `payload`, which is returned: a caller that keeps segments in place
/// (the analyzer's packet batches) fills them without a segment built
/// elsewhere and copied in, a copy that stalls the CPU (a wide load of
/// bytes just stored narrowly). On `None` the layered decoder must decide
/// and `out` may be partly written.
#[inline]
pub fn ipv4_tcp_into<'a>(frame: &Frame<'a>, out: &mut TcpSegment<'_>) -> Option<Ipv4Found<'a>> {
    let data = frame.data;
    if frame.link != LinkType::ETHERNET || data.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = data.get(ETHERNET_HEADER..)?;
    let h = ip.first_chunk::<IPV4_MIN_HEADER>()?;
    let hdr_len = usize::from(h[0] & 0x0f) * 4;
    // RFC 791 §3.1: total length, then flags and fragment offset.
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let wire_left = (frame.orig_len as usize).max(data.len()) - ETHERNET_HEADER;
    let plain = h[0] >> 4 == 4
        && total != 0
        && total <= wire_left
        && (IPV4_MIN_HEADER..=total).contains(&hdr_len)
        && hdr_len <= ip.len()
        && u16::from_be_bytes([h[6], h[7]]) & 0x1fff == 0
        && h[9] == PROTO_TCP;
    if !plain {
        return None;
    }
    let stated = total - hdr_len;
    let rest = &ip[hdr_len..];
    let t = rest.first_chunk::<TCP_MIN_HEADER>()?;
    // RFC 9293 §3.1: data offset in 32-bit words.
    let tcp_len = usize::from(t[12] >> 4) * 4;
    if stated < TCP_MIN_HEADER
        || tcp_len < TCP_MIN_HEADER
        || tcp_len > stated
        || tcp_len > rest.len()
    {
        return None;
    }
    let captured = ip.get(hdr_len..total.min(ip.len()))?;
    let payload = captured.get(tcp_len..)?;
    let src = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
    let dst = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
    out.src.addr = IpAddr::V4(Ipv4Addr::from(src));
    out.src.port = u16::from_be_bytes([t[0], t[1]]);
    out.dst.addr = IpAddr::V4(Ipv4Addr::from(dst));
    out.dst.port = u16::from_be_bytes([t[2], t[3]]);
    out.seq = SeqNum(u32::from_be_bytes([t[4], t[5], t[6], t[7]]));
    out.ack = SeqNum(u32::from_be_bytes([t[8], t[9], t[10], t[11]]));
    out.flags = TcpFlags::from_bits(t[13]);
    out.window = u16::from_be_bytes([t[14], t[15]]);
    out.payload_len = (stated - tcp_len) as u32;
    // Cut by the snap length: the datagram runs past the captured bytes (a
    // first fragment's total length is its own, so it is never cut here).
    out.payload_truncated = ip.len() < total;
    out.ip_len = total as u32;
    out.checksum = Checksum::Unchecked;
    out.tunnel = None;
    out.tunnel_parent = None;
    out.ip.ttl = h[8];
    out.ip.id = Some(u16::from_be_bytes([h[4], h[5]]));
    Some(Ipv4Found { payload, src, dst })
}

#[cfg(test)]
mod tests;
