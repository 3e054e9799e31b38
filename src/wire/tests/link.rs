//! Link types and stacked link headers as hex fixtures around IP packets.

use super::*;

#[test]
fn vlan_qinq_and_old_qinq_tags_are_walked() {
    let ip = ipv4_syn();
    for outer in [0x8100u16, 0x88a8, 0x9100] {
        let tagged = cat(&[
            &[0x00, 0x0a],
            &0x8100u16.to_be_bytes(),
            &[0x00, 0x14, 0x08, 0x00],
            &ip,
        ]);
        let data = ethernet(outer, &tagged);
        assert_client_to_server_v4(&segment(unchecked(1, &data)));
    }
}

#[test]
fn mpls_stack_with_ip_under_the_bottom_label() {
    // Two labels; the S bit (0x01 in the third byte) marks the second.
    let labels = [0x00, 0x01, 0x20, 0x40, 0x00, 0x02, 0x01, 0x40];
    let data = ethernet(0x8847, &cat(&[&labels, &ipv4_syn()]));
    assert_client_to_server_v4(&segment(unchecked(1, &data)));
    let pseudowire = ethernet(0x8848, &cat(&[&labels, &MACS]));
    assert!(matches!(
        unchecked(1, &pseudowire),
        Decoded::Skip(Skip::NotIp)
    ));
}

#[test]
fn pppoe_session_carries_ipv4_and_ipv6() {
    let pppoe = |proto: u16, ip: &[u8]| {
        let len = (ip.len() + 2) as u16;
        let hdr = cat(&[
            &[0x11, 0x00, 0x00, 0x01],
            &len.to_be_bytes(),
            &proto.to_be_bytes(),
        ]);
        ethernet(0x8864, &cat(&[&hdr, ip]))
    };
    assert_client_to_server_v4(&segment(unchecked(1, &pppoe(0x0021, &ipv4_syn()))));
    assert_eq!(
        segment(unchecked(1, &pppoe(0x0057, &ipv6_data(b""))))
            .dst
            .port,
        443
    );
    assert!(matches!(
        unchecked(1, &pppoe(0xc021, &[1, 1, 0, 4])),
        Decoded::Skip(Skip::NotIp)
    ));
}

#[test]
fn cisco_fabricpath_pbb_and_vntag_wrap_ethernet() {
    let inner = ethernet(0x0800, &ipv4_syn());
    // FabricPath: outer MACs, 0x8903, FTag/TTL, then the whole inner frame.
    let fabricpath = cat(&[&MACS, &[0x89, 0x03, 0x00, 0x3f], &inner]);
    assert_client_to_server_v4(&segment(unchecked(1, &fabricpath)));
    // PBB: 802.1ah I-TAG (4 bytes), then the customer frame.
    let pbb = ethernet(0x88e7, &cat(&[&[0x00, 0x00, 0x01, 0x00], &inner]));
    assert_client_to_server_v4(&segment(unchecked(1, &pbb)));
    // VN-Tag: 4-byte tag, then the EtherType.
    let vntag = ethernet(
        0x8926,
        &cat(&[&[0x80, 0x01, 0x00, 0x02, 0x08, 0x00], &ipv4_syn()]),
    );
    assert_client_to_server_v4(&segment(unchecked(1, &vntag)));
}

#[test]
fn llc_snap_carries_ip_and_plain_llc_does_not() {
    let ip = ipv4_syn();
    let len = (ip.len() + 8) as u16;
    let snap = ethernet(len, &cat(&[&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], &ip]));
    assert_client_to_server_v4(&segment(unchecked(1, &snap)));
    let stp = ethernet(38, &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
    assert!(matches!(unchecked(1, &stp), Decoded::Skip(Skip::NotIp)));
}

#[test]
fn linux_cooked_v1_and_v2() {
    let ip = ipv4_syn();
    // SLL: packet type, ARPHRD, address length, address (8), protocol.
    let sll = cat(&[
        &[0, 0, 0, 1, 0, 6],
        &[2, 0, 0, 0, 0, 1, 0, 0],
        &[0x08, 0x00],
        &ip,
    ]);
    assert_client_to_server_v4(&segment(unchecked(113, &sll)));
    // SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address.
    let sll2 = cat(&[
        &[0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6],
        &[2, 0, 0, 0, 0, 1, 0, 0],
        &ipv6_data(b""),
    ]);
    assert_eq!(segment(unchecked(276, &sll2)).dst.port, 443);
}

#[test]
fn raw_ip_link_types() {
    for link in [101, 228, 12, 14] {
        assert_client_to_server_v4(&segment(unchecked(link, &ipv4_syn())));
    }
    assert_eq!(segment(unchecked(229, &ipv6_data(b""))).dst.port, 443);
}

#[test]
fn bsd_null_in_either_byte_order_and_loop_in_network_order() {
    let v4 = ipv4_syn();
    let v6 = ipv6_data(b"");
    assert_client_to_server_v4(&segment(unchecked(0, &cat(&[&[2, 0, 0, 0], &v4]))));
    assert_client_to_server_v4(&segment(unchecked(0, &cat(&[&[0, 0, 0, 2], &v4]))));
    for family in [24u8, 28, 30] {
        assert!(matches!(
            unchecked(0, &cat(&[&[family, 0, 0, 0], &v6])),
            Decoded::Tcp(_)
        ));
    }
    assert_client_to_server_v4(&segment(unchecked(108, &cat(&[&[0, 0, 0, 2], &v4]))));
    assert!(matches!(
        unchecked(0, &cat(&[&[7, 0, 0, 0], &v4])),
        Decoded::Skip(Skip::NotIp)
    ));
}

#[test]
fn unknown_link_type_is_named() {
    assert!(matches!(
        unchecked(147, &ipv4_syn()),
        Decoded::Skip(Skip::UnknownLinkType(147))
    ));
}
