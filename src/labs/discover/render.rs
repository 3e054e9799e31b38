//! The discovery lab's report for a terminal: the timeline in capture
//! order, the verdict on each connection's ending, and the witnesses.

use std::fmt::Write as _;

use super::clients::{ClientSaw, Resolver};
use super::run::DiscoverRun;
use super::timeline::{DnsSeen, TcpSeen, client_idle_ms, close_kind};
use super::verdict::Verdict;
use super::{DiscoverClient, ORIGIN_HOST};
use crate::app::quic::{QuicEnding, QuicReport};
use crate::dns_server::DnsEvent;
use crate::labs::netns::Isolation;
use crate::server::Event;

/// One line of the timeline, placed by `at` (its frame, or the frame of
/// the line it belongs after) and showing `frame` when the packets gave it.
struct Line {
    at: u64,
    frame: Option<u64>,
    what: &'static str,
    text: String,
}

/// The whole report as text.
pub fn text(r: &DiscoverRun) -> String {
    let mut out = String::new();
    let o = &r.options;
    let _ = writeln!(
        out,
        "lab discover: client {}, h3-close {}, origin https://{ORIGIN_HOST}/",
        o.client.as_str(),
        o.h3_close
    );
    let _ = writeln!(
        out,
        "  DNS responder {} (UDP and TCP), server {} (TLS on TCP, HTTP/3 on UDP)",
        r.dns, r.server
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "TIMELINE  (the capture, read with the server's key log)"
    );
    for line in timeline(r) {
        let frame = line
            .frame
            .map_or_else(|| "-".to_string(), |f| format!("frame {f}"));
        let _ = writeln!(out, "  {frame:<10} {:<7} {}", line.what, line.text);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "VERDICT  {}", Verdict::of(r).words());
    for t in &r.timeline.tcp {
        let _ = writeln!(
            out,
            "  tcp    {} → {}  {}",
            t.teardown().client,
            t.teardown().server,
            t.verdict()
        );
    }
    for q in &r.timeline.quic {
        let _ = writeln!(
            out,
            "  quic   {} → {}  {}",
            q.client,
            q.server,
            quic_ending(q)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "WITNESSES");
    witnesses(&mut out, r);
    let _ = writeln!(out);
    match r.isolation {
        Isolation::PrivateNamespace => {
            let _ = writeln!(out, "note: the run had a network namespace of its own");
        }
        Isolation::Shared => {
            let _ = writeln!(
                out,
                "note: shared network namespace ({})",
                r.isolation_note.as_deref().unwrap_or("no reason given")
            );
        }
    }
    if r.dropped > 0 {
        let _ = writeln!(out, "note: libpcap dropped {} frames", r.dropped);
    }
    if let Some(k) = &r.kept {
        let _ = writeln!(
            out,
            "capture saved: {} (read it again: lab analyze {} --keylog {})",
            k.dir.display(),
            k.pcap.display(),
            k.keylog.display()
        );
    }
    out
}

fn dns_line(m: &DnsSeen) -> Line {
    let text = if let Some((rcode, records)) = &m.answer {
        let answers: Vec<String> = records.iter().map(|a| a.to_string()).collect();
        if answers.is_empty() {
            format!("answer {}: {rcode}, no records", m.question())
        } else {
            format!("answer {}", answers.join("; "))
        }
    } else {
        format!("{} asks {}", m.from, m.question())
    };
    Line {
        at: m.frame,
        frame: Some(m.frame),
        what: "DNS",
        text,
    }
}

fn tcp_lines(t: &TcpSeen, client: &ClientSaw, lines: &mut Vec<Line>) {
    let offered = t.alpn_offered().join(",");
    let status = t
        .status()
        .map_or_else(String::new, |s| format!("; response {s}"));
    let first = t.teardown().frames.first;
    lines.push(Line {
        at: first,
        frame: Some(first),
        what: "TCP",
        text: format!(
            "{} → {}: TLS, SNI {}, ALPN offered {}, chosen {}{status}",
            t.teardown().client,
            t.teardown().server,
            t.sni().unwrap_or(std::borrow::Cow::Borrowed("none")),
            if offered.is_empty() { "none" } else { &offered },
            t.alpn_chosen().as_deref().unwrap_or("unknown"),
        ),
    });
    // Alt-Svc travels inside TLS: the analyzer reads it with the key log.
    // Without it, the client's copy stands in, and says so.
    let seen = t.alt_svc();
    if seen.is_some() || client.tcp.is_some() {
        let received = client.tcp.as_ref().and_then(|f| f.alt_svc.as_deref());
        let cache = client.tcp.as_ref().and_then(|f| f.cache_line.as_deref());
        let mut text = match (seen, received) {
            (Some(v), _) => format!("{v}  (in the response)"),
            (None, Some(v)) => format!("{v}  (as the client received it)"),
            (None, None) => "none in the response".into(),
        };
        if let Some(c) = cache {
            text.push_str(&format!("; curl's cache: {c}"));
        }
        lines.push(Line {
            at: first,
            frame: None,
            what: "Alt-Svc",
            text,
        });
    }
}

fn quic_lines(q: &QuicReport, lines: &mut Vec<Line>) {
    let params = q.transport_parameters.len();
    let idle =
        client_idle_ms(q).map_or_else(String::new, |ms| format!(", max_idle_timeout {ms} ms"));
    lines.push(Line {
        at: q.first_frame,
        frame: Some(q.first_frame),
        what: "QUIC",
        text: format!(
            "{} → {}: Initial v{}, DCID {}, SNI {}, ALPN offered {}, {params} transport parameters{idle}",
            q.client,
            q.server,
            q.version.map_or_else(|| "?".into(), |v| v.to_string()),
            q.original_dcid,
            q.sni.as_deref().unwrap_or("none"),
            if q.alpn_offered.is_empty() {
                "none".into()
            } else {
                q.alpn_offered.join(",")
            },
        ),
    });
    if let Some(frame) = q.handshake_done {
        lines.push(Line {
            at: frame,
            frame: Some(frame),
            what: "QUIC",
            text: format!(
                "HANDSHAKE_DONE: ALPN chosen {}",
                q.alpn.as_deref().unwrap_or("unknown")
            ),
        });
    }
    for e in q.http3.iter().flat_map(|h| &h.exchanges) {
        let frame = e.response_frame.or(e.request_frame);
        lines.push(Line {
            at: frame.unwrap_or(q.first_frame),
            frame,
            what: "HTTP/3",
            text: format!(
                "stream {}: {} {} → {}, {} body bytes",
                e.stream,
                e.method.as_deref().unwrap_or("?"),
                e.path.as_deref().unwrap_or("?"),
                e.status
                    .map_or_else(|| "no response".into(), |s| s.to_string()),
                e.response_body
            ),
        });
    }
    for g in q.http3.iter().flat_map(|h| &h.goaway) {
        lines.push(Line {
            at: g.frame,
            frame: Some(g.frame),
            what: "HTTP/3",
            text: format!("GOAWAY from the {} (id {})", side(g.by), g.id),
        });
    }
    let end_frame = q
        .close
        .as_ref()
        .map(|c| c.frame)
        .or(q.stateless_reset.as_ref().map(|s| s.frame))
        .or(q.icmp.as_ref().map(|i| i.frame));
    lines.push(Line {
        at: end_frame.unwrap_or(u64::MAX),
        frame: end_frame,
        what: "QUIC",
        text: format!("ending: {}", quic_ending(q)),
    });
}

fn side(s: crate::proto::quic::Side) -> &'static str {
    match s {
        crate::proto::quic::Side::Client => "client",
        crate::proto::quic::Side::Server => "server",
    }
}

