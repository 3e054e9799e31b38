//! A capture analyzed on two threads: the calling thread reads, filters and
//! decodes frames into [`Packet`]s and hands finished connections to the
//! caller; a second thread runs the flow table on the packets, and hands
//! QUIC's datagrams on to threads of their own when asked
//! ([`super::udp_shards`]).
//!
//! The flow table needs the packets in capture order, so the split is a
//! pipeline, not a partition, and it is cut where the work balances: reading
//! and decoding plus the caller's output on one side, the flow table on the
//! other. Packets travel in batches of [`BATCH`] through one channel; the
//! emptied batches come back, with the finished connections (copies of their
//! records, in the order the table removed them), through a second one, so
//! the steady state allocates nothing. Neither the source nor the callback
//! leaves the calling thread.
//!
//! The first batch's worth of frames is analyzed on the calling thread alone
//! ([`Analyzer`]), so small captures do not pay for a thread. Live captures
//! stay on one thread ([`super::analyze_live`]): their timers fire on the
//! wall clock between packets.

use std::mem;
use std::sync::mpsc::{self, Receiver, SyncSender};

use crate::app;
use crate::capture::FrameSource;
use crate::flow::{Connection, FlowAnomalies, FlowTable};
use crate::report::Summary;

use super::app_stage::{AppStage, UdpReports};
use super::engine::{Analyzer, Finished, apply, deliver, totals};
use super::options::{AnalyzeOptions, Error};
use super::packet::{Kind, Packet, Payloads};

/// Packets per batch: about 210 KB of them, within the second-level cache
/// of either core, and few enough hand-overs (each may wake the other
/// thread, a system call) that they cost little; the four batches in
/// circulation add under 1 MB to the fixed base of memory. (4 096 woke the
/// threads half as often again, but added 8 bytes per connection to the
/// resident memory at the benchmark capture's peak.)
pub(super) const BATCH: usize = 2048;
/// Packet batches in circulation: the reader can run this far ahead.
const BATCHES: usize = 4;
/// Finished connections per message at most (56 KB of records): larger
/// messages would wake the other thread less often, but the records in
/// flight at the end of a capture would then count against memory.
const DONE: usize = 256;
/// Messages the flow thread may have waiting for the calling thread (at
/// most 230 KB of records).
const BACKLOG: usize = 4;

/// How many packets ahead the flow thread asks for a packet of its batch,
/// for its lookup bucket, and for the record that leads to.
const PACKET_AHEAD: usize = 32;
const BUCKET_AHEAD: usize = 16;
const RECORD_AHEAD: usize = 8;

/// How the two threads ended: normally, or never started.
enum Ended {
    /// The read's outcome and how the flow thread ended.
    Piped(Result<(), Error>, FlowEnd),
    /// The system refused a thread: the table is back, to go on alone.
    Alone(Box<(FlowTable, Option<AppStage>)>),
}

/// A batch of packets: the slots, of which the first `.1` are filled, and
/// their payloads when the application stage wants them. The slots stay
/// allocated (and typed) from one use to the next, so the decoder writes
/// each packet in place.
type Batch = (Vec<Packet>, usize, Payloads);

/// The flow thread's end: the table's anomalies, its peak, and the QUIC
/// connections and DNS exchanges of the application stage (none after a
/// read error).
type FlowEnd = (FlowAnomalies, u64, UdpReports);

/// A connection the table removed, with its application layer.
type Done = (Connection, Option<app::Finished>);

/// From the flow thread back to the calling thread.
enum Back {
    /// A packet batch, done with.
    Empty(Vec<Packet>, Payloads),
    /// Connections the table removed, in that order.
    Done(Vec<Done>),
}

