//! The UDP side of the application stage spread over threads: QUIC
//! connections are independent of each other and each belongs to one
//! address pair (RFC 9000 §5.2 as this reader applies it, see
//! [`crate::app::quic`]), so the pairs are shared out among shard threads
//! by their hash, each running its own [`QuicTracker`]. Opening a keyed
//! capture's packets (key schedules, AES-GCM, HTTP/3) is most of a QUIC
//! capture's work, and it then runs on every core instead of the flow
//! thread's one.
//!
//! The flow thread stays the one that sees every datagram in order. It
//! copies each UDP datagram and each ICMP error quoting one into the round
//! of the shard its pair hashes to, and sends the rounds at the end of
//! each packet batch ([`UdpShards::batch_end`]). A shard answers a round
//! with which datagrams QUIC took; the others go on to the DNS tracker here,
//! merged back into frame order, so DNS sees exactly what it sees when one
//! thread does everything (its idea of which endpoints are DNS servers
//! spans pairs, so it is not split). A few rounds per shard are in flight
//! while the flow thread fills the next. Each datagram carries the network
//! time of all of them (the latest datagram's so far), which its shard
//! moves to first: a connection is over by that time on every thread alike
//! ([`crate::app::quic`]'s held connections), also when the capture's times
//! go back. At the end each shard's reports come back and are merged by
//! first frame, the order one tracker keeps.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use crate::app::dns::DnsTracker;
use crate::app::quic::{QuicReport, QuicTracker};
use crate::capture::Timestamp;
use crate::wire::{Endpoint, UdpUnreachable};

use super::app_stage::UdpReports;

/// Rounds each shard may have unanswered while the flow thread fills the
/// next: past this the flow thread waits for the oldest answer, and the
/// reading thread, whose batches it holds, for it. A round holds one
/// batch's datagrams at most (about 1.2 MB of the benchmark's), so a few
/// in flight are little memory and let the shards run unevenly.
const IN_FLIGHT: usize = 3;

/// Shard threads at most: past the cores, more only interleave.
pub(super) const MAX_SHARDS: usize = 4;

/// Payload bytes a round keeps room for between uses: a batch of
/// full-sized loopback datagrams (64 KB each) would otherwise leave every
/// spare round holding 128 MB.
const ROUND_KEEP: usize = 4 << 20;

/// What a shard is asked to look at.
#[derive(Clone, Copy)]
enum What {
    Datagram { src: Endpoint, dst: Endpoint },
    Icmp(UdpUnreachable),
}

/// One datagram or ICMP error; its payload is `bytes[start..end]` of its
/// round.
struct Item {
    frame: u64,
    ts: Timestamp,
    /// The network time once this datagram is seen.
    now: Timestamp,
    what: What,
    start: usize,
    end: usize,
}

/// The datagrams of one batch for one shard, and (once answered) which of
/// them QUIC took. The vectors are reused from round to round.
#[derive(Default)]
struct Round {
    items: Vec<Item>,
    bytes: Vec<u8>,
    taken: Vec<bool>,
}

impl Round {
    fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
        self.bytes.shrink_to(ROUND_KEEP);
        self.taken.clear();
    }
}

enum ToShard {
    Round(Round),
    /// The end of the input at this network time: report and stop.
    Finish(Timestamp),
}

enum FromShard {
    Round(Round),
    Reports(Vec<QuicReport>),
}

struct Shard {
    tx: Option<Sender<ToShard>>,
    /// Dropped before joining, so that a shard stops at its next answer
    /// instead of working through the rounds still queued.
    rx: Option<Receiver<FromShard>>,
    thread: Option<JoinHandle<()>>,
}

impl Shard {
    /// The shard's answer; a shard that is gone panicked, and its panic
    /// goes on here.
    fn recv(&mut self) -> FromShard {
        match self.rx.as_ref().map(Receiver::recv) {
            Some(Ok(msg)) => msg,
            _ => {
                if let Some(t) = self.thread.take()
                    && let Err(panic) = t.join()
                {
                    std::panic::resume_unwind(panic);
                }
                unreachable!("a shard thread ended without answering and without a panic")
            }
        }
    }

