//! The table format's account of what each decoded connection carried:
//! its protocol, its exchanges and how each ended, what a RST destroyed,
//! and (with `--frames`) its ladder. Plain sentences under the table, so
//! the table keeps its columns.

use std::fmt::Write as _;

use crate::app::tls::{AlpnChosen, InnerChosenBy, TlsClose, TlsReport};
use crate::app::{AppReport, Direction, ExchangeOutcome, ExchangeReport, RstReport};
use crate::flow::RstPhase;
use crate::proto::tls::names;
use crate::teardown::{Ending, Reset, Role, Teardown};

use super::ConnectionReport;

fn who(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client",
        Direction::ServerToClient => "server",
    }
}

/// `GET /a → 200` or `GET /a → no response`.
fn exchange_text(e: &ExchangeReport) -> String {
    exchange_text_in(e, false)
}

/// As [`exchange_text`]; `refused`: the connection is a preface answered in
/// HTTP/1.x, whose HTTP/1 response has the preface for a request.
fn exchange_text_in(e: &ExchangeReport, refused: bool) -> String {
    let mut s = String::new();
    if let Some(id) = e.stream {
        let _ = write!(s, "stream {id}: ");
    }
    match (&e.method, &e.target) {
        (Some(m), Some(t)) => {
            let _ = write!(s, "{m} {t}");
        }
        _ if refused && e.stream.is_none() => s.push_str("the HTTP/2 preface (PRI * HTTP/2.0)"),
        _ => s.push_str("(no request seen)"),
    }
    match e.status {
        Some(code) => {
            let _ = write!(s, " → {code}");
        }
        None => s.push_str(" → no response"),
    }
    s
}

fn outcome_text(o: ExchangeOutcome) -> String {
    match o {
        ExchangeOutcome::Complete => "complete".into(),
        ExchangeOutcome::CutByRst(d) => format!("cut by the {}'s RST", who(d)),
        ExchangeOutcome::CutByFin(d) => format!("cut by the {}'s FIN", who(d)),
        ExchangeOutcome::CutByCaptureEnd => "cut by the end of the capture".into(),
        ExchangeOutcome::NeverAnswered => "never answered".into(),
        ExchangeOutcome::StreamReset(d, code) => {
            format!("stream reset by the {} (RST_STREAM {code})", who(d))
        }
        ExchangeOutcome::Undecoded => "not decoded to its end".into(),
        ExchangeOutcome::InProgress => "still in progress".into(),
    }
}

fn delivered_text(d: Option<bool>, rst: bool) -> &'static str {
    match (d, rst) {
        (Some(true), true) => "; the client acknowledged the whole response before the RST",
        (Some(true), false) => "; the client acknowledged the whole response",
        (Some(false), true) => "; the client had NOT acknowledged the whole response at the RST",
        (Some(false), false) => "; the client never acknowledged the whole response",
        (None, _) => "",
    }
}

