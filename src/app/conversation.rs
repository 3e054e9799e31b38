//! One connection's application bytes, both directions, from its first byte
//! to its end: which protocol it speaks ([`super::detect`]), the decoder
//! for it, the hand-over from HTTP/1.1 to HTTP/2 at a `101` to `Upgrade:
//! h2c` (RFC 7540 §3.2), TLS ([`super::tls`]), and labels for a ladder
//! diagram.
//!
//! It is fed in-order bytes with their stream offsets (from
//! [`crate::stream`]), gaps, and the end of each direction; it never sees a
//! socket or a packet. What it found is read with [`Conversation::report`].

use std::sync::Arc;

use crate::proto::h2::{ErrorCode, FrameType};
use crate::tls_decrypt::KeyLog;

use super::Direction;
use super::detect::{self, Guess, Protocol};
use super::h2::{self as app_h2, H2Decoder};
use super::http1::{self, End, Http1Decoder, Outcome};
pub use super::label::Label;
use super::negotiation::{self, Negotiation};
use super::tls::{KeyLogSink, NoKeys, TlsDecoder, TlsReport};

mod inside_tls;
use inside_tls::Inside;

/// Bytes held per direction while the protocol is undecided: the HTTP/2
/// preface is the longest thing the rules wait for (24 bytes).
const HOLD: usize = 64;

/// How one exchange (a request and its response) ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeOutcome {
    /// Both messages complete.
    Complete,
    /// A RST from this side ended the connection inside the exchange.
    CutByRst(Direction),
    /// This side's FIN ended its message early.
    CutByFin(Direction),
    /// The capture ended inside the exchange.
    CutByCaptureEnd,
    /// The request was complete and the server's direction ended without a
    /// response.
    NeverAnswered,
    /// HTTP/2: the stream was reset (RST_STREAM, RFC 9113 §6.4).
    StreamReset(Direction, ErrorCode),
    /// Decoding stopped inside it (a gap, unreadable bytes).
    Undecoded,
    /// The bytes ran out without an end (the connection is still open).
    InProgress,
}

impl ExchangeOutcome {
    /// The stable name (JSON `outcome`).
    pub fn name(self) -> &'static str {
        use Direction::{ClientToServer as C, ServerToClient as S};
        match self {
            ExchangeOutcome::Complete => "complete",
            ExchangeOutcome::CutByRst(C) => "cut_by_client_rst",
            ExchangeOutcome::CutByRst(S) => "cut_by_server_rst",
            ExchangeOutcome::CutByFin(C) => "cut_by_client_fin",
            ExchangeOutcome::CutByFin(S) => "cut_by_server_fin",
            ExchangeOutcome::CutByCaptureEnd => "cut_by_capture_end",
            ExchangeOutcome::NeverAnswered => "never_answered",
            ExchangeOutcome::StreamReset(C, _) => "stream_reset_by_client",
            ExchangeOutcome::StreamReset(S, _) => "stream_reset_by_server",
            ExchangeOutcome::Undecoded => "undecoded",
            ExchangeOutcome::InProgress => "in_progress",
        }
    }
}

/// Body bytes of one message: seen, and announced when the head said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCount {
    /// Bytes seen (HTTP/2: DATA payload).
    pub seen: u64,
    /// Bytes announced (Content-Length), when known.
    pub expected: Option<u64>,
}

