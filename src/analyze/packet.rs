//! The first half of the analyzer's per-frame work: a captured frame to a
//! [`Packet`], the owned, fixed-size summary the flow stage needs.
//!
//! Filtering (BPF) and decoding (capture → **wire**) need the frame's bytes,
//! which the capture reader lends only until its next frame; the flow stage
//! needs a few dozen bytes of headers. Cutting the work here lets a file's
//! frames be read and decoded on one thread while another runs the flow
//! table ([`super::analyze_each`]), and the same code serves the
//! single-threaded [`super::Analyzer`], so both paths count and decide alike.

use crate::capture::{Frame, Timestamp};
use crate::flow::{AppHook, FlowHash, TransportProto};
use crate::report::{DecapsulatedCounts, SkipCounts, Unfilterable};
use crate::wire::{self, DecodeOptions, Decoded, Endpoint, Skip, TcpSegment, UdpDatagram};

use super::filter::PacketFilter;
use super::options::Error;

/// What the flow stage needs of one frame.
#[derive(Clone, Copy, Debug)]
pub(super) struct Packet {
    /// The frame number.
    pub(super) number: u64,
    /// The capture time.
    pub(super) ts: Timestamp,
    /// What it carried.
    pub(super) kind: Kind,
}

/// What a frame carried, as far as the flow stage cares.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// A TCP segment.
    Tcp(OwnedSegment),
    /// A TCP packet with a damaged header (Zeek still creates its connection).
    BadHeader {
        /// Sender.
        src: Endpoint,
        /// Receiver.
        dst: Endpoint,
    },
    /// A UDP datagram. The flow table keeps no UDP flows (so it only moves
    /// Zeek's network time there), but the datagram reaches the
    /// application stage's door with its payload.
    Udp(OwnedDatagram),
    /// An ICMP or ICMPv6 Destination Unreachable quoting a UDP datagram
    /// (read only when the application stage wants payloads: QUIC's
    /// endings use it). Counted as the other protocols are; for the flow
    /// table it is [`Kind::Other`].
    Icmp(wire::UdpUnreachable),
    /// Neither TCP nor UDP: it only moves Zeek's network time, on which
    /// timers fire.
    Other,
}

/// A [`TcpSegment`] that needs no captured bytes any more.
///
/// The flow stage reads a payload for one thing only: whether it opens
/// with an interactive protocol's greeting, which its [`AppHook`] judges.
/// So the payload view is replaced by what the hook reads of it
/// ([`AppHook::opening`], a `'static` view), and the segment is handed to
/// the flow table as it is.
#[derive(Clone, Copy, Debug)]
pub(super) struct OwnedSegment {
    /// The segment; `payload` is the hook's opening view, mostly empty
    /// (`payload_len` is the whole length).
    pub(super) head: TcpSegment<'static>,
    /// Its 4-tuple's hash, for the flow table.
    pub(super) hash: FlowHash,
    /// Where its captured payload lies in the batch's payload bytes
    /// ([`Payloads`]), when the application stage wants payloads.
    pub(super) payload: (u32, u32),
}

/// The captured payloads of a batch's packets, one after the other: the
/// payload path to the application stage. Empty (and never written) when
/// no decoding was asked for, so the connection-log path does not pay.
pub(super) type Payloads = Vec<u8>;

/// Copies a payload to the batch's bytes; its place there.
#[inline]
fn keep(payloads: &mut Payloads, payload: &[u8]) -> (u32, u32) {
    let at = payloads.len() as u32;
    payloads.extend_from_slice(payload);
    (at, payload.len() as u32)
}

/// A packet's payload, from its batch's bytes; `place` is where [`keep`]
/// put it.
pub(super) fn payload_of(payloads: &Payloads, place: (u32, u32)) -> &[u8] {
    let (at, len) = (place.0 as usize, place.1 as usize);
    payloads.get(at..at + len).unwrap_or_default()
}

/// The payload view the flow stage gets for a captured payload: what its
/// application hook reads of it (nothing of an empty one).
#[inline]
fn opening(app: &dyn AppHook, payload: &[u8]) -> &'static [u8] {
    if payload.is_empty() {
        &[]
    } else {
        app.opening(payload)
    }
}

impl OwnedSegment {
    #[inline]
    fn of(seg: &TcpSegment<'_>, app: &dyn AppHook) -> Self {
        let payload = opening(app, seg.payload);
        OwnedSegment {
            head: TcpSegment { payload, ..*seg },
            hash: FlowHash::of(seg.src, seg.dst),
            payload: (0, 0),
        }
    }
}

/// A [`UdpDatagram`] that needs no captured bytes any more: its payload
/// is in the batch's bytes, when the application stage wants payloads.
#[derive(Clone, Copy, Debug)]
pub(super) struct OwnedDatagram {
    /// The datagram; `payload` is empty (`payload_len` is the whole length).
    pub(super) head: UdpDatagram<'static>,
    /// Where its captured payload lies in the batch's payload bytes
    /// ([`Payloads`]).
    pub(super) payload: (u32, u32),
}

