//! The table format's DNS section: one line per exchange (the question,
//! the rcode, the answers as `dig` prints them), above the TCP table, so
//! the listing reads in the order a client goes: the lookup, then the
//! connections.

use std::fmt::Write as _;

use crate::app::dns::DnsExchange;
use crate::proto::dns::RData;

/// An answer record without its owner name, TTL and class: `HTTPS 1 .
/// alpn="h3,h2" port=8443`, `A 127.0.0.1`.
fn record(r: &crate::proto::dns::Record) -> String {
    match &r.data {
        // A CNAME's target is the point of it; its owner is the question.
        RData::Cname(n) => format!("CNAME {n}"),
        data => format!("{} {data}", r.rtype),
    }
}

/// Milliseconds with microsecond digits: `0.105 ms`.
pub(super) fn millis(ns: i64) -> String {
    let us = ns.saturating_add(500).div_euclid(1_000);
    format!("{}.{:03} ms", us.div_euclid(1_000), us.rem_euclid(1_000))
}

fn exchange(n: usize, x: &DnsExchange) -> String {
    let mut s = String::new();
    let id =
        x.id.map_or_else(|| "?".to_owned(), |id| format!("0x{id:04x}"));
    let question = x.question.as_ref().map_or_else(
        || "(no question read)".to_owned(),
        |q| format!("{} {}", q.name, q.qtype),
    );
    let frames = match (x.query, &x.answer) {
        (Some(q), Some(a)) => format!(
            "frames {} → {} ({})",
            q.frame,
            a.at.frame,
            millis(a.at.ts.0 - q.ts.0)
        ),
        (Some(q), None) => format!("frame {}", q.frame),
        (None, Some(a)) => format!("frame {} (query not captured)", a.at.frame),
        (None, None) => format!("frame {}", x.first_frame()),
    };
    let outcome = match &x.answer {
        None => "no answer".to_owned(),
        Some(a) => {
            let mut o = a.rcode.to_string();
            if a.truncated {
                o.push_str(" (truncated)");
            }
            if a.answers.is_empty() {
                o.push_str(", no records");
            } else {
                let rs: Vec<String> = a.answers.iter().map(record).collect();
                let _ = write!(o, ": {}", rs.join("; "));
            }
            o
        }
    };
    let _ = writeln!(
        s,
        "DNS {n}: {} → {}, id {id}, {frames}: {question} → {outcome}",
        x.client, x.server
    );
    if x.repeats > 0 {
        let _ = writeln!(
            s,
            "  repeated before the answer: {} more queries with this id",
            x.repeats
        );
    }
    for p in &x.problems {
        let _ = writeln!(
            s,
            "  frame {} from the {}: not a DNS message: {}",
            p.frame,
            p.from.name(),
            p.error
        );
    }
    if x.malformed as usize > x.problems.len() {
        let _ = writeln!(
            s,
            "  and {} more malformed",
            x.malformed as usize - x.problems.len()
        );
    }
    s
}

/// The section: empty when the capture had no DNS (in scope); each
/// exchange with its number in the capture.
pub fn section<'a>(dns: impl Iterator<Item = (usize, &'a DnsExchange)>) -> String {
    dns.map(|(n, x)| exchange(n, x)).collect()
}
