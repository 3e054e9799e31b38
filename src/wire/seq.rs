//! TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4).

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Sub};

/// A TCP sequence (or acknowledgement) number.
///
/// Ordering wraps around: `a < b` when `b` lies less than 2^31 ahead of `a`
/// (RFC 9293 §3.4, "Sequence Numbers"), so comparisons stay right across the
/// 4 GiB wrap. Two numbers exactly 2^31 apart are unordered (RFC 1982 §3.2
/// leaves that comparison undefined): `partial_cmp` says `None`, so neither is
/// less than the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// Signed distance from `other` to `self`, as the wrap-around rule sees it.
    pub fn diff(self, other: SeqNum) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
}

impl PartialOrd for SeqNum {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        // Without this case both `a < b` and `b < a` would hold, which breaks
        // PartialOrd's asymmetry (checked in tests/properties.rs).
        match self.diff(*other) {
            i32::MIN => None,
            d => Some(d.cmp(&0)),
        }
    }
}

impl Add<u32> for SeqNum {
    type Output = SeqNum;
    fn add(self, rhs: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(rhs))
    }
}

impl Sub<u32> for SeqNum {
    type Output = SeqNum;
    fn sub(self, rhs: u32) -> SeqNum {
        SeqNum(self.0.wrapping_sub(rhs))
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests;
