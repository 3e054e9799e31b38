//! One TCP connection's application layer as a capture shows it: its
//! segments put in order per direction ([`crate::stream`]), fed to a
//! [`Conversation`], the bytes in flight at each RST ([`super::in_flight`]),
//! and, when asked, a ladder of the messages each frame completed.
//!
//! The analyzer keeps one of these beside each flow-table record that
//! carries payload (keyed by the record's id, so the record itself does not
//! grow) and turns it into an [`AppReport`] when the table hands the
//! connection out.

use crate::stream::{Piece, Reassembler, Stopped};
use crate::wire::TcpSegment;

use super::Direction;
use super::conversation::{Conversation, Label};
use super::http1::End;
use crate::capture::Timestamp;

mod compact;
mod finished;
mod packets;
mod report;
mod settled;
pub use finished::Finished;
use packets::Packets;
pub use report::{AppReport, LadderStep, RstReport, StreamFigures};
pub use settled::Settled;

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

/// One connection being decoded.
#[derive(Debug)]
pub struct ConnectionDecoder {
    // (`tests::sizes` holds the size of this and of what it holds.)
    /// [`AppOptions::window`], at most 4 GiB (held narrow: this struct
    /// is per connection; the key log went to the conversation).
    window: u32,
    payload_seen: bool,
    ended: [bool; 2],
    packets: Packets,
    streams: [Option<Reassembler>; 2],
    conversation: Conversation,
}

/// A connection as the analyzer holds it while the flow table keeps it.
///
/// The rule for letting the decoders go: once both directions have ended
/// (each side's FIN, or a RST from either, RFC 9293 §3.10.7), nothing is
/// fed to the reassemblers or the conversation any more. A direction's
/// later payload (a retransmission, data after its FIN) is not decoded,
/// and an ACK no longer declares holes in an ended direction (it covers
/// the FIN, no byte); so the conversation's report and the streams'
/// counts are final at that segment, and the rest of the connection's
/// stay (Zeek holds a closed one 5 s) only updates the packet-level facts
/// a later RST or ACK changes ([`packets::Packets`]). The report is the
/// same either way: [`ConnectionDecoder::finish`] settles the same way.
#[derive(Debug)]
pub enum Held {
    /// A direction is still open: the decoders run.
    Decoding(Box<ConnectionDecoder>),
    /// Both ended: only the packet-level facts are updated.
    Settled(Box<Settled>),
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
            payload_seen: false,
            ended: [false; 2],
            packets: Packets::new(opts.ladder),
            streams: [None, None],
            conversation,
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

    /// Both directions have ended: nothing more will be decoded.
    pub fn settled(&self) -> bool {
        self.ended == [true, true]
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
        self.packets.segment(frame, ts, sender, seg, payload);
        let i = index(sender);
        let peer = other(sender);
        self.conversation.at_frame(frame);
        let mut labels = Vec::new();
        let mut sink = |d: Direction, conv: &mut Conversation, piece: Piece<'_>| match piece {
            Piece::Data { offset, bytes } => conv.feed(d, offset, bytes, &mut |l| labels.push(l)),
            Piece::Gap { offset, .. } => conv.gap(d, offset),
        };
        if !payload.is_empty() && !self.ended[i] {
            self.payload_seen = true;
            if self.streams[i].is_none()
                && let Some(base) = self.packets.bytes[i].base()
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
            // The connection is gone for both sides (RFC 9293 §3.10.7).
            for d in [sender, peer] {
                self.end(d, End::Rst, Some(sender), &mut labels);
            }
        } else if seg.flags.fin() {
            self.end(sender, End::Fin, None, &mut labels);
        }
        self.packets.note(frame, sender, labels);
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

    /// What the report reads of the decoders, once both directions ended
    /// ([`ConnectionDecoder::settled`]). The packet-level facts move out:
    /// the decoder is spent, to be dropped.
    fn settle(&mut self) -> Settled {
        let conversation = if self.payload_seen {
            self.conversation.report()
        } else {
            None
        };
        let streams = self.streams.each_ref().map(|s| {
            s.as_ref().map_or(StreamFigures::default(), |r| {
                let c = r.counts();
                StreamFigures {
                    delivered: c.delivered,
                    gaps: c.gaps,
                    gap_bytes: c.gap_bytes,
                    duplicate_bytes: c.duplicate_bytes,
                    window_overflow: r.stopped() == Some(Stopped::WindowOverflow),
                    snapped_bytes: 0,
                }
            })
        });
        Settled::new(std::mem::take(&mut self.packets), conversation, streams)
    }

