//! How a connection came to speak the protocol it spoke, read from the same
//! decoders that label the ladder (no second parser): the h2c upgrade
//! (RFC 7540 §3.2), the HTTP/2 preface on a fresh connection (RFC 9113
//! §3.3), or ALPN inside the TLS handshake (RFC 7301), and what the server
//! answered to each.
//!
//! ALPN is read from the TLS decoder's report ([`alpn`]): the client's list
//! is in the clear ClientHello; the server's choice is in the clear
//! ServerHello in TLS 1.2 but in EncryptedExtensions in TLS 1.3 (RFC 8446
//! §4.3.1), visible only with the session's keys.

use crate::http::Version;
use crate::proto::h2::{SettingId, decode_http2_settings};

use super::Direction;
use super::h2::{H2Decoder, Opening};
use super::http1::Http1Decoder;
use super::tls::{AlpnChosen, TlsClose, TlsReport};
use crate::proto::tls::{AlertDescription, ProtocolVersion};

/// The path a connection took to its protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Negotiation {
    /// An HTTP/1.1 request offered `Upgrade: h2c` (RFC 7540 §3.2; deprecated
    /// by RFC 9113 §3.1).
    Upgrade(UpgradeAttempt),
    /// The client opened with the HTTP/2 preface (RFC 9113 §3.3).
    PriorKnowledge(PriorAttempt),
    /// A TLS ClientHello, with or without the ALPN extension (RFC 7301).
    Alpn(AlpnAttempt),
}

/// The ALPN offer of a ClientHello and the server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlpnAttempt {
    /// The protocols offered, in the client's order of preference (RFC
    /// 7301 §3.1); `None` without the extension.
    pub offered: Option<Vec<String>>,
    /// The TLS version the ServerHello chose, if one came.
    pub version: Option<ProtocolVersion>,
    /// What the server did with the offer.
    pub answer: AlpnAnswer,
}

/// The server's answer to an ALPN offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlpnAnswer {
    /// It chose one of the offered protocols.
    Chosen {
        /// The protocol.
        protocol: String,
        /// Where the capture shows it.
        seen_in: AlpnSeenIn,
    },
    /// It chose none and went on (no overlap and no refusal, or no offer:
    /// a server may not name what was not offered, RFC 7301 §3.1).
    NoneChosen,
    /// It refused the handshake with `no_application_protocol` (120): no
    /// protocol in common (RFC 7301 §3.2).
    Refused,
    /// TLS 1.3 without the keys: the choice went encrypted.
    Hidden,
    /// No ServerHello and no alert was seen.
    Unanswered,
}

/// Where a server's ALPN choice travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlpnSeenIn {
    /// The ServerHello, in the clear (TLS 1.2 and before).
    ServerHello,
    /// EncryptedExtensions (TLS 1.3), read with the key log.
    EncryptedExtensions,
}

impl AlpnSeenIn {
    /// The handshake message's name.
    pub fn name(self) -> &'static str {
        match self {
            AlpnSeenIn::ServerHello => "ServerHello",
            AlpnSeenIn::EncryptedExtensions => "EncryptedExtensions",
        }
    }
}

/// `no_application_protocol` (RFC 7301 §3.2).
const NO_APPLICATION_PROTOCOL: AlertDescription = AlertDescription(120);

/// The ALPN negotiation of a TLS connection: `None` when no ClientHello was
/// read.
pub fn alpn(tls: &TlsReport) -> Option<Negotiation> {
    let offered = tls.offered.as_ref()?;
    let refused = tls
        .alerts
        .iter()
        .any(|a| a.description == NO_APPLICATION_PROTOCOL)
        || matches!(&tls.close, Some(TlsClose::Alert(a)) if a.description == NO_APPLICATION_PROTOCOL);
    let answer = match &tls.alpn_chosen {
        _ if refused => AlpnAnswer::Refused,
        Some(AlpnChosen::Clear(p)) => AlpnAnswer::Chosen {
            protocol: p.clone(),
            seen_in: AlpnSeenIn::ServerHello,
        },
        Some(AlpnChosen::Decrypted(p)) => AlpnAnswer::Chosen {
            protocol: p.clone(),
            seen_in: AlpnSeenIn::EncryptedExtensions,
        },
        Some(AlpnChosen::NotNegotiated) => AlpnAnswer::NoneChosen,
        Some(AlpnChosen::Encrypted) => AlpnAnswer::Hidden,
        None => AlpnAnswer::Unanswered,
    };
    Some(Negotiation::Alpn(AlpnAttempt {
        offered: offered.alpn_list(),
        version: tls.version,
        answer,
    }))
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
                .upgrade()
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
        offered: r.message.fields.upgrade().to_vec(),
        connection: r.message.fields.connection().to_vec(),
        settings: settings_field(r.message.fields.http2_settings()),
        body_bytes: r.message.body_bytes,
        answer,
    }))
}

#[cfg(test)]
mod alpn_tests {
    use super::*;
    use crate::app::tls::{AlertSeen, Offered};
    use crate::proto::tls::AlertLevel;

    fn hello(offered: &[&str], chosen: Option<AlpnChosen>) -> TlsReport {
        TlsReport {
            offered: Some(Offered::new(
                &[ProtocolVersion::TLS13, ProtocolVersion::TLS12],
                Some("localhost"),
                Some(offered),
            )),
            version: Some(ProtocolVersion::TLS13),
            cipher_suite: Some(0x1302),
            alpn_chosen: chosen,
            npn: None,
            hello_retry_request: false,
            alerts: Vec::new(),
            change_cipher_spec: [false; 2],
            encrypted: Default::default(),
            keys: None,
            close: None,
            inner: None,
        }
    }

    fn answer(t: &TlsReport) -> AlpnAnswer {
        match alpn(t) {
            Some(Negotiation::Alpn(a)) => a.answer,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_choice_is_placed_where_the_handshake_carried_it() {
        let t = hello(&["h2", "http/1.1"], Some(AlpnChosen::Clear("h2".into())));
        assert_eq!(
            answer(&t),
            AlpnAnswer::Chosen {
                protocol: "h2".into(),
                seen_in: AlpnSeenIn::ServerHello
            }
        );
        let t = hello(&["h2"], Some(AlpnChosen::Decrypted("h2".into())));
        assert!(matches!(
            answer(&t),
            AlpnAnswer::Chosen {
                seen_in: AlpnSeenIn::EncryptedExtensions,
                ..
            }
        ));
        assert_eq!(
            answer(&hello(&["h2"], Some(AlpnChosen::Encrypted))),
            AlpnAnswer::Hidden
        );
        assert_eq!(answer(&hello(&["h2"], None)), AlpnAnswer::Unanswered);
    }

    #[test]
    fn alert_120_is_a_refusal_and_no_client_hello_is_no_negotiation() {
        let mut t = hello(&["h2c"], None);
        t.alerts.push(AlertSeen {
            sender: Direction::ServerToClient,
            offset: 0,
            frame: 1,
            level: AlertLevel::Fatal,
            description: AlertDescription(120),
        });
        assert_eq!(answer(&t), AlpnAnswer::Refused);
        let mut none = hello(&[], None);
        none.offered = None;
        assert_eq!(alpn(&none), None);
    }
}