/// What a TLS handshake showed without keys, in three to six lines.
fn tls_text(t: &TlsReport, ending: Ending, out: &mut String) {
    let offered: Vec<String> = t.versions_offered().map(|v| v.to_string()).collect();
    match (t.version, t.cipher_suite) {
        (Some(v), Some(suite)) => {
            let _ = write!(out, "  TLS: {v}, {}", names::cipher_suite(suite));
        }
        _ if offered.is_empty() => out.push_str("  TLS: no ClientHello read"),
        _ => {
            let _ = write!(
                out,
                "  TLS: no ServerHello (offered {})",
                offered.join(", ")
            );
        }
    }
    if let Some(sni) = t.sni() {
        let _ = write!(out, ", SNI {sni}");
    }
    if t.hello_retry_request {
        out.push_str(", after a HelloRetryRequest");
    }
    out.push('\n');
    if let Some(list) = t.alpn_offered() {
        let list: Vec<_> = list.collect();
        let _ = write!(out, "  ALPN offered: {}", list.join(", "));
        match &t.alpn_chosen {
            Some(AlpnChosen::Clear(p)) => {
                let _ = write!(out, "; the server chose {p} (in the clear ServerHello)");
            }
            Some(AlpnChosen::Decrypted(p)) => {
                let _ = write!(out, "; the server chose {p} (in EncryptedExtensions)");
            }
            Some(AlpnChosen::NotNegotiated) => out.push_str("; the server chose none"),
            Some(AlpnChosen::Encrypted) => out.push_str(
                "; the choice is unknown (TLS 1.3 sends it in EncryptedExtensions: encrypted)",
            ),
            None => {}
        }
        out.push('\n');
    }
    if let Some(n) = &t.npn {
        match &n.server_list {
            Some(list) => {
                let _ = write!(out, "  NPN: the server listed {}", list.join(", "));
            }
            None => out.push_str("  NPN: offered by the client, not answered by the server"),
        }
        match &n.chosen {
            Some(p) => {
                let _ = write!(
                    out,
                    "; the client chose {p} (NextProtocol, encrypted: read with the key log)"
                );
            }
            None if n.client_choice_encrypted => {
                out.push_str("; the client's choice went encrypted (NextProtocol)");
            }
            None => {}
        }
        out.push('\n');
    }
    for a in &t.alerts {
        let _ = writeln!(
            out,
            "  alert in the clear from the {}: {} {} ({})",
            who(a.sender),
            a.level,
            a.description,
            a.description.0
        );
    }
    let [c, s] = t.encrypted;
    if c.records + s.records > 0 {
        let _ = writeln!(
            out,
            "  encrypted: client {} records ({} bytes), server {} records ({} bytes)",
            c.records, c.bytes, s.records, s.bytes
        );
    }
    if let Some(k) = &t.keys {
        let _ = write!(out, "  keys: {}", k.status.text());
        match &k.problem {
            Some(p) => {
                let _ = writeln!(out, " ({p})");
            }
            None => {
                let _ = writeln!(
                    out,
                    " (decrypted: client {} records, server {})",
                    k.opened[0], k.opened[1]
                );
            }
        }
    }
    if let Some(inner) = &t.inner {
        let by = match inner.chosen_by {
            InnerChosenBy::Alpn => "chosen by ALPN",
            InnerChosenBy::Sniffed => "no ALPN: read from the decrypted bytes",
            InnerChosenBy::AgainstAlpn => {
                "the client's first bytes belie the ALPN choice: read as they came"
            }
        };
        let _ = writeln!(out, "  inside: {} ({by})", inner.protocol.name());
    }
    if let Some(close) = &t.close {
        let _ = writeln!(
            out,
            "  TLS ending: {}{}",
            tls_ending(close, ending),
            closing_frames(close)
        );
    }
}

/// Which frames carried the closing alerts, in frame order: ` · close_notify:
/// server in frame 14, client in frame 16`.
fn closing_frames(close: &TlsClose) -> String {
    let mut at: Vec<(u64, &str)> = close
        .frames()
        .into_iter()
        .zip(["client", "server"])
        .filter_map(|(f, who)| f.map(|f| (f, who)))
        .collect();
    if at.is_empty() {
        return String::new();
    }
    at.sort_unstable();
    let what = match close {
        TlsClose::Alert(_) => "the alert",
        _ => "close_notify",
    };
    let list: Vec<String> = at
        .iter()
        .map(|(f, who)| format!("{who} in frame {f}"))
        .collect();
    format!(" · {what}: {}", list.join(", "))
}

