//! The human rendering: one row per connection, the decoded connections'
//! lines under the table, and a summary line.
//!
//! [`render`] draws every column at its natural width, for files and pipes
//! (its bytes are what tests and scripts hold), written by hand as
//! comfy-table draws it (`natural.rs`). [`render_styled`] fits a terminal
//! with comfy-table: fewer columns and wrapped cells when narrow, colour on
//! the verdicts, ASCII when the terminal cannot show UTF-8 (`fit.rs`). Both
//! draw from [`KeptRow`]s, what a file's table keeps of each connection
//! until the end (`kept.rs`). The summary under the table is short and
//! names every count as the JSON summary does (`summary.rs`).

mod dns;
mod fit;
mod kept;
mod natural;
pub(crate) mod quic;
mod quic_keyed;
mod summary;

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use crate::teardown::{Reset, Teardown};

use super::{ConnectionReport, Report, Summary};

pub use fit::ascii;
pub use kept::KeptRow;
pub use summary::summary;

/// How to draw for the reader at hand. The default is a file or pipe:
/// every column, no colour, UTF-8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// Terminal columns to fit in; `None` draws every column at its
    /// natural width, however wide.
    pub width: Option<u16>,
    /// ANSI colours: RST in red, FIN in green.
    pub color: bool,
    /// ASCII only: `->` for `→`, `+-|` borders (a terminal whose locale is
    /// not UTF-8 would show the arrows and box lines as garbage).
    pub ascii: bool,
}

/// Column headings.
const HEADINGS: [&str; 9] = [
    "id",
    "client → server",
    "ended",
    "closed first",
    "RST by (phase)",
    "bytes c→s",
    "bytes s→c",
    "frames",
    "zeek",
];

fn rst_cell(t: &Teardown) -> String {
    let one = |r: &Reset| format!("{} ({})", r.sender, r.phase.name());
    match (t.client_rst, t.server_rst) {
        (Some(c), Some(s)) => {
            let (a, b) = if c.frame <= s.frame { (c, s) } else { (s, c) };
            format!("{} then {}", one(&a), one(&b))
        }
        (Some(r), None) | (None, Some(r)) => one(&r),
        (None, None) => "-".to_string(),
    }
}

/// The deciding frame numbers, e.g. `SYN 1 · FIN c7 s9 · RST s10`.
pub fn frames_cell(t: &Teardown) -> String {
    let f = &t.frames;
    let mut parts = Vec::new();
    match f.syn {
        Some(n) => parts.push(format!("SYN {n}")),
        None => parts.push(format!("first {}", f.first)),
    }
    let pair = |label: &str, c: Option<u64>, s: Option<u64>| {
        let mut v = Vec::new();
        if let Some(n) = c {
            v.push(format!("c{n}"));
        }
        if let Some(n) = s {
            v.push(format!("s{n}"));
        }
        (!v.is_empty()).then(|| format!("{label} {}", v.join(" ")))
    };
    parts.extend(pair("FIN", f.client_fin, f.server_fin));
    parts.extend(pair("RST", f.client_rst, f.server_rst));
    parts.join(" · ")
}

fn cells(c: &ConnectionReport) -> [String; 9] {
    let t = &c.teardown;
    let history = if c.zeek.history.is_empty() {
        "-"
    } else {
        &c.zeek.history
    };
    [
        c.id.to_string(),
        format!("{} → {}", t.client, t.server),
        t.ending.name().to_string(),
        t.closed_first.map_or("-", |r| r.name()).to_string(),
        rst_cell(t),
        t.bytes_client_to_server.to_string(),
        t.bytes_server_to_client.to_string(),
        frames_cell(t),
        format!("{} {}", c.zeek.conn_state, history),
    ]
}

/// The table of all connections, then the summary, for a file or pipe.
pub fn render(report: &Report) -> String {
    render_styled(report, &Style::default())
}

/// The table and summary drawn for a reader: see [`Style`].
pub fn render_styled(report: &Report, style: &Style) -> String {
    let rows: Vec<KeptRow> = report.connections.iter().map(KeptRow::of).collect();
    let mut out = Vec::new();
    write_kept(&mut out, &rows, &report.summary, style).expect("writing to memory");
    String::from_utf8(out).expect("the table is UTF-8")
}

/// The table of the kept `rows` (in the order given), the lines under it
/// and the summary, written to `out` for a reader: see [`Style`].
pub fn write_kept(
    out: &mut impl Write,
    rows: &[KeptRow],
    s: &Summary,
    style: &Style,
) -> io::Result<()> {
    out.write_all(dns_section(s, style).as_bytes())?;
    // A capture of UDP alone gets no empty TCP table (its heading would
    // read as if connections were missing), whether or not the scope kept
    // any of its QUIC and DNS.
    let udp_only = rows.is_empty() && (s.quic_seen() > 0 || s.dns_seen() > 0);
    let widths = match style.width {
        None => natural::widths(rows, KeptRow::cell),
        Some(_) => None,
    };
    let note = match (style.width, widths) {
        // Every column at its natural width, no colour: drawn by hand.
        (None, Some(widths)) => {
            if !udp_only {
                natural::write(out, &widths, rows, KeptRow::cell)?;
            }
            None
        }
        (width, _) => {
            let (table, note) = match width {
                None => (comfy_natural(rows), None),
                Some(width) => fit::table(rows, width, style),
            };
            if !udp_only {
                writeln!(out, "{table}")?;
            }
            note
        }
    };
    if let Some(note) = note {
        writeln!(out, "{note}")?;
    }
    kept::write_carried(out, rows, style)?;
    out.write_all(quic_section(s, style).as_bytes())?;
    writeln!(out, "{}", summary(s, style))
}

/// The natural-width table drawn by comfy-table, for a column too wide for
/// the hand-drawn one to follow (see `natural.rs`).
fn comfy_natural(rows: &[KeptRow]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(HEADINGS);
    for r in rows {
        table.add_row(r.cells());
    }
    table
}

/// The QUIC connections' sentences, for the table's two renderers (empty
/// without QUIC).
pub fn quic_section(s: &super::Summary, style: &Style) -> String {
    let text = quic::section(s.quic_numbered());
    if style.ascii { ascii(&text) } else { text }
}

/// The DNS exchanges' lines, for the table's two renderers (empty without
/// DNS).
pub fn dns_section(s: &super::Summary, style: &Style) -> String {
    let text = dns::section(s.dns_numbered());
    if style.ascii { ascii(&text) } else { text }
}

/// One connection on one line (live mode).
pub fn line(c: &ConnectionReport) -> String {
    let [id, ends, ended, first, rst, cs, sc, frames, zeek] = cells(c);
    format!(
        "#{id} {ends}  ended {ended}  closed first {first}  RST {rst}  bytes c→s {cs} s→c {sc}  frames {frames}  zeek {zeek}"
    )
}
