//! The CRYPTO stream of one packet number space and direction, put back in
//! order (RFC 9000 §19.6: CRYPTO frames carry offsets, may repeat, and
//! arrive in any order; browsers split a ClientHello over several frames
//! and packets and shuffle them).

use std::collections::BTreeMap;

use super::QuicError;

/// The most CRYPTO bytes held for one stream: far above any ClientHello or
/// server flight with a certificate chain, small enough that a forged
/// offset cannot make the reader hold much.
pub const MAX_CRYPTO: u64 = 64 * 1024;

/// One direction's CRYPTO stream.
#[derive(Debug, Clone, Default)]
pub struct CryptoStream {
    /// Bytes handed out in order so far.
    next: u64,
    /// Pieces beyond `next`, by offset.
    pending: BTreeMap<u64, Vec<u8>>,
}

impl CryptoStream {
    /// Bytes delivered in order so far.
    pub fn delivered(&self) -> u64 {
        self.next
    }

    /// Bytes held beyond a gap.
    pub fn pending(&self) -> usize {
        self.pending.values().map(Vec::len).sum()
    }

    /// A CRYPTO frame's data; `out` gets every run of bytes that is now in
    /// order. The first copy of a byte wins; repeats are dropped.
    pub fn insert(
        &mut self,
        offset: u64,
        data: &[u8],
        out: &mut impl FnMut(&[u8]),
    ) -> Result<(), QuicError> {
        let end = offset.saturating_add(data.len() as u64);
        if end > MAX_CRYPTO {
            return Err(QuicError::CryptoTooFar {
                offset: end,
                max: MAX_CRYPTO,
            });
        }
        if end <= self.next {
            return Ok(());
        }
        // Drop what was already delivered.
        let skip = self.next.saturating_sub(offset) as usize;
        let (offset, data) = (offset.max(self.next), &data[skip..]);
        if offset > self.next {
            // A longer piece at the same offset brings bytes the held one
            // lacks; its overlap repeats them.
            let held = self.pending.entry(offset).or_default();
            if data.len() > held.len() {
                *held = data.to_vec();
            }
            return Ok(());
        }
        out(data);
        self.next = end;
        // Pieces the new bytes reached.
        while let Some((&at, _)) = self.pending.first_key_value() {
            if at > self.next {
                break;
            }
            let piece = self.pending.remove(&at).unwrap_or_default();
            let piece_end = at + piece.len() as u64;
            if piece_end > self.next {
                out(&piece[(self.next - at) as usize..]);
                self.next = piece_end;
            }
        }
        Ok(())
    }
}
