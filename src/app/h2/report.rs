//! What the decoder shows of a connection: its streams, GOAWAYs, how each
//! side opened it, the rules broken, where a direction stopped, and each
//! frame as it is seen.

use crate::proto::h2::{ErrorCode, FrameError, FrameType, SettingId};

use super::super::Direction;

/// One stream as the frames showed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    /// Stream identifier.
    pub id: u32,
    /// `:method`.
    pub method: Option<String>,
    /// `:path` (or `:authority` for CONNECT).
    pub target: Option<String>,
    /// The final `:status` (1xx informational responses are not final).
    pub status: Option<u16>,
    /// The response's `alt-svc` (RFC 7838 §3), its fields joined with
    /// `, ` (RFC 9110 §5.3).
    pub alt_svc: Option<Box<str>>,
    /// The client sent END_STREAM: the request is complete.
    pub request_complete: bool,
    /// The server sent END_STREAM: the response is complete.
    pub response_complete: bool,
    /// RST_STREAM: who sent it and why.
    pub reset: Option<(Direction, ErrorCode)>,
    /// DATA payload bytes (padding excluded) each way: client, server.
    pub data_bytes: [u64; 2],
    /// Stream offset, in the server's direction, just past the frame that
    /// completed the response (to compare with what the client acknowledged).
    pub response_end_offset: Option<u64>,
    /// A header list over [`MAX_HEADER_LIST`] was seen on this stream.
    pub oversized_headers: bool,
}

/// A GOAWAY seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoAway {
    /// Who sent it.
    pub sender: Direction,
    /// The last stream the sender says it may have processed.
    pub last_stream: u32,
    /// Why.
    pub code: ErrorCode,
    /// The debug data, as text (lossy), at most 256 bytes.
    pub debug: String,
}

/// How one side opened its HTTP/2 (RFC 9113 §3.4): the client's preface,
/// each side's first frame, which must be SETTINGS, and the acknowledgement
/// of the peer's. What a negotiation view reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opening {
    /// Client only: the 24-byte preface was seen whole.
    pub preface: bool,
    /// The type of this side's first frame.
    pub first_frame: Option<FrameType>,
    /// The parameters of this side's first SETTINGS frame that was not an
    /// ACK, in the order sent (an empty frame is `Some` of nothing).
    pub settings: Option<Vec<(SettingId, u32)>>,
    /// This side acknowledged the peer's SETTINGS (§6.5.3).
    pub acked: bool,
}

/// A rule a frame broke; the frame was still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// Who sent the frame.
    pub sender: Direction,
    /// Stream offset of the frame in the sender's direction.
    pub offset: u64,
    /// What rule, and what the receiver should have answered.
    pub error: FrameError,
}

/// Why a direction could not be decoded further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Stream offset where decoding stopped.
    pub offset: u64,
    /// Why, in a few words.
    pub reason: String,
}

/// One frame, labelled, for a ladder diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSeen {
    /// Who sent it.
    pub sender: Direction,
    /// Stream offsets of its first byte and one past its last.
    pub range: (u64, u64),
    /// Its type; `None` for the client's connection preface.
    pub kind: Option<FrameType>,
    /// Its stream identifier (0 for the connection and the preface).
    pub stream: u32,
    /// A short label: `preface`, `SETTINGS`, `HEADERS s1 GET /`, `HEADERS
    /// s1 :status 200`, `GOAWAY last=1 NO_ERROR`.
    pub label: String,
}
