//! A QUIC connection's ladder: the packets worth drawing or listing
//! (`--ladder`, `--frames`, `--annotate`), kept only when one of those was
//! asked for. While the datagrams arrive, a [`Recorder`] notes what the
//! report does not keep a frame number for: which packets completed
//! handshake messages, the first packet of each kind that could not be
//! opened, a Version Negotiation. At the end, [`Recorder::finish`] adds
//! what the report does name by frame (the Retry, HANDSHAKE_DONE, HTTP/3,
//! the close, a stateless reset, an ICMP error) and groups the marks by
//! packet into a [`QuicLadder`].
//!
//! Memory stays bounded: the recorder keeps at most [`MAX_RECORDED`] marks
//! per connection and the ladder at most [`MAX_STEPS`] steps besides the
//! ending's; the rest is counted.

use crate::proto::quic::Side;
use crate::proto::tls::HandshakeType;

use super::report::{PacketKind, QuicReport};

/// Marks a recorder keeps while the datagrams arrive.
pub const MAX_RECORDED: usize = 48;

/// Steps a ladder keeps (besides those carrying the ending).
pub const MAX_STEPS: usize = 64;

/// What a packet carried that is worth a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuicMark {
    /// The client's first Initial: the connection's start (RFC 9000
    /// §17.2.2).
    FirstInitial,
    /// Handshake messages that CRYPTO frames in a packet of this type
    /// completed (RFC 9001 §4.1.3: Initial carries ClientHello and
    /// ServerHello, Handshake the rest of the server's flight and the
    /// client's Finished).
    Crypto {
        /// The packet type.
        packet: PacketKind,
        /// The messages, in order.
        messages: Vec<HandshakeType>,
    },
    /// The side's first packet of this type that was not opened (no key
    /// log, or not this connection's).
    Sealed(PacketKind),
    /// The server's Version Negotiation (RFC 9000 §17.2.1).
    VersionNegotiation,
    /// The server's Retry (RFC 9000 §17.2.5).
    Retry,
    /// The server's HANDSHAKE_DONE (RFC 9001 §4.1.2).
    HandshakeDone,
    /// An HTTP/3 SETTINGS frame (RFC 9114 §7.2.4).
    Settings,
    /// The HEADERS that completed the request on this stream.
    Request {
        /// The stream ID.
        stream: u64,
    },
    /// The HEADERS that completed the final response on this stream.
    Response {
        /// The stream ID.
        stream: u64,
    },
    /// An HTTP/3 GOAWAY (RFC 9114 §5.2).
    Goaway {
        /// Its stream or push ID.
        id: u64,
    },
    /// The connection's first CONNECTION_CLOSE ([`QuicReport::close`]).
    Close,
    /// The stateless reset ([`QuicReport::stateless_reset`]).
    StatelessReset,
    /// The ICMP error ([`QuicReport::icmp`]); its sender is the side the
    /// error says is unreachable.
    Icmp,
}

impl QuicMark {
    /// Whether this mark is how the connection ended: a step that has one
    /// is never dropped.
    pub fn is_ending(&self) -> bool {
        matches!(
            self,
            QuicMark::Close | QuicMark::StatelessReset | QuicMark::Icmp
        )
    }
}

/// One packet (one capture frame from one side) and what it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicStep {
    /// The capture frame.
    pub frame: u64,
    /// Who sent it (for [`QuicMark::Icmp`], the side it is about).
    pub from: Side,
    /// What it carried, in order.
    pub marks: Vec<QuicMark>,
}

/// The steps of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuicLadder {
    /// In frame order.
    pub steps: Vec<QuicStep>,
    /// Marks or steps left out past the bounds.
    pub dropped: u64,
    /// The capture frame of the connection's last datagram (where an idle
    /// timeout's silence starts).
    pub last_frame: u64,
}

/// What is noted while the datagrams arrive.
#[derive(Debug, Default)]
pub(super) struct Recorder {
    marks: Vec<(u64, Side, QuicMark)>,
    /// Sealed packets already marked, per side: Handshake, 1-RTT.
    sealed: [[bool; 2]; 2],
    dropped: u64,
}

