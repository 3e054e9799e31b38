//! `lab man`: the manual pages, in roff, built by clap_mangen from the same
//! definitions that parse the flags, so they cannot fall behind them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

/// Flags of `lab man`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  lab man | man -l -                     read lab(1)
  lab man reset | man -l -               read lab-reset(1)
  lab man --dir ~/.local/share/man/man1  install every page, then `man lab-reset`")]
pub struct Args {
    /// The page of this subcommand (serve, analyze, reset, ...) instead of lab(1).
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    command: Option<String>,
    /// Write every page (lab.1, lab-analyze.1, lab-reset.1, ...) into this
    /// directory instead of printing one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(args: Args, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    if let Some(dir) = args.dir {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        clap_mangen::generate_to(cmd, &dir)
            .with_context(|| format!("writing manual pages into {}", dir.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    // As clap_mangen::generate_to prepares it: no `help` subcommand in the
    // pages, and subcommands named `lab-reset` as their pages are.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let page = match args.command {
        None => cmd,
        Some(name) => match cmd.find_subcommand(&name) {
            Some(sub) => sub.clone(),
            None => {
                let known: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                bail!("no manual page for {name:?}: one of {}", known.join(", "));
            }
        },
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .context("rendering the manual page")?;
    crate::write_stdout(&roff).context("writing the manual page")?;
    Ok(ExitCode::SUCCESS)
}
