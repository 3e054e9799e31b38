//! The ladder as a self-contained SVG document (SVG 1.1: no script, no
//! external fonts or images): one lifeline per endpoint, time running top
//! to bottom, each step an arrow slanted from its sender down to its
//! receiver, SYN grey, data black, FIN blue, RST red with a cross; for
//! QUIC, the first Initial teal, a CONNECTION_CLOSE purple with a diamond
//! head, a stateless reset orange and dashed with a bar, an ICMP error
//! brown and dotted, and the silence past an idle timeout a grey note.
//!
//! Vertical distance grows with the time between frames (logarithmically,
//! so microseconds and seconds both fit); a gap over a second is drawn as
//! a break labelled with its length, the idle time a keep-alive race turns
//! on. The left margin gives each step's time since the first.

use std::fmt::Write;

use super::text::{MAX_LABEL, shorten, wrap, xml};
use super::{Ladder, StepKind, seconds};
use crate::capture::Timestamp;

const LEFT: f64 = 120.0;
const COLUMN: f64 = 440.0;
const TOP: f64 = 96.0;
const STEP: f64 = 34.0;
const SLANT: f64 = 12.0;
/// Width of a monospace character at the 12 px font size, for boxes.
const CHAR: f64 = 7.3;
/// A wrapped note's line height, and the most lines it gets.
const NOTE_LINE: f64 = 16.0;
const MAX_NOTE_LINES: usize = 12;
/// A gap longer than this is drawn as a break.
const BREAK_NS: i64 = Timestamp::SECOND;

/// The style of one kind of step: colour, width, marker.
fn style(kind: StepKind) -> (&'static str, f64, &'static str) {
    match kind {
        StepKind::Syn => ("#757575", 1.4, "head-syn"),
        StepKind::Message => ("#212121", 1.4, "head-data"),
        StepKind::Fin => ("#1565c0", 2.4, "head-fin"),
        StepKind::Rst => ("#c62828", 2.8, "cross"),
        StepKind::Initial => ("#00897b", 1.6, "head-initial"),
        StepKind::Close => ("#6a1b9a", 2.6, "head-close"),
        StepKind::StatelessReset => ("#e65100", 2.8, "bar"),
        StepKind::Icmp | StepKind::Silence => ("#5d4037", 1.8, "head-icmp"),
    }
}

/// A dashed line for the endings that are no frame of the connection's
/// own protocol: a stateless reset and an ICMP error.
fn dashes(kind: StepKind) -> &'static str {
    match kind {
        StepKind::StatelessReset => r#" stroke-dasharray="8 4""#,
        StepKind::Icmp => r#" stroke-dasharray="2 3""#,
        _ => "",
    }
}

/// A verdict note's fill: red for a TCP RST, purple for a QUIC
/// CONNECTION_CLOSE, orange for a stateless reset, brown for an ICMP
/// error, yellow otherwise.
fn note_fill(e: super::Ended) -> &'static str {
    use crate::app::quic::QuicEnding;
    use crate::teardown::Ending;
    match e {
        super::Ended::Tcp(Ending::Rst) => "#ffebee",
        super::Ended::Quic(QuicEnding::ConnectionClose) => "#f3e5f5",
        super::Ended::Quic(QuicEnding::StatelessReset) => "#fff3e0",
        super::Ended::Quic(QuicEnding::IcmpUnreachable) => "#efebe9",
        _ => "#fffde7",
    }
}

/// Extra room for the time since the previous step.
fn room(gap_ns: i64) -> f64 {
    let us = (gap_ns.max(0) / 1_000) as f64;
    (12.0 * (1.0 + us).log10()).min(60.0)
}

