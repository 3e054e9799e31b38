//! Field blocks from the client: HEADERS and CONTINUATION put together
//! (§4.3), decoded by HPACK (RFC 7541), checked as a request (§8.3.1), and
//! the stream they open (§5.1, §5.1.1, §5.1.2).

use super::session::{Block, Session, conn_err, stream_err};
use super::stream::{Request, Stream, StreamState};
use crate::proto::h2::settings::INITIAL_WINDOW;
use crate::proto::h2::{ErrorCode, FrameError};
use crate::proto::hpack::DecodeErrorKind;
use crate::server::log::Event;

/// The most compressed bytes one field block may take across its frames
/// beyond the header list limit: CONTINUATION frames without end would
/// otherwise grow it without bound (the 2024 "CONTINUATION flood").
const BLOCK_SLACK: usize = 16 * 1024;

/// Why a field block is not a request the server answers.
enum Refusal {
    /// §8.1.1: malformed; a stream error of type PROTOCOL_ERROR.
    Malformed(&'static str),
    /// Larger than SETTINGS_MAX_HEADER_LIST_SIZE: 431 (§10.5.1).
    TooLarge,
}

impl Session {
    pub(super) fn on_headers(
        &mut self,
        stream: u32,
        end_stream: bool,
        end_headers: bool,
        self_dependent: bool,
        fragment: &[u8],
        body: &[u8],
    ) -> Result<(), FrameError> {
        // §5.1.1: client streams are odd.
        if stream.is_multiple_of(2) {
            return Err(conn_err(
                ErrorCode::ProtocolError,
                "HEADERS on an even stream id",
            ));
        }
        self.block = Some(Block {
            stream,
            end_stream,
            self_dependent,
            fragment: fragment.to_vec(),
        });
        if end_headers {
            self.complete_block(body)
        } else {
            self.check_block_size()
        }
    }

    pub(super) fn on_continuation(
        &mut self,
        stream: u32,
        end_headers: bool,
        fragment: &[u8],
        body: &[u8],
    ) -> Result<(), FrameError> {
        // §6.10: CONTINUATION only follows HEADERS (or PUSH_PROMISE, or
        // CONTINUATION) without END_HEADERS, on the same stream; the caller
        // has checked the stream.
        let Some(block) = &mut self.block else {
            return Err(conn_err(
                ErrorCode::ProtocolError,
                "CONTINUATION without HEADERS",
            ));
        };
        debug_assert_eq!(block.stream, stream);
        block.fragment.extend_from_slice(fragment);
        if end_headers {
            self.complete_block(body)
        } else {
            self.check_block_size()
        }
    }

    fn check_block_size(&self) -> Result<(), FrameError> {
        let len = self.block.as_ref().map_or(0, |b| b.fragment.len());
        if len > self.limits.max_header_list as usize + BLOCK_SLACK {
            // §10.5: a load the server will not carry.
            return Err(conn_err(
                ErrorCode::EnhanceYourCalm,
                "field block too large across CONTINUATION frames",
            ));
        }
        Ok(())
    }