/// A QUIC connection's ending, in the analyzer's words and the lab's.
pub fn quic_ending(q: &QuicReport) -> String {
    let what = match q.ending {
        QuicEnding::ConnectionClose => match &q.close {
            Some(c) => format!(
                "connection_close by the {}: {}{}, frame {}",
                side(c.by),
                q.close_name().unwrap_or_default(),
                if c.close.reason.is_empty() {
                    String::new()
                } else {
                    format!(" reason {:?}", c.close.reason)
                },
                c.frame
            ),
            None => "connection_close".into(),
        },
        QuicEnding::StatelessReset => match &q.stateless_reset {
            Some(s) => format!(
                "stateless_reset by the {} (its token matched), frame {}",
                side(s.by),
                s.frame
            ),
            None => "stateless_reset".into(),
        },
        QuicEnding::IdleTimeout => format!(
            "idle_timeout: silent past {} ms, nothing sent to end it",
            q.idle_timeout_ms.unwrap_or(0)
        ),
        other => other.name().to_string(),
    };
    match close_kind(q) {
        Some(k) => format!("{what} ({k})"),
        None => what,
    }
}

fn timeline(r: &DiscoverRun) -> Vec<Line> {
    let mut lines: Vec<Line> = r.timeline.dns.iter().map(dns_line).collect();
    for t in &r.timeline.tcp {
        tcp_lines(t, &r.client, &mut lines);
    }
    for q in &r.timeline.quic {
        quic_lines(q, &mut lines);
    }
    // Capture order; the sort is stable, so a line placed at the frame of
    // the one it follows stays after it, and an ending without a frame
    // (an idle timeout is silence) comes last.
    lines.sort_by_key(|l| l.at);
    lines
}

