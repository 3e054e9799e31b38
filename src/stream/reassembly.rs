//! One direction of a TCP connection put back in order (RFC 9293 §3.4:
//! sequence numbers number bytes; a receiver delivers them in order).
//!
//! Segments arrive as the capture saw them: in order, out of order,
//! retransmitted, overlapping, or not at all. The reassembler delivers the
//! bytes once each, in order, to a sink, and says where a hole could not be
//! filled (a **gap**). It keeps only what is waiting out of order, bounded by
//! a window; what it has delivered it forgets, so a decoder downstream keeps
//! its own parser state, never the stream.
//!
//! Overlaps: the **first copy wins**, as in Zeek's reassembler and
//! Wireshark's default: bytes already delivered or waiting are never
//! replaced by a later copy. A later copy that differs from a waiting one is
//! counted (`inconsistent_bytes`); against bytes already delivered it cannot
//! be checked, since they are no longer kept.
//!
//! When does a hole become a gap? When the other side acknowledges past it
//! (the bytes were delivered to the peer, the capture missed them, which is
//! how Zeek's `G`/`g` history letters arise), or when the direction ends
//! ([`Reassembler::finish`]: FIN, RST, or the end of the capture).

use std::collections::BTreeMap;

/// What the reassembler hands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// In-order bytes starting at this stream offset (0 = the first byte
    /// after the SYN, or the first byte seen when the SYN was not).
    Data {
        /// Stream offset of `bytes[0]`.
        offset: u64,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// Bytes that will never be seen.
    Gap {
        /// Stream offset of the first missing byte.
        offset: u64,
        /// How many are missing.
        len: u64,
    },
}

/// Why a direction stopped being reassembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// More than the window's worth of data waited out of order.
    WindowOverflow,
}

/// Counters a report can show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes declared missing.
    pub gap_bytes: u64,
    /// Number of gaps.
    pub gaps: u64,
    /// Bytes that arrived again after a first copy (retransmissions and
    /// overlaps).
    pub duplicate_bytes: u64,
    /// Duplicate bytes that differed from a waiting first copy.
    pub inconsistent_bytes: u64,
    /// The most bytes that waited out of order at once.
    pub peak_waiting: usize,
}

/// One direction's reassembler.
#[derive(Debug, Clone)]
pub struct Reassembler {
    /// The sequence number of stream offset 0.
    base: u32,
    /// Stream offset of the next byte to deliver.
    next: u64,
    /// Segments waiting, keyed by start offset; never overlapping, all at or
    /// after `next`.
    waiting: BTreeMap<u64, Vec<u8>>,
    waiting_bytes: usize,
    window: usize,
    stopped: Option<Stopped>,
    counts: Counts,
}

/// The default out-of-order window, per direction.
pub const DEFAULT_WINDOW: usize = 64 * 1024;

impl Reassembler {
    /// A direction whose first byte has sequence number `first_seq` (the
    /// SYN's sequence number plus one), buffering at most `window` bytes out
    /// of order.
    pub fn new(first_seq: u32, window: usize) -> Self {
        Reassembler {
            base: first_seq,
            next: 0,
            waiting: BTreeMap::new(),
            waiting_bytes: 0,
            window,
            stopped: None,
            counts: Counts::default(),
        }
    }

    /// Why reassembly stopped, if it did.
    pub fn stopped(&self) -> Option<Stopped> {
        self.stopped
    }

    /// The counters so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Stream offset of the next byte to deliver.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// Bytes waiting out of order now.
    pub fn waiting_bytes(&self) -> usize {
        self.waiting_bytes
    }

    /// The stream offset of a sequence number: the one closest to the next
    /// expected byte, so 32-bit wrap-around is followed (RFC 9293 §3.4).
    /// Negative for bytes before offset 0.
    fn signed_offset(&self, seq: u32) -> i64 {
        let next_seq = self.base.wrapping_add(self.next as u32);
        self.next as i64 + i64::from(seq.wrapping_sub(next_seq) as i32)
    }

