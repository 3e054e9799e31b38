//! The application stage's side store: one [`Held`] connection (its
//! decoders, or what is left of them once both directions ended) per
//! connection that the flow table has seen, keyed by the connection's id,
//! so the flow record keeps its size and the flow table knows nothing of
//! payloads. The table says which connection each segment went to
//! ([`Applied`]); when it hands a connection out, its decoder is settled
//! into a [`Finished`] that travels with it (its report is made later).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::num::NonZeroU64;

use crate::app::dns::{DnsExchange, DnsTracker};
use crate::app::ip_trail::IpTrail;
use crate::app::quic::{QuicReport, QuicTracker};
use crate::app::timeline::Moment;
use crate::app::{AppOptions, Direction, Finished, Held};
use crate::capture::Timestamp;
use crate::flow::{Applied, Connection};
use crate::wire::{TcpSegment, UdpDatagram};

use super::udp_shards::UdpShards;

/// Ids are sequential: a multiply spreads them over the table's buckets.
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// What the UDP datagrams held, handed out at the end of the input.
#[derive(Default)]
pub(super) struct UdpReports {
    /// QUIC connections in order of their first packet.
    pub(super) quic: Vec<QuicReport>,
    /// DNS exchanges in order of their first message.
    pub(super) dns: Vec<DnsExchange>,
}

/// The UDP side: on this thread, or QUIC spread over threads.
enum Udp {
    Here {
        quic: QuicTracker,
        /// DNS exchanges, from the UDP datagrams QUIC did not take.
        dns: DnsTracker,
    },
    Spread(Box<UdpShards>),
    /// Only while one becomes the other, or after the end.
    Gone,
}

/// Decoders of the connections open in the flow table.
pub(super) struct AppStage {
    opts: AppOptions,
    open: HashMap<u64, Held, BuildHasherDefault<IdHasher>>,
    /// QUIC connections and DNS exchanges, kept here: the flow table keeps
    /// no UDP flows.
    udp: Udp,
    /// Each open connection's IP marks, from its first segment on, when
    /// [`AppOptions::ip_trail`] asks (a decoder starts at the first
    /// payload, too late for the handshake and for connections without).
    trails: Option<HashMap<u64, IpTrail, BuildHasherDefault<IdHasher>>>,
}

impl AppStage {
    pub(super) fn new(opts: AppOptions) -> Self {
        AppStage {
            trails: opts.ip_trail.then(HashMap::default),
            open: HashMap::default(),
            udp: Udp::Here {
                quic: QuicTracker::new(opts.keylog.clone()).with_ladder(opts.ladder),
                dns: DnsTracker::new(),
            },
            opts,
        }
    }

    /// A segment the table applied to connection `to`. A connection gets
    /// a decoder with its first payload: one that never carries any costs
    /// nothing here (its report says so, see [`AppStage::finish`]).
    pub(super) fn segment(
        &mut self,
        to: Applied,
        frame: u64,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        payload: &[u8],
    ) {
        let opts = &self.opts;
        let sender = if to.from_orig {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        if let (Some(trails), Some(frame)) = (&mut self.trails, NonZeroU64::new(frame)) {
            let at = Moment { frame, ts };
            trails.entry(to.id).or_default().segment(at, sender, seg);
        }
        let decoder = match self.open.get_mut(&to.id) {
            Some(d) => d,
            None if seg.payload_len == 0 => return,
            None => self
                .open
                .entry(to.id)
                .or_insert_with(|| Held::new(opts.clone())),
        };
        decoder.segment(frame, ts, sender, seg, payload);
    }

    /// A UDP datagram, with its captured payload: QUIC's when it opens a
    /// QUIC connection (RFC 9000 §17.2.2) or goes between the endpoints of
    /// one, else DNS's when it is DNS.
    pub(super) fn datagram(
        &mut self,
        frame: u64,
        ts: Timestamp,
        d: &UdpDatagram<'_>,
        payload: &[u8],
    ) {
        match &mut self.udp {
            Udp::Here { quic, dns } => {
                if !quic.datagram(frame, ts, d.src, d.dst, payload) {
                    dns.datagram(frame, ts, d.src, d.dst, payload);
                }
            }
            Udp::Spread(s) => s.datagram(frame, ts, d.src, d.dst, payload),
            Udp::Gone => {}
        }
    }

    /// From here on, QUIC connections go to `threads` threads of their own
    /// ([`UdpShards`]); with fewer than two (asked, or allowed by the
    /// system) they stay on this one.
    pub(super) fn spread_udp(&mut self, threads: usize) {
        if threads < 2 {
            return;
        }
        self.udp = match std::mem::replace(&mut self.udp, Udp::Gone) {
            Udp::Here { quic, dns } => match UdpShards::spread(quic, dns, threads) {
                Ok(s) => Udp::Spread(Box::new(s)),
                Err(back) => {
                    let (quic, dns) = *back;
                    Udp::Here { quic, dns }
                }
            },
            other => other,
        };
    }

    /// The end of a packet batch: spread datagrams go to their threads.
    pub(super) fn batch_end(&mut self) {
        if let Udp::Spread(s) = &mut self.udp {
            s.batch_end();
        }
    }

    /// An ICMP error quoting a UDP datagram: QUIC's, if it quotes one of
    /// a QUIC connection's.
    pub(super) fn icmp(&mut self, frame: u64, ts: Timestamp, u: &crate::wire::UdpUnreachable) {
        match &mut self.udp {
            Udp::Here { quic, .. } => quic.icmp(frame, ts, u),
            Udp::Spread(s) => s.icmp(frame, ts, u),
            Udp::Gone => {}
        }
    }

    /// The QUIC connections and DNS exchanges at the end of the input;
    /// `end` is the network time then, against which QUIC's idle timeouts
    /// are judged.
    pub(super) fn finish_udp(&mut self, end: Timestamp) -> UdpReports {
        match std::mem::replace(&mut self.udp, Udp::Gone) {
            Udp::Here { quic, dns } => UdpReports {
                quic: quic.finish(end),
                dns: dns.finish(),
            },
            Udp::Spread(s) => s.finish(end),
            Udp::Gone => UdpReports::default(),
        }
    }

    /// The application layer of a connection the table handed out, in
    /// its compact form: the report is made where it is rendered, off
    /// this thread.
    pub(super) fn finish(&mut self, c: &Connection) -> Option<Finished> {
        let finished = match self.open.remove(&c.id()) {
            Some(d) => Finished::of_held(d),
            None => Finished::without_payload(
                c.orig().rst_frame.is_some(),
                c.resp().rst_frame.is_some(),
                self.opts.ladder,
            ),
        };
        Some(match &mut self.trails {
            Some(trails) => finished.with_ip_trail(trails.remove(&c.id()).map(Box::new)),
            None => finished,
        })
    }
}
