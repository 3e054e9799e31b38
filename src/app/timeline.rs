//! When things happened on one connection, as far as a diagnosis needs
//! it: the frames and times of each side's first FIN, the first RST, the
//! payload segments each side sent before that RST, and the client's
//! latest turn to speak (its first payload after the server's).
//!
//! A keep-alive race is told by time (RFC 9112 §9.5: a server may close an
//! idle connection while the client's next request is on its way): the
//! idle gap runs from the last payload before the client's turn to the
//! server's close. A few fixed fields per connection, updated per segment:
//! nothing grows with the connection's length.

use std::num::NonZeroU64;

use crate::capture::Timestamp;

use super::Direction;

/// A frame and its capture time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// Frame number (frames count from 1; the niche keeps an
    /// `Option<Moment>` at 16 bytes).
    pub frame: NonZeroU64,
    /// Capture time.
    pub ts: Timestamp,
}

/// The client starting to speak after the server had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    /// The last payload segment (either side) before it: when the
    /// connection last carried bytes.
    pub quiet_since: Option<Moment>,
    /// The client's first payload segment of the turn.
    pub start: Moment,
}

/// The connection's timeline (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Each side's first FIN, client then server.
    pub fin: [Option<Moment>; 2],
    /// The connection's first RST.
    pub rst: Option<Moment>,
    /// Payload segments each side sent before the first RST (client,
    /// server), retransmissions included.
    pub data_segments: [u32; 2],
    /// Each side's last payload segment before the first RST.
    pub last_payload: [Option<Moment>; 2],
    /// The client's latest turn before the first RST.
    pub client_turn: Option<Turn>,
}

impl Timeline {
    /// One segment: its sender, whether it carried payload, FIN or RST.
    /// A frame numbered 0 (no real frame is) is not recorded.
    pub fn segment(&mut self, at: Moment, sender: Direction, payload: bool, fin: bool, rst: bool) {
        let i = match sender {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        };
        if self.rst.is_none() && payload {
            self.data_segments[i] = self.data_segments[i].saturating_add(1);
            if i == 0 {
                let client_last = self.last_payload[0].map(|m| m.frame);
                let server_last = self.last_payload[1].map(|m| m.frame);
                // A turn starts when the server spoke last (or nobody had).
                if client_last.is_none_or(|c| server_last.is_some_and(|s| s > c)) {
                    let quiet_since = match (self.last_payload[0], self.last_payload[1]) {
                        (Some(a), Some(b)) => Some(if a.frame > b.frame { a } else { b }),
                        (a, b) => a.or(b),
                    };
                    self.client_turn = Some(Turn {
                        quiet_since,
                        start: at,
                    });
                }
            }
            self.last_payload[i] = Some(at);
        }
        if fin && self.fin[i].is_none() {
            self.fin[i] = Some(at);
        }
        if rst && self.rst.is_none() {
            self.rst = Some(at);
        }
    }
}
