//! The verdict in plain words, and where the witnesses disagree.
//!
//! The packets say *what* happened (FIN or RST, who, which frame); the
//! server's own log says *why* (it closed with bytes unread, or with a zero
//! linger); the kernel counters say which kernel path sent the RST. The
//! sentence here joins them and cites the rule:
//! - close with unread data → RST: RFC 1122 §4.2.2.13, RFC 2525 §2.17;
//! - SO_LINGER {on, 0} → RST: RFC 9293 §3.6 (ABORT);
//! - data arriving after close → RST: RFC 1122 §4.2.2.13, RFC 9293 §3.6.1;
//! - lingering close → FIN both ways: RFC 9112 §9.6;
//! - the keep-alive race: RFC 9112 §9.5.

use super::ResetOptions;
use super::explain_h2;
use super::ladder::Conversation;
use super::witness::{ClientWitness, KernelWitness, ServerClose, ServerH2};
use crate::flow::{ConnState, RstPhase};
use crate::labs::counters::{ABORT_ON_CLOSE, ABORT_ON_DATA, OUT_RSTS};
use crate::labs::netns::Isolation;
use crate::report::ConnectionReport;
use crate::server::{CloseEnding, ReadMode};
use crate::teardown::{Ending, Role};

/// The conversations each witness is held against. Without a proxy all
/// three are the capture's; through one, the client witness speaks of the
/// client's leg and the server's log of the upstream leg, while the kernel
/// counts the RSTs of both.
#[derive(Clone, Copy, Debug)]
pub struct Sides<'a> {
    /// Every conversation in the capture.
    pub all: &'a [Conversation],
    /// The client's conversations (its peer is the server or the proxy).
    pub client: &'a [Conversation],
    /// The teaching server's conversations, in the order it accepted them.
    pub server: &'a [Conversation],
}

/// The lab's verdict on its (first) connection, as typed values: `--expect`
/// and the tests compare these, and rewording a reason changes no verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// How the connection ended; `None` when nothing was captured.
    pub ending: Option<Ending>,
    /// Who sent the deciding RST, or who closed first for a FIN verdict.
    pub by: Option<Role>,
    /// The RST's phase as the packets show it, the same one `lab analyze`
    /// gives (an abort after a complete read is `unread_data` on the wire;
    /// the reason says what the server's log and the counters add).
    pub phase: Option<RstPhase>,
    /// The frames that decided it.
    pub frames: Vec<u64>,
    /// Zeek's `conn_state`; `None` when nothing was captured.
    pub conn_state: Option<ConnState>,
    /// Zeek's `history` (empty when there is none).
    pub history: String,
    /// Why, in one sentence.
    pub reason: String,
    /// The rule behind it.
    pub citation: &'static str,
}

impl Verdict {
    /// The ending's stable name (`fin`, `rst`, ...), `none` when nothing was
    /// captured: the word every output uses.
    pub fn ending_name(&self) -> &'static str {
        self.ending.map_or("none", Ending::name)
    }
}

