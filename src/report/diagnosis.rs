//! `lab diagnose`'s words: one paragraph per RST that matters (what
//! happened, the deciding frames, what the client saw, the fix), the rest
//! counted by cause, and a summary that puts the harmful count first.
//! The JSON document is in `diagnosis/json.rs`.

mod comments;
pub mod json;
pub mod words;

pub use comments::{frame_comments, ladder_note};

use std::fmt::Write as _;

use crate::diagnose::{
    Cause, Diagnosis, Impact, KeepAliveRace, MiddleboxSigns, Tally, UnknownShape, UnreadProof,
};
use crate::teardown::Role;

/// Uncertain RSTs told in full before the rest are only counted.
pub const UNCERTAIN_SHOWN: usize = 10;

fn peer(r: Role) -> Role {
    match r {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    }
}

fn seconds(ns: i64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// What happened, in a sentence or two.
pub fn what_happened(d: &Diagnosis) -> String {
    let s = d.rst.sender;
    let p = peer(s);
    match &d.cause {
        Cause::ClosedWithUnreadData {
            proof: UnreadProof::Unacknowledged,
            bytes,
        } => format!(
            "The {s} reset the connection with {bytes} bytes from the {p} that it had received \
             and never acknowledged: it closed with unread data, which Linux sends as RST \
             instead of FIN."
        ),
        Cause::ClosedWithUnreadData {
            proof: UnreadProof::Unanswered,
            bytes,
        } => format!(
            "The server reset the connection with {} request(s) ({bytes} bytes) received and \
             never answered: it closed with them unread, which Linux sends as RST instead of FIN \
             (an application that read them and then aborted sends the same packets).",
            d.unanswered.len()
        ),
        Cause::DataAfterClose { bytes } => format!(
            "The {s} had closed (FIN); the {p} then sent {bytes} more bytes, and a socket that \
             can no longer read answers new data with RST."
        ),
        Cause::NoSocket {
            bytes,
            answered,
            lost_state,
        } => no_socket_text(d, *bytes, *answered, *lost_state),
        Cause::Refused => format!(
            "Nothing listened on {} (or a firewall rejected the connection in its name): the \
             SYN drew a RST.",
            d.server
        ),
        Cause::LingerZeroAbort => format!(
            "The {s} reset the connection without a FIN, and nothing the packets show was left \
             unread: the shape of an abort (close() with SO_LINGER {{on, 0}}). A close() with \
             bytes that its kernel had acknowledged but its application never read sends the \
             same packets; the {s}'s counters tell them apart (TcpExtTCPAbortOnData counts \
             linger-0 aborts, TcpExtTCPAbortOnClose closes with unread data)."
        ),
        Cause::AfterBothFins {
            forgotten: Some((frame, ns)),
        } => format!(
            "Both sides had closed with FIN. The {s}'s RST answers the {p}'s segment (frame \
             {frame}, {} after the {s}'s own FIN) the way a TCP answers a segment for a \
             connection it does not have (RFC 9293 §3.10.7.1: no ACK flag, the segment's \
             acknowledgment as its sequence number): the {s}'s kernel had already forgotten \
             the connection (Linux keeps a connection it closed first in FIN-WAIT-2 for \
             tcp_fin_timeout, 60 s by default, or TCP_LINGER2, then in TIME-WAIT for 60 s).",
            seconds(*ns)
        ),
        Cause::AfterBothFins { forgotten: None } => "Both sides had closed with FIN before the \
                                                     RST: whatever it answered, neither side \
                                                     had more to send."
            .into(),
        Cause::AfterCloseNotify => {
            "TLS had closed (the server's close_notify) before TCP's RST: the application had \
             finished."
                .into()
        }
        Cause::KeepAliveRace(r) => race_text(d, r),
        Cause::MiddleboxSuspected(m) => middlebox_text(d, m),
        Cause::Unknown(UnknownShape::HandshakeAbort) => format!(
            "The {s} reset during the handshake: a SYN scan's shape, or a connect() given up."
        ),
        Cause::Unknown(UnknownShape::AfterOwnFin) => format!(
            "The {s} had closed (FIN) and later reset though nothing new arrived (a FIN-WAIT \
             timeout, or an abort after shutdown())."
        ),
        Cause::Unknown(UnknownShape::Unrecorded) => {
            "The capture holds too little of this connection to say why.".into()
        }
        Cause::Unknown(UnknownShape::LoneAbort { ttl }) => {
            let mut text = format!(
                "The {s}'s RST is all this record holds of the connection: no SYN, nothing \
                 else from the {s}, nothing from the {p} for it to answer. It carries ACK, as \
                 an abort does; a TCP answering a segment for a connection it does not have \
                 sends none (RFC 9293 §3.10.7.1). The {s}, or a device in its name, aborted a \
                 connection whose earlier packets are not in this record (the capture began \
                 later, or an earlier record of the same addresses and ports holds them)."
            );
            if *ttl == 255 {
                text.push_str(
                    " Its TTL is 255, the largest there is: no router decremented it, so \
                     whatever sent it sits on the capture point's own link.",
                );
            }
            text
        }
    }
}

fn middlebox_text(d: &Diagnosis, m: &MiddleboxSigns) -> String {
    let s = d.rst.sender;
    let p = peer(s);
    let mut signs = Vec::new();
    if let Some(t) = m.ttl {
        signs.push(format!(
            "its TTL is {} where every other packet of the {s} carries {}",
            t.seen, t.usual
        ));
    }
    if let Some(i) = m.ip_id {
        signs.push(format!(
            "its IP ID {:#06x} breaks the {s}'s counter (last {:#06x}){}",
            i.seen,
            i.last,
            if i.copies_peer {
                format!(" and copies the {p}'s last one")
            } else {
                String::new()
            }
        ));
    }
    if let Some(a) = m.sends_after {
        signs.push(format!(
            "the {s} sent {} more packet(s) after it (from frame {}), which a TCP that reset \
             the connection never does",
            a.packets, a.first_frame
        ));
    }
    let mut text = format!(
        "A RST claims to come from the {s}, but {}: a device on the path (a firewall, load \
         balancer or censor) may have forged it.",
        signs.join("; ")
    );
    if let Some(pair) = m.pair {
        let _ = write!(
            text,
            " The {p}'s RST (frame {}) bears a stranger's marks too: a RST sent to each end, \
             as censors do.",
            pair.frame
        );
    }
    if let Some(t) = m.timing {
        let _ = write!(
            text,
            " It came {} after the {p}'s last packet; the {s}'s round trip from the capture \
             point is {}{}.",
            millis(t.after_peer_ns),
            millis(t.rtt_ns),
            if t.too_soon() {
                format!(", too soon for the {s} to have answered it")
            } else {
                String::new()
            }
        );
    }
    text
}

fn no_socket_text(
    d: &Diagnosis,
    bytes: u64,
    answered: Option<u64>,
    lost_state: Option<(u64, i64)>,
) -> String {
    let s = d.rst.sender;
    let p = peer(s);
    let form = "the way a TCP answers a segment for a connection it does not have (RFC 9293 \
                §3.10.7.1: no ACK flag, the segment's acknowledgment as its sequence number)";
    let mut text = match (answered, lost_state) {
        (Some(frame), Some((last, silent))) => format!(
            "The {s}'s RST answers the {p}'s segment (frame {frame}) {form}. The {s} had sent \
             no FIN, and a socket that still held the connection would have acknowledged the \
             segment (an abort carries ACK): the {s}'s TCP, or whatever answers in its name \
             (a load balancer, a NAT), had lost the connection in the {} since its last packet \
             (frame {last}): a restart, a crash, a failover, or an idle timer that dropped it \
             silently.",
            seconds(silent)
        ),
        (Some(frame), None) => format!(
            "The {s} sent nothing but this RST, which answers the {p}'s segment (frame {frame}) \
             {form}: no connection for this 4-tuple (a restart, an idle timer that dropped it, \
             or the capture began after the {s} last spoke)."
        ),
        (None, _) => format!(
            "The {s} sent nothing but this RST, without ACK flag: the form of a TCP's answer to \
             a segment for a connection it does not have (RFC 9293 §3.10.7.1). The segment it \
             answered is not in this record (it came before the capture began, or did not \
             pass the capture point)."
        ),
    };
    if bytes > 0 {
        let _ = write!(text, " The {p}'s {bytes} bytes reached no socket.");
    }
    text
}

fn millis(ns: i64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn race_text(d: &Diagnosis, r: &KeepAliveRace) -> String {
    let request = d
        .unanswered
        .last()
        .and_then(|_| {
            match &d.evidence.iter().find_map(|e| match &e.witness {
                crate::diagnose::Witness::UnansweredRequest(q) => Some(q.clone()),
                _ => None,
            }) {
                Some(Some((m, t))) => Some(format!("{m} {t}")),
                _ => None,
            }
        })
        .unwrap_or_else(|| "its next request".into());
    let idle = r
        .idle_gap_ns()
        .map_or_else(|| "an unknown time".into(), seconds);
    let gap = "the idle gap: compare it with the client's, its pool's or the load balancer's \
               idle timeout";
    if r.after_fin {
        format!(
            "Keep-alive race: the server closed the connection with FIN {idle} after the last \
             bytes before it ({gap}), and the client's {request} arrived {} after that FIN, \
             crossing it; a socket that has closed answers new data with RST.",
            seconds(-r.request_to_close_ns())
        )
    } else {
        format!(
            "Keep-alive race: the client's {request} reached the server {} before its RST, and \
             the server never answered it: it closed the connection {idle} after the last \
             bytes before the request ({gap}) with the request unread, so its TCP sent RST \
             instead of FIN (RFC 2525 §2.17), and the request died with it.",
            seconds(r.request_to_close_ns())
        )
    }
}

/// The fix.
pub fn fix(d: &Diagnosis) -> String {
    if let Cause::NoSocket {
        lost_state: Some((_, silent)),
        ..
    } = d.cause
    {
        return format!(
            "find why the {s} lost the connection: a restart, crash or failover at that time, or \
             an idle timeout (the {s}'s, or a load balancer's or NAT's in front of it) shorter \
             than the {} it sat idle; a client that reuses idle connections must expect this and \
             retry only idempotent requests on a new one (RFC 9110 §9.2.2), or close them before \
             the shortest idle timeout on the path",
            seconds(silent),
            s = d.rst.sender
        );
    }
    match &d.cause {
        Cause::ClosedWithUnreadData { .. } => {
            "read the request to its end before closing, or half-close (shutdown SHUT_WR) and \
             read until the peer's FIN before close() (the lingering close, RFC 9112 §9.6)"
        }
        Cause::DataAfterClose { .. } => {
            "the peer must stop sending once told the connection closes (HTTP: a `Connection: \
             close` response); the closing side can drain for a while after its FIN (RFC 9112 \
             §9.6)"
        }
        Cause::NoSocket { .. } => {
            "compare the idle timeouts along the path (NAT, firewall, load balancer) with the \
             connection's idle time; TCP keep-alive probes shorter than the smallest keep the \
             state alive"
        }
        Cause::Refused => "start the server, or correct the address or port",
        Cause::LingerZeroAbort => {
            "close with FIN: drop SO_LINGER {on, 0}, and read what the peer sent before closing"
        }
        Cause::KeepAliveRace(_) => {
            "make the server's idle timeout longer than the client's (or its pool's, or the \
             load balancer's), or end the connection explicitly first (`Connection: close` on \
             the last response; HTTP/2: GOAWAY); a client may retry only idempotent requests \
             (RFC 9110 §9.2.2)"
        }
        Cause::MiddleboxSuspected(_) => {
            "find the device that sent it (compare captures on both sides of the firewall, \
             load balancer or NAT: the one where the RST first appears is just past it) and \
             its idle timeout or policy"
        }
        Cause::AfterBothFins { .. } | Cause::AfterCloseNotify => "none needed",
        Cause::Unknown(UnknownShape::LoneAbort { .. }) => {
            "find the connection's earlier packets (an earlier record of the same addresses and \
             ports, or a capture begun sooner) and compare the RST's TTL with theirs"
        }
        Cause::Unknown(_) => "none known from the packets",
    }
    .into()
}

/// What the client saw.
pub fn client_saw(d: &Diagnosis) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &d.response {
        let req = r
            .request
            .as_ref()
            .map_or_else(String::new, |(m, t)| format!(" to {m} {t}"));
        parts.push(match r.acknowledged {
            Some(true) => format!(
                "every byte of the {}{req} was acknowledged by its TCP before the RST: it has \
                 the response (a Linux client can still read it after the RST)",
                r.status
            ),
            Some(false) => format!(
                "the {}{req} was not acknowledged whole before the RST: part of it may never \
                 have reached the client",
                r.status
            ),
            None => format!(
                "a {}{req} was sent; the packets cannot tell whether it arrived",
                r.status
            ),
        });
    }
    match d.unanswered.len() {
        0 => {}
        1 => parts.push("one request got no response".into()),
        n => parts.push(format!("{n} requests got no response")),
    }
    if parts.is_empty() && matches!(d.cause, Cause::Refused) {
        // As scripts/record-kernel-captures's curl run shows.
        parts.push(
            "no connection was made: connect() failed with ECONNREFUSED (curl: exit 7, \
             `Couldn't connect to server`)"
                .into(),
        );
    }
    if parts.is_empty() {
        parts.push("no HTTP response was decoded".into());
    }
    let mut s = parts.join("; ");
    if let Some(first) = s.get(..1) {
        s.replace_range(..1, &first.to_uppercase());
    }
    s + "."
}

/// One RST in full.
pub fn paragraph(d: &Diagnosis, out: &mut String) {
    let _ = writeln!(
        out,
        "{} #{} {} → {}  {} by the {}, frame {}",
        d.impact.name().to_uppercase(),
        d.id,
        d.client,
        d.server,
        d.cause.kind(),
        d.rst.sender,
        d.rst.frame
    );
    let _ = writeln!(out, "  {}", what_happened(d));
    let _ = writeln!(out, "  Why it matters: {}.", d.impact);
    let _ = writeln!(out, "  Client: {}", client_saw(d));
    words::lines(d, out);
    let _ = writeln!(out, "  Fix: {}.", fix(d));
    let _ = writeln!(
        out,
        "  Phase: {} (wirelab), {} (Cloudflare Radar). Rule: {}.",
        d.rst.phase.name(),
        d.radar,
        d.cause.kind().rule()
    );
    for e in &d.evidence {
        let _ = writeln!(out, "    frame {:>6}  {}", e.frame, e.witness);
    }
}

/// The whole terminal report: harmful paragraphs, then the uncertain
/// ones (the first [`UNCERTAIN_SHOWN`]), then the benign counted, then
/// the summary line.
pub fn render(diagnoses: &[Diagnosis], tally: &Tally) -> String {
    let mut out = String::new();
    for d in diagnoses.iter().filter(|d| d.impact.is_harmful()) {
        paragraph(d, &mut out);
        out.push('\n');
    }
    let uncertain: Vec<&Diagnosis> = diagnoses
        .iter()
        .filter(|d| matches!(d.impact, Impact::Uncertain(_)))
        .collect();
    for d in uncertain.iter().take(UNCERTAIN_SHOWN) {
        paragraph(d, &mut out);
        out.push('\n');
    }
    // From the tally: the caller may have kept only those it shows.
    if tally.uncertain > UNCERTAIN_SHOWN as u64 {
        let _ = writeln!(
            out,
            "({} more uncertain RSTs, counted below; `--format json` lists them all)\n",
            tally.uncertain - UNCERTAIN_SHOWN as u64
        );
    }
    let counted = |column: usize| -> String {
        tally
            .causes()
            .filter(|(_, n)| n[column] > 0)
            .map(|(k, n)| format!("{k} {}", n[column]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if tally.benign > 0 {
        let _ = writeln!(out, "BENIGN {}: {}", tally.benign, counted(2));
    }
    if tally.uncertain > 0 {
        let _ = writeln!(out, "UNCERTAIN {}: {}", tally.uncertain, counted(1));
    }
    if tally.harmful > 0 {
        let _ = writeln!(out, "HARMFUL {}: {}", tally.harmful, counted(0));
    }
    let _ = writeln!(
        out,
        "{} harmful, {} uncertain, {} benign RST(s) in {} connection(s) ({} without RST)",
        tally.harmful,
        tally.uncertain,
        tally.benign,
        tally.connections,
        tally.connections - tally.rsts
    );
    out
}
