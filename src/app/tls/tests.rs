use super::*;
use crate::proto::tls::build::{self, alpn, ext, handshake, names, record};
use crate::proto::tls::hello::HELLO_RETRY_RANDOM;

const C: Direction = Direction::ClientToServer;
const S: Direction = Direction::ServerToClient;

/// Feeds each (sender, bytes) in order; returns the decoder and the labels.
fn run(steps: &[(Direction, Vec<u8>)]) -> (TlsDecoder, Vec<String>) {
    let mut d = TlsDecoder::new(0, 0);
    let mut labels = Vec::new();
    for (who, bytes) in steps {
        d.feed(*who, bytes, &mut |l| labels.push(l.text), &mut NoKeys);
    }
    (d, labels)
}

fn hello(extensions: &[u8]) -> Vec<u8> {
    record(22, &handshake(1, &build::client_hello(extensions)))
}

fn tls12_server(extensions: &[u8]) -> Vec<u8> {
    let mut flight = handshake(2, &build::server_hello([5; 32], 0xc02f, extensions));
    flight.extend(handshake(11, &[0, 0, 0]));
    flight.extend(handshake(14, &[]));
    record(22, &flight)
}

#[test]
fn a_tls12_handshake_shows_alpn_in_the_clear_and_counts_what_is_encrypted() {
    let offer = [build::sni("localhost"), alpn(&["h2", "http/1.1"])].concat();
    let (d, labels) = run(&[
        (C, hello(&offer)),
        (S, tls12_server(&alpn(&["h2"]))),
        (
            C,
            [
                record(22, &handshake(16, &[0; 33])),
                record(20, &[1]),
                record(22, &[9; 40]),
            ]
            .concat(),
        ),
        (S, [record(20, &[1]), record(22, &[9; 40])].concat()),
        (C, [record(23, &[1; 100]), record(23, &[1; 20])].concat()),
        (S, [record(23, &[1; 500]), record(21, &[8; 26])].concat()),
    ]);
    assert_eq!(
        labels,
        [
            "ClientHello",
            "ServerHello",
            "Certificate",
            "ServerHelloDone",
            "ClientKeyExchange",
            "ChangeCipherSpec",
            "Handshake (encrypted)",
            "ChangeCipherSpec",
            "Handshake (encrypted)",
            "Application Data (encrypted) ×2",
            "Application Data (encrypted)",
            // After ChangeCipherSpec an alert is protected too.
            "Alert (encrypted)",
        ]
    );
    let r = d.report();
    assert_eq!(r.version, Some(ProtocolVersion::TLS12));
    assert_eq!(r.cipher_suite, Some(0xc02f));
    assert_eq!(r.sni().as_deref(), Some("localhost"));
    assert_eq!(alpn_offered(&r), Some(vec!["h2".into(), "http/1.1".into()]));
    assert_eq!(r.alpn_chosen, Some(AlpnChosen::Clear("h2".into())));
    assert_eq!(r.change_cipher_spec, [true, true]);
    assert_eq!(
        r.encrypted[0],
        Encrypted {
            records: 3,
            bytes: 160
        }
    );
    assert_eq!(
        r.encrypted[1],
        Encrypted {
            records: 3,
            bytes: 566
        }
    );
    assert!(r.alerts.is_empty());
    assert!(d.stopped(C).is_none() && d.stopped(S).is_none());
}

#[test]
fn tls13_hides_the_alpn_choice_unless_nothing_was_offered() {
    let sh = |ext13: &[u8]| {
        record(
            22,
            &handshake(2, &build::server_hello([5; 32], 0x1302, ext13)),
        )
    };
    let server = [
        sh(&ext(43, &[3, 4])),
        record(20, &[1]),
        record(23, &[0; 80]),
    ]
    .concat();
    let (d, labels) = run(&[(C, hello(&alpn(&["h2"]))), (S, server.clone())]);
    let r = d.report();
    assert_eq!(r.version, Some(ProtocolVersion::TLS13));
    assert_eq!(r.alpn_chosen, Some(AlpnChosen::Encrypted));
    assert_eq!(r.alpn_chosen.unwrap().text(), "unknown (encrypted)");
    assert_eq!(r.encrypted[1].records, 1);
    assert_eq!(
        labels[1..],
        [
            "ServerHello",
            "ChangeCipherSpec",
            "Application Data (encrypted)"
        ]
    );
    // No ALPN offered: the server could not have chosen one.
    let (d, _) = run(&[(C, hello(&[])), (S, server)]);
    assert_eq!(d.report().alpn_chosen, Some(AlpnChosen::NotNegotiated));
}

