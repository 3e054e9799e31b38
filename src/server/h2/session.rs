//! One HTTP/2 connection as the server sees it, without a socket: bytes in
//! ([`Session::receive`]), frames out ([`Session::out`]) and log events
//! ([`Session::events`]). The socket side (`conn.rs`) decides when to read
//! and when to close; this side applies RFC 9113: the preface (§3.4),
//! frame rules (§4, §6), stream states (§5.1), flow control (§5.2, §6.9),
//! SETTINGS (§6.5) and errors (§5.4).
//!
//! Being sans-IO is what lets the fuzz target and the unit tests drive
//! exactly the code the server runs.

mod dispatch;

use std::collections::BTreeMap;

use super::stream::{Request, Stream, StreamState};
use crate::proto::h2::{
    Check, ErrorCode, Frame, FrameError, PrefaceMatch, Scope, SettingId, Settings, check,
    match_preface, parse,
};
use crate::proto::hpack::{Decoder, Encoder};
use crate::server::log::{Dir, Event, H2Start, SettingValue};

/// What the server allows on one connection (from [`crate::server::Config`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// SETTINGS_MAX_CONCURRENT_STREAMS we announce and enforce (§5.1.2).
    pub max_streams: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE we announce; a larger list is answered
    /// 431 (§10.5.1).
    pub max_header_list: u32,
    /// Status of normal responses.
    pub status: u16,
    /// Begin the graceful shutdown (§6.8) as soon as a stream is answered,
    /// its GOAWAY right behind the last DATA frame (`drain`).
    pub shutdown_after_answer: bool,
    /// `no-read`, `partial`: take no frame beyond the one that lets the
    /// first stream be answered (after an upgrade, the client's SETTINGS).
    pub one_shot: bool,
}

/// A header block waiting for its CONTINUATION frames (§4.3).
pub(super) struct Block {
    pub stream: u32,
    pub end_stream: bool,
    /// The HEADERS made the stream depend on itself (§5.3.1).
    pub self_dependent: bool,
    pub fragment: Vec<u8>,
}

/// The connection error that ended the session (§5.4.1): the GOAWAY
/// carrying it is in [`Session::out`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionError(pub FrameError);

/// The graceful shutdown of §6.8, step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Not asked.
    No,
    /// GOAWAY with 2^31−1 and a PING sent; waiting for the PING's ACK (a
    /// round trip, so streams the client opened meanwhile are counted).
    Announced([u8; 8]),
    /// The final GOAWAY with the last stream id is sent.
    Final,
}

/// The output buffer's first size when frames come in: a few small
/// answers, HEADERS and DATA, without growing it, and small enough for
/// the allocator's per-thread cache (glibc's tcache takes up to 1 032
/// bytes), so that freeing it when the connection waits costs little.
const OUT_START: usize = 1024;

/// The opaque data of the shutdown PING (§6.7: anything the sender likes).
pub(super) const SHUTDOWN_PING: [u8; 8] = *b"goingawy";

/// A server-side HTTP/2 connection.
pub struct Session {
    pub(super) limits: SessionLimits,
    /// The client's settings as they stand.
    pub(super) peer: Settings,
    pub(super) decoder: Decoder,
    pub(super) encoder: Encoder,
    /// Streams not yet closed, by id.
    pub(super) streams: BTreeMap<u32, Stream>,
    /// The highest stream id the client has opened (§5.1.1); streams below
    /// it that are not in `streams` are closed.
    pub(super) highest: u32,
    /// Connection windows (§6.9.1): ours to send in, the client's to us.
    pub(super) send_window: i64,
    pub(super) recv_window: i64,
    input: Vec<u8>,
    /// Bytes to write to the client.
    pub out: Vec<u8>,
    /// Log events, in order.
    pub events: Vec<Event>,
    /// Whether events are recorded: off when nobody reads the log (`lab
    /// serve --log off`), so that a request costs no copies of its method
    /// and path for a record that would be thrown away.
    pub record_events: bool,
    start: H2Start,
    need_preface: bool,
    need_settings: bool,
    /// The client has acknowledged our SETTINGS (§6.5.3).
    settings_acked: bool,
    pub(super) block: Option<Block>,
    /// Last stream id of the GOAWAY we sent, if any.
    pub(super) goaway_sent: Option<u32>,
    /// The client sent GOAWAY.
    pub peer_goaway: bool,
    /// Responses completed.
    pub answered: u64,
    /// Responses begun (HEADERS queued).
    pub(super) responded: u64,
    /// Requests complete (the upgrading one is HTTP/1's to count).
    pub requests: u64,
    /// The graceful shutdown's progress.
    pub shutdown: Shutdown,
    pub(super) failed: bool,
    /// After an upgrade, stream 1's answer waits for the client's preface.
    deferred_answer: bool,
    /// The `alt-svc` field every response carries, if any (RFC 7838 §3).
    pub(super) alt_svc: Option<Box<[u8]>>,
}

