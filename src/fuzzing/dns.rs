//! The DNS message decoder under the fuzzer.

use std::net::{IpAddr, Ipv4Addr};

use crate::app::dns::DnsTracker;
use crate::capture::Timestamp;
use crate::proto::dns::{Header, Message};
use crate::report::{Summary, json, table};
use crate::wire::Endpoint;

/// Any bytes through [`Message::decode`]: it must not panic; what it
/// accepts must encode, decode again to the same message (names come
/// back uncompressed, so this checks that pointers were followed to the
/// right labels), and print. The header alone must read whenever the
/// message did.
///
/// Input: one UDP payload, as a DNS server or the analyzer receives it.
pub fn dns_message(data: &[u8]) {
    analyzer_exchange(data);
    let Ok(m) = Message::decode(data) else {
        return;
    };
    assert_eq!(
        Header::peek(data).ok(),
        Some(m.header),
        "header read twice differs"
    );
    let bytes = m.encode().expect("a decoded message encodes");
    let again = Message::decode(&bytes).expect("an encoded message decodes");
    assert_eq!(again, m, "a message changed through encode and decode");
    for q in &m.questions {
        let _ = q.to_string();
    }
    for r in m.answers.iter().chain(&m.authorities).chain(&m.additionals) {
        let _ = r.to_string();
    }
}

/// The analyzer's side: the bytes sent to port 53 and back are one
/// exchange of two datagrams, malformed in each direction exactly when
/// the codec refuses them, and the table and JSON Lines print it.
fn analyzer_exchange(data: &[u8]) {
    let at = |port| Endpoint {
        addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port,
    };
    let (client, server) = (at(40000), at(53));
    let mut t = DnsTracker::new();
    assert!(t.datagram(1, Timestamp(0), client, server, data));
    assert!(t.datagram(2, Timestamp(1_000), server, client, data));
    let dns = t.finish();
    let datagrams: u32 = dns.iter().map(|x| x.datagrams).sum();
    let malformed: u32 = dns.iter().map(|x| x.malformed).sum();
    assert_eq!(datagrams, 2, "both datagrams belong to an exchange");
    let bad = Message::decode(data).is_err();
    assert_eq!(malformed, if bad { 2 } else { 0 }, "malformed count");
    let summary = Summary {
        dns,
        ..Summary::default()
    };
    let _ = table::dns_section(&summary, &table::Style::default());
    let _ = json::write_dns_lines(&mut std::io::sink(), &summary);
}
