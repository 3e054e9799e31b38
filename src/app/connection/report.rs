//! What the application stage hands out for one finished connection: the
//! conversation's report, what was delivered, what each RST destroyed, the
//! reassembly figures, the timeline and the ladder steps.

use crate::proto::h2::FrameType;

use super::super::Direction;
use super::super::conversation::{ConversationReport, Label};
use super::super::in_flight::RstLoss;
use super::super::timeline::Timeline;
/// One captured frame that completed messages or HTTP/2 frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LadderStep {
    /// Frame number.
    pub frame: u64,
    /// Its sender.
    pub sender: Direction,
    /// What it completed, in order.
    pub labels: Vec<Label>,
}

impl LadderStep {
    /// The HTTP/2 frames it completed: type and stream.
    pub fn h2_frames(&self) -> impl Iterator<Item = (FrameType, u32)> + '_ {
        self.labels.iter().filter_map(|l| l.h2)
    }
}

/// Reassembly figures of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamFigures {
    /// Bytes delivered in order to the decoder.
    pub delivered: u64,
    /// Holes never filled.
    pub gaps: u64,
    /// Their bytes.
    pub gap_bytes: u64,
    /// Retransmitted or overlapping bytes.
    pub duplicate_bytes: u64,
    /// Out-of-order data passed the window: this direction was not decoded
    /// past that point.
    pub window_overflow: bool,
    /// Payload bytes the capture did not keep (frames cut at the snap
    /// length): they become gaps.
    pub snapped_bytes: u64,
}

/// A RST and what it destroyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RstReport {
    /// What the packets show in flight.
    pub loss: RstLoss,
    /// Exchanges (indices into [`AppReport::exchanges`]) whose messages the
    /// lost bytes belonged to.
    pub lost_in: Vec<usize>,
    /// Exchanges whose messages the unacknowledged bytes belonged to.
    pub unacked_in: Vec<usize>,
}

/// The application layer of one finished connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppReport {
    /// What the bytes said; `None` when no payload was seen.
    pub conversation: Option<ConversationReport>,
    /// Per exchange (same order as the conversation's): did the client's
    /// TCP acknowledge the whole response before any RST? `None` where
    /// there was no response or the packets cannot tell.
    pub delivered: Vec<Option<bool>>,
    /// At the client's first RST, and at the server's.
    pub rst: [Option<RstReport>; 2],
    /// Reassembly, client then server.
    pub streams: [StreamFigures; 2],
    /// Labelled frames, when asked.
    pub ladder: Option<Vec<LadderStep>>,
    /// Ladder steps past [`super::MAX_LADDER`], not kept.
    pub ladder_dropped: u64,
    /// When the FINs, the first RST and the payload came (from the first
    /// payload segment on: earlier segments carried none).
    pub timeline: Timeline,
    /// Each side's IP marks, when [`super::AppOptions::ip_trail`] asked.
    pub ip_trail: Option<Box<super::super::ip_trail::IpTrail>>,
}

impl AppReport {
    /// A connection that carried no payload either way: nothing was in
    /// flight at a RST (each side that sent one lost nothing).
    pub fn without_payload(client_rst: bool, server_rst: bool, ladder: bool) -> Self {
        let none = |sent: bool| {
            sent.then(|| RstReport {
                loss: RstLoss {
                    lost_bytes: Some(0),
                    lost_range: None,
                    unacked_bytes: Some(0),
                    unacked_range: None,
                },
                lost_in: Vec::new(),
                unacked_in: Vec::new(),
            })
        };
        AppReport {
            conversation: None,
            delivered: Vec::new(),
            rst: [none(client_rst), none(server_rst)],
            streams: [StreamFigures::default(); 2],
            ladder: ladder.then(Vec::new),
            ladder_dropped: 0,
            timeline: Timeline::default(),
            ip_trail: None,
        }
    }

    /// The exchanges, or none.
    pub fn exchanges(&self) -> &[super::super::ExchangeReport] {
        self.conversation
            .as_ref()
            .map_or(&[], |c| c.exchanges.as_slice())
    }
}
