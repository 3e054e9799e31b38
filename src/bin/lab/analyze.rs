//! `lab analyze` (to be written).

use std::process::ExitCode;

/// Flags of `lab analyze`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