/// The teardown verdict in TLS's terms: did close_notify (RFC 8446 §6.1)
/// come before TCP's FIN or RST?
pub(crate) fn tls_ending(close: &TlsClose, ending: Ending) -> String {
    let tcp = match ending {
        Ending::Fin | Ending::HalfClosed => "FIN",
        Ending::Rst => "RST",
        Ending::Refused | Ending::Open | Ending::Unanswered => "no TCP ending",
    };
    match (close, tcp) {
        (TlsClose::Alert(a), _) => format!(
            "alert {} from the {}, then {tcp} (the handshake or the connection failed)",
            a.description,
            who(a.sender)
        ),
        (TlsClose::Unknown, _) => format!(
            "{tcp}; whether close_notify came first is unknown (alerts encrypted, no usable keys)"
        ),
        // The server's close_notify is what vouches for the response's
        // end (RFC 8446 §6.1): without it, the client cannot tell a
        // whole response from a cut one.
        (TlsClose::CloseNotify([Some(_), None]), "FIN" | "RST") => format!(
            "{tcp} after close_notify by the client only; none from the server (truncation: \
             a client must treat the response as possibly incomplete)"
        ),
        (TlsClose::CloseNotify(_), "RST") => {
            "RST after close_notify (benign: the application had finished)".into()
        }
        (TlsClose::CloseNotify([Some(_), Some(_)]), "FIN") => {
            "FIN after close_notify both ways (clean)".into()
        }
        (TlsClose::CloseNotify(_), "FIN") => {
            "FIN after close_notify by the server only (the client closed without one)".into()
        }
        (TlsClose::None, "FIN") => "FIN without close_notify (truncation: a client must treat \
                                    the response as possibly incomplete)"
            .into(),
        (TlsClose::None, "RST") => {
            "RST without close_notify (truncation: the TLS stream was cut)".into()
        }
        (c, _) => format!("{}; {tcp}", c.text()),
    }
}