/// Builds the verdict on the first connection of the capture.
pub fn verdict(
    opts: &ResetOptions,
    conns: &[ConnectionReport],
    server_log: &[ServerClose],
    h2: &ServerH2,
    kernel: &KernelWitness,
) -> Verdict {
    let Some(c) = conns.first() else {
        return Verdict {
            ending: None,
            by: None,
            phase: None,
            frames: Vec::new(),
            conn_state: None,
            history: String::new(),
            reason: "no connection was captured".into(),
            citation: "",
        };
    };
    let t = &c.teardown;
    let first_close = server_log.first();
    let unread = first_close.map_or(0, |s| s.unread);
    let end = first_close.map(|s| s.end);
    let provoked = end == Some(CloseEnding::WeProvokedRst);
    let aborted = end == Some(CloseEnding::WeAborted);
    let body_due = end == Some(CloseEnding::WeClosedBodyDue);
    let abort_on_close = kernel.delta(ABORT_ON_CLOSE);
    let abort_on_data = kernel.delta(ABORT_ON_DATA);
    let (by, phase, frames) = match (t.ending, t.first_rst) {
        (Ending::Rst, Some(r)) => (Some(r.sender), Some(r.phase), vec![r.frame]),
        _ => {
            let mut fins: Vec<u64> = [t.frames.client_fin, t.frames.server_fin]
                .into_iter()
                .flatten()
                .collect();
            fins.sort_unstable();
            (t.closed_first, None, fins)
        }
    };
    let h2_reason = explain_h2::reason(opts, t, first_close, h2);
    let (reason, citation) = match (t.ending, t.first_rst.map(|r| r.sender), phase) {
        _ if h2_reason.is_some() => h2_reason.unwrap_or_default(),
        (Ending::Rst, Some(Role::Server), _) if provoked && unread > 0 && opts.keepalive_race => (
            format!(
                "the server closed an idle keep-alive connection while the client's next \
                 request ({unread} bytes) sat unread in its receive queue, so Linux aborted \
                 the close with RST"
            ),
            "RFC 9112 §9.5, RFC 2525 §2.17",
        ),
        (Ending::Rst, Some(Role::Server), _)
            if provoked && unread > 0 && opts.respond_before_body =>
        {
            (
                format!(
                    "the server answered before reading the request body and closed with \
                 {unread} unread bytes in its receive queue; Linux aborts such a close with RST"
                ),
                "RFC 9112 §9.3, RFC 1122 §4.2.2.13, RFC 2525 §2.17",
            )
        }
        (Ending::Rst, Some(Role::Server), _) if provoked && unread > 0 => (
            format!(
                "the server closed with {unread} unread bytes in its receive queue; Linux \
                 aborts such a close with RST, dropping any response bytes not yet sent"
            ),
            "RFC 1122 §4.2.2.13, RFC 2525 §2.17",
        ),
        // A zero-linger abort after reading everything has the wire shape of
        // a close with unread data; the server's log and the counter tell
        // them apart. Linux counts the abort as TcpExtTCPAbortOnClose when
        // data was also unread, as TcpExtTCPAbortOnData otherwise (tcp_close()).
        (Ending::Rst, Some(Role::Server), _) if aborted && unread == 0 => (
            "the server read the whole request, answered, then set SO_LINGER {on, 0} and \
             closed: an abortive close, which Linux sends as RST (TcpExtTCPAbortOnData); on \
             the wire it has the shape of a close with unread data (unread_data), and the \
             server's log names the abort"
                .to_string(),
            "RFC 9293 §3.6 (ABORT)",
        ),
        (Ending::Rst, Some(Role::Server), _) if aborted => (
            format!(
                "the server answered, then set SO_LINGER {{on, 0}} and closed with {unread} \
                 bytes unread: an abortive close, which Linux sends as RST (counted as \
                 TcpExtTCPAbortOnClose because data was unread)"
            ),
            "RFC 9293 §3.6 (ABORT), RFC 2525 §2.17",
        ),
        // The race the server cannot see: its last look found none of the
        // body, which then arrived before close() (AbortOnClose) or after it.
        (Ending::Rst, Some(Role::Server), Some(RstPhase::UnreadData))
            if body_due && abort_on_close > 0 =>
        {
            (
                "the server answered before reading the request body and closed; its last \
                 look at the receive queue found none of the body, but the body arrived \
                 before close() took effect, so Linux found it unread and aborted the close \
                 with RST (TcpExtTCPAbortOnClose): a race the server's log can only admit to \
                 (body still due)"
                    .to_string(),
                "RFC 9112 §9.3, RFC 1122 §4.2.2.13, RFC 2525 §2.17",
            )
        }
        (Ending::Rst, Some(Role::Server), Some(RstPhase::DataAfterClose)) if body_due => (
            "the server answered before reading the request body and closed with FIN; the \
             body arrived after the close, and a socket that can no longer read answers new \
             data with RST (TcpExtTCPAbortOnData)"
                .to_string(),
            "RFC 9112 §9.3, RFC 1122 §4.2.2.13, RFC 9293 §3.6.1",
        ),
        // Same race, crossing on the wire: the capture shows the body before
        // the server's FIN, the server's kernel had taken the FIN first.
        (Ending::Rst, Some(Role::Server), Some(RstPhase::AfterOwnFin)) if body_due => (
            "the server answered before reading the request body and closed with FIN; the \
             body crossed the FIN (the capture shows it first, the server's kernel had \
             already closed), and a socket that can no longer read answers new data with RST"
                .to_string(),
            "RFC 9112 §9.3, RFC 1122 §4.2.2.13, RFC 9293 §3.6.1",
        ),
        (Ending::Fin, _, _) if body_due => (
            "the server answered before reading the request body and closed; the client saw \
             the early answer before sending its body and sent none, so nothing was left \
             unread: FIN both ways"
                .to_string(),
            "RFC 9112 §9.3, RFC 9293 §3.6",
        ),
        (Ending::Rst, Some(Role::Server), Some(RstPhase::DataAfterClose)) => (
            format!(
                "the server had closed cleanly (FIN), then the client sent more data; a \
                 socket that can no longer read answers new data with RST{}",
                if abort_on_data > 0 {
                    " (TcpExtTCPAbortOnData)"
                } else {
                    ""
                }
            ),
            "RFC 1122 §4.2.2.13, RFC 9293 §3.6.1",
        ),
        (Ending::Rst, Some(sender), phase) => (
            format!(
                "the {sender} sent RST ({})",
                phase.map_or("no phase known", RstPhase::name)
            ),
            "RFC 9293 §3.5.2",
        ),
        (Ending::Fin, _, _) if opts.mode == ReadMode::Drain => (
            "the server half-closed after answering, read and discarded whatever the client \
             still sent until the client's FIN, and closed with nothing unread: FIN both ways \
             (lingering close)"
                .to_string(),
            "RFC 9112 §9.6, RFC 9293 §3.6",
        ),
        (Ending::Fin, _, _) => (
            format!(
                "the {} closed first and nothing was left unread on either side, so both \
                 closes were FIN",
                t.closed_first.map_or("client", Role::name)
            ),
            "RFC 9293 §3.6",
        ),
        (ending, _, _) => (
            format!("the capture ended with the connection {ending}"),
            "RFC 9293 §3.6",
        ),
    };
    Verdict {
        ending: Some(t.ending),
        by,
        phase,
        frames,
        conn_state: Some(c.zeek.conn_state),
        history: c.zeek.history.clone(),
        reason,
        citation,
    }
}

