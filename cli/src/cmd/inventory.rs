//! `wsusfix inventory check`.
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum InventoryCommand {
    /// Load and validate an inventory; list hosts and their merged variables.
    Check,
}

pub fn run(_cmd: InventoryCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet built")
}