    /// The block is whole: decode it (always, to keep HPACK's table in
    /// step with the client's, §4.3), then decide what it means.
    fn complete_block(&mut self, body: &[u8]) -> Result<(), FrameError> {
        let Some(Block {
            stream,
            end_stream,
            self_dependent,
            fragment,
        }) = self.block.take()
        else {
            return Ok(());
        };
        // Each field is checked as it is decoded: no list is built.
        let mut reader = RequestReader::default();
        let decoded = match self
            .decoder
            .decode_each(&fragment, |name, value, _| reader.field(name, value))
        {
            Ok(()) => Ok(reader),
            Err(e) if matches!(e.kind, DecodeErrorKind::ListTooLarge { .. }) => {
                Err(Refusal::TooLarge)
            }
            // §4.3: any other decoding error leaves the table out of step.
            Err(_) => {
                return Err(conn_err(
                    ErrorCode::CompressionError,
                    "field block cannot be decoded",
                ));
            }
        };
        if self_dependent {
            // §5.3.1: a stream cannot depend on itself (decoded first, to
            // keep HPACK in step).
            self.highest = self.highest.max(stream);
            return Err(stream_err(
                stream,
                ErrorCode::ProtocolError,
                "stream depends on itself",
            ));
        }
        if let Some(s) = self.streams.get_mut(&stream) {
            // Trailers (§8.1): they must end the stream.
            if !s.state.remote_open() {
                return Err(stream_err(
                    stream,
                    ErrorCode::StreamClosed,
                    "HEADERS after END_STREAM",
                ));
            }
            if !end_stream {
                return Err(stream_err(
                    stream,
                    ErrorCode::ProtocolError,
                    "trailers without END_STREAM",
                ));
            }
            if s.request.length_differs() {
                return Err(stream_err(
                    stream,
                    ErrorCode::ProtocolError,
                    "DATA differs from content-length",
                ));
            }
            self.end_of_request(stream, body);
            return Ok(());
        }
        if stream <= self.highest {
            // §5.1: a closed stream (or one below a stream already opened,
            // §5.1.1).
            return Err(conn_err(
                ErrorCode::StreamClosed,
                "HEADERS on a closed stream",
            ));
        }
        self.highest = stream;
        if self.goaway_sent.is_some_and(|last| stream > last) {
            // §6.8: streams above the last one announced are ignored.
            return Ok(());
        }
        if self.streams.len() >= self.limits.max_streams as usize {
            // §5.1.2: over SETTINGS_MAX_CONCURRENT_STREAMS.
            return Err(stream_err(
                stream,
                ErrorCode::RefusedStream,
                "over SETTINGS_MAX_CONCURRENT_STREAMS",
            ));
        }
        let (request, refusal) = match decoded.and_then(RequestReader::finish) {
            Ok(r) => (r, None),
            Err(refusal) => (Request::default(), Some(refusal)),
        };
        let length_differs = request.length_differs();
        let s = Stream::new(
            StreamState::Open,
            self.peer.initial_window_size,
            INITIAL_WINDOW,
            request,
        );
        self.streams.insert(stream, s);
        match refusal.map_or(Ok(()), Err) {
            Ok(()) if end_stream && length_differs => {
                return Err(stream_err(
                    stream,
                    ErrorCode::ProtocolError,
                    "DATA differs from content-length",
                ));
            }
            Ok(_) if end_stream => self.end_of_request(stream, body),
            Ok(_) => self.stream_event(stream, StreamState::Open),
            Err(Refusal::Malformed(reason)) => {
                return Err(stream_err(stream, ErrorCode::ProtocolError, reason));
            }
            Err(Refusal::TooLarge) => {
                // Answer 431 at once; what the client still sends on the
                // stream is read and dropped.
                if end_stream && let Some(s) = self.streams.get_mut(&stream) {
                    s.remote_ended();
                }
                self.request_complete(stream);
                self.respond_status(stream, 431, body);
            }
        }
        Ok(())
    }

    /// Logs the request of a stream whose END_STREAM arrived.
    pub(super) fn request_complete(&mut self, id: u32) {
        if let Some(s) = self.streams.get(&id) {
            self.requests += 1;
            if !self.record_events {
                return;
            }
            self.events.push(Event::Stream {
                id,
                state: s.state,
                method: Some(s.request.method.clone()),
                target: Some(s.request.path.clone()),
                request_bytes: Some(s.request.body_bytes),
                status: None,
                body_bytes: None,
            });
        }
    }
}

/// The request a field block makes, read field by field and checked as
/// §8.3.1 and §8.2 say: pseudo-header fields first and known, each once,
/// `:method`, `:scheme` and `:path` present (CONNECT is not served), names
/// in lower case, no connection-specific fields. The first broken rule is
/// kept.
#[derive(Default)]
struct RequestReader {
    request: Request,
    scheme: bool,
    regular: bool,
    refused: Option<&'static str>,
}

impl RequestReader {
    fn field(&mut self, name: &[u8], value: &[u8]) {
        if self.refused.is_none()
            && let Err(reason) = self.check(name, value)
        {
            self.refused = Some(reason);
        }
    }

    fn check(&mut self, name: &[u8], value: &[u8]) -> Result<(), &'static str> {
        let r = &mut self.request;
        if name.iter().any(u8::is_ascii_uppercase) {
            return Err("upper-case field name");
        }
        if let Some(pseudo) = name.strip_prefix(b":") {
            if self.regular {
                return Err("pseudo-header after a regular field");
            }
            let slot = match pseudo {
                b"method" => &mut r.method,
                b"path" => &mut r.path,
                b"scheme" if !self.scheme => {
                    self.scheme = true;
                    return Ok(());
                }
                b"authority" => return Ok(()),
                _ => return Err("unknown or repeated pseudo-header"),
            };
            if !slot.is_empty() {
                return Err("repeated pseudo-header");
            }
            *slot = String::from_utf8_lossy(value).into_owned();
            return Ok(());
        }
        self.regular = true;
        let connection_specific = matches!(
            name,
            b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade"
        ) || (name == b"te" && value != b"trailers");
        if connection_specific {
            return Err("connection-specific field");
        }
        if name == b"content-length" {
            let n = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or("content-length is not a number")?;
            if r.content_length.is_some_and(|m| m != n) {
                return Err("two content-lengths");
            }
            r.content_length = Some(n);
        }
        Ok(())
    }

    fn finish(self) -> Result<Request, Refusal> {
        if let Some(reason) = self.refused {
            return Err(Refusal::Malformed(reason));
        }
        let r = self.request;
        if r.method.is_empty() || r.path.is_empty() || !self.scheme {
            return Err(Refusal::Malformed("missing :method, :scheme or :path"));
        }
        if r.method == "CONNECT" {
            return Err(Refusal::Malformed("CONNECT is not served"));
        }
        Ok(r)
    }
}
