//! How a connection came to speak the protocol it spoke, read from the same
//! decoders that label the ladder (no second parser): the h2c upgrade
//! (RFC 7540 §3.2) or the HTTP/2 preface on a fresh connection (RFC 9113
//! §3.3), and what the server answered to each.
//!
//! [`Negotiation`] is an enum of paths so that another way in (ALPN inside
//! TLS, RFC 7301) is one more variant beside these, not a reshaping.

use crate::http::Version;
use crate::proto::h2::{SettingId, decode_http2_settings};

use super::Direction;
use super::h2::{H2Decoder, Opening};
use super::http1::Http1Decoder;

/// The path a connection took to its protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Negotiation {
    /// An HTTP/1.1 request offered `Upgrade: h2c` (RFC 7540 §3.2; deprecated
    /// by RFC 9113 §3.1).
    Upgrade(UpgradeAttempt),
    /// The client opened with the HTTP/2 preface (RFC 9113 §3.3).
    PriorKnowledge(PriorAttempt),
}

/// The request that offered the upgrade, and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeAttempt {
    /// The request's method.
    pub method: String,
    /// Its target.
    pub target: String,
    /// Upgrade's protocols as sent (RFC 9110 §7.8).
    pub offered: Vec<String>,
    /// Connection's options as sent: RFC 7540 §3.2.1 wants both `Upgrade`
    /// and `HTTP2-Settings` listed.
    pub connection: Vec<String>,
    /// The `HTTP2-Settings` field.
    pub settings: SettingsField,
    /// Request body bytes sent before the switch (RFC 7540 §3.2: the body is
    /// sent in full before any HTTP/2 frame).
    pub body_bytes: u64,
    /// What the server did with it.
    pub answer: UpgradeAnswer,
}

/// The `HTTP2-Settings` field of an upgrade request (RFC 7540 §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsField {
    /// Absent: a server must not upgrade.
    Missing,
    /// More than one: a server must not upgrade.
    Repeated(usize),
    /// One value that is not base64url of whole 6-byte parameters.
    Undecodable(String),
    /// One value, decoded.
    Decoded {
        /// As sent.
        value: String,
        /// The SETTINGS parameters it carries, in order.
        params: Vec<(SettingId, u32)>,
    },
}

/// The server's answer to an upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeAnswer {
    /// `101 Switching Protocols`: HTTP/2 from the byte after its head.
    Switched {
        /// The protocols the 101's Upgrade names.
        protocols: Vec<String>,
        /// What the two sides sent next.
        h2: H2Opening,
    },
    /// A final HTTP/1.x response: the upgrade was ignored, "as though the
    /// Upgrade header field were absent" (RFC 7540 §3.2).
    Ignored {
        /// Its version.
        version: Version,
        /// Its status.
        status: u16,
    },
    /// No answer was seen.
    Unanswered,
}

/// A prior-knowledge attempt and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorAttempt {
    /// What the server did with the preface.
    pub answer: PriorAnswer,
}

/// The server's answer to the preface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriorAnswer {
    /// HTTP/2 frames, its SETTINGS first (RFC 9113 §3.4).
    Accepted(H2Opening),
    /// An HTTP/1.x response: a server without HTTP/2 took `PRI *
    /// HTTP/2.0` for a request line.
    Refused {
        /// How the client opened all the same.
        client: Opening,
        /// The response's version.
        version: Version,
        /// Its status, once the head was seen.
        status: u16,
    },
    /// The server sent no application byte.
    Unanswered {
        /// How the client opened.
        client: Opening,
    },
}

/// The first HTTP/2 frames of both sides, and the first answered stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H2Opening {
    /// The client's preface and SETTINGS.
    pub client: Opening,
    /// The server's SETTINGS.
    pub server: Opening,
    /// The lowest stream that got a final status.
    pub first_response: Option<FirstResponse>,
}

/// The first stream answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstResponse {
    /// Stream identifier: 1 after an upgrade (RFC 7540 §3.2).
    pub stream: u32,
    /// Its final status.
    pub status: u16,
    /// The stream began half-closed (remote) on the server's side: the
    /// upgrading request, complete as HTTP/1.1, became stream 1 (RFC 7540
    /// §3.2, RFC 9113 §5.1).
    pub began_half_closed: bool,
}

fn h2_opening(h2: &H2Decoder, upgraded: bool) -> H2Opening {
    let first_response = h2.streams().values().find_map(|s| {
        s.status.map(|status| FirstResponse {
            stream: s.id,
            status,
            began_half_closed: upgraded && s.id == 1,
        })
    });
    H2Opening {
        client: h2.opening(Direction::ClientToServer).clone(),
        server: h2.opening(Direction::ServerToClient).clone(),
        first_response,
    }
}

fn settings_field(values: &[String]) -> SettingsField {
    match values {
        [] => SettingsField::Missing,
        [value] => match decode_http2_settings(value.as_bytes()) {
            Some(params) => SettingsField::Decoded {
                value: value.clone(),
                params,
            },
            None => SettingsField::Undecodable(value.clone()),
        },
        more => SettingsField::Repeated(more.len()),
    }
}

/// The negotiation the decoders saw: `None` for a connection that tried
/// neither path (plain HTTP/1.x, or not HTTP). `prior`: the client opened
/// with the preface; `refused`: the server answered it in HTTP/1.x.
pub(super) fn read(
    prior: bool,
    refused: bool,
    h1: Option<&Http1Decoder>,
    h2: Option<&H2Decoder>,
) -> Option<Negotiation> {
    if let (true, Some(h2)) = (prior, h2) {
        let client = h2.opening(Direction::ClientToServer).clone();
        let answer = match h1.and_then(|h| h.exchanges().first()) {
            Some(e) if refused => match &e.response {
                Some(r) => PriorAnswer::Refused {
                    client,
                    version: r.version,
                    status: r.status,
                },
                None => PriorAnswer::Unanswered { client },
            },
            _ if refused => PriorAnswer::Unanswered { client },
            _ if h2.opening(Direction::ServerToClient).first_frame.is_none() => {
                PriorAnswer::Unanswered { client }
            }
            _ => PriorAnswer::Accepted(h2_opening(h2, false)),
        };
        return Some(Negotiation::PriorKnowledge(PriorAttempt { answer }));
    }
    let h1 = h1?;
    let (n, e) = h1.exchanges().iter().enumerate().find(|(_, e)| {
        e.request.as_ref().is_some_and(|r| {
            r.message
                .fields
                .upgrade
                .iter()
                .any(|p| p.eq_ignore_ascii_case("h2c"))
        })
    })?;
    let r = e.request.as_ref()?;
    let switched = h1.switch().filter(|s| s.exchange == n);
    let answer = match (switched, h2, &e.response) {
        (Some(sw), Some(h2), _) => UpgradeAnswer::Switched {
            protocols: sw.protocols.clone(),
            h2: h2_opening(h2, true),
        },
        (_, _, Some(resp)) if resp.status != 101 => UpgradeAnswer::Ignored {
            version: resp.version,
            status: resp.status,
        },
        _ => UpgradeAnswer::Unanswered,
    };
    Some(Negotiation::Upgrade(UpgradeAttempt {
        method: r.method.clone(),
        target: r.target.clone(),
        offered: r.message.fields.upgrade.clone(),
        connection: r.message.fields.connection.clone(),
        settings: settings_field(&r.message.fields.http2_settings),
        body_bytes: r.message.body_bytes,
        answer,
    }))
}
