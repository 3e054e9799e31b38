//! What the analyzer says about HTTP/3 on one QUIC connection: the typed
//! facts [`super::H3Decoder`] hands out.

use crate::proto::h3::{H3Error, QpackError, StreamType};
use crate::proto::quic::Side;

/// A SETTINGS frame on a control stream (RFC 9114 §7.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsSeen {
    /// Who sent it.
    pub by: Side,
    /// The capture frame.
    pub frame: u64,
    /// (identifier, value), in order.
    pub values: Vec<(u64, u64)>,
}

/// A GOAWAY frame (RFC 9114 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoawaySeen {
    /// Who sent it.
    pub by: Side,
    /// The capture frame.
    pub frame: u64,
    /// The stream ID (from a server) or push ID (from a client) at and
    /// above which nothing will be processed.
    pub id: u64,
}

/// A unidirectional stream and its type (RFC 9114 §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniStreamSeen {
    /// Who opened it.
    pub by: Side,
    /// The capture frame whose bytes named the type.
    pub frame: u64,
    /// The stream ID.
    pub id: u64,
    /// Its type.
    pub kind: StreamType,
}

/// An HTTP/3 frame, for the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H3FrameSeen {
    /// The capture frame whose bytes completed its header (DATA, unknown)
    /// or its payload (the others).
    pub frame: u64,
    /// Who sent it.
    pub by: Side,
    /// The stream.
    pub stream: u64,
    /// Its type.
    pub kind: u64,
    /// Its Length field.
    pub len: u64,
}

/// A request and its response on one client-initiated bidirectional
/// stream (RFC 9114 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct H3Exchange {
    /// The stream ID.
    pub stream: u64,
    /// The capture frame that completed the request's HEADERS.
    pub request_frame: Option<u64>,
    /// `:method`.
    pub method: Option<String>,
    /// `:authority`.
    pub authority: Option<String>,
    /// `:path`.
    pub path: Option<String>,
    /// Bytes in the request's DATA frames.
    pub request_body: u64,
    /// The capture frame whose STREAM frame had the FIN bit, client side.
    pub request_end: Option<u64>,
    /// The capture frame that completed the final response's HEADERS.
    pub response_frame: Option<u64>,
    /// The final `:status` (1xx ones are interim, §4.1).
    pub status: Option<u16>,
    /// Bytes in the response's DATA frames.
    pub response_body: u64,
    /// The capture frame whose STREAM frame had the FIN bit, server side.
    pub response_end: Option<u64>,
    /// A field section that was not decoded (the first).
    pub undecoded: Option<QpackError>,
}

/// Something on a stream that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H3Problem {
    /// The capture frame.
    pub frame: u64,
    /// Who sent it.
    pub by: Side,
    /// The stream.
    pub stream: u64,
    /// What went wrong.
    pub error: H3Error,
}

/// HTTP/3 on one QUIC connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct H3Report {
    /// SETTINGS, both sides.
    pub settings: Vec<SettingsSeen>,
    /// GOAWAY frames.
    pub goaway: Vec<GoawaySeen>,
    /// Unidirectional streams.
    pub uni_streams: Vec<UniStreamSeen>,
    /// Requests and responses, by stream.
    pub exchanges: Vec<H3Exchange>,
    /// Frames, in order (the first [`MAX_FRAMES`]).
    pub frames: Vec<H3FrameSeen>,
    /// Bytes on each side's QPACK encoder stream (client, server): not
    /// zero means that side inserts into the dynamic table.
    pub qpack_encoder_bytes: [u64; 2],
    /// Problems (the first [`MAX_H3_PROBLEMS`]).
    pub problems: Vec<H3Problem>,
}

/// Frames kept per connection for the ladder.
pub const MAX_FRAMES: usize = 512;
/// Exchanges kept per connection.
pub const MAX_EXCHANGES: usize = 1024;
/// Problems kept per connection.
pub const MAX_H3_PROBLEMS: usize = 8;
