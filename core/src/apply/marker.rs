//! The host-side mark of a run in progress: a folder `wsusfix-run` in the host's staging
//! folder, created atomically by `mkdir`, holding one owner line (`wsusfix run RUN_ID by
//! MACHINE pid PID`). A run claims a host before changing anything on it and releases it when
//! the host is done; a second run, from this machine or another, finds the mark and refuses the
//! host, naming the owner, unless `apply --force` takes it over (for a mark left by a run that
//! died and will not be resumed). A resumed run owns the marks of the run it resumes: the run
//! id is the same.
//!
//! The run folder's lock ([`super::lock`]) keeps one process per run folder; this mark keeps
//! one run per host, across machines.

use serde::Serialize;

use crate::templates::{TemplateError, Templates};

/// The marker folder's name inside the staging folder.
pub const MARKER_DIR: &str = "wsusfix-run";

/// Who claims the host: the run and where it runs from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimant {
    pub run_id: String,
    pub machine: String,
    pub pid: u32,
}

impl Claimant {
    /// This process, working for `run_id`.
    pub fn this_process(run_id: &str) -> Claimant {
        Claimant { run_id: run_id.to_string(), machine: super::lock::machine(), pid: std::process::id() }
    }

    /// The words that start this run's owner line; a line is this run's when it starts so.
    fn prefix(&self) -> String {
        format!("wsusfix run {} ", plain(&self.run_id))
    }

    /// The owner line written on the host. Only letters, digits, `.` and `-` reach the
    /// command line: a machine name with anything else has it replaced by `_`.
    fn owner_line(&self) -> String {
        format!("{}by {} pid {}", self.prefix(), plain(&self.machine), self.pid)
    }
}

/// Keeps what cmd.exe reads literally inside an `echo`: letters, digits, `.`, `-`.
fn plain(text: &str) -> String {
    let kept: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') { c } else { '_' }).collect();
    match kept.is_empty() {
        true => "_".into(),
        false => kept,
    }
}

/// The marker folder for a staging folder.
pub fn marker_path(staging_dir: &str) -> String {
    format!("{}\\{MARKER_DIR}", staging_dir.trim_end_matches('\\'))
}

#[derive(Serialize)]
struct ClaimContext<'a> {
    staging_dir: &'a str,
    marker: String,
    owner: String,
    owner_prefix: String,
    force: bool,
}

impl<'a> ClaimContext<'a> {
    fn new(staging_dir: &'a str, claimant: &Claimant, force: bool) -> ClaimContext<'a> {
        ClaimContext {
            staging_dir,
            marker: marker_path(staging_dir),
            owner: claimant.owner_line(),
            owner_prefix: claimant.prefix(),
            force,
        }
    }
}

/// The command that claims a host (`steps/run-claim.cmd.tera`).
pub fn claim_command(
    templates: &Templates,
    staging_dir: &str,
    claimant: &Claimant,
    force: bool,
) -> Result<String, TemplateError> {
    templates.render_command_line("steps/run-claim.cmd.tera", &ClaimContext::new(staging_dir, claimant, force))
}

/// The command that releases a host this run claimed (`steps/run-release.cmd.tera`).
pub fn release_command(templates: &Templates, staging_dir: &str, claimant: &Claimant) -> Result<String, TemplateError> {
    templates.render_command_line("steps/run-release.cmd.tera", &ClaimContext::new(staging_dir, claimant, false))
}

/// What the claim command's output says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The mark is this run's (just made, or left by the run being resumed).
    Ours,
    /// Another run holds the host: its owner line.
    Held(String),
    /// No owner line came back: a run racing this one between its `mkdir` and its write, a
    /// folder of that name made by someone else, or a staging folder that cannot be written.
    Unclear,
}

/// Reads the claim command's output.
pub fn read_claim(output: &str, claimant: &Claimant) -> Claim {
    let prefix = claimant.prefix();
    let owner = output.lines().map(str::trim).find(|l| l.starts_with("wsusfix run "));
    match owner {
        Some(line) if format!("{line} ").starts_with(&prefix) => Claim::Ours,
        Some(line) => Claim::Held(line.to_string()),
        None => Claim::Unclear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimant() -> Claimant {
        Claimant { run_id: "20261202T060000Z".into(), machine: "ctl01.example.org".into(), pid: 4242 }
    }

    #[test]
    fn the_claim_writes_an_owner_line_and_prints_it_back() {
        let templates = Templates::embedded().unwrap();
        let command = claim_command(&templates, r"C:\wsusfix\", &claimant(), false).unwrap();
        assert_eq!(
            command,
            r#"(if not exist "C:\wsusfix\" mkdir "C:\wsusfix\") & mkdir "C:\wsusfix\wsusfix-run" 2>nul && (echo wsusfix run 20261202T060000Z by ctl01.example.org pid 4242)> "C:\wsusfix\wsusfix-run\owner.txt" & type "C:\wsusfix\wsusfix-run\owner.txt""#
        );
        let forced = claim_command(&templates, r"C:\wsusfix", &claimant(), true).unwrap();
        assert!(forced.starts_with(r#"(if exist "C:\wsusfix\wsusfix-run\owner.txt" del /q"#), "{forced}");
    }

    #[test]
    fn machine_names_reach_the_command_line_only_as_plain_words() {
        let evil = Claimant { machine: "a&b|c>d\"%PATH%".into(), ..claimant() };
        let line = evil.owner_line();
        assert_eq!(line, "wsusfix run 20261202T060000Z by a_b_c_d__PATH_ pid 4242");
    }

    #[test]
    fn the_owner_line_decides_whose_mark_it_is() {
        let me = claimant();
        let mine = "wsusfix run 20261202T060000Z by ctl01.example.org pid 1\r\n";
        assert_eq!(read_claim(mine, &me), Claim::Ours, "a resumed run (another pid) owns its marks");
        let theirs = "wsusfix run 20261202T060000Z1 by ctl02 pid 7\r\n";
        assert_eq!(read_claim(theirs, &me), Claim::Held("wsusfix run 20261202T060000Z1 by ctl02 pid 7".into()));
        assert_eq!(read_claim("The system cannot find the file specified.\r\n", &me), Claim::Unclear);
        assert_eq!(read_claim("", &me), Claim::Unclear);
    }
}
