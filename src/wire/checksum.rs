//! The Internet checksum (RFC 1071): a 16-bit one's-complement sum.
//!
//! Used only when checksums are validated (`--validate-checksums`): the IPv4
//! header checksum (RFC 791 §3.1), the TCP checksum over the pseudo-header
//! (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6), and the UDP checksum
//! over the same pseudo-header (RFC 768).
//!
//! A leaf: the callers (`ip`, `tcp`, `udp`) pass in the protocol number,
//! so this module knows no header layout and imports nothing from `wire`.

use std::net::IpAddr;

/// Adds `data` to a running one's-complement sum `acc` and returns the folded
/// 16-bit sum (not complemented). A correct packet sums to 0xffff.
///
/// Four bytes at a time into a 64-bit accumulator: the carries are folded
/// once at the end, which RFC 1071 §2(B) allows because the sum is
/// associative and byte-order independent.
pub(super) fn sum(acc: u64, data: &[u8]) -> u16 {
    fold(add(acc, data))
}

/// Adds `data` (as big-endian 16-bit words, odd byte padded with zero) to `acc`.
fn add(mut acc: u64, data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        acc += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    let rest = words.remainder();
    let mut pairs = rest.chunks_exact(2);
    for p in &mut pairs {
        acc += u64::from(u16::from_be_bytes([p[0], p[1]]));
    }
    if let [last] = pairs.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

/// Folds a wide sum into 16 bits with end-around carry.
fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// True when a TCP or UDP datagram `segment` (header and payload, fully
/// captured) of protocol `proto` sums to 0xffff with its pseudo-header
/// (RFC 768 for UDP uses the same pseudo-header as TCP).
pub(super) fn transport_ok(src: IpAddr, dst: IpAddr, proto: u8, segment: &[u8]) -> bool {
    let mut acc = 0u64;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = add(acc, &s.octets());
            acc = add(acc, &d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            acc = add(acc, &s.octets());
            acc = add(acc, &d.octets());
        }
        // Decoding never mixes families; a mismatch cannot verify.
        _ => return false,
    }
    // Protocol number and upper-layer length complete the pseudo-header.
    acc += u64::from(proto);
    acc += segment.len() as u64;
    sum(acc, segment) == 0xffff
}

#[cfg(test)]
mod tests;
