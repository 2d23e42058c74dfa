//! How a run ended, host by host: the one outcome model that `apply` produces, its journal
//! records and the result report reads.
//!
//! - [`Outcome`]: how a host ended (`remediated`, `failed`, ...);
//! - [`HostOutcome`]: one host's outcome with its reason, steps and the DLL version read back;
//! - [`StepRecord`] and [`Judged`]: one step as it ran and how it was judged;
//! - [`RunOutcome`]: a whole run, as `outcome.json` in the run folder holds it.
//!
//! This is a leaf: it depends only on the value types of `version` and `time`.
//!
//! `outcome.json` has this shape (only `run_id`, `started_at`, `finished_at`, and per host
//! `host` and `outcome` are required; unknown fields are refused, so a typo is an error rather
//! than a silent gap in the record):
//!
//! ```json
//! {
//!   "run_id": "20261125T120000Z",
//!   "started_at": "2026-11-25T12:00:00Z",
//!   "finished_at": "2026-11-25T12:42:10Z",
//!   "hosts": [
//!     {
//!       "host": "wsus01",
//!       "outcome": "remediated",
//!       "reason": "DLL 3.1.6001.66 read back",
//!       "steps": [{ "id": "install", "exit_code": 0, "duration_ms": 81234, "judged": "ok" }],
//!       "dll_version_after": "3.1.6001.66",
//!       "reboot_pending": false,
//!       "warnings": ["verify-services: W3SVC is stopped"]
//!     }
//!   ]
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::time::UtcTime;
use crate::version::FileVersion;

/// How a host ended in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Fixed in this run, and a DLL-version step proved it.
    Remediated,
    /// Found fixed when the run began (the re-probe read the fixed DLL): nothing was done.
    AlreadyRemediated,
    /// A step failed; the reason says which and why.
    Failed,
    /// The host changed since the plan (its facts fingerprint differs): re-plan it (or `--replan`).
    RefusedDrift,
    /// Another run holds the host (its mark in the staging folder): wait for it, or take the
    /// host over with `apply --force` when that run is dead.
    RefusedBusy,
    /// Stopped at a step a person must do (the RTM console workaround).
    ManualAction,
    /// Not selected for the run (`--limit`), or nothing to back out.
    Skipped,
    /// Nothing to do: remediated or not affected already.
    NotNeeded,
    /// Unknown or unreachable when planned: a person must look first.
    NeedsAttention,
    /// Not attempted: the run stopped first (the failure threshold, Ctrl-C).
    NotRun,
    /// `--backout` ran the back-out steps: WSUS 3.0 SP1 without the update again, so the host
    /// is affected again; rescan it.
    BackedOut,
}

impl Outcome {
    /// Every outcome, those needing a person first (the result report's order).
    pub const ALL: [Outcome; 11] = [
        Outcome::Failed,
        Outcome::RefusedDrift,
        Outcome::RefusedBusy,
        Outcome::NeedsAttention,
        Outcome::ManualAction,
        Outcome::NotRun,
        Outcome::Skipped,
        Outcome::BackedOut,
        Outcome::Remediated,
        Outcome::AlreadyRemediated,
        Outcome::NotNeeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Remediated => "remediated",
            Outcome::AlreadyRemediated => "already-remediated",
            Outcome::Failed => "failed",
            Outcome::RefusedDrift => "refused-drift",
            Outcome::RefusedBusy => "refused-busy",
            Outcome::ManualAction => "manual-action",
            Outcome::Skipped => "skipped",
            Outcome::NotNeeded => "not-needed",
            Outcome::NeedsAttention => "needs-attention",
            Outcome::NotRun => "not-run",
            Outcome::BackedOut => "backed-out",
        }
    }

    /// Counts against `--max-fail-percent`, and makes the exit status of `apply` 4.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::RefusedDrift | Outcome::RefusedBusy)
    }

    /// Whether the outcome says the host is fixed (which the DLL version must prove).
    pub fn claims_fixed(self) -> bool {
        matches!(self, Outcome::Remediated | Outcome::AlreadyRemediated)
    }

    /// Whether a person has to do something about a host that ended so (a backed-out host is
    /// affected again). See also [`HostOutcome::needs_follow_up`].
    pub fn needs_follow_up(self) -> bool {
        !matches!(self, Outcome::Remediated | Outcome::AlreadyRemediated | Outcome::NotNeeded)
    }

    /// The run left the host as it found it.
    pub fn untouched(self) -> bool {
        matches!(self, Outcome::AlreadyRemediated | Outcome::NotNeeded | Outcome::NeedsAttention | Outcome::Skipped)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a step was judged, as the journal records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Judged {
    /// As expected.
    Ok,
    /// Not as hoped, but not a reason to fail the host (new symptoms; a late service check).
    Warning,
    /// The host fails here.
    Failed,
    /// A transient failure: tried again after a pause.
    Retry,
    /// The installer needs elevation: the SYSTEM-task fallback runs instead.
    Fallback,
    /// A scheduled task is still running: polled again.
    Pending,
    /// A step a person must do.
    Manual,
    /// A command run to explain a failure (`on_failure`).
    Diagnostic,
}

impl Judged {
    pub fn as_str(self) -> &'static str {
        match self {
            Judged::Ok => "ok",
            Judged::Warning => "warning",
            Judged::Failed => "failed",
            Judged::Retry => "retry",
            Judged::Fallback => "fallback",
            Judged::Pending => "pending",
            Judged::Manual => "manual",
            Judged::Diagnostic => "diagnostic",
        }
    }
}

