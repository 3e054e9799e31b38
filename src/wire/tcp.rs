//! Transport layer: the TCP header (RFC 9293 §3.1). Tunnels are opened
//! before this, in [`super::tunnel`], which also picks TCP, UDP
//! ([`super::udp`]) or another protocol by the IP header's number.
//!
//! Zeek's order is kept: a TCP packet with fewer than 20 captured header bytes
//! (or an IP length too small for one) creates nothing; one whose data offset
//! is below 5 words or runs past the packet creates the connection but is
//! otherwise ignored ([`Decoded::TcpBadHeader`]).

use super::ip::{Transport, proto};
use super::{Checksum, Decoded, Endpoint, SeqNum, Skip, TcpFlags, TcpSegment};

/// The fixed part of a TCP header.
const TCP_MIN_HEADER: usize = 20;

fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Decodes the TCP header of `t` (whose protocol is TCP) and the payload
/// bounds.
#[inline]
pub(super) fn decode(t: Transport<'_>, validate: bool) -> Decoded<'_> {
    let stated = t.len as usize;
    // A stated length of zero (an IPv6 jumbogram, an offloaded segment) is
    // not judged here; the data offset check below catches it.
    if stated != 0 && stated < TCP_MIN_HEADER {
        return Decoded::Skip(Skip::Malformed);
    }
    let head = t.rest;
    if head.len() < TCP_MIN_HEADER {
        return Decoded::Skip(Skip::Truncated);
    }
    let src = Endpoint {
        addr: t.src,
        port: be16(head, 0),
    };
    let dst = Endpoint {
        addr: t.dst,
        port: be16(head, 2),
    };
    // Data offset: header length in 32-bit words (RFC 9293 §3.1).
    let hdr_len = usize::from(head[12] >> 4) * 4;
    if hdr_len < TCP_MIN_HEADER || hdr_len > stated || hdr_len > head.len() {
        return Decoded::TcpBadHeader { src, dst };
    }
    // `captured` is `rest` cut at the stated end, so it holds the header too.
    let seg = t.captured;
    let checksum = if !validate {
        Checksum::Unchecked
    } else if seg.len() < stated {
        Checksum::Truncated
    } else if super::checksum::transport_ok(t.src, t.dst, proto::TCP, seg) {
        Checksum::Valid
    } else {
        Checksum::Invalid
    };
    Decoded::Tcp(TcpSegment {
        src,
        dst,
        seq: SeqNum(be32(head, 4)),
        ack: SeqNum(be32(head, 8)),
        flags: TcpFlags::from_bits(head[13]),
        window: be16(head, 14),
        payload_len: (stated - hdr_len) as u32,
        ip_len: t.ip_len,
        payload: &seg[hdr_len..],
        // Decided by the caller, which knows whether the frame was cut.
        payload_truncated: false,
        checksum,
        tunnel: None,
        tunnel_parent: None,
        ip: t.marks,
    })
}
