//! The view of one TCP connection as the document spells it: the members
//! of a connection object, its RST objects, its Zeek record and byte
//! counts (the field names are the contract, see the module above).

use serde::Serialize;

use crate::teardown::{Frames, Reset, Role};

use super::super::{ConnectionReport, ZeekRecord};
use super::app;

#[derive(Serialize)]
struct Bytes {
    client_to_server: u64,
    server_to_client: u64,
}

#[derive(Serialize)]
pub(super) struct ConnectionView<'a> {
    id: u64,
    client: String,
    server: String,
    client_from_syn: bool,
    ended: &'static str,
    closed_first: Option<&'static str>,
    rst: Option<RstView<'a>>,
    client_rst: Option<RstView<'a>>,
    server_rst: Option<RstView<'a>>,
    bytes: Bytes,
    frames: &'a Frames,
    removed_by: &'static str,
    zeek: ZeekView<'a>,
    #[serde(flatten)]
    app: Option<app::AppView<'a>>,
}

/// A RST object: the verdict's, and what it destroyed when decoded.
#[derive(Serialize)]
struct RstView<'a> {
    #[serde(flatten)]
    reset: &'a Reset,
    #[serde(flatten)]
    bytes: Option<app::RstBytes<'a>>,
}

#[derive(Serialize)]
struct ZeekView<'a> {
    ts: f64,
    orig_h: String,
    orig_p: u16,
    resp_h: String,
    resp_p: u16,
    proto: &'static str,
    duration: Option<f64>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    conn_state: &'static str,
    missed_bytes: u64,
    history: Option<&'a str>,
    orig_pkts: u64,
    orig_ip_bytes: u64,
    resp_pkts: u64,
    resp_ip_bytes: u64,
}

/// Index of a side in the application report's per-side arrays.
pub(super) fn side_index(r: Role) -> usize {
    match r {
        Role::Client => 0,
        Role::Server => 1,
    }
}

/// Seconds with six decimals, as a JSON number that prints the same digits.
fn secs(text: &str) -> f64 {
    text.parse().unwrap_or(0.0)
}

impl<'a> ZeekView<'a> {
    fn of(z: &'a ZeekRecord) -> Self {
        ZeekView {
            ts: secs(&z.ts.zeek()),
            orig_h: z.orig.addr.to_string(),
            orig_p: z.orig.port,
            resp_h: z.resp.addr.to_string(),
            resp_p: z.resp.port,
            proto: z.proto.name(),
            duration: z.duration.map(|d| {
                let micros = d.0.saturating_add(500).div_euclid(1_000);
                micros as f64 / 1e6
            }),
            orig_bytes: z.orig_bytes,
            resp_bytes: z.resp_bytes,
            conn_state: z.conn_state.name(),
            missed_bytes: z.missed_bytes,
            history: (!z.history.is_empty()).then_some(z.history.as_str()),
            orig_pkts: z.orig_pkts,
            orig_ip_bytes: z.orig_ip_bytes,
            resp_pkts: z.resp_pkts,
            resp_ip_bytes: z.resp_ip_bytes,
        }
    }
}

impl<'a> ConnectionView<'a> {
    pub(super) fn of(c: &'a ConnectionReport) -> Self {
        let t = &c.teardown;
        let app = c.app.as_deref();
        let rst = |r: Option<&'a Reset>| {
            r.map(|reset| RstView {
                reset,
                bytes: app.map(|a| app::RstBytes::of(a.rst[side_index(reset.sender)].as_ref())),
            })
        };
        ConnectionView {
            id: c.id,
            client: t.client.to_string(),
            server: t.server.to_string(),
            client_from_syn: t.client_from_syn,
            ended: t.ending.name(),
            closed_first: t.closed_first.map(|r| r.name()),
            rst: rst(t.first_rst.as_ref()),
            client_rst: rst(t.client_rst.as_ref()),
            server_rst: rst(t.server_rst.as_ref()),
            bytes: Bytes {
                client_to_server: t.bytes_client_to_server,
                server_to_client: t.bytes_server_to_client,
            },
            frames: &t.frames,
            removed_by: c.removal.name(),
            zeek: ZeekView::of(&c.zeek),
            app: app.map(app::AppView::of),
        }
    }
}
