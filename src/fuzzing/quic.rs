//! The QUIC header and Initial decoder's fuzz target.

use crate::app::quic::QuicTracker;
use crate::capture::Timestamp;
use crate::proto::quic::header::{self, PacketHeader};
use crate::proto::quic::{
    CryptoStream, Frame, Frames, InitialKeys, LongType, Scratch, Side, TransportParameters, Version,
};
use crate::proto::tls::{ClientHello, HandshakeReader, HandshakeType};
use crate::wire::Endpoint;

/// `[flags, dcid_len, dcid…, datagram…]`: bit 0 of `flags` says the
/// datagram is the server's, bit 1 that the fixed bit may be greased. The
/// datagram's packets are read, its Initials opened with the keys of `dcid`
/// (v1 and v2), their frames read, CRYPTO data put in order and any
/// ClientHello and its transport parameters parsed; then the same datagram
/// goes, as the client's and as the server's, to a [`QuicTracker`].
/// Invariants: every packet lies inside the datagram, its packet number
/// inside the packet, and an opened payload is shorter than its packet.
pub fn quic_initial(data: &[u8]) {
    let [flags, dcid_len, rest @ ..] = data else {
        return;
    };
    let n = usize::from(*dcid_len).min(rest.len()).min(20);
    let (dcid, datagram) = rest.split_at(n);
    let from = if flags & 1 == 1 {
        Side::Server
    } else {
        Side::Client
    };
    let d = header::datagram(datagram, flags & 2 == 2);
    let total: usize = d.packets.iter().map(|p| p.bytes.len()).sum();
    assert!(total + d.trailing_zeros <= datagram.len());
    let mut crypto = CryptoStream::default();
    let mut messages = HandshakeReader::default();
    for p in &d.packets {
        assert!(p.pn_offset <= p.bytes.len());
        let PacketHeader::Long {
            kind: LongType::Initial,
            version,
            ..
        } = p.header
        else {
            continue;
        };
        let keys = InitialKeys::new(version, dcid);
        assert_eq!(
            keys.is_ok(),
            version == Version::V1 || version == Version::V2
        );
        let Ok(keys) = keys else { continue };
        let mut scratch = Scratch::default();
        let Ok(opened) = keys.open(from, p, None, &mut scratch) else {
            continue;
        };
        assert!(opened.payload.len() < p.bytes.len());
        for f in Frames::new(opened.payload) {
            let Ok(Frame::Crypto { offset, data }) = f else {
                continue;
            };
            let mut hellos = Vec::new();
            let _ = crypto.insert(offset, data, &mut |bytes| {
                let _ = messages.feed(bytes, &mut |t, body| {
                    if t == HandshakeType::ClientHello {
                        hellos.push(body.to_vec());
                    }
                });
            });
            for body in hellos {
                if let Ok(hello) = ClientHello::parse(&body)
                    && let Some(tp) = hello.extensions.quic_transport_parameters
                {
                    let _ = TransportParameters::parse(&tp);
                }
            }
        }
    }
    let (a, b) = (
        Endpoint {
            addr: [127, 0, 0, 1].into(),
            port: 40000,
        },
        Endpoint {
            addr: [127, 0, 0, 1].into(),
            port: 443,
        },
    );
    let mut tracker = QuicTracker::default();
    if tracker.datagram(1, Timestamp(0), a, b, datagram) {
        tracker.datagram(2, Timestamp(1), b, a, datagram);
    }
    for q in tracker.finish(Timestamp(2)) {
        assert!(q.problems.len() <= crate::app::quic::report::MAX_PROBLEMS);
    }
}