#[test]
fn a_hello_retry_request_is_recognised_and_the_first_offers_kept() {
    let hrr = build::server_hello(
        HELLO_RETRY_RANDOM,
        0x1301,
        &[ext(43, &[3, 4]), ext(51, &[0, 0x17])].concat(),
    );
    let sh = build::server_hello([6; 32], 0x1301, &ext(43, &[3, 4]));
    // The client's compatibility ChangeCipherSpec before its second
    // ClientHello (RFC 8446 Appendix D.4) leaves that hello in the clear.
    let (d, labels) = run(&[
        (C, hello(&alpn(&["h2"]))),
        (S, record(22, &handshake(2, &hrr))),
        (C, [record(20, &[1]), hello(&alpn(&["http/1.1"]))].concat()),
        (S, record(22, &handshake(2, &sh))),
    ]);
    assert_eq!(
        labels,
        [
            "ClientHello",
            "HelloRetryRequest",
            "ChangeCipherSpec",
            "ClientHello",
            "ServerHello"
        ]
    );
    let r = d.report();
    assert!(r.hello_retry_request);
    assert_eq!(alpn_offered(&r), Some(vec!["h2".into()]));
    assert_eq!(d.session().server_random, Some([6; 32]));
}

#[test]
fn npn_shows_the_server_list_and_an_encrypted_choice() {
    let (d, _) = run(&[
        (C, hello(&ext(13172, &[]))),
        (S, tls12_server(&ext(13172, &names(&["h2", "http/1.1"])))),
        (C, [record(20, &[1]), record(22, &[0; 60])].concat()),
    ]);
    let npn = d.report().npn.unwrap();
    assert!(npn.offered);
    assert_eq!(npn.server_list, Some(vec!["h2".into(), "http/1.1".into()]));
    assert!(npn.client_choice_encrypted);
}

#[test]
fn cleartext_alerts_are_kept_with_their_sender() {
    let (d, labels) = run(&[(C, hello(&alpn(&["foo"]))), (S, record(21, &[2, 120]))]);
    assert_eq!(labels[1], "Alert fatal no_application_protocol");
    let r = d.report();
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(r.alerts[0].sender, S);
    assert_eq!(r.alerts[0].description.0, 120);
    assert_eq!(r.alpn_chosen, None, "no ServerHello");
}

#[test]
fn the_same_report_whatever_the_segments() {
    let steps_whole = [
        (
            C,
            hello(&[build::sni("x.example"), alpn(&["h2", "http/1.1"])].concat()),
        ),
        (S, tls12_server(&alpn(&["http/1.1"]))),
    ];
    let (whole, whole_labels) = run(&steps_whole);
    for n in [1, 2, 3, 5, 8, 13] {
        let steps: Vec<(Direction, Vec<u8>)> = steps_whole
            .iter()
            .flat_map(|(d, b)| b.chunks(n).map(|c| (*d, c.to_vec())).collect::<Vec<_>>())
            .collect();
        let (cut, labels) = run(&steps);
        assert_eq!(cut.report(), whole.report(), "pieces of {n}");
        assert_eq!(labels, whole_labels, "pieces of {n}");
    }
    // The ClientHello split over many records (RFC 8446 §5.1 allows it).
    let msg = handshake(1, &build::client_hello(&alpn(&["h2"])));
    let records: Vec<u8> = msg.chunks(10).flat_map(|c| record(22, c)).collect();
    let (d, labels) = run(&[(C, records)]);
    assert_eq!(labels, ["ClientHello"]);
    assert_eq!(alpn_offered(&d.report()), Some(vec!["h2".into()]));
}

