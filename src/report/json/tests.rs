use super::writer::{write_array, write_connections_in_blocks, write_quic_array};
use super::*;
use crate::capture::Timestamp;
use crate::flow::{ConnState, Removal};
use crate::report::ZeekRecord;
use crate::teardown::{Ending, Frames, Teardown};
use crate::wire::Endpoint;

fn report(id: u64) -> ConnectionReport {
    let ep = |port| Endpoint {
        addr: "10.0.0.1".parse().unwrap(),
        port,
    };
    ConnectionReport {
        id,
        teardown: Teardown {
            ending: Ending::Fin,
            client: ep(40000),
            server: ep(80),
            client_from_syn: true,
            closed_first: None,
            first_rst: None,
            client_rst: None,
            server_rst: None,
            bytes_client_to_server: 3,
            bytes_server_to_client: 4,
            frames: Frames::default(),
        },
        zeek: ZeekRecord {
            ts: Timestamp(1_000_000_000),
            service: None,
            orig: ep(40000),
            resp: ep(80),
            proto: crate::flow::TransportProto::Tcp,
            duration: None,
            orig_bytes: None,
            resp_bytes: None,
            conn_state: ConnState::SF,
            missed_bytes: 0,
            history: "ShAFf".into(),
            orig_pkts: 3,
            orig_ip_bytes: 120,
            resp_pkts: 2,
            resp_ip_bytes: 80,
            tunnel_parents: [None; 2],
        },
        removal: Removal::CloseTimer,
        app: None,
    }
}

#[test]
fn streamed_document_is_byte_for_byte_the_rendered_one() {
    for n in [0, 1, 3] {
        let report = Report {
            connections: (1..=n).map(report).collect(),
            summary: Summary::default(),
        };
        let mut out = Vec::new();
        write_document(&mut out, report.connections.clone(), &report.summary).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            render(&report),
            "{n} connections"
        );
    }
}

/// Reports that differ in every way the writer branches on: addresses of
/// both families, set and unset fields, resets, times whose shortest digits
/// serde_json prints in exponent form, text that needs escaping.
fn varied() -> Vec<ConnectionReport> {
    use crate::flow::RstPhase;
    use crate::teardown::{Reset, Role};
    let v6 = Endpoint {
        addr: "2001:db8::7".parse().unwrap(),
        port: 443,
    };
    let mapped = Endpoint {
        addr: "::ffff:10.0.0.1".parse().unwrap(),
        port: 0,
    };
    let times = [
        0,
        1_000,
        999,
        -1,
        -1_500_000_000,
        1_000_000,
        1_795_314_666_529_810_123,
        1_362_692_526_939_084_000,
        i64::MAX,
        i64::MIN,
    ];
    let histories = ["", "ShADadFf", "a\"b\\c\n\t\u{1}\u{1f}\u{7f}é"];
    let mut out = Vec::new();
    for (i, &ts) in times.iter().enumerate() {
        let mut r = report(i as u64 + 1);
        r.zeek.ts = Timestamp(ts);
        r.zeek.duration = [None, Some(Timestamp(ts.saturating_abs()))][i % 2];
        r.zeek.orig_bytes = r.zeek.duration.map(|_| i as u64 * 1000);
        r.zeek.history = histories[i % histories.len()].into();
        if i % 3 == 1 {
            r.teardown.client = v6;
            r.zeek.orig = v6;
            r.teardown.server = mapped;
            r.zeek.resp = mapped;
        }
        let reset = |sender, phase, frame| {
            Some(Reset {
                sender,
                phase,
                frame,
            })
        };
        if i % 2 == 0 {
            r.teardown.ending = Ending::Rst;
            r.teardown.client_rst = reset(Role::Client, RstPhase::UnreadData, 9);
            r.teardown.first_rst = r.teardown.client_rst;
            r.teardown.closed_first = Some(Role::Server);
            r.teardown.frames.server_fin = Some(u64::MAX);
        }
        if i % 4 == 0 {
            r.teardown.server_rst = reset(Role::Server, RstPhase::DataAfterClose, 11);
            r.teardown.client_from_syn = false;
            r.removal = Removal::Reuse;
        }
        out.push(r);
    }
    out
}

