//! What the capture shows, read as `lab analyze --keylog` reads it: the
//! DNS exchanges with the responder, the TCP connections to the server (TLS
//! hello, the HTTP status inside, the FIN or RST verdict) and the QUIC
//! connections (the Initial's SNI, ALPN and transport parameters, the
//! HTTP/3 response, the ending), each with its frame numbers. One pass of
//! the analyzer gives all three.

use std::path::Path;
use std::sync::Arc;

use crate::analyze::{self, AnalyzeOptions};
use crate::app::AppOptions;
use crate::app::dns::DnsExchange;
use crate::app::quic::{QuicEnding, QuicReport};
use crate::capture;
use crate::flow::ConnState;
use crate::proto::dns::{Question, RData, RType, Rcode, Record, Svcb};
use crate::proto::quic::{Side, TransportParameter};
use crate::report::ConnectionReport;
use crate::server::H3Close;
use crate::teardown::{Ending, Role, Teardown};
use crate::tls_decrypt::KeyLog;
use crate::wire::Endpoint;

/// Where the DNS lines of the timeline came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsSource {
    /// The analyzer's DNS exchanges (`Summary::dns`), as `lab analyze`
    /// shows them.
    Analyzer,
}

/// One DNS message in the capture: a query, or its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsSeen {
    /// Its frame.
    pub frame: u64,
    /// Its sender.
    pub from: Endpoint,
    /// The exchange's question.
    pub question: Option<Question>,
    /// For an answer, its response code and answer records; `None` for a
    /// query.
    pub answer: Option<(Rcode, Vec<Record>)>,
}

impl DnsSeen {
    /// The question, as `NAME TYPE`.
    pub fn question(&self) -> String {
        self.question.as_ref().map_or_else(
            || "(no question)".into(),
            |q| format!("{} {}", q.name, q.qtype),
        )
    }

    /// The HTTPS record in the answer, if any (ServiceMode).
    pub fn https(&self) -> Option<&Svcb> {
        self.answer.as_ref()?.1.iter().find_map(|r| match &r.data {
            RData::Svcb(s) if r.rtype == RType::HTTPS && !s.is_alias() => Some(s),
            _ => None,
        })
    }
}

/// One TCP connection to the server's port.
#[derive(Clone, Debug)]
pub struct TcpSeen {
    /// The analyzer's report.
    pub report: ConnectionReport,
}

impl TcpSeen {
    /// The verdict.
    pub fn teardown(&self) -> &Teardown {
        &self.report.teardown
    }

    fn tls(&self) -> Option<&crate::app::tls::TlsReport> {
        self.report
            .app
            .as_ref()?
            .conversation
            .as_ref()?
            .tls
            .as_ref()
    }

    /// The ClientHello's SNI.
    pub fn sni(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.tls()?.sni()
    }

    /// The ALPN list offered.
    pub fn alpn_offered(&self) -> Vec<String> {
        self.tls()
            .and_then(|t| t.alpn_offered())
            .map(|names| names.map(|n| n.into_owned()).collect())
            .unwrap_or_default()
    }

    /// The ALPN chosen, as the analyzer read it (`unknown (encrypted)`
    /// without the key log).
    pub fn alpn_chosen(&self) -> Option<String> {
        Some(self.tls()?.alpn_chosen.as_ref()?.text().to_string())
    }

    /// The first response's status, read inside TLS with the key log.
    pub fn status(&self) -> Option<u16> {
        let conv = self.report.app.as_ref()?.conversation.as_ref()?;
        conv.exchanges.iter().find_map(|e| e.status)
    }

    /// The first response's `Alt-Svc` as the capture shows it (inside TLS:
    /// read with the key log).
    pub fn alt_svc(&self) -> Option<&str> {
        let conv = self.report.app.as_ref()?.conversation.as_ref()?;
        conv.exchanges.iter().find_map(|e| e.alt_svc.as_deref())
    }