#[test]
fn bad_input_gives_a_reason_and_stops_the_direction() {
    let reason = |steps: &[(Direction, Vec<u8>)], end: Option<End>| {
        let (mut d, _) = run(steps);
        if let Some(how) = end {
            d.end(C, how);
        }
        d.stopped(C).map(|s| (s.offset, s.reason.clone()))
    };
    // A truncated record at the end of the capture.
    let cut = hello(&[])[..30].to_vec();
    assert_eq!(
        reason(&[(C, cut.clone())], Some(End::CaptureEnd)),
        Some((
            0,
            format!(
                "a Handshake record cut short by the end of the capture: 30 of its {} bytes",
                hello(&[]).len()
            )
        ))
    );
    assert_eq!(
        reason(&[(C, cut)], None),
        None,
        "not cut while the direction is open"
    );
    // An extension claiming more than the block holds.
    let (_, r) = reason(&[(C, hello(&[0, 16, 0x40, 0, 0, 2]))], None).unwrap();
    assert_eq!(
        r,
        "ClientHello: extension 16 claims 16384 bytes, 2 left in the extension block"
    );
    // Garbage after a TLS-looking first byte.
    let (at, r) = reason(&[(C, b"\x16\x03\x01GET / HTTP/1.1\r\n".to_vec())], None).unwrap();
    assert_eq!(at, 0);
    assert!(r.contains("more than 2^14 + 256"), "{r}");
    // A second record after a good one: the offset is the bad record's.
    let (at, _) = reason(&[(C, [hello(&[]), vec![0x17, 9, 9, 0, 0]].concat())], None).unwrap();
    assert_eq!(at, hello(&[]).len() as u64);
    // A gap loses the record boundaries.
    let mut d = TlsDecoder::new(0, 0);
    d.gap(S, 40);
    assert_eq!(d.stopped(S).unwrap().offset, 40);
}

/// A sink that records what a decrypter would be handed.
#[derive(Default)]
struct Recorder {
    seen: Vec<(Direction, u64, bool, Option<usize>, Session)>,
}

impl RecordSink for Recorder {
    fn wants_encrypted(&self) -> bool {
        true
    }
    fn record(
        &mut self,
        session: &Session,
        r: &RecordSeen<'_>,
        _: &mut dyn FnMut(crate::app::Label),
    ) -> bool {
        self.seen.push((
            r.sender,
            r.record.offset,
            r.encrypted,
            r.record.body.map(<[u8]>::len),
            *session,
        ));
        false
    }
}

#[test]
fn a_record_sink_sees_every_record_with_its_session() {
    let mut d = TlsDecoder::new(1000, 2000);
    let mut sink = Recorder::default();
    let ch = hello(&[]);
    let sh = tls12_server(&[]);
    d.feed(C, &ch, &mut |_| {}, &mut sink);
    d.feed(S, &sh, &mut |_| {}, &mut sink);
    let app = record(23, &[7; 64]);
    for piece in app.chunks(9) {
        d.feed(C, piece, &mut |_| {}, &mut sink);
    }
    let s = &sink.seen;
    assert_eq!(s.len(), 3);
    assert_eq!((s[0].0, s[0].1, s[0].2), (C, 1000, false));
    assert_eq!((s[1].0, s[1].1), (S, 2000));
    // Encrypted, and kept whole for the sink although it came in pieces.
    assert_eq!(
        (s[2].1, s[2].2, s[2].3),
        (1000 + ch.len() as u64, true, Some(64))
    );
    assert_eq!(s[2].4.client_random, Some([0x11; 32]));
    assert_eq!(s[2].4.server_random, Some([5; 32]));
    assert_eq!(s[2].4.version, Some(ProtocolVersion::TLS12));
    assert_eq!(s[2].4.cipher_suite, Some(0xc02f));
}

fn alpn_offered(r: &TlsReport) -> Option<Vec<String>> {
    r.offered.as_ref()?.alpn_list()
}
