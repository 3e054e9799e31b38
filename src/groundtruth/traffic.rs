//! The benchmark's traffic: the ground-truth scenarios at scale, on loopback,
//! optionally recorded with libpcap.
//!
//! [`crate::groundtruth::scenarios`] drives one connection per call; this module
//! drives hundreds of thousands in a realistic mix ([`MIX`]: mostly graceful
//! closes from either side, resets of each kind, refused ports, unanswered
//! SYNs, some connections left open) from several worker threads, each with
//! its own server address (`127.77.W.1`) and client addresses
//! (`127.78.W.1`–`127.78.W.32`), so client and server never share an address
//! and the 4-tuple space is large. About one connection in twenty
//! deliberately reuses the 4-tuple of an earlier one that ended with RST or
//! was refused (the client binds the same port again): the analyzer must
//! split them the way Zeek does (`docs/zeek-conn-state.md` §7.2).
//!
//! Resources that stay open on purpose are bounded: left-open and half-closed
//! connections hold two descriptors each until the capture ends; the
//! unanswered SYNs all go to one listener per worker whose accept queue is
//! kept full, and each probe socket is closed well before the kernel would
//! retransmit its SYN (1 s, RFC 6298 §2), so every probe is exactly one SYN.

use std::io;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

mod worker;

use super::scenarios::{Held, Labelled, Scenario};
use crate::capture::{self, LiveCapture, LiveOptions, LiveStats};
use worker::Worker;

/// libpcap filter that keeps exactly the generated traffic: every packet has
/// a server of `127.77.0.0/16` at one end.
pub const BPF_FILTER: &str = "tcp and net 127.77.0.0/16";

/// How often each scenario is picked, per 10 000 connections (the fillers
/// that keep the unanswered listeners full come on top, labelled left-open).
/// Graceful closes 73.5 %, resets 18 % (unread data 6, client abort 5,
/// server abort 4, data after close 3), refused 4 %, unanswered 2 %, left
/// open 1.5 %, half-closed 1 %.
pub const MIX: [(Scenario, u32); 10] = [
    (Scenario::GracefulClientFirst, 3_800),
    (Scenario::GracefulServerFirst, 3_550),
    (Scenario::ServerRstUnread, 600),
    (Scenario::ClientAbort, 500),
    (Scenario::ServerAbort, 400),
    (Scenario::DataAfterClose, 300),
    (Scenario::Refused, 400),
    (Scenario::Unanswered, 200),
    (Scenario::LeftOpen, 150),
    (Scenario::HalfClose, 100),
];

/// Chance, per 10 000, that a connection reuses an earlier 4-tuple when one
/// is available.
const REUSE_PER_10K: u64 = 600;

/// Client addresses per worker.
const CLIENT_ADDRS: u8 = 32;

/// A probe socket is closed this long after its SYN: well inside the 1 s
/// initial retransmission timeout, so no second SYN is ever sent.
const PROBE_LIFETIME: Duration = Duration::from_millis(200);

/// Capture ring for [`record`]: big enough to hold a long burst should the
/// writer fall behind, so the kernel drops nothing.
const RING_BYTES: i32 = 512 * 1024 * 1024;

/// Bytes kept per packet: the generated packets are all far shorter, so the
/// file holds them whole, and the ring's fixed-size slots stay small (see
/// [`LiveOptions`]).
const SNAPLEN: i32 = 2048;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Labelled connections to make in all (the fillers come on top).
    pub connections: usize,
    /// Worker threads, each with its own addresses.
    pub workers: usize,
    /// Seed of the scenario choice, so a run can be repeated.
    pub seed: u64,
    /// Extra keep-alive request/response rounds on every established
    /// connection before its scenario (0: none): more packets per connection
    /// for the same verdicts, as a load for live captures.
    pub extra_rounds: usize,
}

/// Why generating failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A socket call a scenario relies on failed.
    #[error("worker {worker}, connection {n} ({scenario:?}): {source}")]
    Scenario {
        /// Worker index.
        worker: usize,
        /// Connection number within the worker.
        n: usize,
        /// What it was doing.
        scenario: Scenario,
        /// The socket error.
        source: io::Error,
    },
    /// Setting a worker up (binding its addresses) failed.
    #[error("worker {worker} setup: {source}")]
    Setup {
        /// Worker index.
        worker: usize,
        /// The socket error.
        source: io::Error,
    },
    /// The capture could not be opened, read or written.
    #[error(transparent)]
    Capture(#[from] capture::Error),
    /// The process may not open enough descriptors for the connections held.
    #[error(
        "the plan holds about {needed} sockets open but the descriptor limit is {limit}: raise it (ulimit -n) or make fewer connections"
    )]
    Descriptors {
        /// Descriptors the plan needs.
        needed: u64,
        /// The limit that could be reached.
        limit: u64,
    },
    /// A worker thread panicked.
    #[error("a generator thread panicked")]
    Panicked,
}

