//! Tunnels over UDP: VXLAN, Geneve, Teredo, GTP-U, AYIYA and GRE in UDP, by
//! Zeek's ports and Zeek's detection, with their optional headers and the
//! ways they break.

use super::tunnel::{OUTER4_A, OUTER4_B, OUTER6_A, OUTER6_B, gre, skipped, tunneled};
use super::*;

/// An IPv4/UDP datagram between the outer endpoints (checksums filled in).
pub(super) fn udp4(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4(OUTER4_A, OUTER4_B, 64)
        .udp(sport, dport)
        .write(&mut v, payload)
        .expect("builds");
    v
}

fn udp6(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv6(OUTER6_A, OUTER6_B, 64)
        .udp(sport, dport)
        .write(&mut v, payload)
        .expect("builds");
    v
}

/// A VXLAN datagram (I flag, VNI 42) around an Ethernet frame.
pub(super) fn vxlan_frame(inner: &[u8]) -> Vec<u8> {
    udp4(50000, 4789, &cat(&[&[0x08, 0, 0, 0, 0, 0, 42, 0], inner]))
}

fn inner_eth() -> Vec<u8> {
    ethernet(0x0800, &ipv4_data(b"vx"))
}

#[test]
fn vxlan_carries_an_ethernet_frame_with_a_vlan_tag() {
    let data = vxlan_frame(&inner_eth());
    let s = tunneled(unchecked(101, &data), TunnelKind::Vxlan);
    assert_client_to_server_v4(&s);
    assert_eq!((s.payload_len, s.ip_len), (2, 42));
    let tagged = ethernet(0x8100, &cat(&[&[0, 5, 0x08, 0x00], &ipv4_syn()]));
    tunneled(unchecked(101, &vxlan_frame(&tagged)), TunnelKind::Vxlan);
}

#[test]
fn vxlan_without_the_i_flag_or_payload_is_counted_and_arp_is_not_ip() {
    let no_i = udp4(
        50000,
        4789,
        &cat(&[&[0, 0, 0, 0, 0, 0, 42, 0], &inner_eth()]),
    );
    skipped(unchecked(101, &no_i), Skip::Tunnel(TunnelKind::Vxlan));
    let empty = udp4(50000, 4789, &[0x08, 0, 0, 0, 0, 0, 42, 0]);
    skipped(unchecked(101, &empty), Skip::Tunnel(TunnelKind::Vxlan));
    let arp = vxlan_frame(&ethernet(0x0806, &[0; 28]));
    skipped(unchecked(101, &arp), Skip::NotIp);
    let not_ip = vxlan_frame(&ethernet(0x0800, &[0x35; 40]));
    skipped(unchecked(101, &not_ip), Skip::Tunnel(TunnelKind::Vxlan));
}

#[test]
fn vxlan_reply_from_the_tunnel_port_and_over_ipv6() {
    let reply = udp4(
        4789,
        50000,
        &cat(&[&[0x08, 0, 0, 0, 0, 0, 42, 0], &inner_eth()]),
    );
    tunneled(unchecked(101, &reply), TunnelKind::Vxlan);
    let v6 = udp6(
        50000,
        4789,
        &cat(&[&[0x08, 0, 0, 0, 0, 0, 42, 0], &inner_eth()]),
    );
    tunneled(unchecked(101, &v6), TunnelKind::Vxlan);
}

#[test]
fn vxlan_snaplen_cut_keeps_the_inner_stated_length() {
    let inner = ethernet(0x0800, &ipv4_data(&[b'x'; 200]));
    let full = ethernet(0x0800, &vxlan_frame(&inner));
    let cut = Frame {
        orig_len: full.len() as u32,
        ..frame(1, &full[..full.len() - 150])
    };
    let s = tunneled(decode(&cut, &DecodeOptions::default()), TunnelKind::Vxlan);
    assert_eq!((s.payload_len, s.payload.len()), (200, 50));
    assert!(s.payload_truncated, "the snap length cut it");
}

fn geneve(opt_words: u8, ptype: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![opt_words & 0x3f, 0];
    h.extend_from_slice(&ptype.to_be_bytes());
    h.extend_from_slice(&[0, 0, 7, 0]);
    // Options: class, type, length in words (of the data after these 4 bytes).
    for _ in 0..opt_words / 2 {
        h.extend_from_slice(&[0x01, 0x02, 0x80, 0x01, 0xaa, 0xbb, 0xcc, 0xdd]);
    }
    udp4(50000, 6081, &cat(&[&h, payload]))
}

