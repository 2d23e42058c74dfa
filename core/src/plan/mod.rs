//! The plan: the contract between review and execution. What `plan` writes is exactly what
//! `apply` runs: per host, the verdict, a fingerprint of the facts that decided it, and the
//! ordered steps with their exact command lines, rendered from the templates in
//! `templates/steps/`. A plan is decided from facts alone ([`build`]), so it is deterministic
//! and testable without a network.

mod backup;
mod batches;
mod build;
mod error;
mod file;
mod fingerprint;
mod integrity;
mod packages;
mod request;
mod steps;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use batches::BatchError;
pub use build::{build, replan_host};
pub use error::PlanError;
pub use file::{PlanFileError, FORMAT_VERSION};
pub use fingerprint::fingerprint;
pub use integrity::{verify, IntegrityError};
pub use packages::PackageFiles;
pub use request::{HostSettings, PlanChoices, PlanRequest, RtmChoice, DEFAULT_STAGING_DIR};

use crate::assess::Verdict;
use crate::facts::{Arch, Elevation};
use crate::time::UtcTime;
use crate::version::{FileVersion, WindowsVersion};

/// A whole plan, as written to `plan.yaml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub header: PlanHeader,
    pub hosts: Vec<HostPlan>,
}

/// When and from what the plan was made, and the policy it will be applied with. No secrets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanHeader {
    pub format_version: u32,
    pub created_at: UtcTime,
    /// The inventory or saved scan the plan was made from.
    pub created_from: String,
    pub wsusfix_version: String,
    pub advisory: AdvisoryRef,
    pub rtm_choice: RtmChoice,
    /// Package files by their role, with the hashes checked on the hosts.
    pub packages: Vec<PackageRef>,
    pub batches: BatchPolicy,
    /// Back SUSDB up before the install where the host has `sqlcmd` or `osql` (on unless
    /// `plan --no-susdb-backup`; plans older than the option had no such backup).
    #[serde(default)]
    pub susdb_backup: bool,
    /// The change this plan is for (`plan --meta FILE`), bound to it by the plan's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<crate::change::ChangeMeta>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryRef {
    pub id: String,
    pub definition_version: u32,
    pub fixed_file_version: FileVersion,
}

/// A package file the plan uploads.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageRef {
    pub role: PackageRole,
    pub local: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// What `certutil -hashfile FILE SHA1` must print on the host.
    pub sha1: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageRole {
    UpdateX86,
    UpdateX64,
    Sp1SetupX86,
    Sp1SetupX64,
}

/// How hosts are taken in batches: Ansible's `serial` (`1`, `10%`, `100%`), a failure
/// threshold that stops before the next batch, and a pause between batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchPolicy {
    pub serial: Vec<String>,
    pub max_fail_percent: u8,
    pub pause_between_secs: u64,
}

impl Default for BatchPolicy {
    fn default() -> BatchPolicy {
        BatchPolicy {
            serial: DEFAULT_SERIAL.split(',').map(str::to_string).collect(),
            max_fail_percent: 0,
            pause_between_secs: 0,
        }
    }
}

/// The default rolling batches: a canary, then a tenth, then the rest.
pub const DEFAULT_SERIAL: &str = "1,10%,100%";

/// One host's part of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostPlan {
    pub host: String,
    pub verdict: Verdict,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<WindowsVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation: Option<Elevation>,
    /// The WSUS `VersionString` and the decisive DLL's version at scan time (for review, and
    /// for the simulated twins of `wsusfix lab rehearse`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wsus_version: Option<FileVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dll_version: Option<FileVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Symptom count in the server log at scan time.
    #[serde(default)]
    pub symptoms: u64,
    /// A hash of the facts that decided this plan; `apply` re-probes and compares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The folder packages are staged in on the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging_dir: Option<String>,
    /// The WSUS folder the probe read the DLL in (recorded so the steps can be re-made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wsus_dir: Option<String>,
    /// What the probe found to back SUSDB up with (recorded so the steps can be re-made);
    /// absent when the probe did not look (older than version 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_tool: Option<crate::facts::SqlToolSearch>,
    /// What the plan says plainly about this host besides its steps: a backup it cannot take,
    /// and what to do instead. Shown by `show` and in the change request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub route: Route,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// Run instead of the rest of `steps` when the direct install answers 740 (elevation
    /// required): the SYSTEM scheduled-task path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elevation_fallback: Vec<Step>,
    /// Run last, after the verification and the cleanups, only with `apply --reboot` and only
    /// when the install answered "success, restart required" (3010/1641): schedules the
    /// restart (`shutdown /r /t 60`), as SYSTEM through a one-off task on a filtered session.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reboot: Vec<Step>,
    /// Run only with `apply --backout`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backout: Vec<Step>,
}

