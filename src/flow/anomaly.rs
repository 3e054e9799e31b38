//! What the flow stage counts instead of failing: TCP packets it could not
//! use, control bits it did not expect, and time that went backwards.
//!
//! A leaf of `flow/`: the table and Zeek's TCP rules (`tcp/`) both count
//! here, and this module reads neither.

use crate::capture::Timestamp;

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
    pub(in crate::flow) fn note(
        this: &mut Option<Self>,
        number: u64,
        ts: Timestamp,
        latest: Timestamp,
    ) {
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
pub(in crate::flow) enum Anomaly {
    SynInConnection,
    DataBeforeEstablished,
    AfterReset,
}

impl FlowAnomalies {
    pub(in crate::flow) fn count(&mut self, a: Anomaly) {
        let c = match a {
            Anomaly::SynInConnection => &mut self.syn_in_connection,
            Anomaly::DataBeforeEstablished => &mut self.data_before_established,
            Anomaly::AfterReset => &mut self.after_reset,
        };
        *c += 1;
    }
}
