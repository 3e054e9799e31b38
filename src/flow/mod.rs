//! Connections from segments: the flow table, per-endpoint TCP state, and
//! Zeek's `conn_state` and `history`.
//!
//! The third stage of the analyzer pipeline (capture → wire → **flow** →
//! teardown → report). [`FlowTable`] takes decoded TCP segments in capture
//! order, finds or creates their connection, runs Zeek's per-packet rules on
//! it (`tracker.rs`, `machine.rs`), fires Zeek's timers on packet time, and hands each
//! connection out once, by value, when Zeek would remove it: after its close
//! timer, attempt timer, expire or inactivity timer, on reuse of the 4-tuple,
//! or at the end of the input. Memory is therefore bounded by the connections
//! open at one time, not by the length of the capture.
//!
//! Every rule is described in `docs/zeek-conn-state.md` (Zeek 9.1.0-dev, default
//! `zeek -C -r` settings) and cites its section.
//!
//! Known limits, each a documented simplification:
//! - no content-gap letters (`G`/`g`): they need stream reassembly;
//! - no `X` letter (application analyzers);
//! - a close is never deferred for undelivered reassembled data;
//! - Zeek's cap of 300 timer expirations per packet is not modelled;
//! - SSH/FTP analyzer confirmation (1-hour inactivity timeout) is approximated
//!   by both sides sending an `SSH-` banner; FTP relies on port 21.

mod conn;
mod conn_state;
mod endpoint;
mod history;
mod index;
mod key;
mod machine;
pub(crate) mod prefetch;
mod slab;
mod table;
mod timer_queue;
mod timers;
mod tracker;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests_examples;
#[cfg(test)]
mod tests_states;

use crate::capture::Timestamp;

pub use conn::{Connection, Removal, Side};
pub use conn_state::ConnState;
pub use endpoint::{EndpointState, RstPhase, TcpEndpoint};
pub use history::{History, Letter};
pub use key::{FlowHash, FlowKey};
pub use table::{FlowOptions, FlowTable};

/// The payload prefix of an SSH version banner (RFC 4253 §4.2), the only
/// payload bytes the flow stage reads.
pub(crate) const SSH_BANNER_PREFIX: &[u8; 4] = b"SSH-";

/// How many leading bytes of a segment's captured payload the flow stage
/// reads: a summary of a segment that keeps this many keeps all it needs.
pub const PAYLOAD_BYTES_READ: usize = SSH_BANNER_PREFIX.len();

/// A set of TCP ports, as a 64 Kibit bitmap.
#[derive(Clone)]
pub struct PortSet(Box<[u64; 1024]>);

impl PortSet {
    /// No ports.
    pub fn empty() -> Self {
        PortSet(Box::new([0; 1024]))
    }

    /// Zeek's `likely_server_ports` for TCP under plain `zeek -r` (all of
    /// `base/` loaded), as listed in `docs/zeek-conn-state.md` §2.2.
    pub fn zeek_default() -> Self {
        const PORTS: &[u16] = &[
            21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585,
            587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306,
            3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
        ];
        let mut s = PortSet::empty();
        for &p in PORTS {
            s.insert(p);
        }
        s
    }

    /// Adds a port.
    pub fn insert(&mut self, port: u16) {
        self.0[usize::from(port >> 6)] |= 1 << (port & 63);
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.0[usize::from(port >> 6)] & (1 << (port & 63)) != 0
    }
}

impl std::fmt::Debug for PortSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries((0..=u16::MAX).filter(|p| self.contains(*p)))
            .finish()
    }
}

/// Packets older than network time: timestamps that go back in capture
/// order (files concatenated, capture points merged without sorting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TimeWentBack {
    /// Packets analyzed that are earlier than some packet before them.
    pub frames: u64,
    /// The largest step back (ns below the latest time seen before).
    pub largest_ns: i64,
    /// The frame at which that step happened.
    pub at_frame: u64,
}

impl TimeWentBack {
    /// Notes frame `number` at `ts`, when `latest` (the latest time seen
    /// before it) is later.
    #[cold]
    pub(super) fn note(this: &mut Option<Self>, number: u64, ts: Timestamp, latest: Timestamp) {
        let step = latest.0.saturating_sub(ts.0);
        let w = this.get_or_insert_with(TimeWentBack::default);
        w.frames += 1;
        if step > w.largest_ns {
            w.largest_ns = step;
            w.at_frame = number;
        }
    }
}

/// Things the flow stage noticed and counted instead of failing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlowAnomalies {
    /// TCP packets whose header length is below 20 bytes or runs past the
    /// packet: the connection exists, nothing else is counted (§1 step 2).
    pub tcp_bad_header: u64,
    /// TCP packets with a bad checksum (only with checksum validation on):
    /// a `C`/`c` letter and nothing else (§1 step 3).
    pub tcp_bad_checksum: u64,
    /// A SYN inside an established connection, or after a close or reset.
    pub syn_in_connection: u64,
    /// Payload before the handshake completed, from a side still in SYN_SENT.
    pub data_before_established: u64,
    /// FIN or payload after the sender's own RST.
    pub after_reset: u64,
    /// Packets older than network time (reported as the summary's
    /// `time_went_back`).
    #[serde(skip)]
    pub time_went_back: Option<TimeWentBack>,
}

/// Kinds of [`FlowAnomalies`] counted by the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Anomaly {
    SynInConnection,
    DataBeforeEstablished,
    AfterReset,
}

impl Anomaly {
    /// Classifies an unexpected (state, event) pair.
    pub(super) fn unexpected(state: EndpointState, ev: machine::Event) -> Self {
        use machine::Event as Ev;
        match (state, ev) {
            (EndpointState::Reset, _) => Anomaly::AfterReset,
            (EndpointState::SynSent | EndpointState::SynAckSent, Ev::Segment { .. }) => {
                Anomaly::DataBeforeEstablished
            }
            _ => Anomaly::SynInConnection,
        }
    }
}

impl FlowAnomalies {
    pub(super) fn count(&mut self, a: Anomaly) {
        let c = match a {
            Anomaly::SynInConnection => &mut self.syn_in_connection,
            Anomaly::DataBeforeEstablished => &mut self.data_before_established,
            Anomaly::AfterReset => &mut self.after_reset,
        };
        *c += 1;
    }
}
