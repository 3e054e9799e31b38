//! Link layer: from the start of a frame to the start of its IP header.
//!
//! Each link type has its own header; Ethernet can stack further headers
//! (VLAN tags, MPLS labels, PPPoE, Cisco FabricPath, 802.1ah PBB, VN-Tag)
//! before the IP header. This module walks that stack the way Zeek's packet
//! analyzers do, so that the flow stage sees the same packets Zeek sees.
//! The result is only an offset: no copy, no allocation.

use super::Skip;
use crate::capture::LinkType;

/// EtherType values (IEEE 802 numbers registry) this walker follows.
mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86dd;
    /// IEEE 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// IEEE 802.1ad service VLAN tag (QinQ outer tag).
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ outer tag used by some switches.
    pub const QINQ_OLD: u16 = 0x9100;
    /// MPLS unicast (RFC 3032 §5).
    pub const MPLS_UC: u16 = 0x8847;
    /// MPLS multicast (RFC 5332).
    pub const MPLS_MC: u16 = 0x8848;
    /// PPPoE session stage (RFC 2516 §5).
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// Cisco FabricPath: an outer MAC-in-MAC header before the real Ethernet header.
    pub const FABRICPATH: u16 = 0x8903;
    /// IEEE 802.1ah Provider Backbone Bridging (I-TAG, then a customer Ethernet header).
    pub const PBB: u16 = 0x88e7;
    /// Cisco VN-Tag (IEEE 802.1Qbh draft): a 4-byte tag, then the next EtherType.
    pub const VNTAG: u16 = 0x8926;
    /// EtherType values below this are 802.3 lengths, not types (IEEE 802.3 §3.2.6).
    pub const MIN_TYPE: u16 = 0x0600;
    /// The largest 802.3 length value.
    pub const MAX_LENGTH: u16 = 1500;
}

/// PPP protocol numbers (RFC 1661 §2, IANA PPP DLL protocol numbers).
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;

/// libpcap's DLT_RAW, which some old files store instead of LINKTYPE_RAW (101).
const DLT_RAW_COMMON: u32 = 12;
/// DLT_RAW on OpenBSD.
const DLT_RAW_OPENBSD: u32 = 14;

/// How many stacked link headers one frame may carry before it is called
/// malformed. Real frames rarely exceed four; the bound keeps garbage cheap.
const MAX_LAYERS: usize = 16;

/// Reads a big-endian u16 at `off`, or says the frame is too short.
fn be16(data: &[u8], off: usize) -> Result<u16, Skip> {
    match data.get(off..off + 2) {
        Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
        None => Err(Skip::Truncated),
    }
}

/// Fails unless `data` holds at least `len` bytes.
fn need(data: &[u8], len: usize) -> Result<(), Skip> {
    if data.len() >= len {
        Ok(())
    } else {
        Err(Skip::Truncated)
    }
}

