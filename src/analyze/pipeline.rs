//! A capture analyzed on two threads: one reads, filters and decodes frames
//! into [`Packet`]s, the calling thread runs the flow table on them.
//!
//! Reading and decoding were about a fifth of a file's analysis; the flow
//! table needs the packets in capture order, so the split is a pipeline, not
//! a partition. Packets travel in batches of [`BATCH`] through a channel, and
//! the emptied batches come back through a second one, so the steady state
//! allocates nothing. The first batch's worth of frames is analyzed on the
//! calling thread alone, so small captures do not pay for a thread. Live captures stay on one thread ([`super::analyze_live`]):
//! their timers fire on the wall clock between packets.

use std::sync::mpsc::{self, Receiver, SyncSender};

use crate::capture::{CaptureAnomalies, FrameSource};
use crate::flow::Connection;
use crate::report::Summary;
use crate::teardown::Teardown;

use super::packet::{Decoder, FrameCounts, Packet};
use super::{AnalyzeOptions, Analyzer, Error};

/// Packets per batch: about 200 KB of them, so a batch stays in the cache
/// between the two threads.
pub(super) const BATCH: usize = 2048;
/// Batches in circulation: the reader can run this far ahead.
const BATCHES: usize = 4;

/// What the reader hands back when it stops.
type ReaderEnd = Result<(FrameCounts, CaptureAnomalies), Error>;

/// See [`super::analyze_each`].
pub(super) fn run<S: FrameSource + Send + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
    mut on: impl FnMut(&Connection, &Teardown),
) -> Result<Summary, Error> {
    let mut engine = Analyzer::new(opts);
    // The first batch's worth of frames on this thread: most small captures
    // end there, without the cost of a thread.
    for _ in 0..BATCH {
        match source.next_frame()? {
            Some(frame) => engine.frame(&frame, &mut on)?,
            None => return Ok(engine.finish(source.anomalies(), &mut on)),
        }
    }
    // The reader's decoder goes on counting from there.
    let counts = engine.decoder.counts;
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Packet>>(BATCHES);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<Packet>>(BATCHES);
    for _ in 0..BATCHES {
        // The receiver is alive and the channel has room for all of them.
        // They grow to BATCH packets as they are filled: a small capture
        // (a test, a fuzzer's input) does not pay for 800 KB of batches.
        let _ = empty_tx.send(Vec::new());
    }
    let end = std::thread::scope(|s| {
        // The reader holds the only sender: the loop ends when it returns
        // (or panics).
        let reader = s.spawn(move || read(source, opts, counts, full_tx, empty_rx));
        for mut batch in full_rx {
            for p in &batch {
                engine.packet(p, &mut on);
            }
            batch.clear();
            // The reader may be gone already; the batch is then dropped.
            let _ = empty_tx.send(batch);
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    let (counts, anomalies) = end?;
    Ok(engine.finish_with(counts, &anomalies, &mut on))
}

/// The reader thread: frames to batches of packets until the end of the
/// input or the first error, which goes back after the packets before it.
fn read<S: FrameSource + ?Sized>(
    source: &mut S,
    opts: &AnalyzeOptions,
    counts: FrameCounts,
    full: SyncSender<Vec<Packet>>,
    empty: Receiver<Vec<Packet>>,
) -> ReaderEnd {
    let mut decoder = Decoder::new(opts.decode, opts.filter.as_ref());
    decoder.counts = counts;
    // A batch comes back for every one sent, until the flow thread stops.
    let Ok(mut batch) = empty.recv() else {
        return Ok((decoder.counts, source.anomalies().clone()));
    };
    let outcome = loop {
        let frame = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break Ok(()),
            Err(e) => break Err(Error::from(e)),
        };
        match decoder.packet(&frame) {
            Ok(Some(p)) => batch.push(p),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        if batch.len() == BATCH {
            if full.send(std::mem::take(&mut batch)).is_err() {
                break Ok(());
            }
            match empty.recv() {
                Ok(b) => batch = b,
                // The flow thread stopped (it panicked): nothing to do.
                Err(_) => break Ok(()),
            }
        }
    };
    // The packets before the end (or the error) are analyzed first.
    if !batch.is_empty() {
        let _ = full.send(batch);
    }
    outcome.map(|()| (decoder.counts, source.anomalies().clone()))
}
