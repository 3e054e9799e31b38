//! The lab's one pass over its capture: every frame is read once, as it
//! arrives, and feeds three consumers at the same time:
//!
//! - the analyzer's engine ([`Analyzer`]), which gives the verdicts and
//!   Zeek's fields exactly as `lab analyze` would on the saved file;
//! - the ladder's record of each TCP segment ([`Segment`]), decoded here once;
//! - the watch on teardowns, which reads those same segments.
//!
//! Over TLS the analyzer cannot read as the frames arrive: a connection's
//! decrypter is made with the key log as it stood at its SYN, before the
//! handshake wrote its secrets. A TLS run's watch therefore keeps the frames
//! ([`Watch::holding`]) and hands them to an analyzer made with the finished
//! key log at the end, still without reading any file back.
//!
//! Watching: a fixed sleep would be too short on a busy machine and too long
//! on an idle one, so the lab follows each connection's FINs and RSTs: a
//! connection is over once a RST has been seen, or both FINs and an
//! acknowledgement after the second (RFC 9293 §3.6). When every connection
//! seen is over and the wire stays quiet for a moment (a RST for late data can
//! still follow a FIN), or a bound passes, the capture stops.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ladder::Segment;
use crate::analyze::{self, AnalyzeOptions, Analyzer};
use crate::capture::{self, Frame, FrameSource, LinkType, LiveCapture, Timestamp};
use crate::report::ConnectionReport;
use crate::tls_decrypt::KeyLog;
use crate::wire::{self, DecodeOptions, Decoded, Endpoint};

/// A frame kept for an analyzer made later.
struct Held {
    number: u64,
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

/// Where the frames go: straight into the analyzer, or kept for one made
/// with the key log once the run is over.
enum Feed {
    Live(Box<Analyzer>),
    Holding(AnalyzeOptions, Vec<Held>),
}

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
    feed: Feed,
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
            feed: Feed::Live(Box::new(Analyzer::new(opts))),
            decode: opts.decode,
            conns: HashMap::new(),
            connections: Vec::new(),
            segments: Vec::new(),
            frames: 0,
        }
    }

    /// A watch that keeps the frames for an analyzer made by
    /// [`Watch::finish`] with the run's key log (TLS runs).
    pub fn holding(opts: &AnalyzeOptions) -> Self {
        Watch {
            feed: Feed::Holding(opts.clone(), Vec::new()),
            ..Watch::new(opts)
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
            match &mut self.feed {
                Feed::Live(analyzer) => analyzer.frame(&frame, &mut |f| {
                    connections.push(ConnectionReport::of(f.connection).with_finished(f.app));
                }),
                Feed::Holding(_, held) => held.push(Held {
                    number: frame.number,
                    ts: frame.ts,
                    link: frame.link,
                    data: frame.data.to_vec(),
                    orig_len: frame.orig_len,
                }),
            }
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
    /// at the end of a capture file. A holding watch first reads its frames
    /// with `keylog`.
    ///
    /// # Errors
    ///
    /// As [`Analyzer::finish`].
    pub fn finish(
        self,
        cap: &LiveCapture,
        keylog: Option<Arc<KeyLog>>,
    ) -> Result<Pass, analyze::Error> {
        let Watch {
            feed,
            mut connections,
            segments,
            frames,
            ..
        } = self;
        let analyzer = match feed {
            Feed::Live(analyzer) => *analyzer,
            Feed::Holding(mut opts, held) => {
                if let Some(app) = opts.app.as_mut() {
                    app.keylog = keylog;
                }
                let mut analyzer = Analyzer::new(&opts);
                for h in &held {
                    let frame = Frame {
                        number: h.number,
                        ts: h.ts,
                        link: h.link,
                        data: &h.data,
                        orig_len: h.orig_len,
                    };
                    analyzer.frame(&frame, &mut |f| {
                        connections.push(ConnectionReport::of(f.connection).with_finished(f.app));
                    });
                }
                analyzer
            }
        };
        analyzer.finish(cap.anomalies(), &mut |f| {
            connections.push(ConnectionReport::of(f.connection).with_finished(f.app));
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
