//! One TCP connection's application layer as a capture shows it: its
//! segments put in order per direction ([`crate::stream`]), fed to a
//! [`Conversation`], the bytes in flight at each RST ([`super::in_flight`]),
//! and, when asked, a ladder of the messages each frame completed.
//!
//! The analyzer keeps one of these beside each flow-table record that
//! carries payload (keyed by the record's id, so the record itself does not
//! grow) and turns it into an [`AppReport`] when the table hands the
//! connection out.

use crate::proto::h2::FrameType;
use crate::stream::{Piece, Reassembler, Stopped};
use crate::wire::TcpSegment;

use super::Direction;
use super::conversation::{Conversation, ConversationReport, ExchangeOutcome, Label};
use super::http1::End;
use super::in_flight::{DirBytes, RstLoss};
use super::timeline::{Moment, Timeline};
use crate::capture::Timestamp;

/// Most ladder steps kept per connection; later ones are counted.
pub const MAX_LADDER: usize = 4096;

/// What the analyzer asks of the application stage.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Out-of-order bytes each direction may hold ([`Reassembler`]).
    pub window: usize,
    /// Keep a ladder of labelled frames.
    pub ladder: bool,
    /// An NSS key log to decrypt TLS with (shared by every connection).
    pub keylog: Option<std::sync::Arc<crate::tls_decrypt::KeyLog>>,
    /// Keep each connection's [`super::ip_trail::IpTrail`] (what `lab
    /// diagnose` reads to tell a forged RST); off, the stage pays nothing.
    pub ip_trail: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            window: crate::stream::DEFAULT_WINDOW,
            ladder: false,
            keylog: None,
            ip_trail: false,
        }
    }
}

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
    /// Ladder steps past [`MAX_LADDER`], not kept.
    pub ladder_dropped: u64,
    /// When the FINs, the first RST and the payload came (from the first
    /// payload segment on: earlier segments carried none).
    pub timeline: Timeline,
    /// Each side's IP marks, when [`AppOptions::ip_trail`] asked.
    pub ip_trail: Option<Box<super::ip_trail::IpTrail>>,
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
    pub fn exchanges(&self) -> &[super::ExchangeReport] {
        self.conversation
            .as_ref()
            .map_or(&[], |c| c.exchanges.as_slice())
    }
}

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

/// One connection being decoded.
#[derive(Debug)]
pub struct ConnectionDecoder {
    // (`tests::sizes` holds the size of this and of what it holds.)
    /// [`AppOptions::window`], at most 4 GiB (held narrow: this struct
    /// is per connection; the key log went to the conversation).
    window: u32,
    bytes: [DirBytes; 2],
    streams: [Option<Reassembler>; 2],
    conversation: Conversation,
    payload_seen: bool,
    snapped: [u64; 2],
    ended: [bool; 2],
    /// Set at the first RST (most connections have none: boxed).
    rst: Option<Box<RstMoment>>,
    timeline: Timeline,
    /// The ladder, when one is wanted ([`AppOptions::ladder`]; boxed: by
    /// default none is).
    ladder: Option<Box<Ladder>>,
}

/// The labelled frames of one connection.
#[derive(Debug, Default)]
struct Ladder {
    steps: Vec<LadderStep>,
    /// Steps past [`MAX_LADDER`], not kept.
    dropped: u64,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

fn other(d: Direction) -> Direction {
    match d {
        Direction::ClientToServer => Direction::ServerToClient,
        Direction::ServerToClient => Direction::ClientToServer,
    }
}

impl ConnectionDecoder {
    /// A connection with nothing seen yet.
    pub fn new(opts: AppOptions) -> Self {
        let conversation = Conversation::new(opts.ladder).with_keylog(opts.keylog);
        ConnectionDecoder {
            window: u32::try_from(opts.window).unwrap_or(u32::MAX),
            bytes: [DirBytes::default(); 2],
            streams: [None, None],
            conversation,
            payload_seen: false,
            snapped: [0; 2],
            ended: [false; 2],
            rst: None,
            timeline: Timeline::default(),
            ladder: opts.ladder.then(Box::default),
        }
    }

