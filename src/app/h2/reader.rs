//! Frames cut out of one direction's byte stream as it arrives, in pieces of
//! any size, without keeping the stream: a DATA payload is counted and
//! dropped as it passes; other payloads are kept until their frame is whole,
//! up to a bound.

use crate::proto::h2::{FrameHeader, FrameType, HEADER_LEN};

/// The largest non-DATA payload kept. SETTINGS, PING, WINDOW_UPDATE,
/// RST_STREAM and PRIORITY are a few bytes; a field block fragment beyond
/// this is refused (with the header block bound in the connection decoder,
/// the defence against a CONTINUATION flood); a GOAWAY's debug data is
/// truncated to it.
pub const MAX_KEPT_PAYLOAD: usize = 64 * 1024;

/// What the reader hands on.
#[derive(Debug)]
pub enum Item<'a> {
    /// A whole frame whose payload was kept: the header and the 9 + length
    /// bytes of the frame, to be parsed by [`crate::proto::h2::parse`].
    Frame {
        /// Stream offset of the frame's first byte.
        offset: u64,
        /// The header.
        header: FrameHeader,
        /// The whole frame.
        bytes: &'a [u8],
    },
    /// A DATA frame whose payload went past uncounted by anything else.
    Data {
        /// Stream offset of the frame's first byte.
        offset: u64,
        /// The header (its length is the payload's, padding included).
        header: FrameHeader,
    },
    /// A frame too large to keep (not DATA).
    Oversized {
        /// Stream offset of the frame's first byte.
        offset: u64,
        /// The header.
        header: FrameHeader,
    },
}

#[derive(Debug, Clone)]
enum State {
    /// Collecting the 9 header bytes.
    Header,
    /// Collecting or skipping a payload.
    Payload {
        header: FrameHeader,
        remaining: usize,
        keep: bool,
    },
}

/// The reader of one direction.
#[derive(Debug, Clone)]
pub struct FrameReader {
    state: State,
    /// The frame being collected: header bytes, then a kept payload.
    buf: Vec<u8>,
    /// Stream offset of the next byte fed.
    offset: u64,
    /// Stream offset where the frame being collected starts.
    frame_start: u64,
}

impl FrameReader {
    /// A reader whose first byte is at stream offset `offset`.
    pub fn new(offset: u64) -> Self {
        FrameReader {
            state: State::Header,
            buf: Vec::with_capacity(HEADER_LEN),
            offset,
            frame_start: offset,
        }
    }

    /// Stream offset of the next byte expected.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// True between frames (a connection that ends here ended cleanly at a
    /// frame boundary).
    pub fn at_boundary(&self) -> bool {
        matches!(self.state, State::Header) && self.buf.is_empty()
    }

    /// Feeds bytes; `on` sees each frame as it completes.
    pub fn feed(&mut self, mut bytes: &[u8], on: &mut impl FnMut(Item<'_>)) {
        while !bytes.is_empty() {
            match self.state {
                State::Header => {
                    let take = (HEADER_LEN - self.buf.len()).min(bytes.len());
                    self.buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    self.offset += take as u64;
                    let Some(head) = self.buf.first_chunk::<HEADER_LEN>() else {
                        continue;
                    };
                    let header = FrameHeader::parse(head);
                    let length = header.length as usize;
                    let keep = header.kind != FrameType::Data && length <= MAX_KEPT_PAYLOAD;
                    if length == 0 {
                        self.complete(header, keep, on);
                    } else {
                        if keep {
                            self.buf.reserve(length);
                        }
                        self.state = State::Payload {
                            header,
                            remaining: length,
                            keep,
                        };
                    }
                }
                State::Payload {
                    header,
                    ref mut remaining,
                    keep,
                } => {
                    let take = (*remaining).min(bytes.len());
                    if keep {
                        self.buf.extend_from_slice(&bytes[..take]);
                    }
                    *remaining -= take;
                    bytes = &bytes[take..];
                    self.offset += take as u64;
                    if *remaining == 0 {
                        self.complete(header, keep, on);
                    }
                }
            }
        }
    }

    fn complete(&mut self, header: FrameHeader, keep: bool, on: &mut impl FnMut(Item<'_>)) {
        let offset = self.frame_start;
        if keep {
            on(Item::Frame {
                offset,
                header,
                bytes: &self.buf,
            });
        } else if header.kind == FrameType::Data {
            on(Item::Data { offset, header });
        } else {
            on(Item::Oversized { offset, header });
        }
        self.buf.clear();
        self.state = State::Header;
        self.frame_start = self.offset;
    }
}