#[test]
fn written_objects_are_byte_for_byte_serde_json_for_varied_reports() {
    let connections = varied();
    let report = Report {
        connections: connections.clone(),
        summary: Summary::default(),
    };
    let mut out = Vec::new();
    write_document(&mut out, connections, &report.summary).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), render(&report));
}

#[test]
fn timestamp_values_equal_the_parsed_zeek_text() {
    let mut ts: Vec<i64> = vec![0, 1, -1, 999, 1_000, -1_000, i64::MAX, i64::MIN];
    // A spread of magnitudes, each with nearby odd microseconds.
    let mut x: i64 = 7;
    for _ in 0..20_000 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ts.push(x >> (x as u64 % 40));
    }
    for t in ts {
        let parsed: f64 = Timestamp(t).zeek().parse().unwrap();
        assert_eq!(pretty::ts_value(t).to_bits(), parsed.to_bits(), "{t}");
    }
}

#[test]
fn records_and_their_reports_write_the_same_document() {
    use crate::analyze::{AnalyzeOptions, analyze_each};
    let mut seen = 0;
    // The application captures carry HTTP/2 (frame counts, GOAWAY, stream
    // resets), the others HTTP/1.
    let dirs = ["captures", "captures/app"].map(|d| std::fs::read_dir(d).unwrap());
    let mut paths: Vec<(std::path::PathBuf, Option<&str>)> = dirs
        .into_iter()
        .flatten()
        .map(|e| (e.unwrap().path(), None))
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    // With its key log: Alt-Svc inside TLS, and the DNS and QUIC members
    // after the connections.
    paths.push((
        "captures/quic/discovery/h3-discovery.pcap".into(),
        Some("captures/quic/discovery/h3-discovery.keys"),
    ));
    for (path, keys) in paths {
        let keylog = keys.map(|k| {
            std::sync::Arc::new(crate::tls_decrypt::KeyLog::parse(
                &std::fs::read(k).unwrap(),
            ))
        });
        let mut records = Vec::new();
        let mut reader = crate::capture::open_file(&path).unwrap();
        // Decoded, with ladders: the application members are held too.
        let opts = AnalyzeOptions {
            app: Some(crate::app::AppOptions {
                ladder: true,
                keylog,
                ..Default::default()
            }),
            ..AnalyzeOptions::default()
        };
        let summary = analyze_each(&mut reader, &opts, |f| {
            records.push((f.connection.clone(), f.app))
        })
        .unwrap();
        // Removal order, which is not id order once timers fire.
        records.reverse();
        // The reports made by moving what was kept; the writer below
        // makes them leaving it in place.
        let report_of = |k: &Kept| ConnectionReport::of(&k.0).with_finished(k.1.clone());
        let mut reports: Vec<_> = records.iter().map(report_of).collect();
        reports.sort_by_key(|c| c.id);
        // The summary counted what was handed out, without the reports.
        let mut counts = crate::report::DecodeCounts::default();
        for a in reports.iter().filter_map(|c| c.app.as_deref()) {
            counts.add(a);
        }
        assert_eq!(
            summary.decode,
            (!reports.is_empty()).then_some(counts),
            "{path:?}"
        );
        let expected = render(&Report {
            connections: reports,
            summary: summary.clone(),
        });
        let mut from_records = Vec::new();
        write_connections(&mut from_records, &records, &summary).unwrap();
        assert_eq!(
            String::from_utf8(from_records).unwrap(),
            expected,
            "{path:?}"
        );
        // Every fifth connection (as a scope would keep): ids too scattered
        // to be placed directly, so they are sorted.
        let some: Vec<Kept> = records.iter().step_by(5).cloned().collect();
        let mut some_reports: Vec<_> = some.iter().map(report_of).collect();
        some_reports.sort_by_key(|c| c.id);
        let mut from_some = Vec::new();
        write_connections(&mut from_some, &some, &summary).unwrap();
        let some_expected = render(&Report {
            connections: some_reports,
            summary: summary.clone(),
        });
        assert_eq!(
            String::from_utf8(from_some).unwrap(),
            some_expected,
            "{path:?} 1 in 5"
        );
        // Blocks small enough that both threads format several of them.
        for block in [1, 2, 3] {
            let mut blocks = Vec::new();
            write_connections_in_blocks(&mut blocks, &records, &summary, block).unwrap();
            let blocks = String::from_utf8(blocks).unwrap();
            assert_eq!(blocks, expected, "{path:?} in blocks of {block}");
        }
        seen += 1;
    }
    assert!(
        seen >= 15,
        "only {seen} captures in captures/ and captures/app/"
    );
}

