//! The ladder as a Mermaid `sequenceDiagram` (the syntax GitHub renders in
//! a ```` ```mermaid ```` block): one participant per endpoint, one arrow
//! per step (`->>` for data, SYN and a QUIC Initial, `-)` for FIN, `-x`
//! for RST; for QUIC's endings, which are neither, `-->>` for a
//! CONNECTION_CLOSE, `--x` for a stateless reset, `--)` for an ICMP
//! error, and a note for the silence past an idle timeout), and a note
//! over each connection's two lifelines with its verdict.

use std::fmt::Write;

use super::text::{MAX_LABEL, mermaid, shorten};
use super::{Ladder, StepKind, seconds};
use crate::wire::Endpoint;

/// The diagram's text.
pub fn render(ladder: &Ladder) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let endpoints = ladder.endpoints();
    let alias = |e: Endpoint| {
        let i = endpoints.iter().position(|x| *x == e).unwrap_or(0);
        format!("P{}", i + 1)
    };
    for e in &endpoints {
        let role = if ladder.connections.iter().any(|c| c.server == *e) {
            "server"
        } else {
            "client"
        };
        let _ = writeln!(
            out,
            "    participant {} as {}",
            alias(*e),
            mermaid(&format!("{role} {e}"))
        );
    }
    let start = ladder.steps.iter().find_map(|s| s.ts);
    let mut last_of: Vec<(super::ConnId, usize)> = Vec::new();
    for (i, s) in ladder.steps.iter().enumerate() {
        match last_of.iter_mut().find(|(id, _)| *id == s.connection) {
            Some(entry) => entry.1 = i,
            None => last_of.push((s.connection, i)),
        }
    }
    for (i, s) in ladder.steps.iter().enumerate() {
        let Some((from, to)) = ladder.ends(s) else {
            continue;
        };
        let arrow = match s.kind {
            StepKind::Syn | StepKind::Message | StepKind::Initial => "->>",
            StepKind::Fin => "-)",
            StepKind::Rst => "-x",
            StepKind::Close => "-->>",
            StepKind::StatelessReset => "--x",
            StepKind::Icmp | StepKind::Silence => "--)",
        };
        let when = match (s.ts, start) {
            (Some(t), Some(t0)) => format!(" +{}s", seconds(t.0 - t0.0)),
            _ => String::new(),
        };
        let tag = if ladder.connections.len() > 1 {
            format!("{} ", s.connection)
        } else {
            String::new()
        };
        if s.kind == StepKind::Silence {
            // Not a packet: nothing was sent, for longer than the timeout.
            let _ = writeln!(
                out,
                "    Note over {},{}: {}",
                alias(from),
                alias(to),
                mermaid(&format!("{tag}after frame {}{when} · {}", s.frame, s.text))
            );
        } else {
            let label = format!(
                "{tag}frame {}{when} · {}",
                s.frame,
                shorten(&s.text, MAX_LABEL)
            );
            let _ = writeln!(
                out,
                "    {}{arrow}{}: {}",
                alias(from),
                alias(to),
                mermaid(&label)
            );
        }
        if last_of
            .iter()
            .any(|&(id, at)| id == s.connection && at == i)
            && let Some(c) = ladder.connection(s.connection)
        {
            let mut note = c.verdict.clone();
            if c.dropped > 0 {
                note.push_str(&format!(" ({} more labelled frames not drawn)", c.dropped));
            }
            let _ = writeln!(
                out,
                "    Note over {},{}: {}",
                alias(c.client),
                alias(c.server),
                mermaid(&note)
            );
        }
    }
    match endpoints.first() {
        Some(first) if ladder.omitted > 0 => {
            let _ = writeln!(
                out,
                "    Note over {}: {}",
                alias(*first),
                mermaid(&format!(
                    "{} more connections in scope not drawn (narrow with --port or --host)",
                    ladder.omitted
                ))
            );
        }
        Some(_) => {}
        // A diagram needs a participant to say that it is empty.
        None => out.push_str("    participant N as no connections in scope\n"),
    }
    out
}