    fn send(&mut self, msg: ToShard) {
        // A failed send means the thread is gone: its panic surfaces at the
        // next `recv`.
        if let Some(tx) = &self.tx {
            let _ = tx.send(msg);
        }
    }
}

/// QUIC over shard threads and DNS on the calling one.
pub(super) struct UdpShards {
    shards: Vec<Shard>,
    /// The round each shard's datagrams go to now.
    filling: Vec<Round>,
    /// Rounds sent and not yet answered, per shard (the same for all).
    in_flight: usize,
    spare: Vec<Round>,
    dns: DnsTracker,
    /// Network time: the latest datagram's so far.
    now: Timestamp,
}

/// The shard thread: each round through its tracker, in order.
fn shard_thread(mut quic: QuicTracker, rx: Receiver<ToShard>, tx: Sender<FromShard>) {
    for msg in rx {
        match msg {
            ToShard::Round(mut r) => {
                r.taken.clear();
                for it in &r.items {
                    quic.advance(it.now);
                    let payload = r.bytes.get(it.start..it.end).unwrap_or_default();
                    let took = match &it.what {
                        What::Datagram { src, dst } => {
                            quic.datagram(it.frame, it.ts, *src, *dst, payload)
                        }
                        What::Icmp(u) => {
                            quic.icmp(it.frame, it.ts, u);
                            true
                        }
                    };
                    r.taken.push(took);
                }
                if tx.send(FromShard::Round(r)).is_err() {
                    return;
                }
            }
            ToShard::Finish(end) => {
                let _ = tx.send(FromShard::Reports(quic.finish(end)));
                return;
            }
        }
    }
}

impl UdpShards {
    /// `quic` and `dns` as one thread left them, the QUIC connections
    /// spread over `n` new threads; or both back when fewer than two
    /// threads could be had (the system refused one).
    pub(super) fn spread(
        quic: QuicTracker,
        dns: DnsTracker,
        n: usize,
    ) -> Result<Self, Box<(QuicTracker, DnsTracker)>> {
        let mut threads = Vec::new();
        let mut starts = Vec::new();
        for i in 0..n.min(MAX_SHARDS) {
            let (start_tx, start_rx) =
                channel::<(QuicTracker, Receiver<ToShard>, Sender<FromShard>)>();
            let spawned = std::thread::Builder::new()
                .name(format!("lab-quic{i}"))
                .spawn(move || {
                    if let Ok((quic, rx, tx)) = start_rx.recv() {
                        shard_thread(quic, rx, tx);
                    }
                });
            match spawned {
                Ok(t) => {
                    threads.push(t);
                    starts.push(start_tx);
                }
                Err(_) => break,
            }
        }
        if threads.len() < 2 {
            // Their start channels close: the threads end at once.
            drop(starts);
            for t in threads {
                let _ = t.join();
            }
            return Err(Box::new((quic, dns)));
        }
        let now = quic.now();
        let trackers = quic.split(threads.len());
        let mut shards = Vec::with_capacity(threads.len());
        for ((quic, start), thread) in trackers.into_iter().zip(starts).zip(threads) {
            let (to_tx, to_rx) = channel();
            let (from_tx, from_rx) = channel();
            // The thread waits for this; it cannot be gone before it.
            let _ = start.send((quic, to_rx, from_tx));
            shards.push(Shard {
                tx: Some(to_tx),
                rx: Some(from_rx),
                thread: Some(thread),
            });
        }
        let filling = shards.iter().map(|_| Round::default()).collect();
        Ok(UdpShards {
            shards,
            filling,
            in_flight: 0,
            spare: Vec::new(),
            dns,
            now,
        })
    }

    fn push(&mut self, frame: u64, ts: Timestamp, what: What, payload: &[u8]) {
        let (a, b) = match &what {
            What::Datagram { src, dst } => {
                self.now = self.now.max(ts);
                (*src, *dst)
            }
            // One tracker's time moves with datagrams only.
            What::Icmp(u) => (u.src, u.dst),
        };
        let now = self.now;
        let i = QuicTracker::shard_of(a, b, self.shards.len());
        let Some(r) = self.filling.get_mut(i) else {
            return;
        };
        let start = r.bytes.len();
        r.bytes.extend_from_slice(payload);
        r.items.push(Item {
            frame,
            ts,
            now,
            what,
            start,
            end: r.bytes.len(),
        });
    }

