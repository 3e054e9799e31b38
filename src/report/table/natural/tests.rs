//! The hand-drawn table against comfy-table's drawing of the same cells,
//! byte for byte.

use std::path::{Path, PathBuf};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::super::{HEADINGS, cells};
use super::{widths, write};
use crate::report::ConnectionReport;
use crate::test_rng::Rng;

/// What the table was drawn with before it was written by hand.
fn comfy(rows: &[[String; 9]]) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(HEADINGS);
    for r in rows {
        table.add_row(r.clone());
    }
    format!("{table}\n")
}

fn cell(r: &[String; 9], i: usize) -> &str {
    &r[i]
}

fn by_hand(rows: &[[String; 9]]) -> String {
    let widths = widths(rows, cell).expect("columns comfy-table draws unbroken");
    let mut out = Vec::new();
    write(&mut out, &widths, rows, cell).unwrap();
    String::from_utf8(out).unwrap()
}

fn assert_same(rows: &[[String; 9]], what: &str) {
    let (hand, comfy) = (by_hand(rows), comfy(rows));
    assert!(
        hand == comfy,
        "{what}:\nby hand:\n{hand}\ncomfy-table:\n{comfy}"
    );
}

/// Every capture under `dir`, however deep.
fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            captures(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng")
        {
            out.push(path);
        }
    }
}

#[test]
fn every_capture_is_drawn_as_comfy_table_draws_it() {
    use crate::analyze::{AnalyzeOptions, analyze_each};
    let mut paths = Vec::new();
    captures(Path::new("captures"), &mut paths);
    paths.sort();
    assert!(paths.len() >= 50, "only {} captures", paths.len());
    let mut drawn_rows = 0;
    for path in &paths {
        let mut reader = crate::capture::open_file(path).unwrap();
        // Decoded, as `lab analyze` does by default.
        let opts = AnalyzeOptions {
            app: Some(crate::app::AppOptions::default()),
            ..AnalyzeOptions::default()
        };
        let mut reports = Vec::new();
        analyze_each(&mut reader, &opts, |f| {
            reports.push(ConnectionReport::of(f.connection).with_finished(f.app))
        })
        .unwrap();
        reports.sort_by_key(|c| c.id);
        let rows: Vec<[String; 9]> = reports.iter().map(cells).collect();
        drawn_rows += rows.len();
        assert_same(&rows, &path.display().to_string());
    }
    // 82 when written; a floor that catches captures no longer read.
    assert!(drawn_rows >= 50, "only {drawn_rows} rows");
}

/// Pieces of cells: ASCII, multi-byte one column wide (`→`, `·`, `é` as
/// `e` and a combining accent), two columns wide (CJK, an emoji), a space,
/// a line break (comfy-table splits a cell into lines there).
const PIECES: [&str; 12] = [
    "a", "RST", "12345", "→", " · ", "e\u{301}", "漢字", "😀", " ", "-", "\n", "",
];

fn random_cell(rng: &mut Rng) -> String {
    // Empty a fifth of the time; otherwise up to 40 pieces.
    if rng.below(5) == 0 {
        return String::new();
    }
    (0..rng.below(40) + 1)
        .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
        .collect()
}

#[test]
fn generated_rows_are_drawn_as_comfy_table_draws_them() {
    let mut rng = Rng(0x7ab1_e5ee_d001);
    // No rows, one, and more, many times over.
    for round in 0..300 {
        let n = match round % 3 {
            0 => 0,
            1 => 1,
            _ => rng.below(30) as usize + 2,
        };
        let rows: Vec<[String; 9]> = (0..n)
            .map(|_| std::array::from_fn(|_| random_cell(&mut rng)))
            .collect();
        assert_same(&rows, &format!("round {round}"));
    }
}

#[test]
fn a_row_of_empty_cells_is_drawn_as_comfy_table_draws_it() {
    assert_same(&[std::array::from_fn(|_| String::new())], "empty cells");
    assert_same(&[], "no rows");
}
