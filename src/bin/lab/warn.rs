//! Warnings on standard error: one line each, `lab: warning: …`, printed
//! from the typed values the library reports, in one place so that every
//! subcommand says them the same way.

use std::fmt::Display;

/// Prints each warning (a [`wirelab::report::Warning`] or its text) on its
/// own line.
pub fn print(warnings: &[impl Display]) {
    for w in warnings {
        crate::say(&format!("warning: {w}"));
    }
}
