//! `lab discover --format json`: one versioned document per run.
//!
//! As in `lab reset --format json`, where a field means what a field of
//! `lab analyze --format json` means it is that field: each connection
//! carries the analyzer's own object (`analyzer`), so one `jq` filter reads
//! both. Beside it, the lab's summary of that connection (protocol, ALPN,
//! the responses, the ending in the lab's words) and the run's facts: the
//! DNS answers, the Alt-Svc field, the verdict (the same [`Verdict`] the
//! text prints), the witnesses and each `--expect` with its result.

use serde::Serialize;
use serde_json::Value;

use super::clients::ClientSaw;
use super::expect::Expect;
use super::render::quic_ending;
use super::run::DiscoverRun;
use super::timeline::{DnsSeen, TcpSeen, client_idle_ms, close_kind};
use super::verdict::Verdict;
use crate::app::quic::QuicReport;
use crate::dns_server::DnsRecord;
use crate::labs::netns::Isolation;
use crate::report::json as report_json;
use crate::server::{H3Close, Record};

/// The schema version; bumped when a field changes meaning or disappears
/// (new fields do not bump it).
pub const VERSION: u32 = 1;

/// The whole document.
#[derive(Serialize)]
pub struct Document<'a> {
    /// [`VERSION`].
    pub version: u32,
    /// What was run, and where.
    pub run: RunFacts,
    /// Every DNS query and answer to the responder, in capture order.
    pub dns: Vec<DnsMessage>,
    /// The Alt-Svc field of the TCP response.
    pub alt_svc: AltSvcFacts,
    /// Every connection to the server, TCP then QUIC, each in capture order.
    pub connections: Vec<ConnectionFacts>,
    /// The verdict line's facts, and the line itself.
    pub verdict: VerdictFacts,
    /// The client's, the server's and the responder's own accounts.
    pub witnesses: Witnesses<'a>,
    /// Each `--expect`, with whether it was met.
    pub expect: Vec<ExpectResult>,
}

/// What was run, and where.
#[derive(Serialize)]
pub struct RunFacts {
    /// `own`, `gtlsclient`, `aioquic`, `curl` or `dig`.
    pub client: &'static str,
    /// The server's QUIC ending choice.
    pub h3_close: H3Close,
    /// The max_idle_timeout the server announced.
    pub h3_idle_timeout_ms: u128,
    /// The server's TCP and UDP address.
    pub server: String,
    /// The DNS responder's address.
    pub dns: String,
    /// Whether the run had a network namespace of its own.
    pub own_namespace: bool,
    /// Why not, when it had none.
    pub isolation_note: Option<String>,
    /// Frames in the capture.
    pub frames: u64,
    /// Frames libpcap dropped.
    pub dropped: u32,
    /// The kept capture (`--out`).
    pub pcap: Option<String>,
    /// The kept server key log (`--out`).
    pub keylog: Option<String>,
    /// Wall time of the run.
    pub elapsed_ms: f64,
}

/// One DNS message.
#[derive(Serialize)]
pub struct DnsMessage {
    /// Its frame.
    pub frame: u64,
    /// Its sender.
    pub from: String,
    /// `NAME TYPE`.
    pub question: String,
    /// `query` or `answer`.
    pub kind: &'static str,
    /// For an answer, its response code.
    pub rcode: Option<String>,
    /// For an answer, its records in presentation format.
    pub answers: Vec<String>,
    /// For an answer with an HTTPS record (ServiceMode), the protocols it
    /// names: its `alpn` list, then `http/1.1` unless `no-default-alpn`
    /// (RFC 9460 §7.1.2).
    pub https_protocols: Option<Vec<String>>,
}

/// The Alt-Svc field: where each copy of it came from.
#[derive(Serialize)]
pub struct AltSvcFacts {
    /// As the capture shows it, read inside TLS with the key log.
    pub in_capture: Option<String>,
    /// As the client received it.
    pub received: Option<String>,
    /// curl's `--alt-svc` cache entry.
    pub curl_cache: Option<String>,
}

