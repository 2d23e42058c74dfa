//! Apply: run exactly a plan's steps on its hosts, in rolling batches, with a journal.
//!
//! The contract: `apply` never invents a command. The only remote command that is not in the
//! plan is the re-probe before a host is touched, which is the scan's own probe: it proves the
//! host is still what the plan was made for (its facts fingerprint), and that it is not fixed
//! already (a second run, or a resumed one, installs nothing twice).
//!
//! - [`judge`]: pure judging of a step's output against its [`crate::plan::Expect`];
//! - [`host`]: one host, step by step: retries, the SYSTEM-task fallback, cleanups;
//! - [`run`]: the batches, the failure threshold, the worker pool, resume;
//! - [`crate::journal`]: the run folder and its append-only journal.
//!
//! A host is `remediated` only when a DLL-version step passed in this run (or the re-probe
//! read the fixed DLL: `already-remediated`). Checks after that step (services, new log
//! symptoms) that fail are warnings on the remediated host: the DLL proves the fix, and the
//! operator reads the warnings.

pub mod host;
pub mod judge;
pub mod output;
pub mod run;

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use judge::{Judged, Judgement};
pub use run::{apply, dry_run, ApplyResult, DryRunHost, Stop};

use crate::inventory::Host;
use crate::plan::{BatchPolicy, Plan};
use crate::report::{HostOutcome as ReportHost, Outcome, RunOutcome, StepOutcome};
use crate::time::UtcTime;
use crate::version::FileVersion;

/// How a host ended in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostOutcome {
    /// Fixed in this run; a DLL-version step proved it.
    Remediated,
    /// The re-probe read the fixed DLL before any step ran: nothing was done.
    AlreadyRemediated,
    /// A step failed; the reason says which and why.
    Failed,
    /// The host changed since the plan; re-plan it (or `--replan`).
    RefusedDrift,
    /// Stopped at a step a person must do.
    ManualAction,
    /// Not selected (`--limit`), or nothing to back out.
    Skipped,
    /// The plan has nothing to do on it.
    NotNeeded,
    /// The plan found it unknown or unreachable.
    NeedsAttention,
    /// Not attempted: the run stopped first (failure threshold, Ctrl-C).
    NotRun,
    /// `--backout` ran its back-out steps.
    BackedOut,
}

impl HostOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            HostOutcome::Remediated => "remediated",
            HostOutcome::AlreadyRemediated => "already-remediated",
            HostOutcome::Failed => "failed",
            HostOutcome::RefusedDrift => "refused-drift",
            HostOutcome::ManualAction => "manual-action",
            HostOutcome::Skipped => "skipped",
            HostOutcome::NotNeeded => "not-needed",
            HostOutcome::NeedsAttention => "needs-attention",
            HostOutcome::NotRun => "not-run",
            HostOutcome::BackedOut => "backed-out",
        }
    }

    /// Counts against `--max-fail-percent`, and makes the exit status 4.
    pub fn is_failure(self) -> bool {
        matches!(self, HostOutcome::Failed | HostOutcome::RefusedDrift)
    }

    /// The result report's name for it (see [`ApplyResult::to_run_outcome`]): the same, one for one.
    fn for_report(self) -> Outcome {
        match self {
            HostOutcome::Remediated => Outcome::Remediated,
            HostOutcome::AlreadyRemediated => Outcome::AlreadyRemediated,
            HostOutcome::Failed => Outcome::Failed,
            HostOutcome::RefusedDrift => Outcome::RefusedDrift,
            HostOutcome::ManualAction => Outcome::ManualAction,
            HostOutcome::Skipped => Outcome::Skipped,
            HostOutcome::NotNeeded => Outcome::NotNeeded,
            HostOutcome::NeedsAttention => Outcome::NeedsAttention,
            HostOutcome::NotRun => Outcome::NotRun,
            HostOutcome::BackedOut => Outcome::BackedOut,
        }
    }
}

impl std::fmt::Display for HostOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step as it ran (its last attempt).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    pub duration_ms: u64,
    pub judged: Judged,
}

