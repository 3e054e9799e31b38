use super::*;
use crate::proto::dns::{Class, Header, Message, Opcode, RData, RType, Record};

fn query(name: &str, qtype: RType) -> Vec<u8> {
    Message {
        header: Header {
            id: 77,
            recursion_desired: true,
            ..Header::default()
        },
        questions: vec![Question {
            name: Name::parse(name).unwrap(),
            qtype,
            qclass: Class::IN,
        }],
        ..Message::default()
    }
    .encode()
    .unwrap()
}

fn ask(zone: &Zone, name: &str, qtype: RType) -> Message {
    let a = zone.answer(&query(name, qtype), Transport::Udp);
    Message::decode(&a.reply.unwrap()).unwrap()
}

fn texts(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.to_string()).collect()
}

#[test]
fn the_origin_gets_addresses_and_its_https_record() {
    let zone = Zone::new(&DnsConfig::default());
    let m = ask(&zone, "WireLab.test", RType::HTTPS);
    assert_eq!(m.header.id, 77);
    assert!(m.header.response && m.header.authoritative && m.header.recursion_desired);
    assert_eq!(m.header.rcode, Rcode::NOERROR);
    assert_eq!(
        texts(&m.answers),
        ["wirelab.test. 300 IN HTTPS 1 . alpn=\"h3,h2\" port=8443"]
    );
    assert_eq!(
        texts(&ask(&zone, "wirelab.test", RType::A).answers),
        ["wirelab.test. 300 IN A 127.0.0.1"]
    );
    assert_eq!(
        texts(&ask(&zone, "wirelab.test", RType::AAAA).answers),
        ["wirelab.test. 300 IN AAAA ::1"]
    );
    assert_eq!(ask(&zone, "wirelab.test", RType::ANY).answers.len(), 3);
}

#[test]
fn a_non_443_origin_is_also_found_under_its_port_prefix() {
    let zone = Zone::new(&DnsConfig::default());
    let m = ask(&zone, "_8443._https.wirelab.test", RType::HTTPS);
    assert_eq!(
        texts(&m.answers),
        ["_8443._https.wirelab.test. 300 IN HTTPS 1 wirelab.test. alpn=\"h3,h2\" port=8443"]
    );
    // `_https.wirelab.test` exists only as a parent: NODATA, not NXDOMAIN.
    let m = ask(&zone, "_https.wirelab.test", RType::HTTPS);
    assert_eq!((m.header.rcode, m.answers.len()), (Rcode::NOERROR, 0));
    let at443 = Zone::new(&DnsConfig {
        https_port: 443,
        ..DnsConfig::default()
    });
    assert_eq!(at443.names().count(), 1);
    let m = ask(&at443, "_443._https.wirelab.test", RType::HTTPS);
    assert_eq!(m.header.rcode, Rcode::NXDOMAIN);
}

#[test]
fn alias_mode_points_both_names_at_the_target() {
    let zone = Zone::new(&DnsConfig {
        alias: Some(Name::parse("h3.wirelab.test").unwrap()),
        no_default_alpn: true,
        alpn: vec![b"h3".to_vec()],
        ..DnsConfig::default()
    });
    assert_eq!(
        texts(&ask(&zone, "wirelab.test", RType::HTTPS).answers),
        ["wirelab.test. 300 IN HTTPS 0 h3.wirelab.test."]
    );
    assert_eq!(
        texts(&ask(&zone, "_8443._https.wirelab.test", RType::HTTPS).answers),
        ["_8443._https.wirelab.test. 300 IN HTTPS 0 h3.wirelab.test."]
    );
    assert_eq!(
        texts(&ask(&zone, "h3.wirelab.test", RType::HTTPS).answers),
        ["h3.wirelab.test. 300 IN HTTPS 1 . alpn=\"h3\" no-default-alpn port=8443"]
    );
    assert!(ask(&zone, "wirelab.test", RType::A).answers.is_empty());
}

#[test]
fn other_names_opcodes_and_broken_queries_get_their_codes() {
    let zone = Zone::new(&DnsConfig::default());
    let m = ask(&zone, "example.test", RType::A);
    assert_eq!((m.header.rcode, m.answers.len()), (Rcode::NXDOMAIN, 0));
    assert_eq!(m.questions[0].name, Name::parse("example.test").unwrap());

    let mut notify = query("wirelab.test", RType::A);
    notify[2] |= Opcode::NOTIFY.0 << 3;
    let a = zone.answer(&notify, Transport::Udp);
    assert_eq!(a.rcode, Some(Rcode::NOTIMP));
    assert_eq!(
        Message::decode(&a.reply.unwrap()).unwrap().header.opcode,
        Opcode::NOTIFY
    );

    let mut cut = query("wirelab.test", RType::A);
    cut.truncate(cut.len() - 2);
    let a = zone.answer(&cut, Transport::Tcp);
    assert_eq!((a.id, a.rcode), (Some(77), Some(Rcode::FORMERR)));
    assert!(a.malformed.unwrap().contains("question class"));
    let m = Message::decode(&a.reply.unwrap()).unwrap();
    assert_eq!((m.header.id, m.questions.len()), (77, 0));

    let a = zone.answer(&[1, 2, 3], Transport::Udp);
    assert_eq!((a.rcode, a.reply), (None, None));
    let mut response = query("wirelab.test", RType::A);
    response[2] |= 0x80;
    assert_eq!(zone.answer(&response, Transport::Udp).reply, None);
}

#[test]
fn udp_answers_over_512_bytes_are_cut_and_marked() {
    let zone = Zone::new(&DnsConfig {
        alpn: (0..30)
            .map(|i| format!("proto-{i:02}-{}", "x".repeat(10)).into_bytes())
            .collect(),
        ..DnsConfig::default()
    });
    let q = query("wirelab.test", RType::HTTPS);
    let udp = zone.answer(&q, Transport::Udp);
    assert!(udp.truncated);
    let m = Message::decode(udp.reply.as_ref().unwrap()).unwrap();
    assert!(m.header.truncated && m.answers.is_empty() && m.questions.len() == 1);
    let tcp = zone.answer(&q, Transport::Tcp);
    assert!(!tcp.truncated);
    let m = Message::decode(tcp.reply.as_ref().unwrap()).unwrap();
    let RData::Svcb(s) = &m.answers[0].data else {
        panic!("{m:?}")
    };
    assert_eq!(s.https_protocols().len(), 31);
}
