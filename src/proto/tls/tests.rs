use super::build::{self, alpn, ext, handshake, names as name_list, record, sni, vec};
use super::hello::{HELLO_RETRY_RANDOM, HelloError};
use super::record::{MAX_CIPHERTEXT, RecordError};
use super::*;
use crate::test_rng::Rng;

/// Every record of `bytes` fed in pieces of the given sizes (cycled), as
/// (offset, type, fragment).
fn records_in_pieces(bytes: &[u8], sizes: &[usize]) -> Vec<(u64, ContentType, Vec<u8>)> {
    let mut reader = RecordReader::new(100);
    let mut out = Vec::new();
    let mut at = 0;
    for &n in sizes.iter().cycle() {
        if at >= bytes.len() {
            break;
        }
        let end = (at + n).min(bytes.len());
        reader
            .feed(&bytes[at..end], &mut |_| true, &mut |r: Record<'_>| {
                out.push((r.offset, r.header.content_type, r.body.unwrap().to_vec()))
            })
            .unwrap();
        at = end;
    }
    assert!(reader.partial().is_none());
    out
}

#[test]
fn records_come_out_whole_however_the_bytes_are_cut() {
    let mut stream = record(22, &handshake(1, &build::client_hello(&[])));
    stream.extend(record(20, &[1]));
    stream.extend(record(23, &[0xaa; 300]));
    stream.extend(record(21, &[2, 40]));
    let whole = records_in_pieces(&stream, &[stream.len()]);
    assert_eq!(whole.len(), 4);
    assert_eq!(whole[0].0, 100);
    assert_eq!(whole[1].0, 100 + whole[0].2.len() as u64 + 5);
    assert_eq!(whole[2].1, ContentType::ApplicationData);
    assert_eq!(whole[3].2, [2, 40]);
    for sizes in [&[1][..], &[2, 3], &[4, 7, 1], &[5], &[6], &[300]] {
        assert_eq!(records_in_pieces(&stream, sizes), whole, "{sizes:?}");
    }
}

#[test]
fn unwanted_fragments_are_counted_not_kept() {
    let stream = [record(23, &[1; 50]), record(21, &[1, 0])].concat();
    let mut reader = RecordReader::new(0);
    let mut seen = Vec::new();
    for b in stream.chunks(7) {
        reader
            .feed(
                b,
                &mut |h| h.content_type != ContentType::ApplicationData,
                &mut |r| seen.push((r.header.length, r.body.map(<[u8]>::to_vec))),
            )
            .unwrap();
        assert!(reader.buffered() <= 7, "an unwanted fragment is not held");
    }
    assert_eq!(seen, [(50, None), (2, Some(vec![1, 0]))]);
}

#[test]
fn bad_headers_stop_the_reader_where_they_are() {
    let check = |bytes: &[u8], want: RecordError| {
        let mut reader = RecordReader::new(7);
        let err = reader.feed(bytes, &mut |_| true, &mut |_| {}).unwrap_err();
        assert_eq!(err, (7, want));
        // Nothing more is read after it.
        assert_eq!(
            reader.feed(&record(21, &[1, 0]), &mut |_| true, &mut |_| {}),
            Err(err)
        );
    };
    check(&[99, 3, 3, 0, 1, 0], RecordError::ContentType(99));
    check(&[22, 2, 0, 0, 1, 0], RecordError::Version(0x0200));
    let over = (MAX_CIPHERTEXT + 1) as u16;
    check(
        &[23, 3, 3, (over >> 8) as u8, over as u8],
        RecordError::Overflow(over),
    );
    check(
        &[22, 3, 1, 0, 0],
        RecordError::Empty(ContentType::Handshake),
    );
    // The largest allowed length is allowed, and an empty application
    // data record is legal.
    let max = MAX_CIPHERTEXT as u16;
    assert!(RecordHeader::parse([23, 3, 3, (max >> 8) as u8, max as u8]).is_ok());
    assert!(RecordHeader::parse([23, 3, 3, 0, 0]).is_ok());
}

#[test]
fn a_cut_record_says_how_much_came() {
    let whole = record(22, &[1; 40]);
    let mut reader = RecordReader::new(10);
    reader
        .feed(&whole[..20], &mut |_| true, &mut |_| {})
        .unwrap();
    let p = reader.partial().unwrap();
    assert_eq!((p.offset, p.received), (10, 20));
    assert_eq!(p.header.unwrap().length, 40);
    let mut reader = RecordReader::new(10);
    reader
        .feed(&whole[..3], &mut |_| true, &mut |_| {})
        .unwrap();
    let p = reader.partial().unwrap();
    assert_eq!((p.offset, p.header, p.received), (10, None, 3));
}

