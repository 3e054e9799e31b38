//! One QUIC stream's bytes put back in order (RFC 9000 §2.2: STREAM frames
//! carry offsets, may repeat and arrive in any order). Unlike the CRYPTO
//! stream's, offsets are unbounded (a response body may be gigabytes); what
//! is bounded is what waits beyond a gap.

use std::collections::BTreeMap;

/// Bytes held beyond a gap, per stream direction.
pub const MAX_HELD: usize = 256 * 1024;

/// One direction of one stream.
#[derive(Debug, Clone, Default)]
pub struct Reassembly {
    next: u64,
    pending: BTreeMap<u64, Vec<u8>>,
    held: usize,
}

impl Reassembly {
    /// The new bytes of a STREAM frame that continues the stream where it
    /// is in order and nothing waits beyond a gap, as they lie (empty when
    /// it only repeats bytes): the one run [`Reassembly::insert`] would
    /// give, with nothing copied. `None` for any other frame, which
    /// `insert` takes.
    pub fn in_order<'d>(&mut self, offset: u64, data: &'d [u8]) -> Option<&'d [u8]> {
        if offset > self.next || !self.pending.is_empty() {
            return None;
        }
        let end = offset.saturating_add(data.len() as u64);
        if end <= self.next {
            return Some(&[]);
        }
        let skip = usize::try_from(self.next - offset).unwrap_or(usize::MAX);
        self.next = end;
        Some(&data[skip.min(data.len())..])
    }

    /// A STREAM frame's bytes; `out` gets every run now in order. `Err`
    /// when more than [`MAX_HELD`] bytes would wait beyond a gap.
    pub fn insert(
        &mut self,
        offset: u64,
        data: &[u8],
        out: &mut impl FnMut(&[u8]),
    ) -> Result<(), usize> {
        let end = offset.saturating_add(data.len() as u64);
        if end <= self.next {
            return Ok(());
        }
        let skip = usize::try_from(self.next.saturating_sub(offset)).unwrap_or(usize::MAX);
        let (offset, data) = (offset.max(self.next), &data[skip.min(data.len())..]);
        if offset > self.next {
            let held = self.pending.entry(offset).or_default();
            if data.len() > held.len() {
                if self.held + data.len() - held.len() > MAX_HELD {
                    return Err(MAX_HELD);
                }
                self.held += data.len() - held.len();
                *held = data.to_vec();
            }
            return Ok(());
        }
        out(data);
        self.next = end;
        while let Some((&at, _)) = self.pending.first_key_value() {
            if at > self.next {
                break;
            }
            let piece = self.pending.remove(&at).unwrap_or_default();
            self.held -= piece.len();
            let piece_end = at + piece.len() as u64;
            if piece_end > self.next {
                out(&piece[usize::try_from(self.next - at).unwrap_or(0)..]);
                self.next = piece_end;
            }
        }
        Ok(())
    }
}
