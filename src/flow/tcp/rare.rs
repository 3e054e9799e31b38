//! The part of a connection record that few connections need: counters of
//! uncommon events and the out-of-order data waiting beyond a content gap
//! (`gaps.rs`). The record holds it behind one pointer, allocated the first
//! time it is needed, so the common connection pays 8 bytes for it.
//!
//! A leaf: it knows no TCP rule, only how to keep ranges of sequence space.

use super::history::Scaled;

/// Zeek's `tcp_max_above_hole_without_any_acks`: out-of-order data this far
/// above a hole while nothing of the direction was ever acknowledged makes
/// Zeek stop reassembling that direction (and so stop finding its gaps).
pub(super) const MAX_ABOVE_HOLE_WITHOUT_ACKS: u32 = 16_384;

/// wirelab's own bound on separate out-of-order ranges waiting in one
/// direction (Zeek's is 10 MiB of buffered data, which the flow stage does
/// not count): past it the direction is given up as Zeek gives up on
/// excessive data, so a hostile capture cannot make insertion quadratic.
/// Real traffic stays far below: 4096 holes at once is a 6 MB window with
/// every other segment lost.
pub(super) const MAX_WAITING_RANGES: usize = 4096;

/// What few connections need: counters of uncommon events and the state of
/// content gaps beyond the delivered point. Indexed by endpoint (`ep[i]`),
/// like the record's endpoints.
#[derive(Clone, Debug, Default)]
pub(in crate::flow) struct Rare {
    /// Zero windows (`W`, §5.5).
    pub(in crate::flow) zero_win: [Scaled; 2],
    /// Bad checksums (`C`, §1 step 3).
    pub(in crate::flow) bad_csum: [Scaled; 2],
    /// Content gaps found in the data each endpoint sent (`G`, §12).
    pub(in crate::flow) gaps: [Scaled; 2],
    /// Out-of-order data each endpoint sent, waiting beyond a hole.
    pub(in crate::flow) waiting: [Waiting; 2],
    /// Octets of all reported gaps, both directions (Zeek's `missed_bytes`).
    pub(in crate::flow) missed_bytes: u64,
}

/// One direction's out-of-order data: merged, ascending `[lo, hi)` ranges
/// of relative sequence numbers, all beyond the delivered point. Adjacent
/// ranges are merged because Zeek delivers adjacent blocks together.
#[derive(Clone, Debug, Default)]
pub(in crate::flow) struct Waiting {
    pub(super) spans: Vec<(u32, u32)>,
    /// Zeek gave up reassembling this direction (`skip_deliveries`).
    pub(super) skipping: bool,
}

/// `a - b` for relative positions kept as their low 32 bits: right while the
/// two are less than 2 GiB apart, which holds for positions near one
/// stream's delivered point.
#[inline]
pub(super) fn diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

impl Waiting {
    /// Adds `[lo, hi)`, merging with overlapping or adjacent ranges.
    pub(super) fn insert(&mut self, lo: u32, hi: u32) {
        // The ranges are disjoint and ascending, so their ends are too.
        let at = self.spans.partition_point(|&(_, h)| diff(h, lo) < 0);
        let (mut lo, mut hi) = (lo, hi);
        let mut end = at;
        while let Some(&(l, h)) = self.spans.get(end) {
            if diff(l, hi) > 0 {
                break;
            }
            if diff(l, lo) < 0 {
                lo = l;
            }
            if diff(h, hi) > 0 {
                hi = h;
            }
            end += 1;
        }
        self.spans.splice(at..end, [(lo, hi)]);
    }

    /// Delivers the waiting ranges that now start at or below `point`;
    /// returns the new delivered point.
    pub(super) fn absorb(&mut self, mut point: u32) -> u32 {
        let mut n = 0;
        for &(lo, hi) in &self.spans {
            if diff(lo, point) > 0 {
                break;
            }
            if diff(hi, point) > 0 {
                point = hi;
            }
            n += 1;
        }
        self.spans.drain(..n);
        point
    }

    /// How many separate ranges wait.
    pub(super) fn ranges(&self) -> usize {
        self.spans.len()
    }

    /// The end of the highest waiting range.
    pub(super) fn top(&self) -> Option<u32> {
        self.spans.last().map(|&(_, hi)| hi)
    }
}

#[cfg(test)]
mod tests;