/// Messages out of a handshake record stream cut into fragments.
fn messages(fragments: &[&[u8]]) -> Vec<(HandshakeType, Vec<u8>)> {
    let mut reader = HandshakeReader::default();
    let mut out = Vec::new();
    for f in fragments {
        reader
            .feed(f, &mut |k, m| out.push((k, m.to_vec())))
            .unwrap();
    }
    assert_eq!(reader.buffered(), 0);
    out
}

#[test]
fn a_client_hello_split_over_many_records_is_put_back_together() {
    let hello = build::client_hello(&[sni("example.org"), alpn(&["h2", "http/1.1"])].concat());
    let msg = handshake(1, &hello);
    let done = handshake(14, &[]);
    let stream = [msg.clone(), done.clone()].concat();
    let want = vec![
        (HandshakeType::ClientHello, hello.clone()),
        (HandshakeType::ServerHelloDone, vec![]),
    ];
    // Whole, then in fragments of every size from 1 to 9 bytes (the
    // four-byte header split too).
    assert_eq!(messages(&[&stream]), want);
    for n in 1..10 {
        let pieces: Vec<&[u8]> = stream.chunks(n).collect();
        assert_eq!(messages(&pieces), want, "fragments of {n}");
    }
    let parsed = ClientHello::parse(&hello).unwrap();
    assert_eq!(
        parsed.extensions.server_name.as_deref(),
        Some("example.org")
    );
}

#[test]
fn an_oversized_handshake_message_is_refused_before_it_is_held() {
    let mut reader = HandshakeReader::default();
    let err = reader
        .feed(&[11, 0x10, 0, 0, 1, 2], &mut |_, _| {})
        .unwrap_err();
    assert_eq!(err.kind, HandshakeType::Certificate);
    assert_eq!(err.length, 0x10_0000);
    assert_eq!(reader.buffered(), 0);
}

#[test]
fn the_client_hello_offers_are_read_in_order() {
    let extensions = [
        ext(0x3a3a, &[]), // GREASE
        sni("localhost"),
        ext(10, &vec(2, &[0x00, 0x1d, 0x00, 0x17, 0x11, 0xec])),
        alpn(&["h2", "http/1.1"]),
        ext(43, &vec(1, &[0x7a, 0x7a, 3, 4, 3, 3])),
        ext(
            51,
            &vec(2, &[[0, 0x1d].as_slice(), &vec(2, &[9; 32])].concat()),
        ),
        ext(13172, &[]),
        ext(0xff01, &[0]),
    ]
    .concat();
    let h = ClientHello::parse(&build::client_hello(&extensions)).unwrap();
    assert_eq!(h.legacy_version, ProtocolVersion::TLS12);
    assert_eq!(h.random, [0x11; 32]);
    assert_eq!(h.session_id, [0x22; 32]);
    assert_eq!(h.cipher_suites, [0x1301, 0xc02b]);
    assert_eq!(h.compression, [0]);
    let e = &h.extensions;
    assert_eq!(e.types, [0x3a3a, 0, 10, 16, 43, 51, 13172, 0xff01]);
    assert_eq!(e.server_name.as_deref(), Some("localhost"));
    assert_eq!(
        e.alpn.as_deref(),
        Some(&["h2".to_string(), "http/1.1".into()][..])
    );
    assert_eq!(
        e.supported_groups.as_deref(),
        Some(&[0x1d, 0x17, 0x11ec][..])
    );
    assert_eq!(e.key_share.as_deref(), Some(&[0x1d][..]));
    assert_eq!(
        e.npn.as_deref(),
        Some(&[][..]),
        "an empty NPN extension: offered"
    );
    assert_eq!(
        h.versions_offered(),
        [ProtocolVersion::TLS13, ProtocolVersion::TLS12],
        "GREASE left out"
    );
    // Without supported_versions, the legacy version is the offer.
    let old = ClientHello::parse(&build::client_hello(&[])).unwrap();
    assert_eq!(old.versions_offered(), [ProtocolVersion::TLS12]);
}