/// One connection: the lab's summary, then the analyzer's object.
#[derive(Serialize)]
pub struct ConnectionFacts {
    /// `tcp` (TLS over TCP) or `quic`.
    pub protocol: &'static str,
    /// Client address.
    pub client: String,
    /// Server address.
    pub server: String,
    /// The first frame of the connection.
    pub first_frame: u64,
    /// The ClientHello's SNI.
    pub sni: Option<String>,
    /// The ALPN names the client offered.
    pub alpn_offered: Vec<String>,
    /// The ALPN the server chose (read with the key log).
    pub alpn: Option<String>,
    /// The responses read inside the connection.
    pub responses: Vec<Response>,
    /// How it ended.
    pub ending: EndingFacts,
    /// The analyzer's object, as `lab analyze --format json` writes it
    /// (`connections[]` for TCP, `quic[]` for QUIC).
    pub analyzer: Value,
}

/// One response.
#[derive(Serialize)]
pub struct Response {
    /// HTTP/3 stream ID (none over TCP).
    pub stream: Option<u64>,
    /// The request's method.
    pub method: Option<String>,
    /// The request's path.
    pub path: Option<String>,
    /// The status.
    pub status: Option<u16>,
    /// Response body bytes (HTTP/3).
    pub body_bytes: Option<u64>,
    /// The frame of the response (HTTP/3).
    pub frame: Option<u64>,
}

/// A connection's ending.
#[derive(Serialize)]
pub struct EndingFacts {
    /// The analyzer's name: `fin`, `rst`, ... for TCP; `connection_close`,
    /// `stateless_reset`, `idle_timeout`, ... for QUIC.
    pub ended: &'static str,
    /// QUIC: which of the server's four endings the packets show.
    pub kind: Option<H3Close>,
    /// QUIC: the CONNECTION_CLOSE's sender, code and frame type.
    pub connection_close: Option<CloseFacts>,
    /// QUIC: the client's max_idle_timeout, from its Initial.
    pub client_max_idle_timeout_ms: Option<u64>,
    /// The line the text report prints.
    pub words: String,
}

/// A CONNECTION_CLOSE.
#[derive(Serialize)]
pub struct CloseFacts {
    /// `client` or `server`.
    pub by: &'static str,
    /// Its error code.
    pub code: u64,
    /// Frame type 0x1d (application) rather than 0x1c (transport).
    pub application: bool,
    /// The code's name (RFC 9000 §20, RFC 9114 §8.1).
    pub name: Option<String>,
    /// Its reason phrase.
    pub reason: String,
    /// The capture frame that carried it.
    pub frame: u64,
}

/// The verdict.
#[derive(Serialize)]
pub struct VerdictFacts {
    /// Its facts.
    #[serde(flatten)]
    pub facts: Verdict,
    /// The line the text report prints after `VERDICT`.
    pub text: String,
}

/// The witnesses.
#[derive(Serialize)]
pub struct Witnesses<'a> {
    /// What the client said it saw.
    pub client: &'a ClientSaw,
    /// The server's event log, as `lab serve` writes it.
    pub server_log: Vec<String>,
    /// The DNS responder's event log, as `lab dns` writes it.
    pub dns_log: Vec<String>,
}

/// One `--expect`.
#[derive(Serialize)]
pub struct ExpectResult {
    /// Its word.
    pub name: String,
    /// Whether the run met it.
    pub met: bool,
    /// What the run showed instead, when not.
    pub seen: Option<String>,
}

