//! `lab`: the wirelab command line. It parses flags, calls the library and
//! prints; every behaviour lives in the `wirelab` library.

mod analyze;
mod completions;
mod manual;
mod reset;
mod serve;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// The crate version and, in a build from a git checkout, its commit.
const VERSION: &str = match include_str!(concat!(env!("OUT_DIR"), "/git-commit")).as_bytes() {
    [] => env!("CARGO_PKG_VERSION"),
    _ => concat!(
        env!("CARGO_PKG_VERSION"),
        " (commit ",
        include_str!(concat!(env!("OUT_DIR"), "/git-commit")),
        ")"
    ),
};

/// Make HTTP's behaviour on the wire visible and testable.
#[derive(Parser)]
#[command(name = "lab", version = VERSION, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the teaching HTTP/1.x server in one read mode.
    Serve(serve::Args),
    /// Classify every TCP connection's teardown in a capture file or live.
    Analyze(analyze::Args),
    /// Cause a teardown, capture it, classify it and explain it.
    Reset(reset::Args),
    // Putting `lab` on PATH: completions and manual pages.
    /// Print the completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(completions::Args),
    /// Print a manual page in roff (lab(1), lab-reset(1), ...) or install them all.
    Man(manual::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Reset(args) => reset::run(args),
        Command::Completions(args) => completions::run(args, Cli::command()),
        Command::Man(args) => manual::run(args, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("lab: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes `bytes` to standard output; a reader that went away (`| head`) is
/// not an error.
fn write_stdout(bytes: &[u8]) -> std::io::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(ExitCode::SUCCESS),
    }
}