impl std::fmt::Display for Judged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step as it ran (its last attempt).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRecord {
    pub id: String,
    /// Windows exit codes are 32-bit unsigned (`0x80070005`), installers' are small. None for
    /// an upload or a manual step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub duration_ms: u64,
    /// Absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judged: Option<Judged>,
}

/// What happened to one host in a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostOutcome {
    pub host: String,
    pub outcome: Outcome,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub steps: Vec<StepRecord>,
    /// The decisive DLL's version read back from the host: the only proof of a fix.
    #[serde(default)]
    pub dll_version_after: Option<FileVersion>,
    #[serde(default)]
    pub reboot_pending: bool,
    /// `--reboot` scheduled the restart the installer asked for (`reboot_pending` stays true:
    /// the restart has not happened yet when the run ends).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reboot_scheduled: bool,
    /// What went wrong without failing the host: a check after the DLL proved the fix, a cleanup.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// A cleanup step failed: a scheduled task or a staged package may be left on the host.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cleanup_pending: bool,
    /// The last lines of the failing step's `on_failure` command (an installer's log).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_log: Vec<String>,
    /// A person recorded the host's manual step as done (`apply --ack-manual`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_ack: Option<ManualAck>,
}

/// A manual step a person says they did: who, when, which step, and their note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualAck {
    /// The plan's manual step (`rtm-workaround`).
    pub step: String,
    pub by: String,
    pub at: UtcTime,
    pub note: String,
    /// The run whose journal recorded it first, when a later run carried it over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_run: Option<String>,
}

impl std::fmt::Display for ManualAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "manual step {} done by {} at {}: {}", self.step, self.by, self.at, self.note)
    }
}

impl HostOutcome {
    pub fn new(host: &str, outcome: Outcome, reason: impl Into<String>) -> HostOutcome {
        HostOutcome {
            host: host.to_string(),
            outcome,
            reason: reason.into(),
            steps: Vec::new(),
            dll_version_after: None,
            reboot_pending: false,
            reboot_scheduled: false,
            warnings: Vec::new(),
            cleanup_pending: false,
            failure_log: Vec::new(),
            manual_ack: None,
        }
    }

    /// Reported fixed (in this run, or found fixed before it) without the DLL version read
    /// back: only the DLL proves a fix, so this is not proven.
    pub fn unproven_fix(&self) -> bool {
        self.outcome.claims_fixed() && self.dll_version_after.is_none()
    }

    /// Stopped at a manual step nobody has recorded as done: what makes `apply` exit 4.
    pub fn awaits_manual_step(&self) -> bool {
        self.outcome == Outcome::ManualAction && self.manual_ack.is_none()
    }

    /// Whether a person has to look at this host: its outcome says so, or its fix is unproven.
    pub fn needs_follow_up(&self) -> bool {
        self.outcome.needs_follow_up() || self.unproven_fix()
    }
}

/// The version of `outcome.json`'s shape.
pub const OUTCOME_FORMAT_VERSION: u32 = 1;

/// One run of `apply`: every plan host, in plan order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOutcome {
    /// What the file is and who wrote it (absent from outcomes written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<crate::about::About>,
    pub run_id: String,
    pub started_at: UtcTime,
    pub finished_at: UtcTime,
    pub hosts: Vec<HostOutcome>,
    /// A rehearsal on simulated twins (`lab rehearse`), not a change to real servers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
    /// Why the run stopped before its last batch, if it did (the failure threshold, Ctrl-C).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}