#[test]
fn fixed_names_need_no_escaping() {
    use crate::flow::RstPhase;
    use crate::teardown::Role;
    use ConnState::*;
    let mut names: Vec<&str> = Ending::ALL.iter().map(|e| e.name()).collect();
    names.extend([Role::Client, Role::Server].map(Role::name));
    names.extend(
        [
            Removal::EndOfInput,
            Removal::Reuse,
            Removal::AttemptTimer,
            Removal::CloseTimer,
            Removal::ExpireTimer,
            Removal::InactivityTimer,
        ]
        .map(Removal::name),
    );
    names.extend(
        [
            S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH,
        ]
        .map(ConnState::name),
    );
    names.extend(
        [
            RstPhase::Handshake,
            RstPhase::WithoutFin,
            RstPhase::UnreadData,
            RstPhase::AfterOwnFin,
            RstPhase::DataAfterClose,
            RstPhase::AfterPeerFin,
        ]
        .map(RstPhase::name),
    );
    for name in names {
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "{name:?}"
        );
        assert_eq!(serde_json::to_string(name).unwrap(), format!("\"{name}\""));
    }
}

#[test]
fn numbers_of_every_length_match_display() {
    let mut b = pretty::Block::default();
    let mut n: u64 = 0;
    let mut want = String::new();
    for k in 0..=19 {
        for m in [
            n,
            n + 1,
            n.saturating_mul(10).saturating_sub(1),
            u64::MAX >> (4 * k),
        ] {
            b.clear();
            b.u64(m);
            want.clear();
            want.push_str(&m.to_string());
            assert_eq!(b.as_bytes(), want.as_bytes());
        }
        n = if n == 0 { 9 } else { n.saturating_mul(10) + 9 };
    }
}