#[test]
fn geneve_skips_options_and_carries_ethernet_or_ip() {
    for data in [
        geneve(0, 0x6558, &inner_eth()),
        geneve(4, 0x6558, &inner_eth()),
        geneve(2, 0x0800, &ipv4_data(b"gn")),
    ] {
        assert_client_to_server_v4(&tunneled(unchecked(101, &data), TunnelKind::Geneve));
    }
    let data = geneve(2, 0x86dd, &ipv6_data(b"v6"));
    let s = tunneled(unchecked(101, &data), TunnelKind::Geneve);
    assert_eq!(s.dst.port, 443);
}

#[test]
fn geneve_bad_version_short_options_and_unknown_types_are_counted() {
    let mut v1 = geneve(0, 0x6558, &inner_eth());
    v1[28] |= 0x40; // version 1
    skipped(unchecked(101, &v1), Skip::Tunnel(TunnelKind::Geneve));
    // 63 words of options announced, a few bytes present.
    let short = udp4(50000, 6081, &[0x3f, 0, 0x65, 0x58, 0, 0, 7, 0, 1, 2, 3]);
    skipped(unchecked(101, &short), Skip::Tunnel(TunnelKind::Geneve));
    skipped(
        unchecked(101, &geneve(0, 0x1234, &inner_eth())),
        Skip::Tunnel(TunnelKind::Geneve),
    );
    skipped(unchecked(101, &geneve(0, 0x0806, &[0; 28])), Skip::NotIp);
}

#[test]
fn gre_in_udp_carries_ip() {
    let data = udp4(50000, 4754, &gre(0, 0x0800, &ipv4_syn()));
    assert_client_to_server_v4(&tunneled(unchecked(101, &data), TunnelKind::Gre));
}

/// An IPv6 TCP segment between two Teredo addresses (2001:0::/32).
fn teredo_inner() -> Vec<u8> {
    let client = [
        0x20, 0x01, 0, 0, 0x41, 0x37, 0x9e, 0x50, 0x80, 0, 0xf1, 0x2a, 0xb9, 0xc8, 0x28, 0x15,
    ];
    let mut v = Vec::new();
    PacketBuilder::ipv6(client, SERVER6, 64)
        .tcp(1286, 80, 5, 100)
        .syn()
        .write(&mut v, &[])
        .expect("builds");
    v
}

const ORIGIN: [u8; 8] = [0, 0, 0xf0, 0x0f, 0x3f, 0x57, 0xfe, 0xfe];
/// Authentication: id length 2, value length 3, id, value, nonce, confirmation.
const AUTH: [u8; 18] = [0, 1, 2, 3, 9, 9, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8, 0];

#[test]
fn teredo_with_origin_indication_and_authentication() {
    for data in [
        udp4(50000, 3544, &teredo_inner()),
        udp4(3544, 50000, &cat(&[&ORIGIN, &teredo_inner()])),
        udp4(50000, 3544, &cat(&[&AUTH, &ORIGIN, &teredo_inner()])),
        udp4(50000, 3544, &cat(&[&AUTH, &teredo_inner()])),
    ] {
        let s = tunneled(unchecked(101, &data), TunnelKind::Teredo);
        assert_eq!((s.src.port, s.dst.port), (1286, 80));
    }
}

#[test]
fn teredo_headers_out_of_order_or_lengths_off_are_counted() {
    let broken = Skip::Tunnel(TunnelKind::Teredo);
    let twice = cat(&[&ORIGIN, &ORIGIN, &teredo_inner()]);
    let auth_after_origin = cat(&[&ORIGIN, &AUTH, &teredo_inner()]);
    let trailing = cat(&[&teredo_inner(), &[0; 3]]);
    let short = teredo_inner()[..50].to_vec();
    let ipv4 = ipv4_syn();
    for body in [twice, auth_after_origin, trailing, short, ipv4] {
        skipped(unchecked(101, &udp4(50000, 3544, &body)), broken);
    }
}

#[test]
fn teredo_bubble_is_not_tcp() {
    let mut bubble = teredo_inner()[..40].to_vec();
    bubble[4] = 0;
    bubble[5] = 0;
    bubble[6] = 59; // no next header
    skipped(
        unchecked(101, &udp4(50000, 3544, &cat(&[&bubble, &[1, 2]]))),
        Skip::NotTcp(59),
    );
}