fn at(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

impl Recorder {
    fn push(&mut self, frame: u64, from: Side, mark: QuicMark) {
        if self.marks.len() < MAX_RECORDED {
            self.marks.push((frame, from, mark));
        } else {
            self.dropped += 1;
        }
    }

    /// The handshake messages a packet completed (nothing when none).
    pub(super) fn crypto(
        &mut self,
        frame: u64,
        from: Side,
        packet: PacketKind,
        messages: &[(HandshakeType, Option<Vec<u8>>)],
    ) {
        if !messages.is_empty() {
            let messages = messages.iter().map(|(t, _)| *t).collect();
            self.push(frame, from, QuicMark::Crypto { packet, messages });
        }
    }

    /// A packet that was not opened: the first of its type from its side.
    pub(super) fn sealed(&mut self, frame: u64, from: Side, packet: PacketKind) {
        let kind = match packet {
            PacketKind::Initial => return,
            PacketKind::Handshake => 0,
            PacketKind::OneRtt => 1,
        };
        if !std::mem::replace(&mut self.sealed[at(from)][kind], true) {
            self.push(frame, from, QuicMark::Sealed(packet));
        }
    }

    /// A Version Negotiation packet (the first).
    pub(super) fn version_negotiation(&mut self, frame: u64, from: Side) {
        if !self
            .marks
            .iter()
            .any(|(_, _, m)| *m == QuicMark::VersionNegotiation)
        {
            self.push(frame, from, QuicMark::VersionNegotiation);
        }
    }

    /// The ladder, with the marks the finished report names by frame;
    /// `last_frame` is the connection's last datagram.
    pub(super) fn finish(self, r: &QuicReport, last_frame: u64) -> QuicLadder {
        let mut marks = self.marks;
        marks.push((r.first_frame, Side::Client, QuicMark::FirstInitial));
        if let Some(x) = &r.retry {
            marks.push((x.frame, Side::Server, QuicMark::Retry));
        }
        if let Some(f) = r.handshake_done {
            marks.push((f, Side::Server, QuicMark::HandshakeDone));
        }
        if let Some(h) = &r.http3 {
            for s in &h.settings {
                marks.push((s.frame, s.by, QuicMark::Settings));
            }
            for x in &h.exchanges {
                if let Some(f) = x.request_frame {
                    marks.push((f, Side::Client, QuicMark::Request { stream: x.stream }));
                }
                if let Some(f) = x.response_frame {
                    marks.push((f, Side::Server, QuicMark::Response { stream: x.stream }));
                }
            }
            for g in &h.goaway {
                marks.push((g.frame, g.by, QuicMark::Goaway { id: g.id }));
            }
        }
        if let Some(c) = &r.close {
            marks.push((c.frame, c.by, QuicMark::Close));
        }
        if let Some(s) = &r.stateless_reset {
            marks.push((s.frame, s.by, QuicMark::StatelessReset));
        }
        if let Some(i) = &r.icmp {
            let unreachable = match i.about {
                Side::Client => Side::Server,
                Side::Server => Side::Client,
            };
            marks.push((i.frame, unreachable, QuicMark::Icmp));
        }
        // Frame order; a packet's own marks in the order it carried them
        // (the sort is stable, and the recorder's come first).
        marks.sort_by_key(|(frame, from, _)| (*frame, at(*from)));
        let mut steps: Vec<QuicStep> = Vec::new();
        for (frame, from, mark) in marks {
            match steps.last_mut() {
                Some(s) if s.frame == frame && s.from == from => s.marks.push(mark),
                _ => steps.push(QuicStep {
                    frame,
                    from,
                    marks: vec![mark],
                }),
            }
        }
        let mut dropped = self.dropped;
        let mut kept = 0;
        steps.retain(|s| {
            kept += 1;
            let keep = kept <= MAX_STEPS || s.marks.iter().any(QuicMark::is_ending);
            if !keep {
                dropped += 1;
            }
            keep
        });
        QuicLadder {
            steps,
            dropped,
            last_frame,
        }
    }
}
