//! The frame header (RFC 9113 §4.1): length, type, flags, stream; and the
//! first check made on a buffer, whether a whole frame of an allowed size
//! is there (§4.2).
//!
//! Parsing follows the crate's parser style: [`check`] says whether a whole
//! frame is in the buffer, then [`super::parse`] views it without copying.

use std::fmt;

use super::ErrorCode;
use super::frame::{FrameError, conn};

/// Length of the frame header (§4.1).
pub const HEADER_LEN: usize = 9;

/// The largest stream identifier (31 bits; §5.1.1).
pub const MAX_STREAM_ID: u32 = (1 << 31) - 1;

/// Flag bits (§6). Each is defined only for some types; others are ignored.
pub mod flags {
    /// DATA, HEADERS: the last frame the sender sends on this stream.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: this frame acknowledges the peer's.
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the field block ends here.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: a pad length byte and padding follow.
    pub const PADDED: u8 = 0x8;
    /// HEADERS: the deprecated priority fields are present.
    pub const PRIORITY: u8 = 0x20;
}

/// A frame type (§6, §11.2). Unknown types must be ignored (§5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameType {
    /// 0x0
    Data,
    /// 0x1
    Headers,
    /// 0x2
    Priority,
    /// 0x3
    RstStream,
    /// 0x4
    Settings,
    /// 0x5
    PushPromise,
    /// 0x6
    Ping,
    /// 0x7
    GoAway,
    /// 0x8
    WindowUpdate,
    /// 0x9
    Continuation,
    /// Any other value.
    Unknown(u8),
}

const KNOWN: [(FrameType, &str); 10] = [
    (FrameType::Data, "DATA"),
    (FrameType::Headers, "HEADERS"),
    (FrameType::Priority, "PRIORITY"),
    (FrameType::RstStream, "RST_STREAM"),
    (FrameType::Settings, "SETTINGS"),
    (FrameType::PushPromise, "PUSH_PROMISE"),
    (FrameType::Ping, "PING"),
    (FrameType::GoAway, "GOAWAY"),
    (FrameType::WindowUpdate, "WINDOW_UPDATE"),
    (FrameType::Continuation, "CONTINUATION"),
];

impl FrameType {
    /// The type for a value on the wire.
    pub fn from_u8(v: u8) -> Self {
        KNOWN
            .get(v as usize)
            .map_or(FrameType::Unknown(v), |(t, _)| *t)
    }

    /// The value on the wire.
    pub fn to_u8(self) -> u8 {
        match self {
            FrameType::Unknown(v) => v,
            known => KNOWN
                .iter()
                .position(|(t, _)| *t == known)
                .expect("every known type is in the table") as u8,
        }
    }

    /// The RFC's name (`GOAWAY`, `RST_STREAM`, ...), or `None` if unknown.
    pub fn name(self) -> Option<&'static str> {
        KNOWN.iter().find(|(t, _)| *t == self).map(|(_, n)| *n)
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "UNKNOWN(0x{:x})", self.to_u8()),
        }
    }
}

/// The frame header (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length (24 bits).
    pub length: u32,
    /// Type.
    pub kind: FrameType,
    /// Flags, as sent.
    pub flags: u8,
    /// Stream identifier; the reserved bit is dropped, as §4.1 asks.
    pub stream: u32,
}

impl FrameHeader {
    /// Reads a header from its nine bytes.
    pub fn parse(b: &[u8; HEADER_LEN]) -> Self {
        FrameHeader {
            length: u32::from_be_bytes([0, b[0], b[1], b[2]]),
            kind: FrameType::from_u8(b[3]),
            flags: b[4],
            stream: u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & MAX_STREAM_ID,
        }
    }

    /// Appends the nine bytes (reserved bit zero).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The nine bytes on the wire (§4.1), without a buffer to allocate.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        debug_assert!(self.length < 1 << 24);
        let [_, l0, l1, l2] = self.length.to_be_bytes();
        let [s0, s1, s2, s3] = (self.stream & MAX_STREAM_ID).to_be_bytes();
        [l0, l1, l2, self.kind.to_u8(), self.flags, s0, s1, s2, s3]
    }

    /// True if `flag` is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Whether a whole frame is in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// More bytes are needed.
    Incomplete,
    /// A frame of this many bytes (header included) is ready.
    Complete(usize),
}

/// Looks at the start of `buf`. A length above the receiver's
/// SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR (§4.2), said as soon as the
/// header is in, before the payload is waited for.
pub fn check(buf: &[u8], max_frame_size: u32) -> Result<Check, FrameError> {
    let Some(head) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(Check::Incomplete);
    };
    let header = FrameHeader::parse(head);
    if header.length > max_frame_size {
        return Err(conn(
            ErrorCode::FrameSizeError,
            "frame longer than SETTINGS_MAX_FRAME_SIZE",
        ));
    }
    let total = HEADER_LEN + header.length as usize;
    Ok(if buf.len() >= total {
        Check::Complete(total)
    } else {
        Check::Incomplete
    })
}
