//! Zeek's `history` string: one letter per notable event, stored compactly.
//!
//! The letters, their case and their repetition rules follow
//! `docs/zeek-conn-state.md` §5: uppercase for the originator at the moment the
//! letter is added (§5.2), once-only letters guarded by a per-direction bit
//! mask (§5.4 rule 1), and logarithmic letters (`C`, `T`, `W`, `G`) added on the
//! 1st, 10th, 100th, … event of an endpoint (§5.4 rule 3). Repeats of S/H, F
//! and R at new sequence positions (§5.4 rule 2) are decided by the tracker,
//! which knows sequence numbers.
//!
//! Storage: up to 23 letters live inline in the connection record; longer
//! histories (rare: many flips or resets at new positions) move to the heap.

use std::fmt;
use std::num::NonZeroU8;

/// A history letter, before the case for the sender's role is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Letter {
    /// `S`: SYN without ACK (and no FIN/RST).
    Syn,
    /// `H`: SYN with ACK (and no FIN/RST).
    SynAck,
    /// `A`: a pure ACK (no SYN/FIN/RST, no payload).
    Ack,
    /// `D`: payload without SYN/FIN/RST.
    Data,
    /// `F`: FIN without SYN/RST.
    Fin,
    /// `R`: RST without SYN/FIN.
    Rst,
    /// `I`: FIN and RST together.
    FinRst,
    /// `Q`: SYN together with FIN and/or RST.
    MultiFlag,
    /// `T`: retransmitted payload (logarithmic).
    Retransmit,
    /// `W`: zero window advertised (logarithmic).
    ZeroWindow,
    /// `C`: bad TCP checksum (logarithmic; the packet is otherwise ignored).
    BadChecksum,
    /// `G`: a content gap in the data this side sent (logarithmic, §12).
    Gap,
}

impl Letter {
    /// The uppercase (originator) form.
    fn upper(self) -> u8 {
        match self {
            Letter::Syn => b'S',
            Letter::SynAck => b'H',
            Letter::Ack => b'A',
            Letter::Data => b'D',
            Letter::Fin => b'F',
            Letter::Rst => b'R',
            Letter::FinRst => b'I',
            Letter::MultiFlag => b'Q',
            Letter::Retransmit => b'T',
            Letter::ZeroWindow => b'W',
            Letter::BadChecksum => b'C',
            Letter::Gap => b'G',
        }
    }

    /// The byte for a sender that is (or is not) the originator right now
    /// (§5.2: the case is fixed when the letter is added).
    pub fn for_role(self, is_orig: bool) -> u8 {
        if is_orig {
            self.upper()
        } else {
            self.upper().to_ascii_lowercase()
        }
    }

    /// The once-per-direction bit for this letter (§5.4 rule 1). S and H share
    /// one bit, so a responder's SYN followed by its SYN-ACK shows only `s`.
    pub fn once_bit(self) -> u32 {
        match self {
            Letter::Syn | Letter::SynAck => 0x01,
            Letter::Fin => 0x02,
            Letter::Rst => 0x04,
            Letter::FinRst => 0x08,
            Letter::Data => 0x10,
            Letter::Ack => 0x20,
            Letter::MultiFlag => 0x40,
            // Logarithmic letters are not masked.
            Letter::Retransmit | Letter::ZeroWindow | Letter::BadChecksum | Letter::Gap => 0,
        }
    }
}

/// The history string itself: up to 15 letters inline, longer ones on the
/// heap (16 bytes in the connection record either way).
#[derive(Clone, PartialEq, Eq)]
pub struct History(Repr);

/// The two forms. `Inline` keeps its length plus one in a `NonZeroU8`, so
/// the zero byte is free to tell the forms apart and the enum needs no tag
/// of its own: 15 letters and a length, or a pointer, in 16 bytes.
#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Inline {
        len_plus_one: NonZeroU8,
        letters: [u8; INLINE],
    },
    // Boxed so the record holds one pointer, not the 24 bytes of a `Vec`;
    // the extra indirection only applies to long histories.
    #[allow(clippy::box_collection)]
    Spilled(Box<Vec<u8>>),
}

const INLINE: usize = 15;

impl Default for History {
    fn default() -> Self {
        History(Repr::Inline {
            len_plus_one: NonZeroU8::MIN,
            letters: [0; INLINE],
        })
    }
}

impl History {
    /// The letters so far.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline {
                len_plus_one,
                letters,
            } => &letters[..usize::from(len_plus_one.get() - 1)],
            Repr::Spilled(v) => v,
        }
    }

    /// The letters as text (always ASCII).
    pub fn as_str(&self) -> &str {
        // Only ASCII letters and `^` are ever pushed, so this cannot fail; an
        // empty string is the harmless fallback.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// True when no letter was recorded (Zeek logs `-`, §5.6).
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// Appends one letter (already in its final case).
    pub fn push(&mut self, b: u8) {
        match &mut self.0 {
            Repr::Spilled(v) => v.push(b),
            Repr::Inline {
                len_plus_one,
                letters,
            } => {
                let len = usize::from(len_plus_one.get() - 1);
                if let (Some(slot), Some(next)) =
                    (letters.get_mut(len), len_plus_one.checked_add(1))
                {
                    *slot = b;
                    *len_plus_one = next;
                } else {
                    let mut v = Vec::with_capacity(INLINE * 2);
                    v.extend_from_slice(letters);
                    v.push(b);
                    self.0 = Repr::Spilled(Box::new(v));
                }
            }
        }
    }

    /// Replaces the whole history (used only by the SYN-ACK flip, §2.4).
    pub fn replace(&mut self, letters: &[u8]) {
        *self = History::default();
        for &b in letters {
            self.push(b);
        }
    }
}

impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// The once-only mask of a connection (§5.4 rule 1): originator bits in the
/// low half, responder bits in the high half. It is *not* swapped when roles
/// flip (§2.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OnceMask(u32);

impl OnceMask {
    /// Marks `letter` for the given role; true if it was not marked before
    /// (the letter should then be added).
    pub fn first(&mut self, letter: Letter, is_orig: bool) -> bool {
        let bit = if is_orig {
            letter.once_bit()
        } else {
            letter.once_bit() << 16
        };
        if self.0 & bit == 0 {
            self.0 |= bit;
            true
        } else {
            false
        }
    }
}

/// A logarithmic event counter (§5.4 rule 3): the letter is due on the 1st,
/// 10th, 100th, … event. Zeek keeps a threshold that it multiplies by ten;
/// because the counter passes every integer, "count is a power of ten" is the
/// same test and needs no stored threshold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scaled(u32);

impl Scaled {
    /// Counts one event; true when its letter is due.
    pub fn bump(&mut self) -> bool {
        self.0 = self.0.saturating_add(1);
        let mut n = self.0;
        while n.is_multiple_of(10) {
            n /= 10;
        }
        n == 1
    }

    /// Events counted so far.
    #[cfg(test)]
    pub fn count(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests;