/// One exchange, HTTP/1 or an HTTP/2 stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeReport {
    /// HTTP/2 stream id; `None` for HTTP/1.
    pub stream: Option<u32>,
    /// Request method (held in place when short: [`super::Text`]).
    pub method: Option<super::Text>,
    /// Request target (`:path`).
    pub target: Option<super::Text>,
    /// Final status.
    pub status: Option<u16>,
    /// Where it ended up.
    pub outcome: ExchangeOutcome,
    /// The request's body.
    pub request_body: Option<BodyCount>,
    /// The response's body.
    pub response_body: Option<BodyCount>,
    /// Server-direction stream offsets of the response: its first byte, and
    /// one past its last once it ended.
    pub response_range: Option<(u64, Option<u64>)>,
    /// Client-direction stream offsets of the request, as above.
    pub request_range: Option<(u64, Option<u64>)>,
    /// HTTP/2: server-direction offset just past the frame that completed
    /// the response.
    pub h2_response_end: Option<u64>,
    /// HTTP/1: the response's body runs to the close (RFC 9112 §6.3 rule 8).
    pub until_close: bool,
    /// The response's `Alt-Svc` (RFC 7838 §3), as sent: where else the
    /// origin is served, e.g. `h3=":8443"; ma=86400` for HTTP/3.
    pub alt_svc: Option<String>,
}

impl ExchangeReport {
    /// `None` without a response; else where it ended, if it did.
    pub fn response_end(&self) -> Option<Option<u64>> {
        match (self.stream, self.response_range) {
            (None, r) => r.map(|(_, end)| end),
            (Some(_), _) => self.status.map(|_| self.h2_response_end),
        }
    }
}

/// What the HTTP/2 frames showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http2Report {
    /// Frames per type, client then server.
    pub frames: [Vec<(FrameType, u64)>; 2],
    /// GOAWAY frames in order.
    pub goaways: Vec<app_h2::GoAway>,
    /// Frames that broke a rule of RFC 9113.
    pub protocol_errors: u64,
    /// How each side opened it, client then server.
    pub openings: [app_h2::Opening; 2],
}

/// Where and why decoding stopped in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The direction.
    pub sender: Direction,
    /// Stream offset.
    pub offset: u64,
    /// Why.
    pub reason: String,
}

/// What a conversation showed, at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationReport {
    /// The protocol.
    pub protocol: Protocol,
    /// Exchanges in order (HTTP/1 by request, HTTP/2 by stream id).
    pub exchanges: Vec<ExchangeReport>,
    /// HTTP/2 details, when it was HTTP/2.
    pub http2: Option<Http2Report>,
    /// The first place decoding stopped, if it did.
    pub decode_error: Option<DecodeError>,
    /// How the protocol was chosen, when the client tried HTTP/2.
    pub negotiation: Option<Negotiation>,
    /// TLS details, when it was TLS.
    pub tls: Option<TlsReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Detecting,
    Http1,
    H2,
    /// Prior knowledge answered in HTTP/1.x: the client's bytes stay
    /// HTTP/2, the server's are HTTP/1.
    Refused,
    Tls,
    Opaque(Protocol),
}

/// A TLS connection's decoder and, with a key log, its decryption and
/// what ran inside (boxed together: most connections are not TLS).
#[derive(Debug)]
struct TlsConn {
    decoder: TlsDecoder,
    keys: Option<KeyLogSink>,
    inside: Inside,
}

/// What a conversation inside TLS speaks from its first byte, when ALPN
/// said (RFC 7301 §3.2); without it the bytes are sniffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Speak {
    Http1,
    /// RFC 9113 §3.2: both sides start with their preface, as with prior
    /// knowledge.
    H2,
}

