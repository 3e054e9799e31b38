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

use crate::tls_decrypt::KeyLog;

use super::Direction;
use super::detect::{self, Guess, Protocol};
use super::h2::{self as app_h2, H2Decoder};
use super::http1::{End, Http1Decoder};
pub use super::label::Label;
use super::tls::{KeyLogSink, NoKeys, TlsDecoder};

mod detection;
mod http_feed;
mod inside_tls;
mod report;
use inside_tls::Inside;
pub use report::{
    BodyCount, ConversationReport, DecodeError, ExchangeOutcome, ExchangeReport, Http2Report,
};

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
}
