//! The human rendering: one comfy-table row per connection and a summary line.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use crate::teardown::{Ending, Reset, Teardown};

use super::{ConnectionReport, Report, Summary};

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

/// The table of all connections, then the summary line.
pub fn render(report: &Report) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(HEADINGS);
    for c in &report.connections {
        table.add_row(cells(c));
    }
    format!("{table}\n{}\n", summary_line(&report.summary))
}

/// One connection on one line (live mode).
pub fn line(c: &ConnectionReport) -> String {
    let [id, ends, ended, first, rst, cs, sc, frames, zeek] = cells(c);
    format!(
        "#{id} {ends}  ended {ended}  closed first {first}  RST {rst}  bytes c→s {cs} s→c {sc}  frames {frames}  zeek {zeek}"
    )
}

/// `N connections: …; F frames read (T TCP); anomalies: …; at most P open at once`.
pub fn summary_line(s: &Summary) -> String {
    let verdicts: Vec<String> = Ending::ALL
        .iter()
        .map(|e| format!("{} {}", s.verdicts.get(*e), e.name()))
        .collect();
    let sk = &s.skipped;
    let mut anomalies = vec![
        format!(
            "truncated {}",
            sk.truncated + s.capture_anomalies.truncated_records
        ),
        format!("unknown link type {}", sk.unknown_link_type),
        format!("non-TCP skipped {}", sk.not_tcp + sk.not_ip),
        format!("tunnels not decapsulated {}", sk.tunnels),
    ];
    let extra = [
        ("malformed", sk.malformed),
        ("IPsec ESP (encrypted)", sk.esp),
        ("IP fragments", sk.fragment),
        ("bad IP checksum", sk.bad_ip_checksum),
        ("tunnels too deep", sk.tunnel_too_deep),
        ("damaged records", s.capture_anomalies.damaged_records),
        ("unknown pcapng blocks", s.capture_anomalies.unknown_blocks),
        ("unknown interface", s.capture_anomalies.unknown_interface),
        ("bad TCP header", s.flow_anomalies.tcp_bad_header),
        ("bad TCP checksum", s.flow_anomalies.tcp_bad_checksum),
    ];
    anomalies.extend(
        extra
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{name} {n}")),
    );
    let scope = if s.out_of_scope > 0 {
        format!(" ({} more out of scope)", s.out_of_scope)
    } else {
        String::new()
    };
    let tunneled = if s.decapsulated.total > 0 {
        format!(", {} from tunnels", s.decapsulated.total)
    } else {
        String::new()
    };
    format!(
        "{} connections{scope}: {}; {} frames read ({} TCP{tunneled}); anomalies: {}; at most {} open at once",
        s.connections,
        verdicts.join(", "),
        s.frames,
        s.tcp_segments,
        anomalies.join(", "),
        s.peak_open
    )
}
