//! The HTTP inside a TLS connection opened with a key log: the decrypted
//! application data of each direction is a byte stream of its own, read by
//! a second [`Conversation`] (the same HTTP/1.x and HTTP/2 decoders as a
//! cleartext connection, no parser of its own), chosen by the ALPN the
//! handshake settled (RFC 7301 §3.2) or, without one, by sniffing the
//! first decrypted bytes as the cleartext detection does. When the
//! client's first bytes belie the ALPN choice (not the HTTP/2 preface
//! after `h2`, the preface after `http/1.1`), they are sniffed too.
//!
//! The inner conversation counts plaintext offsets. What the rest of the
//! analyzer compares with the packets (a response acknowledged, the bytes
//! a RST destroyed) is in TCP stream offsets, so each opened record's
//! place in both is kept: a message's first byte maps to the start of the
//! record that carried it, its end to the end of the record that carried
//! its last byte (a receiver can use no plaintext before the whole record
//! has arrived and authenticated, RFC 8446 §5.2).
//!
//! This module and [`Conversation`] hold each other: a tunnel's inside is
//! a conversation too.

use crate::proto::h2::PREFACE;
use crate::proto::tls::ContentType;

use super::super::Direction;
use super::super::http1::End;
use super::super::label::Label;
use super::super::tls::{
    Inner, InnerChosenBy, InnerProtocol, KeyLogSink, RecordSeen, RecordSink, Session,
};
use super::{Conversation, ConversationReport, DecodeError, Speak};

/// One opened application-data record: where its plaintext starts, and
/// where the record sits in the TCP stream.
#[derive(Debug, Clone, Copy)]
struct Span {
    plain: u64,
    tcp_start: u64,
    tcp_end: u64,
}

