//! One connection as the table from a file keeps it until the end: its
//! nine cell texts and its lines under the table, made when it finishes
//! from a report that is then dropped.
//!
//! A whole report per connection (Zeek's record, the application layer's
//! exchanges) is many times what the table prints of it, and a file's table
//! can be drawn only at the end, when every column's widest cell is known.

use std::io::{self, Write};

use crate::report::{ConnectionReport, carried};
use crate::teardown::Ending;

use super::{Style, ascii, cells};

/// What the table prints of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptRow {
    /// First-seen id: the rows are drawn in its order.
    pub id: u64,
    /// The verdict, which a terminal shows in colour.
    pub ending: Ending,
    /// The connection has lines under the table and a RST came after the
    /// client acknowledged a whole response (the section's closing note).
    pub acked_then_rst: bool,
    /// The nine cells one after the other, in one allocation.
    text: Box<str>,
    /// Where cells 1 to 8 start in `text` (cell 0 starts at 0).
    starts: [u32; 8],
    /// The connection's lines under the table, `--frames` ladder included;
    /// empty (no allocation) when it was not decoded or carried nothing.
    pub carried: Box<str>,
}

impl KeptRow {
    /// The row of `c`, whose report may be dropped afterwards.
    pub fn of(c: &ConnectionReport) -> Self {
        Self::from_cells(
            c.id,
            c.teardown.ending,
            &cells(c),
            carried::connection(c, true),
        )
        .with_note(carried::acked_then_rst(c))
    }

    /// A row of the given cells, without lines under the table unless
    /// `carried` has some.
    pub fn from_cells(id: u64, ending: Ending, cells: &[String; 9], carried: String) -> Self {
        let mut text = String::with_capacity(cells.iter().map(String::len).sum());
        let mut starts = [0; 8];
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                // Nine cells of one connection stay far below 4 GiB.
                starts[i - 1] = u32::try_from(text.len()).expect("a row's cells under 4 GiB");
            }
            text.push_str(cell);
        }
        KeptRow {
            id,
            ending,
            acked_then_rst: false,
            text: text.into_boxed_str(),
            starts,
            carried: carried.into_boxed_str(),
        }
    }

    /// The section's note counts only for a connection with lines.
    fn with_note(mut self, acked_then_rst: bool) -> Self {
        self.acked_then_rst = acked_then_rst && !self.carried.is_empty();
        self
    }

    /// Cell `i` (0 to 8, as in the headings).
    pub fn cell(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.starts[i - 1] as usize
        };
        let end = self.starts.get(i).map_or(self.text.len(), |&e| e as usize);
        &self.text[start..end]
    }

    /// The nine cells, owned (for comfy-table).
    pub fn cells(&self) -> [String; 9] {
        std::array::from_fn(|i| self.cell(i).to_string())
    }
}

/// The section under the table: every kept connection's lines, in the
/// rows' order, and the closing note when one of them earned it. Each
/// connection's lines end in a newline, so [`ascii`]'s replacements never
/// span two of them and may be made one connection at a time.
pub fn write_carried(out: &mut impl Write, rows: &[KeptRow], style: &Style) -> io::Result<()> {
    let mut acked = false;
    for r in rows.iter().filter(|r| !r.carried.is_empty()) {
        if style.ascii {
            out.write_all(ascii(&r.carried).as_bytes())?;
        } else {
            out.write_all(r.carried.as_bytes())?;
        }
        acked |= r.acked_then_rst;
    }
    if acked {
        out.write_all(carried::ACKED_THEN_RST_NOTE.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_come_back_as_they_went_in_empty_and_wide_ones_too() {
        let cells: [String; 9] =
            ["7", "", "a → b", "", "漢字", "-", "", "x", ""].map(|s| s.to_string());
        let row = KeptRow::from_cells(7, Ending::Fin, &cells, String::new());
        assert_eq!(row.cells(), cells);
        assert_eq!(row.cell(8), "");
        assert_eq!(row.cell(4), "漢字");
    }
}
