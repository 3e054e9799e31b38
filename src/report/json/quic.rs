//! The `quic` member: one object per QUIC connection. The names here are a
//! contract like the connections' (README, "QUIC"), spelled out in view
//! structs rather than derived from the analyzer's types.

use serde::Serialize;

use crate::app::quic::{PacketCounts, QuicReport};
use crate::proto::quic::{Side, TransportParameter, Version};
use crate::proto::tls::names;

use super::quic_keyed;

#[derive(Serialize)]
pub(super) struct QuicView {
    client: String,
    server: String,
    first_frame: u64,
    first_ts: f64,
    last_ts: f64,
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_negotiation: Option<Vec<String>>,
    dcid: String,
    scid: Option<String>,
    server_scid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<RetryView>,
    token_length: usize,
    sni: Option<String>,
    alpn_offered: Vec<String>,
    transport_parameters: Vec<ParamView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_hello: Option<ServerHelloView>,
    packets: PacketsView,
    handshake_completed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<quic_keyed::KeysView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alpn: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    server_transport_parameters: Vec<ParamView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handshake_done_frame: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    new_connection_ids: Vec<quic_keyed::NewCidView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_updates: Option<quic_keyed::KeyUpdatesView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http3: Option<quic_keyed::H3View>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_close: Option<CloseView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stateless_reset: Option<quic_keyed::ResetView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icmp: Option<quic_keyed::IcmpView>,
    datagrams: u64,
    idle_timeout_ms: Option<u64>,
    ending: &'static str,
    silent_past_idle: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<ProblemView>,
}

#[derive(Serialize)]
struct RetryView {
    frame: u64,
    token_length: usize,
    scid: String,
    integrity_tag_valid: bool,
}

/// A number for the parameters that are numbers (milliseconds for the
/// two timeouts, as §18.2 counts them), text for the rest (connection IDs
/// and the token in hex, lengths of what is not decoded), null for the
/// empty flags.
#[derive(Serialize)]
#[serde(untagged)]
enum ParamValue {
    Number(u64),
    Text(String),
    Flag(()),
}

#[derive(Serialize)]
struct ParamView {
    name: String,
    value: ParamValue,
}

fn param(p: &TransportParameter) -> ParamView {
    let value = if let Some(v) = p.number() {
        ParamValue::Number(v)
    } else if p.is_flag() {
        ParamValue::Flag(())
    } else {
        ParamValue::Text(p.value())
    };
    ParamView {
        name: p.name(),
        value,
    }
}

#[derive(Serialize)]
struct ServerHelloView {
    version: String,
    cipher_suite: String,
}

#[derive(Serialize)]
struct CountsView {
    initial: u32,
    zero_rtt: u32,
    handshake: u32,
    one_rtt: u32,
    retry: u32,
    version_negotiation: u32,
    unknown_version: u32,
}

#[derive(Serialize)]
struct PacketsView {
    client: CountsView,
    server: CountsView,
}

#[derive(Serialize)]
struct CloseView {
    by: &'static str,
    frame: u64,
    packet: &'static str,
    frame_type: &'static str,
    error_code: u64,
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    triggering_frame_type: Option<u64>,
    reason: String,
}

#[derive(Serialize)]
struct ProblemView {
    frame: u64,
    from: &'static str,
    error: String,
}

pub(super) fn side(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

fn counts(c: &PacketCounts) -> CountsView {
    CountsView {
        initial: c.initial,
        zero_rtt: c.zero_rtt,
        handshake: c.handshake,
        one_rtt: c.one_rtt,
        retry: c.retry,
        version_negotiation: c.version_negotiation,
        unknown_version: c.unknown_version,
    }
}

impl QuicView {
    pub(super) fn of(q: &QuicReport) -> QuicView {
        QuicView {
            client: q.client.to_string(),
            server: q.server.to_string(),
            first_frame: q.first_frame,
            first_ts: q.first_ts.as_secs_f64(),
            last_ts: q.last_ts.as_secs_f64(),
            version: q.version.map(|v| v.to_string()),
            version_negotiation: q
                .negotiation
                .as_ref()
                .map(|vs| vs.iter().map(Version::to_string).collect()),
            dcid: q.original_dcid.to_string(),
            scid: q.client_scid.as_ref().map(ToString::to_string),
            server_scid: q.server_scid.as_ref().map(ToString::to_string),
            retry: q.retry.as_ref().map(|r| RetryView {
                frame: r.frame,
                token_length: r.token_len,
                scid: r.scid.to_string(),
                integrity_tag_valid: r.tag_valid,
            }),
            token_length: q.token_len,
            sni: q.sni.clone(),
            alpn_offered: q.alpn_offered.clone(),
            transport_parameters: q.transport_parameters.iter().map(param).collect(),
            server_hello: q.server_hello.map(|h| ServerHelloView {
                version: h.version.to_string(),
                cipher_suite: names::cipher_suite(h.cipher_suite),
            }),
            packets: PacketsView {
                client: counts(&q.client_packets),
                server: counts(&q.server_packets),
            },
            handshake_completed: q.handshake_completed,
            connection_close: q.close.as_ref().map(|c| CloseView {
                by: side(c.by),
                frame: c.frame,
                packet: c.packet.name(),
                frame_type: if c.close.application { "0x1d" } else { "0x1c" },
                error_code: c.close.code,
                error: q.close_name().unwrap_or_default(),
                triggering_frame_type: c.close.frame_type,
                reason: c.close.reason.clone(),
            }),
            keys: quic_keyed::keys(q),
            alpn: q.alpn.clone(),
            server_transport_parameters: q.server_transport_parameters.iter().map(param).collect(),
            handshake_done_frame: q.handshake_done,
            new_connection_ids: quic_keyed::new_cids(q),
            key_updates: quic_keyed::key_updates(q),
            http3: q.http3.as_ref().map(quic_keyed::http3),
            stateless_reset: quic_keyed::reset(q),
            icmp: quic_keyed::icmp(q),
            datagrams: q.datagrams,
            idle_timeout_ms: q.idle_timeout_ms,
            ending: q.ending.name(),
            silent_past_idle: q.silent_past_idle,
            problems: q
                .problems
                .iter()
                .map(|p| ProblemView {
                    frame: p.frame,
                    from: side(p.from),
                    error: p.error.to_string(),
                })
                .collect(),
        }
    }
}
