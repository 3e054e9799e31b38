//! Where finished connections go, and when: the output policy.
//!
//! A format either streams (each connection is written as it ends) or keeps
//! (one sorted rendering at the end). conn.log and JSON Lines stream; so does
//! everything live, where the end may be hours away: live, the table prints
//! one line per connection and JSON becomes JSON Lines. From a file, the
//! table keeps every row's text to size its columns, and JSON keeps the
//! connection records themselves (224 bytes each) and writes the document
//! one connection at a time at the end.
//!
//! [`Output`] applies that policy over one [`Renderer`] per format and checks
//! `--expect`-style [`Expectation`](super::expect::Expectation)s on the way;
//! the caller opens the writer, says what to render, and prints what
//! [`Output::finish`] hands back. It never touches the terminal: progress
//! and the summary line meant for standard error stay with the caller.

mod renderers;

use std::io::{self, Write};

use super::Summary;
use super::expect::Checker;
use super::table::{self, Style};
use crate::app;
use crate::capture::Timestamp;
use crate::flow::Connection;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One table row per connection and a summary.
    Table,
    /// One JSON document (live: JSON Lines).
    Json,
    /// JSON Lines: one object per connection as it ends, then the summary.
    Jsonl,
    /// Zeek's conn.log (TSV with Zeek's header lines).
    Zeek,
}

impl Format {
    /// Whether each connection is written as it ends rather than kept for
    /// the end of the input.
    pub fn streams(self, live: bool) -> bool {
        live || matches!(self, Format::Zeek | Format::Jsonl)
    }

    /// Whether the application layer is decoded when the user did not say:
    /// conn.log has no field for it, so the cost would buy nothing there.
    pub fn decodes_by_default(self) -> bool {
        self != Format::Zeek
    }
}

/// The times on conn.log's `#open` and `#close` lines; the caller decides
/// what they are (the capture's first and last frame, the wall clock, a
/// fixed time for reproducible output).
pub trait LogTimes {
    /// For `#open`, asked once, before the first row.
    fn open(&self) -> Timestamp;
    /// For `#close`, asked at the end.
    fn close(&self) -> Timestamp;
}

/// One output format's rendering. The [`Output`] calls
/// [`connection`](Renderer::connection) once per finished connection, in the
/// order they end, and [`finish`](Renderer::finish) once; a renderer that
/// keeps connections sorts them itself.
pub trait Renderer<W: Write> {
    /// Before any connection, when the output should show at once that it
    /// started (live).
    fn start(&mut self, _out: &mut W) -> io::Result<()> {
        Ok(())
    }

    /// One finished connection with its application layer, if decoded,
    /// as the analyzer handed it out: the renderer makes its report
    /// ([`app::Finished::into_report`]) when it needs it.
    fn connection(
        &mut self,
        out: &mut W,
        c: &Connection,
        app: Option<app::Finished>,
    ) -> io::Result<()>;

    /// The end: whatever was kept, then the summary. `before_write` is
    /// called once, just before the first byte goes out (the caller clears
    /// a progress line there): after the slow rendering for a renderer that
    /// renders whole (the table), before it for one that writes as it
    /// formats (the JSON document, JSON Lines' QUIC and DNS lines), so the
    /// line never mixes with the output. What was kept comes back with the
    /// summary, written and not yet dropped ([`Spent`]).
    fn finish(
        self: Box<Self>,
        out: &mut W,
        summary: Summary,
        before_write: &mut dyn FnMut(),
    ) -> (io::Result<()>, Spent);
}

/// What an [`Output`] is asked to do besides the format.
pub struct Settings {
    /// A live capture: stream everything, flush after each connection.
    pub live: bool,
    /// How the table is drawn.
    pub style: Style,
    /// Expectations every connection must meet.
    pub checker: Checker,
    /// conn.log's `#open`/`#close` times; the epoch when not given.
    pub log_times: Option<Box<dyn LogTimes>>,
}

