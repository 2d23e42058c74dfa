//! A run from its start (or its resumption) to its written outcome: the run folder with its
//! journal and audit trail, then [`apply`](super::apply), then `outcome.json` and
//! `failed-hosts`. `wsusfix apply`, `wsusfix lab rehearse` and the tests all run plans through
//! a [`Session`], so a run folder always looks the same whoever made it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::journal::{self, Entry, Journal, JournalError, RunDir, RunOptions};
use super::lock::{lock, RunLock};
use super::{ApplyError, ApplyEvent, ApplyRequest, ApplyResult, ApplyTools, RunContext};
use crate::audit::{AuditLog, AUDIT_FILE};
use crate::outcome::HostOutcome;
use crate::plan::Plan;
use crate::time::UtcTime;

/// An open run folder, ready to run its plan.
#[derive(Debug)]
pub struct Session {
    pub dir: RunDir,
    journal: Journal,
    audit: AuditLog,
    /// Held while the session lives: one writer per run folder.
    _lock: RunLock,
    /// Results already journaled by the run being resumed.
    previous: BTreeMap<String, HostOutcome>,
    /// Hosts the resumed run started and did not finish (their cleanup is owed).
    interrupted: BTreeSet<String>,
}

impl RunOptions {
    /// The options of a request, as the journal records them (`limit` as the operator wrote it).
    pub fn of(request: &ApplyRequest, limit: Option<&str>) -> RunOptions {
        RunOptions {
            serial: request.policy.serial.clone(),
            max_fail_percent: request.policy.max_fail_percent,
            pause_between_secs: request.policy.pause_between_secs,
            forks: request.forks.get(),
            limit: limit.map(str::to_string),
            replan: request.replan,
            backout: request.backout,
            reboot: request.reboot,
            operator: Some(operator()),
        }
    }
}

/// `alice on ctl01`: the local account (the password database's name, else `USER`) and this
/// machine.
pub fn operator() -> String {
    let name = crate::ssh_config::LocalUser::current().name;
    let name = crate::report::text::printable(name.trim());
    let user = match (name.is_empty() || name.chars().count() > 64, crate::ssh_config::LocalUser::current().uid) {
        (false, _) => name,
        (true, Some(uid)) => format!("uid {uid}"),
        (true, None) => "an unnamed account".into(),
    };
    format!("{user} on {}", super::lock::machine())
}

impl Session {
    /// A new run in `path` (it may exist, but must hold no journal): the plan text is copied
    /// in and the start recorded with the plan's label and hash, the options and the hosts.
    pub fn start(
        path: &Path,
        plan: &Plan,
        plan_text: &str,
        plan_label: &str,
        options: RunOptions,
    ) -> Result<Session, ApplyError> {
        let hosts = plan.hosts.iter().map(|h| h.host.clone()).collect();
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(JournalError::Symlink { path: path.to_path_buf() }.into());
        }
        std::fs::create_dir_all(path).map_err(|source| JournalError::Io { path: path.to_path_buf(), source })?;
        let lock = lock(path)?;
        let (dir, journal) = RunDir::start(path, plan_text, plan_label, options, hosts, UtcTime::now())?;
        Session::open(dir, journal, BTreeMap::new(), lock)
    }

    /// Continues the run in `path`: its journal, and its plan copy (checked against the hash
    /// the run started with, and returned). Finished hosts are not worked on again.
    pub fn resume(path: &Path, options: RunOptions) -> Result<(Session, Plan), ApplyError> {
        let lock = lock(path)?;
        let resumed = RunDir::resume(path)?;
        let previous = journal::finished_hosts(&resumed.entries);
        let interrupted: BTreeSet<String> = resumed
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::HostStart { host, .. } if !previous.contains_key(host) => Some(host.clone()),
                _ => None,
            })
            .collect();
        resumed.journal.append(&Entry::Resume {
            at: UtcTime::now(),
            run_id: resumed.dir.run_id.clone(),
            options,
            finished_hosts: previous.len(),
            torn_tail: resumed.set_aside.as_ref().map(|p| p.display().to_string()),
        });
        let mut session = Session::open(resumed.dir, resumed.journal, previous, lock)?;
        session.interrupted = interrupted;
        Ok((session, resumed.plan))
    }

    fn open(
        dir: RunDir,
        journal: Journal,
        previous: BTreeMap<String, HostOutcome>,
        lock: RunLock,
    ) -> Result<Session, ApplyError> {
        if let Some(e) = journal.error() {
            return Err(ApplyError::JournalWrite(e));
        }
        let audit = AuditLog::open(&dir.path.join(AUDIT_FILE))?;
        Ok(Session { dir, journal, audit, _lock: lock, previous, interrupted: BTreeSet::new() })
    }

    pub fn journal_path(&self) -> &Path {
        self.journal.path()
    }

    /// Runs the request (a plan that does not re-make itself from its recorded facts, or was
    /// made under another advisory, is refused first). [`Session::finish`] then writes
    /// `outcome.json` and `failed-hosts`; the result is whole in memory either way.
    pub fn run(
        &self,
        request: &ApplyRequest,
        tools: ApplyTools<'_>,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(ApplyEvent),
    ) -> Result<ApplyResult, ApplyError> {
        crate::plan::verify(&request.plan, tools.advisory, tools.templates)?;
        let ctx = RunContext {
            tools,
            journal: &self.journal,
            audit: &self.audit,
            cancel,
            run_id: self.dir.run_id.clone(),
            previous: self.previous.clone(),
            interrupted: self.interrupted.clone(),
        };
        super::apply(request, &ctx, on_event)
    }

    /// Writes `outcome.json` and `failed-hosts`, each whole or not at all.
    pub fn finish(&self, result: &ApplyResult) -> Result<(), JournalError> {
        self.dir.finish(result)
    }

    /// Whether writing the journal failed during the run (a full disk): the run stopped
    /// taking hosts, and the journal says so up to where it could.
    pub fn journal_error(&self) -> Option<String> {
        self.journal.error()
    }
}