    /// Bytes held for decoding (out-of-order data and decoder buffers).
    pub fn buffered(&self) -> usize {
        self.streams
            .iter()
            .flatten()
            .map(Reassembler::waiting_bytes)
            .sum::<usize>()
            + self.conversation.buffered()
    }

    /// One segment of the connection, from frame `frame` captured at `ts`;
    /// `payload` is its captured payload.
    pub fn segment(
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
        let peer = other(sender);
        self.conversation.at_frame(frame);
        self.bytes[i].sent_segment(seg);
        if seg.flags.ack() {
            self.bytes[1 - i].acknowledged(seg.ack.0);
        }
        let mut labels = Vec::new();
        let mut sink = |d: Direction, conv: &mut Conversation, piece: Piece<'_>| match piece {
            Piece::Data { offset, bytes } => conv.feed(d, offset, bytes, &mut |l| labels.push(l)),
            Piece::Gap { offset, .. } => conv.gap(d, offset),
        };
        self.snapped[i] += u64::from(seg.payload_len).saturating_sub(payload.len() as u64);
        if !payload.is_empty() && !self.ended[i] {
            self.payload_seen = true;
            if self.streams[i].is_none()
                && let Some(base) = self.bytes[i].base()
            {
                self.streams[i] = Some(Reassembler::new(base, self.window as usize));
            }
            if let Some(r) = &mut self.streams[i] {
                let conv = &mut self.conversation;
                r.segment(seg.seq.0, payload, &mut |p| sink(sender, conv, p));
            }
        }
        // An ACK past a hole declares the hole a gap; once the peer's
        // direction ended, its ACKs also cover the FIN, which is no byte.
        if seg.flags.ack()
            && !self.ended[1 - i]
            && let Some(r) = &mut self.streams[1 - i]
        {
            let conv = &mut self.conversation;
            r.acknowledged(seg.ack.0, &mut |p| sink(peer, conv, p));
        }
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
            // The connection is gone for both sides (RFC 9293 §3.10.7).
            for d in [sender, peer] {
                self.end(d, End::Rst, Some(sender), &mut labels);
            }
        } else if seg.flags.fin() {
            self.end(sender, End::Fin, None, &mut labels);
        }
        self.note(frame, sender, labels);
    }

    fn end(&mut self, d: Direction, how: End, rst_by: Option<Direction>, labels: &mut Vec<Label>) {
        let i = index(d);
        if self.ended[i] {
            return;
        }
        self.ended[i] = true;
        if let Some(r) = &mut self.streams[i] {
            let conv = &mut self.conversation;
            r.finish(&mut |p| match p {
                Piece::Data { offset, bytes } => {
                    conv.feed(d, offset, bytes, &mut |l| labels.push(l))
                }
                Piece::Gap { offset, .. } => conv.gap(d, offset),
            });
        }
        self.conversation.end(d, how, rst_by);
    }

    fn note(&mut self, frame: u64, sender: Direction, labels: Vec<Label>) {
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

    /// The connection was handed out: the directions still open end with
    /// the capture (or the table's timers), and the report is made.
    pub fn finish(mut self) -> AppReport {
        let mut labels = Vec::new();
        for d in [Direction::ClientToServer, Direction::ServerToClient] {
            self.end(d, End::CaptureEnd, None, &mut labels);
        }
        let conversation = if self.payload_seen {
            self.conversation.report()
        } else {
            None
        };
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
        let streams = [0, 1].map(|i| {
            let mut f = self.streams[i]
                .as_ref()
                .map_or(StreamFigures::default(), |r| {
                    let c = r.counts();
                    StreamFigures {
                        delivered: c.delivered,
                        gaps: c.gaps,
                        gap_bytes: c.gap_bytes,
                        duplicate_bytes: c.duplicate_bytes,
                        window_overflow: r.stopped() == Some(Stopped::WindowOverflow),
                        snapped_bytes: 0,
                    }
                });
            f.snapped_bytes = self.snapped[i];
            f
        });
        AppReport {
            conversation,
            delivered,
            rst,
            streams,
            ladder_dropped: self.ladder.as_ref().map_or(0, |l| l.dropped),
            ladder: self.ladder.map(|l| l.steps),
            timeline: self.timeline,
            ip_trail: None,
        }
    }
}

