//! A QUIC connection's ladder in words: each step's label (the ladder's
//! arrows and `--frames`' lines), the verdict note, and the comments of
//! the annotated copy. The close and the other endings are worded by the
//! table's own sentences, so that the three say the same thing.
//!
//! QUIC has no FIN and no RST (RFC 9000 §10): a connection ends with a
//! CONNECTION_CLOSE frame, a stateless reset, an idle timeout, or not at
//! all within the capture, and every label here names which.

use crate::app::quic::{QuicEnding, QuicLadder, QuicMark, QuicReport, QuicStep};
use crate::proto::quic::Side;
use crate::proto::tls::{HandshakeType, names};

use super::table::quic::{close_sentence, ending_sentences, who};

/// What one mark says.
fn mark(q: &QuicReport, m: &QuicMark) -> String {
    match m {
        QuicMark::FirstInitial => "Initial".to_owned(),
        QuicMark::Crypto { packet, messages } => {
            let words: Vec<String> = messages.iter().map(|t| message(q, *t)).collect();
            format!("{} {}", packet.name(), words.join(", "))
        }
        QuicMark::Sealed(kind) => format!("{} (not opened)", kind.name()),
        QuicMark::VersionNegotiation => {
            let vs: Vec<String> = q
                .negotiation
                .iter()
                .flatten()
                .map(ToString::to_string)
                .collect();
            format!("Version Negotiation: {}", vs.join(", "))
        }
        QuicMark::Retry => match &q.retry {
            Some(r) => format!("Retry (token {} bytes)", r.token_len),
            None => "Retry".to_owned(),
        },
        QuicMark::HandshakeDone => "HANDSHAKE_DONE (handshake confirmed)".to_owned(),
        QuicMark::Settings => "HTTP/3 SETTINGS".to_owned(),
        QuicMark::Request { stream } => {
            let x = exchange(q, *stream);
            format!(
                "HTTP/3 stream {stream}: {} {}{}",
                x.and_then(|x| x.method.as_deref()).unwrap_or("?"),
                x.and_then(|x| x.authority.as_deref()).unwrap_or(""),
                x.and_then(|x| x.path.as_deref()).unwrap_or("?")
            )
        }
        QuicMark::Response { stream } => match exchange(q, *stream) {
            Some(x) if x.status.is_some() => format!(
                "HTTP/3 stream {stream}: {} (body {} bytes)",
                x.status.unwrap_or_default(),
                x.response_body
            ),
            _ => format!("HTTP/3 stream {stream}: response"),
        },
        QuicMark::Goaway { id } => format!("HTTP/3 GOAWAY (id {id})"),
        QuicMark::Close => close_label(q),
        QuicMark::StatelessReset => match &q.stateless_reset {
            Some(r) => format!(
                "stateless reset: a short header ending in the {}'s token",
                who(r.by)
            ),
            None => "stateless reset".to_owned(),
        },
        QuicMark::Icmp => match &q.icmp {
            Some(i) => format!(
                "ICMP {} from {} (the {}'s datagram)",
                i.kind.name(),
                i.reporter,
                who(i.about)
            ),
            None => "ICMP".to_owned(),
        },
    }
}

/// A handshake message, with what it says that matters here.
fn message(q: &QuicReport, t: HandshakeType) -> String {
    match t {
        HandshakeType::ClientHello => {
            let mut parts = Vec::new();
            if let Some(sni) = &q.sni {
                parts.push(format!("SNI {sni}"));
            }
            if !q.alpn_offered.is_empty() {
                parts.push(format!("ALPN {}", q.alpn_offered.join(",")));
            }
            if parts.is_empty() {
                "ClientHello".to_owned()
            } else {
                format!("ClientHello ({})", parts.join(", "))
            }
        }
        HandshakeType::ServerHello => match &q.server_hello {
            Some(h) => format!("ServerHello ({})", names::cipher_suite(h.cipher_suite)),
            None => "ServerHello".to_owned(),
        },
        HandshakeType::EncryptedExtensions => match &q.alpn {
            Some(a) => format!("EncryptedExtensions (ALPN {a})"),
            None => "EncryptedExtensions".to_owned(),
        },
        t => t.to_string(),
    }
}

fn exchange(q: &QuicReport, stream: u64) -> Option<&crate::app::h3::H3Exchange> {
    q.http3
        .as_ref()
        .and_then(|h| h.exchanges.iter().find(|x| x.stream == stream))
}

/// The close as an arrow's label: which CONNECTION_CLOSE (RFC 9000
/// §19.19: 0x1c for QUIC's own errors, 0x1d for the application's), its
/// code's name and reason.
fn close_label(q: &QuicReport) -> String {
    let Some(c) = &q.close else {
        return "CONNECTION_CLOSE".to_owned();
    };
    let name = q.close_name().unwrap_or_default();
    // An application's code name says "application" already.
    let mut s = if c.close.application {
        format!("CONNECTION_CLOSE {name}")
    } else {
        format!("CONNECTION_CLOSE (transport) {name}")
    };
    if !c.close.reason.is_empty() {
        s.push_str(&format!(", reason {:?}", c.close.reason));
    }
    s
}

