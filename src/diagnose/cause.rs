//! Why a RST was sent, from the wire alone: the rules in order, each
//! naming the RFC section or kernel rule it rests on.

use std::fmt;

use crate::app::tls::TlsClose;
use crate::app::{ExchangeOutcome, timeline::Moment};
use crate::flow::RstPhase;
use crate::teardown::{Ending, Role};

use crate::app::ip_trail::RstForm;

use super::facts::Facts;
use super::middlebox::MiddleboxSigns;

/// How the packets prove bytes were left unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnreadProof {
    /// The RST's acknowledgment number is below what the peer had sent:
    /// bytes arrived that the sender's TCP never acknowledged.
    Unacknowledged,
    /// Whole requests reached the server (its TCP acknowledged them) and
    /// drew no response: HTTP's own evidence. An application that read
    /// them and then aborted sends the same packets.
    Unanswered,
}

/// A shape the rules do not explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownShape {
    /// The client reset during the handshake (a SYN scan's shape, or a
    /// connect() given up).
    HandshakeAbort,
    /// The sender had closed (FIN) and reset later though nothing new
    /// arrived.
    AfterOwnFin,
    /// The capture holds too little (no teardown phase recorded).
    Unrecorded,
    /// The record holds nothing but the sender's RST, and it carries ACK:
    /// an abort of a connection whose earlier packets are elsewhere, not
    /// the answer of a TCP without one.
    LoneAbort {
        /// The RST's TTL (hop limit) as captured.
        ttl: u8,
    },
}

/// A keep-alive race: the server closed an idle connection as the
/// client's next request arrived (RFC 9112 §9.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveRace {
    /// The exchange whose request drew the RST.
    pub exchange: usize,
    /// The last payload before the request: when the idle time began.
    pub quiet_since: Option<Moment>,
    /// The request's first segment.
    pub request: Moment,
    /// The server's close: its FIN, or the RST when it sent none.
    pub close: Moment,
    /// The close was a FIN the request arrived after.
    pub after_fin: bool,
}

impl KeepAliveRace {
    /// Nanoseconds from the last payload to the server's close: what the
    /// server's idle timeout was (compare it with the client's).
    pub fn idle_gap_ns(&self) -> Option<i64> {
        self.quiet_since.map(|q| self.close.ts.0 - q.ts.0)
    }

    /// Nanoseconds from the request's arrival to the server's close
    /// (negative when the FIN came first).
    pub fn request_to_close_ns(&self) -> i64 {
        self.close.ts.0 - self.request.ts.0
    }
}

/// Why the RST was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The sender closed with bytes unread (RFC 1122 §4.2.2.13, RFC 2525
    /// §2.17: Linux then sends RST instead of FIN).
    ClosedWithUnreadData {
        /// How the packets show it.
        proof: UnreadProof,
        /// Unread bytes the packets count (unacknowledged, or the
        /// unanswered requests' bytes).
        bytes: u64,
    },
    /// The peer sent data after the sender's FIN (RFC 1122 §4.2.2.13,
    /// RFC 9293 §3.6.1).
    DataAfterClose {
        /// The peer's bytes the sender never acknowledged.
        bytes: u64,
    },
    /// A RST in the form of a TCP's answer to a segment for a connection
    /// it does not have (RFC 9293 §3.10.7.1: `<SEQ=SEG.ACK><CTL=RST>`) from
    /// a side that had not closed, or a lone RST from a side that sent
    /// nothing else: no connection for that 4-tuple.
    NoSocket {
        /// The peer's bytes that reached no connection.
        bytes: u64,
        /// The peer's segment the RST answers, when captured.
        answered: Option<u64>,
        /// The sender had spoken on the connection before: the frame of
        /// its last packet, and nanoseconds from it to the answered
        /// segment (how long the sender had been silent when its state
        /// turned out to be gone).
        lost_state: Option<(u64, i64)>,
    },
    /// RST to a SYN: nothing listening (RFC 9293 §3.10.7.1).
    Refused,
    /// No FIN from the sender and nothing the packets show unread: the
    /// `SO_LINGER {on, 0}` shape (RFC 9293 §3.10.5 ABORT). The same
    /// packets come from an application abort, and from a close with bytes
    /// its kernel had acknowledged but the application never read.
    LingerZeroAbort,
    /// Both FINs came first.
    AfterBothFins {
        /// When the RST answers the peer's last segment as a TCP without
        /// the connection does (RFC 9293 §3.10.7.1): that segment's frame
        /// and nanoseconds from the sender's own FIN to it.
        forgotten: Option<(u64, i64)>,
    },
    /// TLS had closed (the server's close_notify, RFC 8446 §6.1) before
    /// TCP's RST.
    AfterCloseNotify,
    /// A request reached the server after its FIN, or as it chose to
    /// close, and drew the RST (RFC 9112 §9.5).
    KeepAliveRace(KeepAliveRace),
    /// The RST's TTL or IP identification is not its claimed sender's,
    /// or that sender kept sending after it: a device on the path may
    /// have forged it (`middlebox.rs`). Decided before every other rule:
    /// their reading assumes the RST is the sender's own.
    MiddleboxSuspected(MiddleboxSigns),
    /// None of the rules fit.
    Unknown(UnknownShape),
}

