//! `wsusfix probe-script`: the probe command line, for a person to run by hand.

use std::process::ExitCode;

use super::common::KnowledgeArgs;

/// Print the read-only probe as one cmd.exe command line, to run by hand.
///
/// For a server that has no SSH: run the printed line in a cmd.exe window as an administrator,
/// save what it prints to a file (e.g. `> probe-HOST.txt`), bring the file back, and assess it
/// with `wsusfix assess probe-HOST.txt`. The probe only reads: it changes nothing.
///
/// Exit status: 0 printed; 1 usage error.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  wsusfix probe-script --wsus-dir 'D:\\Program Files\\Update Services' > probe.cmd.txt"
)]
pub struct Args {
    /// The WSUS install folder on that server.
    #[arg(long, value_name = "WINDOWS_PATH")]
    pub wsus_dir: Option<String>,
    #[command(flatten)]
    pub knowledge: KnowledgeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let advisory = args.knowledge.advisory()?;
    let templates = args.knowledge.templates()?;
    let dir = args.wsus_dir.as_deref().unwrap_or(&advisory.default_wsus_dir);
    let line = wsusfix_core::probe::render(&templates, &advisory, dir)?;
    println!("{line}");
    Ok(ExitCode::SUCCESS)
}
