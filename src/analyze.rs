//! The analyzer pipeline: frames in, finished connections and a summary out.
//!
//! Joins the stages (capture → wire → flow → teardown → report) in one
//! streaming pass: each frame is decoded ([`crate::wire::decode`]), fed to the
//! [`FlowTable`], and every connection the table finishes is handed to the
//! caller with its [`Teardown`] verdict, then dropped. Memory therefore
//! follows the connections open at once, not the size of the capture.
//!
//! - [`analyze`] collects a [`Report`] (connections in first-seen order);
//! - [`analyze_each`] streams, calling back once per finished connection in
//!   the order Zeek removes them; the flow table runs on a second thread
//!   while the calling thread reads and decodes frames and takes the
//!   finished connections (`packet.rs`, `pipeline.rs`);
//! - [`analyze_live`] does the same on a live capture until a stop flag is
//!   set, firing Zeek's timers on the wall clock while no packet arrives.
//!
//! Nothing here prints.

mod filter;
mod packet;
mod pipeline;
#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::capture::{self, CaptureAnomalies, Frame, FrameSource, Timestamp};
use crate::flow::{Connection, FlowOptions, FlowTable};
use crate::report::{ConnectionReport, Report, Summary};
use crate::teardown::Teardown;
use crate::wire::DecodeOptions;

use packet::{Decoder, FrameCounts, Kind, Packet};

/// Why an analysis stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] capture::Error),
    /// The `--filter` expression compiles for none of the capture's link
    /// types (the first one's complaint is given).
    #[error("bad filter {filter:?} for link type {link}: {message}")]
    Filter {
        /// The expression given.
        filter: String,
        /// The LINKTYPE_ value it was compiled for.
        link: u32,
        /// libpcap's message.
        message: String,
    },
}

/// Which connections to report: all, or those touching one of the ports or
/// addresses given (either side).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Ports; empty means any.
    pub ports: Vec<u16>,
    /// Addresses; empty means any.
    pub hosts: Vec<IpAddr>,
}

impl Scope {
    /// Whether a connection is in scope.
    pub fn matches(&self, c: &Connection) -> bool {
        if self.ports.is_empty() && self.hosts.is_empty() {
            return true;
        }
        let (o, r) = (c.orig().addr, c.resp().addr);
        let port_ok =
            self.ports.is_empty() || self.ports.contains(&o.port) || self.ports.contains(&r.port);
        let host_ok =
            self.hosts.is_empty() || self.hosts.contains(&o.addr) || self.hosts.contains(&r.addr);
        port_ok && host_ok
    }
}

/// How to analyze.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// Decoding (checksum validation).
    pub decode: DecodeOptions,
    /// Flow-table settings.
    pub flow: FlowOptions,
    /// A BPF expression (tcpdump syntax) applied to each frame of a file, as
    /// libpcap would apply it while capturing. Live captures pass it to
    /// libpcap instead.
    pub filter: Option<String>,
    /// Which connections to report.
    pub scope: Scope,
}

/// The streaming engine behind [`analyze`], [`analyze_each`] and
/// [`analyze_live`], for callers that bring their own loop.
pub struct Analyzer {
    table: FlowTable,
    decoder: Decoder,
    scope: Scope,
    summary: Summary,
}

/// Counts a finished connection and passes it on when in scope.
fn deliver(
    scope: &Scope,
    summary: &mut Summary,
    on: &mut impl FnMut(&Connection, &Teardown),
    c: &Connection,
) {
    if scope.matches(c) {
        let t = Teardown::of(c);
        summary.connections += 1;
        summary.verdicts.add(t.ending);
        on(c, &t);
    } else {
        summary.out_of_scope += 1;
    }
}

impl Analyzer {
    /// A fresh engine.
    pub fn new(opts: &AnalyzeOptions) -> Self {
        Analyzer {
            table: FlowTable::new(opts.flow.clone()),
            decoder: Decoder::new(opts.decode, opts.filter.as_ref()),
            scope: opts.scope.clone(),
            summary: Summary::default(),
        }
    }

    /// Processes one frame; finished connections go to `on`.
    pub fn frame(&mut self, frame: &Frame<'_>, on: &mut impl FnMut(&Connection, &Teardown)) {
        if let Some(p) = self.decoder.packet(frame) {
            self.packet(&p, on);
        }
    }

    /// The flow half of [`Analyzer::frame`], on a frame already decoded.
    fn packet(&mut self, p: &Packet, on: &mut impl FnMut(&Connection, &Teardown)) {
        let Analyzer {
            table,
            scope,
            summary,
            ..
        } = self;
        let open = apply(table, p, &mut |c| deliver(scope, summary, on, c));
        summary.peak_open = summary.peak_open.max(open);
    }