/// What happened to one host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostReport {
    pub host: String,
    pub outcome: HostOutcome,
    pub reason: String,
    #[serde(default)]
    pub steps: Vec<StepRecord>,
    /// The decisive DLL's version as read back from the host.
    #[serde(default)]
    pub dll_version_after: Option<FileVersion>,
    #[serde(default)]
    pub reboot_pending: bool,
    /// `--reboot` scheduled the restart the installer asked for (`reboot_pending` stays true:
    /// the restart has not happened yet when the run ends).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reboot_scheduled: bool,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The last lines of the failing step's `on_failure` command (an installer's log).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_log: Vec<String>,
}

impl HostReport {
    pub fn new(host: &str, outcome: HostOutcome, reason: impl Into<String>) -> HostReport {
        HostReport {
            host: host.to_string(),
            outcome,
            reason: reason.into(),
            steps: Vec::new(),
            dll_version_after: None,
            reboot_pending: false,
            reboot_scheduled: false,
            warnings: Vec::new(),
            failure_log: Vec::new(),
        }
    }
}

/// What `apply` needs, already validated. Built by the CLI, consumed by [`apply`].
#[derive(Clone, Debug)]
pub struct ApplyRequest {
    pub plan: Plan,
    /// How to reach each planned host (from the inventory), by plan host name.
    pub hosts: Vec<Host>,
    /// Hosts chosen with `--limit`; `None`: all.
    pub selected: Option<BTreeSet<String>>,
    pub policy: BatchPolicy,
    pub forks: NonZeroUsize,
    /// How long the re-probe may run, unless the host sets `command_timeout`.
    pub probe_timeout: Duration,
    pub replan: bool,
    /// Run the back-out steps instead of the fix.
    pub backout: bool,
    /// `--reboot`: run a host's planned reboot steps when its install answered "success,
    /// restart required" (3010/1641) and the DLL read back proved the fix. Without it a pending
    /// restart is only recorded.
    pub reboot: bool,
    /// First pause before retrying an installer that answered 1618; doubles each try.
    pub retry_delay: Duration,
    /// Overrides every task poll interval of the plan (tests, impatient rehearsals).
    pub poll_interval: Option<Duration>,
    /// A rehearsal on simulated twins (`wsusfix lab rehearse`): a fingerprint that differs
    /// from the plan's is recorded, not refused, since twins only approximate the hosts.
    pub rehearsal: bool,
}

impl ApplyRequest {
    /// The defaults for everything but the plan and the hosts.
    pub fn new(plan: Plan, hosts: Vec<Host>) -> ApplyRequest {
        ApplyRequest {
            policy: plan.header.batches.clone(),
            plan,
            hosts,
            selected: None,
            forks: NonZeroUsize::new(crate::fleet::DEFAULT_FORKS).unwrap_or(NonZeroUsize::MIN),
            probe_timeout: Duration::from_secs(120),
            replan: false,
            backout: false,
            reboot: false,
            retry_delay: Duration::from_secs(30),
            poll_interval: None,
            rehearsal: false,
        }
    }
}

/// Installer retries on 1618 (another installation is in progress), first try included.
pub const INSTALL_TRIES: u32 = 3;

/// Why apply cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("plan host {host} is not in the inventory: the inventory says how to reach it")]
    HostNotInInventory { host: String },
    #[error("the batch policy cannot be used: {0}")]
    Batches(#[from] crate::plan::BatchError),
    #[error("--backout needs --limit naming the hosts to back out")]
    BackoutWithoutLimit,
}

impl ApplyResult {
    /// The shape the result report reads (`outcome.json`): every host with its outcome, reason
    /// and warnings as apply recorded them.
    pub fn to_run_outcome(&self) -> RunOutcome {
        let hosts = self
            .hosts
            .iter()
            .map(|h| ReportHost {
                host: h.host.clone(),
                outcome: h.outcome.for_report(),
                reason: h.reason.clone(),
                steps: h
                    .steps
                    .iter()
                    .map(|s| StepOutcome { id: s.id.clone(), exit_code: s.exit_code, duration_ms: s.duration_ms })
                    .collect(),
                dll_version_after: h.dll_version_after,
                reboot_pending: h.reboot_pending,
                warnings: h.warnings.clone(),
            })
            .collect();
        RunOutcome { run_id: self.run_id.clone(), started_at: self.started_at, finished_at: self.finished_at, hosts }
    }
}

/// Milliseconds, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The current time, UTC.
pub fn utc_now() -> UtcTime {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    UtcTime(i64::try_from(secs).unwrap_or(0))
}
