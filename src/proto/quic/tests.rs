use super::header::{self, PacketHeader};
use super::initial::retry_tag_valid;
use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 9001 Appendix A: the client's DCID every example derives from.
const RFC_DCID: &str = "8394c8f03e515708";

#[test]
fn varints_of_rfc_9000_appendix_a1() {
    for (bytes, value) in [
        ("c2197c5eff14e88c", 151_288_809_941_952_652u64),
        ("9d7f3e7d", 494_878_333),
        ("7bbd", 15_293),
        ("25", 37),
        ("4025", 37),
    ] {
        let b = hex(bytes);
        let mut r = reader::Reader::new(&b);
        assert_eq!(r.varint("v").unwrap(), value, "{bytes}");
        assert!(r.is_empty());
    }
    let mut r = reader::Reader::new(&[0x80, 0x00]);
    assert!(matches!(
        r.varint("v"),
        Err(QuicError::Truncated {
            needed: 4,
            left: 2,
            ..
        })
    ));
}

#[test]
fn server_initial_of_rfc_9001_appendix_a3_opens() {
    let packet = hex(
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
         5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
         dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
         022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
         2158407dd074ee",
    );
    let d = header::datagram(&packet, false);
    assert_eq!(d.error, None);
    assert_eq!(d.packets.len(), 1);
    let p = &d.packets[0];
    let PacketHeader::Long {
        kind,
        version,
        dcid,
        scid,
        token,
    } = &p.header
    else {
        panic!("{:?}", p.header)
    };
    assert_eq!((*kind, *version), (LongType::Initial, Version::V1));
    assert!(dcid.0.is_empty() && token.is_empty());
    assert_eq!(scid.to_string(), "f067a5502a4262b5");
    let keys = InitialKeys::new(Version::V1, &hex(RFC_DCID)).unwrap();
    let mut scratch = Scratch::default();
    let opened = keys.open(Side::Server, p, None, &mut scratch).unwrap();
    assert_eq!(opened.packet_number, 1);
    let frames: Vec<_> = Frames::new(opened.payload)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames[0], Frame::Ack { largest: 0 });
    let Frame::Crypto { offset: 0, data } = frames[1] else {
        panic!("{:?}", frames[1])
    };
    // A ServerHello (type 2) of 0x56 bytes.
    assert_eq!(&data[..4], &[2, 0, 0, 0x56]);
    let hello = crate::proto::tls::ServerHello::parse(&data[4..]).unwrap();
    assert_eq!(hello.cipher_suite, 0x1301);
    // The client's keys do not open the server's packet.
    assert_eq!(
        keys.open(Side::Client, p, None, &mut Scratch::default()),
        Err(QuicError::Open)
    );
}

