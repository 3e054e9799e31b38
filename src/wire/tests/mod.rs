//! Decoder tests: IP packets built with etherparse, lengths, fragments, bad
//! headers, checksums; link types and stacked headers are in [`link`],
//! tunnels in [`tunnel`] (over IP) and [`tunnel_udp`] (over UDP), plain
//! UDP datagrams in [`udp`].

mod ip_ext;
mod link;
mod tunnel;
mod tunnel_udp;
mod udp;

use std::net::IpAddr;

use etherparse::PacketBuilder;

use super::*;
use crate::capture::{Frame, LinkType, Timestamp};

const CLIENT4: [u8; 4] = [10, 0, 0, 1];
const SERVER4: [u8; 4] = [10, 0, 0, 2];
const CLIENT6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const SERVER6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// Ethernet destination and source MACs.
const MACS: [u8; 12] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

fn frame(link: u32, data: &[u8]) -> Frame<'_> {
    Frame {
        number: 1,
        ts: Timestamp(0),
        link: LinkType(link),
        data,
        orig_len: data.len() as u32,
    }
}

fn unchecked(link: u32, data: &[u8]) -> Decoded<'_> {
    decode(&frame(link, data), &DecodeOptions::default())
}

fn validated(link: u32, data: &[u8]) -> Decoded<'_> {
    decode(
        &frame(link, data),
        &DecodeOptions {
            validate_checksums: true,
        },
    )
}

#[track_caller]
fn segment(d: Decoded<'_>) -> TcpSegment<'_> {
    match d {
        Decoded::Tcp(s) => s,
        other => panic!("expected a TCP segment, got {other:?}"),
    }
}

/// An IPv4 TCP SYN from 10.0.0.1:40000 to 10.0.0.2:80, checksums filled in.
fn ipv4_syn() -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4(CLIENT4, SERVER4, 64)
        .tcp(40000, 80, 1000, 65535)
        .syn()
        .write(&mut v, &[])
        .expect("builds");
    v
}

/// An IPv4 TCP data segment with `payload`, ACK and PSH set.
fn ipv4_data(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4(CLIENT4, SERVER4, 64)
        .tcp(40000, 80, 1001, 512)
        .ack(7001)
        .psh()
        .write(&mut v, payload)
        .expect("builds");
    v
}

fn ipv6_data(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv6(CLIENT6, SERVER6, 64)
        .tcp(40000, 443, 5, 100)
        .ack(9)
        .write(&mut v, payload)
        .expect("builds");
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    cat(&[&MACS, &ethertype.to_be_bytes(), payload])
}