/// One connection's application bytes being decoded (not `Clone`: the
/// decryption keys it may hold are not copied).
#[derive(Debug)]
pub struct Conversation {
    state: State,
    /// Bytes held while detecting, and the stream offset of the first.
    held: [(u64, Vec<u8>); 2],
    http1: Option<Box<Http1Decoder>>,
    h2: Option<Box<H2Decoder>>,
    tls: Option<Box<TlsConn>>,
    /// Next stream offset each direction gives HTTP/2, once it speaks it.
    h2_next: [Option<u64>; 2],
    /// What the HTTP/1 labels covered: per exchange, request labelled,
    /// interims labelled, response labelled.
    labelled: Vec<(bool, usize, bool)>,
    /// How each direction ended.
    ended: [Option<End>; 2],
    /// The side whose RST ended the connection.
    rst_by: Option<Direction>,
    /// The version on the first request line, read from the bytes the
    /// detection held, for a connection whose first head never completed.
    first_version: Option<crate::http::Version>,
    /// Make HTTP/1 labels (only a ladder reads them).
    labels: bool,
    /// Prior knowledge: the server direction's first stream offset, kept
    /// as a flag and an offset rather than an `Option<u64>` so that the
    /// flag packs with the small fields above (`tests::sizes` in
    /// connection.rs holds the decoder to 512 bytes); read through
    /// [`Conversation::h2_start`].
    prior_knowledge: bool,
    h2_start_at: u64,
    /// The key log TLS is decrypted with (`--keylog`).
    keylog: Option<Arc<KeyLog>>,
    /// The captured frame whose bytes are being fed (TLS alerts say
    /// which frame carried them).
    frame: u64,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

const BOTH: [Direction; 2] = [Direction::ClientToServer, Direction::ServerToClient];

impl Default for Conversation {
    fn default() -> Self {
        Self::new(true)
    }
}

impl Conversation {
    /// Prior knowledge: the server direction's first stream offset.
    fn h2_start(&self) -> Option<u64> {
        self.prior_knowledge.then_some(self.h2_start_at)
    }

    /// A connection not yet heard from; `labels` asks for the HTTP/1
    /// message labels a ladder shows (HTTP/2 frames are always labelled).
    pub fn new(labels: bool) -> Self {
        Conversation {
            state: State::Detecting,
            held: [(0, Vec::new()), (0, Vec::new())],
            http1: None,
            h2: None,
            tls: None,
            h2_next: [None, None],
            labelled: Vec::new(),
            ended: [None, None],
            rst_by: None,
            first_version: None,
            labels,
            prior_knowledge: false,
            h2_start_at: 0,
            keylog: None,
            frame: 0,
        }
    }

    /// A conversation inside TLS: `speak` as ALPN chose, or sniffed.
    fn speaking(speak: Option<Speak>, labels: bool) -> Self {
        let mut c = Conversation::new(labels);
        match speak {
            Some(Speak::Http1) => {
                c.state = State::Http1;
                c.http1 = Some(Box::new(Http1Decoder::new(0, 0)));
            }
            Some(Speak::H2) => {
                c.state = State::H2;
                c.h2 = Some(Box::new(H2Decoder::new(
                    app_h2::Start::PriorKnowledge,
                    0,
                    0,
                )));
                c.h2_next = [Some(0), Some(0)];
                c.prior_knowledge = true;
            }
            None => {}
        }
        c
    }

    /// Decrypts TLS with this key log.
    #[must_use]
    pub fn with_keylog(mut self, keylog: Option<Arc<KeyLog>>) -> Self {
        self.keylog = keylog;
        self
    }

    /// The bytes fed from now on came in this captured frame.
    pub fn at_frame(&mut self, frame: u64) {
        self.frame = frame;
    }

    /// In-order bytes of one direction, starting at stream `offset`;
    /// `label` gets the messages and frames they completed.
    pub fn feed(
        &mut self,
        sender: Direction,
        offset: u64,
        bytes: &[u8],
        label: &mut impl FnMut(Label),
    ) {
        let i = index(sender);
        if self.ended[i].is_some() || bytes.is_empty() {
            return;
        }
        match self.state {
            State::Detecting => self.detect(sender, offset, bytes, label),
            State::Http1 => self.http1(sender, offset, bytes, label),
            State::H2 if sender == Direction::ServerToClient && self.refuses(offset, bytes) => {
                self.refused(offset, bytes, label);
            }
            State::H2 => self.feed_h2(sender, offset, bytes, label),
            State::Refused => self.http1(sender, offset, bytes, label),
            State::Tls => {
                if let Some(tls) = self.tls.as_deref_mut() {
                    let d = &mut tls.decoder;
                    d.at_frame(self.frame);
                    match tls.keys.as_mut() {
                        Some(keys) => {
                            let alpn = tls.inside.waiting().then(|| d.alpn_in_clear()).flatten();
                            let alpn = alpn.map(str::to_owned);
                            let mut sink = tls.inside.sink(keys, alpn.as_deref());
                            d.feed(sender, bytes, label, &mut sink);
                        }
                        None => d.feed(sender, bytes, label, &mut NoKeys),
                    }
                }
            }
            State::Opaque(_) => {}
        }
    }