/// The `tls` member by hand and through serde, on values the reference
/// captures do not hold: text that needs escaping, a decrypted ALPN
/// choice, a HelloRetryRequest, NPN offered and unanswered, alerts of odd
/// levels and unnamed codes, unnamed versions and suites.
#[test]
fn tls_members_are_byte_for_byte_serde_json() {
    use crate::app::tls::{
        AlertSeen, AlpnChosen, ClosedAt, Encrypted, Inner, InnerChosenBy, InnerProtocol,
        KeysReport, KeysStatus, Npn, Offered, TlsClose, TlsReport,
    };
    use crate::app::{AppReport, ConversationReport, Direction, Protocol};
    use crate::proto::tls::{AlertDescription, AlertLevel, ProtocolVersion};
    let tls = |n: u64| TlsReport {
        // No ClientHello at all one time in seven.
        offered: (n % 7 != 6).then(|| {
            Offered::new(
                &[ProtocolVersion(0x0304), ProtocolVersion(0x7f1c)][..n as usize % 3],
                (n % 2 == 1).then_some("a\"b\\c\n\u{1}é.example"),
                (!n.is_multiple_of(3)).then_some(&["h2", "\u{7f}x\""][..]),
            )
        }),
        version: n.is_multiple_of(2).then_some(ProtocolVersion(0x0304)),
        cipher_suite: [None, Some(0x1301), Some(0x0001)][n as usize % 3],
        alpn_chosen: [
            None,
            Some(AlpnChosen::Clear("h2".into())),
            Some(AlpnChosen::Decrypted("http/1.1".into())),
            Some(AlpnChosen::NotNegotiated),
            Some(AlpnChosen::Encrypted),
        ][n as usize % 5]
            .clone(),
        npn: n.is_multiple_of(2).then(|| Npn {
            offered: true,
            server_list: n.is_multiple_of(4).then(|| vec!["spdy/3".into()]),
            client_choice_encrypted: n.is_multiple_of(4),
            chosen: n.is_multiple_of(8).then(|| "h\"2\u{1}".into()),
        }),
        hello_retry_request: n % 3 == 1,
        alerts: (0..n % 3)
            .map(|k| AlertSeen {
                sender: [Direction::ClientToServer, Direction::ServerToClient][k as usize % 2],
                offset: k * 1000,
                frame: k + 1,
                level: [AlertLevel::Fatal, AlertLevel::Other(9)][k as usize % 2],
                description: AlertDescription([120, 255][k as usize % 2]),
            })
            .collect(),
        change_cipher_spec: [n.is_multiple_of(2), n.is_multiple_of(3)],
        encrypted: [
            Encrypted {
                records: n,
                bytes: n * 100,
            },
            Encrypted::default(),
        ],
        keys: [
            None,
            Some(KeysReport {
                status: KeysStatus::Ok,
                problem: None,
                opened: [n, 2 * n],
            }),
            Some(KeysReport {
                status: KeysStatus::Mismatch,
                problem: Some("tag \"failure\"\n".into()),
                opened: [0, 0],
            }),
            Some(KeysReport {
                status: KeysStatus::Missing,
                problem: Some("no secrets".into()),
                opened: [0, 0],
            }),
        ][n as usize % 4]
            .clone(),
        close: [
            None,
            Some(TlsClose::CloseNotify([
                Some(ClosedAt {
                    offset: n,
                    frame: n + 7,
                }),
                None,
            ])),
            Some(TlsClose::None),
            Some(TlsClose::Unknown),
            Some(TlsClose::CloseNotify([
                Some(ClosedAt {
                    offset: 1,
                    frame: 3,
                }),
                Some(ClosedAt {
                    offset: 2,
                    frame: 4,
                }),
            ])),
        ][n as usize % 5]
            .clone(),
        inner: [
            None,
            Some(Inner {
                protocol: InnerProtocol::H2,
                chosen_by: InnerChosenBy::Alpn,
            }),
            Some(Inner {
                protocol: InnerProtocol::Other(Protocol::H2PrefaceRefused),
                chosen_by: InnerChosenBy::Sniffed,
            }),
            Some(Inner {
                protocol: InnerProtocol::Http10,
                chosen_by: InnerChosenBy::AgainstAlpn,
            }),
        ][n as usize % 4],
    };
    let connections: Vec<ConnectionReport> = (1..=10u64)
        .map(|n| {
            let mut app = AppReport::without_payload(false, false, n.is_multiple_of(2));
            app.conversation = Some(ConversationReport {
                protocol: Protocol::Tls,
                exchanges: Vec::new(),
                http2: None,
                decode_error: None,
                negotiation: None,
                tls: Some(tls(n)),
            });
            report(n).with_app(Some(Box::new(app)))
        })
        .collect();
    let report = Report {
        connections: connections.clone(),
        summary: Summary::default(),
    };
    let mut out = Vec::new();
    write_document(&mut out, connections, &report.summary).unwrap();
    let rendered = render(&report);
    for shown in [
        "\"tls\": {",
        "unknown (encrypted)",
        "\"spdy/3\"",
        "\"alert 255\"",
    ] {
        assert!(rendered.contains(shown), "{shown} not in {rendered}");
    }
    assert_eq!(String::from_utf8(out).unwrap(), rendered);
}

/// The QUIC connections of every capture under captures/quic, read
/// without and (where there is one) with its key log.
fn quic_reports() -> Vec<(String, Vec<QuicReport>)> {
    use crate::analyze::{AnalyzeOptions, analyze_each};
    let mut pcaps = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("captures/quic")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "pcap") {
                pcaps.push(p);
            }
        }
    }
    pcaps.sort();
    let mut out = Vec::new();
    for pcap in pcaps {
        let keys = pcap.with_extension("keys");
        let mut keylogs = vec![None];
        if keys.exists() {
            keylogs.push(Some(keys));
        }
        for keys in keylogs {
            let keylog = keys.as_ref().map(|k| {
                std::sync::Arc::new(crate::tls_decrypt::KeyLog::parse(
                    &std::fs::read(k).unwrap(),
                ))
            });
            let opts = AnalyzeOptions {
                app: Some(crate::app::AppOptions {
                    keylog,
                    ..Default::default()
                }),
                ..AnalyzeOptions::default()
            };
            let mut reader = crate::capture::open_file(&pcap).unwrap();
            let summary = analyze_each(&mut reader, &opts, |_| {}).unwrap();
            out.push((format!("{pcap:?} keys {keys:?}"), summary.quic));
        }
    }
    out
}