/// The exchanges whose message in direction `dir` (0 requests, 1
/// responses) overlaps the stream range.
fn overlapping(
    exchanges: &[super::ExchangeReport],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let sizes = [
            ("ConnectionDecoder", size_of::<ConnectionDecoder>()),
            ("Conversation", size_of::<Conversation>()),
            ("Reassembler", size_of::<Reassembler>()),
            ("RstLoss", size_of::<RstLoss>()),
            ("Exchange", size_of::<crate::app::http1::Exchange>()),
            ("Http1Decoder", size_of::<crate::app::http1::Http1Decoder>()),
            ("ExchangeReport", size_of::<crate::app::ExchangeReport>()),
            ("AppReport", size_of::<AppReport>()),
            ("ConversationReport", size_of::<ConversationReport>()),
            ("Timeline", size_of::<Timeline>()),
            ("DirBytes", size_of::<DirBytes>()),
            ("StreamFigures", size_of::<StreamFigures>()),
            (
                "Http2Report",
                size_of::<crate::app::conversation::Http2Report>(),
            ),
            (
                "Negotiation",
                size_of::<crate::app::negotiation::Negotiation>(),
            ),
            ("TlsReport", size_of::<crate::app::tls::TlsReport>()),
            ("Message", size_of::<crate::app::http1::Message>()),
            ("HeadFields", size_of::<crate::app::http1::HeadFields>()),
        ];
        eprintln!("{sizes:?}");
        // 512 before the diagnosis timeline (120 bytes: the frames and
        // times of the FINs, the first RST and the client's last turn);
        // 632 before the ladder was boxed. Every connection that carried
        // payload holds one of each until the flow table lets it go
        // (bench/decode-memory measures the sum).
        assert!(sizes[0].1 <= 608, "{sizes:?}");
        // 496 and 448 before an upgrade offer's fields, the switch and a
        // stop were boxed.
        assert!(sizes[4].1 <= 320, "{sizes:?}");
        assert!(sizes[5].1 <= 296, "{sizes:?}");
    }

    fn seg(seq: u32, ack: u32, flags: u8, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            seq: crate::wire::SeqNum(seq),
            ack: crate::wire::SeqNum(ack),
            flags: crate::wire::TcpFlags::from_bits(flags),
            payload_len: payload.len() as u32,
            payload,
            ..TcpSegment::UNSET
        }
    }

    #[test]
    fn a_window_overflow_stops_one_direction_and_is_reported() {
        const ACK: u8 = 0x10;
        let mut d = ConnectionDecoder::new(AppOptions {
            window: 16,
            ladder: false,
            keylog: None,
            ip_trail: false,
        });
        let c = Direction::ClientToServer;
        let s = Direction::ServerToClient;
        // The request's first 5 bytes are missing; 40 bytes wait out of order.
        let req = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789012345\r\n\r\n";
        d.segment(0, Timestamp(0), c, &seg(999, 0, 0x02, b""), b"");
        d.segment(1, Timestamp(0), c, &seg(1005, 1, ACK, &req[5..]), &req[5..]);
        d.segment(2, Timestamp(0), s, &seg(1, 1000, ACK, b""), b"");
        d.segment(3, Timestamp(0), c, &seg(1000, 1, ACK, &req[..5]), &req[..5]);
        let r = d.finish();
        assert!(r.streams[0].window_overflow, "{:?}", r.streams);
        assert!(!r.streams[1].window_overflow);
        assert_eq!(r.exchanges().len(), 0, "nothing decoded past the overflow");
    }
}
