//! What the analyzer found, as data, and its three renderings.
//!
//! The last stage of the analyzer pipeline (capture → wire → flow → teardown
//! → **report**). [`ConnectionReport`] is the owned, serializable record of
//! one connection: its teaching verdict ([`Teardown`]) and its Zeek conn.log
//! fields ([`ZeekRecord`]). [`Summary`] counts verdicts, packets and
//! anomalies. The renderers return strings or write to a caller's writer; the
//! library never prints:
//! - [`table`]: one comfy-table row per connection, plus a summary line;
//! - [`json`]: one JSON document (field names are a stable contract, listed
//!   in the README);
//! - [`zeek`]: Zeek conn.log TSV, as Zeek writes it;
//! - [`picture`]: the connections' ladders as a Mermaid diagram or an SVG.
//!
//! [`output`] puts them behind one [`output::Renderer`] trait and decides,
//! per [`output::Format`], which stream each connection as it ends and which
//! keep them for one sorted rendering at the end.
//!
//! [`Summary::warnings`] turns the counts a user must not miss into typed
//! [`Warning`]s for the caller to print.

pub mod annotation;
pub mod carried;
pub mod diagnosis;
pub mod expect;
pub mod json;
mod line;
pub mod output;
pub mod picture;
pub mod quic_steps;
pub mod table;
mod udp_scope;
mod warning;
pub mod zeek;

pub use crate::flow::TimeWentBack;
pub use udp_scope::UdpScope;
pub use warning::{Named, Setting, Unfilterable, Warning};

use crate::app::AppReport;
use crate::capture::{CaptureAnomalies, Timestamp};
use crate::flow::{ConnState, Connection, FlowAnomalies, Removal, TransportProto};
use crate::teardown::{Ending, Teardown};
use crate::wire::{Endpoint, Skip, TunnelKind};

/// Zeek's conn.log fields for one TCP connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeekRecord {
    /// Time of the first packet.
    pub ts: Timestamp,
    /// `service`: the application protocol, when known.
    pub service: Option<zeek::Service>,
    /// Originator (`id.orig_h`, `id.orig_p`).
    pub orig: Endpoint,
    /// Responder (`id.resp_h`, `id.resp_p`).
    pub resp: Endpoint,
    /// `proto` (its name) and `ip_proto` (its number).
    pub proto: TransportProto,
    /// `duration`; unset unless positive.
    pub duration: Option<Timestamp>,
    /// `orig_bytes`; unset with the duration.
    pub orig_bytes: Option<u64>,
    /// `resp_bytes`; unset with the duration.
    pub resp_bytes: Option<u64>,
    /// `conn_state`.
    pub conn_state: ConnState,
    /// `missed_bytes`: octets of the content gaps Zeek's reassembly reports.
    pub missed_bytes: u64,
    /// `history`; empty means unset.
    pub history: String,
    /// `orig_pkts`.
    pub orig_pkts: u64,
    /// `orig_ip_bytes`.
    pub orig_ip_bytes: u64,
    /// `resp_pkts`.
    pub resp_pkts: u64,
    /// `resp_ip_bytes`.
    pub resp_ip_bytes: u64,
    /// `tunnel_parents`: the uids of the tunnels it came out of, first seen
    /// first (none: not tunneled).
    pub tunnel_parents: [Option<zeek::Uid>; 2],
}

impl ZeekRecord {
    /// The conn.log fields of a finished connection (the rules, such as
    /// bytes being unset with the duration, live in [`zeek::Fields`]).
    pub fn of(c: &Connection) -> Self {
        let f = zeek::Fields::of_connection(c);
        ZeekRecord {
            ts: f.ts,
            service: f.service,
            orig: f.orig,
            resp: f.resp,
            proto: f.proto,
            duration: f.duration,
            orig_bytes: f.orig_bytes,
            resp_bytes: f.resp_bytes,
            conn_state: f.conn_state,
            missed_bytes: f.missed_bytes,
            // History letters are ASCII.
            history: String::from_utf8_lossy(f.history).into_owned(),
            orig_pkts: f.orig_pkts,
            orig_ip_bytes: f.orig_ip_bytes,
            resp_pkts: f.resp_pkts,
            resp_ip_bytes: f.resp_ip_bytes,
            tunnel_parents: f.tunnel_parents,
        }
    }

