use super::*;

fn outer<'a>(src: &str, dst: &str, proto: u8, udp: &'a [u8]) -> Transport<'a> {
    Transport {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto,
        captured: udp,
        rest: udp,
        len: udp.len() as u32,
        ip_len: 20 + udp.len() as u32,
        first_fragment: false,
    }
}

#[test]
fn either_direction_is_one_tunnel() {
    let there = [0xc0, 0x00, 0x12, 0xb5, 0, 8, 0, 0];
    let back = [0x12, 0xb5, 0xc0, 0x00, 0, 8, 0, 0];
    let a = TunnelId::of(
        &outer("10.0.0.1", "10.0.0.2", proto::UDP, &there),
        TunnelKind::Vxlan,
    );
    let b = TunnelId::of(
        &outer("10.0.0.2", "10.0.0.1", proto::UDP, &back),
        TunnelKind::Vxlan,
    );
    assert_eq!(a, b);
}

#[test]
fn a_udp_tunnel_is_its_flow_and_gre_its_address_pair() {
    let p1 = [0xc0, 0x00, 0x12, 0x92, 0, 8, 0, 0];
    let p2 = [0xc0, 0x01, 0x12, 0x92, 0, 8, 0, 0];
    let (a, b) = ("10.0.0.1", "10.0.0.2");
    let id = |udp: &[u8], kind| TunnelId::of(&outer(a, b, proto::UDP, udp), kind);
    // Another source port is another VXLAN connection…
    assert_ne!(id(&p1, TunnelKind::Vxlan), id(&p2, TunnelKind::Vxlan));
    // …but the same GRE tunnel (RFC 8086 varies it for load balancing),
    // and GRE over IP between the same addresses too.
    assert_eq!(id(&p1, TunnelKind::Gre), id(&p2, TunnelKind::Gre));
    let gre_ip = TunnelId::of(&outer(b, a, proto::GRE, &[0; 4]), TunnelKind::Gre);
    assert_eq!(id(&p1, TunnelKind::Gre), gre_ip);
    // Another kind between the same ends is another tunnel.
    let ipip = TunnelId::of(&outer(a, b, proto::IPIP, &[]), TunnelKind::IpInIp);
    assert_ne!(ipip, gre_ip);
}
