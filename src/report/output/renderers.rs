//! The four formats as [`Renderer`]s.

use std::io::{self, Write};

use super::{LogTimes, Renderer, Spent};
use crate::app;
use crate::flow::Connection;
use crate::report::table::{self, KeptRow, Style};
use crate::report::{ConnectionReport, Summary, json, zeek};

/// Zeek's conn.log, streamed: each row straight from the connection record,
/// with no owned report built (the fast path for large captures).
pub(super) struct ConnLog {
    times: Option<Box<dyn LogTimes>>,
    header_out: bool,
    /// Reused for each row.
    row: Vec<u8>,
}

impl ConnLog {
    pub(super) fn new(times: Option<Box<dyn LogTimes>>) -> Self {
        ConnLog {
            times,
            header_out: false,
            row: Vec::with_capacity(256),
        }
    }

    /// The header, before the first row: a file's `#open` time is its first
    /// frame's, known only once a frame was read.
    fn header(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.header_out {
            return Ok(());
        }
        self.header_out = true;
        let open = self.times.as_ref().map(|t| t.open()).unwrap_or_default();
        out.write_all(zeek::header(open).as_bytes())
    }
}

impl<W: Write> Renderer<W> for ConnLog {
    fn start(&mut self, out: &mut W) -> io::Result<()> {
        self.header(out)
    }

    fn connection(
        &mut self,
        out: &mut W,
        c: &Connection,
        _app: Option<app::Finished>,
    ) -> io::Result<()> {
        self.header(out)?;
        self.row.clear();
        zeek::append_connection(&mut self.row, c);
        out.write_all(&self.row)
    }

    fn finish(
        mut self: Box<Self>,
        out: &mut W,
        summary: Summary,
        before_write: &mut dyn FnMut(),
    ) -> (io::Result<()>, Spent) {
        let header = self.header(out);
        let close = self.times.as_ref().map(|t| t.close()).unwrap_or_default();
        before_write();
        let written = header.and(out.write_all(zeek::close(close).as_bytes()));
        (written, Spent::of(summary))
    }
}

/// JSON Lines: one object per connection as it ends, then the summary's.
pub(super) struct JsonLines;

impl<W: Write> Renderer<W> for JsonLines {
    fn connection(
        &mut self,
        out: &mut W,
        c: &Connection,
        app: Option<app::Finished>,
    ) -> io::Result<()> {
        let report = ConnectionReport::of(c).with_finished(app);
        writeln!(out, "{}", json::line(&report))
    }

    fn finish(
        self: Box<Self>,
        out: &mut W,
        summary: Summary,
        before_write: &mut dyn FnMut(),
    ) -> (io::Result<()>, Spent) {
        // Each DNS and QUIC line is written as it is formatted, so the
        // progress line is cleared first.
        before_write();
        let written = json::write_dns_lines(out, &summary)
            .and_then(|()| json::write_quic_lines(out, &summary))
            .and_then(|()| writeln!(out, "{}", json::summary_line(&summary)));
        (written, Spent::of(summary))
    }
}

/// One JSON document: the connection records are kept (not their reports,
/// and their application layers in the compact form they were handed out
/// in) and written by hand, in id order, at the end.
#[derive(Default)]
pub(super) struct JsonDocument {
    kept: Vec<json::Kept>,
}

impl<W: Write> Renderer<W> for JsonDocument {
    fn connection(
        &mut self,
        _out: &mut W,
        c: &Connection,
        app: Option<app::Finished>,
    ) -> io::Result<()> {
        self.kept.push((c.clone(), app));
        Ok(())
    }

    fn finish(
        self: Box<Self>,
        out: &mut W,
        summary: Summary,
        before_write: &mut dyn FnMut(),
    ) -> (io::Result<()>, Spent) {
        // Written while formatted: the document is never held whole.
        before_write();
        let written = json::write_connections(out, &self.kept, &summary);
        let written = written.and(out.write_all(b"\n"));
        (written, Spent::of((self.kept, summary)))
    }
}

/// The table live: one line per connection, then the summary.
pub(super) struct TableLines {
    pub(super) style: Style,
}

impl<W: Write> Renderer<W> for TableLines {
    fn connection(
        &mut self,
        out: &mut W,
        c: &Connection,
        app: Option<app::Finished>,
    ) -> io::Result<()> {
        let report = ConnectionReport::of(c).with_finished(app);
        let line = table::line(&report);
        if self.style.ascii {
            writeln!(out, "{}", table::ascii(&line))
        } else {
            writeln!(out, "{line}")
        }
    }

    fn finish(
        self: Box<Self>,
        out: &mut W,
        summary: Summary,
        before_write: &mut dyn FnMut(),
    ) -> (io::Result<()>, Spent) {
        let dns = table::dns_section(&summary, &self.style);
        let quic = table::quic_section(&summary, &self.style);
        let text = table::summary(&summary, &self.style);
        before_write();
        let written = write!(out, "{dns}{quic}").and_then(|()| writeln!(out, "{text}"));
        (written, Spent::of(summary))
    }
}

/// The table from a file: every connection's row kept, since each column
/// is as wide as its widest row (its cells and lines under the table, not
/// its report: see `table::KeptRow`).
pub(super) struct KeptTable {
    style: Style,
    kept: Vec<KeptRow>,
}

impl KeptTable {
    pub(super) fn new(style: Style) -> Self {
        KeptTable {
            style,
            kept: Vec::new(),
        }
    }
}

impl<W: Write> Renderer<W> for KeptTable {
    fn connection(
        &mut self,
        _out: &mut W,
        c: &Connection,
        app: Option<app::Finished>,
    ) -> io::Result<()> {
        let report = ConnectionReport::of(c).with_finished(app);
        self.kept.push(KeptRow::of(&report));
        Ok(())
    }

    fn finish(
        self: Box<Self>,
        out: &mut W,
        summary: Summary,
        before_write: &mut dyn FnMut(),
    ) -> (io::Result<()>, Spent) {
        let KeptTable { style, mut kept } = *self;
        kept.sort_by_key(|r| r.id);
        // Written while drawn: the table is never held whole.
        before_write();
        let written = table::write_kept(out, &kept, &summary, &style);
        (written, Spent::of((kept, summary)))
    }
}