/// The document's text.
pub fn render(ladder: &Ladder) -> String {
    let endpoints = ladder.endpoints();
    let x_of = |e| {
        let i = endpoints.iter().position(|x| *x == e).unwrap_or(0);
        LEFT + COLUMN / 2.0 + i as f64 * COLUMN
    };
    let mut body = String::new();
    let mut y = TOP;
    let start = ladder.steps.iter().find_map(|s| s.ts);
    let mut prev: Option<Timestamp> = None;
    let last_step = |id: super::ConnId| ladder.steps.iter().rposition(|s| s.connection == id);
    for (i, s) in ladder.steps.iter().enumerate() {
        let Some((from, to)) = ladder.ends(s) else {
            continue;
        };
        if let (Some(t), Some(p)) = (s.ts, prev) {
            let gap = t.0 - p.0;
            if gap > BREAK_NS {
                let _ = writeln!(
                    body,
                    r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#9e9e9e" stroke-dasharray="2 4"/><text x="{:.1}" y="{:.1}" fill="#616161" font-style="italic">idle {} s</text>"##,
                    LEFT - 10.0,
                    y + 4.0,
                    LEFT + COLUMN * endpoints.len() as f64,
                    y + 4.0,
                    LEFT + 8.0,
                    y,
                    seconds(gap)
                );
                y += 22.0;
            } else {
                y += room(gap);
            }
        }
        prev = s.ts.or(prev);
        let (x1, x2) = (x_of(from), x_of(to));
        if let (Some(t), Some(t0), false) = (s.ts, start, s.kind == StepKind::Silence) {
            let _ = writeln!(
                body,
                r##"<text x="8" y="{:.1}" fill="#616161">+{}</text>"##,
                y + 4.0,
                seconds(t.0 - t0.0)
            );
        }
        let tag = if ladder.connections.len() > 1 {
            format!("{} ", s.connection)
        } else {
            String::new()
        };
        if s.kind == StepKind::Silence {
            silence(&mut body, (x1, x2), y, &format!("{tag}{}", s.text));
            y += 30.0;
        } else {
            arrow(&mut body, s, (x1, x2), y, &tag);
            y += STEP;
        }
        if last_step(s.connection) == Some(i)
            && let Some(c) = ladder.connection(s.connection)
        {
            let (a, b) = (x_of(c.client), x_of(c.server));
            let (left, right) = (a.min(b) - 40.0, a.max(b) + 40.0);
            let mut note = c.verdict.clone();
            if c.dropped > 0 {
                note.push_str(&format!(" ({} more labelled frames not drawn)", c.dropped));
            }
            let fill = note_fill(c.ending);
            // A note that does not fit one line (a diagnosis) is wrapped,
            // not cut: its words are what the reader came for.
            let lines = wrap(&note, ((right - left) / CHAR) as usize, MAX_NOTE_LINES);
            let extra = NOTE_LINE * (lines.len() - 1) as f64;
            let _ = write!(
                body,
                r##"<rect x="{left:.1}" y="{:.1}" width="{:.1}" height="{}" fill="{fill}" stroke="#bdbdbd"/>"##,
                y - 12.0,
                right - left,
                22.0 + extra,
            );
            for (k, line) in lines.iter().enumerate() {
                let _ = write!(
                    body,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                    (left + right) / 2.0,
                    y + 3.0 + NOTE_LINE * k as f64,
                    xml(line)
                );
            }
            body.push('\n');
            y += 30.0 + extra;
        }
    }
    finish(ladder, &endpoints, body, y, x_of)
}

/// One arrow and its label.
fn arrow(body: &mut String, s: &super::Step, (x1, x2): (f64, f64), y: f64, tag: &str) {
    let (color, width, marker) = style(s.kind);
    let dash = dashes(s.kind);
    // The label stays between the two lifelines it joins.
    let fits = ((x2 - x1).abs() / CHAR) as usize;
    let label = shorten(
        &format!("{tag}frame {} · {}", s.frame, shorten(&s.text, MAX_LABEL)),
        fits.saturating_sub(4).max(12),
    );
    let weight = if matches!(
        s.kind,
        StepKind::Fin | StepKind::Rst | StepKind::Close | StepKind::StatelessReset
    ) {
        r#" font-weight="bold""#
    } else {
        ""
    };
    let _ = writeln!(
        body,
        r##"<g><title>{}</title><line x1="{x1:.1}" y1="{y:.1}" x2="{x2:.1}" y2="{:.1}" stroke="{color}" stroke-width="{width}"{dash} marker-end="url(#{marker})"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{color}"{weight}>{}</text></g>"##,
        xml(&format!("frame {}: {}", s.frame, s.text)),
        y + SLANT,
        (x1 + x2) / 2.0,
        y - 4.0,
        xml(&label)
    );
}

