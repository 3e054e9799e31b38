//! QUIC connections from UDP datagrams (issue 16, without 1-RTT keys):
//! which datagrams start one, and one [`QuicConnection`](connection) per
//! client and server address pair, finished into a [`QuicReport`] at the
//! end of the capture.
//!
//! A datagram starts a QUIC connection when it is a long-header Initial of
//! a version this reader knows (RFC 9000 §17.2.2), or a long header of any
//! version in a datagram of at least 1200 bytes, the least a client's
//! first datagram may be (RFC 9000 §14.1), which is how a reserved
//! version's attempt is recognised. Later datagrams between the same two
//! endpoints belong to it, whatever they hold.

mod connection;
mod held;
mod keyed;
pub mod ladder;
pub mod report;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::capture::Timestamp;
use crate::proto::quic::Version;
use crate::tls_decrypt::KeyLog;
use crate::wire::{Endpoint, UdpUnreachable};

use connection::QuicConnection;
use held::Held;
pub use ladder::{QuicLadder, QuicMark, QuicStep};
pub use report::{
    CloseSeen, IcmpSeen, KeysSeen, KeysStatus, NewCidSeen, PacketCounts, PacketKind, QuicEnding,
    QuicProblem, QuicReport, ResetSeen, RetrySeen, ServerHelloSeen, TokenSource,
};

/// RFC 9000 §14.1: a client's Initial datagrams are at least this long.
const MIN_INITIAL_DATAGRAM: usize = 1200;

/// Whether a datagram from an unknown address pair opens a QUIC connection.
pub fn starts_connection(payload: &[u8]) -> bool {
    let [first, v0, v1, v2, v3, ..] = *payload else {
        return false;
    };
    if first & 0x80 == 0 {
        return false;
    }
    let version = Version(u32::from_be_bytes([v0, v1, v2, v3]));
    if version.is_known() {
        // The fixed bit, and the Initial type (v1's 0b00, v2's 0b01).
        let kind = (first >> 4) & 3;
        let initial = if version == Version::V2 { 1 } else { 0 };
        first & 0x40 != 0 && kind == initial
    } else {
        version != Version::NEGOTIATION && payload.len() >= MIN_INITIAL_DATAGRAM
    }
}

/// The QUIC connections of a capture.
#[derive(Default)]
pub struct QuicTracker {
    /// Open connections by address pair, and every one in order of its
    /// first packet.
    held: Held,
    /// The key log for Handshake and 1-RTT packets (`--keylog`).
    keylog: Option<Arc<KeyLog>>,
    /// Keep each connection's [`QuicLadder`] (`--ladder`, `--frames`,
    /// `--annotate`); off, a connection pays one empty pointer.
    ladder: bool,
}

impl QuicTracker {
    /// A tracker that opens Handshake and 1-RTT packets with `keylog`'s
    /// secrets when there is one.
    pub fn new(keylog: Option<Arc<KeyLog>>) -> Self {
        QuicTracker {
            keylog,
            ..QuicTracker::default()
        }
    }

    /// The same, keeping each connection's [`QuicLadder`] when `on`.
    pub fn with_ladder(mut self, on: bool) -> Self {
        self.ladder = on;
        self
    }

    /// An ICMP or ICMPv6 error quoting a UDP datagram: the QUIC connection
    /// whose datagram it quotes learns of it.
    pub fn icmp(&mut self, frame: u64, _ts: Timestamp, u: &UdpUnreachable) {
        if let Some(c) = self.held.get_mut(u.src, u.dst) {
            c.icmp(frame, u);
        }
    }

    /// A UDP datagram's payload; returns whether it went to a QUIC
    /// connection (so another UDP decoder can take the rest).
    pub fn datagram(
        &mut self,
        frame: u64,
        ts: Timestamp,
        src: Endpoint,
        dst: Endpoint,
        payload: &[u8],
    ) -> bool {
        self.held.advance(ts);
        let c = match self.held.get_mut(src, dst) {
            Some(c) => c,
            None if starts_connection(payload) => {
                let c = QuicConnection::new(src, dst, frame, ts, self.keylog.clone(), self.ladder);
                self.held.insert(src, dst, c);
                match self.held.get_mut(src, dst) {
                    Some(c) => c,
                    None => return true,
                }
            }
            None => return false,
        };
        let from = c.side_of(&src);
        c.datagram(frame, ts, from, payload);
        true
    }

    /// The network time: the latest datagram's seen.
    pub fn now(&self) -> Timestamp {
        self.held.now()
    }

    /// The network time moves to `now` (a datagram of a connection held
    /// elsewhere, see [`QuicTracker::split`]): connections over by then
    /// are finished at the next lookup or sweep, as on one thread.
    pub fn advance(&mut self, now: Timestamp) {
        self.held.advance(now);
    }

    /// Which of `n` shards the connection between `a` and `b` belongs to
    /// (either way round): every datagram and ICMP error of one address
    /// pair goes to the same one.
    pub fn shard_of(a: Endpoint, b: Endpoint, n: usize) -> usize {
        held::shard_of(a, b, n)
    }

    /// This tracker as `n` trackers, each holding the connections whose
    /// pairs [`QuicTracker::shard_of`] gives it, with the same key log and
    /// ladder setting; connections already finished stay with the first.
    /// Their reports, merged by first frame, are this tracker's.
    pub fn split(self, n: usize) -> Vec<QuicTracker> {
        let (keylog, ladder) = (self.keylog, self.ladder);
        self.held
            .split(n)
            .into_iter()
            .map(|held| QuicTracker {
                held,
                keylog: keylog.clone(),
                ladder,
            })
            .collect()
    }

    /// Every connection's report, in order of their first packet; `end` is
    /// the capture's last time, against which idle timeouts are judged.
    pub fn finish(self, end: Timestamp) -> Vec<QuicReport> {
        self.held.finish(end)
    }
}
