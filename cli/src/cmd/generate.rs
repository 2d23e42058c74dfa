//! `wsusfix completions SHELL` and `wsusfix man`: what wsusfix writes about itself, generated
//! from the same clap definitions that parse its command line, so they cannot drift from it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

/// Print a shell completion script for wsusfix.
///
/// bash: `wsusfix completions bash > /etc/bash_completion.d/wsusfix`; zsh: into a folder of
/// `$fpath` as `_wsusfix`; fish: `wsusfix completions fish > ~/.config/fish/completions/wsusfix.fish`;
/// PowerShell: `wsusfix completions powershell >> $PROFILE`.
///
/// Exit status: 0 printed; 1 usage error.
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Print wsusfix's man pages (roff): the overview, then one page per command.
///
/// `wsusfix man > wsusfix.1 && man ./wsusfix.1` reads them all in one; `wsusfix man --out DIR`
/// writes `wsusfix.1` and a `wsusfix-COMMAND.1` for each command, to install under a `man1`
/// folder of `manpath`.
///
/// Exit status: 0 written; 1 usage error, or DIR cannot be written.
#[derive(clap::Args)]
pub struct ManArgs {
    /// Write one file per page into this folder instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = crate::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "wsusfix", &mut out);
    print(&out)
}

pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let command = crate::Cli::command();
    let mut pages = vec![("wsusfix".to_string(), command.clone())];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("wsusfix-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().display_name(name)));
    }
    let mut all = Vec::new();
    for (name, page) in pages {
        let mut roff = Vec::new();
        clap_mangen::Man::new(page).render(&mut roff).context("cannot render the man page")?;
        match &args.out {
            Some(dir) => {
                let path = dir.join(format!("{name}.1"));
                wsusfix_core::files::write_atomic(&path, &roff)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            None => all.extend(roff),
        }
    }
    print(&all)
}

fn print(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.context("cannot write to standard output").map(|()| ExitCode::SUCCESS),
    }
}