/// The generated connections.
pub struct Generated {
    /// Every connection with its scenario, worker by worker, each worker's in
    /// the order they were made (so connections sharing a 4-tuple are in
    /// time order).
    pub labels: Vec<Labelled>,
    /// Sockets and listeners kept open on purpose: release them after the
    /// capture stopped.
    pub held: Vec<Held>,
    /// Wall time the workers took.
    pub elapsed: Duration,
}

impl Generated {
    /// Connections that reuse the 4-tuple of an earlier one.
    pub fn reused(&self) -> usize {
        let mut seen = std::collections::HashSet::with_capacity(self.labels.len());
        self.labels
            .iter()
            .filter(|l| !seen.insert((l.client, l.server)))
            .count()
    }
}

/// A generated capture.
pub struct Recorded {
    /// The traffic.
    pub generated: Generated,
    /// libpcap's counters at the end: `dropped` must be 0.
    pub stats: LiveStats,
    /// Frames written to the file.
    pub frames: u64,
}

/// Generates `plan`'s traffic without capturing it (someone else does).
///
/// # Errors
///
/// [`Error::Setup`] or [`Error::Scenario`] when a socket call fails.
pub fn generate(plan: &Plan) -> Result<Generated, Error> {
    ensure_descriptors(plan)?;
    let started = Instant::now();
    let results: Vec<Result<(Vec<Labelled>, Held), Error>> = thread::scope(|s| {
        let handles: Vec<_> = (0..plan.workers.max(1))
            .map(|w| s.spawn(move || Worker::new(w, plan)?.run()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Error::Panicked)))
            .collect()
    });
    collect(results, started.elapsed())
}

fn collect(
    results: Vec<Result<(Vec<Labelled>, Held), Error>>,
    elapsed: Duration,
) -> Result<Generated, Error> {
    let mut out = Generated {
        labels: Vec::new(),
        held: Vec::new(),
        elapsed,
    };
    for r in results {
        let (labels, held) = r?;
        out.labels.extend(labels);
        out.held.push(held);
    }
    Ok(out)
}

/// Generates `plan`'s traffic while libpcap records it on `lo` into `pcap`
/// (filtered by [`BPF_FILTER`], 512 MiB ring). The capture stops 300 ms
/// after the last packet; only then are the held sockets released, so their
/// FINs are not in the file.
///
/// # Errors
///
/// As [`generate`], and [`Error::Capture`] when capturing fails (no
/// permission: the message says how to get it).
pub fn record(plan: &Plan, pcap: &Path) -> Result<Recorded, Error> {
    ensure_descriptors(plan)?;
    let opts = LiveOptions {
        snaplen: SNAPLEN,
        buffer_bytes: RING_BYTES,
    };
    let mut cap = LiveCapture::open_with("lo", Some(BPF_FILTER), Some(pcap), opts)?;
    let started = Instant::now();
    let mut frames = 0u64;
    let results = thread::scope(|s| -> Result<_, Error> {
        let handles: Vec<_> = (0..plan.workers.max(1))
            .map(|w| s.spawn(move || Worker::new(w, plan)?.run()))
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            if cap.next_frame()?.is_some() {
                frames += 1;
            }
        }
        Ok(handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Error::Panicked)))
            .collect::<Vec<_>>())
    })?;
    let elapsed = started.elapsed();
    let mut last = Instant::now();
    while last.elapsed() < Duration::from_millis(300) {
        if cap.next_frame()?.is_some() {
            frames += 1;
            last = Instant::now();
        }
    }
    let stats = cap.stats()?;
    cap.flush()?;
    drop(cap);
    let generated = collect(results, elapsed)?;
    Ok(Recorded {
        generated,
        stats,
        frames,
    })
}

/// Raises the soft descriptor limit (up to the hard one, or beyond when
/// privileged) if the held connections of `plan` need it: left-open and
/// half-closed connections hold two descriptors each until the end.
fn ensure_descriptors(plan: &Plan) -> Result<(), Error> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let total: u32 = MIX.iter().map(|(_, w)| w).sum();
    let held: u32 = MIX
        .iter()
        .filter(|(s, _)| matches!(s, Scenario::LeftOpen | Scenario::HalfClose))
        .map(|(_, w)| w)
        .sum();
    // 10 % over the expected share covers the random spread (a few
    // standard deviations at these counts); plus a few per worker
    // (listeners, filler, probes) and the process's own.
    let expected = plan.connections as u64 * u64::from(held) / u64::from(total);
    let needed = expected * 2 * 11 / 10 + 16 * plan.workers as u64 + 256;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return Ok(());
    };
    if soft >= needed {
        return Ok(());
    }
    if setrlimit(Resource::RLIMIT_NOFILE, needed, hard.max(needed)).is_ok() {
        return Ok(());
    }
    // Unprivileged: the hard limit is as far as it goes.
    if hard >= needed && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return Ok(());
    }
    Err(Error::Descriptors {
        needed,
        limit: hard,
    })
}
