//! The run: which hosts get steps, in which batches, and when to stop.
//!
//! Hosts with steps (every route but nothing-to-do and needs-attention) are taken in plan
//! order and split by [`BatchPolicy::batch_sizes`]. Inside a batch a bounded pool of `forks`
//! workers takes hosts from a shared cursor. After each batch the failure threshold is checked
//! over every host done so far; exceeding it stops the run before the next batch. Ctrl-C (the
//! cancel flag) stops workers from taking new hosts; hosts in flight finish. Hosts never
//! started end `not-run` and are not journaled as finished, so `--resume` takes them up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::host::{apply_host, Engine, HostProgress};
use super::journal::{Entry, Journal};
use super::marker::Claimant;
use super::{ApplyError, ApplyEvent, ApplyRequest, ApplyTools};
use crate::audit::AuditLog;
use crate::fleet::{self, PoolEvent};
use crate::inventory::Host;
use crate::outcome::{HostOutcome, ManualAck, Outcome, RunOutcome};
use crate::plan::{HostPlan, Route};
use crate::time::UtcTime;

/// Why a run ended early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The failure threshold was exceeded after a batch.
    MaxFailPercent { failed: usize, done: usize, max: u8 },
    /// Ctrl-C.
    Interrupted,
    /// The journal could not be written: the run could not be resumed, so it stopped.
    Journal(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::MaxFailPercent { failed, done, max } => {
                write!(f, "stopped by max-fail-percent: {failed} of {done} hosts failed, more than {max}%")
            }
            Stop::Interrupted => f.write_str("interrupted"),
            Stop::Journal(e) => write!(f, "stopped: {e}"),
        }
    }
}

/// The result of a run: every plan host, in plan order.
#[derive(Clone, Debug)]
pub struct ApplyResult {
    pub run_id: String,
    pub started_at: UtcTime,
    pub finished_at: UtcTime,
    pub hosts: Vec<HostOutcome>,
    pub stopped: Option<Stop>,
    /// A rehearsal on simulated twins (`lab rehearse`): every record of it says so.
    pub simulated: bool,
}

impl ApplyResult {
    /// The documented exit status: 130 interrupted, 5 stopped by the failure threshold, 4 a
    /// host failed, was refused or awaits a manual step, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        match &self.stopped {
            Some(Stop::Interrupted) => 130,
            Some(Stop::MaxFailPercent { .. }) => 5,
            _ if self.hosts.iter().any(|h| h.outcome.is_failure() || h.awaits_manual_step()) => 4,
            Some(Stop::Journal(_)) => 4,
            None => 0,
        }
    }

    pub fn counts(&self) -> BTreeMap<Outcome, usize> {
        let mut counts = BTreeMap::new();
        for h in &self.hosts {
            *counts.entry(h.outcome).or_default() += 1;
        }
        counts
    }

    /// What `outcome.json` holds: every host as apply recorded it.
    pub fn to_run_outcome(&self) -> RunOutcome {
        RunOutcome {
            about: Some(crate::about::About::now(crate::outcome::OUTCOME_FORMAT_VERSION, None)),
            run_id: self.run_id.clone(),
            started_at: self.started_at,
            finished_at: self.finished_at,
            hosts: self.hosts.clone(),
            simulated: self.simulated,
            stopped: self.stopped.as_ref().map(|s| s.to_string()),
        }
    }
}

/// The reason of a plan host that `--limit` left out of the run.
pub const NOT_SELECTED: &str = "not selected by --limit";

/// The reason of a plan host `--reboot-only` leaves alone because the plan has no restart for it.
pub const NO_REBOOT_STEP: &str = "--reboot-only: the plan has no reboot step for this host";

