//! The reset lab's report for a terminal: verdict, ladder, witnesses.

use std::fmt::Write as _;

use super::ladder;
use super::run::ResetRun;
use super::tls::{ServerTls, TlsRun};
use super::witness::ClientTls;
use super::{ClientKind, Proto};
use crate::flow::ConnState;
use crate::labs::netns::Isolation;

/// The whole report as text, at most 80 columns wide except for long
/// curl messages.
pub fn text(r: &ResetRun) -> String {
    let mut out = String::new();
    let v = &r.verdict;
    // HTTP/1 runs keep their header as it was; HTTP/2 has no framing knob
    // (DATA frames carry the body), so it names the protocol instead.
    let _ = match r.proto {
        Proto::H1 if let Some(p) = &r.proxy => writeln!(
            out,
            "lab reset: via {}, mode {}, framing {}, server {}",
            p.proxy.name(),
            r.mode,
            r.framing,
            r.server
        ),
        Proto::H1 if r.tls.is_some() => writeln!(
            out,
            "lab reset: TLS, mode {}, framing {}, server {}",
            r.mode, r.framing, r.server
        ),
        Proto::H1 => writeln!(
            out,
            "lab reset: mode {}, framing {}, server {}",
            r.mode, r.framing, r.server
        ),
        Proto::H2 => writeln!(
            out,
            "lab reset: TLS, proto h2 (by ALPN), mode {}, server {}",
            r.mode, r.server
        ),
        p => writeln!(
            out,
            "lab reset: proto {}, mode {}, server {}",
            p.as_str(),
            r.mode,
            r.server
        ),
    };
    let _ = writeln!(out);
    let who = match (v.by, v.phase) {
        (Some(by), Some(phase)) => format!(" by the {by} ({})", phase.name()),
        (Some(by), None) => format!(", the {by} closed first"),
        _ => String::new(),
    };
    let frames = if v.frames.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = v.frames.iter().map(u64::to_string).collect();
        let s = if list.len() > 1 { "s" } else { "" };
        format!(", frame{s} {}", list.join(" and "))
    };
    let _ = writeln!(
        out,
        "VERDICT  {}{who}{frames}",
        v.ending_name().to_uppercase()
    );
    wrap(&mut out, &format!("{} — {}", v.reason, v.citation), "  ");
    let _ = writeln!(out);
    if let Some(t) = &r.tls {
        tls_text(&mut out, t);
    }
    if let Some(p) = &r.proxy {
        super::proxy_text::legs(&mut out, p);
    }
    // What the analyzer's decoders read: the exchanges, and what each RST
    // destroyed (the same lines as `lab analyze`'s table).
    let carried: String = r
        .connections
        .iter()
        .map(|c| crate::report::carried::connection(c, false))
        .collect();
    if !carried.is_empty() {
        let _ = writeln!(out, "CARRIED");
        for line in carried.lines() {
            let indent = line.len() - line.trim_start().len();
            let text = line.trim_start();
            // Continuation lines two spaces further in than their line.
            let mut wrapped = String::new();
            wrap(&mut wrapped, text, &" ".repeat(indent + 2));
            out.push_str(&" ".repeat(indent));
            out.push_str(wrapped.trim_start());
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "LADDER (> marks the deciding frames)");
    out.push_str(&ladder::render_all(&r.ladder));
    let _ = writeln!(out);
    let _ = writeln!(out, "WITNESSES");
    let _ = writeln!(
        out,
        "  packets  {}{who}{frames}\n           Zeek conn_state {}, history {}",
        v.ending_name(),
        v.conn_state.map_or("-", ConnState::name),
        if v.history.is_empty() {
            "-"
        } else {
            &v.history
        }
    );
    let c = &r.client;
    let status = if c.status == 0 {
        "no status".to_string()
    } else {
        format!("status {}", c.status)
    };
    // Through a proxy the body the client read is the proxy's (its own
    // 502 page, or the server's body as far as it relayed it).
    let body = match &r.proxy {
        Some(_) => format!(
            "body {} bytes (server sent {})",
            c.body_received, c.body_expected
        ),
        None => format!("body {} of {} bytes", c.body_received, c.body_expected),
    };
    let _ = writeln!(
        out,
        "  client   {}: {status}, {body}",
        match (c.curl_exit, c.nghttp_exit, c.kind) {
            (Some(code), _, _) => format!("curl (exit {code})"),
            (None, Some(code), _) => format!("nghttp (exit {code})"),
            (None, None, ClientKind::Openssl) => "openssl s_client".to_string(),
            (None, None, _) => "raw client".to_string(),
        },
    );
    let _ = writeln!(out, "           {}", c.end);
    if let Some(retry) = &c.curl_retry {
        let _ = writeln!(out, "           curl: {retry}");
    }
    if let Some(p) = &r.proxy {
        super::proxy_text::witness(&mut out, p);
    }
    if let Some(t) = &c.tls {
        wrap(&mut out, &client_tls_text(t), "           ");
    }
    for s in &r.server_log {
        let _ = writeln!(
            out,
            "  server   conn {}: {} ({}), {} bytes unread",
            s.conn, s.end, s.cause, s.unread
        );
    }
    if let Some(t) = &r.tls {
        wrap(&mut out, &server_tls_text(&t.server), "           ");
    }
    let deltas: Vec<String> = r
        .kernel
        .deltas
        .iter()
        .map(|(k, v)| format!("{k} +{v}"))
        .collect();
    let _ = writeln!(out, "  kernel   {}", deltas.join(", "));
    let _ = writeln!(
        out,
        "           {}",
        match (r.kernel.isolation, &r.kernel.note) {
            (Isolation::PrivateNamespace, _) =>
                "own network namespace: the deltas are exact".to_string(),
            (Isolation::Shared, Some(n)) =>
                format!("shared namespace, the counters may include other traffic ({n})"),
            (Isolation::Shared, None) =>
                "shared namespace: the counters may include other traffic".to_string(),
        }
    );
    let _ = writeln!(out);
    if r.disagreements.is_empty() {
        let _ = writeln!(out, "The witnesses agree.");
    } else {
        for d in &r.disagreements {
            let _ = writeln!(out, "WITNESSES DISAGREE: {d}");
        }
    }
    if !r.teardown_seen {
        let _ = writeln!(
            out,
            "note: the teardown was not complete when the capture stopped ({} frames)",
            r.frames
        );
    }
    if r.dropped > 0 {
        let _ = writeln!(out, "note: libpcap dropped {} packets", r.dropped);
    }
    if let Some(p) = &r.pcap {
        let _ = writeln!(out, "capture saved to {}", p.display());
    }
    out
}

