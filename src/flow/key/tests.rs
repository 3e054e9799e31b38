use super::*;
use std::net::Ipv4Addr;

fn ep(last: u8, port: u16) -> Endpoint {
    Endpoint {
        addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
        port,
    }
}

#[test]
fn ipv4_hash_from_numbers_is_the_endpoint_hash() {
    let mut x: u64 = 7;
    for _ in 0..1000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (a, b) = ((x >> 32) as u32, x as u32);
        let (p, q) = ((x >> 16) as u16, (x >> 48) as u16);
        let e = |addr: u32, port| Endpoint {
            addr: IpAddr::V4(Ipv4Addr::from(addr)),
            port,
        };
        assert_eq!(
            FlowHash::of_v4((a, p), (b, q)),
            FlowHash::of(e(a, p), e(b, q))
        );
    }
}

#[test]
fn key_is_the_same_in_both_directions() {
    let a = ep(1, 40000);
    let b = ep(2, 80);
    let k = |x, y| FlowKey::new(TransportProto::Tcp, x, y);
    assert_eq!(k(a, b), k(b, a));
    assert_eq!(k(a, b).hash32(), k(b, a).hash32());
    assert_eq!(k(a, b).lo(), a);
}

#[test]
fn key_differs_by_port() {
    let a = ep(1, 40000);
    let b = ep(2, 80);
    let c = ep(2, 81);
    let k = |x, y| FlowKey::new(TransportProto::Tcp, x, y);
    assert_ne!(k(a, b), k(a, c));
    assert_ne!(k(a, b).hash32(), k(a, c).hash32());
}

#[test]
fn key_differs_by_transport_and_names_it_as_zeek_does() {
    let (a, b) = (ep(1, 5353), ep(2, 53));
    let tcp = FlowKey::new(TransportProto::Tcp, a, b);
    let udp = FlowKey::new(TransportProto::Udp, a, b);
    assert_ne!(tcp, udp);
    assert_eq!(tcp.transport().name(), "tcp");
    assert_eq!(udp.transport().name(), "udp");
    assert_eq!(tcp.transport().ip_number(), 6);
    assert_eq!(udp.transport().ip_number(), 17);
}
