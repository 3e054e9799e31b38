//! Whole conversations fed byte by byte as a capture would: how the
//! protocol was chosen ([`super::negotiation`]) and what the ladder labels.

use super::conversation::Conversation;
use super::detect::Protocol;
use super::http1::End;
use super::negotiation::{Negotiation, PriorAnswer, SettingsField, UpgradeAnswer};
use super::{ConversationReport, Direction};
use crate::http::Version;
use crate::proto::h2::{PREFACE, SettingId, encode_field_block, encode_settings};
use crate::proto::hpack::{Encoder, Sensitivity};

const C: Direction = Direction::ClientToServer;
const S: Direction = Direction::ServerToClient;

/// Feeds pieces in order (each at its direction's running offset), ends
/// both directions, and returns the report and every label.
fn converse(pieces: &[(Direction, &[u8])], server_end: End) -> (ConversationReport, Vec<String>) {
    let mut c = Conversation::new(true);
    let mut at = [0u64; 2];
    let mut labels = Vec::new();
    for (d, bytes) in pieces {
        let i = usize::from(*d == S);
        c.feed(*d, at[i], bytes, &mut |l| labels.push(l.text));
        at[i] += bytes.len() as u64;
    }
    c.end(S, server_end, (server_end == End::Rst).then_some(S));
    c.end(C, End::Fin, None);
    (c.report().expect("a protocol"), labels)
}

fn client_preface(params: &[(SettingId, u32)]) -> Vec<u8> {
    let mut out = PREFACE.to_vec();
    encode_settings(params, &mut out);
    out
}

fn status_200() -> Vec<u8> {
    let mut block = Vec::new();
    Encoder::new(true).encode(
        [(&b":status"[..], &b"200"[..], Sensitivity::Plain)],
        &mut block,
    );
    let mut out = Vec::new();
    encode_field_block(1, &block, true, 16_384, &mut out);
    out
}

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";

#[test]
fn preface_answered_in_http1_is_refused_and_the_answer_labelled() {
    let answer = b"HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (r, labels) = converse(
        &[
            (
                C,
                &client_preface(&[(SettingId::MaxConcurrentStreams, 100)]),
            ),
            (S, answer),
        ],
        End::Rst,
    );
    assert_eq!(r.protocol, Protocol::H2PrefaceRefused);
    assert_eq!(r.protocol.name(), "h2-preface-refused");
    // The preface is not a frame: the ladder labels frames and messages.
    assert_eq!(
        labels,
        ["SETTINGS MAX_CONCURRENT_STREAMS=100", "HTTP/1.1 505"]
    );
    let Some(Negotiation::PriorKnowledge(p)) = r.negotiation else {
        panic!("{:?}", r.negotiation)
    };
    let PriorAnswer::Refused {
        client,
        version,
        status,
    } = p.answer
    else {
        panic!("{:?}", p.answer)
    };
    assert!(client.preface);
    assert_eq!((version, status), (Version::Http11, 505));
    // The answer is an exchange of its own, with no request it pairs with.
    assert!(
        r.exchanges
            .iter()
            .any(|e| e.status == Some(505) && e.method.is_none()),
        "{:?}",
        r.exchanges
    );
}

#[test]
fn preface_answered_with_settings_is_accepted() {
    let mut server = Vec::new();
    encode_settings(&[(SettingId::MaxConcurrentStreams, 128)], &mut server);
    let (r, _) = converse(&[(C, &client_preface(&[])), (S, &server)], End::Fin);
    assert_eq!(r.protocol, Protocol::H2PriorKnowledge);
    let Some(Negotiation::PriorKnowledge(p)) = r.negotiation else {
        panic!("{:?}", r.negotiation)
    };
    let PriorAnswer::Accepted(h2) = p.answer else {
        panic!("{:?}", p.answer)
    };
    assert_eq!(h2.client.settings, Some(vec![]));
    assert_eq!(
        h2.server.settings,
        Some(vec![(SettingId::MaxConcurrentStreams, 128)])
    );
}

#[test]
fn upgrade_switched_names_both_settings_and_stream_1() {
    let mut server =
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".to_vec();
    encode_settings(&[(SettingId::MaxConcurrentStreams, 128)], &mut server);
    server.extend(status_200());
    let (r, labels) = converse(
        &[
            (C, UPGRADE),
            (S, &server),
            (C, &client_preface(&[(SettingId::EnablePush, 0)])),
        ],
        End::Fin,
    );
    assert_eq!(r.protocol, Protocol::H2cUpgrade);
    assert!(labels.contains(&"HTTP/1.1 101".to_string()), "{labels:?}");
    let Some(Negotiation::Upgrade(u)) = r.negotiation else {
        panic!("{:?}", r.negotiation)
    };
    assert_eq!(u.offered, ["h2c"]);
    assert_eq!(
        u.settings,
        SettingsField::Decoded {
            value: "AAMAAABkAAQCAAAAAAIAAAAA".into(),
            params: vec![
                (SettingId::MaxConcurrentStreams, 100),
                (SettingId::InitialWindowSize, 33_554_432),
                (SettingId::EnablePush, 0),
            ],
        }
    );
    let UpgradeAnswer::Switched { protocols, h2 } = u.answer else {
        panic!("{:?}", u.answer)
    };
    assert_eq!(protocols, ["h2c"]);
    assert!(h2.client.preface);
    assert_eq!(h2.client.settings, Some(vec![(SettingId::EnablePush, 0)]));
    assert_eq!(
        h2.server.first_frame,
        Some(crate::proto::h2::FrameType::Settings)
    );
    let first = h2.first_response.expect("stream 1 answered");
    assert_eq!((first.stream, first.status), (1, 200));
    assert!(first.began_half_closed);
}

#[test]
fn upgrade_ignored_is_an_http1_answer() {
    let (r, _) = converse(
        &[
            (C, UPGRADE),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ],
        End::Fin,
    );
    assert_eq!(r.protocol, Protocol::Http11);
    let Some(Negotiation::Upgrade(u)) = r.negotiation else {
        panic!("{:?}", r.negotiation)
    };
    assert_eq!(
        u.answer,
        UpgradeAnswer::Ignored {
            version: Version::Http11,
            status: 200
        }
    );
}

#[test]
fn a_repeated_or_missing_settings_field_is_said() {
    let twice = b"GET / HTTP/1.1\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nHTTP2-Settings: AAMAAABk\r\n\r\n";
    let none = b"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n";
    for (req, want) in [
        (&twice[..], SettingsField::Repeated(2)),
        (&none[..], SettingsField::Missing),
    ] {
        let (r, _) = converse(
            &[
                (C, req),
                (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            ],
            End::Fin,
        );
        let Some(Negotiation::Upgrade(u)) = r.negotiation else {
            panic!("{:?}", r.negotiation)
        };
        assert_eq!(u.settings, want);
    }
}

#[test]
fn plain_http1_tried_no_negotiation() {
    let (r, _) = converse(
        &[
            (C, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ],
        End::Fin,
    );
    assert_eq!(r.negotiation, None);
}