    /// `uid`, derived from the row's `ts` and endpoints ([`zeek::Uid`]).
    pub fn uid(&self) -> zeek::Uid {
        zeek::Uid::of(self.ts, self.orig, self.resp, self.proto.ip_number())
    }
}

/// Everything reported about one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionReport {
    /// First-seen id (1, 2, …).
    pub id: u64,
    /// The teaching verdict.
    pub teardown: Teardown,
    /// Zeek's view.
    pub zeek: ZeekRecord,
    /// Which rule ended the record.
    pub removal: Removal,
    /// The application layer, when it was decoded.
    pub app: Option<Box<AppReport>>,
}

impl ConnectionReport {
    /// Builds the report of a finished connection.
    pub fn of(c: &Connection) -> Self {
        ConnectionReport {
            id: c.id(),
            teardown: Teardown::of(c),
            zeek: ZeekRecord::of(c),
            removal: c.removal(),
            app: None,
        }
    }

    /// The same report with its application layer.
    pub fn with_app(mut self, app: Option<Box<AppReport>>) -> Self {
        self.app = app;
        self
    }

    /// The same report with the application layer the analyzer handed
    /// out, its report made now.
    pub fn with_finished(self, app: Option<crate::app::Finished>) -> Self {
        self.with_app(app.map(crate::app::Finished::into_boxed))
    }
}

/// Connections per teaching verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct VerdictCounts {
    /// `fin`.
    pub fin: u64,
    /// `rst`.
    pub rst: u64,
    /// `refused`.
    pub refused: u64,
    /// `half-closed`.
    #[serde(rename = "half-closed")]
    pub half_closed: u64,
    /// `open`.
    pub open: u64,
    /// `unanswered`.
    pub unanswered: u64,
}

impl VerdictCounts {
    /// Counts one verdict.
    pub fn add(&mut self, e: Ending) {
        let c = match e {
            Ending::Fin => &mut self.fin,
            Ending::Rst => &mut self.rst,
            Ending::Refused => &mut self.refused,
            Ending::HalfClosed => &mut self.half_closed,
            Ending::Open => &mut self.open,
            Ending::Unanswered => &mut self.unanswered,
        };
        *c += 1;
    }

    /// The count for one verdict.
    pub fn get(&self, e: Ending) -> u64 {
        match e {
            Ending::Fin => self.fin,
            Ending::Rst => self.rst,
            Ending::Refused => self.refused,
            Ending::HalfClosed => self.half_closed,
            Ending::Open => self.open,
            Ending::Unanswered => self.unanswered,
        }
    }
}

/// For optional counts that appear in JSON only when something was counted.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Frames that carried no TCP the analyzer could use, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SkipCounts {
    /// Cut before the headers ended (snap length or damage).
    pub truncated: u64,
    /// A link type the decoder does not know.
    pub unknown_link_type: u64,
    /// IP packets of another protocol (UDP, ICMP, ...).
    pub not_tcp: u64,
    /// Of those, IPsec ESP packets (protocol 50): encrypted, so whatever
    /// they carry cannot be analyzed.
    #[serde(skip_serializing_if = "is_zero")]
    pub esp: u64,
    /// Frames that carry no IP (ARP, LLDP, ...).
    pub not_ip: u64,
    /// Headers that contradict themselves.
    pub malformed: u64,
    /// Non-first IP fragments.
    pub fragment: u64,
    /// IPv4 headers with a bad checksum (with checksum validation only).
    pub bad_ip_checksum: u64,
    /// Tunnels recognised but not decapsulated (a header or inner packet
    /// that does not parse, a kind not followed, nesting too deep), all kinds.
    pub tunnels: u64,
    /// Of those, nested deeper than Zeek's `Tunnel::max_depth` (4).
    pub tunnel_too_deep: u64,
    /// GRE (incl. GRE in UDP).
    pub tunnel_gre: u64,
    /// IP in IP.
    pub tunnel_ip_in_ip: u64,
    /// VXLAN.
    pub tunnel_vxlan: u64,
    /// Geneve.
    pub tunnel_geneve: u64,
    /// Teredo.
    pub tunnel_teredo: u64,
    /// GTP-U.
    pub tunnel_gtp: u64,
    /// AYIYA.
    pub tunnel_ayiya: u64,
}