/// The causes without their data, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CauseKind {
    /// [`Cause::ClosedWithUnreadData`].
    ClosedWithUnreadData,
    /// [`Cause::DataAfterClose`].
    DataAfterClose,
    /// [`Cause::NoSocket`].
    NoSocket,
    /// [`Cause::Refused`].
    Refused,
    /// [`Cause::LingerZeroAbort`].
    LingerZeroAbort,
    /// [`Cause::AfterBothFins`].
    AfterBothFins,
    /// [`Cause::AfterCloseNotify`].
    AfterCloseNotify,
    /// [`Cause::KeepAliveRace`].
    KeepAliveRace,
    /// [`Cause::MiddleboxSuspected`].
    MiddleboxSuspected,
    /// [`Cause::Unknown`].
    Unknown,
}

impl CauseKind {
    /// Every cause, in a fixed order.
    pub const ALL: [CauseKind; 10] = [
        CauseKind::ClosedWithUnreadData,
        CauseKind::DataAfterClose,
        CauseKind::NoSocket,
        CauseKind::Refused,
        CauseKind::LingerZeroAbort,
        CauseKind::AfterBothFins,
        CauseKind::AfterCloseNotify,
        CauseKind::KeepAliveRace,
        CauseKind::MiddleboxSuspected,
        CauseKind::Unknown,
    ];

    /// The stable name used in every output.
    pub fn name(self) -> &'static str {
        match self {
            CauseKind::ClosedWithUnreadData => "closed-with-unread-data",
            CauseKind::DataAfterClose => "data-after-close",
            CauseKind::NoSocket => "no-socket",
            CauseKind::Refused => "refused",
            CauseKind::LingerZeroAbort => "linger-zero-abort",
            CauseKind::AfterBothFins => "after-both-fins",
            CauseKind::AfterCloseNotify => "after-close-notify",
            CauseKind::KeepAliveRace => "keep-alive-race",
            CauseKind::MiddleboxSuspected => "middlebox-suspected",
            CauseKind::Unknown => "unknown",
        }
    }

    /// Parses [`CauseKind::name`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The rule it rests on.
    pub fn rule(self) -> &'static str {
        match self {
            CauseKind::ClosedWithUnreadData => "RFC 1122 §4.2.2.13, RFC 2525 §2.17",
            CauseKind::DataAfterClose => "RFC 1122 §4.2.2.13, RFC 9293 §3.6.1",
            CauseKind::NoSocket | CauseKind::Refused => "RFC 9293 §3.10.7.1",
            CauseKind::LingerZeroAbort => "RFC 9293 §3.10.5 (ABORT), SO_LINGER {on, 0}",
            CauseKind::AfterBothFins => "RFC 9293 §3.6, §3.10.7.4",
            CauseKind::AfterCloseNotify => "RFC 8446 §6.1",
            CauseKind::KeepAliveRace => "RFC 9112 §9.5",
            CauseKind::MiddleboxSuspected => "RFC 9293 §3.10.7, RFC 791 §3.1, RFC 6864 §4",
            CauseKind::Unknown => "-",
        }
    }
}

impl fmt::Display for CauseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Cause {
    /// Its kind.
    pub fn kind(&self) -> CauseKind {
        match self {
            Cause::ClosedWithUnreadData { .. } => CauseKind::ClosedWithUnreadData,
            Cause::DataAfterClose { .. } => CauseKind::DataAfterClose,
            Cause::NoSocket { .. } => CauseKind::NoSocket,
            Cause::Refused => CauseKind::Refused,
            Cause::LingerZeroAbort => CauseKind::LingerZeroAbort,
            Cause::AfterBothFins { .. } => CauseKind::AfterBothFins,
            Cause::AfterCloseNotify => CauseKind::AfterCloseNotify,
            Cause::KeepAliveRace(_) => CauseKind::KeepAliveRace,
            Cause::MiddleboxSuspected(_) => CauseKind::MiddleboxSuspected,
            Cause::Unknown(_) => CauseKind::Unknown,
        }
    }
}

