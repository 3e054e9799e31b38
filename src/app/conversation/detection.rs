//! Which protocol a connection speaks, decided on its first bytes (the
//! rules are in [`super::super::detect`]): the bytes held while the guess
//! needs more, the decoder started once it is made, and the held bytes
//! replayed into it.

use super::super::Direction;
use super::super::detect::{self, Guess, Protocol};
use super::super::h2::{self as app_h2, H2Decoder};
use super::super::http1::Http1Decoder;
use super::super::tls::{KeyLogSink, TlsDecoder};
use super::inside_tls::Inside;
use super::{BOTH, Conversation, Label, State, TlsConn, index};

/// Bytes held per direction while the protocol is undecided: the HTTP/2
/// preface is the longest thing the rules wait for (24 bytes).
const HOLD: usize = 64;

impl Conversation {
    pub(super) fn detect(
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

    /// HTTP/1 was recognised in bytes still held when a direction ended.
    pub(super) fn detect_forced(&mut self) {
        let held = std::mem::take(&mut self.held);
        self.state = State::Http1;
        let mut h1 = Http1Decoder::new(held[0].0, held[1].0);
        for (d, (_, bytes)) in BOTH.into_iter().zip(held) {
            h1.feed(d, &bytes);
        }
        self.http1 = Some(Box::new(h1));
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