    /// The connection was handed out: the directions still open end with
    /// the capture (or the table's timers), and the report is made.
    pub fn finish(self) -> AppReport {
        self.ended_by_capture().finish()
    }

    /// The directions still open end with the capture (or the table's
    /// timers); what the report reads of the decoders is kept.
    fn ended_by_capture(mut self) -> Settled {
        let mut labels = Vec::new();
        for d in [Direction::ClientToServer, Direction::ServerToClient] {
            self.end(d, End::CaptureEnd, None, &mut labels);
        }
        self.settle()
    }
}

impl Held {
    /// A connection whose first payload segment is about to come.
    pub fn new(opts: AppOptions) -> Self {
        Held::Decoding(Box::new(ConnectionDecoder::new(opts)))
    }

    /// One segment (see [`ConnectionDecoder::segment`]); the decoders are
    /// let go at the segment that ends the second direction.
    pub fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        sender: Direction,
        seg: &TcpSegment<'_>,
        payload: &[u8],
    ) {
        match self {
            Held::Decoding(d) => {
                d.segment(frame, ts, sender, seg, payload);
                if d.settled() {
                    *self = Held::Settled(Box::new(d.settle()));
                }
            }
            Held::Settled(s) => s.segment(frame, ts, sender, seg, payload),
        }
    }

    /// The connection was handed out: its report.
    pub fn finish(self) -> AppReport {
        self.into_settled().finish()
    }

    /// The connection was handed out: what its report is made of, the
    /// directions still open ended as [`ConnectionDecoder::finish`] ends
    /// them.
    pub fn into_settled(self) -> Box<Settled> {
        match self {
            Held::Decoding(d) => Box::new(d.ended_by_capture()),
            Held::Settled(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::conversation::ConversationReport;
    use crate::app::in_flight::RstLoss;
    use crate::app::timeline::Timeline;

    // TCP flags (RFC 9293 §3.1).
    const FIN: u8 = 0x01;
    const RST: u8 = 0x04;
    const ACK: u8 = 0x10;

    /// One plain HTTP/1.1 exchange, the payload of the settling tests.
    const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

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
            ("DirBytes", size_of::<crate::app::in_flight::DirBytes>()),
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
            ("Settled", size_of::<Settled>()),
            ("Held", size_of::<Held>()),
            ("Finished", size_of::<Finished>()),
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
        // What a closed connection waiting out Zeek's timer holds instead
        // of the decoder, the HTTP/1 decoder and the exchange (1 224):
        // the packet-level facts, the conversation's report with its rare
        // parts boxed and one plain exchange packed in place, the streams'
        // figures packed, each direction's byte counts in 24 bytes (352,
        // plus 224 on the heap for the exchange and 64 for its method and
        // target, before they were packed).
        assert!(sizes[17].1 <= 328, "{sizes:?}");
        assert!(sizes[10].1 <= 24, "{sizes:?}");
        // What a JSON document keeps per connection beside its record
        // until the end, instead of the report (1 304 and its lists).
        assert!(sizes[19].1 <= 16, "{sizes:?}");
    }

    /// A connection handed out still decoding (the server's FIN not yet
    /// seen) and one handed out settled: the report made from what was
    /// handed out, moved or copied, is the decoder's, and what the
    /// summary counts of it is what the report says.
    #[test]
    fn a_finished_connection_makes_its_decoders_report() {
        let opts = AppOptions {
            ladder: true,
            ..AppOptions::default()
        };
        let c = Direction::ClientToServer;
        let s = Direction::ServerToClient;
        let (req, resp) = (REQUEST, RESPONSE);
        let (rq, rs) = (req.len() as u32, resp.len() as u32);
        let segs = [
            (c, seg(999, 0, 0x02, b"")),
            (s, seg(4999, 1000, 0x12, b"")),
            // The request's first bytes are missing: a gap.
            (c, seg(1004, 5000, ACK, &req[4..])),
            (s, seg(5000, 1000 + rq, ACK, resp)),
            (c, seg(1000 + rq, 5000 + rs, ACK | FIN, b"")),
            (s, seg(5000 + rs, 1001 + rq, ACK | FIN, b"")),
        ];
        for upto in [segs.len() - 1, segs.len()] {
            let mut held = Held::new(opts.clone());
            let mut d = ConnectionDecoder::new(opts.clone());
            for (n, (dir, sg)) in segs[..upto].iter().enumerate() {
                let frame = n as u64 + 1;
                d.segment(frame, Timestamp(n as i64), *dir, sg, sg.payload);
                held.segment(frame, Timestamp(n as i64), *dir, sg, sg.payload);
            }
            assert_eq!(matches!(held, Held::Settled(_)), upto == segs.len());
            let expected = d.finish();
            assert!(expected.ladder.as_ref().is_some_and(|l| !l.is_empty()));
            let f = Finished::of_held(held);
            assert_eq!(*f.report(), expected, "copied, after {upto} segments");
            assert_eq!(f.carried_payload(), expected.conversation.is_some());
            let conv = expected.conversation.as_ref();
            assert_eq!(f.decode_error(), conv.and_then(|c| c.decode_error.as_ref()));
            assert_eq!(f.tls(), conv.and_then(|c| c.tls.as_ref()));
            assert_eq!(f.streams(), expected.streams);
            assert!(f.streams()[0].gaps > 0, "{:?}", f.streams());
            assert_eq!(f.into_report(), expected, "moved, after {upto} segments");
        }
    }

    /// A connection without payload is three flags until its report is
    /// made; a report already made goes on as it is.
    #[test]
    fn a_finished_connection_without_payload_or_made_keeps_its_report() {
        let trail = Some(Box::<crate::app::ip_trail::IpTrail>::default());
        let mut expected = AppReport::without_payload(true, false, true);
        expected.ip_trail = trail.clone();
        let f = Finished::without_payload(true, false, true).with_ip_trail(trail.clone());
        assert_eq!(*f.report(), expected);
        assert!(!f.carried_payload());
        assert_eq!(f.streams(), [StreamFigures::default(); 2]);
        assert_eq!(f.into_report(), expected);
        let made = Finished::from(AppReport::without_payload(false, true, false));
        assert!(matches!(made.report(), std::borrow::Cow::Borrowed(_)));
        let mut expected = AppReport::without_payload(false, true, false);
        expected.ip_trail = trail.clone();
        assert_eq!(*made.with_ip_trail(trail).into_boxed(), expected);
    }

    /// Both FINs, then a retransmitted request byte, data after the
    /// client's FIN, a late ACK and a RST: the held connection settles at
    /// the second FIN and its report is the decoder's.
    #[test]
    fn a_settled_connection_reports_what_its_decoder_would() {
        let opts = AppOptions::default();
        let mut held = Held::new(opts.clone());
        let mut d = ConnectionDecoder::new(opts);
        let c = Direction::ClientToServer;
        let s = Direction::ServerToClient;
        let (req, resp) = (REQUEST, RESPONSE);
        let (rq, rs) = (req.len() as u32, resp.len() as u32);
        let segs = [
            (c, seg(999, 0, 0x02, b"")),
            (s, seg(4999, 1000, 0x12, b"")),
            (c, seg(1000, 5000, ACK, req)),
            (s, seg(5000, 1000 + rq, ACK, resp)),
            (s, seg(5000 + rs, 1000 + rq, ACK | FIN, b"")),
            (c, seg(1000 + rq, 5001 + rs, ACK | FIN, b"")),
            // After both FINs: a retransmission, data past the FIN, a
            // late ACK and a RST.
            (c, seg(1000, 5001 + rs, ACK, &req[..4])),
            (c, seg(1001 + rq, 5001 + rs, ACK, b"late")),
            (s, seg(5001 + rs, 1002 + rq, ACK, b"")),
            (c, seg(1002 + rq, 0, RST, b"")),
        ];
        for (n, (dir, sg)) in segs.iter().enumerate() {
            let frame = n as u64 + 1;
            d.segment(frame, Timestamp(n as i64), *dir, sg, sg.payload);
            held.segment(frame, Timestamp(n as i64), *dir, sg, sg.payload);
            assert_eq!(
                matches!(held, Held::Settled(_)),
                n >= 5,
                "after frame {frame}"
            );
        }
        let report = d.finish();
        assert_eq!(report.exchanges().len(), 1);
        assert!(report.rst[0].is_some(), "the late RST is in the report");
        assert_eq!(held.finish(), report);
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
