//! The run folder and its journal: the record of an `apply` run, and what `--resume` reads.
//!
//! A run folder holds `journal.jsonl` (one JSON object per line, appended and fsync'd entry by
//! entry, so a killed run loses at most the line being written), `plan.yaml` (the exact plan
//! text the run executes), `audit.jsonl` (every remote command, see [`crate::audit`]), and at the end `outcome.json` (for `wsusfix report result`) and
//! `failed-hosts` (one name per line, for `--limit @RUN/failed-hosts`: see [`retry`]) and
//! `failures` (only the hosts that failed or were refused, for `--limit '!@RUN/failures'`).
//!
//! Entries, by their `entry` field: `run-start`, `resume`, `batch-start`, `host-start`,
//! `step`, `host-result`, `manual-ack` (a person did a host's manual step: see
//! [`super::ack`]; it carries its own `version`), `run-end`. Commands are built from validated data and never carry a
//! secret, so their exact text is recorded.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ApplyResult;
use crate::outcome::{HostOutcome, Judged, Outcome};
use crate::plan::Plan;
use crate::time::UtcTime;

pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const PLAN_FILE: &str = "plan.yaml";
pub const FAILED_HOSTS_FILE: &str = "failed-hosts";
/// The hosts that failed or were refused, and only those: `--limit '!@RUN/failures'` goes on
/// without them (`failed-hosts` also lists the hosts never run, which is what a retry wants).
pub const FAILURES_FILE: &str = "failures";
pub const OUTCOME_FILE: &str = "outcome.json";

/// The options a run was started (or resumed) with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    pub serial: Vec<String>,
    pub max_fail_percent: u8,
    pub pause_between_secs: u64,
    pub forks: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    #[serde(default)]
    pub replan: bool,
    #[serde(default)]
    pub backout: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reboot: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reboot_only: bool,
    /// Who started (or resumed) the run, and where: `alice on ctl01`, for the closure record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// One step run, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepEntry {
    pub at: UtcTime,
    pub host: String,
    pub step: String,
    pub command: String,
    #[serde(default)]
    pub exit_code: Option<i64>,
    pub duration_ms: u64,
    pub judged: Judged,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub output_tail: String,
    /// The SSH server's exit status, where it disagreed with the code the command printed
    /// (an 8-bit server, one that sends none). The printed code is the one judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_exit_status: Option<i64>,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum Entry {
    RunStart {
        at: UtcTime,
        run_id: String,
        plan: String,
        plan_sha256: String,
        options: RunOptions,
        hosts: Vec<String>,
    },
    Resume {
        at: UtcTime,
        run_id: String,
        options: RunOptions,
        finished_hosts: usize,
        /// A torn tail of the journal, set aside in this file before resuming.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        torn_tail: Option<String>,
    },
    BatchStart {
        at: UtcTime,
        batch: usize,
        batches: usize,
        hosts: Vec<String>,
    },
    HostStart {
        at: UtcTime,
        host: String,
        batch: usize,
    },
    Step(StepEntry),
    HostResult {
        at: UtcTime,
        result: HostOutcome,
    },
    /// A person recorded a host's manual step as done (`apply --ack-manual`).
    ManualAck {
        at: UtcTime,
        /// The entry's shape ([`super::ack::MANUAL_ACK_VERSION`]).
        version: u32,
        host: String,
        step: String,
        by: String,
        note: String,
        /// The earlier run it was recorded in, when carried over from there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_run: Option<String>,
    },
    RunEnd {
        at: UtcTime,
        counts: BTreeMap<Outcome, usize>,
        stopped: Option<String>,
    },
}

/// Why a run folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: {source}{}", path.display(), if crate::files::is_full(source) { " (the disk is full: free space, then resume the run)" } else { "" })]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{} already holds a journal: resume it with --resume, or choose another --run-dir", path.display())]
    Exists { path: PathBuf },
    #[error("{}, line {line}: not a journal entry: {message}", path.display())]
    Invalid { path: PathBuf, line: usize, message: String },
    #[error("{}: the journal has no run-start entry", path.display())]
    NoRunStart { path: PathBuf },
    #[error("{}: the plan copy's SHA-256 is {found}, the run started with {expected}: it was edited", path.display())]
    PlanChanged { path: PathBuf, expected: String, found: String },
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanFileError),
    #[error(
        "{} is in use by {holder}: one process at a time runs or resumes a run folder (wait for it, or stop it)",
        path.display()
    )]
    Locked { path: PathBuf, holder: String },
    #[error("{} is a symbolic link: give the run folder's real path", path.display())]
    Symlink { path: PathBuf },
    #[error("{}: a {entry} entry of version {found}, newer than this wsusfix reads ({known}): use a newer wsusfix", path.display())]
    NewerEntry { path: PathBuf, entry: &'static str, found: u32, known: u32 },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io { path: path.to_path_buf(), source }
}