#[test]
fn broken_extensions_are_named() {
    let parse = |e: &[u8]| ClientHello::parse(&build::client_hello(e)).unwrap_err();
    // server_name claiming 4000 bytes of a 12-byte block.
    let mut overrun = vec![0, 0, 0x0f, 0xa0];
    overrun.extend([0; 8]);
    assert_eq!(
        parse(&overrun),
        HelloError::ExtensionOverrun {
            ext: 0,
            claimed: 4000,
            left: 8
        }
    );
    assert_eq!(
        parse(&[alpn(&["h2"]), alpn(&["h2"])].concat()),
        HelloError::Duplicate(16)
    );
    assert_eq!(
        parse(&ext(16, &vec(2, &[0]))),
        HelloError::EmptyProtocolName
    );
    // An ALPN list whose inner length leaves a byte over.
    assert!(matches!(
        parse(&ext(16, &[vec(2, &name_list(&["h2"])), vec![0]].concat())),
        HelloError::Trailing { .. }
    ));
    // A list of versions with an odd byte.
    assert!(matches!(
        parse(&ext(43, &vec(1, &[3, 4, 3]))),
        HelloError::Trailing { .. }
    ));
    assert!(matches!(
        ClientHello::parse(&[3, 3, 1]),
        Err(HelloError::Truncated {
            field: "random",
            ..
        })
    ));
}

#[test]
fn duplicates_are_found_however_many_extensions_come_between() {
    let parse = |e: &[u8]| ClientHello::parse(&build::client_hello(e));
    // 300 distinct types: many share a slot of the 64-bit filter, none is
    // a duplicate, and all are kept in order.
    let many: Vec<u8> = (1000..1300u16).flat_map(|t| ext(t, &[])).collect();
    let h = parse(&many).unwrap();
    assert_eq!(h.extensions.types, (1000..1300).collect::<Vec<_>>());
    // The same type again, 299 extensions later.
    let again = [many.clone(), ext(1000, &[])].concat();
    assert_eq!(parse(&again).unwrap_err(), HelloError::Duplicate(1000));
    // GREASE types all look alike to a filter on their low bits
    // (0x?a?a): two different ones are not duplicates, two equal ones are.
    let grease = |t: u16| ext(t, &[]);
    assert!(parse(&[grease(0x0a0a), grease(0x1a1a), grease(0xfafa)].concat()).is_ok());
    assert_eq!(
        parse(&[grease(0x0a0a), sni("a"), grease(0x0a0a)].concat()).unwrap_err(),
        HelloError::Duplicate(0x0a0a)
    );
}

#[test]
fn the_view_and_the_owned_hello_say_the_same() {
    let e = [
        sni("example.org"),
        alpn(&["h2", "http/1.1"]),
        ext(43, &vec(1, &[0x0a, 0x0a, 3, 4, 3, 3])),
        ext(10, &vec(2, &[0, 29, 0, 23])),
        ext(51, &vec(2, &[vec![0, 29], vec(2, &[7; 32])].concat())),
        ext(13172, &[]),
        ext(57, &[1, 2, 3]),
    ];
    let body = build::client_hello(&e.concat());
    let v = ClientHelloView::parse(&body).unwrap();
    let h = ClientHello::parse(&body).unwrap();
    assert_eq!(v.versions_offered(), h.versions_offered());
    assert_eq!(v.cipher_suites().collect::<Vec<_>>(), h.cipher_suites);
    assert_eq!(v.extensions.server_name(), Some(&b"example.org"[..]));
    let names: Vec<&[u8]> = v.extensions.alpn().unwrap().collect();
    assert_eq!(names, [&b"h2"[..], b"http/1.1"]);
    assert_eq!(
        h.extensions.alpn,
        Some(vec!["h2".to_string(), "http/1.1".to_string()])
    );
    assert_eq!(v.extensions.npn().map(Iterator::count), Some(0));
    assert_eq!(
        v.extensions.quic_transport_parameters(),
        Some(&[1, 2, 3][..])
    );
    assert_eq!(
        v.extensions.key_share_groups().unwrap().collect::<Vec<_>>(),
        [29]
    );
    assert_eq!(h.extensions.key_share, Some(vec![29]));
    assert_eq!(h.extensions.types, [0, 16, 43, 10, 51, 13172, 57]);
}

#[test]
fn next_protocol_names_the_clients_choice() {
    // "h2" padded to a 32-byte body, as OpenSSL's client sends it
    // (captures/app/tls-npn.pcap: 28 bytes of padding).
    let body = [vec(1, b"h2"), vec(1, &[0; 28])].concat();
    assert_eq!(body.len(), 32);
    let n = NextProtocol::parse(&body).unwrap();
    assert_eq!(n.selected_protocol, b"h2");
    assert_eq!(n.padding, 28);
    // No padding, an empty name: both allowed by the syntax.
    assert_eq!(
        NextProtocol::parse(&[0, 0]).unwrap(),
        NextProtocol {
            selected_protocol: b"",
            padding: 0
        }
    );
    assert!(matches!(
        NextProtocol::parse(&[5, b'h']),
        Err(HelloError::Truncated {
            field: "selected_protocol",
            ..
        })
    ));
    assert!(matches!(
        NextProtocol::parse(&[2, b'h', b'2']),
        Err(HelloError::Truncated {
            field: "padding",
            ..
        })
    ));
    assert_eq!(
        NextProtocol::parse(&[0, 0, 9]).unwrap_err(),
        HelloError::Trailing {
            field: "NextProtocol",
            extra: 1
        }
    );
}

