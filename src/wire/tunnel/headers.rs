//! The tunnel headers themselves, one parser each, with Zeek's length and
//! flag rules: each returns what the header carries ([`Payload`]) or says it
//! does not parse ([`Broken`]). Zeek's detection of AYIYA and Teredo on
//! ports not registered to them is here too.

use super::{Broken, IPV4_HEADER, IPV6_HEADER, Payload};
use crate::wire::Skip;
use crate::wire::ip::proto;

/// An Ethernet header without tags.
const ETHERNET_HEADER: usize = 14;
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

fn be16(b: &[u8], off: usize) -> Result<u16, Broken> {
    match b.get(off..off + 2) {
        Some(w) => Ok(u16::from_be_bytes([w[0], w[1]])),
        None => Err(Broken),
    }
}

/// GRE, RFC 2784 §2 with the key and sequence fields of RFC 2890 §2, and
/// enhanced GRE for PPTP (RFC 2637 §4.1), with Zeek's length rules.
pub(super) fn gre(d: &[u8]) -> Result<Payload<'_>, Broken> {
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
pub(super) fn vxlan(d: &[u8]) -> Result<Payload<'_>, Broken> {
    let rest = d.get(8..).ok_or(Broken)?;
    if d[0] & 0x08 == 0 || rest.is_empty() {
        return Err(Broken);
    }
    Ok(Payload::Ethernet(rest))
}

/// Geneve, RFC 8926 §3.4: version 0, options skipped by their total length,
/// the protocol type naming the payload.
pub(super) fn geneve(d: &[u8]) -> Result<Payload<'_>, Broken> {
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
pub(super) fn ayiya(d: &[u8]) -> Result<Payload<'_>, Broken> {
    if d.len() < 8 {
        return Err(Broken);
    }
    // A length of 2^nibble bytes, up to 32 KiB. Zeek 2.x held it in a
    // uint8_t (so nibbles 8-15 gave 0); today's Zeek uses size_t, as here.
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
pub(super) fn ayiya_detected(d: &[u8]) -> bool {
    d.len() >= 3 && d[1] == 0x52 && d[2] == 0x11
}

/// Teredo, RFC 4380 §5.1.1: an optional authentication header, then an
/// optional origin indication, then IPv6 (Zeek's `TeredoEncapsulation`).
pub(super) fn teredo(mut d: &[u8]) -> Result<Payload<'_>, Broken> {
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
pub(super) fn teredo_detected(d: &[u8]) -> bool {
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
pub(super) fn gtp(d: &[u8]) -> Result<Payload<'_>, Broken> {
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