/// An append-only journal, shared by the workers of a run.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    error: Mutex<Option<String>>,
}

impl Journal {
    fn open(path: &Path, create_new: bool) -> Result<Journal, JournalError> {
        let mut options = OpenOptions::new();
        options.append(true);
        if create_new {
            options.create_new(true);
        }
        let file = options.open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => JournalError::Exists { path: path.to_path_buf() },
            _ => JournalError::Io { path: path.to_path_buf(), source: e },
        })?;
        Ok(Journal { path: path.to_path_buf(), file: Mutex::new(file), error: Mutex::new(None) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an entry as one line and syncs it to disk. A failure is kept (see
    /// [`Journal::error`]): the run stops taking new hosts, since it could not be resumed.
    pub fn append(&self, entry: &Entry) {
        let result = serde_json::to_string(entry).map_err(std::io::Error::other).and_then(|mut line| {
            line.push('\n');
            let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
            file.write_all(line.as_bytes())?;
            file.sync_data()
        });
        if let Err(e) = result {
            let mut error = self.error.lock().unwrap_or_else(|p| p.into_inner());
            error.get_or_insert_with(|| {
                format!("cannot write the journal {}", JournalError::Io { path: self.path.clone(), source: e })
            });
        }
    }

    /// The first write failure, if any.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sets aside a torn tail: the last lines that are not whole entries (cut short by a killed
    /// process or a full disk, or padded with NUL bytes after a power loss) move to a file
    /// beside the journal (`journal.jsonl.torn`, `.torn.2`, ...) and the journal is cut back to
    /// its last whole entry, so appending goes on from there. A bad line before a good one is
    /// not a torn tail: it stays, and reading the journal reports it.
    pub fn repair_tail(path: &Path) -> Result<Option<PathBuf>, JournalError> {
        let bytes = std::fs::read(path).map_err(io_at(path))?;
        let mut cut = bytes.len();
        loop {
            let body = &bytes[..cut];
            let start = body[..body.len().saturating_sub(1)].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let line = &body[start..];
            let whole = line.ends_with(b"\n") && serde_json::from_slice::<Entry>(line.trim_ascii_end()).is_ok();
            let blank = line.iter().all(|b| b.is_ascii_whitespace());
            if cut == 0 || whole || (blank && !line.is_empty() && line.ends_with(b"\n") && !line.contains(&0)) {
                break;
            }
            cut = start;
        }
        if cut == bytes.len() {
            return Ok(None);
        }
        let mut aside = path.with_extension("jsonl.torn");
        for n in 2.. {
            if !aside.exists() {
                break;
            }
            aside = path.with_extension(format!("jsonl.torn.{n}"));
        }
        std::fs::write(&aside, &bytes[cut..]).map_err(io_at(&aside))?;
        let file = OpenOptions::new().write(true).open(path).map_err(io_at(path))?;
        file.set_len(cut as u64).and_then(|()| file.sync_data()).map_err(io_at(path))?;
        Ok(Some(aside))
    }

    /// Reads a journal. A last line cut short by a killed process is ignored.
    pub fn read(path: &Path) -> Result<Vec<Entry>, JournalError> {
        let text = std::fs::read_to_string(path).map_err(io_at(path))?;
        let lines: Vec<&str> = text.lines().collect();
        let mut entries = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(entry) => entries.push(entry),
                Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
                Err(e) => {
                    return Err(JournalError::Invalid { path: path.to_path_buf(), line: i + 1, message: e.to_string() })
                }
            }
        }
        Ok(entries)
    }
}

/// A run's folder.
#[derive(Clone, Debug)]
pub struct RunDir {
    pub path: PathBuf,
    pub run_id: String,
}

/// What `--resume` finds in a run folder.
#[derive(Debug)]
pub struct Resumed {
    pub dir: RunDir,
    pub plan: Plan,
    pub entries: Vec<Entry>,
    pub journal: Journal,
    /// Where a torn tail of the journal was set aside, if it had one.
    pub set_aside: Option<PathBuf>,
}

