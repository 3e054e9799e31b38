//! The table fitted to a terminal: the columns that fit, colour on the
//! verdicts, ASCII glyphs when asked.
//!
//! Narrow terminals keep the columns that answer "how did it end": id,
//! endpoints, verdict, who closed first, who sent RST and in which phase,
//! and Zeek's state and history. The byte counts and frame numbers go
//! first (a note under the table says so, and how to see them); what is
//! still too wide is wrapped inside its cells rather than across the
//! screen.

use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Row, Table, Width};

use crate::teardown::Ending;

use super::{HEADINGS, KeptRow, Style};

/// Every column, by index into [`HEADINGS`].
const ALL: [usize; 9] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
/// id, endpoints, ended, closed first, RST by (phase), zeek.
const ESSENTIAL: [usize; 6] = [0, 1, 2, 3, 4, 8];
/// Index of the `ended` and `RST by (phase)` columns, which get colour.
const ENDED: usize = 2;
const RST_BY: usize = 4;

/// `→` and `·` in ASCII, for a terminal whose locale is not UTF-8 (the
/// live mode's lines, and the cells here).
pub fn ascii(text: &str) -> String {
    text.replace('→', "->")
        .replace('←', "<-")
        .replace(" · ", "; ")
}

/// The colour of a verdict: red for the endings a RST makes, green for
/// FIN both ways, yellow for one FIN only.
pub(super) fn verdict_color(e: Ending) -> Option<Color> {
    match e {
        Ending::Rst | Ending::Refused => Some(Color::Red),
        Ending::Fin => Some(Color::Green),
        Ending::HalfClosed => Some(Color::Yellow),
        Ending::Open | Ending::Unanswered => None,
    }
}

/// Characters a column takes: the widest cell, one space each side, and
/// its left border (the table's right border adds one more).
fn column_width(headings: &[String], rows: &[[String; 9]], i: usize) -> usize {
    let widest = content_width(rows, i).max(longest_line(&headings[i]));
    // comfy-table gives an empty column one character.
    widest.max(1) + 3
}