impl Session {
    fn new(limits: SessionLimits, start: H2Start) -> Session {
        let mut s = Session {
            limits,
            peer: Settings::default(),
            decoder: Decoder::new(limits.max_header_list as usize),
            encoder: Encoder::new(true),
            streams: BTreeMap::new(),
            highest: 0,
            send_window: i64::from(crate::proto::h2::settings::INITIAL_WINDOW),
            recv_window: i64::from(crate::proto::h2::settings::INITIAL_WINDOW),
            input: Vec::new(),
            out: Vec::new(),
            events: Vec::new(),
            record_events: true,
            start,
            need_preface: true,
            need_settings: true,
            settings_acked: false,
            block: None,
            goaway_sent: None,
            peer_goaway: false,
            answered: 0,
            responded: 0,
            requests: 0,
            shutdown: Shutdown::No,
            failed: false,
            deferred_answer: false,
            alt_svc: None,
        };
        // §3.4: the server's preface is a SETTINGS frame, its first frame.
        let params = [
            (SettingId::MaxConcurrentStreams, limits.max_streams),
            (SettingId::MaxHeaderListSize, limits.max_header_list),
        ];
        crate::proto::h2::encode_settings(&params, &mut s.out);
        s.events.push(Event::Settings {
            dir: Dir::Sent,
            ack: false,
            params: params
                .iter()
                .map(|&(id, value)| SettingValue { id, value })
                .collect(),
        });
        s
    }

    /// A connection whose first bytes matched the preface (§3.3).
    pub fn prior_knowledge(limits: SessionLimits) -> Session {
        Session::new(limits, H2Start::PriorKnowledge)
    }

    /// ALPN chose `h2`: the preface comes first, as with prior knowledge.
    pub fn over_tls(limits: SessionLimits) -> Session {
        Session::new(limits, H2Start::Alpn)
    }

    /// A connection switched by `101` (RFC 7540 §3.2): `settings` came in
    /// HTTP2-Settings (the 101 acknowledges them implicitly), and the
    /// upgrading request becomes stream 1, half-closed (remote). Its body
    /// was read before the switch.
    ///
    /// Stream 1 is answered once the client's preface and SETTINGS have
    /// arrived, not right behind the 101: curl 7.88 keeps what follows the
    /// 101 in a 32 KiB buffer and fails with exit 16 ("connection buffer
    /// size is too small to store data following HTTP Upgrade response
    /// header") when a larger answer comes in the same breath.
    pub fn upgraded(
        limits: SessionLimits,
        settings: &[SettingValue],
        request: Request,
    ) -> Result<Session, ConnectionError> {
        let mut s = Session::new(limits, H2Start::Upgrade);
        for p in settings {
            if let Err(bad) = s.apply_setting(p.id, p.value) {
                return Err(s.connection_error(bad));
            }
        }
        s.highest = 1;
        let stream = Stream::new(
            StreamState::HalfClosedRemote,
            s.peer.initial_window_size,
            crate::proto::h2::settings::INITIAL_WINDOW,
            request,
        );
        s.streams.insert(1, stream);
        s.request_complete(1);
        s.requests = 0;
        s.deferred_answer = true;
        Ok(s)
    }

