use super::*;
use crate::wire::ip::proto;

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
        marks: crate::wire::IpMarks::default(),
    }
}

#[test]
fn either_direction_is_one_tunnel() {
    let udp = [0; 8];
    let a = TunnelId::of(
        &outer("10.0.0.1", "10.0.0.2", proto::UDP, &udp),
        Some((49152, 4789)),
        TunnelKind::Vxlan,
    );
    let b = TunnelId::of(
        &outer("10.0.0.2", "10.0.0.1", proto::UDP, &udp),
        Some((4789, 49152)),
        TunnelKind::Vxlan,
    );
    assert_eq!(a, b);
}

#[test]
fn a_udp_tunnel_is_its_flow_and_gre_its_address_pair() {
    let (p1, p2) = ((49152, 4754), (49153, 4754));
    let (a, b) = ("10.0.0.1", "10.0.0.2");
    let udp = [0; 8];
    let id = |ports, kind| TunnelId::of(&outer(a, b, proto::UDP, &udp), ports, kind);
    // Another source port is another VXLAN connection…
    assert_ne!(
        id(Some(p1), TunnelKind::Vxlan),
        id(Some(p2), TunnelKind::Vxlan)
    );
    // …but GRE in UDP is its address pair, whatever the ports (RFC 8086
    // varies them for load balancing), like GRE over IP between the same
    // addresses.
    let gre_ip = TunnelId::of(&outer(b, a, proto::GRE, &[0; 4]), None, TunnelKind::Gre);
    assert_eq!(id(None, TunnelKind::Gre), gre_ip);
    // Another kind between the same ends is another tunnel.
    let ipip = TunnelId::of(&outer(a, b, proto::IPIP, &[]), None, TunnelKind::IpInIp);
    assert_ne!(ipip, gre_ip);
}
