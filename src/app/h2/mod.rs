//! HTTP/2 as a capture shows it (RFC 9113): both directions of one
//! connection, decoded from their reassembled bytes into frames, header
//! lists (through one HPACK decoder per direction) and streams.
//!
//! A passive observer differs from an endpoint in two ways, and this decoder
//! says where:
//! - it cannot refuse anything, so a frame that breaks a rule is recorded
//!   ([`H2Decoder::protocol_errors`]) and decoding goes on while the framing
//!   and the HPACK state are still known;
//! - SETTINGS take effect when acknowledged (§6.5.3), a moment it can only
//!   guess, so the limits it checks against are the largest either side
//!   announced, never smaller: it does not report errors an endpoint might
//!   not have seen.
//!
//! What stops a direction for good (the rest cannot be read): a gap in the
//! stream, bytes that are not the connection preface, an HPACK error (the
//! dynamic table is lost: COMPRESSION_ERROR, §4.3), a frame interleaved in a
//! field block, or a field block past [`MAX_HEADER_BLOCK`].

mod field_blocks;
mod frames;
pub mod reader;
mod report;
#[cfg(test)]
mod tests;

pub use report::{FrameSeen, GoAway, Opening, ProtocolError, Stop, Stream};

use std::collections::BTreeMap;

use crate::proto::h2::{FrameType, PREFACE, parse};
use crate::proto::hpack;

use super::Direction;
use reader::{FrameReader, Item};

/// Largest field block (HEADERS or PUSH_PROMISE and its CONTINUATIONs)
/// decoded; beyond it the direction stops (the CONTINUATION flood).
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;
/// Largest header list kept for one stream (RFC 9113 §6.5.2 counts it);
/// beyond it the list is counted, not kept, and decoding goes on.
pub const MAX_HEADER_LIST: usize = 64 * 1024;
/// At most this many protocol errors are kept per connection.
pub const MAX_ERRORS_KEPT: usize = 16;

/// How the connection came to speak HTTP/2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// The client sent the preface on a fresh connection (RFC 9113 §3.3).
    PriorKnowledge,
    /// An HTTP/1.1 request with `Upgrade: h2c` was answered with 101 (RFC
    /// 7540 §3.2): that request is stream 1, already half-closed (remote) on
    /// the server's side, and its response comes on stream 1.
    Upgrade {
        /// The upgrading request's method.
        method: String,
        /// Its target.
        target: String,
    },
}

/// A field block being collected across CONTINUATION frames.
#[derive(Debug, Clone)]
struct Pending {
    stream: u32,
    end_stream: bool,
    block: Vec<u8>,
    /// Offset of the HEADERS or PUSH_PROMISE frame that opened it.
    offset: u64,
}

#[derive(Debug, Clone)]
struct Side {
    reader: FrameReader,
    /// Client only: bytes of the preface still expected.
    preface_left: usize,
    hpack: hpack::Decoder,
    pending: Option<Pending>,
    stop: Option<Stop>,
    counts: BTreeMap<FrameType, u64>,
    opening: Opening,
}

impl Side {
    fn new(offset: u64, preface: bool) -> Self {
        Side {
            reader: FrameReader::new(offset),
            preface_left: if preface { PREFACE.len() } else { 0 },
            hpack: hpack::Decoder::new(MAX_HEADER_LIST),
            pending: None,
            stop: None,
            counts: BTreeMap::new(),
            opening: Opening::default(),
        }
    }
}