/// What an output held to the end (the connection records or reports of a
/// format written at the end, the summary with its QUIC connections and
/// DNS exchanges), written and handed back undropped.
///
/// Dropping it frees the memory as any value does. A program about to exit
/// may `std::mem::forget` it instead and leave the memory to the system:
/// freeing it block by block is a measurable part of a big capture's run
/// (see docs/performance.md, 2026-12-04 evening).
pub struct Spent {
    _held: Box<dyn std::any::Any + Send>,
}

impl std::fmt::Debug for Spent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spent(..)")
    }
}

impl Spent {
    pub(super) fn of<T: Send + 'static>(held: T) -> Self {
        Spent {
            _held: Box::new(held),
        }
    }
}

/// How the output ended.
#[derive(Debug)]
pub struct Outcome {
    /// The first write error, if any (a reader that went away shows here
    /// as a broken pipe).
    pub written: io::Result<()>,
    /// With expectations: `Ok(n)` when all `n` connections met them,
    /// otherwise the one-line reason (see [`Checker::verdict`]).
    pub expectation: Option<Result<u64, String>>,
    /// What the output held, written; see [`Spent`].
    pub spent: Spent,
}

/// Finished connections on their way to a writer, in one format.
pub struct Output<W: Write> {
    out: W,
    format: Format,
    live: bool,
    renderer: Box<dyn Renderer<W>>,
    checker: Checker,
    /// The first write error; later connections are still counted and
    /// checked, so that the expectation's verdict covers them all.
    error: Option<io::Error>,
}

impl<W: Write> Output<W> {
    /// An output writing `format` to `out`.
    pub fn new(out: W, format: Format, settings: Settings) -> Self {
        let Settings {
            live,
            style,
            checker,
            log_times,
        } = settings;
        let renderer: Box<dyn Renderer<W>> = match (format, live) {
            (Format::Zeek, _) => Box::new(renderers::ConnLog::new(log_times)),
            (Format::Json, true) | (Format::Jsonl, _) => Box::new(renderers::JsonLines),
            (Format::Json, false) => Box::new(renderers::JsonDocument::default()),
            (Format::Table, true) => Box::new(renderers::TableLines { style }),
            (Format::Table, false) => Box::new(renderers::KeptTable::new(style)),
        };
        Output {
            out,
            format,
            live,
            renderer,
            checker,
            error: None,
        }
    }

    /// Live: whatever shows that the output started (conn.log's header),
    /// written and flushed at once.
    pub fn start(&mut self) {
        let started = self.renderer.start(&mut self.out);
        let flushed = self.out.flush();
        self.keep_error(started.and(flushed));
    }

    /// One finished connection.
    pub fn connection(&mut self, c: &Connection, app: Option<app::Finished>) {
        if !self.checker.is_empty() {
            // The expectations read the verdict and Zeek's fields, never
            // the application layer.
            self.checker.check(&super::ConnectionReport::of(c));
        }
        let written = self.renderer.connection(&mut self.out, c, app);
        // Live, a connection is news: it must not wait in the buffer.
        let flushed = if self.live { self.out.flush() } else { Ok(()) };
        self.keep_error(written.and(flushed));
    }

    /// The summary line for standard error when standard output must hold
    /// nothing but the format: Zeek's readers take every `#` line as the
    /// header's or `#close`.
    pub fn side_summary(&self, summary: &Summary) -> Option<String> {
        (self.format == Format::Zeek).then(|| table::summary(summary, &Style::default()))
    }

    /// Writes what was kept and the summary, flushes, and says how it went.
    pub fn finish(mut self, summary: Summary, mut before_write: impl FnMut()) -> Outcome {
        let (rendered, spent) = self
            .renderer
            .finish(&mut self.out, summary, &mut before_write);
        let flushed = self.out.flush();
        let written = self.error.take().map_or(rendered.and(flushed), Err);
        let expectation = (!self.checker.is_empty()).then(|| self.checker.verdict());
        Outcome {
            written,
            expectation,
            spent,
        }
    }

    fn keep_error(&mut self, result: io::Result<()>) {
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }
}

#[cfg(test)]
mod tests;