fn witnesses(out: &mut String, r: &DiscoverRun) {
    let t = &r.timeline;
    let _ = writeln!(
        out,
        "  packets  {} DNS messages, {} TCP and {} QUIC connections to the server",
        t.dns.len(),
        t.tcp.len(),
        t.quic.len()
    );
    for tcp in &t.tcp {
        let (state, history) = tcp.zeek();
        let _ = writeln!(
            out,
            "           tcp {}, Zeek conn_state {}, history {}",
            tcp.teardown().ending,
            state.name(),
            history
        );
    }
    client(out, &r.client);
    // TCP's lines, then QUIC's, as the packets list them: the two are served
    // by different threads, so the log's own order of a TCP close and a
    // QUIC handshake is a scheduling race (seen both ways under load).
    let tcp = r.server_log.iter().filter_map(|rec| match &rec.event {
        Event::Closed { end, .. } => Some(format!("tcp closed: {end}")),
        _ => None,
    });
    let quic = r.server_log.iter().filter_map(|rec| match &rec.event {
        Event::Quic(q) => server_quic_line(q),
        _ => None,
    });
    for line in tcp.chain(quic) {
        let _ = writeln!(out, "  server   {line}");
    }
    for rec in &r.dns_log {
        if let DnsEvent::Query {
            transport,
            question: Some(q),
            rcode: Some(rcode),
            answers,
            ..
        } = &rec.event
        {
            let _ = writeln!(
                out,
                "  dns      {transport} query {} {}: {rcode}, {answers} answer{}",
                q.name,
                q.qtype,
                if *answers == 1 { "" } else { "s" }
            );
        }
    }
}

/// The server's QUIC events, as its log words them, without time and
/// peer port.
fn server_quic_line(q: &crate::server::QuicEvent) -> Option<String> {
    use crate::server::QuicEvent as Q;
    Some(match q {
        Q::QuicHandshake { alpn, sni, .. } => format!(
            "quic-handshake alpn={alpn} sni={}",
            sni.as_deref().unwrap_or("-")
        ),
        Q::H3Stream {
            id,
            method,
            target,
            status,
            body_bytes,
            ..
        } => format!("stream id={id} {method} {target} status={status} body_bytes={body_bytes}"),
        Q::H3Goaway { dir, id } => format!("h3-goaway dir={dir} id={id}"),
        Q::ConnectionClose { by, code, name, .. } => {
            format!("connection-close by={by} code=0x{code:x} name={name}")
        }
        Q::IdleTimeout { .. } => "idle-timeout".into(),
        Q::EndpointRestart { forgot } => format!("endpoint-restart forgot={forgot}"),
        Q::StatelessReset { bytes, .. } => format!("stateless-reset dir=sent bytes={bytes}"),
        _ => return None,
    })
}

fn client(out: &mut String, c: &ClientSaw) {
    let name = match c.kind {
        DiscoverClient::Own => "own (wirelab::client)",
        DiscoverClient::Gtlsclient => "gtlsclient",
        DiscoverClient::Aioquic => "aioquic (scripts/clients/aioquic_get.py)",
        DiscoverClient::Curl => "curl",
        DiscoverClient::Dig => "dig",
    };
    let exit = c.exit.map_or_else(String::new, |e| format!(" (exit {e})"));
    let _ = writeln!(out, "  client   {name}{exit}");
    let by = match c.resolver {
        Resolver::Itself => "it resolved with the project's DNS code",
        Resolver::Lab => "the lab resolved for it (it reads no HTTPS record)",
        Resolver::Dig => "it asked",
    };
    let _ = writeln!(out, "           DNS: {by}: {} answers", c.answers.len());
    for a in &c.answers {
        let _ = writeln!(out, "             {a}");
    }
    if let Some(at) = c.endpoint {
        let _ = writeln!(
            out,
            "           sent to {at} (the records' address and port)"
        );
    }
    if let Some(f) = &c.tcp {
        let _ = writeln!(
            out,
            "           TCP: status {}, ALPN {}, Alt-Svc {}",
            f.status.map_or_else(|| "none".into(), |s| s.to_string()),
            f.alpn.as_deref().unwrap_or("none"),
            f.alt_svc.as_deref().unwrap_or("none")
        );
        if let Some(line) = &f.cache_line {
            let _ = writeln!(out, "           alt-svc cache: {line}");
        }
    }
    if let Some(h) = &c.h3 {
        let body = h
            .body_bytes
            .map_or_else(String::new, |n| format!(", {n} body bytes"));
        let _ = writeln!(
            out,
            "           HTTP/3: ALPN {}, status {}{body}",
            h.alpn.as_deref().unwrap_or("none"),
            h.status.map_or_else(|| "none".into(), |s| s.to_string()),
        );
        let _ = writeln!(
            out,
            "           QUIC ended: {}",
            h.ending.as_deref().unwrap_or("not said")
        );
    }
    if let Some(e) = &c.error {
        let _ = writeln!(out, "           error: {e}");
    }
}