/// Frame counts kept by the decoding half (they go into the summary).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FrameCounts {
    /// Frames read.
    pub(super) frames: u64,
    /// Frames left out by the filter.
    pub(super) filtered_out: u64,
    /// TCP segments, damaged headers included.
    pub(super) tcp_segments: u64,
    /// Frames without usable TCP, by reason.
    pub(super) skipped: SkipCounts,
    /// TCP segments taken out of a tunnel, by kind.
    pub(super) decapsulated: DecapsulatedCounts,
}

impl Packet {
    /// A packet to be overwritten (a batch's slots start as these).
    pub(super) const UNSET: Self = Packet {
        number: 0,
        ts: Timestamp(0),
        kind: Kind::Other,
    };
}

/// Filters, decodes and counts frames.
pub(super) struct Decoder {
    decode: DecodeOptions,
    /// The flow table's application hook, which says what of a payload
    /// the table reads.
    app: &'static dyn AppHook,
    /// Copy payloads for the application stage.
    keep_payloads: bool,
    filter: Option<PacketFilter>,
    pub(super) counts: FrameCounts,
}

impl Decoder {
    pub(super) fn new(
        decode: DecodeOptions,
        app: &'static dyn AppHook,
        filter: Option<&String>,
        keep_payloads: bool,
    ) -> Self {
        Decoder {
            decode,
            app,
            keep_payloads,
            filter: filter.map(|expr| PacketFilter::new(expr)),
            counts: FrameCounts::default(),
        }
    }

    /// At the end of the input: the link types `--filter` left unfiltered.
    ///
    /// # Errors
    ///
    /// [`Error::Filter`] when the expression compiled for none of them.
    pub(super) fn filter_verdict(&self) -> Result<Vec<Unfilterable>, Error> {
        self.filter
            .as_ref()
            .map_or(Ok(Vec::new()), PacketFilter::verdict)
    }

    /// [`Decoder::packet`] written into `slot` (a batch's), true when
    /// the filter kept the frame. The common frame (Ethernet, IPv4, TCP,
    /// checksums not validated) is written field by field in place; see
    /// [`wire::ipv4_tcp_into`] for why.
    #[inline]
    pub(super) fn packet_into(
        &mut self,
        frame: &Frame<'_>,
        slot: &mut Packet,
        payloads: &mut Payloads,
    ) -> bool {
        if self.filter.is_none() && !self.decode.validate_checksums {
            if !matches!(slot.kind, Kind::Tcp(_)) {
                slot.kind = Kind::Tcp(OwnedSegment {
                    head: TcpSegment::UNSET,
                    hash: FlowHash::of_v4((0, 0), (0, 0)),
                    payload: (0, 0),
                });
            }
            if let Kind::Tcp(o) = &mut slot.kind
                && let Some(found) = wire::ipv4_tcp_into(frame, &mut o.head)
            {
                o.head.payload = opening(self.app, found.payload);
                o.hash =
                    FlowHash::of_v4((found.src, o.head.src.port), (found.dst, o.head.dst.port));
                o.payload = if self.keep_payloads && !found.payload.is_empty() {
                    keep(payloads, found.payload)
                } else {
                    (0, 0)
                };
                slot.number = frame.number;
                slot.ts = frame.ts;
                self.counts.frames += 1;
                self.counts.tcp_segments += 1;
                return true;
            }
        }
        match self.packet(frame, payloads) {
            Some(p) => {
                *slot = p;
                true
            }
            None => false,
        }
    }

    /// The frame's summary, or `None` when the filter leaves it out.
    #[inline]
    pub(super) fn packet(&mut self, frame: &Frame<'_>, payloads: &mut Payloads) -> Option<Packet> {
        let counts = &mut self.counts;
        counts.frames += 1;
        if let Some(f) = &mut self.filter
            && !f.accepts(frame)
        {
            counts.filtered_out += 1;
            return None;
        }
        let kind = match wire::decode(frame, &self.decode) {
            Decoded::Tcp(seg) => {
                counts.tcp_segments += 1;
                counts.decapsulated.add(seg.tunnel);
                let mut owned = OwnedSegment::of(&seg, self.app);
                if self.keep_payloads && !seg.payload.is_empty() {
                    owned.payload = keep(payloads, seg.payload);
                }
                Kind::Tcp(owned)
            }
            Decoded::TcpBadHeader { src, dst } => {
                counts.tcp_segments += 1;
                Kind::BadHeader { src, dst }
            }
            Decoded::Udp(d) => {
                // Counted with the other protocols the flow table does not
                // track, as before UDP was decoded.
                counts
                    .skipped
                    .add(Skip::NotTcp(TransportProto::Udp.ip_number()));
                let payload = if self.keep_payloads && !d.payload.is_empty() {
                    keep(payloads, d.payload)
                } else {
                    (0, 0)
                };
                Kind::Udp(OwnedDatagram {
                    head: UdpDatagram { payload: &[], ..d },
                    payload,
                })
            }
            Decoded::Skip(why) => {
                counts.skipped.add(why);
                // ICMP (1) and ICMPv6 (58).
                match why {
                    Skip::NotTcp(1 | 58) if self.keep_payloads => {
                        wire::udp_unreachable(frame).map_or(Kind::Other, Kind::Icmp)
                    }
                    _ => Kind::Other,
                }
            }
        };
        Some(Packet {
            number: frame.number,
            ts: frame.ts,
            kind,
        })
    }
}

#[cfg(test)]
mod tests;
