//! The single-threaded engine: one decoded frame at a time through the flow
//! table, each finished connection judged ([`Teardown`]) and counted.
//!
//! [`crate::analyze::analyze_live`] drives it directly; the two-thread
//! pipeline (`pipeline.rs`) runs its halves on separate threads with the
//! helpers below, so both paths count and deliver the same way. Calls go
//! one way: the facade (`analyze.rs`) and `pipeline.rs` call this module,
//! never the reverse.

use crate::app;
use crate::capture::{CaptureAnomalies, Frame, Timestamp};
use crate::flow::{Connection, FlowAnomalies, FlowTable};
use crate::report::Summary;
use crate::teardown::Teardown;

use super::app_stage::AppStage;
use super::options::{AnalyzeOptions, Error, Scope};
use super::packet::{Decoder, FrameCounts, Kind, Packet, Payloads, payload_of};

/// A connection the analyzer is done with, as handed to the caller.
#[derive(Debug)]
pub struct Finished<'a> {
    /// The flow record.
    pub connection: &'a Connection,
    /// Its teardown verdict.
    pub teardown: Teardown,
    /// Its application layer, when decoding was asked for, in the form
    /// it was held in ([`app::Finished::into_report`] makes the report).
    pub app: Option<app::Finished>,
}

/// The streaming engine behind [`crate::analyze::analyze`],
/// [`crate::analyze::analyze_each`] and [`crate::analyze::analyze_live`],
/// for callers that bring their own loop.
pub struct Analyzer {
    pub(super) table: FlowTable,
    pub(super) app: Option<AppStage>,
    pub(super) decoder: Decoder,
    /// One frame's payload, for the application stage.
    pub(super) payloads: Payloads,
    pub(super) scope: Scope,
    pub(super) summary: Summary,
}

/// Counts a finished connection and passes it on when in scope.
pub(super) fn deliver(
    scope: &Scope,
    summary: &mut Summary,
    on: &mut impl FnMut(Finished<'_>),
    c: &Connection,
    app: Option<app::Finished>,
) {
    if scope.matches(c) {
        let t = Teardown::of(c);
        summary.connections += 1;
        summary.verdicts.add(t.ending);
        if let Some(a) = &app {
            summary.decode.get_or_insert_default().add_finished(a);
        }
        on(Finished {
            connection: c,
            teardown: t,
            app,
        });
    } else {
        summary.out_of_scope += 1;
    }
}

impl Analyzer {
    /// A fresh engine.
    pub fn new(opts: &AnalyzeOptions) -> Self {
        Analyzer {
            table: FlowTable::new(opts.flow.clone()),
            app: opts.app.clone().map(AppStage::new),
            decoder: Decoder::new(
                opts.decode,
                opts.flow.app,
                opts.filter.as_ref(),
                opts.app.is_some(),
            ),
            payloads: Payloads::new(),
            scope: opts.scope.clone(),
            summary: Summary::default(),
        }
    }

    /// Processes one frame; finished connections go to `on`.
    pub fn frame(&mut self, frame: &Frame<'_>, on: &mut impl FnMut(Finished<'_>)) {
        self.payloads.clear();
        if let Some(p) = self.decoder.packet(frame, &mut self.payloads) {
            self.packet(&p, on);
        }
    }

    /// The flow half of [`Analyzer::frame`], on a frame already decoded.
    fn packet(&mut self, p: &Packet, on: &mut impl FnMut(Finished<'_>)) {
        let Analyzer {
            table,
            app,
            scope,
            summary,
            payloads,
            ..
        } = self;
        let open = apply(table, app.as_mut(), p, payloads, &mut |c, a| {
            deliver(scope, summary, on, c, a)
        });
        summary.peak_open = summary.peak_open.max(open);
    }

    /// Fires timers due by `now` (wall-clock time in live captures).
    pub fn tick(&mut self, now: Timestamp, on: &mut impl FnMut(Finished<'_>)) {
        let Analyzer {
            table,
            app,
            scope,
            summary,
            ..
        } = self;
        table.advance(now, &mut |c| {
            let a = app.as_mut().and_then(|s| s.finish(c));
            deliver(scope, summary, on, c, a)
        });
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
        on: &mut impl FnMut(Finished<'_>),
    ) -> Result<Summary, Error> {
        let unfilterable = self.decoder.filter_verdict()?;
        let Analyzer {
            table,
            app,
            scope,
            summary,
            ..
        } = &mut self;
        table.finish(&mut |c| {
            let a = app.as_mut().and_then(|s| s.finish(c));
            deliver(scope, summary, on, c, a)
        });
        if let Some(app) = app {
            let udp = app.finish_udp(table.network_time());
            super::udp_scope::keep_in_scope(scope, udp, summary);
        }
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
pub(super) fn totals(
    mut summary: Summary,
    counts: FrameCounts,
    capture: &CaptureAnomalies,
    flow: &FlowAnomalies,
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

/// One decoded frame through the flow table (and the application stage,
/// when there is one); returns the connections held afterwards. Each
/// connection the table hands out goes to `emit` with its application
/// report.
#[inline]
pub(super) fn apply(
    table: &mut FlowTable,
    mut app: Option<&mut AppStage>,
    p: &Packet,
    payloads: &Payloads,
    emit: &mut impl FnMut(&Connection, Option<app::Finished>),
) -> u64 {
    let mut out = |c: &Connection| {
        let a = app.as_deref_mut().and_then(|s| s.finish(c));
        emit(c, a);
    };
    match &p.kind {
        Kind::Tcp(seg) => {
            let to = table.segment_hashed(p.number, p.ts, &seg.head, seg.hash, &mut out);
            if let (Some(to), Some(app)) = (to, app) {
                app.segment(
                    to,
                    p.number,
                    p.ts,
                    &seg.head,
                    payload_of(payloads, seg.payload),
                );
            }
        }
        Kind::BadHeader { src, dst } => table.bad_header(p.number, p.ts, *src, *dst, &mut out),
        Kind::Udp(d) => {
            table.advance_to(p.number, p.ts, &mut out);
            if let Some(app) = app {
                app.datagram(p.number, p.ts, &d.head, payload_of(payloads, d.payload));
            }
        }
        Kind::Icmp(u) => {
            table.advance_to(p.number, p.ts, &mut out);
            if let Some(app) = app {
                app.icmp(p.number, p.ts, u);
            }
        }
        // Zeek's network time moves with every packet it reads, TCP or not,
        // and timers fire on it.
        Kind::Other => table.advance_to(p.number, p.ts, &mut out),
    }
    table.open_connections() as u64
}
