//! The terminal words of a run through a proxy: each leg's verdict, and
//! the proxy's error log as a witness.

use std::fmt::Write as _;

use super::proxy::{Leg, LegConnection, LegVerdict, ProxyRun};
use super::render::wrap;
use crate::teardown::Ending;

/// The LEGS section: the path, then each leg's ending and its connections.
pub(super) fn legs(out: &mut String, p: &ProxyRun) {
    let _ = writeln!(out, "LEGS  client → {} {} → server", p.proxy.name(), p.addr);
    for v in [&p.client_leg, &p.upstream_leg] {
        let _ = writeln!(
            out,
            "  {:<13} {}",
            format!("{} leg", v.leg.name()),
            summary(p, v)
        );
        for c in &v.connections {
            wrap(
                out,
                &format!("connection {}: {}", c.id, connection(p, v.leg, c)),
                "                ",
            );
        }
    }
    let _ = writeln!(out);
}

/// The proxy's line among the witnesses: its error log at level error and
/// above, each line with the request it names.
pub(super) fn witness(out: &mut String, p: &ProxyRun) {
    let name = p.proxy.name();
    if p.error_log.is_empty() {
        let _ = writeln!(out, "  {name:<8} its error log: nothing at level error");
        return;
    }
    for (n, l) in p.error_log.iter().enumerate() {
        let request = l
            .request
            .as_ref()
            .map_or_else(String::new, |r| format!(" ({r})"));
        let mut line = String::new();
        wrap(
            &mut line,
            &format!("{}: {}{request}", l.level, l.message),
            "           ",
        );
        let label = if n == 0 {
            format!("  {name:<8} ")
        } else {
            " ".repeat(11)
        };
        out.push_str(&label);
        out.push_str(&line[11..]);
    }
}

/// A leg in a few words: `rst by the server (connection 2, frame 7)`.
fn summary(p: &ProxyRun, v: &LegVerdict) -> String {
    match (v.ending(), v.first_rst()) {
        (Some(Ending::Rst), Some(c)) => format!(
            "RST by {} (connection {}{})",
            c.rst_by.map_or("?", |r| v.leg.party(r, p.proxy)),
            c.id,
            c.rst_frame
                .map_or_else(String::new, |f| format!(", frame {f}"))
        ),
        (Some(e), _) => e.name().to_uppercase(),
        (None, _) => match v.leg {
            Leg::Client => "no connection captured".into(),
            Leg::Upstream => format!(
                "no connection captured ({} never connected)",
                p.proxy.name()
            ),
        },
    }
}

/// One connection of a leg: its ending, who, and Zeek's words.
fn connection(p: &ProxyRun, leg: Leg, c: &LegConnection) -> String {
    let who = match (c.ending, c.rst_by, c.closed_first) {
        (Ending::Rst, Some(by), _) => format!(" by {}", leg.party(by, p.proxy)),
        (_, _, Some(first)) => format!(", {} closed first", leg.party(first, p.proxy)),
        _ => String::new(),
    };
    let history = if c.history.is_empty() {
        "-"
    } else {
        &c.history
    };
    format!(
        "{}{who}; Zeek {} {history}",
        c.ending.name().to_uppercase(),
        c.conn_state.name()
    )
}
