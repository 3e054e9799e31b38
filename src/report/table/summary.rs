//! The summary under the table: short, in words, and naming each count as
//! the JSON summary does.
//!
//! Only what is there is said: verdicts with no connection and anomalies
//! that did not occur are left out (the JSON summary keeps every count, at
//! zero too). Each anomaly's words map to one JSON field, listed in the
//! README's "Outputs" section: `truncated record` is
//! `capture_anomalies.truncated_records`, `truncated frame` is
//! `skipped.truncated`, and so on.

use comfy_table::Color;

use crate::report::Summary;
use crate::teardown::Ending;

use super::Style;
use super::fit::verdict_color;

/// `1 thing`, `2 things`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `text` in an ANSI colour when colour is on.
fn paint(text: String, color: Option<Color>, style: &Style) -> String {
    let code = match color {
        Some(Color::Red) if style.color => "31",
        Some(Color::Green) if style.color => "32",
        Some(Color::Yellow) if style.color => "33",
        _ => return text,
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Characters a terminal shows for `text` (colour sequences take none).
fn visible(text: &str) -> usize {
    let mut n = 0;
    let mut escape = false;
    for c in text.chars() {
        match c {
            '\x1b' => escape = true,
            c if escape => escape = !c.is_ascii_alphabetic(),
            _ => n += 1,
        }
    }
    n
}

/// The clauses joined by `; `, on one line; for a terminal, broken after a
/// `;` where the next clause would pass the width, and indented, so that
/// the terminal does not cut a word in two.
fn join(clauses: &[String], width: Option<u16>) -> String {
    let Some(width) = width.map(usize::from) else {
        return clauses.join("; ");
    };
    let mut out = String::new();
    let mut line = 0;
    for (i, clause) in clauses.iter().enumerate() {
        if i > 0 {
            out.push(';');
            line += 1;
            // A space, the clause, and its own `;` unless it is the last.
            let semicolon = usize::from(i + 1 < clauses.len());
            if line + 1 + visible(clause) + semicolon > width {
                out.push_str("\n ");
                line = 1;
            }
            out.push(' ');
            line += 1;
        }
        out.push_str(clause);
        line += visible(clause);
    }
    out
}

/// The QUIC connections beside the TCP ones (RFC 9000 §10 endings, not
/// FIN or RST), e.g. `1 QUIC connection (5 more out of scope): 1
/// connection_close`; only for a capture with QUIC, so a TCP capture's line
/// stays as it was.
fn quic_clause(s: &Summary) -> String {
    let mut endings: Vec<(&'static str, u64)> = Vec::new();
    for q in &s.quic {
        let name = q.ending.name();
        match endings.iter_mut().find(|(n, _)| *n == name) {
            Some((_, k)) => *k += 1,
            None => endings.push((name, 1)),
        }
    }
    let list: Vec<String> = endings.iter().map(|(n, k)| format!("{k} {n}")).collect();
    let mut out = count(s.quic.len() as u64, "QUIC connection", "QUIC connections");
    out.push_str(&more_out_of_scope(s.udp_scope.quic_out_of_scope));
    if !list.is_empty() {
        out.push_str(": ");
        out.push_str(&list.join(", "));
    }
    out
}

/// ` (N more out of scope)`, or nothing.
fn more_out_of_scope(n: u64) -> String {
    if n > 0 {
        format!(" ({n} more out of scope)")
    } else {
        String::new()
    }
}

/// The DNS exchanges, e.g. `5 DNS exchanges (4 answered, 1 malformed)` or
/// `1 DNS exchange (1 answered, 4 more out of scope)`; only for a capture
/// with DNS.
fn dns_clause(s: &Summary) -> String {
    let answered = s.dns.iter().filter(|x| x.answer.is_some()).count();
    let malformed = s.dns.iter().filter(|x| x.malformed > 0).count();
    let mut out = format!(
        "{} ({answered} answered",
        count(s.dns.len() as u64, "DNS exchange", "DNS exchanges")
    );
    if malformed > 0 {
        out.push_str(&format!(", {malformed} malformed"));
    }
    if s.udp_scope.dns_out_of_scope > 0 {
        out.push_str(&format!(
            ", {} more out of scope",
            s.udp_scope.dns_out_of_scope
        ));
    }
    out.push(')');
    out
}

/// E.g. `3 connections (1 more out of scope): 2 fin, 1 rst; 40 frames read
/// (30 TCP, 10 filtered out); anomalies: 1 truncated record; at most 2 open
/// at once`.
pub fn summary(s: &Summary, style: &Style) -> String {
    let mut clauses = Vec::with_capacity(4);
    // Beside QUIC's, the TCP connections say what they are.
    let mut out = if s.quic_seen() == 0 {
        count(s.connections, "connection", "connections")
    } else {
        count(s.connections, "TCP connection", "TCP connections")
    };
    out.push_str(&more_out_of_scope(s.out_of_scope));
    let verdicts: Vec<String> = Ending::ALL
        .iter()
        .filter(|e| s.verdicts.get(**e) > 0)
        .map(|e| {
            let text = format!("{} {}", s.verdicts.get(*e), e.name());
            paint(text, verdict_color(*e), style)
        })
        .collect();
    if !verdicts.is_empty() {
        out.push_str(": ");
        out.push_str(&verdicts.join(", "));
    }

    clauses.push(out);
    // Seen but out of scope still says so: `0 QUIC connections (6 more out
    // of scope)` tells a scope that matched nothing from a capture without.
    if s.quic_seen() > 0 {
        clauses.push(quic_clause(s));
    }
    if s.dns_seen() > 0 {
        clauses.push(dns_clause(s));
    }

    let sk = &s.skipped;
    let mut frames = vec![format!("{} TCP", s.tcp_segments)];
    // Every frame read is counted, in scope or not, as TCP's segments are.
    let quic_datagrams: u64 =
        s.quic.iter().map(|q| q.datagrams).sum::<u64>() + s.udp_scope.quic_datagrams_out_of_scope;
    if quic_datagrams > 0 {
        frames.push(format!("{quic_datagrams} QUIC"));
    }
    let dns_datagrams: u64 = s.dns.iter().map(|x| u64::from(x.datagrams)).sum::<u64>()
        + s.udp_scope.dns_datagrams_out_of_scope;
    if dns_datagrams > 0 {
        frames.push(format!("{dns_datagrams} DNS"));
    }
    if s.decapsulated.total > 0 {
        frames.push(format!("{} from tunnels", s.decapsulated.total));
    }
    if s.filtered_out > 0 {
        frames.push(format!("{} filtered out", s.filtered_out));
    }
    clauses.push(format!(
        "{} read ({})",
        count(s.frames, "frame", "frames"),
        frames.join(", ")
    ));

    let ca = &s.capture_anomalies;
    let fa = &s.flow_anomalies;
    let anomalies: Vec<String> = [
        (
            ca.truncated_records,
            "truncated record",
            "truncated records",
        ),
        (ca.damaged_records, "damaged record", "damaged records"),
        (
            ca.unknown_blocks,
            "unknown pcapng block",
            "unknown pcapng blocks",
        ),
        (
            ca.unknown_interface,
            "packet of an unknown interface",
            "packets of unknown interfaces",
        ),
        (sk.truncated, "truncated frame", "truncated frames"),
        (
            sk.unknown_link_type,
            "frame of an unknown link type",
            "frames of unknown link types",
        ),
        (sk.malformed, "malformed frame", "malformed frames"),
        (sk.fragment, "IP fragment", "IP fragments"),
        (sk.esp, "IPsec ESP packet", "IPsec ESP packets"),
        (sk.bad_ip_checksum, "bad IP checksum", "bad IP checksums"),
        (
            sk.tunnels,
            "tunnel not decapsulated",
            "tunnels not decapsulated",
        ),
        (sk.tunnel_too_deep, "tunnel too deep", "tunnels too deep"),
        (fa.tcp_bad_header, "bad TCP header", "bad TCP headers"),
        (fa.tcp_bad_checksum, "bad TCP checksum", "bad TCP checksums"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| count(n, one, many))
    .collect();
    if !anomalies.is_empty() {
        let text = format!("anomalies: {}", anomalies.join(", "));
        clauses.push(paint(text, Some(Color::Yellow), style));
    }
    clauses.push(format!("at most {} open at once", s.peak_open));
    join(&clauses, style.width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &Summary) -> String {
        summary(s, &Style::default())
    }

    #[test]
    fn one_connection_is_singular_and_zero_counts_are_left_out() {
        let mut s = Summary {
            connections: 1,
            frames: 11,
            tcp_segments: 11,
            peak_open: 1,
            ..Summary::default()
        };
        s.verdicts.add(Ending::Fin);
        assert_eq!(
            plain(&s),
            "1 connection: 1 fin; 11 frames read (11 TCP); at most 1 open at once"
        );
    }

    #[test]
    fn filter_scope_and_anomalies_are_counted_in_words() {
        let mut s = Summary {
            connections: 2,
            out_of_scope: 1,
            frames: 40,
            filtered_out: 9,
            tcp_segments: 30,
            peak_open: 2,
            ..Summary::default()
        };
        s.verdicts.add(Ending::Fin);
        s.verdicts.add(Ending::Rst);
        s.capture_anomalies.truncated_records = 1;
        s.skipped.truncated = 2;
        assert_eq!(
            plain(&s),
            "2 connections (1 more out of scope): 1 fin, 1 rst; 40 frames read \
             (30 TCP, 9 filtered out); anomalies: 1 truncated record, 2 truncated \
             frames; at most 2 open at once"
        );
    }

    #[test]
    fn colour_marks_rst_red_and_fin_green_only_when_asked() {
        let mut s = Summary {
            connections: 2,
            ..Summary::default()
        };
        s.verdicts.add(Ending::Fin);
        s.verdicts.add(Ending::Rst);
        let style = Style {
            color: true,
            ..Style::default()
        };
        let text = summary(&s, &style);
        assert!(text.contains("\x1b[32m1 fin\x1b[0m"), "{text:?}");
        assert!(text.contains("\x1b[31m1 rst\x1b[0m"), "{text:?}");
        assert!(!plain(&s).contains('\x1b'));
    }

    #[test]
    fn a_terminal_gets_the_summary_broken_between_clauses() {
        let mut s = Summary {
            connections: 3,
            frames: 40,
            tcp_segments: 30,
            filtered_out: 10,
            ..Summary::default()
        };
        s.capture_anomalies.truncated_records = 1;
        s.skipped.truncated = 2;
        let one_line = plain(&s);
        for color in [false, true] {
            let style = Style {
                width: Some(60),
                color,
                ..Style::default()
            };
            let text = summary(&s, &style);
            assert!(text.lines().count() > 1, "{text}");
            for line in text.lines() {
                assert!(visible(line) <= 60, "{line:?}");
            }
            if !color {
                // The same words, only the separators differ.
                assert_eq!(text.replace(";\n  ", "; "), one_line);
            }
        }
        let wide = Style {
            width: Some(300),
            ..Style::default()
        };
        assert_eq!(summary(&s, &wide), one_line);
    }
}
