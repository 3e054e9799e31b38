//! The human rendering: one comfy-table row per connection and a summary line.
//!
//! [`render`] draws every column at its natural width, for files and pipes
//! (its bytes are what tests and scripts hold). [`render_styled`] fits a
//! terminal: fewer columns and wrapped cells when narrow, colour on the
//! verdicts, ASCII when the terminal cannot show UTF-8 (`fit.rs`). The
//! summary under the table is short and names every count as the JSON
//! summary does (`summary.rs`).

mod dns;
mod fit;
pub(crate) mod quic;
mod quic_keyed;
mod summary;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use crate::teardown::{Reset, Teardown};

use super::{ConnectionReport, Report};

pub use fit::ascii;
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
    let rows: Vec<[String; 9]> = report.connections.iter().map(cells).collect();
    let (table, note) = match style.width {
        None => {
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Disabled)
                .set_header(HEADINGS);
            for row in rows {
                table.add_row(row);
            }
            (table, None)
        }
        Some(width) => fit::table(&report.connections, rows, width, style),
    };
    let mut out = dns_section(&report.summary, style);
    // A capture of UDP alone gets no empty TCP table (its heading would
    // read as if connections were missing), whether or not the scope kept
    // any of its QUIC and DNS.
    let s = &report.summary;
    let udp_only = report.connections.is_empty() && (s.quic_seen() > 0 || s.dns_seen() > 0);
    if !udp_only {
        out.push_str(&format!("{table}\n"));
    }
    if let Some(note) = note {
        out.push_str(&note);
        out.push('\n');
    }
    let carried = super::carried::section(&report.connections);
    if style.ascii {
        out.push_str(&ascii(&carried));
    } else {
        out.push_str(&carried);
    }
    out.push_str(&quic_section(&report.summary, style));
    out.push_str(&summary(&report.summary, style));
    out.push('\n');
    out
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
