//! The `dns` member: one object per DNS exchange. The names here are a
//! contract like the connections' (README, "DNS"), spelled out in view
//! structs rather than derived from the analyzer's types.

use serde::Serialize;

use crate::app::dns::DnsExchange;
use crate::app::timeline::Moment;
use crate::proto::dns::{RData, Record, SvcParam, SvcParamKey, SvcParamValue, Svcb};

use super::pretty::{duration_value, ts_value};

#[derive(Serialize)]
pub(super) struct DnsView {
    client: String,
    server: String,
    id: Option<u16>,
    first_frame: u64,
    question: Option<QuestionView>,
    query: Option<AtView>,
    repeats: u32,
    answer: Option<AnswerView>,
    elapsed: Option<f64>,
    datagrams: u32,
    malformed: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<ProblemView>,
}

#[derive(Serialize)]
struct QuestionView {
    name: String,
    #[serde(rename = "type")]
    qtype: String,
    class: String,
}

#[derive(Serialize)]
struct AtView {
    frame: u64,
    ts: f64,
}

#[derive(Serialize)]
struct AnswerView {
    frame: u64,
    ts: f64,
    rcode: String,
    authoritative: bool,
    truncated: bool,
    records: Vec<RecordView>,
    authorities: usize,
    additionals: usize,
}

#[derive(Serialize)]
struct RecordView {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    svcb: Option<SvcbView>,
}

/// An SVCB or HTTPS record's fields (RFC 9460 §2.2), the params a client
/// acts on given their own members.
#[derive(Serialize)]
struct SvcbView {
    priority: u16,
    target: String,
    alpn: Vec<String>,
    no_default_alpn: bool,
    port: Option<u16>,
    params: Vec<ParamView>,
}

#[derive(Serialize)]
struct ParamView {
    key: String,
    value: String,
}

#[derive(Serialize)]
struct ProblemView {
    frame: u64,
    from: &'static str,
    error: String,
}

fn at(m: Moment) -> AtView {
    AtView {
        frame: m.frame.get(),
        ts: ts_value(m.ts.0),
    }
}

fn svcb(s: &Svcb) -> SvcbView {
    let alpn = match s.param(SvcParamKey::ALPN) {
        Some(SvcParam::Alpn(ids)) => ids
            .iter()
            .map(|i| String::from_utf8_lossy(i).into_owned())
            .collect(),
        _ => Vec::new(),
    };
    let params = s
        .params
        .iter()
        .map(|p| ParamView {
            key: p.key().to_string(),
            value: SvcParamValue(p).to_string(),
        })
        .collect();
    SvcbView {
        priority: s.priority,
        target: s.target.to_string(),
        alpn,
        no_default_alpn: s.param(SvcParamKey::NO_DEFAULT_ALPN).is_some(),
        port: s.port(),
        params,
    }
}

fn record(r: &Record) -> RecordView {
    RecordView {
        name: r.name.to_string(),
        rtype: r.rtype.to_string(),
        ttl: r.ttl,
        data: r.data.to_string(),
        svcb: match &r.data {
            RData::Svcb(s) => Some(svcb(s)),
            _ => None,
        },
    }
}

impl DnsView {
    pub(super) fn of(x: &DnsExchange) -> Self {
        DnsView {
            client: x.client.to_string(),
            server: x.server.to_string(),
            id: x.id,
            first_frame: x.first_frame(),
            question: x.question.as_ref().map(|q| QuestionView {
                name: q.name.to_string(),
                qtype: q.qtype.to_string(),
                class: q.qclass.to_string(),
            }),
            query: x.query.map(at),
            repeats: x.repeats,
            answer: x.answer.as_ref().map(|a| AnswerView {
                frame: a.at.frame.get(),
                ts: ts_value(a.at.ts.0),
                rcode: a.rcode.to_string(),
                authoritative: a.authoritative,
                truncated: a.truncated,
                records: a.answers.iter().map(record).collect(),
                authorities: a.authorities,
                additionals: a.additionals,
            }),
            elapsed: x.elapsed_ns().map(duration_value),
            datagrams: x.datagrams,
            malformed: x.malformed,
            problems: x
                .problems
                .iter()
                .map(|p| ProblemView {
                    frame: p.frame,
                    from: p.from.name(),
                    error: p.error.to_string(),
                })
                .collect(),
        }
    }
}
