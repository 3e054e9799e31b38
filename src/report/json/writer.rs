//! The document written as it goes rather than built whole: one connection
//! at a time from reports, or from finished records in id order with a
//! second thread formatting every other block; the `quic` and other
//! arrays, and the document's start and tail.

use std::io::{self, Write};
use std::sync::mpsc;

use serde::Serialize;

use crate::app::quic::QuicReport;
use crate::flow::Connection;

use super::super::{ConnectionReport, Summary};
use super::{VERSION, dns, pretty};

/// Writes the same document as [`render`](super::render), one connection
/// at a time, so the caller never holds the whole text (nor every report)
/// at once: `connections` yields the reports in the order they appear.
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
/// layer when decoded (its report is made as the connection is formatted).
pub type Kept = (Connection, Option<crate::app::Finished>);

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
pub(super) fn write_connections_in_blocks(
    out: &mut impl Write,
    records: &[Kept],
    summary: &Summary,
    block: usize,
) -> io::Result<()> {
    let order = id_order(records);
    let block = block.max(1);
    // Block `n` of the array, separators included.
    // `in_two_threads` hands each block over cleared.
    let format = |buf: &mut pretty::Block, n: usize, part: &[usize]| {
        for (k, &i) in part.iter().enumerate() {
            buf.bytes(if n + k > 0 { b",\n    " } else { b"\n    " });
            if let Some((c, app)) = records.get(i) {
                // Made here, on the formatting threads, and dropped once
                // formatted: only the compact form is kept.
                let report = app.as_ref().map(crate::app::Finished::report);
                let view = pretty::View::of_connection(c, report.as_deref());
                pretty::append_connection(buf, &view);
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
pub(super) fn write_array<T: Serialize>(
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
pub(super) fn write_quic_array(out: &mut impl Write, quic: &[QuicReport]) -> io::Result<()> {
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
