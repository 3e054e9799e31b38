//! The DNS message decoder under the fuzzer.

use crate::proto::dns::{Header, Message};

/// Any bytes through [`Message::decode`]: it must not panic; what it
/// accepts must encode, decode again to the same message (names come
/// back uncompressed, so this checks that pointers were followed to the
/// right labels), and print. The header alone must read whenever the
/// message did.
///
/// Input: one UDP payload, as a DNS server or the analyzer receives it.
pub fn dns_message(data: &[u8]) {
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