#[track_caller]
fn datagram(d: Decoded<'_>) -> UdpDatagram<'_> {
    match d {
        Decoded::Udp(d) => d,
        other => panic!("expected a UDP datagram, got {other:?}"),
    }
}

#[track_caller]
fn assert_client_to_server_v4(s: &TcpSegment<'_>) {
    assert_eq!(s.src.addr, IpAddr::from(CLIENT4));
    assert_eq!(s.dst.addr, IpAddr::from(SERVER4));
    assert_eq!((s.src.port, s.dst.port), (40000, 80));
}

#[test]
fn ethernet_ipv4_syn_decodes_every_field() {
    let data = ethernet(0x0800, &ipv4_syn());
    let s = segment(unchecked(1, &data));
    assert_client_to_server_v4(&s);
    assert!(s.flags.syn() && !s.flags.ack() && !s.flags.fin() && !s.flags.rst());
    assert_eq!(s.seq, SeqNum(1000));
    assert_eq!(s.window, 65535);
    assert_eq!((s.payload_len, s.ip_len), (0, 40));
    assert_eq!(s.checksum, Checksum::Unchecked);
}

#[test]
fn round_trip_keeps_seq_ack_window_flags_and_payload() {
    let mut v = Vec::new();
    PacketBuilder::ipv4(CLIENT4, SERVER4, 64)
        .tcp(40000, 80, 0xffff_fff0, 7)
        .ack(0x8000_0001)
        .fin()
        .rst()
        .urg(3)
        .write(&mut v, b"bye")
        .expect("builds");
    let s = segment(unchecked(101, &v));
    assert_eq!(
        (s.seq, s.ack, s.window),
        (SeqNum(0xffff_fff0), SeqNum(0x8000_0001), 7)
    );
    assert!(s.flags.fin() && s.flags.rst() && s.flags.urg() && s.flags.ack() && !s.flags.syn());
    assert_eq!((s.payload, s.payload_len), (&b"bye"[..], 3));
}

#[test]
fn ethernet_padding_is_not_payload() {
    let data = ethernet(0x0800, &cat(&[&ipv4_data(b"hi"), &[0; 10]]));
    let s = segment(unchecked(1, &data));
    assert_eq!((s.payload, s.payload_len, s.ip_len), (&b"hi"[..], 2, 42));
}

#[test]
fn snaplen_cut_keeps_the_stated_payload_length() {
    let full = ethernet(0x0800, &ipv4_data(&[b'x'; 100]));
    let cut = Frame {
        orig_len: full.len() as u32,
        ..frame(1, &full[..14 + 40 + 30])
    };
    let s = segment(decode(&cut, &DecodeOptions::default()));
    assert_eq!((s.payload.len(), s.payload_len), (30, 100));
    assert!(s.payload_truncated, "the snap length cut it");
    let whole = segment(decode(&frame(1, &full), &DecodeOptions::default()));
    assert!(!whole.payload_truncated);
}

#[test]
fn ipv4_options_move_the_tcp_header() {
    // IHL 6: one 4-byte option (NOP NOP NOP EOL); header checksum not set.
    let tcp = &ipv4_syn()[20..];
    let mut ip = vec![0x46, 0, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0];
    ip.extend_from_slice(&CLIENT4);
    ip.extend_from_slice(&SERVER4);
    ip.extend_from_slice(&[1, 1, 1, 0]);
    ip.extend_from_slice(tcp);
    let s = segment(unchecked(101, &ip));
    assert_client_to_server_v4(&s);
    assert_eq!((s.ip_len, s.payload_len), (44, 0));
}

#[test]
fn ipv6_data_decodes_addresses_and_lengths() {
    let data = ethernet(0x86dd, &ipv6_data(b"hello"));
    let s = segment(unchecked(1, &data));
    assert_eq!(s.src.addr, IpAddr::from(CLIENT6));
    assert_eq!(s.dst.addr, IpAddr::from(SERVER6));
    assert_eq!((s.dst.port, s.payload_len, s.ip_len), (443, 5, 65));
}

/// An IPv6 packet whose TCP segment follows the given extension headers.
/// `exts` is a list of (header type, body bytes without the next-header byte).
fn ipv6_with_exts(exts: &[(u8, &[u8])], tcp: &[u8]) -> Vec<u8> {
    let ext_bytes: usize = exts.iter().map(|(_, b)| b.len() + 1).sum();
    let plen = (ext_bytes + tcp.len()) as u16;
    let first = exts.first().map_or(6, |(t, _)| *t);
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&plen.to_be_bytes());
    v.extend_from_slice(&[first, 64]);
    v.extend_from_slice(&CLIENT6);
    v.extend_from_slice(&SERVER6);
    for (i, (_, body)) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map_or(6, |(t, _)| *t);
        v.push(next);
        v.extend_from_slice(body);
    }
    v.extend_from_slice(tcp);
    v
}

fn ipv6_tcp_header() -> Vec<u8> {
    ipv6_data(b"")[40..].to_vec()
}