#[test]
fn retry_of_rfc_9001_appendix_a4_has_a_valid_tag() {
    let retry = hex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
    let p = header::packet(&retry, false).unwrap();
    let PacketHeader::Retry { token, scid, .. } = &p.header else {
        panic!("{:?}", p.header)
    };
    assert_eq!(token, b"token");
    assert_eq!(scid.to_string(), "f067a5502a4262b5");
    assert!(retry_tag_valid(Version::V1, &hex(RFC_DCID), &retry));
    assert!(!retry_tag_valid(
        Version::V1,
        &hex("8394c8f03e515709"),
        &retry
    ));
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    // Not QUIC: the fixed bit is 0.
    assert_eq!(
        header::packet(&[0x80, 0, 0, 0, 1, 0, 0], false),
        Err(QuicError::FixedBit(0x80))
    );
    assert_eq!(
        header::packet(&[0x00, 1, 2], false),
        Err(QuicError::FixedBit(0))
    );
    // Unless the receiver asked for a greased QUIC bit (RFC 9287).
    assert_eq!(
        header::packet(&[0x00, 1, 2], true).unwrap().header,
        PacketHeader::Short
    );
    // A truncated Initial: the header stops inside the SCID.
    assert!(matches!(
        header::packet(&hex("c000000001 04 01020304 08 0102"), false),
        Err(QuicError::Truncated {
            field: "Source Connection ID",
            ..
        })
    ));
    // A coalesced length that overruns the datagram.
    let overrun = hex("c000000001 00 00 00 4100 01020304");
    let d = header::datagram(&overrun, false);
    assert_eq!(
        d.error,
        Some(QuicError::LengthOverrun {
            claimed: 256,
            left: 4
        })
    );
    // An unknown version: the invariants only, and no keys.
    let unknown = hex("c01a2a3a4a 01 aa 00 ffff");
    let p = header::packet(&unknown, false).unwrap();
    assert!(matches!(p.header, PacketHeader::UnknownVersion { .. }));
    assert!(matches!(
        InitialKeys::new(Version(0x1a2a3a4a), &[1]),
        Err(QuicError::UnknownVersion(_))
    ));
    // A connection ID longer than v1 allows.
    assert_eq!(
        header::packet(&hex("c000000001 15"), false),
        Err(QuicError::ConnectionIdLength(21))
    );
    // An Initial too short for the header protection sample.
    let short = hex("c000000001 00 00 00 05 0102030405");
    let p = header::packet(&short, false).unwrap();
    let keys = InitialKeys::new(Version::V1, &[]).unwrap();
    assert!(matches!(
        keys.open(Side::Client, &p, None, &mut Scratch::default()),
        Err(QuicError::NoSample(_))
    ));
    // A frame an Initial may not carry (STREAM, 0x08).
    let f: Vec<_> = Frames::new(&[0x01, 0x08, 0x00]).collect();
    assert_eq!(f, vec![Ok(Frame::Ping), Err(QuicError::FrameNotAllowed(8))]);
    // An ACK whose ranges fall below packet 0.
    let f: Vec<_> = Frames::new(&[0x02, 0x01, 0x00, 0x00, 0x02]).collect();
    assert_eq!(f, vec![Err(QuicError::AckRange)]);
}

/// quinn's path MTU probe: PING, IMMEDIATE_ACK (0x1f, the ACK frequency
/// draft), PADDING. The frames after IMMEDIATE_ACK are read, not lost to an
/// unknown type; a type nobody defined still stops the packet.
#[test]
fn immediate_ack_is_read_and_the_padding_after_it_too() {
    let f: Vec<_> = Frames::one_rtt(&[0x01, 0x1f, 0x00, 0x00, 0x00]).collect();
    assert_eq!(
        f,
        vec![
            Ok(Frame::Ping),
            Ok(Frame::Other(0x1f)),
            Ok(Frame::Padding(3))
        ]
    );
    assert_eq!(frame::type_name(0x1f), "IMMEDIATE_ACK");
    let f: Vec<_> = Frames::one_rtt(&[0x01, 0x2f, 0x00]).collect();
    assert_eq!(f, vec![Ok(Frame::Ping), Err(QuicError::UnknownFrame(0x2f))]);
}

#[test]
fn crypto_stream_reassembles_shuffled_and_repeated_pieces() {
    let mut s = CryptoStream::default();
    let mut got = Vec::new();
    let mut out = |b: &[u8]| got.extend_from_slice(b);
    s.insert(6, b"ghij", &mut out).unwrap();
    s.insert(3, b"def", &mut out).unwrap();
    s.insert(0, b"abcd", &mut out).unwrap();
    s.insert(2, b"cd", &mut out).unwrap();
    s.insert(10, b"k", &mut out).unwrap();
    assert_eq!(got, b"abcdefghijk");
    assert_eq!(s.pending(), 0);
    assert!(matches!(
        s.insert(crypto::MAX_CRYPTO, b"x", &mut |_| {}),
        Err(QuicError::CryptoTooFar { .. })
    ));
}

#[test]
fn transport_parameters_decode() {
    // max_idle_timeout 30000 ms, initial_max_data 1 MiB,
    // disable_active_migration, initial_source_connection_id, a grease id.
    let tp = hex("01 04 80007530  04 04 80100000  0c 00  0f 04 0a0b0c0d  40 36 02 abcd");
    let p = TransportParameters::parse(&tp).unwrap();
    assert_eq!(p.max_idle_timeout(), Some(30_000));
    assert_eq!(
        p.0,
        vec![
            TransportParameter::MaxIdleTimeout(30_000),
            TransportParameter::InitialMaxData(1 << 20),
            TransportParameter::DisableActiveMigration,
            TransportParameter::InitialSourceConnectionId(ConnectionId(hex("0a0b0c0d"))),
            TransportParameter::Other { id: 0x36, len: 2 },
        ]
    );
    assert!(matches!(
        TransportParameters::parse(&hex("01 01 05 01 01 06")),
        Err(QuicError::Parameter {
            id: 1,
            why: "sent twice"
        })
    ));
    assert!(matches!(
        TransportParameters::parse(&hex("02 03 000000")),
        Err(QuicError::Parameter { id: 2, .. })
    ));
}

