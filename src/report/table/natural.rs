//! The table for a file or pipe, every column at its natural width, written
//! by hand row by row.
//!
//! The bytes are those comfy-table draws with its `UTF8_FULL_CONDENSED`
//! preset and `ContentArrangement::Disabled` (what this table was first
//! drawn with, and what tests and scripts hold), without its per-cell
//! objects and per-line strings: on a capture of a few hundred thousand
//! connections those took over a gigabyte. comfy-table's rules, as of its
//! version 8.0.1, that the writer follows:
//! - a cell is split into lines at `\n`; a row is as high as its highest
//!   cell, the others padded with blank lines;
//! - a column's content width is the widest line of its heading and cells
//!   in display columns (`unicode-width`, the crate comfy-table measures
//!   with: `→` is one column, CJK two), at least 1;
//! - each cell line is one space, the text left-aligned, spaces to the
//!   content width, one space; nothing is trimmed;
//! - borders: `┌─┬─┐` on top, `│` outside and `┆` between cells, `╞═╪═╡`
//!   under the heading (drawn with no rows too), `└─┴─┘` at the bottom;
//!   lines joined by `\n`, with none after the last.
//!
//! comfy-table keeps widths in a `u16`: a wider column would be cut into
//! lines. No cell of ours comes near 65 535 columns; should one, the
//! caller draws with comfy-table itself ([`widths`] says so).

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::HEADINGS;

/// Columns of the table.
const COLUMNS: usize = HEADINGS.len();

/// The display width of the widest line of `text`.
fn widest_line(text: &str) -> usize {
    text.split('\n').map(|l| l.width()).max().unwrap_or(0)
}

/// Each column's content width, or `None` when one is beyond what
/// comfy-table draws unbroken.
pub(super) fn widths<'r, R: 'r>(
    rows: &'r [R],
    cell: impl Fn(&'r R, usize) -> &'r str,
) -> Option<[usize; COLUMNS]> {
    let mut widths = HEADINGS.map(widest_line);
    for r in rows {
        for (i, w) in widths.iter_mut().enumerate() {
            *w = (*w).max(widest_line(cell(r, i)));
        }
    }
    widths
        .iter()
        .all(|&w| w <= usize::from(u16::MAX))
        .then(|| widths.map(|w| w.max(1)))
}

/// A border line: `left`, each column's `fill` (content and padding) with
/// `junction` between, `right`.
fn border(line: &mut String, widths: &[usize; COLUMNS], [left, fill, junction, right]: [char; 4]) {
    line.clear();
    line.push(left);
    for (i, &w) in widths.iter().enumerate() {
        if i > 0 {
            line.push(junction);
        }
        line.extend(std::iter::repeat_n(fill, w + 2));
    }
    line.push(right);
}

/// The lines of one row, each ending in `\n`.
fn row(line: &mut String, widths: &[usize; COLUMNS], cells: [&str; COLUMNS]) {
    line.clear();
    if cells.iter().any(|c| c.contains('\n')) {
        let mut parts = cells.map(|c| c.split('\n'));
        let height = cells.iter().map(|c| c.split('\n').count()).max();
        for _ in 0..height.unwrap_or(1) {
            let texts: [&str; COLUMNS] = std::array::from_fn(|i| parts[i].next().unwrap_or(""));
            one_line(line, widths, texts);
        }
    } else {
        one_line(line, widths, cells);
    }
}

/// One line of a row's cells, padded to the columns, and `\n`.
fn one_line(line: &mut String, widths: &[usize; COLUMNS], texts: [&str; COLUMNS]) {
    line.push('│');
    for (i, (text, &w)) in texts.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push('┆');
        }
        line.push(' ');
        line.push_str(text);
        line.extend(std::iter::repeat_n(' ', w - text.width() + 1));
    }
    line.push('│');
    line.push('\n');
}

/// Writes the table of `rows` (cell `i` of a row given by `cell`) with the
/// column `widths` from [`widths`], and a newline after its last line.
pub(super) fn write<'r, R: 'r>(
    out: &mut impl Write,
    widths: &[usize; COLUMNS],
    rows: &'r [R],
    cell: impl Fn(&'r R, usize) -> &'r str,
) -> io::Result<()> {
    let mut line = String::new();
    border(&mut line, widths, ['┌', '─', '┬', '┐']);
    line.push('\n');
    out.write_all(line.as_bytes())?;
    row(&mut line, widths, HEADINGS);
    out.write_all(line.as_bytes())?;
    border(&mut line, widths, ['╞', '═', '╪', '╡']);
    line.push('\n');
    out.write_all(line.as_bytes())?;
    for r in rows {
        row(&mut line, widths, std::array::from_fn(|i| cell(r, i)));
        out.write_all(line.as_bytes())?;
    }
    border(&mut line, widths, ['└', '─', '┴', '┘']);
    line.push('\n');
    out.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests;