/// The offset of the IP header in `data`, a frame of link type `link`.
#[inline]
pub(super) fn ip_offset(link: LinkType, data: &[u8]) -> Result<usize, Skip> {
    match link.0 {
        // LINKTYPE_ETHERNET; the common case (IP right after the 14-byte
        // header, no FabricPath outer header) without walking the stack.
        1 => match data.get(12..14) {
            Some(&[0x08, 0x00] | &[0x86, 0xdd]) => Ok(14),
            _ => walk(data, Next::Ethernet(0)),
        },
        // Raw IP: the version nibble says which. 228/229 are IPv4-only and
        // IPv6-only, which the IP layer's version check covers.
        101 | 228 | 229 | DLT_RAW_COMMON | DLT_RAW_OPENBSD => Ok(0),
        // LINKTYPE_NULL: a 4-byte address family in the *capturing* host's
        // byte order. Values that only make sense swapped were written by a
        // host of the other byte order (tcpdump.org LINKTYPE_NULL).
        0 => {
            let b = data.get(0..4).ok_or(Skip::Truncated)?;
            let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let family = if le > 0xffff { le.swap_bytes() } else { le };
            bsd_family(family)
        }
        // LINKTYPE_LOOP: the same family, always in network byte order.
        108 => {
            let b = data.get(0..4).ok_or(Skip::Truncated)?;
            bsd_family(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        // LINKTYPE_LINUX_SLL: 16-byte header, protocol type in its last 2 bytes.
        113 => {
            need(data, 16)?;
            cooked(data, be16(data, 14)?, 16)
        }
        // LINKTYPE_LINUX_SLL2: 20-byte header, protocol type first.
        276 => {
            need(data, 20)?;
            cooked(data, be16(data, 0)?, 20)
        }
        other => Err(Skip::UnknownLinkType(other)),
    }
}

/// BSD address families that carry IP: AF_INET is 2 everywhere; AF_INET6
/// is 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly) or 30 (Darwin).
fn bsd_family(family: u32) -> Result<usize, Skip> {
    match family {
        2 | 24 | 28 | 30 => Ok(4),
        _ => Err(Skip::NotIp),
    }
}

/// Linux cooked captures carry an EtherType for Ethernet-like devices; values
/// below 0x0600 are ARPHRD-specific protocol numbers (802.2 LLC, CAN, ...).
fn cooked(data: &[u8], protocol: u16, off: usize) -> Result<usize, Skip> {
    if protocol < ethertype::MIN_TYPE {
        return Err(Skip::NotIp);
    }
    walk(data, Next::EtherType(protocol, off))
}

/// What comes next while walking the link-layer stack.
enum Next {
    /// An Ethernet header (destination, source, type/length) at this offset.
    Ethernet(usize),
    /// A payload of this EtherType starting at this offset.
    EtherType(u16, usize),
}

/// Walks stacked link headers until an IP header, without recursion.
fn walk(data: &[u8], mut next: Next) -> Result<usize, Skip> {
    use ethertype::*;
    for _ in 0..MAX_LAYERS {
        next = match next {
            Next::Ethernet(mut off) => {
                need(data, off + 14)?;
                // Cisco FabricPath puts a 16-byte outer header (MACs, 0x8903,
                // FTag/TTL) before the real Ethernet header; Zeek skips it.
                if be16(data, off + 12)? == FABRICPATH {
                    off += 16;
                    need(data, off + 14)?;
                }
                let t = be16(data, off + 12)?;
                if t >= MIN_TYPE {
                    Next::EtherType(t, off + 14)
                } else if t <= MAX_LENGTH {
                    return llc(data, off + 14);
                } else {
                    // 1501..=1535 is neither a length nor a type.
                    return Err(Skip::Malformed);
                }
            }
            Next::EtherType(t, off) => match t {
                IPV4 | IPV6 => return Ok(off),
                // A VLAN tag: 2 bytes TCI, then the next type (IEEE 802.1Q §9.6).
                VLAN | QINQ | QINQ_OLD => {
                    let inner = be16(data, off + 2)?;
                    if inner >= MIN_TYPE {
                        Next::EtherType(inner, off + 4)
                    } else {
                        return llc(data, off + 4);
                    }
                }
                MPLS_UC | MPLS_MC => return mpls(data, off),
                // PPPoE session header (6 bytes) then the PPP protocol field.
                PPPOE_SESSION => {
                    return match be16(data, off + 6)? {
                        PPP_IPV4 | PPP_IPV6 => Ok(off + 8),
                        _ => Err(Skip::NotIp),
                    };
                }
                // The 4-byte I-TAG, then a full customer Ethernet header.
                PBB => {
                    need(data, off + 4)?;
                    Next::Ethernet(off + 4)
                }
                VNTAG => Next::EtherType(be16(data, off + 4)?, off + 6),
                _ => return Err(Skip::NotIp),
            },
        };
    }
    Err(Skip::Malformed)
}

/// An 802.3 frame: only SNAP (AA AA 03, OUI, EtherType) can carry IP here.
fn llc(data: &[u8], off: usize) -> Result<usize, Skip> {
    let head = data.get(off..off + 3).ok_or(Skip::Truncated)?;
    if head == [0xaa, 0xaa, 0x03] {
        let t = be16(data, off + 6)?;
        if t >= ethertype::MIN_TYPE {
            return walk(data, Next::EtherType(t, off + 8));
        }
    }
    Err(Skip::NotIp)
}

/// Pops an MPLS label stack (RFC 3032 §2.1): 4 bytes per label, the S bit
/// marks the bottom. The payload type is not encoded; like Zeek, take IP by
/// its version nibble.
fn mpls(data: &[u8], mut off: usize) -> Result<usize, Skip> {
    loop {
        let label = data.get(off..off + 4).ok_or(Skip::Truncated)?;
        off += 4;
        if label[2] & 0x01 != 0 {
            break;
        }
    }
    match data.get(off).map(|b| b >> 4) {
        Some(4) | Some(6) => Ok(off),
        Some(_) => Err(Skip::NotIp),
        None => Err(Skip::Truncated),
    }
}