/// How a plan host starts the run: already decided, or to be worked on.
fn initial(request: &ApplyRequest, plan: &HostPlan, acks: &BTreeMap<String, ManualAck>) -> Option<HostOutcome> {
    if request.selected.as_ref().is_some_and(|s| !s.contains(&plan.host)) {
        return Some(HostOutcome::new(&plan.host, Outcome::Skipped, NOT_SELECTED));
    }
    if request.backout {
        return plan
            .backout
            .is_empty()
            .then(|| HostOutcome::new(&plan.host, Outcome::Skipped, "no back-out steps in the plan"));
    }
    if request.reboot_only {
        return plan.reboot.is_empty().then(|| HostOutcome::new(&plan.host, Outcome::Skipped, NO_REBOOT_STEP));
    }
    let manual = plan.steps.iter().any(|s| matches!(s.action, crate::plan::Action::Manual { .. }));
    if let Some(ack) = acks.get(&plan.host).filter(|_| manual) {
        return Some(super::ack::acknowledged(&plan.host, ack));
    }
    match plan.route {
        Route::NothingToDo => Some(HostOutcome::new(&plan.host, Outcome::NotNeeded, &plan.reason)),
        Route::NeedsAttention => Some(HostOutcome::new(&plan.host, Outcome::NeedsAttention, &plan.reason)),
        _ => None,
    }
}

/// Everything a run uses besides the request.
pub struct RunContext<'a> {
    pub tools: ApplyTools<'a>,
    pub journal: &'a Journal,
    /// Where every remote command is recorded.
    pub audit: &'a AuditLog,
    pub cancel: &'a AtomicBool,
    pub run_id: String,
    /// Results already journaled by the run being resumed.
    pub previous: BTreeMap<String, HostOutcome>,
    /// Hosts the resumed run started and did not finish.
    pub interrupted: std::collections::BTreeSet<String>,
    /// Manual steps recorded as done, by host.
    pub acks: BTreeMap<String, ManualAck>,
}

/// Applies the plan. The caller has written `run-start` (or `resume`); this writes the rest.
pub fn apply(
    request: &ApplyRequest,
    ctx: &RunContext<'_>,
    on_event: &mut dyn FnMut(ApplyEvent),
) -> Result<ApplyResult, ApplyError> {
    let started_at = UtcTime::now();
    let clock = Instant::now();
    let plan = &request.plan;
    let inventory: BTreeMap<&str, &Host> = request.hosts.iter().map(|h| (h.name.as_str(), h)).collect();
    let fresh: Vec<Option<HostOutcome>> = plan.hosts.iter().map(|h| initial(request, h, &ctx.acks)).collect();
    let runnable: Vec<usize> = (0..plan.hosts.len()).filter(|&i| fresh[i].is_none()).collect();
    let mut results: Vec<Option<HostOutcome>> =
        plan.hosts.iter().zip(fresh).map(|(h, r)| ctx.previous.get(&h.host).cloned().or(r)).collect();
    check_request(request, runnable.iter().filter(|&&i| results[i].is_none()).map(|&i| &plan.hosts[i]), &inventory)?;
    let sizes = request.policy.batch_sizes(runnable.len())?;
    on_event(ApplyEvent::Started { total: runnable.iter().filter(|&&i| results[i].is_none()).count() });
    let claimant = Claimant::this_process(&ctx.run_id);
    let engine = Engine {
        request,
        tools: ctx.tools,
        journal: ctx.journal,
        audit: ctx.audit,
        interrupted: &ctx.interrupted,
        claimant: &claimant,
    };
    let mut stopped = None;
    let mut offset = 0;
    let mut ran_a_batch = false;
    for (b, &size) in sizes.iter().enumerate() {
        let batch: Vec<usize> = runnable[offset..offset + size].to_vec();
        offset += size;
        let todo: Vec<usize> = batch.iter().copied().filter(|&i| results[i].is_none()).collect();
        if !todo.is_empty() {
            if let Some(stop) = interruption(ctx) {
                stopped = Some(stop);
                break;
            }
            if ran_a_batch && request.policy.pause_between_secs > 0 {
                pause(Duration::from_secs(request.policy.pause_between_secs), ctx.cancel);
                if ctx.cancel.load(Ordering::SeqCst) {
                    stopped = Some(Stop::Interrupted);
                    break;
                }
            }
            let names: Vec<String> = todo.iter().map(|&i| plan.hosts[i].host.clone()).collect();
            ctx.journal.append(&Entry::BatchStart {
                at: UtcTime::now(),
                batch: b + 1,
                batches: sizes.len(),
                hosts: names,
            });
            on_event(ApplyEvent::BatchStarted { batch: b + 1, batches: sizes.len(), hosts: todo.len() });
            ran_a_batch = true;
            for (i, report) in run_batch(&engine, &todo, &inventory, b + 1, ctx.cancel, on_event) {
                results[i] = Some(report);
            }
        }
        // Hosts this invocation leaves out (`--limit '!@RUN/failed-hosts'` on a resume) keep
        // their record but no longer count against the threshold: leaving them out is the
        // operator's decision.
        let counted = |i: &&usize| request.selected.as_ref().is_none_or(|s| s.contains(&plan.hosts[**i].host));
        let done: Vec<&HostOutcome> =
            runnable[..offset].iter().filter(counted).filter_map(|&i| results[i].as_ref()).collect();
        let failed = done.iter().filter(|h| h.outcome.is_failure()).count();
        if offset < runnable.len() && request.policy.exceeded(failed, done.len()) {
            stopped = Some(Stop::MaxFailPercent { failed, done: done.len(), max: request.policy.max_fail_percent });
            break;
        }
    }
    if stopped.is_none() && results.iter().any(Option::is_none) {
        stopped = interruption(ctx).or(Some(Stop::Interrupted));
    }
    if let Some(stop) = &stopped {
        on_event(ApplyEvent::Stopped { reason: stop.to_string() });
    }
    let hosts = finish(plan.hosts.iter().map(|h| h.host.as_str()), results, stopped.as_ref(), ctx);
    on_event(ApplyEvent::Finished { elapsed: clock.elapsed() });
    let result = ApplyResult {
        run_id: ctx.run_id.clone(),
        started_at,
        finished_at: UtcTime::now(),
        hosts,
        stopped,
        simulated: request.rehearsal,
    };
    ctx.journal.append(&Entry::RunEnd {
        at: result.finished_at,
        counts: result.counts(),
        stopped: result.stopped.as_ref().map(|s| s.to_string()),
    });
    Ok(result)
}

