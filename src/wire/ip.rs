//! Network layer: IPv4 (RFC 791) and IPv6 (RFC 8200) headers, down to the
//! transport header.
//!
//! Lengths follow the IP header, not the capture: the transport payload ends
//! where the IP header says the datagram ends, so Ethernet padding is never
//! payload and a snap-length cut only shortens the captured slice. Where Zeek
//! drops a packet for a length problem (its IP analyzer), this returns the
//! [`Skip`] that names it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Skip;

/// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
pub(super) mod proto {
    pub const HOP_BY_HOP: u8 = 0;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const AH: u8 = 51;
    pub const DEST_OPTS: u8 = 60;
}

/// The transport part of one IP datagram.
pub(super) struct Transport<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address (the final one when a routing header names it).
    pub dst: IpAddr,
    /// The protocol of the transport header.
    pub proto: u8,
    /// The captured transport bytes, cut at the IP-stated end (no padding).
    pub captured: &'a [u8],
    /// Everything captured after the network headers, padding included:
    /// Zeek judges whether a transport header is there by this.
    pub rest: &'a [u8],
    /// Transport length as the IP header states it.
    pub len: u32,
    /// The IP datagram length as its header states it (zero after
    /// segmentation offload, see [`ipv4`]).
    pub ip_len: u32,
    /// The first fragment of a fragmented datagram (more fragments follow):
    /// the transport bytes end before the datagram does.
    pub first_fragment: bool,
    /// TTL or hop limit, and the IPv4 identification.
    pub marks: super::IpMarks,
}

/// Reads a big-endian u16; callers have checked the bounds.
fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

/// Decodes the IP header at the start of `ip`. `wire_left` is how many bytes
/// of the frame's on-the-wire length remain from this header on.
#[inline]
pub(super) fn decode(ip: &[u8], wire_left: usize, validate: bool) -> Result<Transport<'_>, Skip> {
    match ip.first().map(|b| b >> 4) {
        Some(4) => ipv4(ip, wire_left, validate),
        Some(6) => ipv6(ip, wire_left),
        Some(_) => Err(Skip::Malformed),
        None => Err(Skip::Truncated),
    }
}

/// IPv4, RFC 791 §3.1.
#[inline]
fn ipv4(ip: &[u8], wire_left: usize, validate: bool) -> Result<Transport<'_>, Skip> {
    if ip.len() < 20 {
        return Err(Skip::Truncated);
    }
    let hdr_len = usize::from(ip[0] & 0x0f) * 4;
    let stated = usize::from(be16(ip, 2));
    let mut total = stated;
    if total == 0 {
        // Segmentation offload can leave the total length zero (the capture
        // saw the packet before the NIC split it). Zeek then takes the
        // captured length when checksums are ignored, and drops the packet
        // when they are validated (its checksum would be wrong too).
        if validate {
            return Err(Skip::Malformed);
        }
        total = ip.len();
    }
    // The header may not claim more than the wire carried (Zeek: truncated_IP_len).
    if wire_left < total {
        return Err(Skip::Malformed);
    }
    if hdr_len < 20 || hdr_len > total {
        return Err(Skip::Malformed);
    }
    if hdr_len > ip.len() {
        return Err(Skip::Truncated);
    }
    if validate && super::checksum::sum(0, &ip[..hdr_len]) != 0xffff {
        return Err(Skip::BadIpChecksum);
    }
    // Flags and fragment offset (RFC 791 §3.1): a non-zero offset means this
    // fragment does not start with the transport header.
    let frag = be16(ip, 6);
    if frag & 0x1fff != 0 {
        return Err(Skip::Fragment);
    }
    let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    let (proto, off) = skip_ah(ip, ip[9], hdr_len, total)?;
    let end = total.min(ip.len());
    Ok(Transport {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        proto,
        captured: &ip[off..end],
        rest: &ip[off..],
        len: (total - off) as u32,
        ip_len: stated as u32,
        // The MF flag (RFC 791 §3.1).
        first_fragment: frag & 0x2000 != 0,
        marks: super::IpMarks {
            ttl: ip[8],
            id: Some(be16(ip, 4)),
        },
    })
}

/// Skips IPsec Authentication Headers after an IPv4 header, as the IPv6
/// walk below skips them among the extension headers: AH authenticates but
/// does not encrypt, so the transport header behind it is in the clear
/// (RFC 4302 §3.1.1: in transport mode it sits between the IP header and the
/// upper-layer protocol). Its Payload Len counts 4-octet units minus 2
/// (§2.2). Zeek follows AH only in IPv6's header chain. ESP (protocol 50)
/// encrypts what follows and is left as it is.
fn skip_ah(ip: &[u8], mut proto: u8, mut off: usize, total: usize) -> Result<(u8, usize), Skip> {
    while proto == proto::AH {
        // The fixed part: next header, length, reserved, SPI, sequence (§2).
        let h = ip.get(off..off + 12).ok_or(Skip::Truncated)?;
        let len = (usize::from(h[1]) + 2) * 4;
        if len < 12 || off + len > total {
            return Err(Skip::Malformed);
        }
        proto = h[0];
        off += len;
    }
    Ok((proto, off))
}