    fn detect(
        &mut self,
        sender: Direction,
        offset: u64,
        bytes: &[u8],
        label: &mut impl FnMut(Label),
    ) {
        let i = index(sender);
        // Nothing held yet on either side: the guess is made on this
        // piece's first bytes alone.
        let first = self.held.iter().all(|h| h.1.is_empty());
        let held = &mut self.held[i];
        if held.1.is_empty() {
            held.0 = offset;
        }
        let take = bytes.len().min(HOLD - held.1.len());
        held.1.extend_from_slice(&bytes[..take]);
        let rest = &bytes[take..];
        let guess = detect::guess(&self.held[0].1, &self.held[1].1);
        let full = self.held.iter().any(|h| h.1.len() >= HOLD);
        let guess = match guess {
            Guess::NeedMore if full => Guess::Is(Protocol::Unknown),
            g => g,
        };
        let held = std::mem::take(&mut self.held);
        match guess {
            Guess::NeedMore => {
                self.held = held;
                return;
            }
            Guess::Http1 => {
                self.first_version = first_line_version(&held[0].1);
                self.state = State::Http1;
                self.http1 = Some(Box::new(Http1Decoder::new(held[0].0, held[1].0)));
            }
            Guess::Is(Protocol::H2PriorKnowledge) => {
                self.state = State::H2;
                self.h2 = Some(Box::new(H2Decoder::new(
                    app_h2::Start::PriorKnowledge,
                    held[0].0,
                    held[1].0,
                )));
                self.h2_next = [Some(held[0].0), Some(held[1].0)];
                self.prior_knowledge = true;
                self.h2_start_at = held[1].0;
            }
            Guess::Is(Protocol::Tls) => {
                self.state = State::Tls;
                self.tls = Some(Box::new(TlsConn {
                    decoder: TlsDecoder::new(held[0].0, held[1].0).with_labels(self.labels),
                    keys: self.keylog.clone().map(KeyLogSink::new),
                    inside: Inside::new(self.labels),
                }));
            }
            Guess::Is(p) => {
                self.state = State::Opaque(p);
                return;
            }
        }
        // The usual case, a guess from one piece: the piece goes on whole
        // rather than as the held copy and the rest, which would cut a
        // ClientHello (or a request) in two and make the decoder copy it
        // back together.
        if first {
            return self.feed(sender, offset, bytes, label);
        }
        // Replay what was held: the client's first, since a response pairs
        // with a request fed before it.
        for (d, (at, bytes)) in BOTH.into_iter().zip(held) {
            if !bytes.is_empty() {
                self.feed(d, at, &bytes, label);
            }
        }
        if !rest.is_empty() {
            self.feed(sender, offset + take as u64, rest, label);
        }
    }

    /// The server's first bytes after a preface read as HTTP/1.x: `HTTP/`
    /// cannot start an HTTP/2 connection, whose server preface is a
    /// SETTINGS frame (RFC 9113 §3.4); as a frame header those bytes would
    /// announce a 4.7 MB frame.
    fn refuses(&self, offset: u64, bytes: &[u8]) -> bool {
        let probe = b"HTTP/";
        let n = bytes.len().min(probe.len());
        self.h2_next[1] == Some(offset)
            && self.h2_start() == Some(offset)
            && bytes[..n] == probe[..n]
    }

