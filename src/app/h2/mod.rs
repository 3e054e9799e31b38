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

pub mod reader;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::proto::h2::{
    ErrorCode, Frame, FrameError, FrameHeader, FrameType, PREFACE, Scope, SettingId, flags, parse,
};
use crate::proto::hpack::{self, DecodeErrorKind, HeaderField};

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

    /// A DATA frame whose payload was not kept: its length counts, less
    /// padding, which is unknown here and at most 256 bytes; the pad length
    /// byte itself is the payload's first, also not kept, so a padded DATA
    /// frame's data count is its length (an upper bound) and says so nowhere
    /// else. Padded DATA is rare in practice.
    fn data(&mut self, sender: Direction, header: &FrameHeader, end: u64) -> String {
        let id = header.stream;
        let end_stream = header.has(flags::END_STREAM);
        let s = self.stream(id);
        s.data_bytes[index(sender)] += u64::from(header.length);
        if end_stream {
            match sender {
                Direction::ClientToServer => s.request_complete = true,
                Direction::ServerToClient => {
                    s.response_complete = true;
                    s.response_end_offset = Some(end);
                }
            }
        }
        format!(
            "DATA s{id} {} B{}",
            header.length,
            if end_stream { " END_STREAM" } else { "" }
        )
    }

    fn frame(&mut self, sender: Direction, offset: u64, end: u64, frame: Frame<'_>) -> String {
        let i = index(sender);
        match frame {
            Frame::Data { .. } => unreachable!("DATA payloads are never kept"),
            Frame::Headers {
                stream,
                end_stream,
                end_headers,
                fragment,
                ..
            } => {
                let pending = Pending {
                    stream,
                    end_stream,
                    block: fragment.to_vec(),
                    offset,
                };
                let what = self.block(sender, pending, end_headers, end);
                format!("HEADERS s{stream}{what}")
            }
            Frame::PushPromise {
                stream,
                promised,
                end_headers,
                fragment,
                ..
            } => {
                // The promised request's block is decoded (it moves the
                // table) but belongs to the promised stream.
                let pending = Pending {
                    stream: promised,
                    end_stream: false,
                    block: fragment.to_vec(),
                    offset,
                };
                let what = self.block(sender, pending, end_headers, end);
                format!("PUSH_PROMISE s{stream} promised s{promised}{what}")
            }
            Frame::Continuation {
                fragment,
                end_headers,
                stream,
            } => {
                let Some(mut pending) = self.sides[i].pending.take() else {
                    self.note(ProtocolError {
                        sender,
                        offset,
                        error: FrameError {
                            code: ErrorCode::ProtocolError,
                            scope: Scope::Connection,
                            reason: "CONTINUATION without HEADERS",
                        },
                    });
                    return format!("CONTINUATION s{stream} (unexpected)");
                };
                pending.block.extend_from_slice(fragment);
                let what = self.block(sender, pending, end_headers, end);
                format!("CONTINUATION s{stream}{what}")
            }
            Frame::Priority { stream, .. } => format!("PRIORITY s{stream}"),
            Frame::RstStream { stream, code } => {
                self.stream(stream).reset = Some((sender, code));
                format!("RST_STREAM s{stream} {code}")
            }
            Frame::Settings { ack: true, .. } => {
                self.sides[i].opening.acked = true;
                "SETTINGS ACK".into()
            }
            Frame::Settings { ack: false, params } => {
                let opening = &mut self.sides[i].opening;
                if opening.settings.is_none() {
                    opening.settings = Some(params.collect());
                }
                let mut label = String::from("SETTINGS");
                // The sender's HEADER_TABLE_SIZE bounds the table of the
                // blocks it receives: the other direction's decoder.
                let other = 1 - i;
                for (id, value) in params {
                    let _ = write!(label, " {id}={value}");
                    if id == SettingId::HeaderTableSize {
                        let d = &mut self.sides[other].hpack;
                        if value as usize > d.limit() {
                            d.set_limit(value as usize);
                        }
                    }
                }
                label
            }
            Frame::Ping { ack, .. } => if ack { "PING ACK" } else { "PING" }.into(),
            Frame::GoAway {
                last_stream,
                code,
                debug,
            } => {
                let debug = String::from_utf8_lossy(&debug[..debug.len().min(256)]).into_owned();
                self.goaways.push(GoAway {
                    sender,
                    last_stream,
                    code,
                    debug,
                });
                format!("GOAWAY last={last_stream} {code}")
            }
            Frame::WindowUpdate { stream, increment } => {
                format!("WINDOW_UPDATE s{stream} +{increment}")
            }
            Frame::Unknown { header, .. } => format!("{} s{}", header.kind, header.stream),
        }
    }

    /// A field block fragment arrived; decode the block once it is whole.
    /// Returns what to add to the frame's label.
    fn block(
        &mut self,
        sender: Direction,
        pending: Pending,
        end_headers: bool,
        end: u64,
    ) -> String {
        let i = index(sender);
        if pending.block.len() > MAX_HEADER_BLOCK {
            let reason = format!(
                "field block of stream {} over {MAX_HEADER_BLOCK} bytes (CONTINUATION flood?)",
                pending.stream
            );
            self.stop(sender, pending.offset, reason);
            return " (field block too large)".into();
        }
        if !end_headers {
            self.sides[i].pending = Some(pending);
            return " (continued)".into();
        }
        let id = pending.stream;
        match self.sides[i].hpack.decode(&pending.block) {
            Ok(fields) => self.fields(sender, id, pending.end_stream, end, &fields),
            Err(e) if matches!(e.kind, DecodeErrorKind::ListTooLarge { .. }) => {
                self.stream(id).oversized_headers = true;
                format!(" (header list over {MAX_HEADER_LIST} bytes)")
            }
            Err(e) => {
                self.stop(sender, pending.offset, format!("{e}: COMPRESSION_ERROR"));
                " (HPACK error)".into()
            }
        }
    }

    fn fields(
        &mut self,
        sender: Direction,
        id: u32,
        end_stream: bool,
        end: u64,
        fields: &[HeaderField],
    ) -> String {
        let get = |name: &[u8]| {
            fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| String::from_utf8_lossy(&f.value).into_owned())
        };
        let s = self.stream(id);
        let mut label = String::new();
        match sender {
            Direction::ClientToServer => {
                if let Some(m) = get(b":method") {
                    let target = get(b":path").or_else(|| get(b":authority"));
                    let _ = write!(label, " {m} {}", target.as_deref().unwrap_or("-"));
                    s.method = Some(m);
                    s.target = target;
                }
                if end_stream {
                    s.request_complete = true;
                }
            }
            Direction::ServerToClient => {
                if let Some(status) = get(b":status") {
                    let _ = write!(label, " :status {status}");
                    match status.parse::<u16>() {
                        Ok(code) if code >= 200 => s.status = Some(code),
                        _ => {}
                    }
                }
                let alt_svc: Vec<String> = fields
                    .iter()
                    .filter(|f| f.name == b"alt-svc")
                    .map(|f| String::from_utf8_lossy(&f.value).into_owned())
                    .collect();
                if !alt_svc.is_empty() {
                    s.alt_svc = Some(alt_svc.join(", ").into_boxed_str());
                }
                if end_stream {
                    s.response_complete = true;
                    s.response_end_offset = Some(end);
                }
            }
        }
        if end_stream {
            label.push_str(" END_STREAM");
        }
        label
    }
}