fn interruption(ctx: &RunContext<'_>) -> Option<Stop> {
    if let Some(e) = ctx.journal.error() {
        return Some(Stop::Journal(e));
    }
    ctx.cancel.load(Ordering::SeqCst).then_some(Stop::Interrupted)
}

/// Fills in hosts never started, and journals the results decided without touching a host.
fn finish<'a>(
    names: impl Iterator<Item = &'a str>,
    results: Vec<Option<HostOutcome>>,
    stopped: Option<&Stop>,
    ctx: &RunContext<'_>,
) -> Vec<HostOutcome> {
    names
        .zip(results)
        .map(|(name, result)| match result {
            Some(r) => {
                let final_without_host =
                    matches!(r.outcome, Outcome::NotNeeded | Outcome::NeedsAttention) || r.manual_ack.is_some();
                if final_without_host && !ctx.previous.contains_key(name) {
                    ctx.journal.append(&Entry::HostResult { at: UtcTime::now(), result: r.clone() });
                }
                r
            }
            None => {
                let why = stopped.map(|s| s.to_string()).unwrap_or_else(|| "interrupted".into());
                HostOutcome::new(name, Outcome::NotRun, format!("not run: {why}"))
            }
        })
        .collect()
}

/// Sleeps, waking early on Ctrl-C.
fn pause(total: Duration, cancel: &AtomicBool) {
    let end = Instant::now() + total;
    while !cancel.load(Ordering::SeqCst) {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// Works on one batch on the bounded pool; returns each started host's result.
fn run_batch(
    engine: &Engine<'_>,
    todo: &[usize],
    inventory: &BTreeMap<&str, &Host>,
    batch: usize,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(ApplyEvent),
) -> Vec<(usize, HostOutcome)> {
    let plan = &engine.request.plan;
    // `check_request` made sure every host to work on is in the inventory.
    let work: Vec<(&HostPlan, &Host)> = todo
        .iter()
        .filter_map(|&i| inventory.get(plan.hosts[i].host.as_str()).map(|&host| (&plan.hosts[i], host)))
        .collect();
    let stop = || cancel.load(Ordering::SeqCst) || engine.journal.error().is_some();
    let mut out = Vec::with_capacity(todo.len());
    fleet::run(
        &work,
        engine.request.forks,
        stop,
        |&(plan, host), report: &dyn Fn(HostProgress)| apply_host(engine, plan, host, batch, report),
        &mut |e: PoolEvent<HostOutcome, HostProgress>| match e {
            PoolEvent::Started { index } => on_event(ApplyEvent::HostStarted { host: work[index].0.host.clone() }),
            PoolEvent::Progress { index, progress } => {
                let host = work[index].0.host.clone();
                on_event(match progress {
                    HostProgress::Working { step, doing } => ApplyEvent::HostWorking { host, step, doing },
                    HostProgress::StepDone { step, detail } => ApplyEvent::StepDone { host, step, detail },
                })
            }
            PoolEvent::Done { index, result, elapsed } => {
                on_event(ApplyEvent::HostDone { host: result.host.clone(), outcome: result.outcome, elapsed });
                out.push((todo[index], result));
            }
        },
    );
    out
}

/// Refuses a run that cannot start: a host to work on that the inventory lacks, a back-out
/// without `--limit`.
fn check_request<'a>(
    request: &ApplyRequest,
    working: impl Iterator<Item = &'a HostPlan>,
    inventory: &BTreeMap<&str, &Host>,
) -> Result<(), ApplyError> {
    let mut endpoints: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for host in working {
        let Some(known) = inventory.get(host.host.as_str()) else {
            return Err(ApplyError::HostNotInInventory { host: host.host.clone() });
        };
        endpoints.entry(known.endpoint().to_ascii_lowercase()).or_default().push(&host.host);
    }
    if let Some((endpoint, names)) = endpoints.into_iter().find(|(_, n)| n.len() > 1 && !request.allow_aliases) {
        return Err(ApplyError::Aliases { names: names.join(", "), endpoint });
    }
    if request.backout && request.selected.is_none() {
        return Err(ApplyError::BackoutWithoutLimit);
    }
    Ok(())
}

/// What a dry run shows of one host.
#[derive(Clone, Debug)]
pub struct DryRunHost {
    pub host: String,
    pub route: Route,
    /// The batch it would be in (from 1); `None` when it gets no steps.
    pub batch: Option<usize>,
    /// Why it gets no steps, when it does not.
    pub note: Option<String>,
    /// `(step id, command)` in order: the steps, then (marked) the 740 fallback, then (marked,
    /// with `--reboot` only) the reboot steps.
    pub commands: Vec<(String, String)>,
}

/// What a run would do, without connecting to anything.
pub fn dry_run(request: &ApplyRequest) -> Result<Vec<DryRunHost>, ApplyError> {
    let plan = &request.plan;
    let decided: Vec<Option<HostOutcome>> = plan.hosts.iter().map(|h| initial(request, h, &BTreeMap::new())).collect();
    let runnable: Vec<usize> = (0..plan.hosts.len()).filter(|&i| decided[i].is_none()).collect();
    let inventory: BTreeMap<&str, &Host> = request.hosts.iter().map(|h| (h.name.as_str(), h)).collect();
    check_request(request, runnable.iter().map(|&i| &plan.hosts[i]), &inventory)?;
    let sizes = request.policy.batch_sizes(runnable.len())?;
    let mut batch_of = BTreeMap::new();
    let mut offset = 0;
    for (b, size) in sizes.iter().enumerate() {
        for &i in &runnable[offset..offset + size] {
            batch_of.insert(i, b + 1);
        }
        offset += size;
    }
    Ok(plan
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let none = Vec::new();
            let steps = if request.backout {
                &h.backout
            } else if request.reboot_only {
                &none
            } else {
                &h.steps
            };
            let fallback = if request.backout || request.reboot_only { &none } else { &h.elevation_fallback };
            let reboot = if (request.reboot || request.reboot_only) && !request.backout { &h.reboot } else { &none };
            let describe = |s: &crate::plan::Step, prefix: &str| {
                let cleanup = if s.cleanup { " (cleanup, always runs)" } else { "" };
                (format!("{prefix}{}{cleanup}", s.id), s.action.to_string())
            };
            let commands = match &decided[i] {
                Some(_) => Vec::new(),
                None => steps
                    .iter()
                    .map(|s| describe(s, ""))
                    .chain(fallback.iter().map(|s| describe(s, "if 740: ")))
                    .chain(reboot.iter().map(|s| describe(s, "if a restart is pending: ")))
                    .collect(),
            };
            DryRunHost {
                host: h.host.clone(),
                route: h.route,
                batch: batch_of.get(&i).copied(),
                note: decided[i].as_ref().map(|r| format!("{}: {}", r.outcome, r.reason)),
                commands,
            }
        })
        .collect())
}
