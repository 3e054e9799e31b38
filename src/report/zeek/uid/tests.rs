use super::*;
use crate::flow::TransportProto;

const IP_PROTO_TCP: u8 = TransportProto::Tcp.ip_number();

fn ep(s: &str) -> Endpoint {
    let sa: std::net::SocketAddr = s.parse().unwrap();
    Endpoint {
        addr: sa.ip(),
        port: sa.port(),
    }
}

#[test]
fn digits_are_written_as_zeeks_uitoa_n() {
    let text = |hi, lo| Uid { hi, lo }.to_string();
    assert_eq!(text(0, 0), "C00");
    // Least significant digit first: 61 is "Z", 62 is "01".
    assert_eq!(text(61, 62), "CZ01");
    assert_eq!(text(u32::MAX, u64::MAX).len(), MAX_LEN);
}

#[test]
fn same_row_same_uid_and_any_change_moves_it() {
    let (a, b) = (ep("10.0.0.1:40000"), ep("10.0.0.2:80"));
    let t = Timestamp(1_700_000_000_123_456_789);
    let u = Uid::of(t, a, b, IP_PROTO_TCP);
    assert_eq!(u, Uid::of(t, a, b, IP_PROTO_TCP));
    // The nanoseconds the row does not print do not count.
    assert_eq!(u, Uid::of(Timestamp(t.0 - 789), a, b, IP_PROTO_TCP));
    for other in [
        Uid::of(Timestamp(t.0 + 1_000), a, b, IP_PROTO_TCP),
        Uid::of(t, b, a, IP_PROTO_TCP),
        Uid::of(t, ep("10.0.0.1:40001"), b, IP_PROTO_TCP),
        Uid::of(t, a, b, 17),
    ] {
        assert_ne!(u, other);
    }
    let s = u.to_string();
    assert!(
        s.starts_with('C') && (12..=MAX_LEN).contains(&s.len()),
        "{s}"
    );
    assert!(s[1..].bytes().all(|c| c.is_ascii_alphanumeric()), "{s}");
}

#[test]
fn ipv4_and_its_mapped_ipv6_form_are_one_address() {
    let t = Timestamp(0);
    let v4 = Uid::of(t, ep("10.0.0.1:1"), ep("10.0.0.2:2"), 6);
    let v6 = Uid::of(t, ep("[::ffff:10.0.0.1]:1"), ep("[::ffff:10.0.0.2]:2"), 6);
    assert_eq!(v4, v6);
}
