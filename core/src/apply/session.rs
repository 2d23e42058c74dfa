//! A run from its start (or its resumption) to its written outcome: the run folder with its
//! journal and audit trail, then [`apply`](super::apply), then `outcome.json` and
//! `failed-hosts`. `wsusfix apply`, `wsusfix lab rehearse` and the tests all run plans through
//! a [`Session`], so a run folder always looks the same whoever made it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::ack::{self, Acknowledgement};
use super::journal::{self, Entry, Journal, JournalError, RunDir, RunOptions};
use super::lock::{lock, RunLock};
use super::{ApplyError, ApplyEvent, ApplyRequest, ApplyResult, ApplyTools, RunContext};
use crate::audit::{AuditLog, AUDIT_FILE};
use crate::outcome::{HostOutcome, ManualAck, Outcome};
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
    /// Manual steps a person recorded as done, by host: in this run's journal, or carried over
    /// from earlier runs of the same plan.
    acks: BTreeMap<String, ManualAck>,
    /// Why the resumed run last stopped early, if it did.
    last_stop: Option<String>,
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
            reboot_only: request.reboot_only,
            operator: Some(operator()),
        }
    }
}

/// `alice on ctl01`: the local account (the password database's name, else `USER`) and this
/// machine.
pub fn operator() -> String {
    let local = crate::ssh_config::LocalUser::current();
    let name = crate::report::text::printable(local.name.trim());
    let user = match (name.is_empty() || name.chars().count() > 64, local.uid) {
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
        let mut session = Session::open(dir, journal, BTreeMap::new(), lock)?;
        session.carry_over_acks(&journal::sha256_hex(plan_text));
        Ok(session)
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
        let plan_sha256 = resumed.entries.iter().find_map(|e| match e {
            Entry::RunStart { plan_sha256, .. } => Some(plan_sha256.clone()),
            _ => None,
        });
        let own_acks = ack::acks_in(&resumed.entries);
        let last_stop = journal::last_stop(&resumed.entries);
        let mut session = Session::open(resumed.dir, resumed.journal, previous, lock)?;
        session.interrupted = interrupted;
        session.last_stop = last_stop;
        for (host, ack) in own_acks {
            session.take_ack(host, ack);
        }
        if let Some(sha) = plan_sha256 {
            session.carry_over_acks(&sha);
        }
        Ok((session, resumed.plan))
    }

    /// Takes up the acknowledgements earlier runs of the same plan recorded (for hosts this
    /// run has none for), and journals each, so this run folder holds its whole story.
    fn carry_over_acks(&mut self, plan_sha256: &str) {
        for (host, ack) in ack::acks_of_earlier_runs(&self.dir.path, plan_sha256) {
            if !self.acks.contains_key(&host) {
                self.journal.append(&Acknowledgement { host: host.clone(), ack: ack.clone() }.entry());
                self.take_ack(host, ack);
            }
        }
    }

    /// Records that a person did a host's manual step (`apply --ack-manual`): journaled now,
    /// and the host's result (a finished run's too) says so.
    pub fn acknowledge(&mut self, acknowledgement: Acknowledgement) -> Result<(), ApplyError> {
        self.journal.append(&acknowledgement.entry());
        if let Some(e) = self.journal.error() {
            return Err(ApplyError::JournalWrite(e));
        }
        self.take_ack(acknowledgement.host, acknowledgement.ack);
        Ok(())
    }

    fn take_ack(&mut self, host: String, ack: ManualAck) {
        if let Some(previous) = self.previous.get_mut(&host).filter(|p| p.outcome == Outcome::ManualAction) {
            *previous = ack::acknowledged(&host, &ack);
        }
        self.acks.insert(host, ack);
    }

    /// Why the run being resumed last stopped early (`stopped by max-fail-percent: ...`).
    pub fn last_stop(&self) -> Option<&str> {
        self.last_stop.as_deref()
    }

    /// The manual steps recorded as done, by host (carried-over ones name their run).
    pub fn acks(&self) -> &BTreeMap<String, ManualAck> {
        &self.acks
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
        Ok(Session {
            dir,
            journal,
            audit,
            _lock: lock,
            previous,
            interrupted: BTreeSet::new(),
            acks: BTreeMap::new(),
            last_stop: None,
        })
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
            acks: self.acks.clone(),
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
