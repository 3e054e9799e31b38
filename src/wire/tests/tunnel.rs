//! Tunnels over IP: GRE (with its payload types) and IP-in-IP, nesting, the
//! depth limit, and damaged tunnel headers. UDP tunnels are in
//! [`super::tunnel_udp`]; the helpers that wrap packets are shared.

use super::*;

/// Outer tunnel endpoints.
pub(super) const OUTER4_A: [u8; 4] = [192, 0, 2, 1];
pub(super) const OUTER4_B: [u8; 4] = [192, 0, 2, 2];
pub(super) const OUTER6_A: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa];
pub(super) const OUTER6_B: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb];

/// An IPv4 header (checksum filled in) around `payload` of protocol `proto`.
pub(super) fn ip4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0, 7, 0x40, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&OUTER4_A);
    h.extend_from_slice(&OUTER4_B);
    let sum = !checksum::sum(0, &h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    cat(&[&h, payload])
}

/// An IPv6 header around `payload` with next header `proto`.
pub(super) fn ip6(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[proto, 64]);
    h.extend_from_slice(&OUTER6_A);
    h.extend_from_slice(&OUTER6_B);
    cat(&[&h, payload])
}

/// GRE version 0 with `flags` (C, K, S bits) and protocol type `ptype`;
/// each optional field present is filled with a recognisable word.
pub(super) fn gre(flags: u16, ptype: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&flags.to_be_bytes());
    h.extend_from_slice(&ptype.to_be_bytes());
    for bit in [0x8000u16, 0x2000, 0x1000] {
        if flags & bit != 0 {
            h.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        }
    }
    cat(&[&h, payload])
}

