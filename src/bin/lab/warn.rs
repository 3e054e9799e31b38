//! Warnings on standard error: one line each, `lab: warning: …`, printed
//! from the typed values the library reports, in one place so that every
//! subcommand says them the same way.

use wirelab::report::Warning;

/// Prints each warning on its own line.
pub fn print(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("lab: warning: {w}");
    }
}