/// The length after the IPv6 header of a packet whose Payload Length is
/// zero: RFC 2675 §2 jumbograms (Linux BIG TCP's packets above 64 KiB) carry
/// it in a Jumbo Payload option (type 0xC2) of the Hop-by-Hop header, and it
/// must exceed 65 535 (§3). `None`: no such option, the zero stands (as in
/// Zeek, the TCP header then does not fit).
fn jumbo_payload(ip: &[u8]) -> Result<Option<usize>, Skip> {
    if ip[6] != proto::HOP_BY_HOP {
        return Ok(None);
    }
    let h = ip.get(40..42).ok_or(Skip::Truncated)?;
    let hbh = ip
        .get(40..40 + (usize::from(h[1]) + 1) * 8)
        .ok_or(Skip::Truncated)?;
    // Options are type, length, data (RFC 8200 §4.2); Pad1 is one byte.
    let mut opts = &hbh[2..];
    while let Some(&kind) = opts.first() {
        if kind == 0 {
            opts = &opts[1..];
            continue;
        }
        let len = usize::from(*opts.get(1).ok_or(Skip::Malformed)?);
        let data = opts.get(2..2 + len).ok_or(Skip::Malformed)?;
        if kind == 0xc2 {
            let [a, b, c, d] = *data else {
                return Err(Skip::Malformed);
            };
            let jumbo = u32::from_be_bytes([a, b, c, d]) as usize;
            return if jumbo > 65_535 {
                Ok(Some(jumbo))
            } else {
                Err(Skip::Malformed)
            };
        }
        opts = &opts[2 + len..];
    }
    Ok(None)
}

/// Reads 16 bytes as an IPv6 address; callers have checked the bounds.
fn addr6(b: &[u8], off: usize) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[off..off + 16]);
    Ipv6Addr::from(a)
}

/// IPv6, RFC 8200 §3, walking the extension headers of §4.
fn ipv6(ip: &[u8], wire_left: usize) -> Result<Transport<'_>, Skip> {
    if ip.len() < 40 {
        return Err(Skip::Truncated);
    }
    // Zeek takes the payload length as stated, even zero: a jumbogram then
    // has headers longer than the packet (its weird `invalid_IP_header_size`)
    // and is dropped. Here a zero is looked into (RFC 2675).
    let stated = usize::from(be16(ip, 4));
    let payload = match stated {
        0 => jumbo_payload(ip)?.unwrap_or(0),
        n => n,
    };
    let total = payload + 40;
    if wire_left < total {
        return Err(Skip::Malformed);
    }
    let src = addr6(ip, 8);
    let mut dst = addr6(ip, 24);
    let mut next = ip[6];
    let mut off = 40;
    let mut first_fragment = false;
    while matches!(
        next,
        proto::HOP_BY_HOP | proto::ROUTING | proto::DEST_OPTS | proto::FRAGMENT | proto::AH
    ) {
        let h = ip.get(off..off + 8).ok_or(Skip::Truncated)?;
        let ext_len = match next {
            // Fragment header: fixed 8 bytes (§4.5); a non-zero offset means
            // this fragment does not start with the transport header.
            proto::FRAGMENT => {
                if be16(h, 2) & 0xfff8 != 0 {
                    return Err(Skip::Fragment);
                }
                // The M flag: more fragments follow.
                first_fragment = h[3] & 0x01 != 0;
                8
            }
            // AH length is in 4-octet units minus 2 (RFC 4302 §2.2).
            proto::AH => (usize::from(h[1]) + 2) * 4,
            // The others count 8-octet units beyond the first 8 (§4.3, §4.4, §4.6).
            _ => (usize::from(h[1]) + 1) * 8,
        };
        let header = ip.get(off..off + ext_len).ok_or(Skip::Truncated)?;
        if next == proto::ROUTING
            && let Some(final_dst) = routing_final_destination(header)
        {
            dst = final_dst;
        }
        next = header[0];
        off += ext_len;
    }
    // Extension headers may not run past the stated length (Zeek: invalid_IP_header_size).
    if off > total {
        return Err(Skip::Malformed);
    }
    let end = total.min(ip.len());
    Ok(Transport {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        proto: next,
        captured: &ip[off..end],
        rest: &ip[off..],
        len: (total - off) as u32,
        ip_len: total as u32,
        first_fragment,
        // RFC 8200 §3: the hop limit; the base header has no identification.
        marks: super::IpMarks {
            ttl: ip[7],
            id: None,
        },
    })
}

/// The final destination a routing header names while segments remain, as
/// Zeek uses it for the connection key and the checksum: type 0 (RFC 2460
/// §4.4, deprecated by RFC 5095) lists addresses, the last is final; type 2
/// (RFC 6275 §6.4) carries the home address.
fn routing_final_destination(h: &[u8]) -> Option<Ipv6Addr> {
    let hdr_ext_len = usize::from(h[1]);
    let routing_type = h[2];
    let segments_left = h[3];
    if segments_left == 0 {
        return None;
    }
    match routing_type {
        0 if hdr_ext_len >= 2 && hdr_ext_len % 2 == 0 => {
            let last = 8 + hdr_ext_len * 8 - 16;
            Some(addr6(h, last))
        }
        2 if hdr_ext_len == 2 => Some(addr6(h, 8)),
        _ => None,
    }
}