/// The silence past a QUIC idle timeout: a grey note between the two
/// lifelines, after the last packet (nothing was sent, so no arrow).
fn silence(body: &mut String, (x1, x2): (f64, f64), y: f64, text: &str) {
    let (left, right) = (x1.min(x2) - 20.0, x1.max(x2) + 20.0);
    let fits = ((right - left) / CHAR) as usize;
    let _ = writeln!(
        body,
        r##"<g><title>{}</title><rect x="{left:.1}" y="{:.1}" width="{:.1}" height="22" fill="#f5f5f5" stroke="#5d4037" stroke-dasharray="2 3"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#5d4037" font-style="italic">{}</text></g>"##,
        xml(text),
        y - 12.0,
        right - left,
        (left + right) / 2.0,
        y + 3.0,
        xml(&shorten(text, fits.saturating_sub(2).max(12)))
    );
}

/// The connections left out, the lifelines, the head: the document.
fn finish(
    ladder: &Ladder,
    endpoints: &[crate::wire::Endpoint],
    mut body: String,
    mut y: f64,
    x_of: impl Fn(crate::wire::Endpoint) -> f64,
) -> String {
    if ladder.omitted > 0 {
        let _ = writeln!(
            body,
            r##"<text x="8" y="{:.1}" fill="#616161">{} more connections in scope not drawn (narrow with --port or --host)</text>"##,
            y, ladder.omitted
        );
        y += 24.0;
    }
    if endpoints.is_empty() {
        let _ = writeln!(
            body,
            r##"<text x="8" y="{:.1}">no connections in scope</text>"##,
            y
        );
        y += 24.0;
    }
    let height = y + 20.0;
    let width = LEFT + COLUMN * endpoints.len().max(1) as f64 + 20.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">"##
    );
    let quic = ladder.has_quic();
    out.push_str(if quic {
        "<title>TCP and QUIC ladder (wirelab)</title>\n"
    } else {
        "<title>TCP ladder (wirelab)</title>\n"
    });
    out.push_str(DEFS);
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="8" y="20" fill="#616161">time since the first frame (s); arrows: <tspan fill="#757575">SYN</tspan> · data · <tspan fill="#1565c0" font-weight="bold">FIN</tspan> · <tspan fill="#c62828" font-weight="bold">RST</tspan>; frame numbers as Wireshark's</text>"##
    );
    if quic {
        let _ = writeln!(
            out,
            r##"<text x="8" y="32" fill="#616161">QUIC: <tspan fill="#00897b">Initial</tspan> · packets · <tspan fill="#6a1b9a" font-weight="bold">CONNECTION_CLOSE</tspan> · <tspan fill="#e65100" font-weight="bold">stateless reset</tspan> · <tspan fill="#5d4037">ICMP, idle timeout</tspan> (no FIN or RST in QUIC)</text>"##
        );
    }
    for e in endpoints {
        let x = x_of(*e);
        let role = if ladder.connections.iter().any(|c| c.server == *e) {
            "server"
        } else {
            "client"
        };
        let name = format!("{role} {e}");
        let w = name.chars().count() as f64 * CHAR + 16.0;
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="64" x2="{x:.1}" y2="{:.1}" stroke="#bdbdbd" stroke-dasharray="4 3"/><rect x="{:.1}" y="36" width="{w:.1}" height="26" rx="4" fill="#eceff1" stroke="#90a4ae"/><text x="{x:.1}" y="53" text-anchor="middle" font-weight="bold">{}</text>"##,
            height - 10.0,
            x - w / 2.0,
            xml(&name)
        );
    }
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

/// Arrowheads: filled for SYN and data, open for FIN, a cross for RST.
const DEFS: &str = r##"<defs>
<marker id="head-syn" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10 z" fill="#757575"/></marker>
<marker id="head-data" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10 z" fill="#212121"/></marker>
<marker id="head-fin" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="11" markerHeight="11" orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#1565c0" stroke-width="2"/></marker>
<marker id="head-initial" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10 z" fill="#00897b"/></marker>
<marker id="head-close" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="13" markerHeight="13" orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,6 L6,0 L12,6 L6,12 z" fill="#6a1b9a"/></marker>
<marker id="bar" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="14" markerHeight="14" orient="auto" markerUnits="userSpaceOnUse"><path d="M5,0 L5,10" stroke="#e65100" stroke-width="3"/></marker>
<marker id="head-icmp" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#5d4037" stroke-width="1.5"/></marker>
<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="14" markerHeight="14" markerUnits="userSpaceOnUse"><path d="M0,0 L10,10 M10,0 L0,10" stroke="#c62828" stroke-width="2.5"/></marker>
</defs>
"##;
