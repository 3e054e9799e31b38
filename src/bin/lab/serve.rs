//! `lab serve` (to be written).

use std::process::ExitCode;

/// Flags of `lab serve`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