#[test]
fn teredo_is_detected_on_other_ports_as_zeek_does() {
    // A relay's port: no analyzer is registered, the Teredo address decides.
    let data = udp4(32900, 3797, &teredo_inner());
    let s = tunneled(unchecked(101, &data), TunnelKind::Teredo);
    assert_eq!(s.dst.port, 80);
    // Plain IPv6 without a Teredo address on such ports is just UDP.
    let data = udp4(32900, 3797, &ipv6_data(b""));
    let plain = datagram(unchecked(101, &data));
    assert_eq!((plain.dst.port, plain.tunnel), (3797, None));
    // Detected, then not a whole packet: plain UDP, not a broken tunnel.
    let cut = teredo_inner()[..59].to_vec();
    let data = udp4(32900, 3797, &cut);
    let plain = datagram(unchecked(101, &data));
    assert_eq!((plain.payload, plain.tunnel), (&cut[..], None));
}

/// A GTPv1-U header: `flags` (version 1 and PT are added), message type,
/// the optional words and extension headers as given.
fn gtp(flags: u8, msg: u8, opt: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x30 | flags, msg];
    h.extend_from_slice(&((opt.len() + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 1]);
    cat(&[&h, opt, payload])
}

#[test]
fn gtp_t_pdu_with_optional_fields_and_extension_headers() {
    let ip = ipv4_data(b"gtp");
    // Sequence number present (S): 4 optional bytes, next extension 0.
    let seq = [0, 7, 0, 0];
    // E: optional bytes naming a PDU session container (0x85), one 4-byte
    // extension header (length 1), then a 8-byte one (length 2), then none.
    let ext = [0, 0, 0, 0x85, 1, 0x10, 0x09, 0x40, 2, 1, 2, 3, 4, 5, 6, 0];
    for port in [2152, 2123] {
        for data in [
            udp4(50000, port, &gtp(0, 255, &[], &ip)),
            udp4(50000, port, &gtp(0x02, 255, &seq, &ip)),
            udp4(port, port, &gtp(0x04, 255, &ext, &ip)),
        ] {
            let s = tunneled(unchecked(101, &data), TunnelKind::Gtp);
            assert_eq!((s.payload_len, s.ip_len), (3, 43));
        }
    }
    let v6 = udp4(50000, 2152, &gtp(0, 255, &[], &ipv6_data(b"")));
    tunneled(unchecked(101, &v6), TunnelKind::Gtp);
}

#[test]
fn gtp_signalling_and_gtp_prime_carry_no_packet() {
    let echo = udp4(50000, 2152, &gtp(0, 1, &[], &[]));
    skipped(unchecked(101, &echo), Skip::NotTcp(17));
    let mut prime = gtp(0, 255, &[], &ipv4_syn());
    prime[0] &= !0x10;
    skipped(unchecked(101, &udp4(50000, 2152, &prime)), Skip::NotTcp(17));
}

#[test]
fn gtp_damage_is_counted() {
    let broken = Skip::Tunnel(TunnelKind::Gtp);
    let ip = ipv4_syn();
    let mut v2 = gtp(0, 255, &[], &ip);
    v2[0] = 0x50 | (v2[0] & 0x1f); // version 2
    let zero_ext = gtp(0x04, 255, &[0, 0, 0, 0x85, 0, 0, 0, 0], &ip);
    let open_chain = gtp(0x04, 255, &[0, 0, 0, 0x85, 1, 0, 0, 0x85], &ip);
    let trailing = gtp(0, 255, &[], &cat(&[&ip, &[0; 2]]));
    let not_ip = gtp(0, 255, &[], &[0x35; 40]);
    let gtp_in_gtp = gtp(0, 255, &[], &udp4(1, 2152, &gtp(0, 255, &[], &ip)));
    for body in [
        v2,
        zero_ext,
        open_chain,
        trailing,
        not_ip,
        gtp(0, 255, &[], &[]),
    ] {
        skipped(unchecked(101, &udp4(50000, 2152, &body)), broken);
    }
    skipped(unchecked(101, &udp4(50000, 2152, &gtp_in_gtp)), broken);
}