fn rsts(convs: &[Conversation], from_client: Option<bool>) -> usize {
    convs
        .iter()
        .flat_map(|c| &c.rungs)
        .filter(|r| r.flags.rst() && from_client.is_none_or(|f| r.from_client == f))
        .count()
}

/// Every contradiction between the witnesses, in words. Empty when they agree.
pub fn disagreements(
    sides: Sides<'_>,
    client: &ClientWitness,
    server_log: &[ServerClose],
    kernel: &KernelWitness,
) -> Vec<String> {
    let mut out = Vec::new();
    let all_rst = rsts(sides.all, None);
    let server_rst = rsts(sides.client, Some(false));
    if kernel.isolation == Isolation::PrivateNamespace {
        // Every RST this namespace sent crossed its loopback, so the capture
        // and the counter must count the same segments.
        let out_rsts = kernel.delta(OUT_RSTS);
        if out_rsts != all_rst as u64 {
            out.push(format!(
                "the packets show {all_rst} RST segment(s) but the kernel counted {out_rsts} ({OUT_RSTS})"
            ));
        }
        let provoked_unread = server_log
            .iter()
            .any(|s| s.end == CloseEnding::WeProvokedRst && s.unread > 0);
        if provoked_unread && kernel.delta(ABORT_ON_CLOSE) == 0 {
            out.push(
                "the server says it closed with unread bytes, but the kernel counted no \
                 TcpExtTCPAbortOnClose"
                    .into(),
            );
        }
    }
    if client.saw_reset && server_rst == 0 {
        out.push(format!(
            "the client reports a reset ({}) but no RST from the server is in the capture",
            client.end
        ));
    }
    // The server's log, connection by connection in accept order, against the
    // connections in first-seen order (the lab opens them one after another).
    for (s, conv) in server_log.iter().zip(sides.server) {
        let server_rung = conv
            .rungs
            .iter()
            .find(|r| !r.from_client && (r.flags.rst() || r.flags.fin()));
        let wire_rst = server_rung.is_some_and(|r| r.flags.rst());
        match (s.end, server_rung) {
            _ if s.says_rst() && !conv.rungs.iter().any(|r| !r.from_client && r.flags.rst()) => {
                out.push(format!(
                    "the server's log says connection {} ended with our RST, but the capture \
                     shows no RST from the server",
                    s.conn
                ));
            }
            (CloseEnding::WeSentFin, Some(_)) if wire_rst => out.push(format!(
                "the server's log says connection {} ended with our FIN, but the server's \
                 first closing segment in the capture is a RST",
                s.conn
            )),
            _ => {}
        }
    }
    out
}