    /// Streams not closed.
    pub fn active_streams(&self) -> usize {
        self.streams.len()
    }

    /// A connection error ended the session.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Our SETTINGS is not acknowledged yet (§6.5.3).
    pub fn awaiting_settings_ack(&self) -> bool {
        !self.settings_acked && !self.failed
    }

    /// §6.5.3: "If the sender of a SETTINGS frame does not receive an
    /// acknowledgment within a reasonable amount of time, it MAY issue a
    /// connection error of type SETTINGS_TIMEOUT." The socket side keeps
    /// the time and calls this.
    pub fn settings_timeout(&mut self) -> ConnectionError {
        self.fail(
            ErrorCode::SettingsTimeout,
            "SETTINGS not acknowledged in time",
        )
    }

    /// Feeds bytes from the client; returns how many of them it took: all
    /// of them, except in a one-shot session, which stops right after the
    /// frame that completes its first request. Stream errors are answered
    /// with RST_STREAM and the session goes on; a connection error queues
    /// GOAWAY and returns it, and later input is ignored (§5.4.1: the
    /// connection must now be closed).
    pub fn receive(&mut self, bytes: &[u8], body: &[u8]) -> Result<usize, ConnectionError> {
        if self.failed {
            return Ok(bytes.len());
        }
        // The socket side frees the output buffer whenever it has caught
        // up; room for a few answers at once spares growing it step by step.
        self.out.reserve(OUT_START);
        if self.input.is_empty() {
            // The usual case: frames straight from the caller's buffer; only
            // an incomplete frame at the end is kept.
            let (used, stopped) = self.process(bytes, body)?;
            if stopped {
                self.pump(body);
                return Ok(used);
            }
            self.input.extend_from_slice(&bytes[used..]);
            self.pump(body);
            return Ok(bytes.len());
        }
        let mut input = std::mem::take(&mut self.input);
        let had = input.len();
        input.extend_from_slice(bytes);
        let (used, stopped) = self.process(&input, body)?;
        let taken = if stopped {
            used.saturating_sub(had)
        } else {
            bytes.len()
        };
        if stopped {
            input.clear();
        } else {
            input.drain(..used);
        }
        self.input = input;
        if self.input.is_empty() {
            // Nothing waits: give the buffer back (memory per idle
            // connection).
            self.input = Vec::new();
        }
        self.pump(body);
        Ok(taken)
    }

    /// Handles every whole frame at the start of `input`; returns the bytes
    /// used, and whether a one-shot session stopped after its answer.
    fn process(&mut self, input: &[u8], body: &[u8]) -> Result<(usize, bool), ConnectionError> {
        let mut pos = 0;
        if self.need_preface {
            match match_preface(input) {
                PrefaceMatch::Incomplete => return Ok((0, false)),
                PrefaceMatch::No => {
                    // §3.4: an invalid preface is a PROTOCOL_ERROR (the
                    // GOAWAY "MAY be omitted"; it is sent to teach).
                    return Err(self.fail(ErrorCode::ProtocolError, "invalid connection preface"));
                }
                PrefaceMatch::Yes => {
                    self.need_preface = false;
                    self.event(Event::Preface { start: self.start });
                    pos = crate::proto::h2::PREFACE.len();
                }
            }
        }
        // Our SETTINGS_MAX_FRAME_SIZE is the initial 16 384 (§4.2).
        let max_frame = crate::proto::h2::settings::MIN_MAX_FRAME_SIZE;
        loop {
            let n = match check(&input[pos..], max_frame) {
                Ok(Check::Incomplete) => return Ok((pos, false)),
                Ok(Check::Complete(n)) => n,
                Err(e) => return Err(self.connection_error(e)),
            };
            let frame = parse(&input[pos..pos + n]);
            pos += n;
            let result = frame.and_then(|f| self.on_frame(f, body));
            if self.deferred_answer && !self.need_settings {
                self.deferred_answer = false;
                self.respond(1, body);
            }
            match result {
                Ok(()) => {}
                // An even id is no stream a client can own (§5.1.1), so no
                // RST_STREAM goes there: §5.4.1 lets any stream error be
                // treated as a connection error, and that is done here.
                Err(FrameError {
                    scope: Scope::Stream(id),
                    code,
                    reason,
                }) if id % 2 == 1 => self.reset(id, code, reason),
                Err(e) => return Err(self.connection_error(e)),
            }
            if self.limits.one_shot && self.responded > 0 {
                return Ok((pos, true));
            }
        }
    }