/// `20261125T201500Z`.
pub fn run_id(at: UtcTime) -> String {
    at.to_string().replace(['-', ':'], "")
}

/// SHA-256 of a text, hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl RunDir {
    /// `runs/<run id>` under the current folder.
    pub fn default_path(at: UtcTime) -> PathBuf {
        Path::new("runs").join(run_id(at))
    }

    /// Creates the folder (it may exist, but must hold no journal), copies the plan text and
    /// opens a new journal.
    pub fn create(path: &Path, plan_text: &str, at: UtcTime) -> Result<(RunDir, Journal), JournalError> {
        // A run folder is never reached through a symbolic link, and nothing in it is overwritten.
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(JournalError::Symlink { path: path.to_path_buf() });
        }
        std::fs::create_dir_all(path).map_err(io_at(path))?;
        let journal = Journal::open(&path.join(JOURNAL_FILE), true)?;
        let plan_path = path.join(PLAN_FILE);
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&plan_path)
            .and_then(|mut f| f.write_all(plan_text.as_bytes()))
            .map_err(io_at(&plan_path))?;
        Ok((RunDir { path: path.to_path_buf(), run_id: run_id(at) }, journal))
    }

    /// Creates the run folder and records the run's start: the plan it runs (by label and
    /// hash), the options and the hosts.
    pub fn start(
        path: &Path,
        plan_text: &str,
        plan_label: &str,
        options: RunOptions,
        hosts: Vec<String>,
        at: UtcTime,
    ) -> Result<(RunDir, Journal), JournalError> {
        let (dir, journal) = RunDir::create(path, plan_text, at)?;
        journal.append(&Entry::RunStart {
            at,
            run_id: dir.run_id.clone(),
            plan: plan_label.to_string(),
            plan_sha256: sha256_hex(plan_text),
            options,
            hosts,
        });
        Ok((dir, journal))
    }

    /// Opens a run folder to resume it: its journal, and its plan copy, checked against the
    /// hash the run started with.
    pub fn resume(path: &Path) -> Result<Resumed, JournalError> {
        let journal_path = path.join(JOURNAL_FILE);
        let set_aside = Journal::repair_tail(&journal_path)?;
        let entries = Journal::read(&journal_path)?;
        let Some((run_id, expected)) = entries.iter().find_map(|e| match e {
            Entry::RunStart { run_id, plan_sha256, .. } => Some((run_id.clone(), plan_sha256.clone())),
            _ => None,
        }) else {
            return Err(JournalError::NoRunStart { path: journal_path });
        };
        if let Some(found) = entries.iter().find_map(|e| match e {
            Entry::ManualAck { version, .. } if *version > super::ack::MANUAL_ACK_VERSION => Some(*version),
            _ => None,
        }) {
            let known = super::ack::MANUAL_ACK_VERSION;
            return Err(JournalError::NewerEntry { path: journal_path, entry: "manual-ack", found, known });
        }
        let plan_path = path.join(PLAN_FILE);
        let text = std::fs::read_to_string(&plan_path).map_err(io_at(&plan_path))?;
        let found = sha256_hex(&text);
        if found != expected {
            return Err(JournalError::PlanChanged { path: plan_path, expected, found });
        }
        let plan = Plan::parse(&text, &plan_path)?;
        let journal = Journal::open(&journal_path, false)?;
        Ok(Resumed { dir: RunDir { path: path.to_path_buf(), run_id }, plan, entries, journal, set_aside })
    }

    /// Writes `outcome.json`, `failed-hosts` and `failures`.
    pub fn finish(&self, result: &ApplyResult) -> Result<(), JournalError> {
        let outcome = self.path.join(OUTCOME_FILE);
        let json = serde_json::to_string_pretty(&result.to_run_outcome())
            .map_err(std::io::Error::other)
            .map_err(io_at(&outcome))?;
        crate::files::write_atomic(&outcome, (json + "\n").as_bytes()).map_err(io_at(&outcome))?;
        let failed = self.path.join(FAILED_HOSTS_FILE);
        let names: String = result.hosts.iter().filter(|h| retry(h.outcome)).map(|h| format!("{}\n", h.host)).collect();
        crate::files::write_atomic(&failed, names.as_bytes()).map_err(io_at(&failed))?;
        let failures = self.path.join(FAILURES_FILE);
        let names: String =
            result.hosts.iter().filter(|h| h.outcome.is_failure()).map(|h| format!("{}\n", h.host)).collect();
        crate::files::write_atomic(&failures, names.as_bytes()).map_err(io_at(&failures))
    }
}