/// The decrypted side of one TLS connection.
#[derive(Debug)]
pub(super) struct Inside {
    /// Made at the first application data, when the ALPN choice is known.
    conversation: Option<Box<Conversation>>,
    chosen_by: InnerChosenBy,
    /// Per direction, the opened application-data records in order.
    spans: [Vec<Span>; 2],
    /// Per direction, the next plaintext offset.
    next: [u64; 2],
    /// A direction whose records stopped opening was told so once.
    lost: [bool; 2],
    labels: bool,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl Inside {
    /// Nothing decrypted yet; `labels` as [`Conversation::new`] takes it.
    pub(super) fn new(labels: bool) -> Self {
        Inside {
            conversation: None,
            chosen_by: InnerChosenBy::Sniffed,
            spans: [Vec::new(), Vec::new()],
            next: [0; 2],
            lost: [false; 2],
            labels,
        }
    }

    /// The sink that opens records with `keys` and feeds the plaintext
    /// here; `clear_alpn` is the ServerHello's choice (TLS 1.2).
    pub(super) fn sink<'a>(
        &'a mut self,
        keys: &'a mut KeyLogSink,
        clear_alpn: Option<&'a str>,
    ) -> InsideSink<'a> {
        InsideSink {
            inside: self,
            keys,
            clear_alpn,
        }
    }

    /// Whether the inner conversation is still to be made (the caller
    /// then looks up the ALPN in the clear for it).
    pub(super) fn waiting(&self) -> bool {
        self.conversation.is_none()
    }

    fn data(
        &mut self,
        seen: &RecordSeen<'_>,
        bytes: &[u8],
        alpn: Option<&str>,
        label: &mut dyn FnMut(Label),
    ) {
        let i = index(seen.sender);
        if bytes.is_empty() || self.lost[i] {
            return;
        }
        let labels = self.labels;
        let chosen_by = &mut self.chosen_by;
        let conv = self.conversation.get_or_insert_with(|| {
            // RFC 7301 §6 names the protocols; anything else is sniffed.
            let speak = match alpn {
                Some("h2") => Some(Speak::H2),
                Some("http/1.1" | "http/1.0") => Some(Speak::Http1),
                _ => None,
            };
            // A client whose first bytes say otherwise (an `openssl
            // s_client` that negotiated h2 and sends an HTTP/1.0 request)
            // is read as it spoke; the report says the ALPN was belied.
            let client_first = seen.sender == Direction::ClientToServer;
            let preface = bytes.starts_with(&PREFACE[..bytes.len().min(PREFACE.len())]);
            let speak = match speak {
                Some(Speak::H2) if client_first && !preface => None,
                Some(Speak::Http1) if client_first && preface => None,
                s => s,
            };
            *chosen_by = match (speak, alpn) {
                (Some(_), _) => InnerChosenBy::Alpn,
                (None, Some("h2" | "http/1.1" | "http/1.0")) => InnerChosenBy::AgainstAlpn,
                (None, _) => InnerChosenBy::Sniffed,
            };
            Box::new(Conversation::speaking(speak, labels))
        });
        let record = seen.record;
        self.spans[i].push(Span {
            plain: self.next[i],
            tcp_start: record.offset,
            tcp_end: record.offset + 5 + u64::from(record.header.length),
        });
        conv.feed(seen.sender, self.next[i], bytes, &mut |l| label(l));
        self.next[i] += bytes.len() as u64;
    }

    /// No more plaintext will come from this direction although its TCP
    /// stream goes on (a gap, a record that failed authentication).
    pub(super) fn lost(&mut self, d: Direction) {
        let i = index(d);
        if std::mem::replace(&mut self.lost[i], true) {
            return;
        }
        if let Some(c) = self.conversation.as_deref_mut() {
            c.gap(d, self.next[i]);
        }
    }

    /// The TCP direction ended.
    pub(super) fn end(&mut self, d: Direction, how: End, rst_by: Option<Direction>) {
        if let Some(c) = self.conversation.as_deref_mut() {
            c.end(d, how, rst_by);
        }
    }

    /// Bytes the inner decoders hold.
    pub(super) fn buffered(&self) -> usize {
        self.conversation
            .as_deref()
            .map_or(0, Conversation::buffered)
    }

    /// What ran inside, with every offset turned into TCP stream offsets.
    pub(super) fn report(&self) -> Option<(Inner, ConversationReport)> {
        let mut r = self.conversation.as_deref()?.report()?;
        let inner = Inner {
            protocol: InnerProtocol::of(r.protocol),
            chosen_by: self.chosen_by,
        };
        for e in &mut r.exchanges {
            e.request_range = e.request_range.map(|(a, b)| self.range(0, a, b));
            e.response_range = e.response_range.map(|(a, b)| self.range(1, a, b));
            e.h2_response_end = e.h2_response_end.map(|end| self.end_at(1, end));
        }
        r.decode_error = r.decode_error.map(|e| DecodeError {
            offset: self.start_at(index(e.sender), e.offset),
            ..e
        });
        Some((inner, r))
    }

    fn range(&self, i: usize, start: u64, end: Option<u64>) -> (u64, Option<u64>) {
        (self.start_at(i, start), end.map(|e| self.end_at(i, e)))
    }

    /// The TCP offset of the record holding plaintext byte `p`; past the
    /// last byte, the end of the last record.
    fn start_at(&self, i: usize, p: u64) -> u64 {
        let spans = &self.spans[i];
        if p >= self.next[i] {
            return spans.last().map_or(0, |s| s.tcp_end);
        }
        let k = spans.partition_point(|s| s.plain <= p).saturating_sub(1);
        spans.get(k).map_or(0, |s| s.tcp_start)
    }

    /// The TCP offset just past the record holding plaintext byte `end - 1`.
    fn end_at(&self, i: usize, end: u64) -> u64 {
        let spans = &self.spans[i];
        if end == 0 {
            return spans.first().map_or(0, |s| s.tcp_start);
        }
        let k = spans.partition_point(|s| s.plain < end).saturating_sub(1);
        spans.get(k).map_or(0, |s| s.tcp_end)
    }
}

/// A key-log sink whose opened application data goes to [`Inside`].
pub(super) struct InsideSink<'a> {
    inside: &'a mut Inside,
    keys: &'a mut KeyLogSink,
    clear_alpn: Option<&'a str>,
}

impl RecordSink for InsideSink<'_> {
    fn wants_encrypted(&self) -> bool {
        true
    }

    fn record(
        &mut self,
        session: &Session,
        seen: &RecordSeen<'_>,
        label: &mut dyn FnMut(Label),
    ) -> bool {
        match self.keys.open(session, seen, label) {
            Some(p) if p.content_type == ContentType::ApplicationData => {
                // TLS 1.3's choice is in EncryptedExtensions, read before
                // any application data (RFC 8446 §4.3.1).
                let alpn = self.clear_alpn.or(self.keys.alpn().flatten());
                self.inside.data(seen, &p.bytes, alpn, label);
                true
            }
            Some(_) => true,
            None => {
                if seen.encrypted && self.keys.failed(seen.sender) {
                    self.inside.lost(seen.sender);
                }
                false
            }
        }
    }
}
