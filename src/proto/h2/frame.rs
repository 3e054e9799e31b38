//! HTTP/2 frames (RFC 9113 §6): the ten frame types and the size and stream
//! rules each type's section sets, with the error each broken rule is
//! (§5.4: a stream error ends one stream with RST_STREAM, a connection error
//! ends everything with GOAWAY).

use std::fmt;

use super::ErrorCode;
use super::header::{FrameHeader, FrameType, HEADER_LEN, MAX_STREAM_ID, flags};
use super::settings::SettingId;

/// Where an error applies (§5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole connection: GOAWAY, then close.
    Connection,
    /// One stream: RST_STREAM on it; the connection goes on.
    Stream(u32),
}

/// A broken framing rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameError {
    /// The error code the RFC names for it.
    pub code: ErrorCode,
    /// Stream or connection error.
    pub scope: Scope,
    /// Which rule, in a few words.
    pub reason: &'static str,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            Scope::Connection => write!(f, "{} (connection error {})", self.reason, self.code),
            Scope::Stream(s) => write!(f, "{} (stream {s} error {})", self.reason, self.code),
        }
    }
}

impl std::error::Error for FrameError {}

pub(super) fn conn(code: ErrorCode, reason: &'static str) -> FrameError {
    FrameError {
        code,
        scope: Scope::Connection,
        reason,
    }
}

/// The deprecated priority fields (§5.3.2, §6.3): parsed so that they can be
/// shown and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrioritySpec {
    /// The exclusive bit.
    pub exclusive: bool,
    /// The stream depended on.
    pub depends_on: u32,
    /// The weight field as sent (weight − 1).
    pub weight: u8,
}

impl PrioritySpec {
    fn parse(b: [u8; 5]) -> Self {
        let word = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        PrioritySpec {
            exclusive: word & 0x8000_0000 != 0,
            depends_on: word & MAX_STREAM_ID,
            weight: b[4],
        }
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        let word = self.depends_on | if self.exclusive { 0x8000_0000 } else { 0 };
        out.extend_from_slice(&word.to_be_bytes());
        out.push(self.weight);
    }
}

/// SETTINGS parameters as sent, in order (§6.5.1: six bytes each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingsParams<'a>(&'a [u8]);

impl<'a> SettingsParams<'a> {
    /// Parameters already laid out six bytes each (a multiple of 6 long).
    pub fn new(bytes: &'a [u8]) -> Self {
        debug_assert!(bytes.len().is_multiple_of(6));
        SettingsParams(bytes)
    }

    /// The raw payload.
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }
}

impl Iterator for SettingsParams<'_> {
    type Item = (SettingId, u32);

    fn next(&mut self) -> Option<Self::Item> {
        let (param, rest) = self.0.split_first_chunk::<6>()?;
        self.0 = rest;
        Some((
            SettingId::from_u16(u16::from_be_bytes([param[0], param[1]])),
            u32::from_be_bytes([param[2], param[3], param[4], param[5]]),
        ))
    }
}

/// A parsed frame: a view into the buffer, padding stripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// §6.1
    Data {
        /// Stream.
        stream: u32,
        /// END_STREAM.
        end_stream: bool,
        /// Payload without padding.
        data: &'a [u8],
        /// Bytes of padding, pad length byte included (they count against
        /// flow control: §6.1).
        padding: u32,
    },
    /// §6.2
    Headers {
        /// Stream.
        stream: u32,
        /// END_STREAM.
        end_stream: bool,
        /// END_HEADERS: no CONTINUATION follows.
        end_headers: bool,
        /// The priority fields, if the PRIORITY flag was set.
        priority: Option<PrioritySpec>,
        /// The field block fragment (HPACK).
        fragment: &'a [u8],
        /// Bytes of padding, pad length byte included.
        padding: u32,
    },
    /// §6.3 (deprecated; accepted and ignored by this project).
    Priority {
        /// Stream.
        stream: u32,
        /// The fields.
        spec: PrioritySpec,
    },
    /// §6.4: one stream ends at once.
    RstStream {
        /// Stream.
        stream: u32,
        /// Why.
        code: ErrorCode,
    },
    /// §6.5
    Settings {
        /// ACK: acknowledges the peer's SETTINGS; carries nothing.
        ack: bool,
        /// The parameters, in order.
        params: SettingsParams<'a>,
    },
    /// §6.6
    PushPromise {
        /// Stream the promise is made on.
        stream: u32,
        /// END_HEADERS.
        end_headers: bool,
        /// The stream reserved.
        promised: u32,
        /// The field block fragment.
        fragment: &'a [u8],
        /// Bytes of padding, pad length byte included.
        padding: u32,
    },
    /// §6.7
    Ping {
        /// ACK: the answer to a PING.
        ack: bool,
        /// Opaque data, echoed in the answer.
        data: [u8; 8],
    },
    /// §6.8: the connection is ending.
    GoAway {
        /// The highest stream the sender might have acted on.
        last_stream: u32,
        /// Why.
        code: ErrorCode,
        /// Opaque diagnostic data.
        debug: &'a [u8],
    },
    /// §6.9
    WindowUpdate {
        /// Stream, or 0 for the connection's window.
        stream: u32,
        /// Bytes added to the window (1 to 2^31 − 1).
        increment: u32,
    },
    /// §6.10
    Continuation {
        /// Stream.
        stream: u32,
        /// END_HEADERS.
        end_headers: bool,
        /// The field block fragment.
        fragment: &'a [u8],
    },
    /// A type this parser does not know (§5.5: ignored).
    Unknown {
        /// The header as sent.
        header: FrameHeader,
        /// Payload.
        payload: &'a [u8],
    },
}

