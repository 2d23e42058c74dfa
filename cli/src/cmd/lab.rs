//! `wsusfix lab ...`.
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum LabCommand {
    /// Serve simulated hosts.
    Serve,
}

pub fn run(_cmd: LabCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet built")
}
