use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::op::{Message as HMessage, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::svcb::{
    Alpn, EchConfigList, IpHint, Mandatory, SVCB, SvcParamKey as HKey, SvcParamValue as HValue,
};
use hickory_proto::rr::rdata::{A, AAAA, HTTPS};
use hickory_proto::rr::{Name as HName, RData as HRData, Record as HRecord, RecordType};

use super::*;
use crate::test_rng::Rng;

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

/// The discovery record of the lab, every known key used.
fn full_service() -> Svcb {
    Svcb::service(
        1,
        Name::root(),
        vec![
            SvcParam::Port(8443),
            SvcParam::Alpn(vec![b"h3".to_vec(), b"h2".to_vec()]),
            SvcParam::Mandatory(vec![SvcParamKey::ALPN, SvcParamKey::PORT]),
            SvcParam::NoDefaultAlpn,
            SvcParam::Ipv4Hint(vec![Ipv4Addr::LOCALHOST, Ipv4Addr::new(10, 0, 0, 1)]),
            SvcParam::Ech(vec![0, 4, 0xfe, 0x0d, 0, 0]),
            SvcParam::Ipv6Hint(vec![Ipv6Addr::LOCALHOST]),
            SvcParam::Unknown(SvcParamKey(65001), b"x\"y".to_vec()),
        ],
    )
}

fn answer(qname: &str, records: Vec<Record>) -> Message {
    Message {
        header: Header {
            id: 0x1234,
            response: true,
            authoritative: true,
            recursion_desired: true,
            ..Header::default()
        },
        questions: vec![Question {
            name: name(qname),
            qtype: RType::HTTPS,
            qclass: Class::IN,
        }],
        answers: records,
        ..Message::default()
    }
}

fn record(owner: &str, rtype: RType, data: RData) -> Record {
    Record {
        name: name(owner),
        rtype,
        class: Class::IN,
        ttl: 300,
        data,
    }
}

#[test]
fn the_lab_record_has_the_bytes_dig_was_seen_to_decode() {
    // `1 . alpn=h3 port=8443`: priority 1, root target, alpn (key 1, 3
    // octets: length 2, "h3"), port (key 3, 2 octets: 0x20fb).
    let svcb = Svcb::service(
        1,
        Name::root(),
        vec![SvcParam::Port(8443), SvcParam::Alpn(vec![b"h3".to_vec()])],
    );
    let mut rdata = Vec::new();
    svcb.encode(&mut rdata).unwrap();
    assert_eq!(
        rdata,
        [0, 1, 0, 0, 1, 0, 3, 2, b'h', b'3', 0, 3, 0, 2, 0x20, 0xfb]
    );
    assert_eq!(svcb.to_string(), "1 . alpn=\"h3\" port=8443");
}

#[test]
fn https_records_imply_http11_unless_no_default_alpn() {
    let plain = Svcb::service(1, Name::root(), vec![SvcParam::Alpn(vec![b"h3".to_vec()])]);
    assert_eq!(
        plain.https_protocols(),
        [b"h3".to_vec(), b"http/1.1".to_vec()]
    );
    assert_eq!(
        full_service().https_protocols(),
        [b"h3".to_vec(), b"h2".to_vec()]
    );
    assert!(Svcb::alias(name("a.test")).https_protocols().is_empty());
}

#[test]
fn presentation_is_what_dig_prints() {
    let r = record("wirelab.test", RType::HTTPS, RData::Svcb(full_service()));
    assert_eq!(
        r.to_string(),
        "wirelab.test. 300 IN HTTPS 1 . mandatory=alpn,port alpn=\"h3,h2\" no-default-alpn \
         port=8443 ipv4hint=127.0.0.1,10.0.0.1 ech=\"AAT+DQAA\" ipv6hint=::1 key65001=\"x\\\"y\""
    );
    assert_eq!(Name::root().to_string(), ".");
    let odd = Name::from_labels(vec![b"a.b".to_vec(), vec![0, b'\\']]).unwrap();
    assert_eq!(odd.to_string(), "a\\.b.\\000\\\\.");
}

#[test]
fn messages_round_trip_through_our_codec() {
    let m = answer(
        "_8443._https.wirelab.test",
        vec![
            record(
                "_8443._https.wirelab.test",
                RType::HTTPS,
                RData::Svcb(full_service()),
            ),
            record(
                "wirelab.test",
                RType::SVCB,
                RData::Svcb(Svcb::alias(name("b.test"))),
            ),
            record("wirelab.test", RType::A, RData::A(Ipv4Addr::LOCALHOST)),
            record(
                "wirelab.test",
                RType::AAAA,
                RData::Aaaa(Ipv6Addr::LOCALHOST),
            ),
            record("x.test", RType::CNAME, RData::Cname(name("y.test"))),
            record("x.test", RType(16), RData::Other(b"\x02hi".to_vec())),
        ],
    );
    let bytes = m.encode().unwrap();
    let back = Message::decode(&bytes).unwrap();
    assert_eq!(back.header.ancount, 6);
    assert_eq!(
        back,
        Message {
            header: back.header,
            ..m.clone()
        }
    );
    assert_eq!(back.encode().unwrap(), bytes);
}

/// Our message, read by hickory-proto: every field as configured.
#[test]
fn hickory_reads_what_we_write() {
    let m = answer(
        "wirelab.test",
        vec![
            record("wirelab.test", RType::HTTPS, RData::Svcb(full_service())),
            record("wirelab.test", RType::A, RData::A(Ipv4Addr::LOCALHOST)),
            record(
                "wirelab.test",
                RType::AAAA,
                RData::Aaaa(Ipv6Addr::LOCALHOST),
            ),
        ],
    );
    let h = HMessage::from_vec(&m.encode().unwrap()).unwrap();
    assert_eq!(h.metadata.id, 0x1234);
    assert_eq!(h.metadata.message_type, MessageType::Response);
    assert!(h.metadata.authoritative);
    assert_eq!(h.queries[0].name().to_string(), "wirelab.test.");
    assert_eq!(h.queries[0].query_type(), RecordType::HTTPS);
    assert_eq!(h.answers.len(), 3);
    let HRData::HTTPS(HTTPS(svcb)) = &h.answers[0].data else {
        panic!("not HTTPS: {:?}", h.answers[0]);
    };
    assert_eq!(svcb.svc_priority, 1);
    assert!(svcb.target_name.is_root());
    let params: Vec<String> = svcb
        .svc_params
        .iter()
        .map(|(k, v)| format!("{}={v:?}", u16::from(*k)))
        .collect();
    assert_eq!(params.len(), 8, "{params:?}");
    let value = |k: HKey| &svcb.svc_params.iter().find(|(key, _)| *key == k).unwrap().1;
    assert_eq!(
        value(HKey::Alpn),
        &HValue::Alpn(Alpn(vec!["h3".into(), "h2".into()]))
    );
    assert_eq!(value(HKey::Port), &HValue::Port(8443));
    assert_eq!(value(HKey::NoDefaultAlpn), &HValue::NoDefaultAlpn);
    assert_eq!(
        value(HKey::Mandatory),
        &HValue::Mandatory(Mandatory(vec![HKey::Alpn, HKey::Port]))
    );
    assert_eq!(
        value(HKey::Ipv4Hint),
        &HValue::Ipv4Hint(IpHint(vec![
            A(Ipv4Addr::LOCALHOST),
            A(Ipv4Addr::new(10, 0, 0, 1))
        ]))
    );
    assert_eq!(
        value(HKey::EchConfigList),
        &HValue::EchConfigList(EchConfigList(vec![0, 4, 0xfe, 0x0d, 0, 0]))
    );
    assert_eq!(
        value(HKey::Ipv6Hint),
        &HValue::Ipv6Hint(IpHint(vec![AAAA(Ipv6Addr::LOCALHOST)]))
    );
    assert_eq!(h.answers[1].data, HRData::A(A(Ipv4Addr::LOCALHOST)));
    assert_eq!(h.answers[2].data, HRData::AAAA(AAAA(Ipv6Addr::LOCALHOST)));
}

/// hickory's message, read by us. hickory compresses names (the answers'
/// owner names point at the question), so this also checks pointers.
#[test]
fn we_read_what_hickory_writes() {
    let owner = HName::from_ascii("_8443._https.wirelab.test.").unwrap();
    let mut h = HMessage::new(7, MessageType::Response, OpCode::Query);
    h.add_query(Query::query(owner.clone(), RecordType::HTTPS));
    let svcb = SVCB::new(
        2,
        HName::from_ascii("h3.wirelab.test.").unwrap(),
        vec![
            (HKey::Alpn, HValue::Alpn(Alpn(vec!["h3".into()]))),
            (HKey::NoDefaultAlpn, HValue::NoDefaultAlpn),
            (HKey::Port, HValue::Port(4433)),
            (
                HKey::Ipv6Hint,
                HValue::Ipv6Hint(IpHint(vec![AAAA(Ipv6Addr::LOCALHOST)])),
            ),
        ],
    );
    h.add_answer(HRecord::from_rdata(
        owner.clone(),
        60,
        HRData::HTTPS(HTTPS(svcb)),
    ));
    h.add_answer(HRecord::from_rdata(
        owner,
        60,
        HRData::A(A(Ipv4Addr::LOCALHOST)),
    ));
    let bytes = h.to_vec().unwrap();
    let m = Message::decode(&bytes).unwrap();
    assert!(
        bytes.len() < m.encode().unwrap().len(),
        "hickory compressed nothing"
    );
    assert_eq!(m.header.id, 7);
    assert!(m.header.response);
    assert_eq!(m.questions[0].qtype, RType::HTTPS);
    assert!(m.questions[0].name.same(&name("_8443._HTTPS.wirelab.test")));
    assert_eq!(m.answers.len(), 2);
    assert!(m.answers[0].name.same(&m.questions[0].name));
    assert_eq!(
        m.answers[0].to_string(),
        "_8443._https.wirelab.test. 60 IN HTTPS 2 h3.wirelab.test. alpn=\"h3\" no-default-alpn \
         port=4433 ipv6hint=::1"
    );
    let RData::Svcb(s) = &m.answers[0].data else {
        panic!("{:?}", m.answers[0]);
    };
    assert_eq!(s.port(), Some(4433));
    assert_eq!(s.https_protocols(), [b"h3".to_vec()]);
    assert_eq!(m.answers[1].data, RData::A(Ipv4Addr::LOCALHOST));
}

fn header_bytes(qd: u16, an: u16) -> Vec<u8> {
    let mut b = vec![0, 1, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b[4..6].copy_from_slice(&qd.to_be_bytes());
    b[6..8].copy_from_slice(&an.to_be_bytes());
    b
}

#[test]
fn pointer_loops_are_refused() {
    // A question whose name is a pointer to itself.
    let mut m = header_bytes(1, 0);
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(
        Message::decode(&m),
        Err(DnsError::PointerNotBackwards { at: 12, to: 12 })
    );
    // A label, then a pointer back to that label: the walk would go round.
    let mut m = header_bytes(1, 0);
    m.extend_from_slice(&[1, b'a', 0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(
        Message::decode(&m),
        Err(DnsError::PointerNotBackwards { at: 14, to: 12 })
    );
    // Forwards, into the record after it.
    let mut m = header_bytes(1, 0);
    m.extend_from_slice(&[0xc0, 18, 0, 1, 0, 1, 1, b'a', 0]);
    assert!(matches!(
        Message::decode(&m),
        Err(DnsError::PointerNotBackwards { .. })
    ));
    // Two names pointing at each other: the second is read first.
    let mut m = header_bytes(2, 0);
    m.extend_from_slice(&[1, b'a', 0xc0, 22, 0, 1, 0, 1, 1, b'b', 0xc0, 12, 0, 1, 0, 1]);
    assert!(matches!(
        Message::decode(&m),
        Err(DnsError::PointerNotBackwards { .. })
    ));
    // Label types 01 and 10 are not in use (RFC 6891 §5).
    let mut m = header_bytes(1, 0);
    m.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
    assert_eq!(Message::decode(&m), Err(DnsError::LabelType(0x41)));
}

#[test]
fn names_over_255_octets_are_refused() {
    let label = vec![b'x'; 63];
    assert!(Name::from_labels(vec![label.clone(); 3]).is_ok());
    assert_eq!(
        Name::from_labels(vec![label.clone(); 4]),
        Err(DnsError::NameTooLong(257))
    );
    assert_eq!(Name::parse("a..b"), Err(DnsError::EmptyLabel));
    assert_eq!(
        Name::from_labels(vec![vec![b'y'; 64]]),
        Err(DnsError::LabelTooLong(64))
    );
    // The same on decode, built of pointers to a 64-octet name.
    let mut m = header_bytes(5, 0);
    m.extend_from_slice(&[63]);
    m.extend_from_slice(&label);
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    let mut at = 12u16;
    for _ in 0..4 {
        let here = m.len() as u16;
        m.extend_from_slice(&[63]);
        m.extend_from_slice(&label);
        m.extend_from_slice(&(0xc000 | at).to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 1]);
        at = here;
    }
    assert!(matches!(Message::decode(&m), Err(DnsError::NameTooLong(_))));
}

fn https_answer_with_rdata(rdata: &[u8]) -> Vec<u8> {
    let mut m = header_bytes(0, 1);
    m.extend_from_slice(&[0, 0, 65, 0, 1, 0, 0, 1, 44]);
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
    m
}

#[test]
fn svcparams_out_of_order_or_malformed_are_errors() {
    let port_then_alpn = [0, 1, 0, 0, 3, 0, 2, 0x20, 0xfb, 0, 1, 0, 3, 2, b'h', b'3'];
    assert_eq!(
        Message::decode(&https_answer_with_rdata(&port_then_alpn)),
        Err(DnsError::SvcParamOrder {
            prev: SvcParamKey::PORT,
            key: SvcParamKey::ALPN
        })
    );
    let twice = [0, 1, 0, 0, 3, 0, 2, 0x20, 0xfb, 0, 3, 0, 2, 0x20, 0xfb];
    assert!(matches!(
        Message::decode(&https_answer_with_rdata(&twice)),
        Err(DnsError::SvcParamOrder { .. })
    ));
    for (rdata, key) in [
        (&[0, 1, 0, 0, 3, 0, 1, 9][..], SvcParamKey::PORT),
        (&[0, 1, 0, 0, 1, 0, 2, 5, b'h'][..], SvcParamKey::ALPN),
        (&[0, 1, 0, 0, 1, 0, 0][..], SvcParamKey::ALPN),
        (&[0, 1, 0, 0, 2, 0, 1, 0][..], SvcParamKey::NO_DEFAULT_ALPN),
        (&[0, 1, 0, 0, 4, 0, 3, 1, 2, 3][..], SvcParamKey::IPV4HINT),
        (&[0, 1, 0, 0, 0, 0, 2, 0, 0][..], SvcParamKey::MANDATORY),
        // mandatory=port without a port.
        (&[0, 1, 0, 0, 0, 0, 2, 0, 3][..], SvcParamKey::MANDATORY),
    ] {
        let got = Message::decode(&https_answer_with_rdata(rdata));
        assert!(
            matches!(got, Err(DnsError::SvcParamValue { key: k, .. }) if k == key),
            "{rdata:?}: {got:?}"
        );
    }
    // The encoder refuses the same.
    let bad = Svcb {
        priority: 1,
        target: Name::root(),
        params: vec![SvcParam::Port(1), SvcParam::Alpn(vec![b"h3".to_vec()])],
    };
    assert!(matches!(
        bad.encode(&mut Vec::new()),
        Err(DnsError::SvcParamOrder { .. })
    ));
}

#[test]
fn every_cut_of_a_message_is_an_error_not_a_panic() {
    let m = answer(
        "wirelab.test",
        vec![record(
            "wirelab.test",
            RType::HTTPS,
            RData::Svcb(full_service()),
        )],
    );
    let bytes = m.encode().unwrap();
    for n in 0..bytes.len() {
        assert!(Message::decode(&bytes[..n]).is_err(), "cut at {n}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        Message::decode(&longer),
        Err(DnsError::Trailing {
            field: "message",
            extra: 1
        })
    );
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let m = answer(
        "wirelab.test",
        vec![
            record("wirelab.test", RType::HTTPS, RData::Svcb(full_service())),
            record("wirelab.test", RType::A, RData::A(Ipv4Addr::LOCALHOST)),
        ],
    );
    let good = m.encode().unwrap();
    let mut rng = Rng(16);
    for _ in 0..20_000 {
        let mut b = good.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(b.len() as u64) as usize;
            b[at] = rng.next() as u8;
        }
        if let Ok(m) = Message::decode(&b) {
            // Whatever decodes re-encodes and reads back the same.
            let again = Message::decode(&m.encode().unwrap()).unwrap();
            assert_eq!(again.answers, m.answers);
        }
        let len = rng.below(64) as usize;
        let noise: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = Message::decode(&noise);
    }
}
