//! The table format's QUIC section: a few sentences per QUIC connection
//! under the TCP table (the flow table keeps no UDP flows, so QUIC has no
//! row there).

use std::fmt::Write as _;

use crate::app::quic::{PacketCounts, QuicReport};
use crate::proto::quic::{Side, TransportParameter};
use crate::proto::tls::names;

pub(crate) fn who(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

fn counts(c: &PacketCounts) -> String {
    let parts: Vec<String> = [
        (c.initial, "Initial"),
        (c.zero_rtt, "0-RTT"),
        (c.handshake, "Handshake"),
        (c.one_rtt, "1-RTT"),
        (c.retry, "Retry"),
        (c.version_negotiation, "Version Negotiation"),
        (c.unknown_version, "of an unknown version"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}"))
    .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The parameters worth a glance; the JSON has them all.
pub(super) fn params(ps: &[TransportParameter]) -> String {
    use TransportParameter as P;
    let parts: Vec<String> = ps
        .iter()
        .filter(|p| {
            matches!(
                p,
                P::MaxIdleTimeout(_)
                    | P::InitialMaxData(_)
                    | P::InitialMaxStreamsBidi(_)
                    | P::InitialMaxStreamsUni(_)
                    | P::MaxUdpPayloadSize(_)
                    | P::DisableActiveMigration
                    | P::StatelessResetToken(_)
            )
        })
        .map(|p| match p {
            P::DisableActiveMigration | P::GreaseQuicBit => p.name(),
            _ => format!("{} {}", p.name(), p.value()),
        })
        .collect();
    parts.join(", ")
}

fn connection(n: usize, q: &QuicReport) -> String {
    let mut s = String::new();
    let version = q.version.map_or_else(|| "?".to_owned(), |v| v.to_string());
    let _ = writeln!(
        s,
        "QUIC {n}: {} → {}, version {version}, first frame {}: {}",
        q.client,
        q.server,
        q.first_frame,
        q.ending.name()
    );
    let scid = |c: &Option<_>| {
        c.as_ref().map_or_else(
            || "?".to_owned(),
            |c: &crate::proto::quic::ConnectionId| c.to_string(),
        )
    };
    let _ = writeln!(
        s,
        "  client DCID {} SCID {}, server SCID {}",
        q.original_dcid,
        scid(&q.client_scid),
        scid(&q.server_scid)
    );
    if let Some(vs) = &q.negotiation {
        let vs: Vec<String> = vs.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            s,
            "  Version Negotiation: the server offers {}",
            vs.join(", ")
        );
    }
    if let Some(r) = &q.retry {
        let _ = writeln!(
            s,
            "  Retry (frame {}): token {} bytes, new DCID {}, integrity tag {}",
            r.frame,
            r.token_len,
            r.scid,
            if r.tag_valid { "valid" } else { "INVALID" }
        );
    }
    if q.sni.is_some() || !q.alpn_offered.is_empty() {
        let _ = writeln!(
            s,
            "  ClientHello: SNI {}, ALPN offered {}",
            q.sni.as_deref().unwrap_or("(none)"),
            if q.alpn_offered.is_empty() {
                "(none)".to_owned()
            } else {
                q.alpn_offered.join(",")
            }
        );
    }
    let p = params(&q.transport_parameters);
    if !p.is_empty() {
        let _ = writeln!(s, "  client transport parameters: {p}");
    }
    if let Some(h) = &q.server_hello {
        let _ = writeln!(
            s,
            "  ServerHello: {}, {}",
            h.version,
            names::cipher_suite(h.cipher_suite)
        );
    }
    super::quic_keyed::keyed(&mut s, q);
    let _ = writeln!(
        s,
        "  packets: client {}; server {}{}",
        counts(&q.client_packets),
        counts(&q.server_packets),
        if q.handshake_completed {
            "; handshake completed (1-RTT both ways)"
        } else {
            ""
        }
    );
    if let Some(line) = close_sentence(q) {
        let _ = writeln!(s, "  {line}");
    }
    super::quic_keyed::endings(&mut s, q);
    for p in &q.problems {
        let _ = writeln!(
            s,
            "  frame {} from the {}: {}",
            p.frame,
            who(p.from),
            p.error
        );
    }
    // `--frames`: the packets worth naming, as TCP's ladder lines.
    if let Some(l) = q.ladder.as_deref() {
        for line in crate::report::quic_steps::frame_lines(l, q) {
            let _ = writeln!(s, "    {line}");
        }
    }
    s
}

/// The close in one sentence, as the table's line says it (the ladder's
/// note and the annotated copy's comment say it the same way).
pub(crate) fn close_sentence(q: &QuicReport) -> Option<String> {
    let c = q.close.as_ref()?;
    let mut line = format!(
        "CONNECTION_CLOSE (0x{}) by the {} in {} packet (frame {}): {}",
        if c.close.application { "1d" } else { "1c" },
        who(c.by),
        c.packet.with_article(),
        c.frame,
        q.close_name().unwrap_or_default()
    );
    if let Some(ft) = c.close.frame_type.filter(|&t| t != 0) {
        let _ = write!(line, ", caused by a frame of type 0x{ft:x}");
    }
    if !c.close.reason.is_empty() {
        let _ = write!(line, ", reason {:?}", c.close.reason);
    }
    Some(line)
}

/// The sentences after the close (a stateless reset, an ICMP error, the
/// silence past the idle timeout), without their indent.
pub(crate) fn ending_sentences(q: &QuicReport) -> Vec<String> {
    let mut s = String::new();
    super::quic_keyed::endings(&mut s, q);
    s.lines().map(|l| l.trim().to_owned()).collect()
}

/// The section: empty when the capture had no QUIC (in scope); each
/// connection with its number in the capture.
pub fn section<'a>(quic: impl Iterator<Item = (usize, &'a QuicReport)>) -> String {
    quic.map(|(n, q)| connection(n, q)).collect()
}
