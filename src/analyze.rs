//! The analyzer pipeline: frames in, finished connections and a summary out.
//!
//! Joins the stages (capture → wire → flow → teardown → report) in one
//! streaming pass: each frame is decoded ([`crate::wire::decode`]), fed to the
//! [`FlowTable`](crate::flow::FlowTable), and every connection the table finishes is handed to the
//! caller with its [`Teardown`](crate::teardown::Teardown) verdict, then dropped. Memory therefore
//! follows the connections open at once, not the size of the capture.
//!
//! With [`AnalyzeOptions::app`] set, each segment also goes to the
//! application stage (`app_stage.rs`: reassembly and decoders per
//! connection, [`crate::app`]), and each finished connection comes with its
//! application layer ([`Finished`]): a [`crate::app::Finished`], of which
//! the caller makes the [`crate::app::AppReport`] where it renders it.
//!
//! - [`analyze`] collects a [`Report`] (connections in first-seen order);
//! - [`analyze_each`] streams, calling back once per finished connection in
//!   the order Zeek removes them; the flow table runs on a second thread
//!   while the calling thread reads and decodes frames and takes the
//!   finished connections (`packet.rs`, `pipeline.rs`);
//! - [`analyze_each_alone`] does the same on the calling thread alone, for
//!   a caller that runs one analysis per core;
//! - [`analyze_live`] does the same on a live capture until a stop flag is
//!   set, firing Zeek's timers on the wall clock while no packet arrives.
//!
//! Calls go one way: this facade → `pipeline.rs` (two threads) → `engine.rs`
//! (one frame at a time through the table) → `packet.rs` (decoding) →
//! `filter.rs` (BPF) → `options.rs` (what was asked, and the error type).
//!
//! Nothing here prints.

mod app_rules;
mod app_stage;
mod engine;
mod filter;
mod options;
mod packet;
mod pipeline;
#[cfg(test)]
mod tests;
mod udp_scope;
mod udp_shards;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::capture::{FrameSource, Timestamp};
use crate::report::{ConnectionReport, Report, Summary};

pub use app_rules::{APP_RULES, AppRules};
pub use engine::{Analyzer, Finished};
pub use options::{AnalyzeOptions, Error, Scope};

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
    on: impl FnMut(Finished<'_>),
) -> Result<Summary, Error> {
    pipeline::run(source, opts, 1, on)
}

/// [`analyze_each`] with QUIC connections spread over `threads` threads
/// of their own (at most four; fewer than two keeps them on the flow
/// table's), with the same result: a keyed QUIC capture's decryption and
/// HTTP/3 decoding is most of its work, and its connections are
/// independent.
///
/// # Errors
///
/// As [`analyze_each`].
pub fn analyze_each_spread<S: FrameSource + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
    threads: usize,
    on: impl FnMut(Finished<'_>),
) -> Result<Summary, Error> {
    pipeline::run(source, opts, threads, on)
}

/// [`analyze_each`] on the calling thread alone, with the same result.
///
/// For a caller that runs several analyses at once, one per core: there
/// the flow table's own thread would only compete with the other
/// analyses for the cores and add its hand-overs.
///
/// # Errors
///
/// As [`analyze_each`].
pub fn analyze_each_alone<S: FrameSource + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
    mut on: impl FnMut(Finished<'_>),
) -> Result<Summary, Error> {
    let mut engine = Analyzer::new(opts);
    while let Some(frame) = source.next_frame()? {
        engine.frame(&frame, &mut on);
    }
    engine.finish(source.anomalies(), &mut on)
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
    let summary = analyze_each(source, opts, |f| {
        connections.push(ConnectionReport::of(f.connection).with_finished(f.app))
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
    mut on: impl FnMut(Finished<'_>),
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
