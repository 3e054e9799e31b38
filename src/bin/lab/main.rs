//! `lab`: the wirelab command line. It parses flags, calls the library and
//! prints; every behaviour lives in the `wirelab` library.

mod analyze;
mod completions;
mod diagnose;
#[cfg(feature = "h3")]
mod discover;
mod dns;
mod flags;
mod manual;
mod negotiate;
mod progress;
mod reset;
mod resolve;
mod serve;
mod serve_h3;
mod serve_tls;
mod term;
mod warn;

use std::io::{self, Write};
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
    /// Run the teaching HTTP/1.x and HTTP/2 server in one read mode, in
    /// cleartext or TLS.
    Serve(serve::Args),
    /// Classify every TCP connection's teardown in a capture file or live.
    Analyze(analyze::Args),
    /// Why each RST in a capture happened, and whether it mattered.
    Diagnose(diagnose::Args),
    /// Cause a teardown, capture it, classify it and explain it.
    Reset(reset::Args),
    /// Show how a client and the server chose HTTP/2, from a capture.
    Negotiate(negotiate::Args),
    /// Find HTTP/3 as a browser does: DNS HTTPS record, Alt-Svc, QUIC; how each connection ended.
    #[cfg(feature = "h3")]
    Discover(discover::Args),
    /// Answer DNS on loopback for a test origin: A, AAAA and its HTTPS record.
    Dns(dns::Args),
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
        Command::Diagnose(args) => diagnose::run(args),
        Command::Reset(args) => reset::run(args),
        Command::Negotiate(args) => negotiate::run(args),
        #[cfg(feature = "h3")]
        Command::Discover(args) => discover::run(args),
        Command::Dns(args) => dns::run(args),
        Command::Completions(args) => completions::run(args, Cli::command()),
        Command::Man(args) => manual::run(args, Cli::command()),
    };
    match result {
        Ok(code) => code,
        // A reader that went away (`| head`, `| true`) is not a failure, as
        // for cat or grep: the output it did not want is simply not written.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // stderr itself may be the closed pipe: nothing left to tell.
            let _ = writeln!(io::stderr(), "lab: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}

/// Whether any cause in the chain is EPIPE on a write.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, each cause once: many library
/// errors already name their source in their own text ("cannot open F:
/// No such file or directory"), and repeating it after that only hides the
/// path or value that matters.
fn one_line(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// Writes one `lab: ` line to stderr. A closed stderr is no reason to fail
/// (`eprintln!` would panic): the exit status still says how the run went.
pub(crate) fn say(line: &str) {
    let _ = writeln!(io::stderr(), "lab: {line}");
}

/// Writes `text` to stdout; a closed pipe comes back as an error that
/// [`main`] treats as the end of the output (never a panic, as `print!` does).
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    write_stdout(text.as_bytes())
}

/// [`print`] for bytes (roff, completion scripts).
pub(crate) fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{is_broken_pipe, one_line};
    use std::io;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open x.pcap: {source}")]
    struct Open {
        #[source]
        source: io::Error,
    }

    #[test]
    fn a_cause_already_in_the_text_is_not_repeated() {
        let err = anyhow::Error::new(Open {
            source: io::Error::from(io::ErrorKind::NotFound),
        });
        assert_eq!(one_line(&err), "cannot open x.pcap: entity not found");
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::NotFound))
            .context("reading the report");
        assert_eq!(one_line(&err), "reading the report: entity not found");
    }

    #[test]
    fn broken_pipe_is_found_under_context() {
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the report");
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("broken pipe")));
    }
}
