//! `local_orig` and `local_resp` as a default Zeek sets them.
//!
//! Zeek (since 6.0) copies `Site::private_address_space` into
//! `Site::local_nets` (`Site::private_address_space_is_local`, on by
//! default), so an unconfigured Zeek logs `T` for an address in one of the
//! IANA special-purpose blocks below and `F` for any other: never `-`. The
//! blocks are those of Zeek's `base/utils/site.zeek`, each IPv4 block also as
//! its 6to4 form (RFC 3056).

use std::net::IpAddr;

/// IPv4 blocks: (network, prefix length).
const V4: [(u32, u32); 14] = [
    (0x0000_0000, 8),  // "this network", RFC 791
    (0x0a00_0000, 8),  // private use, RFC 1918
    (0x6440_0000, 10), // shared address space, RFC 6598
    (0x7f00_0000, 8),  // loopback, RFC 1122
    (0xa9fe_0000, 16), // link local, RFC 3927
    (0xac10_0000, 12), // private use, RFC 1918
    (0xc000_0000, 24), // IETF protocol assignments, RFC 6890
    (0xc000_0200, 24), // TEST-NET-1, RFC 5737
    (0xc0a8_0000, 16), // private use, RFC 1918
    (0xc612_0000, 15), // benchmarking, RFC 2544
    (0xc633_6400, 24), // TEST-NET-2, RFC 5737
    (0xcb00_7100, 24), // TEST-NET-3, RFC 5737
    (0xf000_0000, 4),  // reserved, RFC 1112
    (0xffff_ffff, 32), // limited broadcast, RFC 919
];

/// IPv6 blocks that are not 6to4 forms of [`V4`]: (network, prefix length).
const V6: [(u128, u32); 9] = [
    (0, 128),                          // unspecified, RFC 4291
    (1, 128),                          // loopback, RFC 4291
    (0x0064_ff9b_0001_u128 << 80, 48), // IPv4-IPv6 translation, RFC 8215
    (0x0100_u128 << 112, 64),          // discard-only, RFC 6666
    (0x2001_u128 << 112, 23),          // IETF protocol assignments, RFC 2928
    (0x2001_0002_u128 << 96, 48),      // benchmarking, RFC 5180
    (0x2001_0db8_u128 << 96, 32),      // documentation, RFC 3849
    (0xfc00_u128 << 112, 7),           // unique local, RFC 4193
    (0xfe80_u128 << 112, 10),          // link-local unicast, RFC 4291
];

fn in_v4(a: u32) -> bool {
    V4.iter()
        .any(|&(net, len)| (a ^ net).checked_shr(32 - len).unwrap_or(0) == 0)
}

fn in_v6(a: u128) -> bool {
    let direct = V6
        .iter()
        .any(|&(net, len)| (a ^ net).checked_shr(128 - len).unwrap_or(0) == 0);
    // 2002:AABB:CCDD::/16+n is the 6to4 form of AA.BB.CC.DD/n (RFC 3056 §2).
    let six_to_four = (a >> 112) == 0x2002 && {
        let v4 = (a >> 80) as u32;
        V4.iter().any(|&(net, len)| {
            // The 6to4 prefix carries the IPv4 block's bits; a longer IPv6
            // prefix than 16 + 32 (255.255.255.255's /48) has none left.
            (v4 ^ net).checked_shr(32 - len).unwrap_or(0) == 0
        })
    };
    direct || six_to_four
}

/// Whether a default Zeek counts `a` as local (`Site::is_local_addr`).
pub fn is_local(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => in_v4(u32::from(v4)),
        // Zeek keeps IPv4 addresses in their IPv4-mapped form, so a mapped
        // address is the IPv4 address.
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => in_v4(u32::from(v4)),
            None => in_v6(u128::from(v6)),
        },
    }
}

#[cfg(test)]
mod tests;