/// The TLS section: the ending in TLS's terms, why, and the handshake.
fn tls_text(out: &mut String, t: &TlsRun) {
    let said = t
        .analyzed
        .clone()
        .unwrap_or_else(|| format!("{} (no TLS ending read)", t.ending.name()));
    let mut head = String::new();
    wrap(&mut head, &said, "         ");
    out.push_str("TLS");
    out.push_str(&head[3..]);
    wrap(out, &format!("{} — {}", t.reason, t.citation), "  ");
    let server: Vec<String> = t.server_alpn.iter().map(ToString::to_string).collect();
    let offered = t.offered.as_ref().map_or_else(
        || "no ALPN extension".to_string(),
        |o| format!("ALPN {}", o.join(", ")),
    );
    let chosen = match (&t.chosen, t.chosen_in) {
        _ if t.server.failed.is_some() => "it chose none and refused the handshake".to_string(),
        (Some(c), Some("EncryptedExtensions")) => {
            format!("it chose {c} (in EncryptedExtensions, read with the key log)")
        }
        (Some(c), Some(at)) => format!("it chose {c} (in the clear {at})"),
        (Some(c), None) if c == "none" => "it chose none".to_string(),
        (Some(c), None) => format!("its choice: {c}"),
        (None, _) => "no ServerHello".to_string(),
    };
    let version = t
        .version
        .as_ref()
        .map_or_else(String::new, |v| format!("; {v}"));
    wrap(
        out,
        &format!(
            "the client offered {offered}; the server's list: {}; {chosen}{version}",
            server.join(", ")
        ),
        "  ",
    );
    if let Some(k) = &t.keylog {
        wrap(
            out,
            &format!("key log kept at {} (lab analyze --keylog)", k.display()),
            "  ",
        );
    }
    let _ = writeln!(out);
}

fn client_tls_text(t: &ClientTls) -> String {
    let mut parts = vec![format!(
        "TLS {}, ALPN {}",
        t.version.as_deref().unwrap_or("not agreed"),
        t.alpn.as_deref().unwrap_or("none")
    )];
    parts.push(
        match (t.close_notify_received, t.close_notify_sent) {
            (true, true) => "close_notify received, sent its own",
            (true, false) => "close_notify received",
            (false, true) => "no close_notify received, sent its own",
            (false, false) => "no close_notify either way",
        }
        .to_string(),
    );
    match t.noticed_truncation {
        Some(true) => parts.push("noticed the truncation".into()),
        None if !t.close_notify_received => {
            parts.push("it does not say whether it noticed a truncation".into());
        }
        _ => {}
    }
    parts.join("; ")
}

fn server_tls_text(s: &ServerTls) -> String {
    let mut parts = Vec::new();
    if let Some(why) = &s.failed {
        parts.push(format!("TLS failed: {why}"));
    }
    if s.close_notify_sent {
        parts.push("sent close_notify".to_string());
    }
    if s.truncation_sent {
        parts.push("closed without close_notify (--no-close-notify)".to_string());
    }
    if s.close_notify_received {
        parts.push("read the client's close_notify".to_string());
    }
    if s.truncation_received {
        parts.push("read the client's FIN without close_notify".to_string());
    }
    if parts.is_empty() {
        parts.push("no TLS ending logged".to_string());
    }
    format!("TLS: {}", parts.join("; "))
}

/// Appends `text` wrapped at 78 columns, every line starting with `indent`.
pub(crate) fn wrap(out: &mut String, text: &str, indent: &str) {
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.chars().count() + 1 + word.chars().count() > 78 {
            out.push_str(&line);
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_keeps_lines_within_78_columns_and_every_word() {
        let text = "the server closed with 79 unread bytes in its receive queue; Linux aborts \
                    such a close with RST — RFC 1122 §4.2.2.13, RFC 2525 §2.17";
        let mut out = String::new();
        wrap(&mut out, text, "  ");
        assert!(out.lines().count() > 1);
        assert!(
            out.lines()
                .all(|l| l.chars().count() <= 78 && l.starts_with("  "))
        );
        let words: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
    }
}
