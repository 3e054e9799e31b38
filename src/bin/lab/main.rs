//! `lab`: the wirelab command line. It parses flags, calls the library and
//! prints; every behaviour lives in the `wirelab` library.

mod analyze;
mod progress;
mod reset;
mod serve;
mod term;
mod warn;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Make HTTP's behaviour on the wire visible and testable.
#[derive(Parser)]
#[command(name = "lab", version, about, propagate_version = true)]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Reset(args) => reset::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("lab: {err:#}");
            ExitCode::from(2)
        }
    }
}
