//! Watching the capture until the lab's connections are torn down.
//!
//! A fixed sleep would be too short on a busy machine and too long on an idle
//! one, so the lab reads the live capture and follows each connection's FINs
//! and RSTs: a connection is over once a RST has been seen, or both FINs and
//! an acknowledgement after the second (RFC 9293 §3.6). When every connection
//! seen is over and the wire stays quiet for a moment (a RST for late data
//! can still follow a FIN), or a bound passes, the capture stops.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::capture::{Error, LiveCapture};
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
}

/// Follows teardowns in the frames read from a live capture.
#[derive(Default)]
pub(super) struct Watch {
    conns: HashMap<(Endpoint, Endpoint), Ends>,
    /// Frames read.
    pub frames: u64,
}

impl Watch {
    /// Reads every frame already captured, waiting at most `wait` for the
    /// first. Returns whether any frame came.
    pub fn pump(&mut self, cap: &mut LiveCapture, wait: Duration) -> Result<bool, Error> {
        cap.set_wait(wait);
        let mut any = false;
        while let Some(frame) = cap.next_frame()? {
            any = true;
            self.frames += 1;
            if let Decoded::Tcp(seg) = wire::decode(&frame, &DecodeOptions::default()) {
                let key = if seg.src <= seg.dst {
                    (seg.src, seg.dst)
                } else {
                    (seg.dst, seg.src)
                };
                let e = self.conns.entry(key).or_default();
                if seg.flags.rst() {
                    e.rst = true;
                } else if seg.flags.fin() && !e.fin_from.contains(&seg.src) {
                    e.fin_from.push(seg.src);
                } else if e.fin_from.len() == 2 && seg.flags.ack() {
                    e.acked_after_fins = true;
                }
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
    pub fn until_over(&mut self, cap: &mut LiveCapture, deadline: Instant) -> Result<bool, Error> {
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
}