    /// A UDP datagram and its payload.
    pub(super) fn datagram(
        &mut self,
        frame: u64,
        ts: Timestamp,
        src: Endpoint,
        dst: Endpoint,
        payload: &[u8],
    ) {
        self.push(frame, ts, What::Datagram { src, dst }, payload);
    }

    /// An ICMP error quoting a UDP datagram.
    pub(super) fn icmp(&mut self, frame: u64, ts: Timestamp, u: &UdpUnreachable) {
        self.push(frame, ts, What::Icmp(*u), &[]);
    }

    /// The end of a packet batch: the rounds filled go to their shards, and
    /// the answers to the rounds before (beyond [`IN_FLIGHT`]) are taken.
    pub(super) fn batch_end(&mut self) {
        if self.filling.iter().all(|r| r.items.is_empty()) {
            return;
        }
        for i in 0..self.shards.len() {
            let next = self.spare.pop().unwrap_or_default();
            let full = std::mem::replace(&mut self.filling[i], next);
            self.shards[i].send(ToShard::Round(full));
        }
        self.in_flight += 1;
        while self.in_flight > IN_FLIGHT {
            self.answers();
        }
    }

    /// Each shard's answer to the oldest round in flight; the datagrams
    /// QUIC did not take go to DNS in frame order.
    fn answers(&mut self) {
        let mut rounds = Vec::with_capacity(self.shards.len());
        for s in &mut self.shards {
            match s.recv() {
                FromShard::Round(r) => rounds.push(r),
                FromShard::Reports(_) => {
                    unreachable!("a shard reports only when asked to finish")
                }
            }
        }
        self.in_flight -= 1;
        // Each round is in frame order: merge them by their next frame.
        let mut at = vec![0usize; rounds.len()];
        loop {
            let next = (0..rounds.len())
                .filter_map(|i| rounds[i].items.get(at[i]).map(|it| (it.frame, i)))
                .min();
            let Some((_, i)) = next else {
                break;
            };
            let r = &rounds[i];
            let k = at[i];
            at[i] += 1;
            let it = &r.items[k];
            if let (What::Datagram { src, dst }, Some(false)) = (&it.what, r.taken.get(k)) {
                let payload = r.bytes.get(it.start..it.end).unwrap_or_default();
                self.dns.datagram(it.frame, it.ts, *src, *dst, payload);
            }
        }
        for mut r in rounds {
            r.clear();
            self.spare.push(r);
        }
    }

    /// The end of the input at network time `end`: the last rounds, then
    /// every shard's reports merged into first-packet order.
    pub(super) fn finish(mut self, end: Timestamp) -> UdpReports {
        if self.filling.iter().any(|r| !r.items.is_empty()) {
            for i in 0..self.shards.len() {
                let full = std::mem::take(&mut self.filling[i]);
                self.shards[i].send(ToShard::Round(full));
            }
            self.in_flight += 1;
        }
        while self.in_flight > 0 {
            self.answers();
        }
        // Every shard finishes its open connections at once.
        for s in &mut self.shards {
            s.send(ToShard::Finish(end));
        }
        let mut quic = Vec::new();
        for s in &mut self.shards {
            match s.recv() {
                FromShard::Reports(r) => quic.extend(r),
                FromShard::Round(_) => unreachable!("every round was answered"),
            }
        }
        // One datagram starts one connection: first frames are distinct.
        quic.sort_by_key(|q| q.first_frame);
        UdpReports {
            quic,
            dns: std::mem::take(&mut self.dns).finish(),
        }
    }
}

impl Drop for UdpShards {
    /// The threads are told to stop (their channels close) and joined, so
    /// none outlives the analysis, after an error too; a shard's panic
    /// goes on here unless one is already unwinding.
    fn drop(&mut self) {
        for s in &mut self.shards {
            s.tx = None;
            s.rx = None;
        }
        for s in &mut self.shards {
            if let Some(t) = s.thread.take()
                && let Err(panic) = t.join()
                && !std::thread::panicking()
            {
                std::panic::resume_unwind(panic);
            }
        }
    }
}
