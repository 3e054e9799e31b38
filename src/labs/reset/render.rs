//! The reset lab's report for a terminal: verdict, ladder, witnesses.

use std::fmt::Write as _;

use super::Proto;
use super::ladder;
use super::run::ResetRun;
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
        Proto::H1 => writeln!(
            out,
            "lab reset: mode {}, framing {}, server {}",
            r.mode, r.framing, r.server
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
    let _ = writeln!(
        out,
        "  client   {}: {status}, body {} of {} bytes",
        match (c.curl_exit, c.nghttp_exit) {
            (Some(code), _) => format!("curl (exit {code})"),
            (None, Some(code)) => format!("nghttp (exit {code})"),
            (None, None) => "raw client".to_string(),
        },
        c.body_received,
        c.body_expected,
    );
    let _ = writeln!(out, "           {}", c.end);
    if let Some(retry) = &c.curl_retry {
        let _ = writeln!(out, "           curl: {retry}");
    }
    for s in &r.server_log {
        let _ = writeln!(
            out,
            "  server   conn {}: {} ({}), {} bytes unread",
            s.conn, s.end, s.cause, s.unread
        );
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
