//! The JSON rendering: one document, `{"connections": [...], "summary": {...}}`.
//!
//! The field names below are a contract (documented in the README); they are
//! spelled out in these view structs rather than derived from internal types,
//! so that refactoring the analyzer cannot rename them by accident.

use std::io::{self, Write};

use serde::Serialize;

use crate::teardown::{Frames, Reset};

use super::{ConnectionReport, Report, Summary, ZeekRecord};

#[derive(Serialize)]
struct Document<'a> {
    connections: Vec<ConnectionView<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct Bytes {
    client_to_server: u64,
    server_to_client: u64,
}

#[derive(Serialize)]
struct ConnectionView<'a> {
    id: u64,
    client: String,
    server: String,
    client_from_syn: bool,
    ended: &'static str,
    closed_first: Option<&'static str>,
    rst: Option<&'a Reset>,
    client_rst: Option<&'a Reset>,
    server_rst: Option<&'a Reset>,
    bytes: Bytes,
    frames: &'a Frames,
    removed_by: &'static str,
    zeek: ZeekView<'a>,
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
    history: Option<&'a str>,
    orig_pkts: u64,
    orig_ip_bytes: u64,
    resp_pkts: u64,
    resp_ip_bytes: u64,
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
            proto: "tcp",
            duration: z.duration.map(|d| {
                let micros = d.0.saturating_add(500).div_euclid(1_000);
                micros as f64 / 1e6
            }),
            orig_bytes: z.orig_bytes,
            resp_bytes: z.resp_bytes,
            conn_state: z.conn_state.name(),
            history: (!z.history.is_empty()).then_some(z.history.as_str()),
            orig_pkts: z.orig_pkts,
            orig_ip_bytes: z.orig_ip_bytes,
            resp_pkts: z.resp_pkts,
            resp_ip_bytes: z.resp_ip_bytes,
        }
    }
}

impl<'a> ConnectionView<'a> {
    fn of(c: &'a ConnectionReport) -> Self {
        let t = &c.teardown;
        ConnectionView {
            id: c.id,
            client: t.client.to_string(),
            server: t.server.to_string(),
            client_from_syn: t.client_from_syn,
            ended: t.ending.name(),
            closed_first: t.closed_first.map(|r| r.name()),
            rst: t.first_rst.as_ref(),
            client_rst: t.client_rst.as_ref(),
            server_rst: t.server_rst.as_ref(),
            bytes: Bytes {
                client_to_server: t.bytes_client_to_server,
                server_to_client: t.bytes_server_to_client,
            },
            frames: &t.frames,
            removed_by: c.removal.name(),
            zeek: ZeekView::of(&c.zeek),
        }
    }
}

/// The whole report as one pretty-printed JSON document.
pub fn render(report: &Report) -> String {
    let doc = Document {
        connections: report.connections.iter().map(ConnectionView::of).collect(),
        summary: &report.summary,
    };
    // Serializing these plain structs cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Writes the same document as [`render`], one connection at a time, so the
/// caller never holds the whole text (nor every report) at once:
/// `connections` yields the reports in the order they appear.
///
/// # Errors
///
/// When `out` fails.
pub fn write_document(
    out: &mut impl Write,
    connections: impl IntoIterator<Item = ConnectionReport>,
    summary: &Summary,
) -> io::Result<()> {
    out.write_all(b"{\n  \"connections\": [")?;
    let mut buf = Vec::with_capacity(2048);
    let mut any = false;
    for c in connections {
        buf.clear();
        // Serializing these plain structs into a Vec cannot fail.
        let _ = serde_json::to_writer_pretty(&mut buf, &ConnectionView::of(&c));
        out.write_all(if any { b",\n" } else { b"\n" })?;
        any = true;
        // An element of the array, two levels deep: four more spaces.
        write_indented(out, &buf, b"    ", true)?;
    }
    out.write_all(if any {
        b"\n  ],\n  \"summary\": "
    } else {
        b"],\n  \"summary\": "
    })?;
    buf.clear();
    let _ = serde_json::to_writer_pretty(&mut buf, summary);
    // The value of a member one level deep: its first line follows the key.
    write_indented(out, &buf, b"  ", false)?;
    out.write_all(b"\n}")
}

/// Writes `text` line by line with `indent` before each line (but the first
/// when `first` is false).
fn write_indented(out: &mut impl Write, text: &[u8], indent: &[u8], first: bool) -> io::Result<()> {
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        if i > 0 || first {
            out.write_all(indent)?;
        }
        out.write_all(line)?;
    }
    Ok(())
}

/// One connection as a single-line JSON object (live mode prints one per
/// finished connection).
pub fn line(c: &ConnectionReport) -> String {
    serde_json::to_string(&ConnectionView::of(c)).unwrap_or_default()
}

/// The summary as a single-line JSON object `{"summary": {...}}`.
pub fn summary_line(s: &Summary) -> String {
    #[derive(Serialize)]
    struct Only<'a> {
        summary: &'a Summary,
    }
    serde_json::to_string(&Only { summary: s }).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::flow::{ConnState, Removal};
    use crate::teardown::{Ending, Frames, Teardown};
    use crate::wire::Endpoint;

    fn report(id: u64) -> ConnectionReport {
        let ep = |port| Endpoint {
            addr: "10.0.0.1".parse().unwrap(),
            port,
        };
        ConnectionReport {
            id,
            teardown: Teardown {
                ending: Ending::Fin,
                client: ep(40000),
                server: ep(80),
                client_from_syn: true,
                closed_first: None,
                first_rst: None,
                client_rst: None,
                server_rst: None,
                bytes_client_to_server: 3,
                bytes_server_to_client: 4,
                frames: Frames::default(),
            },
            zeek: ZeekRecord {
                ts: Timestamp(1_000_000_000),
                orig: ep(40000),
                resp: ep(80),
                duration: None,
                orig_bytes: None,
                resp_bytes: None,
                conn_state: ConnState::SF,
                history: "ShAFf".into(),
                orig_pkts: 3,
                orig_ip_bytes: 120,
                resp_pkts: 2,
                resp_ip_bytes: 80,
            },
            removal: Removal::CloseTimer,
        }
    }

    #[test]
    fn streamed_document_is_byte_for_byte_the_rendered_one() {
        for n in [0, 1, 3] {
            let report = Report {
                connections: (1..=n).map(report).collect(),
                summary: Summary::default(),
            };
            let mut out = Vec::new();
            write_document(&mut out, report.connections.clone(), &report.summary).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                render(&report),
                "{n} connections"
            );
        }
    }
}
