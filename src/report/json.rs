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
mod dns;
mod pretty;
mod quic;
mod quic_keyed;

use std::io::{self, Write};
use std::sync::mpsc;

use serde::Serialize;

use crate::app::quic::QuicReport;
use crate::flow::Connection;
use crate::teardown::{Frames, Reset, Role};

use super::{ConnectionReport, Report, Summary, ZeekRecord};

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
fn side_index(r: Role) -> usize {
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
    fn of(c: &'a ConnectionReport) -> Self {
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
    write_objects(
        out,
        connections,
        |buf, c| pretty::append_connection(buf, &pretty::View::of_report(&c)),
        summary,
    )
}

/// A finished connection kept for the document, with its application
/// layer when decoded.
pub type Kept = (Connection, Option<Box<crate::app::AppReport>>);

/// Writes the document of finished connection records in id (first-seen)
/// order, whatever the order of `records`, without building a
/// [`ConnectionReport`] for each: the same text as [`write_document`] of
/// their reports sorted by id.
///
/// The records are all at hand, so a second thread formats every other
/// block of them while this one formats the others and writes them all in
/// order: formatting, not writing, is most of the cost.
///
/// # Errors
///
/// When `out` fails.
pub fn write_connections(
    out: &mut impl Write,
    records: &[Kept],
    summary: &Summary,
) -> io::Result<()> {
    write_connections_in_blocks(out, records, summary, 1024)
}

/// [`write_connections`] with `block` connections per block.
fn write_connections_in_blocks(
    out: &mut impl Write,
    records: &[Kept],
    summary: &Summary,
    block: usize,
) -> io::Result<()> {
    let order = id_order(records);
    let block = block.max(1);
    // Block `n` of the array, separators included.
    let format = |buf: &mut pretty::Block, n: usize, part: &[usize]| {
        buf.clear();
        for (k, &i) in part.iter().enumerate() {
            buf.bytes(if n + k > 0 { b",\n    " } else { b"\n    " });
            if let Some((c, app)) = records.get(i) {
                pretty::append_connection(buf, &pretty::View::of_connection(c, app.as_deref()));
            }
        }
    };
    write_start(out)?;
    let blocks: Vec<&[usize]> = order.chunks(block).collect();
    in_two_threads(out, blocks.len(), |buf, n| {
        if let Some(part) = blocks.get(n) {
            format(buf, n * block, part);
        }
    })?;
    write_tail(out, !order.is_empty(), summary)
}

/// Writes blocks `0..blocks` of text in order, `format` filling each: a
/// second thread formats every odd block while this one formats the even
/// ones and writes them all (formatting, not writing, is most of the
/// cost). Two formatted blocks at most wait for the writer.
fn in_two_threads(
    out: &mut impl Write,
    blocks: usize,
    format: impl Fn(&mut pretty::Block, usize) + Sync,
) -> io::Result<()> {
    let format = &format;
    std::thread::scope(|s| -> io::Result<()> {
        let (done_tx, done_rx) = mpsc::sync_channel::<pretty::Block>(2);
        let (spare_tx, spare_rx) = mpsc::channel::<pretty::Block>();
        s.spawn(move || {
            for n in (1..blocks).step_by(2) {
                let mut buf = spare_rx.try_recv().unwrap_or_default();
                buf.clear();
                format(&mut buf, n);
                // The writer stops taking blocks only when `out` failed.
                if done_tx.send(buf).is_err() {
                    return;
                }
            }
        });
        let mut own = pretty::Block::default();
        for n in 0..blocks {
            if n % 2 == 0 {
                own.clear();
                format(&mut own, n);
                out.write_all(own.as_bytes())?;
            } else {
                // The helper sends every odd block unless it panicked,
                // which the scope then reports.
                let Ok(buf) = done_rx.recv() else {
                    break;
                };
                out.write_all(buf.as_bytes())?;
                let _ = spare_tx.send(buf);
            }
        }
        Ok(())
    })
}

/// The indices of `records` in id order. Ids are unique and, kept from one
/// capture, nearly all of a range: each record then goes straight to its
/// place. Otherwise (ids scattered by a `--port`/`--host` scope) the indices
/// are sorted by id: 16-byte keys, not the 224-byte records themselves,
/// whose moves cost a tenth of the run.
fn id_order(records: &[Kept]) -> Vec<usize> {
    let lo = records.iter().map(|k| k.0.id()).min().unwrap_or(0);
    let hi = records.iter().map(|k| k.0.id()).max().unwrap_or(0);
    let span = usize::try_from(hi - lo).unwrap_or(usize::MAX);
    if span < records.len().saturating_mul(2) {
        let mut at = vec![usize::MAX; span + 1];
        for (i, (c, _)) in records.iter().enumerate() {
            // id - lo <= span, an index of `at`.
            if let Some(slot) = at.get_mut((c.id() - lo) as usize) {
                *slot = i;
            }
        }
        let order: Vec<usize> = at.into_iter().filter(|&i| i != usize::MAX).collect();
        // Two records with one id would have shared a place: sort instead.
        if order.len() == records.len() {
            return order;
        }
    }
    let mut keyed: Vec<(u64, usize)> = records.iter().map(|k| k.0.id()).zip(0..).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The document around the connection objects that `append` writes.
fn write_objects<T>(
    out: &mut impl Write,
    items: impl IntoIterator<Item = T>,
    mut append: impl FnMut(&mut pretty::Block, T),
    summary: &Summary,
) -> io::Result<()> {
    write_start(out)?;
    // Objects are gathered into blocks of about this size, so that `out`
    // sees few large writes.
    const BLOCK: usize = 64 * 1024;
    let mut buf = pretty::Block::default();
    let mut any = false;
    for c in items {
        buf.bytes(if any { b",\n    " } else { b"\n    " });
        any = true;
        append(&mut buf, c);
        if buf.as_bytes().len() >= BLOCK {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
    }
    out.write_all(buf.as_bytes())?;
    write_tail(out, any, summary)
}

/// The document up to the connections array's opening bracket.
fn write_start(out: &mut impl Write) -> io::Result<()> {
    write!(out, "{{\n  \"version\": {VERSION},\n  \"connections\": [")
}

/// The end of the connections array (`any`: it was not empty), the QUIC
/// connections when there were any, and the summary.
fn write_tail(out: &mut impl Write, any: bool, summary: &Summary) -> io::Result<()> {
    out.write_all(if any { b"\n  ]" } else { b"]" })?;
    if !summary.dns.is_empty() {
        out.write_all(b",\n  \"dns\": ")?;
        write_array(out, summary.dns.iter().map(dns::DnsView::of))?;
    }
    if !summary.quic.is_empty() {
        out.write_all(b",\n  \"quic\": ")?;
        write_quic_array(out, &summary.quic)?;
    }
    out.write_all(b",\n  \"summary\": ")?;
    let mut buf = Vec::with_capacity(2048);
    let _ = serde_json::to_writer_pretty(&mut buf, summary);
    // The value of a member one level deep: its first line follows the key.
    write_indented(out, &buf, b"  ", false)?;
    out.write_all(b"\n}")
}

/// A non-empty array, the value of a member one level deep, one element
/// at a time: the text serde_json's pretty printer gives for the whole
/// array, indented as [`write_indented`] would, without holding the
/// views or their text (with a key log, QUIC's run to tens of kilobytes
/// a connection). An element alone is printed from indent level 0; in the
/// array it sits two levels deeper, four spaces. serde_json escapes line
/// breaks inside strings, so each line break is one of the printer's.
fn write_array<T: Serialize>(
    out: &mut impl Write,
    items: impl Iterator<Item = T>,
) -> io::Result<()> {
    out.write_all(b"[")?;
    let mut buf = Vec::with_capacity(4096);
    let mut any = false;
    for item in items {
        out.write_all(if any { b",\n" } else { b"\n" })?;
        any = true;
        buf.clear();
        let _ = serde_json::to_writer_pretty(&mut buf, &item);
        write_indented(out, &buf, b"    ", true)?;
    }
    out.write_all(if any { b"\n  ]" } else { b"]" })
}

/// The `quic` array, written by hand ([`pretty::append_quic`]): the same
/// text as [`write_array`] of the serde views, gathered into blocks so
/// that `out` sees few large writes.
fn write_quic_array(out: &mut impl Write, quic: &[QuicReport]) -> io::Result<()> {
    // About 12 KB of text each with a key log, 3 KB without.
    const BLOCK: usize = 64;
    if quic.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let blocks: Vec<&[QuicReport]> = quic.chunks(BLOCK).collect();
    in_two_threads(out, blocks.len(), |buf, n| {
        for (k, q) in blocks
            .get(n)
            .copied()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            buf.bytes(if n + k > 0 { b",\n    " } else { b"\n    " });
            pretty::append_quic(buf, q);
        }
    })?;
    out.write_all(b"\n  ]")
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
pub fn dns_lines(s: &Summary) -> Vec<String> {
    #[derive(Serialize)]
    struct One {
        version: u32,
        dns: dns::DnsView,
    }
    s.dns
        .iter()
        .map(|x| {
            serde_json::to_string(&One {
                version: VERSION,
                dns: dns::DnsView::of(x),
            })
            .unwrap_or_default()
        })
        .collect()
}

/// The QUIC connections as JSON Lines, `{"version": 1, "quic": {...}}`
/// each, written before the summary's line.
pub fn quic_lines(s: &Summary) -> Vec<String> {
    #[derive(Serialize)]
    struct One {
        version: u32,
        quic: quic::QuicView,
    }
    s.quic
        .iter()
        .map(|q| {
            serde_json::to_string(&One {
                version: VERSION,
                quic: quic::QuicView::of(q),
            })
            .unwrap_or_default()
        })
        .collect()
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