    /// The client's END_STREAM on `stream`: the request is complete and is
    /// answered, unless an early answer (431) went out already.
    pub(super) fn end_of_request(&mut self, stream: u32, body: &[u8]) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        let answered_early = s.response_left.is_some();
        s.remote_ended();
        if answered_early {
            if s.state == StreamState::Closed {
                self.streams.remove(&stream);
                self.stream_event(stream, StreamState::Closed);
            }
            return;
        }
        self.request_complete(stream);
        self.respond(stream, body);
    }

    /// §5.1: a frame other than HEADERS or PRIORITY on an idle stream is a
    /// connection error.
    pub(super) fn check_not_idle(
        &self,
        stream: u32,
        reason: &'static str,
    ) -> Result<(), FrameError> {
        if stream > self.highest {
            Err(conn_err(ErrorCode::ProtocolError, reason))
        } else {
            Ok(())
        }
    }

    /// Ends one stream with RST_STREAM (§5.4.2).
    pub(super) fn reset(&mut self, stream: u32, code: ErrorCode, reason: &'static str) {
        Frame::RstStream { stream, code }.encode(&mut self.out);
        self.event(Event::RstStream {
            dir: Dir::Sent,
            stream,
            code,
            reason: Some(reason),
        });
        if self.streams.remove(&stream).is_some() {
            self.stream_event(stream, StreamState::Closed);
        }
    }

    /// Frees what a connection that waits for the client has no use for:
    /// the empty output buffer, and the stream map's node if no stream is
    /// open (an emptied B-tree keeps its leaf: eleven streams' room, over
    /// a kilobyte). The socket side calls it when it has caught up.
    pub fn release_idle(&mut self) {
        if self.out.is_empty() {
            self.out = Vec::new();
        }
        if self.streams.is_empty() {
            self.streams = BTreeMap::new();
        }
    }

    /// Every response of this session carries `alt-svc: VALUE` (RFC 7838
    /// §3; the ALTSVC frame of §4 is not sent).
    pub fn with_alt_svc(mut self, value: Option<&crate::http::AltSvc>) -> Session {
        self.alt_svc = value.map(|v| v.to_string().into_bytes().into_boxed_slice());
        self
    }

    /// Stops recording events (nobody reads them) and drops those recorded
    /// so far (the server's SETTINGS).
    pub fn without_events(mut self) -> Session {
        self.record_events = false;
        self.events = Vec::new();
        self
    }

    /// Records a log event, if anyone reads them.
    pub(super) fn event(&mut self, e: Event) {
        if self.record_events {
            self.events.push(e);
        }
    }

    /// Logs a stream's new state.
    pub(super) fn stream_event(&mut self, id: u32, state: StreamState) {
        self.event(Event::Stream {
            id,
            state,
            method: None,
            target: None,
            request_bytes: None,
            status: None,
            body_bytes: None,
        });
    }
}

pub(super) fn conn_err(code: ErrorCode, reason: &'static str) -> FrameError {
    FrameError {
        code,
        scope: Scope::Connection,
        reason,
    }
}

pub(super) fn stream_err(stream: u32, code: ErrorCode, reason: &'static str) -> FrameError {
    FrameError {
        code,
        scope: Scope::Stream(stream),
        reason,
    }
}