    /// Fires timers due by `now` (wall-clock time in live captures).
    pub fn tick(&mut self, now: Timestamp, on: &mut impl FnMut(&Connection, &Teardown)) {
        let Analyzer {
            table,
            scope,
            summary,
            ..
        } = self;
        table.advance(now, &mut |c| deliver(scope, summary, on, c));
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.table.open_connections()
    }

    /// End of input: hands out every open connection and returns the totals.
    ///
    /// # Errors
    ///
    /// [`Error::Filter`] when the `--filter` expression compiled for none
    /// of the link types met (no frame passed it).
    pub fn finish(
        mut self,
        capture: &CaptureAnomalies,
        on: &mut impl FnMut(&Connection, &Teardown),
    ) -> Result<Summary, Error> {
        let unfilterable = self.decoder.filter_verdict()?;
        let Analyzer {
            table,
            scope,
            summary,
            ..
        } = &mut self;
        table.finish(&mut |c| deliver(scope, summary, on, c));
        let mut summary = totals(
            self.summary,
            self.decoder.counts,
            capture,
            self.table.anomalies(),
        );
        summary.unfilterable = unfilterable;
        Ok(summary)
    }
}

/// The summary of delivered connections completed with the other counts.
fn totals(
    mut summary: Summary,
    counts: FrameCounts,
    capture: &CaptureAnomalies,
    flow: &crate::flow::FlowAnomalies,
) -> Summary {
    summary.frames = counts.frames;
    summary.filtered_out = counts.filtered_out;
    summary.tcp_segments = counts.tcp_segments;
    summary.skipped = counts.skipped;
    summary.decapsulated = counts.decapsulated;
    summary.time_went_back = flow.time_went_back;
    summary.capture_anomalies = capture.clone();
    summary.flow_anomalies = *flow;
    summary
}

/// One decoded frame through the flow table; returns the connections held
/// afterwards.
fn apply(table: &mut FlowTable, p: &Packet, emit: &mut impl FnMut(&Connection)) -> u64 {
    match &p.kind {
        Kind::Tcp(seg) => table.segment_hashed(p.number, p.ts, &seg.head, seg.hash, emit),
        Kind::BadHeader { src, dst } => table.bad_header(p.number, p.ts, *src, *dst, emit),
        // Zeek's network time moves with every packet it reads, TCP or not,
        // and timers fire on it.
        Kind::Other => table.advance_to(p.number, p.ts, emit),
    }
    table.open_connections() as u64
}

/// Streams a capture: `on` is called once per finished connection, in the
/// order Zeek removes them (timers and reuse first, the rest at the end in
/// first-seen order).
///
/// Past the first few thousand frames, the flow table runs on a second
/// thread, while the calling thread reads, filters and decodes the frames
/// and hands each finished connection to `on`. The result, and every call of
/// `on` before an error, is what the single-threaded [`Analyzer`] gives.
///
/// # Errors
///
/// A capture that cannot be read at all, or a filter that does not compile.
pub fn analyze_each<S: FrameSource + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
    on: impl FnMut(&Connection, &Teardown),
) -> Result<Summary, Error> {
    pipeline::run(source, opts, on)
}

/// Analyzes a whole capture into a [`Report`], connections in id order.
///
/// # Errors
///
/// As [`analyze_each`].
pub fn analyze<S: FrameSource + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
) -> Result<Report, Error> {
    let mut connections = Vec::new();
    let summary = analyze_each(source, opts, |c, _| {
        connections.push(ConnectionReport::of(c))
    })?;
    connections.sort_by_key(|c| c.id);
    Ok(Report {
        connections,
        summary,
    })
}

/// The wall clock as a capture timestamp.
pub fn wall_clock() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Analyzes a live capture until `stop` is set: each connection is passed to
/// `on` as soon as Zeek's timers (on the wall clock while the wire is quiet)
/// remove it; the rest when stopped.
///
/// # Errors
///
/// As [`analyze_each`].
pub fn analyze_live<S: FrameSource + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
    stop: &AtomicBool,
    mut on: impl FnMut(&Connection, &Teardown),
) -> Result<Summary, Error> {
    let mut engine = Analyzer::new(opts);
    while !stop.load(Ordering::Relaxed) {
        match source.next_frame()? {
            Some(frame) => engine.frame(&frame, &mut on),
            None => engine.tick(wall_clock(), &mut on),
        }
    }
    let mut summary = engine.finish(source.anomalies(), &mut on)?;
    // The wall clock moved network time between packets, so a packet
    // stamped by the kernel before the last tick is no step back.
    summary.time_went_back = None;
    Ok(summary)
}