/// A step's label: its marks joined by " · ".
pub fn step_label(q: &QuicReport, s: &QuicStep) -> String {
    // The first Initial is named by its ClientHello when that completed in
    // the same packet.
    let named = s.marks.iter().any(|m| matches!(m, QuicMark::Crypto { .. }));
    let words: Vec<String> = s
        .marks
        .iter()
        .filter(|m| !(named && **m == QuicMark::FirstInitial))
        .map(|m| mark(q, m))
        .collect();
    words.join(" · ")
}

/// The silence after the last packet, when the capture went on past the
/// idle timeout (RFC 9000 §10.1) and nothing closed: the table's sentence.
pub fn silence(q: &QuicReport) -> Option<String> {
    if q.close.is_some() || !q.silent_past_idle {
        return None;
    }
    ending_sentences(q)
        .into_iter()
        .find(|l| l.starts_with("silent past"))
}

/// The verdict in one line, worded as the table words it: `QUIC N ended
/// ENDING`, then the close's and the other endings' sentences.
pub fn verdict(n: usize, q: &QuicReport) -> String {
    let mut line = format!("QUIC {n} ended {}", q.ending.name());
    for s in close_sentence(q).into_iter().chain(ending_sentences(q)) {
        line.push_str("; ");
        line.push_str(&s);
    }
    line
}

/// `--frames`' lines for one connection, as TCP's: frame, direction,
/// label; the silence and the steps left out last.
pub fn frame_lines(l: &QuicLadder, q: &QuicReport) -> Vec<String> {
    let mut out: Vec<String> = l
        .steps
        .iter()
        .map(|s| {
            // An ICMP error comes from a host or router, to the side
            // whose datagram it quotes (drawn from the unreachable side).
            let arrow = match (s.from, s.marks.contains(&QuicMark::Icmp)) {
                (Side::Server, true) => "client ← ICMP  ",
                (Side::Client, true) => "ICMP   → server",
                (Side::Client, false) => "client → server",
                (Side::Server, false) => "client ← server",
            };
            format!("frame {:>6}  {arrow}  {}", s.frame, step_label(q, s))
        })
        .collect();
    if let Some(text) = silence(q) {
        out.push(format!("after frame {}: {text}", l.last_frame));
    }
    if l.dropped > 0 {
        out.push(format!("({} more frames not shown)", l.dropped));
    }
    out
}

/// The frame whose packet settled the verdict, if one did: the close, the
/// stateless reset, the ICMP error, or for an idle timeout the last packet.
pub fn deciding_frame(q: &QuicReport) -> Option<u64> {
    match q.ending {
        QuicEnding::ConnectionClose => q.close.as_ref().map(|c| c.frame),
        QuicEnding::StatelessReset => q.stateless_reset.as_ref().map(|r| r.frame),
        QuicEnding::IcmpUnreachable => q.icmp.as_ref().map(|i| i.frame),
        QuicEnding::IdleTimeout => q.ladder.as_ref().map(|l| l.last_frame),
        QuicEnding::VersionNegotiation | QuicEnding::UnknownEncrypted | QuicEnding::Open => None,
    }
}

/// (frame, comment) for the annotated copy: the close, the stateless reset
/// and the ICMP error each get a line, the deciding frame also the
/// verdict; every comment starts with `wirelab QUIC N`.
pub fn frame_comments(n: usize, q: &QuicReport) -> Vec<(u64, String)> {
    let mut marks = Vec::new();
    if let Some(c) = &q.close {
        marks.push((c.frame, format!("{} by the {}", close_label(q), who(c.by))));
    }
    if let Some(r) = &q.stateless_reset {
        marks.push((r.frame, mark(q, &QuicMark::StatelessReset)));
    }
    if let Some(i) = &q.icmp {
        marks.push((i.frame, mark(q, &QuicMark::Icmp)));
    }
    let decider = deciding_frame(q);
    if let Some(d) = decider
        && !marks.iter().any(|(f, _)| *f == d)
    {
        // The idle timeout's last packet: the silence starts after it.
        marks.push((d, silence(q).unwrap_or_default()));
    }
    let mut out: Vec<(u64, String)> = marks
        .into_iter()
        .map(|(frame, what)| {
            let mut line = format!("wirelab QUIC {n} {} → {}: {what}", q.client, q.server);
            if decider == Some(frame) {
                line.push_str(&format!("; the connection ended {}", q.ending.name()));
            }
            (frame, line)
        })
        .collect();
    out.sort_by_key(|e| e.0);
    out
}