    /// The preface was refused: the server's direction gets an HTTP/1
    /// decoder from here on (its answer has no request it can pair with:
    /// the preface is not an HTTP/1 request), the client's stays HTTP/2.
    fn refused(&mut self, offset: u64, bytes: &[u8], label: &mut impl FnMut(Label)) {
        self.state = State::Refused;
        self.h2_next[1] = None;
        self.http1 = Some(Box::new(Http1Decoder::new(0, offset)));
        self.http1(Direction::ServerToClient, offset, bytes, label);
    }

    fn http1(
        &mut self,
        sender: Direction,
        offset: u64,
        bytes: &[u8],
        label: &mut impl FnMut(Label),
    ) {
        let i = index(sender);
        if self.h2_next[i].is_some() {
            return self.feed_h2(sender, offset, bytes, label);
        }
        let Some(h1) = self.http1.as_deref_mut() else {
            return;
        };
        h1.feed(sender, bytes);
        if self.labels {
            self.http1_labels(label);
        }
        self.switch_to_h2(label);
        // Bytes of this piece past the switch point belong to HTTP/2.
        if let Some(next) = self.h2_next[i]
            && next < offset + bytes.len() as u64
        {
            let skip = next.saturating_sub(offset) as usize;
            self.feed_h2(sender, offset + skip as u64, &bytes[skip..], label);
        }
    }

    /// After a `101` to `Upgrade: h2c`: starts the HTTP/2 decoder, and each
    /// direction once its switch point is known.
    fn switch_to_h2(&mut self, label: &mut impl FnMut(Label)) {
        let Some(h1) = self.http1.as_deref_mut() else {
            return;
        };
        let Some(sw) = h1.switch().cloned() else {
            return;
        };
        let Some(start) = sw.h2_start() else {
            return;
        };
        if self.h2.is_none() {
            self.h2 = Some(Box::new(H2Decoder::new(
                start,
                sw.client_offset.unwrap_or(0),
                sw.server_offset,
            )));
            self.h2_next[1] = Some(sw.server_offset);
        }
        if self.h2_next[0].is_none()
            && let Some(at) = sw.client_offset
        {
            self.h2_next[0] = Some(at);
            let held = h1.take_held();
            if !held.is_empty() {
                self.feed_h2(Direction::ClientToServer, at, &held, label);
            }
        }
    }

    fn feed_h2(
        &mut self,
        sender: Direction,
        offset: u64,
        bytes: &[u8],
        label: &mut impl FnMut(Label),
    ) {
        let i = index(sender);
        let (Some(h2), Some(next)) = (self.h2.as_deref_mut(), self.h2_next[i]) else {
            return;
        };
        // Only bytes from the switch point on, once each.
        let skip = next.saturating_sub(offset);
        if skip >= bytes.len() as u64 {
            return;
        }
        let bytes = &bytes[skip as usize..];
        self.h2_next[i] = Some(offset + skip + bytes.len() as u64);
        h2.feed(sender, bytes, &mut |f| {
            if f.kind.is_some() {
                label(Label {
                    text: f.label,
                    h2: f.kind.map(|k| (k, f.stream)),
                });
            }
        });
    }

    /// Labels for the HTTP/1 heads completed since the last call.
    fn http1_labels(&mut self, label: &mut impl FnMut(Label)) {
        let Some(h1) = self.http1.as_deref() else {
            return;
        };
        for (n, e) in h1.exchanges().iter().enumerate() {
            if n == self.labelled.len() {
                self.labelled.push((false, 0, false));
            }
            let done = &mut self.labelled[n];
            if let (false, Some(r)) = (done.0, &e.request) {
                done.0 = true;
                // The request line as sent; the response's below without
                // its reason phrase, which is free text (RFC 9112 §4).
                label(Label {
                    text: format!("{} {} {}", r.method, r.target, version_text(r.version)),
                    h2: None,
                });
            }
            while done.1 < e.interim.len() {
                label(Label {
                    text: format!("HTTP/1.1 {}", e.interim[done.1].0),
                    h2: None,
                });
                done.1 += 1;
            }
            if let (false, Some(r)) = (done.2, &e.response) {
                done.2 = true;
                label(Label {
                    text: format!("{} {}", version_text(r.version), r.status),
                    h2: None,
                });
            }
        }
    }

