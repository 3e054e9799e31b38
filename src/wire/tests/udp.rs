//! Plain UDP datagrams (RFC 768): ports, the Length field, the payload to
//! the IP-stated end, and every checksum verdict.

use super::*;
use crate::wire::checksum;

/// A UDP datagram from port 5353 to 53 over IPv4 (10.0.0.1 to 10.0.0.2)
/// or IPv6, checksums filled in.
fn udp(v6: bool, payload: &[u8]) -> Vec<u8> {
    let ip = if v6 {
        PacketBuilder::ipv6(CLIENT6, SERVER6, 64)
    } else {
        PacketBuilder::ipv4(CLIENT4, SERVER4, 64)
    };
    let mut v = Vec::new();
    ip.udp(5353, 53).write(&mut v, payload).expect("builds");
    v
}

fn udp4(payload: &[u8]) -> Vec<u8> {
    udp(false, payload)
}

fn udp6(payload: &[u8]) -> Vec<u8> {
    udp(true, payload)
}

/// Sets the IPv4 header's checksum again after an edit.
fn refill_ipv4_checksum(ip: &mut [u8]) {
    ip[10..12].copy_from_slice(&[0, 0]);
    let sum = !checksum::sum(0, &ip[..20]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
}

#[test]
fn a_datagram_decodes_ports_length_and_payload_to_the_ip_stated_end() {
    let data = ethernet(0x0800, &cat(&[&udp4(b"hello"), &[0; 10]]));
    let d = datagram(unchecked(1, &data));
    assert_eq!(d.src.addr, IpAddr::from(CLIENT4));
    assert_eq!(d.dst.addr, IpAddr::from(SERVER4));
    assert_eq!((d.src.port, d.dst.port), (5353, 53));
    // Ethernet padding is not payload; the length counts the header.
    assert_eq!((d.payload, d.payload_len), (&b"hello"[..], 5));
    assert_eq!((d.length, d.ip_len), (13, 33));
    assert_eq!(d.checksum, Checksum::Unchecked);
    assert_eq!((d.tunnel, d.tunnel_parent), (None, None));
}

#[test]
fn the_length_field_is_kept_as_stated_and_the_ip_length_bounds_the_payload() {
    let mut ip = udp4(b"hello");
    ip[24..26].copy_from_slice(&100u16.to_be_bytes());
    let d = datagram(unchecked(101, &ip));
    assert_eq!(
        (d.length, d.payload, d.payload_len),
        (100, &b"hello"[..], 5)
    );
}

#[test]
fn a_datagram_cut_by_the_snap_length_keeps_its_stated_length() {
    let ip = udp4(b"a longer payload");
    let cut = Frame {
        orig_len: ip.len() as u32,
        ..frame(101, &ip[..ip.len() - 6])
    };
    let d = datagram(decode(&cut, &DecodeOptions::default()));
    assert_eq!((d.payload, d.payload_len), (&b"a longer p"[..], 16));
    let opts = DecodeOptions {
        validate_checksums: true,
    };
    assert_eq!(datagram(decode(&cut, &opts)).checksum, Checksum::Truncated);
}

#[test]
fn a_header_not_all_there_is_counted_as_udp() {
    let short = super::tunnel::ip4(17, &[0x14, 0xe9, 0, 53]);
    assert!(matches!(
        unchecked(101, &short),
        Decoded::Skip(Skip::NotTcp(17))
    ));
}

#[test]
fn checksums_are_judged_only_when_asked_and_only_when_whole() {
    let good = udp4(b"payload");
    assert_eq!(
        datagram(unchecked(101, &good)).checksum,
        Checksum::Unchecked
    );
    assert_eq!(datagram(validated(101, &good)).checksum, Checksum::Valid);
    let mut bad = good.clone();
    *bad.last_mut().expect("payload") ^= 0xff;
    assert_eq!(datagram(unchecked(101, &bad)).checksum, Checksum::Unchecked);
    assert_eq!(datagram(validated(101, &bad)).checksum, Checksum::Invalid);
    // A zero field over IPv4: the sender computed none (RFC 768).
    let mut none = good.clone();
    none[26..28].copy_from_slice(&[0, 0]);
    assert_eq!(datagram(validated(101, &none)).checksum, Checksum::Absent);
    // The first fragment of a datagram: the checksum covers bytes that
    // later fragments carry.
    let mut first = good.clone();
    first[6] = 0x20;
    refill_ipv4_checksum(&mut first);
    assert_eq!(
        datagram(validated(101, &first)).checksum,
        Checksum::Truncated
    );
}

#[test]
fn over_ipv6_a_zero_checksum_is_absent_and_a_right_one_valid() {
    let good = udp6(b"odd");
    assert_eq!(datagram(validated(101, &good)).checksum, Checksum::Valid);
    let mut zero = good.clone();
    zero[46..48].copy_from_slice(&[0, 0]);
    assert_eq!(datagram(validated(101, &zero)).checksum, Checksum::Absent);
    let mut bad = good;
    bad[47] ^= 1;
    assert_eq!(datagram(validated(101, &bad)).checksum, Checksum::Invalid);
}