#[track_caller]
pub(super) fn tunneled(d: Decoded<'_>, kind: TunnelKind) -> TcpSegment<'_> {
    let s = segment(d);
    assert_eq!(s.tunnel, Some(kind), "{s:?}");
    s
}

#[track_caller]
pub(super) fn skipped(d: Decoded<'_>, want: Skip) {
    match d {
        Decoded::Skip(s) => assert_eq!(s, want),
        other => panic!("expected {want:?}, got {other:?}"),
    }
}

#[test]
fn gre_with_key_and_sequence_carries_ipv4_tcp() {
    let data = ethernet(0x0800, &ip4(47, &gre(0x3000, 0x0800, &ipv4_data(b"hello"))));
    let s = tunneled(unchecked(1, &data), TunnelKind::Gre);
    assert_client_to_server_v4(&s);
    // The inner datagram's length, as Zeek's orig_ip_bytes counts it.
    assert_eq!((s.payload, s.payload_len, s.ip_len), (&b"hello"[..], 5, 45));
}

#[test]
fn gre_with_checksum_carries_ipv6_over_ipv6() {
    let data = ip6(47, &gre(0x8000, 0x86dd, &ipv6_data(b"six")));
    let s = tunneled(unchecked(101, &data), TunnelKind::Gre);
    assert_eq!(s.src.addr, IpAddr::from(CLIENT6));
    assert_eq!((s.dst.port, s.payload_len), (443, 3));
}

#[test]
fn gre_transparent_ethernet_bridging_carries_a_frame() {
    let inner = ethernet(0x0800, &ipv4_syn());
    let data = ip4(47, &gre(0, 0x6558, &inner));
    assert_client_to_server_v4(&tunneled(unchecked(101, &data), TunnelKind::Gre));
}

#[test]
fn erspan_types_one_two_and_three_carry_mirrored_frames() {
    let inner = ethernet(0x0800, &ipv4_syn());
    // Type I: no ERSPAN header, no sequence number.
    let one = ip4(47, &gre(0, 0x88be, &inner));
    // Type II: sequence number, then an 8-byte ERSPAN header.
    let two = ip4(
        47,
        &gre(
            0x1000,
            0x88be,
            &cat(&[&[0x10, 0, 0, 1, 0, 0, 0, 0], &inner]),
        ),
    );
    // Type III: 12 bytes, the O bit (last bit) announcing 8 more.
    let three_hdr = [
        0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let three = ip4(47, &gre(0x1000, 0x22eb, &cat(&[&three_hdr, &inner])));
    for data in [one, two, three] {
        assert_client_to_server_v4(&tunneled(unchecked(101, &data), TunnelKind::Gre));
    }
}

#[test]
fn pptp_enhanced_gre_carries_ppp_ipv4() {
    // Version 1, K and S set: payload length, call id, sequence number.
    let ppp = cat(&[&[0xff, 0x03, 0x00, 0x21], &ipv4_data(b"ppp")]);
    let mut h = vec![0x30, 0x01, 0x88, 0x0b];
    h.extend_from_slice(&(ppp.len() as u16).to_be_bytes());
    h.extend_from_slice(&[0, 9, 0, 0, 0, 1]);
    let data = ip4(47, &cat(&[&h, &ppp]));
    let s = tunneled(unchecked(101, &data), TunnelKind::Gre);
    assert_eq!(s.payload_len, 3);
    // LCP, not IP: nothing to decapsulate.
    let lcp = ip4(47, &cat(&[&h, &[0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4]]));
    skipped(unchecked(101, &lcp), Skip::Tunnel(TunnelKind::Gre));
}

#[test]
fn gre_headers_zeek_does_not_follow_are_counted() {
    let ip = ipv4_syn();
    for (flags, ptype) in [
        (0x4000, 0x0800), // routing present (RFC 1701, deprecated)
        (0x0008, 0x0800), // reserved bits
        (0x0002, 0x0800), // version 2
        (0x0000, 0x8200), // Aruba 802.11
        (0x0000, 0x8847), // MPLS: not IP
    ] {
        let data = ip4(47, &gre(flags, ptype, &ip));
        skipped(unchecked(101, &data), Skip::Tunnel(TunnelKind::Gre));
    }
}

#[test]
fn ip_in_ip_both_versions_in_both_outer_families() {
    for data in [
        ip4(4, &ipv4_syn()),
        ip4(41, &ipv6_data(b"")),
        ip6(4, &ipv4_syn()),
        ip6(41, &ipv6_data(b"")),
    ] {
        let s = tunneled(unchecked(101, &data), TunnelKind::IpInIp);
        assert!(matches!(s.dst.port, 80 | 443));
    }
}

#[test]
fn ip_in_ip_with_the_wrong_inner_version_or_length_is_counted() {
    skipped(
        unchecked(101, &ip4(4, &ipv6_data(b""))),
        Skip::Tunnel(TunnelKind::IpInIp),
    );
    skipped(
        unchecked(101, &ip4(41, &ipv4_syn())),
        Skip::Tunnel(TunnelKind::IpInIp),
    );
    // Zeek wants the inner datagram to fill the outer payload exactly.
    let padded = ip4(4, &cat(&[&ipv4_syn(), &[0; 4]]));
    skipped(unchecked(101, &padded), Skip::Tunnel(TunnelKind::IpInIp));
}

#[test]
fn inner_packets_that_are_not_tcp_keep_their_own_reason() {
    let mut udp = Vec::new();
    PacketBuilder::ipv4(CLIENT4, SERVER4, 64)
        .udp(5353, 53)
        .write(&mut udp, b"dns")
        .expect("builds");
    let outer = ip4(4, &udp);
    let inner = datagram(unchecked(101, &outer));
    assert_eq!((inner.dst.port, inner.payload), (53, &b"dns"[..]));
    assert_eq!(inner.tunnel, Some(TunnelKind::IpInIp));
    assert!(inner.tunnel_parent.is_some());
    let mut later = ipv4_data(b"abcd");
    later[7] = 0x03;
    skipped(
        unchecked(101, &ip4(47, &gre(0, 0x0800, &later))),
        Skip::Fragment,
    );
}

/// `n` IP-in-IP layers around an IPv4 SYN.
fn nested(n: usize) -> Vec<u8> {
    let mut p = ipv4_syn();
    for _ in 0..n {
        p = ip4(4, &p);
    }
    p
}

#[test]
fn four_nested_tunnels_open_and_a_fifth_is_too_deep() {
    // The outermost header plus four tunnels: Zeek's Tunnel::max_depth.
    assert_client_to_server_v4(&tunneled(unchecked(101, &nested(4)), TunnelKind::IpInIp));
    skipped(unchecked(101, &nested(5)), Skip::TunnelTooDeep);
}

#[test]
fn mixed_nesting_reports_the_outermost_kind() {
    // VXLAN inside GRE inside IPv4.
    let vx = super::tunnel_udp::vxlan_frame(&ethernet(0x0800, &ipv4_syn()));
    let data = ip4(47, &gre(0, 0x0800, &vx));
    assert_client_to_server_v4(&tunneled(unchecked(101, &data), TunnelKind::Gre));
}

#[test]
fn gre_inner_packet_longer_than_captured_is_truncated_not_decapsulated() {
    // Zeek gives the packet inside GRE a wire length equal to what was
    // captured, so a snap-length cut leaves an inner header claiming more:
    // not decapsulated, and counted as truncated (the cut is to blame).
    let full = ip4(47, &gre(0, 0x0800, &ipv4_data(&[b'x'; 64])));
    let cut = Frame {
        orig_len: full.len() as u32,
        ..frame(101, &full[..full.len() - 10])
    };
    skipped(decode(&cut, &DecodeOptions::default()), Skip::Truncated);
    // An inner packet cut short inside a whole frame: its length is wrong.
    let inner = ipv4_data(&[b'x'; 64]);
    let short = ip4(47, &gre(0, 0x0800, &inner[..inner.len() - 10]));
    skipped(unchecked(101, &short), Skip::Tunnel(TunnelKind::Gre));
}

#[test]
fn every_prefix_of_nested_tunnels_decodes_without_panic() {
    let inner = ethernet(0x0800, &ipv4_data(b"payload"));
    let vx = super::tunnel_udp::vxlan_frame(&inner);
    let full = ethernet(0x0800, &ip4(47, &gre(0x3000, 0x0800, &vx)));
    for len in 0..=full.len() {
        let cut = &full[..len];
        for f in [
            frame(1, cut),
            Frame {
                orig_len: full.len() as u32,
                ..frame(1, cut)
            },
        ] {
            match decode(&f, &DecodeOptions::default()) {
                Decoded::Tcp(s) => assert_eq!((len, s.tunnel), (full.len(), Some(TunnelKind::Gre))),
                Decoded::Skip(_) | Decoded::TcpBadHeader { .. } => {}
                // VXLAN is known by its port: never plain UDP, whole or cut.
                Decoded::Udp(d) => panic!("prefix {len}: VXLAN taken for plain UDP: {d:?}"),
            }
        }
    }
}

#[test]
fn random_bytes_behind_every_tunnel_never_panic() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..20_000 {
        let len = (next() % 120) as usize;
        let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let data = match round % 4 {
            0 => ip4(47, &body),
            1 => ip6(4, &body),
            2 => ip4(41, &body),
            _ => {
                let port = [4789u16, 6081, 3544, 2152, 2123, 5072, 4754, 40000][round % 8];
                super::tunnel_udp::udp4(50000, port, &body)
            }
        };
        for validate in [false, true] {
            let opts = DecodeOptions {
                validate_checksums: validate,
            };
            let _ = decode(&frame(101, &data), &opts);
        }
    }
}