/// A run of PADDING, read eight bytes a step, ends where the zeros do,
/// whatever its length and wherever the next frame starts.
#[test]
fn padding_runs_of_every_length_end_at_the_next_frame() {
    for zeros in 1..100 {
        for tail in [&[][..], &[0x01], &[0x01, 0x00, 0x00]] {
            let mut payload = vec![0; zeros];
            payload.extend_from_slice(tail);
            let frames: Vec<_> = Frames::new(&payload).collect();
            let mut expected = vec![Ok(Frame::Padding(zeros))];
            if !tail.is_empty() {
                expected.push(Ok(Frame::Ping));
            }
            if tail.len() > 1 {
                expected.push(Ok(Frame::Padding(tail.len() - 1)));
            }
            assert_eq!(frames, expected, "{zeros} zeros then {tail:?}");
        }
    }
}

#[test]
fn short_header_of_rfc_9001_appendix_a5_opens() {
    // ChaCha20-Poly1305, a 3-byte packet number and no DCID; one PING.
    let secret = hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
    let keys = protection::DirectionKeys::new(Suite::ChaCha20Poly1305Sha256, Version::V1, &secret);
    let packet = hex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb");
    let mut scratch = Scratch::default();
    let opened = keys
        .open(&packet, 1, Some(654_360_563), &mut scratch)
        .unwrap();
    assert_eq!(opened.packet_number, 654_360_564);
    assert_eq!(opened.payload, [0x01]);
}

#[test]
fn a_packet_larger_than_the_stack_scratch_opens_on_the_heap() {
    use ring::aead::quic::{AES_128, HeaderProtectionKey};
    use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    use ring::hkdf;

    // A 1-RTT packet protected here as RFC 9001 §5.3 and §5.4.1 say,
    // with the keys a secret expands to: PING, then PADDING to past the
    // stack's room.
    let secret = [7; 32];
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
    let (mut key, mut iv, mut hp) = ([0; 16], [0; 12], [0; 16]);
    protection::expand_label(&prk, b"quic key", &mut key);
    protection::expand_label(&prk, b"quic iv", &mut iv);
    protection::expand_label(&prk, b"quic hp", &mut hp);
    let seal = |frames: &[u8]| {
        let dcid = [0xd5; 8];
        // The fixed bit, a 2-byte packet number: 5.
        let mut packet = vec![0x41];
        packet.extend_from_slice(&dcid);
        packet.extend_from_slice(&[0, 5]);
        let header_len = packet.len();
        let mut nonce = iv;
        nonce[11] ^= 5;
        let mut body = frames.to_vec();
        let aead = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
        aead.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&packet[..]),
            &mut body,
        )
        .unwrap();
        packet.extend_from_slice(&body);
        let pn_offset = 1 + dcid.len();
        let sample = &packet[pn_offset + 4..pn_offset + 20];
        let mask = HeaderProtectionKey::new(&AES_128, &hp)
            .unwrap()
            .new_mask(sample)
            .unwrap();
        packet[0] ^= mask[0] & 0x1f;
        packet[pn_offset] ^= mask[1];
        packet[pn_offset + 1] ^= mask[2];
        assert_eq!(packet.len(), header_len + frames.len() + 16);
        packet
    };
    let keys = protection::DirectionKeys::new(Suite::Aes128GcmSha256, Version::V1, &secret);
    for len in [40, Scratch::STACK, 3000] {
        let mut frames = vec![0; len];
        frames[0] = 0x01;
        let packet = seal(&frames);
        let mut scratch = Scratch::default();
        let opened = keys.open(&packet, 9, Some(4), &mut scratch).unwrap();
        assert_eq!(opened.packet_number, 5);
        assert_eq!(opened.payload, frames, "{len} bytes of frames");
    }
}
