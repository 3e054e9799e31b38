//! A connection whose directions have both ended, held until the flow
//! table hands it out: its decoders replaced by what the report reads of
//! them (see [`super::Held`] for why that is final).
//!
//! Most connections held at once are such closed ones waiting out Zeek's
//! timer (5 s), so this is kept small: the conversation's report without
//! the parts a plain HTTP/1 connection leaves empty, which are boxed
//! together, and its exchanges packed ([`super::compact`]).

use crate::app::Direction;
use crate::app::conversation::{ConversationReport, DecodeError, Http2Report};
use crate::app::detect::Protocol;
use crate::app::negotiation::Negotiation;
use crate::app::tls::TlsReport;
use crate::capture::Timestamp;
use crate::wire::TcpSegment;

use super::compact::{Kept, Streams};
use super::packets::Packets;
use super::{AppReport, StreamFigures};

/// See the module documentation.
#[derive(Debug)]
pub struct Settled {
    packets: Packets,
    conversation: Option<Final>,
    /// Reassembly figures, their `snapped_bytes` not yet filled in.
    streams: Streams,
}

/// A [`ConversationReport`], its rarely present parts boxed.
#[derive(Debug)]
struct Final {
    protocol: Protocol,
    /// Packed when they are plain HTTP/1 ([`super::compact`]).
    exchanges: Kept,
    rare: Option<Box<Rare>>,
}

/// HTTP/2, TLS, a negotiation or a decoding error: any of them.
#[derive(Debug)]
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
        let rare = self.rare.map_or(
            Rare {
                http2: None,
                decode_error: None,
                negotiation: None,
                tls: None,
            },
            |b| *b,
        );
        ConversationReport {
            protocol: self.protocol,
            exchanges: self.exchanges.reports(),
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
}