/// See [`super::analyze_each`].
pub(super) fn run<S: FrameSource + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
    udp_threads: usize,
    mut on: impl FnMut(Finished<'_>),
) -> Result<Summary, Error> {
    let mut engine = Analyzer::new(opts);
    for _ in 0..BATCH {
        match source.next_frame()? {
            Some(frame) => engine.frame(&frame, &mut on),
            None => return engine.finish(source.anomalies(), &mut on),
        }
    }
    let Analyzer {
        table,
        app,
        mut decoder,
        scope,
        mut summary,
        payloads: _,
    } = engine;
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES);
    let (back_tx, back_rx) = mpsc::sync_channel::<Back>(BACKLOG);
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<Done>>();
    let peak = summary.peak_open;
    let ended = std::thread::scope(|s| {
        // The table follows once the thread exists, so that it is not lost
        // with the thread's closure if there is no thread.
        let (table_tx, table_rx) = mpsc::sync_channel::<(FlowTable, Option<AppStage>)>(1);
        let spawned = std::thread::Builder::new()
            .name("lab-flow".into())
            .spawn_scoped(s, move || match table_rx.recv() {
                Ok((table, mut app)) => {
                    if let Some(app) = &mut app {
                        app.spread_udp(udp_threads);
                    }
                    flow_thread(table, app, peak, full_rx, back_tx, spare_rx)
                }
                Err(_) => (FlowAnomalies::default(), peak, UdpReports::default()),
            });
        let Ok(flow) = spawned else {
            return Ended::Alone(Box::new((table, app)));
        };
        // The thread holds the receiver until it has received.
        let _ = table_tx.send((table, app));
        // Batches grow to BATCH packets as they are first filled.
        let mut spare: Vec<(Vec<Packet>, Payloads)> = (0..BATCHES)
            .map(|_| (Vec::new(), Payloads::new()))
            .collect();
        let mut take = |msg: Back, spare: &mut Vec<(Vec<Packet>, Payloads)>| match msg {
            Back::Empty(batch, payloads) => spare.push((batch, payloads)),
            Back::Done(mut done) => {
                for (c, a) in done.drain(..) {
                    deliver(&scope, &mut summary, &mut on, &c, a);
                }
                // The flow thread may be gone already; the vector then drops.
                let _ = spare_tx.send(done);
            }
        };
        let (mut batch, mut payloads) = spare.pop().unwrap_or_default();
        payloads.clear();
        let mut n = 0;
        let outcome = loop {
            let frame = match source.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break Ok(()),
                Err(e) => break Err(Error::from(e)),
            };
            if n == batch.len() {
                batch.push(Packet::UNSET);
            }
            if decoder.packet_into(&frame, &mut batch[n], &mut payloads) {
                n += 1;
            }
            if n < BATCH {
                continue;
            }
            // Never blocks: the channel holds as many batches as exist.
            let sent = (mem::take(&mut batch), n, mem::take(&mut payloads));
            if full_tx.send(sent).is_err() {
                break Ok(());
            }
            n = 0;
            while let Ok(msg) = back_rx.try_recv() {
                take(msg, &mut spare);
            }
            (batch, payloads) = loop {
                if let Some(b) = spare.pop() {
                    break b;
                }
                match back_rx.recv() {
                    Ok(msg) => take(msg, &mut spare),
                    // The flow thread panicked; joining it says so.
                    Err(_) => break Default::default(),
                }
            };
            payloads.clear();
        };
        // The packets before the end (or the error) are analyzed first, and
        // every connection the table hands back is delivered. Only the end
        // of the input ends the connections still open, as in `Analyzer`.
        if n > 0 {
            let _ = full_tx.send((batch, n, payloads));
        }
        if outcome.is_ok() {
            let _ = full_tx.send((Vec::new(), 0, Payloads::new()));
        }
        drop(full_tx);
        for msg in back_rx {
            take(msg, &mut spare);
        }
        let flow = flow
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ended::Piped(outcome, flow)
    });
    let (outcome, (anomalies, peak, udp)) = match ended {
        Ended::Piped(outcome, flow) => (outcome, flow),
        Ended::Alone(alone) => {
            let (table, app) = *alone;
            let mut engine = Analyzer {
                table,
                app,
                decoder,
                scope,
                summary,
                payloads: Payloads::new(),
            };
            while let Some(frame) = source.next_frame()? {
                engine.frame(&frame, &mut on);
            }
            return engine.finish(source.anomalies(), &mut on);
        }
    };
    outcome?;
    let unfilterable = decoder.filter_verdict()?;
    summary.peak_open = peak;
    super::udp_scope::keep_in_scope(&scope, udp, &mut summary);
    let mut summary = totals(summary, decoder.counts, source.anomalies(), &anomalies);
    summary.unfilterable = unfilterable;
    Ok(summary)
}

/// The flow thread: packets through the table until an empty batch marks
/// the end of the input (or the calling thread stops sending after an
/// error). Finished connections go back as
/// copies, at the latest after each batch. Returns the table's anomalies,
/// the most connections it held at once (from `peak` on).
fn flow_thread(
    mut table: FlowTable,
    mut app: Option<AppStage>,
    mut peak: u64,
    full: Receiver<Batch>,
    back: SyncSender<Back>,
    spare: Receiver<Vec<Done>>,
) -> FlowEnd {
    let mut done: Vec<Done> = Vec::new();
    // Sends the finished connections gathered so far; false when the
    // calling thread is gone (it panicked).
    let flush = |done: &mut Vec<Done>| {
        let next = spare.try_recv().unwrap_or_default();
        back.send(Back::Done(mem::replace(done, next))).is_ok()
    };
    let mut gone = false;
    let mut ended = false;
    for (batch, n, payloads) in &full {
        // An empty batch marks the end of the input.
        if n == 0 {
            ended = true;
            break;
        }
        let packets = batch.get(..n).unwrap_or_default();
        for (i, p) in packets.iter().enumerate() {
            // Memory for the packets ahead is requested now (see
            // `flow/prefetch.rs`): the bucket first, its record later.
            // The packets themselves were written by the other core: their
            // lines are asked for before the bucket's.
            if let Some(q) = packets.get(i + PACKET_AHEAD) {
                crate::flow::store::prefetch::value(q as *const Packet);
            }
            if let Some(Kind::Tcp(seg)) = packets.get(i + BUCKET_AHEAD).map(|q| &q.kind) {
                table.prefetch_bucket(seg.hash);
            }
            if let Some(Kind::Tcp(seg)) = packets.get(i + RECORD_AHEAD).map(|q| &q.kind) {
                table.prefetch_record(seg.hash);
            }
            let open = apply(&mut table, app.as_mut(), p, &payloads, &mut |c, a| {
                done.push((c.clone(), a));
                if done.len() == DONE {
                    gone |= !flush(&mut done);
                }
            });
            peak = peak.max(open);
        }
        if let Some(app) = &mut app {
            app.batch_end();
        }
        if !done.is_empty() {
            gone |= !flush(&mut done);
        }
        if gone || back.send(Back::Empty(batch, payloads)).is_err() {
            return (*table.anomalies(), peak, UdpReports::default());
        }
    }
    if !ended {
        // A read error: the calling thread returns it, as `Analyzer`'s
        // caller would, without ending the connections still open.
        return (*table.anomalies(), peak, UdpReports::default());
    }
    table.finish(&mut |c| {
        let a = app.as_mut().and_then(|s| s.finish(c));
        done.push((c.clone(), a));
        if done.len() == DONE {
            let _ = flush(&mut done);
        }
    });
    if !done.is_empty() {
        let _ = flush(&mut done);
    }
    let udp = app
        .as_mut()
        .map(|a| a.finish_udp(table.network_time()))
        .unwrap_or_default();
    (*table.anomalies(), peak, udp)
}