#[test]
fn gtp_in_a_first_ip_fragment_is_analyzed_with_stated_lengths() {
    let body = gtp(0, 255, &[], &ipv4_data(&[b'y'; 300]));
    let whole = udp4(50000, 2152, &body);
    // Cut the datagram after 200 bytes of IP payload, MF set: the first
    // fragment. The UDP length still covers the whole datagram.
    let mut first = whole[..220].to_vec();
    first[2..4].copy_from_slice(&220u16.to_be_bytes());
    first[6] = 0x20;
    let s = tunneled(unchecked(101, &first), TunnelKind::Gtp);
    assert_eq!((s.payload_len, s.ip_len), (300, 340));
    assert!(s.payload.len() < 300);
    // The rest is in later fragments, which Zeek reassembles: not cut.
    assert!(!s.payload_truncated);
    // The UDP checksum covers later fragments too: validation leaves it be.
    let sum = !checksum::sum(0, &{
        let mut h = first[..20].to_vec();
        h[10] = 0;
        h[11] = 0;
        h
    });
    first[10..12].copy_from_slice(&sum.to_be_bytes());
    let opts = DecodeOptions {
        validate_checksums: true,
    };
    tunneled(decode(&frame(101, &first), &opts), TunnelKind::Gtp);
}

/// AYIYA: identity of 2^`id_exp` bytes, signature of 4·`sig_words` bytes,
/// operation `op`, next header `next`.
fn ayiya(id_exp: u8, sig_words: u8, op: u8, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![
        id_exp << 4 | 1,
        sig_words << 4 | 2,
        0x10 | op,
        next,
        0,
        0,
        0,
        9,
    ];
    h.extend(std::iter::repeat_n(
        0xab,
        (1 << id_exp) + 4 * usize::from(sig_words),
    ));
    cat(&[&h, payload])
}

#[test]
fn ayiya_forward_carries_ipv6_and_other_operations_do_not() {
    let data = udp4(50000, 5072, &ayiya(4, 5, 1, 41, &ipv6_data(b"a")));
    let s = tunneled(unchecked(101, &data), TunnelKind::Ayiya);
    assert_eq!(s.payload_len, 1);
    let heartbeat = udp4(50000, 5072, &ayiya(4, 5, 0, 59, &[]));
    skipped(unchecked(101, &heartbeat), Skip::NotTcp(17));
    let short = udp4(50000, 5072, &ayiya(4, 5, 1, 41, &[])[..20]);
    skipped(unchecked(101, &short), Skip::Tunnel(TunnelKind::Ayiya));
    let odd_next = udp4(50000, 5072, &ayiya(4, 5, 1, 17, &ipv6_data(b"")));
    skipped(unchecked(101, &odd_next), Skip::Tunnel(TunnelKind::Ayiya));
}

#[test]
fn ayiya_is_detected_on_other_ports_by_its_signature_bytes() {
    // Identity type 2, signature 5 words of SHA-1 (0x52), auth 1, forward (0x11).
    let mut body = ayiya(4, 5, 1, 41, &ipv6_data(b"a"));
    body[1] = 0x52;
    body[2] = 0x11;
    tunneled(unchecked(101, &udp4(40000, 9999, &body)), TunnelKind::Ayiya);
    // Under validation, a bad checksum makes it what it was before the
    // guess: plain UDP, not a broken AYIYA tunnel.
    let opts = DecodeOptions {
        validate_checksums: true,
    };
    let mut bad = udp4(40000, 9999, &body);
    tunneled(decode(&frame(101, &bad), &opts), TunnelKind::Ayiya);
    bad[26] ^= 0xff;
    let plain = datagram(decode(&frame(101, &bad), &opts));
    assert_eq!((plain.checksum, plain.tunnel), (Checksum::Invalid, None));
}

#[test]
fn validated_udp_checksums_guard_tunnels_except_a_zero_one() {
    let opts = DecodeOptions {
        validate_checksums: true,
    };
    let good = vxlan_frame(&inner_eth());
    tunneled(decode(&frame(101, &good), &opts), TunnelKind::Vxlan);
    let mut bad = good.clone();
    bad[26] ^= 0xff;
    skipped(
        decode(&frame(101, &bad), &opts),
        Skip::Tunnel(TunnelKind::Vxlan),
    );
    tunneled(unchecked(101, &bad), TunnelKind::Vxlan);
    let mut zero = good;
    zero[26] = 0;
    zero[27] = 0;
    tunneled(decode(&frame(101, &zero), &opts), TunnelKind::Vxlan);
}