/// Strips padding (§6.1): the first byte says how much trails the payload.
fn unpad<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<(&'a [u8], u32), FrameError> {
    if !header.has(flags::PADDED) {
        return Ok((payload, 0));
    }
    let (&pad, rest) = payload.split_first().ok_or(conn(
        ErrorCode::FrameSizeError,
        "padded frame without a pad length",
    ))?;
    if usize::from(pad) > rest.len() {
        // §6.1, §6.2: padding as long as the payload or longer.
        return Err(conn(
            ErrorCode::ProtocolError,
            "padding longer than the payload",
        ));
    }
    Ok((&rest[..rest.len() - usize::from(pad)], u32::from(pad) + 1))
}

/// Views a whole frame (as [`super::check`] measured it) and applies the rules of
/// its type's section. A frame of the wrong size for its type is a
/// FRAME_SIZE_ERROR; a frame on the wrong kind of stream a PROTOCOL_ERROR;
/// each is a connection error unless the RFC makes it a stream error.
pub fn parse(frame: &[u8]) -> Result<Frame<'_>, FrameError> {
    let head = frame.first_chunk::<HEADER_LEN>().ok_or(conn(
        ErrorCode::FrameSizeError,
        "shorter than a frame header",
    ))?;
    let header = FrameHeader::parse(head);
    let payload = &frame[HEADER_LEN..];
    if payload.len() != header.length as usize {
        return Err(conn(
            ErrorCode::FrameSizeError,
            "payload length differs from the header",
        ));
    }
    let stream = header.stream;
    let on_stream = |reason| {
        if stream == 0 {
            Err(conn(ErrorCode::ProtocolError, reason))
        } else {
            Ok(())
        }
    };
    let on_connection = |reason| {
        if stream != 0 {
            Err(conn(ErrorCode::ProtocolError, reason))
        } else {
            Ok(())
        }
    };
    let exact = |n: usize, reason| {
        if payload.len() != n {
            Err(conn(ErrorCode::FrameSizeError, reason))
        } else {
            Ok(())
        }
    };
    Ok(match header.kind {
        FrameType::Data => {
            on_stream("DATA on stream 0")?;
            let (data, padding) = unpad(&header, payload)?;
            Frame::Data {
                stream,
                end_stream: header.has(flags::END_STREAM),
                data,
                padding,
            }
        }
        FrameType::Headers => {
            on_stream("HEADERS on stream 0")?;
            let (mut rest, padding) = unpad(&header, payload)?;
            let priority = if header.has(flags::PRIORITY) {
                let (fields, tail) = rest.split_first_chunk::<5>().ok_or(conn(
                    ErrorCode::FrameSizeError,
                    "HEADERS too short for its priority fields",
                ))?;
                rest = tail;
                Some(PrioritySpec::parse(*fields))
            } else {
                None
            };
            Frame::Headers {
                stream,
                end_stream: header.has(flags::END_STREAM),
                end_headers: header.has(flags::END_HEADERS),
                priority,
                fragment: rest,
                padding,
            }
        }
        FrameType::Priority => {
            on_stream("PRIORITY on stream 0")?;
            // §6.3: the one size error that is only a stream error.
            let fields = payload
                .first_chunk::<5>()
                .filter(|_| payload.len() == 5)
                .ok_or(FrameError {
                    code: ErrorCode::FrameSizeError,
                    scope: Scope::Stream(stream),
                    reason: "PRIORITY not 5 bytes long",
                })?;
            Frame::Priority {
                stream,
                spec: PrioritySpec::parse(*fields),
            }
        }
        FrameType::RstStream => {
            on_stream("RST_STREAM on stream 0")?;
            exact(4, "RST_STREAM not 4 bytes long")?;
            Frame::RstStream {
                stream,
                code: ErrorCode::from_u32(be32(payload)),
            }
        }
        FrameType::Settings => {
            on_connection("SETTINGS on a stream")?;
            let ack = header.has(flags::ACK);
            if ack && !payload.is_empty() {
                return Err(conn(
                    ErrorCode::FrameSizeError,
                    "SETTINGS ACK with a payload",
                ));
            }
            if !payload.len().is_multiple_of(6) {
                return Err(conn(
                    ErrorCode::FrameSizeError,
                    "SETTINGS not a multiple of 6 bytes",
                ));
            }
            Frame::Settings {
                ack,
                params: SettingsParams(payload),
            }
        }
        FrameType::PushPromise => {
            on_stream("PUSH_PROMISE on stream 0")?;
            let (rest, padding) = unpad(&header, payload)?;
            if rest.len() < 4 {
                return Err(conn(
                    ErrorCode::FrameSizeError,
                    "PUSH_PROMISE too short for its stream id",
                ));
            }
            Frame::PushPromise {
                stream,
                end_headers: header.has(flags::END_HEADERS),
                promised: be32(rest) & MAX_STREAM_ID,
                fragment: &rest[4..],
                padding,
            }
        }
        FrameType::Ping => {
            on_connection("PING on a stream")?;
            exact(8, "PING not 8 bytes long")?;
            Frame::Ping {
                ack: header.has(flags::ACK),
                data: payload.try_into().expect("8 bytes checked"),
            }
        }
        FrameType::GoAway => {
            on_connection("GOAWAY on a stream")?;
            if payload.len() < 8 {
                return Err(conn(
                    ErrorCode::FrameSizeError,
                    "GOAWAY shorter than 8 bytes",
                ));
            }
            Frame::GoAway {
                last_stream: be32(payload) & MAX_STREAM_ID,
                code: ErrorCode::from_u32(be32(&payload[4..])),
                debug: &payload[8..],
            }
        }
        FrameType::WindowUpdate => {
            exact(4, "WINDOW_UPDATE not 4 bytes long")?;
            let increment = be32(payload) & MAX_STREAM_ID;
            if increment == 0 {
                // §6.9: an error of the window it was meant for.
                return Err(FrameError {
                    code: ErrorCode::ProtocolError,
                    scope: if stream == 0 {
                        Scope::Connection
                    } else {
                        Scope::Stream(stream)
                    },
                    reason: "WINDOW_UPDATE with an increment of 0",
                });
            }
            Frame::WindowUpdate { stream, increment }
        }
        FrameType::Continuation => {
            on_stream("CONTINUATION on stream 0")?;
            Frame::Continuation {
                stream,
                end_headers: header.has(flags::END_HEADERS),
                fragment: payload,
            }
        }
        FrameType::Unknown(_) => Frame::Unknown { header, payload },
    })
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl Frame<'_> {
    /// The frame's type.
    pub fn kind(&self) -> FrameType {
        match self {
            Frame::Data { .. } => FrameType::Data,
            Frame::Headers { .. } => FrameType::Headers,
            Frame::Priority { .. } => FrameType::Priority,
            Frame::RstStream { .. } => FrameType::RstStream,
            Frame::Settings { .. } => FrameType::Settings,
            Frame::PushPromise { .. } => FrameType::PushPromise,
            Frame::Ping { .. } => FrameType::Ping,
            Frame::GoAway { .. } => FrameType::GoAway,
            Frame::WindowUpdate { .. } => FrameType::WindowUpdate,
            Frame::Continuation { .. } => FrameType::Continuation,
            Frame::Unknown { header, .. } => header.kind,
        }
    }

    /// The stream the frame is on (0 for the connection).
    pub fn stream(&self) -> u32 {
        match *self {
            Frame::Data { stream, .. }
            | Frame::Headers { stream, .. }
            | Frame::Priority { stream, .. }
            | Frame::RstStream { stream, .. }
            | Frame::PushPromise { stream, .. }
            | Frame::WindowUpdate { stream, .. }
            | Frame::Continuation { stream, .. } => stream,
            Frame::Settings { .. } | Frame::Ping { .. } | Frame::GoAway { .. } => 0,
            Frame::Unknown { header, .. } => header.stream,
        }
    }
}