/// The rules, in order: the most specific shape first.
pub(super) fn decide(f: &Facts<'_>) -> Cause {
    if let Some(signs) = super::middlebox::signs(f) {
        return Cause::MiddleboxSuspected(signs);
    }
    if f.t.ending == Ending::Refused {
        return Cause::Refused;
    }
    if f.both_fins_before() {
        return after_both_fins(f);
    }
    // A close_notify says the server's application finished sending, not
    // that the exchange finished: a request never answered or a response
    // the RST destroyed leave the RST to the rules below. (Bytes arriving
    // after it are no request: the client's own close_notify, say.)
    if close_notify_first(f) && f.unanswered.is_empty() && f.undelivered().is_none() {
        return Cause::AfterCloseNotify;
    }
    // A side that had not closed answers a segment in RFC 9293
    // §3.10.7.1's form only when no connection took it: a socket that
    // still had it would acknowledge it, and an abort carries ACK.
    if f.answered_without_connection() {
        return no_socket(f);
    }
    if let Some(race) = keep_alive_race(f) {
        return Cause::KeepAliveRace(race);
    }
    if f.rst.phase == RstPhase::DataAfterClose {
        return Cause::DataAfterClose { bytes: f.unacked() };
    }
    // A side whose only packets are RSTs answered segments it had no
    // connection for; a SYN among the peer's would have made it a refusal
    // (above) or given the sender a SYN-ACK.
    // (Unless it carries ACK: the answer to an ACK-bearing segment does
    // not, so that RST aborted a connection whose packets are elsewhere.)
    if f.sender_only_rst && f.t.frames.syn.is_none() {
        if let Some(m) = f.rst_marks().filter(|m| m.form == RstForm::WithAck) {
            return Cause::Unknown(UnknownShape::LoneAbort { ttl: m.ip.ttl });
        }
        return no_socket(f);
    }
    match f.rst.phase {
        RstPhase::Handshake => Cause::Unknown(UnknownShape::HandshakeAbort),
        RstPhase::AfterOwnFin => Cause::Unknown(UnknownShape::AfterOwnFin),
        RstPhase::DataAfterClose => Cause::DataAfterClose { bytes: f.unacked() },
        RstPhase::UnreadData | RstPhase::WithoutFin | RstPhase::AfterPeerFin => {
            unread(f).unwrap_or(Cause::LingerZeroAbort)
        }
    }
}

/// [`Cause::AfterBothFins`] with what the trail tells of it.
fn after_both_fins(f: &Facts<'_>) -> Cause {
    let own_fin = f
        .timeline()
        .and_then(|t| t.fin[super::facts::role_index(f.rst.sender)]);
    let forgotten = f
        .peer_last()
        .filter(|_| f.rst_form() == Some(RstForm::Answer))
        .zip(own_fin)
        .map(|(seg, fin)| (seg.frame.get(), seg.ts.0 - fin.ts.0));
    Cause::AfterBothFins { forgotten }
}

/// [`Cause::NoSocket`] with what the trail tells of it.
fn no_socket(f: &Facts<'_>) -> Cause {
    let answered = f.peer_last();
    let lost_state = f
        .own_last()
        .filter(|_| !f.sender_only_rst)
        .zip(answered)
        .map(|(own, seg)| (own.frame.get(), seg.ts.0 - own.ts.0));
    Cause::NoSocket {
        bytes: f.unacked(),
        answered: answered.map(|m| m.frame.get()),
        lost_state,
    }
}

/// Bytes the packets prove unread at a close without FIN.
fn unread(f: &Facts<'_>) -> Option<Cause> {
    if f.unacked() > 0 {
        return Some(Cause::ClosedWithUnreadData {
            proof: UnreadProof::Unacknowledged,
            bytes: f.unacked(),
        });
    }
    if f.rst.sender != Role::Server || f.unanswered.is_empty() {
        return None;
    }
    let ex = f.exchanges();
    let bytes = f
        .unanswered
        .iter()
        .filter_map(|&n| ex[n].request_range)
        .filter_map(|(a, b)| b.map(|b| b.saturating_sub(a)))
        .sum();
    Some(Cause::ClosedWithUnreadData {
        proof: UnreadProof::Unanswered,
        bytes,
    })
}

/// The server's close_notify came before the RST (with keys only: else
/// the alerts are unread and nothing is guessed).
fn close_notify_first(f: &Facts<'_>) -> bool {
    let tls = f
        .app
        .and_then(|a| a.conversation.as_ref())
        .and_then(|c| c.tls.as_ref());
    matches!(
        tls.and_then(|t| t.close.as_ref()),
        Some(TlsClose::CloseNotify([_, Some(_)]))
    )
}

/// The last HTTP/1 request came after a complete exchange, drew no
/// response, and the server's RST (or FIN, then RST) ended it; the server
/// sent no payload after the request began.
fn keep_alive_race(f: &Facts<'_>) -> Option<KeepAliveRace> {
    if f.rst.sender != Role::Server {
        return None;
    }
    let ex = f.exchanges();
    let last = ex.len().checked_sub(1).filter(|&n| n >= 1)?;
    let (prev, cur) = (&ex[last - 1], &ex[last]);
    if cur.stream.is_some()
        || prev.outcome != ExchangeOutcome::Complete
        || !f.unanswered.contains(&last)
    {
        return None;
    }
    let tl = f.timeline()?;
    let turn = tl.client_turn?;
    let server_last = tl.last_payload[1]?;
    if server_last.frame > turn.start.frame {
        return None;
    }
    let rst = tl.rst?;
    let fin = tl.fin[1].filter(|m| m.frame < rst.frame);
    let close = fin.unwrap_or(rst);
    Some(KeepAliveRace {
        exchange: last,
        quiet_since: turn.quiet_since,
        request: turn.start,
        close,
        after_fin: fin.is_some_and(|m| m.frame < turn.start.frame),
    })
}
