//! The connection's report once the capture ended: the keys' status, the
//! HTTP/3 found, and how the connection ended (a close, a stateless reset,
//! an ICMP error, Version Negotiation, unread packets, or still open).

use crate::capture::Timestamp;
use crate::proto::quic::Side;

use super::super::report::{KeysSeen, KeysStatus, QuicEnding, QuicReport, idle_timeout_ms};
use super::{QuicConnection, at};

impl QuicConnection {
    /// The report, with the ending judged at `end` (the capture's last
    /// time).
    pub(in super::super) fn finish(mut self, end: Timestamp) -> QuicReport {
        if self.keylog.is_some() && self.report.keys.is_none() {
            self.report.keys = Some(KeysSeen {
                status: KeysStatus::Unusable,
                reason:
                    "no ServerHello was seen: the suite and the secrets' connection are unknown"
                        .to_owned(),
            });
        }
        if let Some(k) = &self.keyed {
            self.report.key_updates = k.updates;
        }
        self.report.http3 = self.h3.as_mut().and_then(|h3| h3.finish());
        let record = self.record.take();
        let keyed = self.keyed.is_some();
        let r = &mut self.report;
        r.handshake_completed = r.client_packets.one_rtt > 0 && r.server_packets.one_rtt > 0;
        r.idle_timeout_ms =
            idle_timeout_ms(&r.transport_parameters, &r.server_transport_parameters);
        // A reset ends the connection when nothing opened after it.
        r.stateless_reset = self.reset.filter(|s| s.frame > self.last_opened);
        // An ICMP error ends it when the side it says is unreachable sent
        // nothing after it.
        let icmp_final = r.icmp.as_ref().is_some_and(|i| {
            let unreachable = match i.about {
                Side::Client => Side::Server,
                Side::Server => Side::Client,
            };
            self.last_from[at(unreachable)] < i.frame
        });
        let unread = if keyed {
            self.unread_last
        } else {
            self.encrypted
        };
        // An ICMP error before any close is the cause; a close after it is
        // the sender giving up on it (ngtcp2 closes on the socket error).
        let icmp_first = icmp_final
            && match (&r.icmp, &r.close) {
                (Some(i), Some(c)) => i.frame < c.frame,
                _ => true,
            };
        r.ending = if icmp_first {
            QuicEnding::IcmpUnreachable
        } else if r.close.is_some() {
            QuicEnding::ConnectionClose
        } else if r.stateless_reset.is_some() {
            QuicEnding::StatelessReset
        } else if r.negotiation.is_some() && r.client_packets.initial == 0 && !self.encrypted {
            QuicEnding::VersionNegotiation
        } else if unread {
            QuicEnding::UnknownEncrypted
        } else {
            // An idle timeout once the silence is judged, below.
            QuicEnding::Open
        };
        r.judge_silence(end);
        let last_frame = self.last_from[0].max(self.last_from[1]);
        let ladder = record.map(|rec| Box::new(rec.finish(r, last_frame)));
        r.ladder = ladder;
        self.report
    }
}
