//! The JSON members a decoded connection adds (`--decode`): `protocol`,
//! `exchanges`, `http2`, `tls` (TLS connections only), `decode_error`,
//! `streams` and, with `--frames`,
//! `ladder`; and the `unacked_bytes`/`lost_bytes` of its RST objects.
//! Field names are the contract the README lists.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::tls::TlsReport;
use crate::app::{AppReport, Direction, LadderStep, RstReport, StreamFigures};
use crate::proto::tls::names;

fn side(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client",
        Direction::ServerToClient => "server",
    }
}

#[derive(Serialize)]
pub(super) struct AppView<'a> {
    protocol: Option<&'static str>,
    exchanges: Vec<ExchangeView<'a>>,
    http2: Option<Http2View>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<TlsView<'a>>,
    decode_error: Option<DecodeErrorView<'a>>,
    streams: StreamsView,
    #[serde(skip_serializing_if = "Option::is_none")]
    ladder: Option<Vec<StepView>>,
}

#[derive(Serialize)]
struct BodyView {
    seen: u64,
    expected: Option<u64>,
}

#[derive(Serialize)]
struct ExchangeView<'a> {
    stream: Option<u32>,
    method: Option<&'a str>,
    target: Option<&'a str>,
    status: Option<u16>,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_error: Option<String>,
    request_body: Option<BodyView>,
    response_body: Option<BodyView>,
    response_delivered: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alt_svc: Option<&'a str>,
}

#[derive(Serialize)]
struct GoAwayView {
    sender: &'static str,
    last_stream: u32,
    code: String,
}

#[derive(Serialize)]
struct Http2View {
    frames: BTreeMap<&'static str, BTreeMap<String, u64>>,
    goaway: Vec<GoAwayView>,
    protocol_errors: u64,
}

#[derive(Serialize)]
struct NpnView<'a> {
    offered: bool,
    server_list: Option<&'a [String]>,
    client_choice: Option<&'static str>,
    chosen: Option<&'a str>,
}

#[derive(Serialize)]
struct AlertView {
    sender: &'static str,
    offset: u64,
    level: String,
    description: String,
    code: u8,
}

#[derive(Serialize)]
struct SidesView<T> {
    client: T,
    server: T,
}

#[derive(Serialize)]
struct EncryptedView {
    records: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct TlsView<'a> {
    versions_offered: Vec<String>,
    version: Option<String>,
    cipher_suite: Option<String>,
    cipher_suite_id: Option<u16>,
    sni: Option<Cow<'a, str>>,
    alpn_offered: Option<Vec<Cow<'a, str>>>,
    alpn_chosen: Option<&'a str>,
    npn: Option<NpnView<'a>>,
    hello_retry_request: bool,
    alerts: Vec<AlertView>,
    change_cipher_spec: SidesView<bool>,
    encrypted: SidesView<EncryptedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys_problem: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decrypted_records: Option<SidesView<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_close: Option<TlsCloseView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inner: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inner_chosen_by: Option<&'static str>,
}

#[derive(Serialize)]
struct TlsCloseView {
    how: String,
    offsets: SidesView<Option<u64>>,
    frames: SidesView<Option<u64>>,
}

impl<'a> TlsView<'a> {
    fn of(t: &'a TlsReport) -> Self {
        let enc = |i: usize| EncryptedView {
            records: t.encrypted[i].records,
            bytes: t.encrypted[i].bytes,
        };
        TlsView {
            versions_offered: t.versions_offered().map(|v| v.to_string()).collect(),
            version: t.version.map(|v| v.to_string()),
            cipher_suite: t.cipher_suite.map(names::cipher_suite),
            cipher_suite_id: t.cipher_suite,
            sni: t.sni(),
            alpn_offered: t.alpn_offered().map(Iterator::collect),
            alpn_chosen: t.alpn_chosen.as_ref().map(|a| a.text()),
            npn: t.npn.as_ref().map(|n| NpnView {
                offered: n.offered,
                server_list: n.server_list.as_deref(),
                client_choice: n.client_choice_encrypted.then_some("encrypted"),
                chosen: n.chosen.as_deref(),
            }),
            hello_retry_request: t.hello_retry_request,
            alerts: t
                .alerts
                .iter()
                .map(|a| AlertView {
                    sender: side(a.sender),
                    offset: a.offset,
                    level: a.level.to_string(),
                    description: a.description.to_string(),
                    code: a.description.0,
                })
                .collect(),
            change_cipher_spec: SidesView {
                client: t.change_cipher_spec[0],
                server: t.change_cipher_spec[1],
            },
            encrypted: SidesView {
                client: enc(0),
                server: enc(1),
            },
            keys: t.keys.as_ref().map(|k| k.status.text()),
            keys_problem: t.keys.as_ref().map(|k| k.problem.as_deref()),
            decrypted_records: t.keys.as_ref().map(|k| SidesView {
                client: k.opened[0],
                server: k.opened[1],
            }),
            tls_close: t.close.as_ref().map(|c| TlsCloseView {
                how: c.text(),
                offsets: SidesView {
                    client: c.offsets()[0],
                    server: c.offsets()[1],
                },
                frames: SidesView {
                    client: c.frames()[0],
                    server: c.frames()[1],
                },
            }),
            inner: t.inner.map(|i| i.protocol.name()),
            inner_chosen_by: t.inner.map(|i| i.chosen_by.name()),
        }
    }
}

