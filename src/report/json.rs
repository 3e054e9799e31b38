//! The JSON rendering: one document, `{"version": 1, "connections": [...],
//! "summary": {...}}`, or JSON Lines: one connection object per line, then
//! `{"version": 1, "summary": {...}}`.
//!
//! The field names below are a contract (documented in the README); they are
//! spelled out in these view structs rather than derived from internal types,
//! so that refactoring the analyzer cannot rename them by accident. The
//! document itself is written by [`pretty`], a hand-written writer held byte
//! for byte against these views by the tests below.

mod app;
mod connection_view;
mod dns;
mod pretty;
mod quic;
mod quic_keyed;
mod writer;

use std::io::{self, Write};

use serde::Serialize;

use crate::app::quic::QuicReport;

use super::{ConnectionReport, Report, Summary};
use connection_view::{ConnectionView, side_index};
pub use writer::{Kept, write_connections, write_document};

/// The schema version, the first member of each document and of the JSON
/// Lines summary: raised when a field is renamed, removed or changes
/// meaning (adding one does not).
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    connections: Vec<ConnectionView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dns: Vec<dns::DnsView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    quic: Vec<quic::QuicView>,
    summary: &'a Summary,
}

/// The whole report as one pretty-printed JSON document.
pub fn render(report: &Report) -> String {
    let doc = Document {
        version: VERSION,
        connections: report.connections.iter().map(ConnectionView::of).collect(),
        dns: report.summary.dns.iter().map(dns::DnsView::of).collect(),
        quic: report.summary.quic.iter().map(quic::QuicView::of).collect(),
        summary: &report.summary,
    };
    // Serializing these plain structs cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// One connection as a single-line JSON object, the same members as in the
/// document (JSON Lines and live mode print one per finished connection).
pub fn line(c: &ConnectionReport) -> String {
    serde_json::to_string(&ConnectionView::of(c)).unwrap_or_default()
}

/// One QUIC connection as the single-line object of `lab analyze --format
/// json`'s `quic` array (for documents that embed the analyzer's view, as
/// `lab discover --format json` does).
pub fn quic_object(q: &QuicReport) -> String {
    serde_json::to_string(&quic::QuicView::of(q)).unwrap_or_default()
}

/// The DNS exchanges as JSON Lines, `{"version": 1, "dns": {...}}` each,
/// written before the QUIC lines.
///
/// # Errors
///
/// When `out` fails.
pub fn write_dns_lines(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    #[derive(Serialize)]
    struct One {
        version: u32,
        dns: dns::DnsView,
    }
    write_lines(out, s.dns.iter(), |x| One {
        version: VERSION,
        dns: dns::DnsView::of(x),
    })
}

/// The QUIC connections as JSON Lines, `{"version": 1, "quic": {...}}`
/// each, written before the summary's line.
///
/// # Errors
///
/// When `out` fails.
pub fn write_quic_lines(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    #[derive(Serialize)]
    struct One {
        version: u32,
        quic: quic::QuicView,
    }
    write_lines(out, s.quic.iter(), |q| One {
        version: VERSION,
        quic: quic::QuicView::of(q),
    })
}

/// Formats one line at a time into a reused buffer and writes it. Holding
/// every line until the end, as this once did, doubled the peak memory of a
/// keyed QUIC capture (a keyed connection's line is kilobytes: 807 against
/// 421 MiB for `bench/quic`'s 50 000 connections).
fn write_lines<T, V: Serialize>(
    out: &mut impl Write,
    items: impl Iterator<Item = T>,
    view: impl Fn(T) -> V,
) -> io::Result<()> {
    let mut line = Vec::new();
    for item in items {
        line.clear();
        serde_json::to_writer(&mut line, &view(item)).map_err(io::Error::other)?;
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// The summary as a single-line JSON object `{"version": 1, "summary": {...}}`
/// (the last line of JSON Lines).
pub fn summary_line(s: &Summary) -> String {
    #[derive(Serialize)]
    struct Only<'a> {
        version: u32,
        summary: &'a Summary,
    }
    let only = Only {
        version: VERSION,
        summary: s,
    };
    serde_json::to_string(&only).unwrap_or_default()
}

#[cfg(test)]
mod tests;
