//! `lab reset --format json`: one versioned document per invocation.
//!
//! Where a field means what a field of `lab analyze --format json` means, it
//! has that field's name and shape (`ended`, `closed_first`, `rst`,
//! `zeek.conn_state`, `zeek.history`, and the connections themselves, which
//! are the analyzer's own objects), so one `jq` filter reads both.

use serde_json::{Value, json};

use super::Proto;
use super::run::ResetRun;
use crate::flow::ConnState;
use crate::report::json as report_json;

/// The schema version of the document; bumped when a field changes meaning
/// or disappears (new fields do not bump it).
pub const VERSION: u32 = 1;

/// What a `--repeat` series adds to the run it shows.
#[derive(Clone, Debug)]
pub struct Series {
    /// Runs asked for.
    pub repeat: usize,
    /// Runs whose verdict matched `expect` (or the first run's verdict).
    pub matched: usize,
    /// The `--expect` values, comma-separated as given, if any.
    pub expect: Option<String>,
    /// Runs with at least one disagreement between the witnesses.
    pub runs_with_disagreements: usize,
}

/// The document for `shown` (the first run that missed, or the first run).
pub fn json(shown: &ResetRun, series: &Series) -> Value {
    let r = shown;
    let v = &r.verdict;
    let first = r.connections.first().map(|c| &c.teardown);
    let connections: Vec<Value> = r
        .connections
        .iter()
        .map(|c| serde_json::from_str(&report_json::line(c)).unwrap_or(Value::Null))
        .collect();
    let history = (!v.history.is_empty()).then_some(v.history.as_str());
    let mut doc = json!({
        "version": VERSION,
        "run": {
            "mode": r.mode,
            "framing": r.framing,
            "server": r.server,
            "verdict": {
                "ended": v.ending_name(),
                "closed_first": first.and_then(|t| t.closed_first).map(|s| s.name()),
                // The analyzer's own RST object (with what it destroyed).
                "rst": connections.first().map_or(Value::Null, |c| c["rst"].clone()),
                "deciding_frames": v.frames,
                "zeek": {
                    "conn_state": v.conn_state.map_or("-", ConnState::name),
                    "history": history,
                },
                "reason": v.reason,
                "citation": v.citation,
            },
            "connections": connections,
            "ladder": r.ladder,
            "client": r.client,
            "server_log": r.server_log,
            "kernel": r.kernel,
            "disagreements": r.disagreements,
            "frames": r.frames,
            "dropped": r.dropped,
            "teardown_seen": r.teardown_seen,
            "pcap": r.pcap,
            "elapsed_ms": r.elapsed_ms,
        },
        "repeat": series.repeat,
        "matched": series.matched,
        "expect": series.expect,
        "runs_with_disagreements": series.runs_with_disagreements,
    });
    // HTTP/1 documents stay as they were; HTTP/2 runs add their protocol and
    // what the server's log says the connection did.
    if r.proto != Proto::H1 {
        doc["run"]["proto"] = json!(r.proto);
        doc["run"]["server_h2"] = json!(r.server_h2);
    }
    // TLS runs add their TLS side; cleartext documents stay as they were.
    if let Some(t) = &r.tls {
        doc["run"]["tls"] = json!(t);
    }
    // Runs through a proxy add both legs' verdicts and its error log (the
    // fourth witness); `verdict` is the upstream leg's, the server's side.
    if let Some(p) = &r.proxy {
        doc["run"]["proxy"] = json!(p);
    }
    doc
}