#[derive(Serialize)]
struct DecodeErrorView<'a> {
    sender: &'static str,
    offset: u64,
    reason: &'a str,
}

#[derive(Serialize)]
struct StreamView {
    delivered: u64,
    gaps: u64,
    gap_bytes: u64,
    duplicate_bytes: u64,
    window_overflow: bool,
    snapped_bytes: u64,
}

impl StreamView {
    fn of(s: &StreamFigures) -> Self {
        StreamView {
            delivered: s.delivered,
            gaps: s.gaps,
            gap_bytes: s.gap_bytes,
            duplicate_bytes: s.duplicate_bytes,
            window_overflow: s.window_overflow,
            snapped_bytes: s.snapped_bytes,
        }
    }
}

#[derive(Serialize)]
struct StreamsView {
    client: StreamView,
    server: StreamView,
}

#[derive(Serialize)]
struct H2FrameView {
    #[serde(rename = "type")]
    kind: String,
    stream: u32,
}

#[derive(Serialize)]
struct StepView {
    frame: u64,
    from: &'static str,
    labels: Vec<String>,
    h2: Vec<H2FrameView>,
}

impl StepView {
    fn of(s: &LadderStep) -> Self {
        StepView {
            frame: s.frame,
            from: side(s.sender),
            labels: s.labels.iter().map(|l| l.text.clone()).collect(),
            h2: s
                .h2_frames()
                .map(|(k, stream)| H2FrameView {
                    kind: k.to_string(),
                    stream,
                })
                .collect(),
        }
    }
}

impl<'a> AppView<'a> {
    pub(super) fn of(a: &'a AppReport) -> Self {
        let conv = a.conversation.as_ref();
        let exchanges = a
            .exchanges()
            .iter()
            .zip(&a.delivered)
            .map(|(e, delivered)| ExchangeView {
                stream: e.stream,
                method: e.method.as_deref(),
                target: e.target.as_deref(),
                status: e.status,
                outcome: e.outcome.name(),
                stream_error: match e.outcome {
                    crate::app::ExchangeOutcome::StreamReset(_, code) => Some(code.to_string()),
                    _ => None,
                },
                request_body: e.request_body.map(|b| BodyView {
                    seen: b.seen,
                    expected: b.expected,
                }),
                response_body: e.response_body.map(|b| BodyView {
                    seen: b.seen,
                    expected: b.expected,
                }),
                response_delivered: *delivered,
                alt_svc: e.alt_svc.as_deref(),
            })
            .collect();
        let http2 = conv.and_then(|c| c.http2.as_ref()).map(|h| {
            let mut frames = BTreeMap::new();
            for (name, counts) in ["client", "server"].into_iter().zip(&h.frames) {
                frames.insert(
                    name,
                    counts.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
                );
            }
            Http2View {
                frames,
                goaway: h
                    .goaways
                    .iter()
                    .map(|g| GoAwayView {
                        sender: side(g.sender),
                        last_stream: g.last_stream,
                        code: g.code.to_string(),
                    })
                    .collect(),
                protocol_errors: h.protocol_errors,
            }
        });
        AppView {
            protocol: conv.map(|c| c.protocol.name()),
            exchanges,
            http2,
            tls: conv.and_then(|c| c.tls.as_ref()).map(TlsView::of),
            decode_error: conv
                .and_then(|c| c.decode_error.as_ref())
                .map(|e| DecodeErrorView {
                    sender: side(e.sender),
                    offset: e.offset,
                    reason: &e.reason,
                }),
            streams: StreamsView {
                client: StreamView::of(&a.streams[0]),
                server: StreamView::of(&a.streams[1]),
            },
            ladder: a
                .ladder
                .as_ref()
                .map(|l| l.iter().map(StepView::of).collect()),
        }
    }
}

/// The members a RST object gains when the connection was decoded.
#[derive(Serialize, Clone, Copy)]
pub(super) struct RstBytes<'a> {
    pub(super) unacked_bytes: Option<u64>,
    pub(super) lost_bytes: Option<u64>,
    pub(super) lost_in: &'a [usize],
    pub(super) unacked_in: &'a [usize],
}

impl<'a> RstBytes<'a> {
    pub(super) fn of(r: Option<&'a RstReport>) -> Self {
        RstBytes {
            unacked_bytes: r.and_then(|r| r.loss.unacked_bytes),
            lost_bytes: r.and_then(|r| r.loss.lost_bytes),
            lost_in: r.map_or(&[], |r| &r.lost_in),
            unacked_in: r.map_or(&[], |r| &r.unacked_in),
        }
    }
}