/// Which way a host is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Route {
    /// Server 2003, or 2008 with an elevated session: the installer runs in the session.
    Direct,
    /// Server 2008 with a filtered token: the installer runs as SYSTEM from a one-off task.
    SystemTask,
    /// WSUS 3.0 RTM: upgrade to SP1, then install the update.
    RtmUpgrade,
    /// WSUS 3.0 RTM: the console workaround, done by a person.
    RtmWorkaround,
    /// Remediated or not affected: nothing to do.
    NothingToDo,
    /// Unknown or unreachable: a person must look first.
    NeedsAttention,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::SystemTask => "system-task",
            Route::RtmUpgrade => "rtm-upgrade",
            Route::RtmWorkaround => "rtm-workaround",
            Route::NothingToDo => "nothing-to-do",
            Route::NeedsAttention => "needs-attention",
        }
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step: what to do, how to judge it, and how long it may take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub description: String,
    pub action: Action,
    pub expect: Expect,
    pub timeout_secs: u64,
    /// Runs at the end of the host's steps even when an earlier step failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cleanup: bool,
    /// Run when this step fails, to gather what explains it (an installer's log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// Run this exact cmd.exe command line.
    Run { command: String },
    /// Copy a local package to the host.
    Upload { local: PathBuf, remote: String, sha256: String },
    /// A person does this; `apply` stops the host here and says so.
    Manual { instructions: String },
}

impl Action {
    /// `run`, `upload` or `manual`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Run { .. } => "run",
            Action::Upload { .. } => "upload",
            Action::Manual { .. } => "manual",
        }
    }

    /// What it does, without its kind: the command, the copy with its hash, or the instructions.
    pub fn detail(&self) -> String {
        match self {
            Action::Run { command } => command.clone(),
            Action::Upload { local, remote, sha256 } => format!("{} -> {remote} (sha256 {sha256})", local.display()),
            Action::Manual { instructions } => instructions.clone(),
        }
    }
}

/// One line: the command itself, or `upload …` / `manual …`.
impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Run { command } => f.write_str(command),
            _ => write!(f, "{} {}", self.kind(), self.detail()),
        }
    }
}

/// How a step's result is judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Expect {
    /// Exit code 0.
    Success,
    /// The staging drive has at least this many bytes free (`wmic logicaldisk ... FreeSpace`).
    FreeBytes { at_least: u64 },
    /// Every named service reports RUNNING.
    ServicesRunning { services: Vec<String> },
    /// The output contains this text.
    OutputContains { text: String },
    /// certutil prints this hash.
    Hash { algorithm: String, value: String },
    /// An installer's exit code, judged by the advisory's exit-code table.
    Installer,
    /// The scheduled task was accepted.
    TaskCreated,
    /// Polled until the task stops running; its Last Result is judged as an installer's.
    TaskFinished { poll_secs: u64 },
    /// wmic reports the DLL at this version or later.
    DllAtLeast { version: FileVersion },
    /// The WSUS VersionString is in this release range.
    WsusVersionAtLeast { version: FileVersion },
    /// No new server-log signature after the install started (a warning, not a failure).
    NoNewSymptoms,
    /// Whatever happens (cleanup).
    Anything,
}

/// In words, as `show` and the documents print it.
impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: String = match self {
            Expect::Success => "exit code 0".into(),
            Expect::FreeBytes { at_least } => format!("at least {} MB free", at_least / (1024 * 1024)),
            Expect::ServicesRunning { services } => format!("{} running", services.join(" and ")),
            Expect::OutputContains { text } => format!("output contains \"{text}\""),
            Expect::Hash { algorithm, value } => format!("{algorithm} is {value}"),
            Expect::Installer => "installer exit code judged by the advisory's table (0, 3010, 1641 succeed)".into(),
            Expect::TaskCreated => "the scheduled task is created".into(),
            Expect::TaskFinished { poll_secs } => {
                format!("the task finishes (polled every {poll_secs} s); its result judged as an installer's")
            }
            Expect::DllAtLeast { version } => format!("client web service DLL at {version} or later"),
            Expect::WsusVersionAtLeast { version } => format!("WSUS VersionString {version} or later"),
            Expect::NoNewSymptoms => "no new duplicate-key error since the install (a warning, not a failure)".into(),
            Expect::Anything => "any result".into(),
        };
        f.write_str(&text)
    }
}
