//! A connection whose directions have both ended, held until the flow
//! table hands it out: its decoders replaced by what the report reads of
//! them (see [`super::Held`] for why that is final).
//!
//! Most connections held at once are such closed ones waiting out Zeek's
//! timer (5 s), so this is kept small: the conversation's report without
//! the parts a plain HTTP/1 connection leaves empty, which are boxed
//! together, and its exchanges packed ([`super::compact`]).

use crate::app::Direction;
use crate::app::conversation::{ConversationReport, DecodeError, ExchangeReport, Http2Report};
use crate::app::detect::Protocol;
use crate::app::negotiation::Negotiation;
use crate::app::tls::TlsReport;
use crate::capture::Timestamp;
use crate::wire::TcpSegment;

use super::compact::{Kept, Streams};
use super::packets::Packets;
use super::{AppReport, StreamFigures};

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Settled {
    packets: Packets,
    conversation: Option<Final>,
    /// Reassembly figures, their `snapped_bytes` not yet filled in.
    streams: Streams,
}

/// A [`ConversationReport`], its rarely present parts boxed.
#[derive(Debug, Clone)]
struct Final {
    protocol: Protocol,
    /// Packed when they are plain HTTP/1 ([`super::compact`]).
    exchanges: Kept,
    rare: Option<Box<Rare>>,
}

/// HTTP/2, TLS, a negotiation or a decoding error: any of them.
#[derive(Debug, Clone)]
struct Rare {
    http2: Option<Http2Report>,
    decode_error: Option<DecodeError>,
    negotiation: Option<Negotiation>,
    tls: Option<TlsReport>,
}

impl Final {
    fn new(r: ConversationReport) -> Self {
        let rare = (r.http2.is_some()
            || r.decode_error.is_some()
            || r.negotiation.is_some()
            || r.tls.is_some())
        .then(|| {
            Box::new(Rare {
                http2: r.http2,
                decode_error: r.decode_error,
                negotiation: r.negotiation,
                tls: r.tls,
            })
        });
        Final {
            protocol: r.protocol,
            exchanges: Kept::new(r.exchanges),
            rare,
        }
    }

    fn report(self) -> ConversationReport {
        let exchanges = self.exchanges.reports();
        Final::assemble(self.protocol, exchanges, self.rare.map(|b| *b))
    }

    /// [`Final::report`], what is kept whole copied.
    fn to_report(&self) -> ConversationReport {
        let rare = self.rare.as_deref().cloned();
        Final::assemble(self.protocol, self.exchanges.to_reports(), rare)
    }

    fn assemble(
        protocol: Protocol,
        exchanges: Vec<ExchangeReport>,
        rare: Option<Rare>,
    ) -> ConversationReport {
        let rare = rare.unwrap_or(Rare {
            http2: None,
            decode_error: None,
            negotiation: None,
            tls: None,
        });
        ConversationReport {
            protocol,
            exchanges,
            http2: rare.http2,
            decode_error: rare.decode_error,
            negotiation: rare.negotiation,
            tls: rare.tls,
        }
    }
}

impl Settled {
    /// The decoders' final figures: the conversation's report (`None`
    /// when no payload was seen) and each direction's reassembly.
    pub(super) fn new(
        packets: Packets,
        conversation: Option<ConversationReport>,
        streams: [StreamFigures; 2],
    ) -> Self {
        Settled {
            packets,
            conversation: conversation.map(Final::new),
            streams: Streams::new(streams),
        }
    }

    /// A segment after both directions ended (an ACK, a retransmission, a
    /// RST): only the packet-level facts take it.
    pub fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        sender: Direction,
        seg: &TcpSegment<'_>,
        payload: &[u8],
    ) {
        self.packets.segment(frame, ts, sender, seg, payload);
    }

    /// The connection was handed out: its report.
    pub fn finish(self) -> AppReport {
        let conversation = self.conversation.map(Final::report);
        self.packets.report(conversation, self.streams.figures())
    }

    /// The same report as [`Settled::finish`], what is kept whole (the
    /// exchanges that were not packed, the rare parts, the ladder) copied.
    pub fn to_report(&self) -> AppReport {
        let conversation = self.conversation.as_ref().map(Final::to_report);
        self.packets.to_report(conversation, self.streams.figures())
    }

    /// Whether any payload was seen: the report has a conversation.
    pub fn carried_payload(&self) -> bool {
        self.conversation.is_some()
    }

    /// The report's conversation's decoding error.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        self.rare()?.decode_error.as_ref()
    }

    /// The report's conversation's TLS report.
    pub fn tls(&self) -> Option<&TlsReport> {
        self.rare()?.tls.as_ref()
    }

    fn rare(&self) -> Option<&Rare> {
        self.conversation.as_ref()?.rare.as_deref()
    }

    /// The report's reassembly figures.
    pub fn streams(&self) -> [StreamFigures; 2] {
        self.packets.streams(self.streams.figures())
    }
}