/// The document of `r`, held to `expects`.
pub fn document<'a>(r: &'a DiscoverRun, expects: &[Expect]) -> Document<'a> {
    let t = &r.timeline;
    let verdict = Verdict::of(r);
    let mut connections: Vec<ConnectionFacts> = t.tcp.iter().map(tcp).collect();
    connections.extend(t.quic.iter().map(quic));
    Document {
        version: VERSION,
        run: RunFacts {
            client: r.options.client.as_str(),
            h3_close: r.options.h3_close,
            h3_idle_timeout_ms: r.options.h3_idle_timeout.as_millis(),
            server: r.server.to_string(),
            dns: r.dns.to_string(),
            own_namespace: r.isolation == Isolation::PrivateNamespace,
            isolation_note: r.isolation_note.clone(),
            frames: t.frames,
            dropped: r.dropped,
            pcap: r.kept.as_ref().map(|k| k.pcap.display().to_string()),
            keylog: r.kept.as_ref().map(|k| k.keylog.display().to_string()),
            elapsed_ms: r.elapsed_ms,
        },
        dns: t.dns.iter().map(dns).collect(),
        alt_svc: AltSvcFacts {
            in_capture: t.tcp.iter().find_map(|c| c.alt_svc().map(str::to_string)),
            received: r.client.tcp.as_ref().and_then(|f| f.alt_svc.clone()),
            curl_cache: r.client.tcp.as_ref().and_then(|f| f.cache_line.clone()),
        },
        connections,
        verdict: VerdictFacts {
            facts: verdict,
            text: verdict.words(),
        },
        witnesses: Witnesses {
            client: &r.client,
            server_log: r.server_log.iter().map(Record::to_text).collect(),
            dns_log: r.dns_log.iter().map(DnsRecord::to_text).collect(),
        },
        expect: expects
            .iter()
            .map(|e| {
                let seen = e.check(r);
                ExpectResult {
                    name: e.name(),
                    met: seen.is_none(),
                    seen,
                }
            })
            .collect(),
    }
}

fn dns(m: &DnsSeen) -> DnsMessage {
    let https_protocols = m.https().map(|s| {
        s.https_protocols()
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    });
    DnsMessage {
        frame: m.frame,
        from: m.from.to_string(),
        question: m.question(),
        kind: if m.answer.is_some() {
            "answer"
        } else {
            "query"
        },
        rcode: m.answer.as_ref().map(|(rcode, _)| rcode.to_string()),
        answers: m
            .answer
            .iter()
            .flat_map(|(_, records)| records.iter().map(|a| a.to_string()))
            .collect(),
        https_protocols,
    }
}

fn tcp(c: &TcpSeen) -> ConnectionFacts {
    let t = c.teardown();
    ConnectionFacts {
        protocol: "tcp",
        client: t.client.to_string(),
        server: t.server.to_string(),
        first_frame: t.frames.first,
        sni: c.sni().map(|s| s.into_owned()),
        alpn_offered: c.alpn_offered(),
        alpn: c.alpn_chosen(),
        responses: c
            .status()
            .map(|status| Response {
                stream: None,
                method: None,
                path: None,
                status: Some(status),
                body_bytes: None,
                frame: None,
            })
            .into_iter()
            .collect(),
        ending: EndingFacts {
            ended: t.ending.name(),
            kind: None,
            connection_close: None,
            client_max_idle_timeout_ms: None,
            words: c.verdict(),
        },
        analyzer: serde_json::from_str(&report_json::line(&c.report)).unwrap_or(Value::Null),
    }
}

fn quic(q: &QuicReport) -> ConnectionFacts {
    let responses = q
        .http3
        .iter()
        .flat_map(|h| &h.exchanges)
        .map(|e| Response {
            stream: Some(e.stream),
            method: e.method.clone(),
            path: e.path.clone(),
            status: e.status,
            body_bytes: Some(e.response_body),
            frame: e.response_frame,
        })
        .collect();
    ConnectionFacts {
        protocol: "quic",
        client: q.client.to_string(),
        server: q.server.to_string(),
        first_frame: q.first_frame,
        sni: q.sni.clone(),
        alpn_offered: q.alpn_offered.clone(),
        alpn: q.alpn.clone(),
        responses,
        ending: EndingFacts {
            ended: q.ending.name(),
            kind: close_kind(q),
            connection_close: q.close.as_ref().map(|c| CloseFacts {
                by: match c.by {
                    crate::proto::quic::Side::Client => "client",
                    crate::proto::quic::Side::Server => "server",
                },
                code: c.close.code,
                application: c.close.application,
                name: q.close_name(),
                reason: c.close.reason.clone(),
                frame: c.frame,
            }),
            client_max_idle_timeout_ms: client_idle_ms(q),
            words: quic_ending(q),
        },
        analyzer: serde_json::from_str(&report_json::quic_object(q)).unwrap_or(Value::Null),
    }
}
