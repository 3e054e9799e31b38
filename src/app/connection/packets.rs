//! What the packets of one connection show beside the meaning of its
//! bytes: each direction's sequence and acknowledgment offsets, the bytes
//! the capture cut, what was in flight at each RST, the timeline and the
//! ladder. Kept for the connection's whole stay in the flow table, also
//! after its decoders were let go ([`super::Settled`]): a RST or ACKs may
//! still come after both directions ended, and the report reads them.

use crate::capture::Timestamp;
use crate::wire::TcpSegment;

use super::super::Direction;
use super::super::conversation::{ConversationReport, ExchangeOutcome, Label};
use super::super::in_flight::{DirBytes, RstLoss};
use super::super::timeline::{Moment, Timeline};
use super::{AppReport, LadderStep, MAX_LADDER, RstReport, StreamFigures};

/// What the packets showed at the connection's first RST (and at the
/// other side's, if it sent one too).
#[derive(Debug, Clone)]
struct RstMoment {
    /// Per sender (client, server): in flight at its first RST.
    loss: [Option<RstLoss>; 2],
    /// The server direction at the first RST: acknowledged offset and
    /// bytes sent, to tell whether a response was delivered before it.
    server_acked: Option<u64>,
    server_sent: u64,
}

/// The labelled frames of one connection.
#[derive(Debug, Default, Clone)]
struct Ladder {
    steps: Vec<LadderStep>,
    /// Steps past [`MAX_LADDER`], not kept.
    dropped: u64,
}

/// The packet-level facts (see the module documentation).
#[derive(Debug, Default, Clone)]
pub(super) struct Packets {
    pub(super) bytes: [DirBytes; 2],
    snapped: [u64; 2],
    /// Set at the first RST (most connections have none: boxed).
    rst: Option<Box<RstMoment>>,
    timeline: Timeline,
    /// The ladder, when one is wanted ([`super::AppOptions::ladder`];
    /// boxed: by default none is).
    ladder: Option<Box<Ladder>>,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl Packets {
    pub(super) fn new(ladder: bool) -> Self {
        Packets {
            ladder: ladder.then(Box::default),
            ..Packets::default()
        }
    }

    /// One segment of the connection, from frame `frame` captured at `ts`;
    /// `payload` is its captured payload. Every segment comes here, before
    /// its bytes go to the decoders (if they still exist).
    pub(super) fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        sender: Direction,
        seg: &TcpSegment<'_>,
        payload: &[u8],
    ) {
        if let Some(frame) = std::num::NonZeroU64::new(frame) {
            self.timeline.segment(
                Moment { frame, ts },
                sender,
                seg.payload_len > 0,
                seg.flags.fin(),
                seg.flags.rst(),
            );
        }
        let i = index(sender);
        self.bytes[i].sent_segment(seg);
        if seg.flags.ack() {
            self.bytes[1 - i].acknowledged(seg.ack.0);
        }
        self.snapped[i] += u64::from(seg.payload_len).saturating_sub(payload.len() as u64);
        if seg.flags.rst() {
            let bytes = &self.bytes;
            let moment = self.rst.get_or_insert_with(|| {
                Box::new(RstMoment {
                    loss: [None, None],
                    server_acked: bytes[1].acked(),
                    server_sent: bytes[1].sent(),
                })
            });
            if moment.loss[i].is_none() {
                moment.loss[i] = Some(RstLoss::at(&bytes[i], &bytes[1 - i]));
            }
        }
    }

    /// The messages frame `frame` completed, for the ladder.
    pub(super) fn note(&mut self, frame: u64, sender: Direction, labels: Vec<Label>) {
        let Some(ladder) = &mut self.ladder else {
            return;
        };
        if labels.is_empty() {
            return;
        }
        if ladder.steps.len() < MAX_LADDER {
            ladder.steps.push(LadderStep {
                frame,
                sender,
                labels,
            });
        } else {
            ladder.dropped += 1;
        }
    }

    /// Each direction's reassembly figures with their `snapped_bytes`,
    /// which are this struct's: the capture may cut frames after the
    /// decoders are gone.
    pub(super) fn streams(&self, mut streams: [StreamFigures; 2]) -> [StreamFigures; 2] {
        for (f, snapped) in streams.iter_mut().zip(self.snapped) {
            f.snapped_bytes = snapped;
        }
        streams
    }

    /// The report, from the conversation's final report and each
    /// direction's reassembly figures ([`Packets::streams`]); the ladder
    /// moves into it.
    pub(super) fn report(
        mut self,
        conversation: Option<ConversationReport>,
        streams: [StreamFigures; 2],
    ) -> AppReport {
        let ladder = self.ladder.take().map(|l| *l);
        self.assemble(conversation, streams, ladder)
    }

    /// [`Packets::report`] with the ladder copied: the facts stay.
    pub(super) fn to_report(
        &self,
        conversation: Option<ConversationReport>,
        streams: [StreamFigures; 2],
    ) -> AppReport {
        let ladder = self.ladder.as_deref().cloned();
        self.assemble(conversation, streams, ladder)
    }

    fn assemble(
        &self,
        conversation: Option<ConversationReport>,
        streams: [StreamFigures; 2],
        ladder: Option<Ladder>,
    ) -> AppReport {
        let exchanges = conversation.as_ref().map_or(&[][..], |c| &c.exchanges[..]);
        // Acknowledged before the first RST, or by the end.
        let (acked, sent) = self.rst.as_ref().map_or_else(
            || (self.bytes[1].acked(), self.bytes[1].sent()),
            |m| (m.server_acked, m.server_sent),
        );
        let known = self.bytes[1].base().is_some();
        let delivered = exchanges
            .iter()
            .map(|e| {
                let end = e.response_end()?;
                if !known || e.outcome == ExchangeOutcome::NeverAnswered {
                    return None;
                }
                // A body that runs to the close ends where the server
                // stopped sending; any other response cut short was not
                // delivered whole.
                let end = end.or(e.until_close.then_some(sent));
                Some(end.is_some_and(|end| acked.is_some_and(|a| a >= end)))
            })
            .collect();
        let rst = [0, 1].map(|i| {
            self.rst
                .as_ref()
                .and_then(|m| m.loss[i])
                .map(|loss| RstReport {
                    loss,
                    lost_in: overlapping(exchanges, i, loss.lost_range),
                    unacked_in: overlapping(exchanges, 1 - i, loss.unacked_range),
                })
        });
        AppReport {
            conversation,
            delivered,
            rst,
            streams: self.streams(streams),
            ladder_dropped: ladder.as_ref().map_or(0, |l| l.dropped),
            ladder: ladder.map(|l| l.steps),
            timeline: self.timeline,
            ip_trail: None,
        }
    }
}

/// The exchanges whose message in direction `dir` (0 requests, 1
/// responses) overlaps the stream range.
fn overlapping(
    exchanges: &[super::super::ExchangeReport],
    dir: usize,
    range: Option<(u64, u64)>,
) -> Vec<usize> {
    let Some((from, to)) = range.filter(|(a, b)| a < b) else {
        return Vec::new();
    };
    exchanges
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            let r = if dir == 0 {
                e.request_range
            } else {
                e.response_range
            };
            r.is_some_and(|(start, end)| start < to && end.is_none_or(|end| end > from))
        })
        .map(|(n, _)| n)
        .collect()
}
