//! `lab completions SHELL`: the shell's completion script for `lab`, built by
//! clap_complete from the same definitions that parse the flags, so it cannot
//! fall behind them.

use std::process::ExitCode;

use anyhow::Context;
use clap_complete::Shell;

/// Flags of `lab completions`.
#[derive(clap::Args)]
#[command(after_help = "Install, for example:
  lab completions bash > ~/.local/share/bash-completion/completions/lab
  lab completions zsh  > ~/.zfunc/_lab    (with fpath+=(~/.zfunc) before compinit)
  lab completions fish > ~/.config/fish/completions/lab.fish")]
pub struct Args {
    /// The shell to write completions for.
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: Args, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    // Generated into memory first: clap_complete panics when its writer
    // fails, and a closed pipe (`lab completions bash | head`) is no reason to.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "lab", &mut script);
    crate::write_stdout(&script).context("writing the completion script")?;
    Ok(ExitCode::SUCCESS)
}