/// The `quic` array as the serde views print it, and as written by hand.
fn quic_arrays(quic: &[QuicReport]) -> (String, String) {
    let mut views = Vec::new();
    write_array(&mut views, quic.iter().map(quic::QuicView::of)).unwrap();
    let mut by_hand = Vec::new();
    write_quic_array(&mut by_hand, quic).unwrap();
    (
        String::from_utf8(views).unwrap(),
        String::from_utf8(by_hand).unwrap(),
    )
}

#[test]
fn quic_objects_are_byte_for_byte_serde_json_on_the_reference_captures() {
    let (mut runs, mut connections, mut keyed) = (0, 0, 0);
    for (name, quic) in quic_reports() {
        let (views, by_hand) = quic_arrays(&quic);
        assert_eq!(by_hand, views, "{name}");
        runs += 1;
        connections += quic.len();
        keyed += quic.iter().filter(|q| q.http3.is_some()).count();
    }
    // 13 captures, 10 of them with a key log.
    assert!(runs >= 23, "only {runs} runs");
    assert!(connections >= 25, "only {connections} QUIC connections");
    assert!(keyed >= 10, "only {keyed} connections with HTTP/3 decoded");
}

/// Connections with what the reference captures do not hold: every member
/// that is left out when empty present (and absent), text that needs
/// escaping, IPv6 endpoints, versions and parameters without names.
#[test]
fn quic_objects_are_byte_for_byte_serde_json_for_varied_connections() {
    use crate::app::h3::{GoawaySeen, H3Exchange, H3Problem, SettingsSeen};
    use crate::app::quic::{
        CloseSeen, IcmpSeen, KeysSeen, KeysStatus, NewCidSeen, PacketKind, QuicEnding, QuicProblem,
        ResetSeen, RetrySeen, ServerHelloSeen, TokenSource,
    };
    use crate::proto::h3::{H3Error, QpackError};
    use crate::proto::quic::{
        ConnectionClose, ConnectionId, QuicError, Side, TransportParameter as P, Version,
    };
    let all = quic_reports();
    let base = all
        .iter()
        .flat_map(|(_, q)| q)
        .find(|q| q.http3.is_some())
        .expect("a connection with HTTP/3 decoded")
        .clone();
    let odd = "a\"b\\c\nd\te\u{1}\u{7f}é\r\u{8}\u{c}";
    let mut full = base.clone();
    full.client = Endpoint {
        addr: "2001:db8::1".parse().unwrap(),
        port: 443,
    };
    full.server = Endpoint {
        addr: "::ffff:10.0.0.1".parse().unwrap(),
        port: 0,
    };
    full.first_ts = Timestamp(-1_500_000_123);
    full.last_ts = Timestamp(1 << 62);
    full.version = Some(Version(0x1a2a_3a4a));
    full.negotiation = Some(vec![Version(0xff00_001d), Version::V1, Version::V2]);
    full.original_dcid = ConnectionId(vec![]);
    full.client_scid = None;
    full.server_scid = Some(ConnectionId((0..=255).collect()));
    full.retry = Some(RetrySeen {
        frame: 7,
        token_len: 0,
        scid: ConnectionId(vec![0, 0xff]),
        tag_valid: false,
    });
    full.sni = Some(odd.into());
    full.alpn_offered = vec![odd.into(), String::new()];
    full.transport_parameters.extend([
        P::Other { id: 0x2a, len: 3 },
        P::Other {
            id: 0x2945_37fb_d758_4b84,
            len: 8,
        },
        P::Other {
            id: u64::MAX,
            len: usize::MAX,
        },
        P::PreferredAddress(41),
        P::VersionInformation {
            chosen: Version::V1,
            available: vec![Version::V2, Version(0x0a0a_0a0a)],
        },
        P::RetrySourceConnectionId(ConnectionId(vec![1, 2])),
        P::StatelessResetToken([0xab; 16]),
        P::GreaseQuicBit,
        P::DisableActiveMigration,
        P::MaxIdleTimeout(u64::MAX),
    ]);
    full.server_hello = Some(ServerHelloSeen {
        version: crate::proto::tls::ProtocolVersion(0x7a7a),
        cipher_suite: 0xabcd,
    });
    full.keys = Some(KeysSeen {
        status: KeysStatus::Mismatch,
        reason: odd.into(),
    });
    full.alpn = Some("h3".into());
    full.server_transport_parameters = vec![P::Other { id: 0, len: 0 }];
    full.handshake_done = Some(u64::MAX);
    full.new_connection_ids = vec![NewCidSeen {
        by: Side::Server,
        frame: 9,
        sequence: 1,
        cid: ConnectionId(vec![9; 20]),
        token: [0x0f; 16],
    }];
    full.key_updates = [3, 0];
    let h = full.http3.as_mut().unwrap();
    h.settings.push(SettingsSeen {
        by: Side::Client,
        frame: 4,
        values: vec![(0x21, 1), (0x06, 0)],
    });
    h.settings.push(SettingsSeen {
        by: Side::Server,
        frame: 5,
        values: vec![],
    });
    h.goaway = vec![GoawaySeen {
        by: Side::Server,
        frame: 11,
        id: 4,
    }];
    h.exchanges.push(H3Exchange {
        method: Some(odd.into()),
        path: Some(String::new()),
        status: Some(599),
        undecoded: Some(QpackError::Truncated),
        ..H3Exchange::default()
    });
    h.problems = vec![H3Problem {
        frame: 12,
        by: Side::Client,
        stream: 2,
        error: H3Error::Malformed("SETTINGS"),
    }];
    h.qpack_encoder_bytes = [1, u64::MAX];
    full.close = Some(CloseSeen {
        by: Side::Client,
        frame: 13,
        packet: PacketKind::OneRtt,
        close: ConnectionClose {
            application: true,
            code: 0x0100,
            frame_type: None,
            reason: odd.into(),
        },
    });
    full.stateless_reset = Some(ResetSeen {
        by: Side::Server,
        frame: 14,
        token_from: TokenSource::NewConnectionId(2),
    });
    full.icmp = Some(IcmpSeen {
        frame: 15,
        reporter: "fe80::1".parse().unwrap(),
        about: Side::Client,
        kind: crate::wire::Unreachable::Prohibited,
    });
    full.idle_timeout_ms = None;
    full.ending = QuicEnding::UnknownEncrypted;
    full.problems = vec![
        QuicProblem {
            frame: 16,
            from: Side::Server,
            error: QuicError::FixedBit(0x12),
        };
        2
    ];
    // The other branch of each choice, and the members left out again.
    let mut other = full.clone();
    other.client = base.client;
    other.version = None;
    other.negotiation = Some(vec![]);
    other.sni = None;
    other.alpn_offered = vec![];
    other.transport_parameters = vec![];
    other.keys = Some(KeysSeen {
        status: KeysStatus::Ok,
        reason: String::new(),
    });
    other.alpn = None;
    other.close.as_mut().unwrap().close = ConnectionClose {
        application: false,
        code: 0x0a,
        frame_type: Some(0x06),
        reason: String::new(),
    };
    other.stateless_reset.as_mut().unwrap().token_from = TokenSource::TransportParameter;
    other.icmp.as_mut().unwrap().reporter = "192.0.2.255".parse().unwrap();
    let mut bare = base.clone();
    bare.keys = None;
    bare.http3 = None;
    bare.alpn = None;
    bare.server_transport_parameters = vec![];
    bare.new_connection_ids = vec![];
    bare.handshake_done = None;
    bare.server_hello = None;
    bare.close = None;
    let cases = [
        vec![full.clone()],
        vec![other.clone()],
        vec![bare.clone()],
        vec![bare, full, other, base],
    ];
    for (n, quic) in cases.iter().enumerate() {
        let (views, by_hand) = quic_arrays(quic);
        assert_eq!(by_hand, views, "case {n}");
    }
    assert_eq!(quic_arrays(&[]).0, quic_arrays(&[]).1);
}
