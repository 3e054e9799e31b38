//! The `quic` member's parts that the key log's secrets make possible, and
//! the endings beyond a close: view structs, names spelled out here as the
//! README's contract.

use serde::Serialize;

use crate::app::h3::H3Report;
use crate::app::quic::{QuicReport, TokenSource};
use crate::proto::h3::frame::{setting_name, type_name};
use crate::proto::quic::ConnectionId;

use super::quic::side;

#[derive(Serialize)]
pub(super) struct KeysView {
    status: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    reason: String,
}

#[derive(Serialize)]
pub(super) struct NewCidView {
    by: &'static str,
    frame: u64,
    sequence: u64,
    cid: String,
    stateless_reset_token: String,
}

#[derive(Serialize)]
pub(super) struct KeyUpdatesView {
    client: u32,
    server: u32,
}

#[derive(Serialize)]
pub(super) struct ResetView {
    by: &'static str,
    frame: u64,
    /// "transport_parameter" or "new_connection_id".
    token_from: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence: Option<u64>,
}

#[derive(Serialize)]
pub(super) struct IcmpView {
    frame: u64,
    reporter: String,
    about: &'static str,
    kind: String,
}

#[derive(Serialize)]
struct SettingView {
    name: String,
    id: u64,
    value: u64,
}

#[derive(Serialize)]
struct SettingsView {
    by: &'static str,
    frame: u64,
    values: Vec<SettingView>,
}

#[derive(Serialize)]
struct GoawayView {
    by: &'static str,
    frame: u64,
    id: u64,
}

#[derive(Serialize)]
struct UniView {
    by: &'static str,
    frame: u64,
    stream: u64,
    kind: String,
}

#[derive(Serialize)]
struct ExchangeView {
    stream: u64,
    request_frame: Option<u64>,
    method: Option<String>,
    authority: Option<String>,
    path: Option<String>,
    request_body: u64,
    request_end_frame: Option<u64>,
    response_frame: Option<u64>,
    status: Option<u16>,
    response_body: u64,
    response_end_frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    undecoded: Option<String>,
}

#[derive(Serialize)]
struct H3FrameView {
    frame: u64,
    by: &'static str,
    stream: u64,
    kind: &'static str,
    type_value: u64,
    length: u64,
}

#[derive(Serialize)]
struct H3ProblemView {
    frame: u64,
    by: &'static str,
    stream: u64,
    error: String,
}

#[derive(Serialize)]
pub(super) struct H3View {
    settings: Vec<SettingsView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    goaway: Vec<GoawayView>,
    unidirectional_streams: Vec<UniView>,
    exchanges: Vec<ExchangeView>,
    frames: Vec<H3FrameView>,
    qpack_encoder_bytes: SidesView,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<H3ProblemView>,
}

#[derive(Serialize)]
struct SidesView {
    client: u64,
    server: u64,
}

fn hex(b: &[u8]) -> String {
    ConnectionId(b.to_vec()).to_string()
}

pub(super) fn keys(q: &QuicReport) -> Option<KeysView> {
    q.keys.as_ref().map(|k| KeysView {
        status: k.status.name(),
        reason: k.reason.clone(),
    })
}

pub(super) fn new_cids(q: &QuicReport) -> Vec<NewCidView> {
    q.new_connection_ids
        .iter()
        .map(|n| NewCidView {
            by: side(n.by),
            frame: n.frame,
            sequence: n.sequence,
            cid: n.cid.to_string(),
            stateless_reset_token: hex(&n.token),
        })
        .collect()
}

pub(super) fn key_updates(q: &QuicReport) -> Option<KeyUpdatesView> {
    let [client, server] = q.key_updates;
    (q.keys.is_some()).then_some(KeyUpdatesView { client, server })
}

pub(super) fn reset(q: &QuicReport) -> Option<ResetView> {
    q.stateless_reset.as_ref().map(|r| ResetView {
        by: side(r.by),
        frame: r.frame,
        token_from: match r.token_from {
            TokenSource::TransportParameter => "transport_parameter",
            TokenSource::NewConnectionId(_) => "new_connection_id",
        },
        sequence: match r.token_from {
            TokenSource::NewConnectionId(n) => Some(n),
            TokenSource::TransportParameter => None,
        },
    })
}

pub(super) fn icmp(q: &QuicReport) -> Option<IcmpView> {
    q.icmp.as_ref().map(|i| IcmpView {
        frame: i.frame,
        reporter: i.reporter.to_string(),
        about: side(i.about),
        kind: i.kind.name(),
    })
}

pub(super) fn http3(h: &H3Report) -> H3View {
    H3View {
        settings: h
            .settings
            .iter()
            .map(|s| SettingsView {
                by: side(s.by),
                frame: s.frame,
                values: s
                    .values
                    .iter()
                    .map(|&(id, value)| SettingView {
                        name: setting_name(id),
                        id,
                        value,
                    })
                    .collect(),
            })
            .collect(),
        goaway: h
            .goaway
            .iter()
            .map(|g| GoawayView {
                by: side(g.by),
                frame: g.frame,
                id: g.id,
            })
            .collect(),
        unidirectional_streams: h
            .uni_streams
            .iter()
            .map(|u| UniView {
                by: side(u.by),
                frame: u.frame,
                stream: u.id,
                kind: u.kind.name(),
            })
            .collect(),
        exchanges: h
            .exchanges
            .iter()
            .map(|x| ExchangeView {
                stream: x.stream,
                request_frame: x.request_frame,
                method: x.method.clone(),
                authority: x.authority.clone(),
                path: x.path.clone(),
                request_body: x.request_body,
                request_end_frame: x.request_end,
                response_frame: x.response_frame,
                status: x.status,
                response_body: x.response_body,
                response_end_frame: x.response_end,
                undecoded: x.undecoded.map(|e| e.to_string()),
            })
            .collect(),
        frames: h
            .frames
            .iter()
            .map(|f| H3FrameView {
                frame: f.frame,
                by: side(f.by),
                stream: f.stream,
                kind: type_name(f.kind),
                type_value: f.kind,
                length: f.len,
            })
            .collect(),
        qpack_encoder_bytes: SidesView {
            client: h.qpack_encoder_bytes[0],
            server: h.qpack_encoder_bytes[1],
        },
        problems: h
            .problems
            .iter()
            .map(|p| H3ProblemView {
                frame: p.frame,
                by: side(p.by),
                stream: p.stream,
                error: p.error.to_string(),
            })
            .collect(),
    }
}