    /// Bytes of one direction that will never be seen, from `offset` on.
    pub fn gap(&mut self, sender: Direction, offset: u64) {
        let i = index(sender);
        if self.h2_next[i].is_some() {
            if let Some(h2) = self.h2.as_deref_mut() {
                h2.gap(sender, offset);
            }
        } else if let Some(h1) = self.http1.as_deref_mut() {
            h1.gap(sender, offset);
        } else if let Some(tls) = self.tls.as_deref_mut() {
            tls.decoder.gap(sender, offset);
            tls.inside.lost(sender);
        }
        if self.state == State::Detecting {
            self.state = State::Opaque(Protocol::Unknown);
        }
    }

    /// One direction ended; `by` names the side whose RST it was, for a RST.
    pub fn end(&mut self, sender: Direction, how: End, rst_by: Option<Direction>) {
        let i = index(sender);
        if self.ended[i].is_some() {
            return;
        }
        if self.state == State::Detecting {
            // Whatever was held is all this direction will send: decide.
            match detect::guess(&self.held[0].1, &self.held[1].1) {
                Guess::Http1 => self.detect_forced(),
                Guess::Is(p) => self.state = State::Opaque(p),
                Guess::NeedMore if self.held[i].1.is_empty() => {}
                Guess::NeedMore => self.state = State::Opaque(Protocol::Unknown),
            }
        }
        self.ended[i] = Some(how);
        if self.rst_by.is_none() {
            self.rst_by = rst_by;
        }
        if let Some(h1) = self.http1.as_deref_mut() {
            h1.end(sender, how);
        }
        if let Some(tls) = self.tls.as_deref_mut() {
            tls.decoder.end(sender, how);
            tls.inside.end(sender, how, rst_by);
        }
    }

    /// HTTP/1 was recognised in bytes still held when a direction ended.
    fn detect_forced(&mut self) {
        let held = std::mem::take(&mut self.held);
        self.state = State::Http1;
        let mut h1 = Http1Decoder::new(held[0].0, held[1].0);
        for (d, (_, bytes)) in BOTH.into_iter().zip(held) {
            h1.feed(d, &bytes);
        }
        self.http1 = Some(Box::new(h1));
    }

    /// The protocol as known so far.
    pub fn protocol(&self) -> Option<Protocol> {
        match self.state {
            State::Detecting => None,
            State::Opaque(p) => Some(p),
            State::H2 => Some(Protocol::H2PriorKnowledge),
            State::Refused => Some(Protocol::H2PrefaceRefused),
            State::Tls => Some(Protocol::Tls),
            State::Http1 if self.h2.is_some() => Some(Protocol::H2cUpgrade),
            State::Http1 => {
                let h1 = self.http1.as_deref()?;
                let first = h1.exchanges().first();
                let version = first
                    .and_then(|e| e.request.as_ref().map(|r| r.version))
                    .or(first.and_then(|e| e.response.as_ref().map(|r| r.version)))
                    .or(self.first_version)
                    // No head ever completed and the first line was longer
                    // than what detection holds: the method said HTTP/1.x,
                    // and 1.1 is what clients send.
                    .unwrap_or(crate::http::Version::Http11);
                Some(match version {
                    crate::http::Version::Http10 => Protocol::Http10,
                    crate::http::Version::Http11 => Protocol::Http11,
                })
            }
        }
    }

    /// Bytes the decoders hold (heads being collected, held bytes).
    pub fn buffered(&self) -> usize {
        self.held.iter().map(|h| h.1.len()).sum::<usize>()
            + self.http1.as_deref().map_or(0, Http1Decoder::buffered)
            + self
                .tls
                .as_deref()
                .map_or(0, |t| t.decoder.buffered() + t.inside.buffered())
    }