/// The longest line of a cell, in characters.
fn longest_line(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The widest cell of column `i`.
fn content_width(rows: &[[String; 9]], i: usize) -> usize {
    rows.iter().map(|r| longest_line(&r[i])).max().unwrap_or(0)
}

/// The table for `width` terminal columns, and the note to print under it
/// when columns were left out.
pub(super) fn table(kept: &[KeptRow], width: u16, style: &Style) -> (Table, Option<String>) {
    let glyphs = |t: &str| {
        if style.ascii { ascii(t) } else { t.to_string() }
    };
    let headings: Vec<String> = HEADINGS.iter().map(|h| glyphs(h)).collect();
    let rows: Vec<[String; 9]> = kept
        .iter()
        .map(|r| std::array::from_fn(|i| glyphs(r.cell(i))))
        .collect();
    let natural = |cols: &[usize]| {
        1 + cols
            .iter()
            .map(|&i| column_width(&headings, &rows, i))
            .sum::<usize>()
    };
    let fits = |cols: &[usize]| natural(cols) <= usize::from(width);
    let (cols, note, rows): (&[usize], _, _) = if fits(&ALL) || kept.is_empty() {
        (&ALL, None, rows)
    } else {
        // Two short lines take less width than one long one: the client
        // above the server, the RST's sender above its phase.
        let rows = rows
            .into_iter()
            .map(|mut r| {
                r[1] = r[1].replacen(" -> ", " ->\n", 1).replacen(" → ", " →\n", 1);
                r[RST_BY] = r[RST_BY].replace(" (", "\n(");
                r
            })
            .collect();
        let note = format!("bytes and frames hidden to fit {width} columns: `| less -S` shows all");
        (&ESSENTIAL, Some(note), rows)
    };
    let natural = |cols: &[usize]| {
        1 + cols
            .iter()
            .map(|&i| column_width(&headings, &rows, i))
            .sum::<usize>()
    };
    let fits = |cols: &[usize]| natural(cols) <= usize::from(width);
    let mut table = Table::new();
    // The library decides, not comfy-table's look at the process's stdout.
    table.force_no_tty();
    if style.color {
        table.enforce_styling();
    }
    table.load_style(if style.ascii {
        ASCII_FULL_CONDENSED
    } else {
        UTF8_FULL_CONDENSED
    });
    let wrap = !fits(cols);
    if wrap {
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width);
    } else {
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    // Where something must wrap, the cells keep their lines whole as far
    // as the width allows, the short ones (id, verdict, who) first since a
    // word broken letter by letter is unreadable; the headings give way.
    let mut budget = usize::from(width).saturating_sub(1 + cols.len());
    let mut keep: Vec<(usize, u16)> = Vec::new();
    if wrap {
        for i in [0, ENDED, 3, 1, 8, RST_BY] {
            let Some(pos) = cols.iter().position(|&c| c == i) else {
                continue;
            };
            // Room for the cells and for the heading's longest word;
            // comfy-table counts the padding (one space each side) in.
            let word = headings[i].split(' ').map(|w| w.chars().count()).max();
            let need = content_width(&rows, i).max(word.unwrap_or(1)) + 2;
            // The columns left unbounded keep room for a short word each.
            let unbounded = cols.len() - keep.len() - 1;
            if need + 7 * unbounded <= budget {
                budget -= need;
                keep.push((pos, u16::try_from(need).unwrap_or(u16::MAX)));
            }
        }
    }
    table.set_header(cols.iter().map(|&i| headings[i].clone()));
    for (c, row) in kept.iter().zip(rows) {
        let cells = cols.iter().map(|&i| {
            let color = match i {
                _ if !style.color => None,
                ENDED => verdict_color(c.ending),
                RST_BY if row[i] != "-" => Some(Color::Red),
                _ => None,
            };
            let cell = Cell::new(&row[i]);
            match color {
                Some(color) => cell.fg(color),
                None => cell,
            }
        });
        table.add_row(Row::from(cells.collect::<Vec<_>>()));
    }
    for (pos, w) in keep {
        if let Some(column) = table.column_mut(pos) {
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
        }
    }
    (table, note)
}

#[cfg(test)]
mod tests {
    use super::super::{cells, render_styled};
    use super::*;
    use crate::capture::Timestamp;
    use crate::flow::{ConnState, Removal, RstPhase};
    use crate::report::{ConnectionReport, Report, Summary, ZeekRecord};
    use crate::teardown::{Frames, Reset, Role, Teardown};
    use crate::wire::Endpoint;

    /// A connection the server reset while the request was unread, with
    /// IPv6 endpoints: the widest row a real capture gives.
    fn reset_v6(id: u64) -> ConnectionReport {
        let ep = |port| Endpoint {
            addr: "2001:db8::1234:5678".parse().unwrap(),
            port,
        };
        let rst = Reset {
            sender: Role::Server,
            phase: RstPhase::UnreadData,
            frame: 12,
        };
        ConnectionReport {
            id,
            teardown: Teardown {
                ending: Ending::Rst,
                client: ep(41000),
                server: ep(8080),
                client_from_syn: true,
                closed_first: None,
                first_rst: Some(rst),
                client_rst: None,
                server_rst: Some(rst),
                bytes_client_to_server: 4_000_000,
                bytes_server_to_client: 120,
                frames: Frames {
                    first: 1,
                    syn: Some(1),
                    server_fin: Some(9),
                    server_rst: Some(12),
                    ..Frames::default()
                },
            },
            zeek: ZeekRecord {
                ts: Timestamp(0),
                service: None,
                tunnel_parents: [None, None],
                orig: ep(41000),
                resp: ep(8080),
                proto: crate::flow::TransportProto::Tcp,
                duration: None,
                orig_bytes: None,
                resp_bytes: None,
                conn_state: ConnState::RSTR,
                missed_bytes: 0,
                history: "ShADadFr".into(),
                orig_pkts: 6,
                orig_ip_bytes: 400,
                resp_pkts: 5,
                resp_ip_bytes: 300,
            },
            removal: Removal::CloseTimer,
            app: None,
        }
    }

    fn report(n: u64) -> Report {
        Report {
            connections: (1..=n).map(reset_v6).collect(),
            summary: Summary::default(),
        }
    }

    fn widths(text: &str) -> Vec<usize> {
        text.lines().map(|l| l.chars().count()).collect()
    }

    #[test]
    fn a_wide_terminal_gets_the_file_table_unchanged() {
        let r = report(2);
        let file = render_styled(&r, &Style::default());
        let wide = Style {
            width: Some(400),
            ..Style::default()
        };
        assert_eq!(render_styled(&r, &wide), file);
    }

    #[test]
    fn the_natural_width_is_what_comfy_table_draws() {
        let r = report(1);
        let rows: Vec<[String; 9]> = r.connections.iter().map(cells).collect();
        let headings: Vec<String> = HEADINGS.iter().map(|h| h.to_string()).collect();
        let computed = 1 + ALL
            .iter()
            .map(|&i| column_width(&headings, &rows, i))
            .sum::<usize>();
        let drawn = widths(&render_styled(&r, &Style::default()))[0];
        assert_eq!(computed, drawn);
        // At exactly that width, nothing is hidden.
        let exact = Style {
            width: Some(u16::try_from(drawn).unwrap()),
            ..Style::default()
        };
        assert!(!render_styled(&r, &exact).contains("hidden"));
        let less = Style {
            width: Some(u16::try_from(drawn - 1).unwrap()),
            ..Style::default()
        };
        assert!(render_styled(&r, &less).contains("hidden"));
    }

    #[test]
    fn eighty_columns_keep_the_essentials_within_the_width() {
        let style = Style {
            width: Some(80),
            ..Style::default()
        };
        let text = render_styled(&report(3), &style);
        for (line, w) in text.lines().zip(widths(&text)) {
            // The summary is one line the terminal may wrap; the table and
            // its note must fit.
            if !line.starts_with("0 connections") {
                assert!(w <= 80, "{w} columns: {line}\n{text}");
            }
        }
        for kept in ["id", "client", "ended", "closed", "RST by", "zeek", "RSTR"] {
            assert!(text.contains(kept), "{kept} missing:\n{text}");
        }
        assert!(!text.contains("bytes c→s"), "{text}");
        assert!(text.contains("hidden to fit 80 columns"), "{text}");
    }

    #[test]
    fn ascii_has_no_arrow_dot_or_box_character() {
        let style = Style {
            width: Some(300),
            ascii: true,
            ..Style::default()
        };
        let text = render_styled(&report(2), &style);
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains("client -> server"), "{text}");
        assert!(text.contains("SYN 1; FIN s9; RST s12"), "{text}");
    }

    #[test]
    fn colour_only_when_asked_and_on_the_rst_cells() {
        let plain = render_styled(
            &report(1),
            &Style {
                width: Some(300),
                ..Style::default()
            },
        );
        assert!(!plain.contains('\x1b'));
        let coloured = render_styled(
            &report(1),
            &Style {
                width: Some(300),
                color: true,
                ..Style::default()
            },
        );
        assert!(coloured.contains('\x1b'), "{coloured:?}");
        // Without the escapes, the same table.
        let stripped = strip_ansi(&coloured);
        assert_eq!(stripped, plain);
    }

    /// Removes `ESC [ ... letter` sequences.
    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
