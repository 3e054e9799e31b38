use super::*;
use crate::capture::Timestamp;
use crate::wire::{DecodeOptions, Decoded, decode_layers};
use etherparse::PacketBuilder;

fn frames() -> Vec<Vec<u8>> {
    let mac = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let mut out = Vec::new();
    for (payload, options) in [
        (&b""[..], false),
        (b"GET / HTTP/1.1\r\n\r\n", false),
        (b"x", true),
    ] {
        let mut v = mac.to_vec();
        let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64);
        let b = if options {
            b.tcp(40000, 80, 7, 512)
                .ack(9)
                .options(&[etherparse::TcpOptionElement::MaximumSegmentSize(1460)])
                .expect("fits")
        } else {
            b.tcp(40000, 80, 7, 512).ack(9)
        };
        b.write(&mut v, payload).expect("builds");
        out.push(v);
    }
    out
}

fn frame(data: &[u8], orig_len: u32) -> Frame<'_> {
    Frame {
        number: 1,
        ts: Timestamp(0),
        link: LinkType::ETHERNET,
        data,
        orig_len,
    }
}

/// Whenever the fast path answers, the layered decoder gives the same
/// segment: on valid frames, cut frames, padded frames, and frames with
/// random bytes changed in their headers.
#[test]
fn fast_path_agrees_with_layered_decoder() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let (mut fast, mut total) = (0, 0);
    for base in frames() {
        let mut variants = vec![base.clone(), [&base[..], &[0u8; 6]].concat()];
        for cut in [13, 14, 30, 33, 34, 50, 53, 54, base.len() - 1] {
            variants.push(base[..cut.min(base.len())].to_vec());
        }
        for _ in 0..3000 {
            let mut v = base.clone();
            for _ in 0..1 + (x & 1) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x >> 8) as usize % 60.min(v.len());
                v[at] = (x >> 32) as u8;
            }
            variants.push(v);
        }
        for v in &variants {
            for orig_len in [v.len() as u32, v.len() as u32 + 100, 0] {
                let f = frame(v, orig_len);
                total += 1;
                let layered = decode_layers(&f, &DecodeOptions::default());
                if let Some(s) = ipv4_tcp(&f) {
                    fast += 1;
                    match layered {
                        Decoded::Tcp(l) => assert_eq!(format!("{s:?}"), format!("{l:?}")),
                        other => panic!("fast path took {v:02x?}, layered said {other:?}"),
                    }
                }
            }
        }
    }
    // Most frames are still plain TCP: the fast path must take them.
    assert!(fast * 2 > total, "fast path took {fast} of {total}");
}
