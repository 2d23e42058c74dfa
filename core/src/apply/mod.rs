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
//! - [`journal`]: the run folder and its append-only journal;
//! - [`session`]: a run from start (or resume) to its written outcome, as `apply`, `lab
//!   rehearse` and the tests use it.
//!
//! How each host ended is [`crate::outcome`]'s model, shared with the journal and the reports.
//!
//! A host is `remediated` only when a DLL-version step passed in this run (or the re-probe
//! read the fixed DLL: `already-remediated`). Checks after that step (services, new log
//! symptoms) that fail are warnings on the remediated host: the DLL proves the fix, and the
//! operator reads the warnings.

pub mod ack;
pub mod advice;
pub mod host;
pub mod journal;
pub mod judge;
pub mod lock;
pub mod marker;
pub mod output;
pub mod run;
pub mod session;

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::time::Duration;

pub use judge::Judgement;
pub use run::{apply, dry_run, ApplyResult, DryRunHost, RunContext, Stop, NOT_SELECTED};
pub use session::Session;

use crate::advisory::Advisory;
use crate::connector::Connector;
use crate::inventory::{Host, Inventory, PatternError};
use crate::outcome::Outcome;
use crate::plan::{BatchPolicy, Plan};
use crate::templates::Templates;

/// What `apply` needs, already validated. Built from a plan and an inventory
/// ([`ApplyRequest::from_inventory`]), consumed by [`apply`].
#[derive(Clone, Debug)]
pub struct ApplyRequest {
    pub plan: Plan,
    /// How to reach each planned host (from the inventory), by plan host name.
    pub hosts: Vec<Host>,
    /// Hosts chosen with `--limit`; `None`: all.
    pub selected: Option<BTreeSet<String>>,
    pub policy: BatchPolicy,
    pub forks: NonZeroUsize,
    /// How long the re-probe may run, unless the host sets `probe_timeout`.
    pub probe_timeout: Duration,
    pub replan: bool,
    /// Run the back-out steps instead of the fix.
    pub backout: bool,
    /// `--reboot`: run a host's planned reboot steps when its install answered "success,
    /// restart required" (3010/1641) and the DLL read back proved the fix. Without it a pending
    /// restart is only recorded.
    pub reboot: bool,
    /// `--reboot-only`: run nothing but the planned reboot steps, on hosts the re-probe finds
    /// fixed (the DLL) with a restart still pending (the registry); skip every other host with
    /// its reason.
    pub reboot_only: bool,
    /// First pause before retrying an installer that answered 1618; doubles each try.
    pub retry_delay: Duration,
    /// Overrides every task poll interval of the plan (tests, impatient rehearsals).
    pub poll_interval: Option<Duration>,
    /// A rehearsal on simulated twins (`wsusfix lab rehearse`): a fingerprint that differs
    /// from the plan's is recorded, not refused, since twins only approximate the hosts.
    pub rehearsal: bool,
    /// Work on hosts the inventory reaches at the same address and port anyway.
    pub allow_aliases: bool,
    /// `--force`: take over hosts whose mark says another run holds them (a run that died
    /// and will not be resumed).
    pub force: bool,
}

/// How long the re-probe may run by default.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// The first pause before an installer that answered 1618 is tried again, by default.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(30);

impl ApplyRequest {
    /// The defaults for everything but the plan and the hosts.
    pub fn new(plan: Plan, hosts: Vec<Host>) -> ApplyRequest {
        ApplyRequest {
            policy: plan.header.batches.clone(),
            plan,
            hosts,
            selected: None,
            forks: crate::fleet::default_forks(),
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
            replan: false,
            backout: false,
            reboot: false,
            reboot_only: false,
            retry_delay: DEFAULT_RETRY_DELAY,
            poll_interval: None,
            rehearsal: false,
            allow_aliases: false,
            force: false,
        }
    }

    /// The plan's hosts as the inventory knows them, narrowed to `limit` (Ansible's host
    /// patterns). A plan host the run would work on but the inventory lacks is refused when the
    /// run (or its dry run) starts.
    pub fn from_inventory(plan: Plan, inventory: &Inventory, limit: Option<&str>) -> Result<ApplyRequest, ApplyError> {
        let selected = match limit {
            Some(pattern) => Some(inventory.select(Some(pattern))?.into_iter().map(|h| h.name.clone()).collect()),
            None => None,
        };
        let known: std::collections::HashMap<&str, &Host> =
            inventory.hosts.iter().map(|h| (h.name.as_str(), h)).collect();
        let hosts = plan.hosts.iter().filter_map(|h| known.get(h.host.as_str()).map(|&h| h.clone())).collect();
        let mut request = ApplyRequest::new(plan, hosts);
        request.selected = selected;
        Ok(request)
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
    #[error(transparent)]
    Ack(#[from] ack::AckError),
    #[error(
        "{names} are one server (all reached at {endpoint}): it would be changed twice at once; keep one \
         name, or pass --allow-aliases"
    )]
    Aliases { names: String, endpoint: String },
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    #[error("{0}")]
    JournalWrite(String),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Integrity(#[from] crate::plan::IntegrityError),
}

/// What a run uses besides its request: how to reach hosts and what to run.
#[derive(Clone, Copy)]
pub struct ApplyTools<'a> {
    pub connector: &'a dyn Connector,
    pub advisory: &'a Advisory,
    pub templates: &'a Templates,
}

/// Progress of a run, for display.
#[derive(Clone, Debug)]
pub enum ApplyEvent {
    /// The run begins with this many hosts to work on.
    Started {
        total: usize,
    },
    /// A batch begins (`batch` counts from 1).
    BatchStarted {
        batch: usize,
        batches: usize,
        hosts: usize,
    },
    /// A host is being worked on.
    HostStarted {
        host: String,
    },
    /// A step on a host is under way, and what it waits on now: `running`, `uploading`,
    /// `waiting for the task`, or a retry's pause (`busy; try 2 of 3 in 30 s`).
    HostWorking {
        host: String,
        step: String,
        doing: String,
    },
    /// One attempt of a step on a host ended (a retried step reports each attempt).
    StepDone {
        host: String,
        step: crate::outcome::StepRecord,
        /// How it was judged, in words.
        detail: String,
    },
    /// A host is finished.
    HostDone {
        host: String,
        outcome: Outcome,
        elapsed: Duration,
    },
    /// The run stops before its next batch (failure threshold, Ctrl-C).
    Stopped {
        reason: String,
    },
    Finished {
        elapsed: Duration,
    },
}