/// The decoder of one HTTP/2 connection.
#[derive(Debug, Clone)]
pub struct H2Decoder {
    sides: [Side; 2],
    streams: BTreeMap<u32, Stream>,
    goaways: Vec<GoAway>,
    errors: Vec<ProtocolError>,
    errors_dropped: u64,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl H2Decoder {
    /// A decoder whose client direction starts (with the preface) at stream
    /// offset `client_offset`, and whose server direction starts (with its
    /// SETTINGS) at `server_offset`.
    pub fn new(start: Start, client_offset: u64, server_offset: u64) -> Self {
        let mut streams = BTreeMap::new();
        if let Start::Upgrade { method, target } = start {
            streams.insert(
                1,
                Stream {
                    id: 1,
                    method: Some(method),
                    target: Some(target),
                    request_complete: true,
                    ..Stream::default()
                },
            );
        }
        H2Decoder {
            sides: [
                Side::new(client_offset, true),
                Side::new(server_offset, false),
            ],
            streams,
            goaways: Vec::new(),
            errors: Vec::new(),
            errors_dropped: 0,
        }
    }

    /// Streams by identifier.
    pub fn streams(&self) -> &BTreeMap<u32, Stream> {
        &self.streams
    }

    /// GOAWAY frames in the order seen.
    pub fn goaways(&self) -> &[GoAway] {
        &self.goaways
    }

    /// Rules broken (the first [`MAX_ERRORS_KEPT`]) and how many more.
    pub fn protocol_errors(&self) -> (&[ProtocolError], u64) {
        (&self.errors, self.errors_dropped)
    }

    /// Frames seen per type, from one sender.
    pub fn frame_counts(&self, sender: Direction) -> &BTreeMap<FrameType, u64> {
        &self.sides[index(sender)].counts
    }

    /// Why a direction stopped, if it did.
    pub fn stopped(&self, sender: Direction) -> Option<&Stop> {
        self.sides[index(sender)].stop.as_ref()
    }

    /// How one side opened the connection.
    pub fn opening(&self, sender: Direction) -> &Opening {
        &self.sides[index(sender)].opening
    }

    /// True when a direction ended between frames (not inside one).
    pub fn at_frame_boundary(&self, sender: Direction) -> bool {
        self.sides[index(sender)].reader.at_boundary()
    }

    /// A gap in one direction: framing is lost from here on.
    pub fn gap(&mut self, sender: Direction, offset: u64) {
        self.stop(
            sender,
            offset,
            "a gap in the capture: HTTP/2 framing lost".into(),
        );
    }

    fn stop(&mut self, sender: Direction, offset: u64, reason: String) {
        let side = &mut self.sides[index(sender)];
        if side.stop.is_none() {
            side.stop = Some(Stop { offset, reason });
        }
    }

    /// In-order bytes from one direction; `seen` gets each frame.
    pub fn feed(&mut self, sender: Direction, mut bytes: &[u8], seen: &mut impl FnMut(FrameSeen)) {
        let i = index(sender);
        if self.sides[i].stop.is_some() {
            return;
        }
        let left = self.sides[i].preface_left;
        if left > 0 {
            let done = PREFACE.len() - left;
            let take = left.min(bytes.len());
            if bytes[..take] != PREFACE[done..done + take] {
                let at = self.sides[i].reader.offset();
                self.stop(sender, at, "not the HTTP/2 connection preface".into());
                return;
            }
            self.sides[i].preface_left -= take;
            // The preface is not a frame; the reader's offsets skip it.
            let reader = &mut self.sides[i].reader;
            *reader = FrameReader::new(reader.offset() + take as u64);
            bytes = &bytes[take..];
            if self.sides[i].preface_left == 0 {
                self.sides[i].opening.preface = true;
                let end = self.sides[i].reader.offset();
                seen(FrameSeen {
                    sender,
                    range: (end - PREFACE.len() as u64, end),
                    kind: None,
                    stream: 0,
                    label: "preface".into(),
                });
            }
        }
        let mut reader = std::mem::replace(&mut self.sides[i].reader, FrameReader::new(0));
        reader.feed(bytes, &mut |item| {
            if self.sides[i].stop.is_none() {
                self.item(sender, item, seen);
            }
        });
        self.sides[i].reader = reader;
    }

    fn item(&mut self, sender: Direction, item: Item<'_>, seen: &mut impl FnMut(FrameSeen)) {
        let i = index(sender);
        let (offset, header, frame) = match item {
            Item::Frame {
                offset,
                header,
                bytes,
            } => (offset, header, Some(bytes)),
            Item::Data { offset, header } => (offset, header, None),
            Item::Oversized { offset, header } => {
                self.stop(
                    sender,
                    offset,
                    format!(
                        "{} frame of {} bytes: too large to decode",
                        header.kind, header.length
                    ),
                );
                return;
            }
        };
        *self.sides[i].counts.entry(header.kind).or_default() += 1;
        self.sides[i].opening.first_frame.get_or_insert(header.kind);
        let end = offset + 9 + u64::from(header.length);
        if let Some(p) = &self.sides[i].pending
            && (header.kind != FrameType::Continuation || header.stream != p.stream)
        {
            // §6.10: nothing may come between a field block's frames; and
            // the block in progress can no longer be decoded.
            let reason = format!(
                "{} on stream {} inside the field block of stream {} (PROTOCOL_ERROR)",
                header.kind, header.stream, p.stream
            );
            self.stop(sender, offset, reason);
            return;
        }
        let label = match frame {
            None => self.data(sender, &header, end),
            Some(bytes) => match parse(bytes) {
                Ok(f) => self.frame(sender, offset, end, f),
                Err(error) => {
                    self.note(ProtocolError {
                        sender,
                        offset,
                        error,
                    });
                    format!("{} s{} (malformed)", header.kind, header.stream)
                }
            },
        };
        seen(FrameSeen {
            sender,
            range: (offset, end),
            kind: Some(header.kind),
            stream: header.stream,
            label,
        });
    }

    fn note(&mut self, e: ProtocolError) {
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(e);
        } else {
            self.errors_dropped += 1;
        }
    }

    fn stream(&mut self, id: u32) -> &mut Stream {
        self.streams.entry(id).or_insert_with(|| Stream {
            id,
            ..Stream::default()
        })
    }
}