#[test]
fn ipv6_extension_headers_are_walked_to_tcp() {
    let hop = [0u8, 1, 4, 0, 0, 0, 0]; // length 0 (8 bytes), PadN
    let dest = [1u8, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // 16 bytes
    let frag_first = [0u8, 0, 1, 0, 0, 0, 7]; // offset 0, M=1
    let ah = [2u8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]; // length 2: 16 bytes
    let data = ipv6_with_exts(
        &[(0, &hop), (60, &dest), (44, &frag_first), (51, &ah)],
        &ipv6_tcp_header(),
    );
    let s = segment(unchecked(101, &data));
    assert_eq!((s.src.port, s.dst.port, s.payload_len), (40000, 443, 0));
}

#[test]
fn ipv6_non_first_fragment_is_skipped() {
    let frag_later = [0u8, 0, 0xb9, 0, 0, 0, 7]; // offset 23 (× 8 bytes)
    let data = ipv6_with_exts(&[(44, &frag_later)], &ipv6_tcp_header());
    assert!(matches!(
        unchecked(101, &data),
        Decoded::Skip(Skip::Fragment)
    ));
}

#[test]
fn ipv6_routing_header_names_the_final_destination() {
    // Type 0, two addresses, one segment left: the last address is final.
    let final_dst = [0xfeu8, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
    let mut rh = vec![4u8, 0, 1, 0, 0, 0, 0];
    rh.extend_from_slice(&SERVER6);
    rh.extend_from_slice(&final_dst);
    let data = ipv6_with_exts(&[(43, &rh)], &ipv6_tcp_header());
    let s = segment(unchecked(101, &data));
    assert_eq!(s.dst.addr, IpAddr::from(final_dst));
}

#[test]
fn ipv4_first_fragment_decodes_and_later_ones_are_skipped() {
    let mut first = ipv4_data(b"abcd");
    first[6] = 0x20; // MF, offset 0
    assert!(matches!(unchecked(101, &first), Decoded::Tcp(_)));
    let mut later = ipv4_data(b"abcd");
    later[7] = 0x03; // offset 3
    assert!(matches!(
        unchecked(101, &later),
        Decoded::Skip(Skip::Fragment)
    ));
}

#[test]
fn non_tcp_and_tunnels_are_named_not_guessed() {
    let arp = ethernet(0x0806, &[0; 28]);
    assert!(matches!(unchecked(1, &arp), Decoded::Skip(Skip::NotIp)));
    let udp = |dport: u16| {
        let mut v = Vec::new();
        PacketBuilder::ipv4(CLIENT4, SERVER4, 64)
            .udp(50000, dport)
            .write(&mut v, &[0; 8])
            .expect("builds");
        v
    };
    let data = udp(53);
    let dns = datagram(unchecked(101, &data));
    assert_eq!((dns.src.port, dns.dst.port, dns.tunnel), (50000, 53, None));
    for (port, kind) in [
        (4789, TunnelKind::Vxlan),
        (6081, TunnelKind::Geneve),
        (3544, TunnelKind::Teredo),
        (2152, TunnelKind::Gtp),
        (5072, TunnelKind::Ayiya),
        (4754, TunnelKind::Gre),
    ] {
        assert!(matches!(unchecked(101, &udp(port)), Decoded::Skip(Skip::Tunnel(k)) if k == kind));
    }
    let mut ip = ipv4_syn();
    for (proto, skip) in [
        (47, Skip::Tunnel(TunnelKind::Gre)),
        (4, Skip::Tunnel(TunnelKind::IpInIp)),
        (41, Skip::Tunnel(TunnelKind::IpInIp)),
        (1, Skip::NotTcp(1)),
    ] {
        ip[9] = proto;
        assert!(matches!(unchecked(101, &ip), Decoded::Skip(s) if s == skip));
    }
}

#[test]
fn tcp_data_offset_below_five_words_is_a_bad_header() {
    let mut ip = ipv4_syn();
    ip[20 + 12] = 0x40; // data offset 4
    match unchecked(101, &ip) {
        Decoded::TcpBadHeader { src, dst } => assert_eq!((src.port, dst.port), (40000, 80)),
        other => panic!("expected a bad header, got {other:?}"),
    }
}

#[test]
fn tcp_header_longer_than_the_packet_is_a_bad_header() {
    let mut ip = ipv4_syn();
    ip[20 + 12] = 0xf0; // 60 bytes of header in a 20-byte segment
    assert!(matches!(unchecked(101, &ip), Decoded::TcpBadHeader { .. }));
}

#[test]
fn tcp_header_not_captured_is_truncated_not_a_connection() {
    let ip = ipv4_syn();
    let cut = Frame {
        orig_len: ip.len() as u32,
        ..frame(101, &ip[..30])
    };
    assert!(matches!(
        decode(&cut, &DecodeOptions::default()),
        Decoded::Skip(Skip::Truncated)
    ));
}

#[test]
fn zero_ipv4_length_from_offload_follows_zeek() {
    let mut ip = ipv4_data(b"abc");
    ip[2] = 0;
    ip[3] = 0;
    // Ignoring checksums, Zeek takes the captured length (the corpus trace
    // ldap__missing_krbtgt_ldap_request counts such a segment's bytes); the
    // IP length stays what the header says.
    let s = segment(unchecked(101, &ip));
    assert_eq!((s.payload_len, s.ip_len, s.payload), (3, 0, &b"abc"[..]));
    assert!(matches!(
        validated(101, &ip),
        Decoded::Skip(Skip::Malformed)
    ));
}

#[test]
fn ip_length_beyond_the_wire_length_is_malformed() {
    let mut ip = ipv4_data(b"abc");
    ip[3] += 10;
    assert!(matches!(
        unchecked(101, &ip),
        Decoded::Skip(Skip::Malformed)
    ));
}

#[test]
fn ipv4_header_length_below_twenty_is_malformed() {
    let mut ip = ipv4_syn();
    ip[0] = 0x44;
    assert!(matches!(
        unchecked(101, &ip),
        Decoded::Skip(Skip::Malformed)
    ));
}

#[test]
fn checksums_are_unchecked_by_default_and_verified_on_request() {
    let good = ipv4_data(b"payload");
    assert_eq!(segment(unchecked(101, &good)).checksum, Checksum::Unchecked);
    assert_eq!(segment(validated(101, &good)).checksum, Checksum::Valid);
    let mut bad_tcp = good.clone();
    *bad_tcp.last_mut().expect("payload") ^= 0xff;
    assert_eq!(
        segment(unchecked(101, &bad_tcp)).checksum,
        Checksum::Unchecked
    );
    assert_eq!(
        segment(validated(101, &bad_tcp)).checksum,
        Checksum::Invalid
    );
    let mut bad_ip = good.clone();
    bad_ip[8] -= 1; // TTL changes, header checksum does not
    assert!(matches!(unchecked(101, &bad_ip), Decoded::Tcp(_)));
    assert!(matches!(
        validated(101, &bad_ip),
        Decoded::Skip(Skip::BadIpChecksum)
    ));
    let cut = Frame {
        orig_len: good.len() as u32,
        ..frame(101, &good[..good.len() - 2])
    };
    let opts = DecodeOptions {
        validate_checksums: true,
    };
    assert_eq!(segment(decode(&cut, &opts)).checksum, Checksum::Truncated);
    assert_eq!(
        segment(validated(101, &ipv6_data(b"odd"))).checksum,
        Checksum::Valid
    );
}

#[test]
fn every_prefix_of_a_frame_decodes_without_panic() {
    let full = ethernet(
        0x8100,
        &cat(&[&[0, 1, 0x86, 0xdd], &ipv6_data(b"some payload")]),
    );
    for len in 0..=full.len() {
        let f = Frame {
            orig_len: full.len() as u32,
            ..frame(1, &full[..len])
        };
        match decode(&f, &DecodeOptions::default()) {
            Decoded::Tcp(s) => assert_eq!(s.payload_len, 12),
            Decoded::Skip(Skip::Truncated) => assert!(len < 18 + 40 + 20),
            other => panic!("prefix {len}: {other:?}"),
        }
    }
}

#[test]
fn ipv6_zero_payload_length_is_a_bad_header_like_zeek() {
    let mut ip = ipv6_data(b"abc");
    ip[4] = 0;
    ip[5] = 0;
    assert!(matches!(unchecked(101, &ip), Decoded::TcpBadHeader { .. }));
}
