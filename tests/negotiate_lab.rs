//! `lab negotiate`: how HTTP/2 was chosen, read from the capture of a real
//! curl or nghttp run against the teaching server in its own network
//! namespace (the reset lab's run, seen from its beginning).
//!
//! Needs root, curl and nghttp (scripts/setup): without them these tests
//! fail with the reason; they never skip.

mod common;

use wirelab::app::negotiation::{
    FirstResponse, Negotiation, PriorAnswer, SettingsField, UpgradeAnswer,
};
use wirelab::http::Version;
use wirelab::labs::negotiate::{self, NegotiateRun, document, render};
use wirelab::labs::reset::{self, ClientKind, Conflict, Proto, ResetOptions};
use wirelab::proto::h2::{FrameType, SettingId};
use wirelab::server::{Http2, ReadMode};
use wirelab::teardown::Ending;

fn negotiate(proto: Proto, client: ClientKind, server_http2: Http2) -> NegotiateRun {
    let opts = ResetOptions {
        proto,
        client,
        server_http2,
        mode: ReadMode::Full,
        ..ResetOptions::default()
    };
    negotiate::of(common::reset_lab(opts.clone()), server_http2)
}

#[test]
fn curl_upgrade_accepted_shows_decoded_settings_the_101_and_stream_1() {
    let n = negotiate(Proto::H2cUpgrade, ClientKind::Curl, Http2::Both);
    let Some(Negotiation::Upgrade(u)) = &n.negotiation else {
        panic!("{:?}", n.negotiation)
    };
    assert_eq!((u.method.as_str(), u.target.as_str()), ("GET", "/"));
    assert_eq!(u.offered, ["h2c"]);
    let SettingsField::Decoded { params, .. } = &u.settings else {
        panic!("{:?}", u.settings)
    };
    // Whatever curl offers, its window setting is there and named.
    assert!(
        params
            .iter()
            .any(|(id, _)| *id == SettingId::InitialWindowSize),
        "{params:?}"
    );
    let UpgradeAnswer::Switched { protocols, h2 } = &u.answer else {
        panic!("{:?}", u.answer)
    };
    assert_eq!(protocols, &["h2c"]);
    assert!(h2.client.preface);
    assert_eq!(h2.server.first_frame, Some(FrameType::Settings));
    assert!(h2.server.settings.is_some() && h2.client.settings.is_some());
    assert!(h2.client.acked && h2.server.acked);
    assert_eq!(
        h2.first_response,
        Some(FirstResponse {
            stream: 1,
            status: 200,
            began_half_closed: true
        })
    );
    // The frames are the capture's, in the order the upgrade sends them.
    let f = n.frames;
    let (req, ans, cs, ss, first) = (
        f.request.unwrap(),
        f.answer.unwrap(),
        f.client_settings.unwrap(),
        f.server_settings.unwrap(),
        f.first_response.unwrap(),
    );
    assert!(req < ans && ans <= ss && ss < cs && ss <= first, "{f:?}");
    let text = render::text(&n);
    assert!(text.contains("HTTP/1.1 101 Switching Protocols"), "{text}");
    assert!(text.contains("INITIAL_WINDOW_SIZE"), "{text}");
    assert!(text.contains("half-closed (remote)"), "{text}");
    assert!(text.contains(&format!("frame {ans}")), "{text}");
}

#[test]
fn nghttp_prior_knowledge_accepted_shows_the_preface_on_a_fresh_connection() {
    let n = negotiate(Proto::H2Prior, ClientKind::Nghttp, Http2::Both);
    let Some(Negotiation::PriorKnowledge(p)) = &n.negotiation else {
        panic!("{:?}", n.negotiation)
    };
    let PriorAnswer::Accepted(h2) = &p.answer else {
        panic!("{:?}", p.answer)
    };
    assert!(h2.client.preface);
    assert_eq!(h2.client.first_frame, Some(FrameType::Settings));
    assert_eq!(h2.server.first_frame, Some(FrameType::Settings));
    let first = h2.first_response.expect("a stream answered");
    assert_eq!(first.status, 200);
    assert!(!first.began_half_closed);
    // No HTTP/1 at all on this connection.
    assert_eq!(n.frames.answer, None);
    let doc = document::json(&n);
    assert_eq!(doc["negotiation"]["path"], "prior-knowledge");
    assert_eq!(doc["negotiation"]["answer"]["kind"], "accepted");
    assert_eq!(
        doc["negotiation"]["answer"]["http2"]["server"]["first_frame"],
        "SETTINGS"
    );
}

