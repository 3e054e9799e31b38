//! The lab's one pass over its capture: every frame is read once, as it
//! arrives, and feeds three consumers at the same time:
//!
//! - the analyzer's engine ([`Analyzer`]), which gives the verdicts and
//!   Zeek's fields exactly as `lab analyze` would on the saved file;
//! - the ladder's record of each TCP segment ([`Segment`]), decoded here once;
//! - the watch on teardowns, which reads those same segments.
//!
//! Watching: a fixed sleep would be too short on a busy machine and too long
//! on an idle one, so the lab follows each connection's FINs and RSTs: a
//! connection is over once a RST has been seen, or both FINs and an
//! acknowledgement after the second (RFC 9293 §3.6). When every connection
//! seen is over and the wire stays quiet for a moment (a RST for late data can
//! still follow a FIN), or a bound passes, the capture stops.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::ladder::Segment;
use crate::analyze::{self, AnalyzeOptions, Analyzer};
use crate::capture::{self, FrameSource, LiveCapture};
use crate::report::ConnectionReport;
use crate::wire::{self, DecodeOptions, Decoded, Endpoint};

/// How long the wire must stay quiet once everything looks finished.
const QUIET: Duration = Duration::from_millis(40);

#[derive(Default)]
struct Ends {
    fin_from: Vec<Endpoint>,
    rst: bool,
    acked_after_fins: bool,
}

impl Ends {
    fn over(&self) -> bool {
        self.rst || self.acked_after_fins
    }

    fn see(&mut self, seg: &Segment) {
        if seg.flags.rst() {
            self.rst = true;
        } else if seg.flags.fin() && !self.fin_from.contains(&seg.src) {
            self.fin_from.push(seg.src);
        } else if self.fin_from.len() == 2 && seg.flags.ack() {
            self.acked_after_fins = true;
        }
    }
}

/// What the pass found once the capture has stopped.
pub(super) struct Pass {
    /// Every connection, as the analyzer reports it, in first-seen order.
    pub connections: Vec<ConnectionReport>,
    /// Every TCP segment, in capture order.
    pub segments: Vec<Segment>,
    /// Frames read.
    pub frames: u64,
}

/// Reads a live capture once, feeding the analyzer, the ladder and the watch.
pub(super) struct Watch {
    analyzer: Analyzer,
    decode: DecodeOptions,
    conns: HashMap<(Endpoint, Endpoint), Ends>,
    connections: Vec<ConnectionReport>,
    segments: Vec<Segment>,
    frames: u64,
}

impl Watch {
    /// A watch whose analyzer runs with `opts` (the lab uses the defaults,
    /// as `lab analyze` on the saved capture does).
    pub fn new(opts: &AnalyzeOptions) -> Self {
        Watch {
            analyzer: Analyzer::new(opts),
            decode: opts.decode,
            conns: HashMap::new(),
            connections: Vec::new(),
            segments: Vec::new(),
            frames: 0,
        }
    }

    /// Reads every frame already captured, waiting at most `wait` for the
    /// first. Returns whether any frame came.
    pub fn pump(&mut self, cap: &mut LiveCapture, wait: Duration) -> Result<bool, capture::Error> {
        cap.set_wait(wait);
        let mut any = false;
        while let Some(frame) = cap.next_frame()? {
            any = true;
            self.frames += 1;
            let connections = &mut self.connections;
            self.analyzer.frame(&frame, &mut |f| {
                connections.push(ConnectionReport::of(f.connection).with_app(f.app));
            });
            if let Decoded::Tcp(seg) = wire::decode(&frame, &self.decode) {
                let seg = Segment::of(frame.number, frame.ts, &seg);
                let key = if seg.src <= seg.dst {
                    (seg.src, seg.dst)
                } else {
                    (seg.dst, seg.src)
                };
                self.conns.entry(key).or_default().see(&seg);
                self.segments.push(seg);
            }
        }
        Ok(any)
    }

    /// Whether at least one connection was seen and every one is over.
    pub fn all_over(&self) -> bool {
        !self.conns.is_empty() && self.conns.values().all(Ends::over)
    }

    /// Pumps until every connection is over and the wire has been quiet for
    /// a moment, or until `deadline`. Returns whether the end was seen.
    pub fn until_over(
        &mut self,
        cap: &mut LiveCapture,
        deadline: Instant,
    ) -> Result<bool, capture::Error> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(self.all_over());
            }
            if self.all_over() {
                // Anything more within the quiet window (a RST answering late
                // data, a retransmission) keeps the watch going.
                if !self.pump(cap, QUIET)? {
                    return Ok(true);
                }
            } else {
                self.pump(cap, (deadline - now).min(Duration::from_millis(20)))?;
            }
        }
    }

    /// Ends the pass: the analyzer hands out the connections still open, as
    /// at the end of a capture file.
    ///
    /// # Errors
    ///
    /// As [`Analyzer::finish`].
    pub fn finish(self, cap: &LiveCapture) -> Result<Pass, analyze::Error> {
        let Watch {
            analyzer,
            mut connections,
            segments,
            frames,
            ..
        } = self;
        analyzer.finish(cap.anomalies(), &mut |f| {
            connections.push(ConnectionReport::of(f.connection).with_app(f.app));
        })?;
        // `analyze::analyze` orders by id (first seen); so does the lab.
        connections.sort_by_key(|c| c.id);
        Ok(Pass {
            connections,
            segments,
            frames,
        })
    }
}