#[test]
fn server_hellos_say_what_was_chosen() {
    // TLS 1.2: ALPN in the clear.
    let h = ServerHello::parse(&build::server_hello([5; 32], 0xc02f, &alpn(&["h2"]))).unwrap();
    assert_eq!(h.version(), ProtocolVersion::TLS12);
    assert_eq!(h.cipher_suite, 0xc02f);
    assert_eq!(h.extensions.alpn.as_deref(), Some(&["h2".to_string()][..]));
    assert!(!h.retry_request);
    // TLS 1.3: supported_versions chooses; the key share is one entry.
    let e = [
        ext(43, &[3, 4]),
        ext(51, &[[0, 0x1d].as_slice(), &vec(2, &[7; 32])].concat()),
    ];
    let h = ServerHello::parse(&build::server_hello([5; 32], 0x1301, &e.concat())).unwrap();
    assert_eq!(h.version(), ProtocolVersion::TLS13);
    assert_eq!(h.legacy_version, ProtocolVersion::TLS12);
    assert_eq!(h.extensions.key_share.as_deref(), Some(&[0x1d][..]));
    // HelloRetryRequest: the special random; key_share is the group alone.
    let e = [ext(43, &[3, 4]), ext(51, &[0, 0x17])];
    let h = ServerHello::parse(&build::server_hello(
        HELLO_RETRY_RANDOM,
        0x1301,
        &e.concat(),
    ))
    .unwrap();
    assert!(h.retry_request);
    assert_eq!(h.extensions.key_share.as_deref(), Some(&[0x17][..]));
    // NPN: the server's list, no outer length.
    let h = ServerHello::parse(&build::server_hello(
        [5; 32],
        0xc02f,
        &ext(13172, &name_list(&["h2", "http/1.1"])),
    ))
    .unwrap();
    assert_eq!(
        h.extensions.npn.as_deref(),
        Some(&["h2".to_string(), "http/1.1".into()][..])
    );
}

#[test]
fn alerts_and_names() {
    let a = Alert::parse_all(&[2, 120]).unwrap();
    assert_eq!(a[0].level, AlertLevel::Fatal);
    assert_eq!(a[0].description.to_string(), "no_application_protocol");
    assert_eq!(AlertDescription(0).to_string(), "close_notify");
    assert_eq!(AlertDescription(7).to_string(), "alert 7");
    assert!(Alert::parse_all(&[2]).is_err());
    assert_eq!(Alert::parse_all(&[1, 0, 2, 40]).unwrap().len(), 2);
    assert_eq!(names::cipher_suite(0x1302), "TLS_AES_256_GCM_SHA384");
    assert_eq!(names::cipher_suite(0x2a2a), "GREASE");
    assert_eq!(names::cipher_suite(0x0001), "0x0001");
    assert_eq!(names::group(0x001d), "x25519");
    assert_eq!(ProtocolVersion(0x0304).to_string(), "TLS 1.3");
    assert_eq!(ProtocolVersion(0x7f1c).to_string(), "0x7f1c");
    assert!(ProtocolVersion(0xfafa).is_grease());
    assert!(!ProtocolVersion(0xfafb).is_grease());
}

/// Every prefix of a hello and thousands of byte flips: an error or a
/// hello, never a panic.
#[test]
fn damaged_hellos_never_panic() {
    let e = [
        sni("a.example"),
        alpn(&["h2", "http/1.1"]),
        ext(43, &vec(1, &[3, 4])),
    ]
    .concat();
    let hello = build::client_hello(&e);
    // Version, random, session id, suites, compression: a TLS 1.2 hello
    // may end there, without extensions.
    let bare = 2 + 32 + 33 + 6 + 2;
    for n in 0..hello.len() {
        assert_eq!(
            ClientHello::parse(&hello[..n]).is_ok(),
            n == bare,
            "prefix of {n}"
        );
        let _ = ServerHello::parse(&hello[..n]);
    }
    let mut rng = Rng(0x7153_0001);
    for _ in 0..5000 {
        let mut b = hello.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(b.len() as u64) as usize;
            b[i] = rng.next() as u8;
        }
        let _ = ClientHello::parse(&b);
        let _ = ServerHello::parse(&b);
        let mut r = HandshakeReader::default();
        let _ = r.feed(&b, &mut |_, _| {});
        let mut rr = RecordReader::new(0);
        let _ = rr.feed(&b, &mut |_| true, &mut |_| {});
    }
}
