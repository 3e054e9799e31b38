//! Where a TLS 1.3 direction changes keys, for a caller that has no
//! handshake parser of its own: the end of a Finished and of a KeyUpdate
//! message in the decrypted handshake stream.
//!
//! Handshake messages are `type (1) | length (3) | body` (RFC 8446 §4) and
//! may span records or share one; a key change must fall at a record's end
//! (§5.1), so the watch reports one only when the record ends with the
//! message that causes it.

use super::ContentType;
use super::record::KeyChange;

/// Handshake message types that change keys (RFC 8446 §4).
const FINISHED: u8 = 20;
const KEY_UPDATE: u8 = 24;

/// A key change that does not fall at a record's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// RFC 8446 §5.1: "Handshake messages MUST NOT span key changes" and
    /// must end at a record boundary before one.
    #[error("{0:?} does not end its record (RFC 8446 §5.1)")]
    NotAtRecordEnd(KeyChange),
}

/// Follows one direction's handshake messages across its records.
#[derive(Clone, Debug, Default)]
pub struct HandshakeWatch {
    /// The current message's header bytes seen so far.
    header: Vec<u8>,
    /// Body bytes still to come of the current message.
    body_left: usize,
    /// Type of the current message.
    current: u8,
}

impl HandshakeWatch {
    /// A watch at the start of a direction.
    pub fn new() -> Self {
        HandshakeWatch::default()
    }

    /// One opened record of the direction. Returns the key change the
    /// caller must apply before the next record, if this record ended
    /// with a Finished or a KeyUpdate.
    ///
    /// # Errors
    ///
    /// A Finished or KeyUpdate followed by more bytes in the same record.
    pub fn record(
        &mut self,
        content_type: ContentType,
        plaintext: &[u8],
    ) -> Result<Option<KeyChange>, WatchError> {
        if content_type != ContentType::Handshake {
            return Ok(None);
        }
        let mut rest = plaintext;
        let mut change = None;
        while !rest.is_empty() {
            if let Some(early) = change {
                return Err(WatchError::NotAtRecordEnd(early));
            }
            if self.header.len() < 4 {
                let take = (4 - self.header.len()).min(rest.len());
                self.header.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if self.header.len() < 4 {
                    break;
                }
                self.current = self.header[0];
                self.body_left = usize::from(self.header[1]) << 16
                    | usize::from(self.header[2]) << 8
                    | usize::from(self.header[3]);
            }
            let take = self.body_left.min(rest.len());
            self.body_left -= take;
            rest = &rest[take..];
            if self.body_left == 0 {
                change = match self.current {
                    FINISHED => Some(KeyChange::HandshakeFinished),
                    KEY_UPDATE => Some(KeyChange::KeyUpdate),
                    _ => None,
                };
                self.header.clear();
            }
        }
        Ok(change)
    }
}