#[test]
fn upgrade_against_a_server_without_http2_is_ignored_with_a_200() {
    let n = negotiate(Proto::H2cUpgrade, ClientKind::Curl, Http2::Off);
    let Some(Negotiation::Upgrade(u)) = &n.negotiation else {
        panic!("{:?}", n.negotiation)
    };
    assert_eq!(
        u.answer,
        UpgradeAnswer::Ignored {
            version: Version::Http11,
            status: 200
        }
    );
    assert_eq!(n.run.verdict.ending, Some(Ending::Fin));
    assert_eq!(n.run.client.curl_exit, Some(0));
    let doc = document::json(&n);
    assert_eq!(doc["negotiation"]["answer"]["kind"], "ignored");
    assert_eq!(doc["negotiation"]["answer"]["status"], 200);
}

#[test]
fn preface_against_a_server_without_http2_is_refused_and_the_client_says_so() {
    for client in [ClientKind::Curl, ClientKind::Nghttp] {
        let n = negotiate(Proto::H2Prior, client, Http2::Off);
        let Some(Negotiation::PriorKnowledge(p)) = &n.negotiation else {
            panic!("{:?}", n.negotiation)
        };
        let PriorAnswer::Refused {
            client: opening,
            version,
            status,
        } = &p.answer
        else {
            panic!("{:?}", p.answer)
        };
        assert!(opening.preface);
        assert_eq!((*version, *status), (Version::Http11, 505));
        assert!(n.frames.answer.is_some());
        // The server closed with the rest of the preface unread.
        assert_eq!(n.run.verdict.ending, Some(Ending::Rst));
        let c = &n.run.client;
        match client {
            // Which of the two curl reports is a race between its send of
            // the request and the server's RST (README's HTTP/2 table: about
            // 9 in 10 `(55) ... reset by peer`, else `(52) Empty reply`).
            ClientKind::Curl => assert!(
                c.curl_error
                    .as_deref()
                    .is_some_and(|e| e.contains("reset by peer"))
                    || c.curl_exit == Some(52),
                "{c:?}"
            ),
            _ => assert!(c.nghttp_error.is_some(), "{c:?}"),
        }
        let conv = n.run.connections[0]
            .app
            .as_ref()
            .and_then(|a| a.conversation.as_ref())
            .unwrap();
        assert_eq!(conv.protocol.name(), "h2-preface-refused");
        let text = render::text(&n);
        assert!(text.contains("refused"), "{text}");
        assert!(text.contains("HTTP/1.1 505"), "{text}");
        assert!(text.contains(&c.end), "{text}");
    }
}

#[test]
fn the_command_prints_json_and_refuses_h1() {
    let out = common::captures::run(
        &["negotiate", "--proto", "h2-prior", "--format", "json"],
        None,
    );
    assert!(out.status.success(), "{}", common::captures::stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["run"]["proto"], "h2-prior");
    assert_eq!(doc["run"]["client"], "curl");
    assert_eq!(doc["negotiation"]["answer"]["kind"], "accepted");
    let params = &doc["negotiation"]["answer"]["http2"]["client"]["settings"];
    assert!(
        params
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "INITIAL_WINDOW_SIZE"),
        "{params}"
    );
    let e = negotiate::run(&ResetOptions::default()).unwrap_err();
    assert!(
        matches!(e, reset::Error::Options(Conflict::NothingNegotiated)),
        "{e}"
    );
}
