//! What an `apply` run tells the `result` report: the input contract between the apply engine
//! and this module. The apply engine writes it as `outcome.json` in the run folder (or any file
//! given to `wsusfix report result`), in this shape:
//!
//! ```json
//! {
//!   "run_id": "2026-11-25T12-00-00Z-plan",
//!   "started_at": "2026-11-25T12:00:00Z",
//!   "finished_at": "2026-11-25T12:42:10Z",
//!   "hosts": [
//!     {
//!       "host": "wsus01",
//!       "outcome": "remediated",
//!       "reason": "DLL 3.1.6001.66 read back",
//!       "steps": [{ "id": "install", "exit_code": 0, "duration_ms": 81234 }],
//!       "dll_version_after": "3.1.6001.66",
//!       "reboot_pending": false,
//!       "warnings": ["verify-services: W3SVC is stopped"]
//!     }
//!   ]
//! }
//! ```
//!
//! Only `run_id`, `started_at`, `finished_at`, and per host `host` and `outcome` are required.
//! The outcomes are apply's own, one for one (see [`Outcome`]); `warnings` are what apply noted
//! on a host without failing it (a check after the proving DLL step, a cleanup).
//! A step without an exit code (an upload, a manual step) leaves `exit_code` out. Unknown fields
//! are refused, so a typo is an error rather than a silent gap in the record.

use serde::{Deserialize, Serialize};

use crate::time::UtcTime;
use crate::version::FileVersion;

/// One run of `apply`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOutcome {
    pub run_id: String,
    pub started_at: UtcTime,
    pub finished_at: UtcTime,
    pub hosts: Vec<HostOutcome>,
}

/// How one host ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostOutcome {
    pub host: String,
    pub outcome: Outcome,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub steps: Vec<StepOutcome>,
    /// The decisive DLL's version read back after the steps: the only proof of a fix.
    #[serde(default)]
    pub dll_version_after: Option<FileVersion>,
    #[serde(default)]
    pub reboot_pending: bool,
    /// What went wrong without failing the host: a check after the DLL proved the fix, a cleanup.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl HostOutcome {
    /// Reported fixed (in this run, or found fixed before it) without the DLL version read
    /// back: only the DLL proves a fix, so this is not proven.
    pub fn unproven_fix(&self) -> bool {
        self.outcome.claims_fixed() && self.dll_version_after.is_none()
    }

    /// Whether a person has to look at this host: its outcome says so, or its fix is unproven.
    pub fn needs_follow_up(&self) -> bool {
        self.outcome.needs_follow_up() || self.unproven_fix()
    }
}

/// One step as it ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepOutcome {
    pub id: String,
    /// Windows exit codes are 32-bit unsigned (`0x80070005`), installers' are small.
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub duration_ms: u64,
}

/// The end state of a host in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Fixed in this run, and the DLL version proves it.
    Remediated,
    /// Found fixed when the run began (the re-probe read the fixed DLL): nothing was done.
    AlreadyRemediated,
    /// A step failed; the reason says which and why.
    Failed,
    /// Not selected for the run (`--limit`), or nothing to back out.
    Skipped,
    /// Not attempted: the run stopped first (an earlier batch exceeded the failure threshold,
    /// or it was cancelled).
    NotRun,
    /// Nothing to do: remediated or not affected already.
    NotNeeded,
    /// Stopped at a step a person must do (the RTM console workaround).
    ManualAction,
    /// Unknown or unreachable: a person must look first.
    NeedsAttention,
    /// The host changed since the plan (its facts fingerprint differs): re-plan it.
    RefusedDrift,
    /// `--backout` ran the back-out steps: WSUS 3.0 SP1 without the update again, so the host
    /// is affected again; rescan it.
    BackedOut,
}

impl Outcome {
    /// Every outcome, those needing a person first (the report's order).
    pub const ALL: [Outcome; 10] = [
        Outcome::Failed,
        Outcome::RefusedDrift,
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
            Outcome::Skipped => "skipped",
            Outcome::NotRun => "not-run",
            Outcome::NotNeeded => "not-needed",
            Outcome::ManualAction => "manual-action",
            Outcome::NeedsAttention => "needs-attention",
            Outcome::RefusedDrift => "refused-drift",
            Outcome::BackedOut => "backed-out",
        }
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
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