    /// What the conversation showed. Call after both directions ended.
    pub fn report(&self) -> Option<ConversationReport> {
        let protocol = self.protocol()?;
        let count = self.http1.as_deref().map_or(0, |h| h.exchanges().len())
            + self.h2.as_deref().map_or(0, |h| h.streams().len());
        let mut exchanges = Vec::with_capacity(count);
        let mut decode_error = None;
        if let Some(h1) = self.http1.as_deref() {
            let switched = h1
                .switch()
                .filter(|_| self.h2.is_some())
                .map(|s| s.exchange);
            for (n, e) in h1.exchanges().iter().enumerate() {
                if Some(n) != switched {
                    exchanges.push(self.http1_exchange(e));
                }
            }
            for d in BOTH {
                if let (None, Some(s)) = (&decode_error, h1.stopped(d)) {
                    decode_error = Some(DecodeError {
                        sender: d,
                        offset: s.offset,
                        reason: s.reason.clone(),
                    });
                }
            }
        }
        let http2 = self.h2.as_deref().map(|h2| {
            for s in h2.streams().values() {
                exchanges.push(self.h2_exchange(h2, s));
            }
            for d in BOTH {
                if let (None, Some(s)) = (&decode_error, h2.stopped(d)) {
                    decode_error = Some(DecodeError {
                        sender: d,
                        offset: s.offset,
                        reason: s.reason.clone(),
                    });
                }
            }
            let (errors, more) = h2.protocol_errors();
            Http2Report {
                frames: BOTH.map(|d| h2.frame_counts(d).iter().map(|(k, n)| (*k, *n)).collect()),
                goaways: h2.goaways().to_vec(),
                protocol_errors: errors.len() as u64 + more,
                openings: BOTH.map(|d| h2.opening(d).clone()),
            }
        });
        let negotiation = negotiation::read(
            self.prior_knowledge,
            self.state == State::Refused,
            self.http1.as_deref(),
            self.h2.as_deref(),
        );
        let tls = self.tls.as_deref().map(|conn| {
            let tls = &conn.decoder;
            for d in BOTH {
                if let (None, Some(s)) = (&decode_error, tls.stopped(d)) {
                    decode_error = Some(DecodeError {
                        sender: d,
                        offset: s.offset,
                        reason: s.reason.clone(),
                    });
                }
            }
            let mut report = tls.report();
            if let Some(keys) = &conn.keys {
                report.with_keys(keys);
            }
            report
        });
        let (tls, exchanges, http2, decode_error) = match (tls, self.tls.as_deref()) {
            (Some(mut report), Some(conn)) => match conn.inside.report() {
                // Decrypted: the exchanges are those inside.
                Some((inner, r)) => {
                    report.inner = Some(inner);
                    let error = decode_error.or(r.decode_error);
                    (Some(report), r.exchanges, r.http2, error)
                }
                None => (Some(report), exchanges, http2, decode_error),
            },
            (tls, _) => (tls, exchanges, http2, decode_error),
        };
        Some(ConversationReport {
            protocol,
            exchanges,
            http2,
            decode_error,
            negotiation,
            tls,
        })
    }