fn rst_text(r: &Reset, rep: Option<&RstReport>, app: &AppReport, out: &mut String) {
    let sender = r.sender.name();
    let peer = match r.sender {
        Role::Client => "server",
        Role::Server => "client",
    };
    let _ = write!(out, "  {sender} RST at frame {}: ", r.frame);
    let Some(rep) = rep else {
        out.push_str("what it destroyed cannot be told from these packets\n");
        return;
    };
    let list = |v: &[usize]| {
        v.iter()
            .filter_map(|&i| {
                app.exchanges()
                    .get(i)
                    .map(|e| format!("#{} {}", i + 1, exchange_text(e)))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match rep.loss.lost_bytes {
        Some(0) => {
            let _ = write!(
                out,
                "everything it sent had been acknowledged by the {peer}"
            );
        }
        Some(n) => {
            let _ = write!(
                out,
                "{n} bytes it sent were never acknowledged by the {peer} (they may never be read)"
            );
            if !rep.lost_in.is_empty() {
                let _ = write!(out, ", from {}", list(&rep.lost_in));
            }
        }
        None => out.push_str("what it had sent is unknown (its start was not captured)"),
    }
    match rep.loss.unacked_bytes {
        Some(0) | None => {}
        Some(n) => {
            let _ = write!(
                out,
                "; {n} bytes from the {peer} had arrived without being acknowledged"
            );
            if !rep.unacked_in.is_empty() {
                let _ = write!(out, " ({})", list(&rep.unacked_in));
            }
        }
    }
    out.push('\n');
    if r.phase == RstPhase::UnreadData && rep.loss.unacked_bytes == Some(0) {
        let _ = writeln!(
            out,
            "    (the {sender}'s kernel had acknowledged what arrived; whether its application read it \
             is invisible on the wire)"
        );
    }
}

/// The lines for one connection, or nothing when it was not decoded or
/// carried no payload; its ladder too when it has one and `ladder` asks.
pub fn connection(c: &ConnectionReport, ladder: bool) -> String {
    let mut out = String::new();
    let Some(app) = c.app.as_deref() else {
        return out;
    };
    let t: &Teardown = &c.teardown;
    let Some(conv) = &app.conversation else {
        return out;
    };
    let _ = writeln!(
        out,
        "#{} {} → {}  {}",
        c.id,
        t.client,
        t.server,
        conv.protocol.name()
    );
    let rst = t.first_rst.is_some();
    let refused = conv.protocol == crate::app::Protocol::H2PrefaceRefused;
    for (n, (e, d)) in conv.exchanges.iter().zip(&app.delivered).enumerate() {
        let _ = write!(
            out,
            "  {}. {}: {}",
            n + 1,
            exchange_text_in(e, refused),
            outcome_text(e.outcome)
        );
        out.push_str(delivered_text(*d, rst));
        if e.outcome == ExchangeOutcome::CutByRst(Direction::ServerToClient) && e.status.is_none() {
            out.push_str(" (most likely unread when the server closed)");
        }
        out.push('\n');
        // Where else the origin is served (RFC 7838): how a client learns
        // of HTTP/3 before it opens a QUIC connection.
        if let Some(a) = &e.alt_svc {
            let _ = writeln!(out, "     alt-svc: {a}");
        }
    }
    if let Some(t) = &conv.tls {
        tls_text(t, c.teardown.ending, &mut out);
    }
    if let Some(h2) = &conv.http2 {
        for g in &h2.goaways {
            let _ = writeln!(
                out,
                "  GOAWAY from the {}: last stream {}, {}",
                who(g.sender),
                g.last_stream,
                g.code
            );
        }
    }
    if let Some(e) = &conv.decode_error {
        let _ = write!(
            out,
            "  decoding stopped in the {}'s bytes at offset {}: {}",
            who(e.sender),
            e.offset,
            e.reason
        );
        let snapped = app.streams[usize::from(e.sender == Direction::ServerToClient)].snapped_bytes;
        if snapped > 0 {
            let _ = write!(
                out,
                " (the capture cut {snapped} bytes off its frames: a snap length)"
            );
        }
        out.push('\n');
    }
    for (r, i) in [(t.client_rst, 0), (t.server_rst, 1)] {
        if let Some(r) = r {
            rst_text(&r, app.rst[i].as_ref(), app, &mut out);
        }
    }
    if let Some(ladder) = app.ladder.as_ref().filter(|_| ladder) {
        let mut events: Vec<(u64, String)> = ladder
            .iter()
            .map(|s| {
                let arrow = match s.sender {
                    Direction::ClientToServer => "client → server",
                    Direction::ServerToClient => "client ← server",
                };
                let labels: Vec<&str> = s.labels.iter().map(|l| l.text.as_str()).collect();
                (s.frame, format!("{arrow}  {}", labels.join(" · ")))
            })
            .collect();
        let f = &t.frames;
        let tcp = [
            (f.syn, "client → server  SYN"),
            (f.client_fin, "client → server  FIN"),
            (f.server_fin, "client ← server  FIN"),
            (f.client_rst, "client → server  RST"),
            (f.server_rst, "client ← server  RST"),
        ];
        for (frame, text) in tcp {
            if let Some(n) = frame {
                events.push((n, text.to_string()));
            }
        }
        events.sort_by_key(|e| e.0);
        for (frame, text) in events {
            let _ = writeln!(out, "    frame {frame:>6}  {text}");
        }
        if app.ladder_dropped > 0 {
            let _ = writeln!(out, "    ({} more frames not shown)", app.ladder_dropped);
        }
    }
    out
}

/// Whether `c`'s note belongs under the section: a RST came after the
/// client had acknowledged a whole response (counted where the connection
/// has lines of its own).
pub fn acked_then_rst(c: &ConnectionReport) -> bool {
    c.teardown.first_rst.is_some()
        && c.app
            .as_deref()
            .is_some_and(|a| a.delivered.contains(&Some(true)))
}

/// The note that closes the section when [`acked_then_rst`] held for a
/// connection with lines.
pub const ACKED_THEN_RST_NOTE: &str = "Acknowledged is not yet read: a Linux client still reads \
                                       the bytes queued before a RST; other stacks may discard \
                                       them.\n";