    /// The verdict in `lab reset`'s words: `fin, the server closed first,
    /// frames 8 and 12`, `rst by the client (unread_data), frame 9`.
    pub fn verdict(&self) -> String {
        let t = self.teardown();
        let f = &t.frames;
        match (t.ending, t.first_rst) {
            (Ending::Rst, Some(r)) => format!(
                "rst by the {} ({}), frame {}",
                r.sender,
                r.phase.name(),
                r.frame
            ),
            (Ending::Fin, _) => {
                let (first, second) = match t.closed_first {
                    Some(Role::Client) => (f.client_fin, f.server_fin),
                    _ => (f.server_fin, f.client_fin),
                };
                let who = t
                    .closed_first
                    .map_or(String::new(), |r| format!(", the {r} closed first"));
                match (first, second) {
                    (Some(a), Some(b)) => format!("fin{who}, frames {a} and {b}"),
                    _ => format!("fin{who}"),
                }
            }
            (e, _) => e.name().to_string(),
        }
    }

    /// Zeek's conn_state and history.
    pub fn zeek(&self) -> (ConnState, &str) {
        (self.report.zeek.conn_state, &self.report.zeek.history)
    }
}

/// How the lab names a QUIC ending: the server's four choices
/// ([`H3Close`]), told from the packets alone.
pub fn close_kind(q: &QuicReport) -> Option<H3Close> {
    match q.ending {
        QuicEnding::ConnectionClose => {
            let c = q.close.as_ref()?;
            // RFC 9114 §8.1: H3_NO_ERROR is the graceful close; any other
            // code from the server is an abrupt one.
            (c.by == Side::Server).then_some(if c.close.application && c.close.code == 0x100 {
                H3Close::Graceful
            } else {
                H3Close::Abrupt
            })
        }
        QuicEnding::IdleTimeout => Some(H3Close::Idle),
        QuicEnding::StatelessReset => Some(H3Close::StatelessReset),
        _ => None,
    }
}

/// The client's max_idle_timeout, from its Initial's transport
/// parameters (readable by anyone on the path).
pub fn client_idle_ms(q: &QuicReport) -> Option<u64> {
    q.transport_parameters.iter().find_map(|p| match p {
        TransportParameter::MaxIdleTimeout(ms) => Some(*ms),
        _ => None,
    })
}

/// Everything the capture shows.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Where [`Timeline::dns`] came from.
    pub dns_source: Option<DnsSource>,
    /// DNS messages to and from the responder.
    pub dns: Vec<DnsSeen>,
    /// TCP connections to the server.
    pub tcp: Vec<TcpSeen>,
    /// QUIC connections to the server.
    pub quic: Vec<QuicReport>,
    /// Frames in the capture.
    pub frames: u64,
}

/// Why the capture could not be read.
pub type ReadError = analyze::Error;

/// Reads the saved capture at `pcap`.
///
/// # Errors
///
/// A capture that cannot be read.
pub fn read(
    pcap: &Path,
    keylog: Option<Arc<KeyLog>>,
    server_port: u16,
    dns_port: u16,
) -> Result<Timeline, ReadError> {
    let opts = AnalyzeOptions {
        app: Some(AppOptions {
            keylog,
            ..AppOptions::default()
        }),
        ..AnalyzeOptions::default()
    };
    let mut source = capture::open_file(pcap)?;
    let report = analyze::analyze(&mut source, &opts)?;
    let tcp = report
        .connections
        .into_iter()
        .filter(|c| c.teardown.server.port == server_port)
        .map(|report| TcpSeen { report })
        .collect();
    let quic = report
        .summary
        .quic
        .into_iter()
        .filter(|q| q.server.port == server_port)
        .collect();
    Ok(Timeline {
        dns_source: Some(DnsSource::Analyzer),
        dns: dns_messages(report.summary.dns, dns_port),
        tcp,
        quic,
        frames: report.summary.frames,
    })
}

/// The queries and answers of the exchanges with the responder on `port`,
/// in frame order. A message that did not decode is counted by the
/// analyzer, not shown here: the responder's own log tells what it made of
/// it.
fn dns_messages(exchanges: Vec<DnsExchange>, port: u16) -> Vec<DnsSeen> {
    let mut seen = Vec::new();
    for x in exchanges.into_iter().filter(|x| x.server.port == port) {
        if let Some(q) = x.query {
            seen.push(DnsSeen {
                frame: q.frame.get(),
                from: x.client,
                question: x.question.clone(),
                answer: None,
            });
        }
        if let Some(a) = x.answer {
            seen.push(DnsSeen {
                frame: a.at.frame.get(),
                from: x.server,
                question: x.question,
                answer: Some((a.rcode, a.answers)),
            });
        }
    }
    seen.sort_by_key(|m| m.frame);
    seen
}