/// Whether a host goes in the retry file `failed-hosts`: as Ansible's `.retry` file lists the
/// hosts that failed and those it could not reach, it lists hosts that failed or were refused,
/// hosts the run never got to (a stop), and hosts that could not be reached or assessed when
/// the plan was made (`needs-attention`: rescan them, `wsusfix scan --limit @RUN/failed-hosts`).
/// Not listed: hosts fixed, not needing it, skipped, backed out, or at a manual step.
pub fn retry(outcome: Outcome) -> bool {
    outcome.is_failure() || matches!(outcome, Outcome::NotRun | Outcome::NeedsAttention)
}

/// Why the run last stopped early, as its last `run-end` says (`None`: it ended whole, or
/// never ended).
pub fn last_stop(entries: &[Entry]) -> Option<String> {
    entries.iter().rev().find_map(|e| match e {
        Entry::RunEnd { stopped, .. } => Some(stopped.clone()),
        _ => None,
    })?
}

/// The results already recorded in a journal, by host (the last one wins).
pub fn finished_hosts(entries: &[Entry]) -> BTreeMap<String, HostOutcome> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::HostResult { result, .. } => Some((result.host.clone(), result.clone())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let at = UtcTime(1_795_637_700);
        let (run, journal) = RunDir::create(dir.path(), "plan text", at).unwrap();
        assert_eq!(run.run_id, "20261125T201500Z");
        journal.append(&Entry::HostStart { at, host: "wsus01".into(), batch: 1 });
        journal.append(&Entry::HostResult { at, result: HostOutcome::new("wsus01", Outcome::Failed, "x") });
        assert!(journal.error().is_none());
        let path = dir.path().join(JOURNAL_FILE);
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"entry\":\"ho").unwrap();
        let entries = Journal::read(&path).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(finished_hosts(&entries)["wsus01"].outcome, Outcome::Failed);
        assert!(matches!(RunDir::create(dir.path(), "x", at), Err(JournalError::Exists { .. })));
        let line = std::fs::read_to_string(&path).unwrap();
        assert!(
            line.starts_with("{\"entry\":\"host-start\",\"at\":\"2026-11-25T20:15:00Z\",\"host\":\"wsus01\""),
            "{line}"
        );
    }

    #[test]
    fn a_torn_or_nul_padded_tail_is_set_aside_and_appending_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let at = UtcTime(1_795_637_700);
        let (_, journal) = RunDir::create(dir.path(), "plan text", at).unwrap();
        journal.append(&Entry::HostStart { at, host: "wsus01".into(), batch: 1 });
        journal.append(&Entry::HostStart { at, host: "wsus02".into(), batch: 1 });
        drop(journal);
        let path = dir.path().join(JOURNAL_FILE);
        let whole = std::fs::read(&path).unwrap();
        for tail in [&b"{\"entry\":\"ho"[..], &b"\0\0\0\0\0\0"[..], &b"{\"entry\":\"host-st\0\0\0\n\0\0"[..]] {
            std::fs::write(&path, [&whole[..], tail].concat()).unwrap();
            let aside = Journal::repair_tail(&path).unwrap().expect("a torn tail");
            assert_eq!(std::fs::read(&aside).unwrap(), tail);
            assert_eq!(std::fs::read(&path).unwrap(), whole);
            let journal = Journal::open(&path, false).unwrap();
            journal.append(&Entry::HostStart { at, host: "wsus03".into(), batch: 2 });
            assert_eq!(Journal::read(&path).unwrap().len(), 3, "appending goes on from the last whole entry");
            std::fs::write(&path, &whole).unwrap();
        }
        assert!(dir.path().join("journal.jsonl.torn.3").is_file(), "each torn tail is kept");
        assert_eq!(Journal::repair_tail(&path).unwrap(), None, "a whole journal is left as it is");
    }

    #[cfg(unix)]
    #[test]
    fn a_run_folder_behind_a_symlink_or_with_a_plan_already_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir_all(&real).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let at = UtcTime(1_795_637_700);
        assert!(matches!(RunDir::create(&link, "x", at), Err(JournalError::Symlink { .. })));
        std::fs::write(real.join(PLAN_FILE), "someone else's").unwrap();
        assert!(RunDir::create(&real, "x", at).is_err(), "an existing plan.yaml is not overwritten");
        assert_eq!(std::fs::read_to_string(real.join(PLAN_FILE)).unwrap(), "someone else's");
    }
}