impl SkipCounts {
    /// Counts one skipped frame.
    pub fn add(&mut self, s: Skip) {
        let c = match s {
            Skip::Truncated => &mut self.truncated,
            Skip::UnknownLinkType(_) => &mut self.unknown_link_type,
            Skip::NotTcp(proto) => {
                // IANA protocol 50, RFC 4303.
                if proto == 50 {
                    self.esp += 1;
                }
                &mut self.not_tcp
            }
            Skip::NotIp => &mut self.not_ip,
            Skip::Malformed => &mut self.malformed,
            Skip::Fragment => &mut self.fragment,
            Skip::BadIpChecksum => &mut self.bad_ip_checksum,
            Skip::Tunnel(kind) => {
                self.tunnels += 1;
                match kind {
                    TunnelKind::Gre => &mut self.tunnel_gre,
                    TunnelKind::IpInIp => &mut self.tunnel_ip_in_ip,
                    TunnelKind::Vxlan => &mut self.tunnel_vxlan,
                    TunnelKind::Geneve => &mut self.tunnel_geneve,
                    TunnelKind::Teredo => &mut self.tunnel_teredo,
                    TunnelKind::Gtp => &mut self.tunnel_gtp,
                    TunnelKind::Ayiya => &mut self.tunnel_ayiya,
                }
            }
            Skip::TunnelTooDeep => {
                self.tunnels += 1;
                &mut self.tunnel_too_deep
            }
        };
        *c += 1;
    }
}

/// TCP segments taken out of tunnels, by the outermost tunnel's kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DecapsulatedCounts {
    /// All kinds.
    pub total: u64,
    /// GRE (incl. GRE in UDP).
    pub gre: u64,
    /// IP in IP.
    pub ip_in_ip: u64,
    /// VXLAN.
    pub vxlan: u64,
    /// Geneve.
    pub geneve: u64,
    /// Teredo.
    pub teredo: u64,
    /// GTP-U.
    pub gtp: u64,
    /// AYIYA.
    pub ayiya: u64,
}

impl DecapsulatedCounts {
    /// Counts one segment; `None` (not tunneled) counts nothing.
    #[inline]
    pub fn add(&mut self, tunnel: Option<TunnelKind>) {
        let Some(kind) = tunnel else { return };
        self.total += 1;
        *match kind {
            TunnelKind::Gre => &mut self.gre,
            TunnelKind::IpInIp => &mut self.ip_in_ip,
            TunnelKind::Vxlan => &mut self.vxlan,
            TunnelKind::Geneve => &mut self.geneve,
            TunnelKind::Teredo => &mut self.teredo,
            TunnelKind::Gtp => &mut self.gtp,
            TunnelKind::Ayiya => &mut self.ayiya,
        } += 1;
    }
}

