//! The decoding half on UDP: a datagram becomes a [`Kind::Udp`] with its
//! payload in the batch's bytes, and is counted as before UDP was decoded.

use etherparse::PacketBuilder;

use super::*;
use crate::capture::LinkType;

fn dns_query() -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(5353, 53)
        .write(&mut v, b"query")
        .expect("builds");
    v
}

fn decoded(keep_payloads: bool) -> (Packet, Payloads, FrameCounts) {
    let data = dns_query();
    let frame = Frame {
        number: 7,
        ts: Timestamp(1),
        link: LinkType::ETHERNET,
        data: &data,
        orig_len: data.len() as u32,
    };
    let mut decoder = Decoder::new(
        DecodeOptions::default(),
        &crate::flow::NoApps,
        None,
        keep_payloads,
    );
    let mut payloads = Payloads::new();
    let mut slot = Packet::UNSET;
    assert!(decoder.packet_into(&frame, &mut slot, &mut payloads));
    (slot, payloads, decoder.counts)
}

#[test]
fn a_datagram_reaches_the_flow_half_with_its_payload() {
    let (p, payloads, counts) = decoded(true);
    let Kind::Udp(d) = p.kind else {
        panic!("expected a datagram, got {:?}", p.kind)
    };
    assert_eq!(p.number, 7);
    assert_eq!((d.head.src.port, d.head.dst.port), (5353, 53));
    assert_eq!((d.head.length, d.head.payload_len), (13, 5));
    assert_eq!(payload_of(&payloads, d.payload), b"query");
    // Counted where UDP has always been: not TCP.
    assert_eq!((counts.skipped.not_tcp, counts.tcp_segments), (1, 0));
}

#[test]
fn without_decoding_no_payload_is_copied() {
    let (p, payloads, _) = decoded(false);
    let Kind::Udp(d) = p.kind else {
        panic!("expected a datagram, got {:?}", p.kind)
    };
    assert!(payloads.is_empty());
    assert_eq!((d.payload, d.head.payload_len), ((0, 0), 5));
}
