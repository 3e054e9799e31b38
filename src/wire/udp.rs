//! Transport layer: the UDP header (RFC 768). The one UDP parser of the
//! crate: plain datagrams become [`Decoded::Udp`](super::Decoded::Udp), and
//! the tunnel code (`super::tunnel`) reads the ports, the length and the
//! checksum verdict of the datagrams that carry a tunnel from it too.
//!
//! The payload follows the IP header's length, not the UDP Length field:
//! Zeek forwards the bytes up to the IP-stated end (and only notes a
//! mismatch), so a decoder sees what Zeek's would. The field is kept as
//! stated for whoever wants to judge it.

use super::ip::{Transport, proto};
use super::{Checksum, Endpoint, UdpDatagram};

/// The UDP header: source port, destination port, length, checksum.
pub(super) const HEADER: usize = 8;

fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

/// Decodes the UDP header of `t` (whose protocol is UDP); `None` when the
/// eight header bytes are not all captured, or the IP length leaves no room
/// for them.
///
/// `uncaptured` is how many bytes of the packet's on-the-wire length the
/// capture did not keep: with any, the checksum is not judged (the tunnel
/// code has always read it so, as Zeek does for a packet cut short).
#[inline]
pub(super) fn decode<'a>(
    t: &Transport<'a>,
    uncaptured: usize,
    validate: bool,
) -> Option<UdpDatagram<'a>> {
    let udp = t.captured;
    if udp.len() < HEADER {
        return None;
    }
    let stated = t.len as usize;
    let field = be16(udp, 6);
    let checksum = if !validate {
        Checksum::Unchecked
    } else if uncaptured != 0 || t.first_fragment || udp.len() != stated {
        // The checksum covers every byte of the datagram, and some are
        // missing: cut by the snap length, or in later IP fragments.
        Checksum::Truncated
    } else if field == 0 && t.src.is_ipv4() {
        // RFC 768: an all-zero checksum means the sender computed none.
        Checksum::Absent
    } else if super::checksum::transport_ok(t.src, t.dst, proto::UDP, udp) {
        // Over IPv6 a zero field is summed like any other, as Zeek does
        // (RFC 8200 §8.1 makes the checksum mandatory there).
        Checksum::Valid
    } else if field == 0 {
        // Over IPv6 a zero that does not verify is a missing checksum: RFC
        // 8200 §8.1 says to discard it, RFC 6935 §5 lets tunnel protocols
        // send it; the caller knows which it is.
        Checksum::Absent
    } else {
        Checksum::Invalid
    };
    Some(UdpDatagram {
        src: Endpoint {
            addr: t.src,
            port: be16(udp, 0),
        },
        dst: Endpoint {
            addr: t.dst,
            port: be16(udp, 2),
        },
        length: be16(udp, 4),
        payload_len: stated.saturating_sub(HEADER) as u32,
        ip_len: t.ip_len,
        payload: &udp[HEADER..],
        checksum,
        tunnel: None,
        tunnel_parent: None,
    })
}