    /// A segment's payload. Hands on whatever is now in order.
    pub fn segment(&mut self, seq: u32, payload: &[u8], sink: &mut impl FnMut(Piece<'_>)) {
        if self.stopped.is_some() || payload.is_empty() {
            return;
        }
        let mut data = payload;
        let mut offset = match self.signed_offset(seq) {
            // Bytes before the stream's first (a segment from before a SYN
            // the capture missed): only the part from offset 0 on counts.
            before if before < 0 => {
                let skip = before.unsigned_abs().min(data.len() as u64) as usize;
                data = &data[skip..];
                0
            }
            at => at as u64,
        };
        if offset < self.next {
            let seen = ((self.next - offset) as usize).min(data.len());
            self.counts.duplicate_bytes += seen as u64;
            data = &data[seen..];
            offset = self.next;
        }
        if data.is_empty() {
            return;
        }
        if offset == self.next && self.waiting.is_empty() {
            // The common case: in order, nothing waiting. No copy.
            self.deliver(offset, data, sink);
            return;
        }
        self.insert(offset, data);
        if self.waiting_bytes > self.window {
            self.stopped = Some(Stopped::WindowOverflow);
            self.waiting.clear();
            self.waiting_bytes = 0;
            return;
        }
        self.drain(sink);
    }

    /// The other side acknowledged up to `ack` (the next sequence number it
    /// expects): whatever is still missing below it was delivered to the
    /// peer but never captured, and becomes a gap.
    pub fn acknowledged(&mut self, ack: u32, sink: &mut impl FnMut(Piece<'_>)) {
        if self.stopped.is_some() {
            return;
        }
        let upto = self.signed_offset(ack);
        loop {
            self.drain(sink);
            if self.next as i64 >= upto {
                return;
            }
            let hole_end = self
                .waiting
                .keys()
                .next()
                .map_or(upto as u64, |&s| s.min(upto as u64));
            self.gap(hole_end - self.next, sink);
        }
    }

    /// The direction ended (FIN, RST or end of capture): every hole left
    /// before waiting data is a gap, and the waiting data is delivered.
    pub fn finish(&mut self, sink: &mut impl FnMut(Piece<'_>)) {
        if self.stopped.is_some() {
            return;
        }
        while let Some(&start) = self.waiting.keys().next() {
            if start > self.next {
                self.gap(start - self.next, sink);
            }
            self.drain(sink);
        }
    }

    fn gap(&mut self, len: u64, sink: &mut impl FnMut(Piece<'_>)) {
        sink(Piece::Gap {
            offset: self.next,
            len,
        });
        self.counts.gaps += 1;
        self.counts.gap_bytes += len;
        self.next += len;
    }

    fn deliver(&mut self, offset: u64, bytes: &[u8], sink: &mut impl FnMut(Piece<'_>)) {
        debug_assert_eq!(offset, self.next);
        sink(Piece::Data { offset, bytes });
        self.next += bytes.len() as u64;
        self.counts.delivered += bytes.len() as u64;
    }

    /// Delivers waiting segments that are now in order.
    fn drain(&mut self, sink: &mut impl FnMut(Piece<'_>)) {
        while let Some(entry) = self.waiting.first_entry() {
            if *entry.key() != self.next {
                break;
            }
            let bytes = entry.remove();
            self.waiting_bytes -= bytes.len();
            self.deliver(self.next, &bytes, sink);
        }
    }

    /// Adds the parts of `[offset, offset + data.len())` that nothing waiting
    /// covers yet (first copy wins); counts the rest as duplicates.
    fn insert(&mut self, offset: u64, data: &[u8]) {
        let end = offset + data.len() as u64;
        // The waiting segment that starts at or before `offset` may reach
        // into the new one; begin there.
        let from = self
            .waiting
            .range(..=offset)
            .next_back()
            .map_or(offset, |(&s, _)| s);
        let mut cursor = offset;
        let mut fresh: Vec<(u64, u64)> = Vec::new();
        for (&s, seg) in self.waiting.range(from..end) {
            let e = s + seg.len() as u64;
            if e <= cursor {
                continue;
            }
            if s > cursor {
                fresh.push((cursor, s));
            }
            // The overlap [max(s, cursor), min(e, end)) was there first.
            let (o_start, o_end) = (s.max(cursor), e.min(end));
            let theirs = &seg[(o_start - s) as usize..(o_end - s) as usize];
            let ours = &data[(o_start - offset) as usize..(o_end - offset) as usize];
            self.counts.duplicate_bytes += theirs.len() as u64;
            self.counts.inconsistent_bytes +=
                theirs.iter().zip(ours).filter(|(a, b)| a != b).count() as u64;
            cursor = e.max(cursor);
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            fresh.push((cursor, end));
        }
        for (s, e) in fresh {
            let piece = data[(s - offset) as usize..(e - offset) as usize].to_vec();
            self.waiting_bytes += piece.len();
            self.waiting.insert(s, piece);
        }
        self.counts.peak_waiting = self.counts.peak_waiting.max(self.waiting_bytes);
    }
}