/// Totals for a whole capture.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Frames read from the capture.
    pub frames: u64,
    /// Frames left out by a `--filter` expression.
    pub filtered_out: u64,
    /// TCP segments analyzed (including those with a damaged header).
    pub tcp_segments: u64,
    /// Of the TCP segments, those taken out of tunnels, by kind.
    pub decapsulated: DecapsulatedCounts,
    /// Connections reported (in scope).
    pub connections: u64,
    /// Connections seen but outside the `--port`/`--host` scope.
    pub out_of_scope: u64,
    /// Connections per verdict.
    pub verdicts: VerdictCounts,
    /// Frames skipped, by reason.
    pub skipped: SkipCounts,
    /// Damage in the capture file passed over.
    pub capture_anomalies: CaptureAnomalies,
    /// Oddities counted by the TCP tracker.
    pub flow_anomalies: FlowAnomalies,
    /// Most connections held at once (open, or closed and waiting for
    /// Zeek's timers): what the analyzer's memory follows.
    pub peak_open: u64,
    /// Link types the `--filter` expression does not compile for (their
    /// frames are in `filtered_out`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfilterable: Vec<Unfilterable>,
    /// Timestamps that go back in capture order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_went_back: Option<TimeWentBack>,
    /// What the application stage did, when decoding was on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode: Option<DecodeCounts>,
    /// The QUIC connections, when decoding was on (the flow table keeps no
    /// UDP flows, so they come with the totals). Written as their own
    /// member, never inside the summary.
    #[serde(skip)]
    pub quic: Vec<crate::app::quic::QuicReport>,
    /// The DNS exchanges, when decoding was on; written as their own
    /// member as QUIC's are.
    #[serde(skip)]
    pub dns: Vec<crate::app::dns::DnsExchange>,
    /// What the `--port`/`--host` scope left out of `quic` and `dns`.
    #[serde(flatten)]
    pub udp_scope: UdpScope,
}

/// The application stage's totals over the connections in scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DecodeCounts {
    /// Connections that carried payload.
    pub with_payload: u64,
    /// Of those, connections whose decoding stopped somewhere (a gap,
    /// unreadable bytes): `decode_error` says where and why.
    pub decode_errors: u64,
    /// Connections with a direction that outgrew the reassembly window.
    pub window_overflows: u64,
    /// Holes never filled, over all connections.
    pub gaps: u64,
    /// What the key log did for the TLS connections (`--keylog` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_keys: Option<TlsKeyCounts>,
}

/// TLS connections by what the key log did for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TlsKeyCounts {
    /// Decrypted.
    pub ok: u64,
    /// No secrets for the client random.
    pub missing: u64,
    /// Secrets that fail on the first protected record.
    pub mismatch: u64,
    /// No ServerHello, or a version or suite not decrypted.
    pub unusable: u64,
}

impl DecodeCounts {
    /// Counts one connection's application report.
    pub fn add(&mut self, a: &AppReport) {
        let c = a.conversation.as_ref();
        self.count(
            c.map(|c| (c.decode_error.is_some(), c.tls.as_ref())),
            &a.streams,
        );
    }

    /// Counts one connection's application layer as the analyzer hands it
    /// out, without making its report: the same counts as
    /// [`DecodeCounts::add`] of that report.
    pub fn add_finished(&mut self, a: &crate::app::Finished) {
        let c = a
            .carried_payload()
            .then(|| (a.decode_error().is_some(), a.tls()));
        self.count(c, &a.streams());
    }

    /// `conversation`: whether it has a decoding error, and its TLS
    /// report; `None` without payload.
    fn count(
        &mut self,
        conversation: Option<(bool, Option<&crate::app::tls::TlsReport>)>,
        streams: &[crate::app::StreamFigures; 2],
    ) {
        if let Some((decode_error, tls)) = conversation {
            self.with_payload += 1;
            self.decode_errors += u64::from(decode_error);
            if let Some(k) = tls.and_then(|t| t.keys.as_ref()) {
                let n = self.tls_keys.get_or_insert_default();
                match k.status {
                    crate::app::tls::KeysStatus::Ok => n.ok += 1,
                    crate::app::tls::KeysStatus::Missing => n.missing += 1,
                    crate::app::tls::KeysStatus::Mismatch => n.mismatch += 1,
                    crate::app::tls::KeysStatus::Unusable => n.unusable += 1,
                }
            }
        }
        self.window_overflows += u64::from(streams.iter().any(|s| s.window_overflow));
        self.gaps += streams.iter().map(|s| s.gaps).sum::<u64>();
    }
}

/// The whole result of one analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Connections in id (first-seen) order.
    pub connections: Vec<ConnectionReport>,
    /// Totals.
    pub summary: Summary,
}