    fn http1_exchange(&self, e: &http1::Exchange) -> ExchangeReport {
        let outcome = match e.outcome() {
            Outcome::Complete => ExchangeOutcome::Complete,
            Outcome::Cut { by: End::Rst, .. } => self.rst_outcome(),
            Outcome::Cut {
                sender,
                by: End::Fin,
            } => ExchangeOutcome::CutByFin(sender),
            Outcome::Cut {
                by: End::CaptureEnd,
                ..
            } => ExchangeOutcome::CutByCaptureEnd,
            // The server's direction ended without a response: by a RST, say whose.
            Outcome::NeverAnswered if self.ended[1] == Some(End::Rst) => self.rst_outcome(),
            Outcome::NeverAnswered => ExchangeOutcome::NeverAnswered,
            Outcome::Undecoded => ExchangeOutcome::Undecoded,
            Outcome::InProgress => ExchangeOutcome::InProgress,
        };
        let body = |m: &http1::Message| BodyCount {
            seen: m.body_bytes,
            expected: m.expected_body(),
        };
        ExchangeReport {
            stream: None,
            method: e.request.as_ref().map(|r| r.method.as_str().into()),
            target: e.request.as_ref().map(|r| r.target.as_str().into()),
            status: e.response.as_ref().map(|r| r.status),
            outcome,
            request_body: e.request.as_ref().map(|r| body(&r.message)),
            response_body: e.response.as_ref().map(|r| body(&r.message)),
            response_range: e.response_range(),
            request_range: e.request.as_ref().map(|r| (r.message.start, r.message.end)),
            h2_response_end: None,
            until_close: e
                .response
                .as_ref()
                .is_some_and(|r| r.message.framing == http1::Framing::UntilClose),
            alt_svc: e
                .response
                .as_ref()
                .and_then(|r| r.message.fields.alt_svc())
                .map(str::to_owned),
        }
    }

    fn rst_outcome(&self) -> ExchangeOutcome {
        ExchangeOutcome::CutByRst(self.rst_by.unwrap_or(Direction::ServerToClient))
    }

    fn h2_exchange(&self, h2: &H2Decoder, s: &app_h2::Stream) -> ExchangeReport {
        let outcome = if let Some((by, code)) = s.reset {
            ExchangeOutcome::StreamReset(by, code)
        } else if s.request_complete && s.response_complete {
            ExchangeOutcome::Complete
        } else if h2.stopped(Direction::ClientToServer).is_some()
            || h2.stopped(Direction::ServerToClient).is_some()
        {
            ExchangeOutcome::Undecoded
        } else if self.rst_by.is_some() {
            self.rst_outcome()
        } else if self.ended[1] == Some(End::Fin) && s.status.is_none() && s.request_complete {
            ExchangeOutcome::NeverAnswered
        } else if self.ended[1] == Some(End::Fin) && !s.response_complete {
            ExchangeOutcome::CutByFin(Direction::ServerToClient)
        } else if self.ended[0] == Some(End::Fin) && !s.request_complete {
            ExchangeOutcome::CutByFin(Direction::ClientToServer)
        } else if self.ended.contains(&Some(End::CaptureEnd)) {
            ExchangeOutcome::CutByCaptureEnd
        } else {
            ExchangeOutcome::InProgress
        };
        ExchangeReport {
            stream: Some(s.id),
            method: s.method.as_deref().map(Into::into),
            target: s.target.as_deref().map(Into::into),
            status: s.status,
            outcome,
            request_body: Some(BodyCount {
                seen: s.data_bytes[0],
                expected: None,
            }),
            response_body: s.status.map(|_| BodyCount {
                seen: s.data_bytes[1],
                expected: None,
            }),
            response_range: None,
            request_range: None,
            h2_response_end: s.response_end_offset,
            until_close: false,
            alt_svc: s.alt_svc.as_deref().map(str::to_owned),
        }
    }
}

/// The version at the end of the first line, if the line is whole.
fn first_line_version(bytes: &[u8]) -> Option<crate::http::Version> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    let line = bytes[..end].strip_suffix(b"\r").unwrap_or(&bytes[..end]);
    if line.ends_with(b" HTTP/1.0") {
        Some(crate::http::Version::Http10)
    } else if line.ends_with(b" HTTP/1.1") {
        Some(crate::http::Version::Http11)
    } else {
        None
    }
}

fn version_text(v: crate::http::Version) -> &'static str {
    match v {
        crate::http::Version::Http10 => "HTTP/1.0",
        crate::http::Version::Http11 => "HTTP/1.1",
    }
}
