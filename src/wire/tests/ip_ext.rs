//! IPv6 jumbograms (RFC 2675) and IPsec headers after IPv4 (RFC 4302, 4303).

use super::*;

/// `ipv6_data(payload)` made a jumbogram: payload length zero, a Hop-by-Hop
/// header holding `options` (padded to 8 bytes with PadN) before the TCP.
fn jumbogram(payload: &[u8], options: &[u8]) -> Vec<u8> {
    let ip = ipv6_data(payload);
    let mut hbh = vec![ip[6], 0];
    hbh.extend_from_slice(options);
    let pad = (8 - hbh.len() % 8) % 8;
    match pad {
        0 => {}
        1 => hbh.push(0),
        n => hbh.extend(
            std::iter::once(1)
                .chain(std::iter::once(n as u8 - 2))
                .chain(std::iter::repeat_n(0, n - 2)),
        ),
    }
    hbh[1] = (hbh.len() / 8 - 1) as u8;
    let mut out = ip[..40].to_vec();
    out[4..6].copy_from_slice(&[0, 0]);
    out[6] = 0;
    out.extend_from_slice(&hbh);
    out.extend_from_slice(&ip[40..]);
    out
}

/// `data` cut to its first `keep` bytes by a snap length.
fn snapped(link: u32, data: &[u8], keep: usize) -> Decoded<'_> {
    let f = Frame {
        orig_len: data.len() as u32,
        ..frame(link, &data[..keep])
    };
    decode(&f, &DecodeOptions::default())
}

/// A Jumbo Payload option stating `len`.
fn jumbo(len: u32) -> Vec<u8> {
    cat(&[&[0xc2, 4], &len.to_be_bytes()])
}

#[test]
fn a_jumbogram_takes_its_length_from_the_option() {
    // A capture cut by the snap length: 4 payload bytes kept of 70 000.
    let payload = [b'j'; 4];
    // The option alone, after a Pad1, after a PadN: the Hop-by-Hop header
    // is 8, 16 and 16 bytes long, and the stated length counts it.
    for (before, hbh) in [(&[][..], 8u32), (&[0][..], 16), (&[1, 0][..], 16)] {
        let stated = hbh + 20 + 70_000;
        let options = cat(&[before, &jumbo(stated)]);
        let ip = jumbogram(&payload, &options);
        let f = Frame {
            orig_len: 40 + stated,
            ..frame(101, &ip)
        };
        let s = segment(decode(&f, &DecodeOptions::default()));
        assert_eq!(s.payload_len, 70_000, "{options:?}");
        assert_eq!(s.ip_len, 40 + stated, "{options:?}");
        assert_eq!(s.payload, payload, "{options:?}");
    }
}

#[test]
fn a_bad_jumbo_option_is_malformed_and_a_cut_one_truncated() {
    let payload = [b'j'; 4];
    let small = jumbogram(&payload, &jumbo(8 + 20 + 4));
    assert!(matches!(
        unchecked(101, &small),
        Decoded::Skip(Skip::Malformed)
    ));
    let wrong_size = jumbogram(&payload, &[0xc2, 3, 0, 1, 0]);
    assert!(matches!(
        unchecked(101, &wrong_size),
        Decoded::Skip(Skip::Malformed)
    ));
    // More than the wire carried.
    let long = jumbogram(&payload, &jumbo(100_000));
    assert!(matches!(
        unchecked(101, &long),
        Decoded::Skip(Skip::Malformed)
    ));
    let cut = jumbogram(&payload, &jumbo(100_000));
    assert!(matches!(
        snapped(101, &cut, 44),
        Decoded::Skip(Skip::Truncated)
    ));
}

/// `ipv4_data` with `n` Authentication Headers of `icv` bytes each.
fn ipv4_ah(payload: &[u8], n: usize, icv: usize) -> Vec<u8> {
    let ip = ipv4_data(payload);
    let mut out = ip[..20].to_vec();
    let mut next = ip[9];
    let mut headers = Vec::new();
    for i in 0..n {
        let mut ah = vec![next, ((12 + icv) / 4 - 2) as u8, 0, 0];
        ah.extend_from_slice(&(0x100 + i as u32).to_be_bytes());
        ah.extend_from_slice(&1u32.to_be_bytes());
        ah.extend(std::iter::repeat_n(0xa5, icv));
        headers.splice(0..0, ah);
        next = 51;
    }
    out[9] = next;
    let total = (ip.len() + headers.len()) as u16;
    out[2..4].copy_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&headers);
    out.extend_from_slice(&ip[20..]);
    out
}

#[test]
fn tcp_behind_ipv4_authentication_headers_is_decoded() {
    for (n, icv) in [(1, 12), (1, 16), (2, 12)] {
        let ip = ipv4_ah(b"hello", n, icv);
        let s = segment(unchecked(228, &ip));
        assert_eq!(s.payload, b"hello", "{n} x {icv}");
        assert_eq!(s.payload_len, 5);
        assert_eq!(s.ip_len as usize, ip.len());
    }
}

#[test]
fn a_damaged_ipv4_authentication_header_is_malformed_or_truncated() {
    let mut long = ipv4_ah(b"hello", 1, 12);
    long[21] = 200;
    assert!(matches!(
        unchecked(228, &long),
        Decoded::Skip(Skip::Malformed)
    ));
    let mut short = ipv4_ah(b"hello", 1, 12);
    short[21] = 0;
    assert!(matches!(
        unchecked(228, &short),
        Decoded::Skip(Skip::Malformed)
    ));
    let cut = ipv4_ah(b"hello", 1, 12);
    assert!(matches!(
        snapped(228, &cut, 26),
        Decoded::Skip(Skip::Truncated)
    ));
}

#[test]
fn esp_stays_opaque() {
    let mut ip = ipv4_data(b"secret");
    ip[9] = 50;
    assert!(matches!(
        unchecked(228, &ip),
        Decoded::Skip(Skip::NotTcp(50))
    ));
}
