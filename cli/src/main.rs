//! `wsusfix`: the command-line face of wsusfix-core.
//!
//! This binary is deliberately thin: it parses arguments into the request values core
//! expects, turns core's events into progress bars, and prints results. Every decision
//! about hosts, versions and steps lives in `wsusfix-core`.

mod cmd;
mod events;
mod output;
mod progress;
mod verbosity;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Find, plan, rehearse, apply and document the KB954960 fix across a fleet of WSUS servers.
///
/// WSUS 3.0 and 3.0 SP1 servers stop delivering every update to clients that run Office 2003
/// (Microsoft advisory 954960). wsusfix finds the affected servers over SSH, writes a plan you
/// can review, rehearses it on simulated twins, applies it in safe batches and writes the
/// change-request paperwork.
#[derive(Parser)]
#[command(name = "wsusfix", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    /// Say more on standard error: -v each host's verdict and step, -vv connections and
    /// commands, -vvv SSH-level detail (algorithms, banners, every exec).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Say less on standard error: no progress bars or per-host lines; results, warnings and
    /// errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load and validate an inventory; list the selected hosts with their merged variables.
    #[command(subcommand)]
    Inventory(cmd::inventory::InventoryCommand),
    Scan(cmd::scan::Args),
    Plan(cmd::plan::Args),
    ProbeScript(cmd::probe_script::Args),
    Assess(cmd::assess::Args),
    Apply(cmd::apply::Args),
    Show(cmd::show::Args),
    Report(cmd::report::Args),
    /// Print the embedded KB954960 definition, to copy and adapt for --advisory FILE.
    Advisory,
    /// The simulated fleet: serve simulated WSUS servers over real SSH on loopback.
    #[cfg(feature = "lab")]
    #[command(subcommand)]
    Lab(cmd::lab::LabCommand),
    #[cfg(feature = "lab")]
    Demo(cmd::demo::Args),
    Completions(cmd::generate::CompletionsArgs),
    Man(cmd::generate::ManArgs),
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage(&err),
    };
    verbosity::init(cli.verbose, cli.quiet);
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", cmd::error_paragraph(&err));
            ExitCode::from(1)
        }
    }
}

/// What a command line clap refused exits with: 1, like every usage or input error, never 2,
/// which `scan` and `assess` give for "affected hosts found" (a wrapper script must not start
/// planning on a typo; no command at all is one too). `--help` and `--version` print to stdout
/// and exit 0.
fn usage(err: &clap::Error) -> ExitCode {
    let _ = err.print();
    match err.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

/// `wsusfix scan | head`: when the reader goes away, end quietly as Unix tools do (Rust's
/// runtime ignores SIGPIPE, and a write to the closed pipe would otherwise panic).
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Runs one command line of wsusfix in this process, as a user would type it (the demo runs
/// the real commands this way).
#[cfg(feature = "lab")]
pub fn run_command_line(args: &[String]) -> anyhow::Result<ExitCode> {
    let cli = Cli::try_parse_from(std::iter::once("wsusfix".to_string()).chain(args.iter().cloned()))?;
    dispatch(cli.command)
}

fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Inventory(c) => cmd::inventory::run(c),
        Command::Scan(a) => cmd::scan::run(a),
        Command::Plan(a) => cmd::plan::run(a),
        Command::ProbeScript(a) => cmd::probe_script::run(a),
        Command::Assess(a) => cmd::assess::run(a),
        Command::Apply(a) => cmd::apply::run(a),
        Command::Show(a) => cmd::show::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Advisory => {
            print!("{}", wsusfix_core::advisory::EMBEDDED);
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "lab")]
        Command::Lab(c) => cmd::lab::run(c),
        #[cfg(feature = "lab")]
        Command::Demo(a) => cmd::demo::run(a),
        Command::Completions(a) => cmd::generate::completions(&a),
        Command::Man(a) => cmd::generate::man(&a),
    }
}
