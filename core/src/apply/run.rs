//! The run: which hosts get steps, in which batches, and when to stop.
//!
//! Hosts with steps (every route but nothing-to-do and needs-attention) are taken in plan
//! order and split by [`BatchPolicy::batch_sizes`]. Inside a batch a bounded pool of `forks`
//! workers takes hosts from a shared cursor. After each batch the failure threshold is checked
//! over every host done so far; exceeding it stops the run before the next batch. Ctrl-C (the
//! cancel flag) stops workers from taking new hosts; hosts in flight finish. Hosts never
//! started end `not-run` and are not journaled as finished, so `--resume` takes them up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::host::{apply_host, Engine};
use super::{utc_now, ApplyError, ApplyRequest, HostOutcome, HostReport};
use crate::advisory::Advisory;
use crate::fleet::{Connector, FleetEvent};
use crate::inventory::Host;
use crate::journal::{Entry, Journal};
use crate::plan::{Action, HostPlan, Route};
use crate::templates::Templates;
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
    pub hosts: Vec<HostReport>,
    pub stopped: Option<Stop>,
}

impl ApplyResult {
    /// The documented exit status: 130 interrupted, 5 stopped by the failure threshold, 4 a
    /// host failed, was refused or awaits a manual step, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        match &self.stopped {
            Some(Stop::Interrupted) => 130,
            Some(Stop::MaxFailPercent { .. }) => 5,
            _ if self.hosts.iter().any(|h| h.outcome.is_failure() || h.outcome == HostOutcome::ManualAction) => 4,
            Some(Stop::Journal(_)) => 4,
            None => 0,
        }
    }

    pub fn counts(&self) -> BTreeMap<HostOutcome, usize> {
        let mut counts = BTreeMap::new();
        for h in &self.hosts {
            *counts.entry(h.outcome).or_default() += 1;
        }
        counts
    }
}

/// How a plan host starts the run: already decided, or to be worked on.
fn initial(request: &ApplyRequest, plan: &HostPlan, previous: &BTreeMap<String, HostReport>) -> Option<HostReport> {
    if let Some(done) = previous.get(&plan.host) {
        return Some(done.clone());
    }
    if request.selected.as_ref().is_some_and(|s| !s.contains(&plan.host)) {
        return Some(HostReport::new(&plan.host, HostOutcome::Skipped, "not selected by --limit"));
    }
    if request.backout {
        return plan
            .backout
            .is_empty()
            .then(|| HostReport::new(&plan.host, HostOutcome::Skipped, "no back-out steps in the plan"));
    }
    match plan.route {
        Route::NothingToDo => Some(HostReport::new(&plan.host, HostOutcome::NotNeeded, &plan.reason)),
        Route::NeedsAttention => Some(HostReport::new(&plan.host, HostOutcome::NeedsAttention, &plan.reason)),
        _ => None,
    }
}

/// Everything a run uses besides the request.
pub struct RunContext<'a> {
    pub connector: &'a dyn Connector,
    pub advisory: &'a Advisory,
    pub templates: &'a Templates,
    pub journal: &'a Journal,
    pub cancel: &'a AtomicBool,
    pub run_id: String,
    /// Results already journaled by the run being resumed.
    pub previous: BTreeMap<String, HostReport>,
}

/// Applies the plan. The caller has written `run-start` (or `resume`); this writes the rest.
pub fn apply(
    request: &ApplyRequest,
    ctx: &RunContext<'_>,
    on_event: &mut dyn FnMut(FleetEvent),
) -> Result<ApplyResult, ApplyError> {
    let started_at = utc_now();
    let clock = Instant::now();
    let plan = &request.plan;
    let inventory: BTreeMap<&str, &Host> = request.hosts.iter().map(|h| (h.name.as_str(), h)).collect();
    let no_previous = BTreeMap::new();
    let fresh: Vec<Option<HostReport>> = plan.hosts.iter().map(|h| initial(request, h, &no_previous)).collect();
    let runnable: Vec<usize> = (0..plan.hosts.len()).filter(|&i| fresh[i].is_none()).collect();
    let mut results: Vec<Option<HostReport>> =
        plan.hosts.iter().zip(fresh).map(|(h, r)| ctx.previous.get(&h.host).cloned().or(r)).collect();
    for &i in &runnable {
        let name = &plan.hosts[i].host;
        if results[i].is_none() && !inventory.contains_key(name.as_str()) {
            return Err(ApplyError::HostNotInInventory { host: name.clone() });
        }
    }
    if request.backout && request.selected.is_none() {
        return Err(ApplyError::BackoutWithoutLimit);
    }
    let sizes = request.policy.batch_sizes(runnable.len())?;
    on_event(FleetEvent::Started { total: runnable.iter().filter(|&&i| results[i].is_none()).count() });
    let engine = Engine {
        request,
        connector: ctx.connector,
        advisory: ctx.advisory,
        templates: ctx.templates,
        journal: ctx.journal,
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
            ctx.journal.append(&Entry::BatchStart { at: utc_now(), batch: b + 1, batches: sizes.len(), hosts: names });
            on_event(FleetEvent::BatchStarted { batch: b + 1, batches: sizes.len(), hosts: todo.len() });
            ran_a_batch = true;
            for (i, report) in run_batch(&engine, &todo, &inventory, b + 1, ctx.cancel, on_event) {
                results[i] = Some(report);
            }
        }
        let done: Vec<&HostReport> = runnable[..offset].iter().filter_map(|&i| results[i].as_ref()).collect();
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
        on_event(FleetEvent::Stopped { reason: stop.to_string() });
    }
    let hosts = finish(plan.hosts.iter().map(|h| h.host.as_str()), results, stopped.as_ref(), ctx);
    on_event(FleetEvent::Finished { elapsed: clock.elapsed() });
    let result = ApplyResult { run_id: ctx.run_id.clone(), started_at, finished_at: utc_now(), hosts, stopped };
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
    results: Vec<Option<HostReport>>,
    stopped: Option<&Stop>,
    ctx: &RunContext<'_>,
) -> Vec<HostReport> {
    names
        .zip(results)
        .map(|(name, result)| match result {
            Some(r) => {
                let final_without_host = matches!(r.outcome, HostOutcome::NotNeeded | HostOutcome::NeedsAttention);
                if final_without_host && !ctx.previous.contains_key(name) {
                    ctx.journal.append(&Entry::HostResult { at: utc_now(), result: r.clone() });
                }
                r
            }
            None => {
                let why = stopped.map(|s| s.to_string()).unwrap_or_else(|| "interrupted".into());
                HostReport::new(name, HostOutcome::NotRun, format!("not run: {why}"))
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

/// Works on one batch with a bounded pool; returns each started host's result.
fn run_batch(
    engine: &Engine<'_>,
    todo: &[usize],
    inventory: &BTreeMap<&str, &Host>,
    batch: usize,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(FleetEvent),
) -> Vec<(usize, HostReport)> {
    let plan = &engine.request.plan;
    let workers = engine.request.forks.get().min(todo.len().max(1));
    let cursor = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<Message>(workers);
    let mut out = Vec::with_capacity(todo.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let cursor = &cursor;
            scope.spawn(move || loop {
                if cancel.load(Ordering::SeqCst) || engine.journal.error().is_some() {
                    break;
                }
                let Some(&index) = todo.get(cursor.fetch_add(1, Ordering::SeqCst)) else { break };
                let host_plan = &plan.hosts[index];
                let Some(host) = inventory.get(host_plan.host.as_str()) else { break };
                if tx.send(Message::Started(host_plan.host.clone())).is_err() {
                    break;
                }
                let started = Instant::now();
                let report = apply_host(engine, host_plan, host, batch);
                if tx.send(Message::Done(index, report, started.elapsed())).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for message in rx {
            match message {
                Message::Started(host) => on_event(FleetEvent::HostStarted { host }),
                Message::Done(index, report, elapsed) => {
                    on_event(FleetEvent::HostApplied { host: report.host.clone(), outcome: report.outcome, elapsed });
                    out.push((index, report));
                }
            }
        }
    });
    out
}

enum Message {
    Started(String),
    Done(usize, HostReport, Duration),
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
    let no_previous = BTreeMap::new();
    let decided: Vec<Option<HostReport>> = plan.hosts.iter().map(|h| initial(request, h, &no_previous)).collect();
    let runnable: Vec<usize> = (0..plan.hosts.len()).filter(|&i| decided[i].is_none()).collect();
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
            let steps = if request.backout { &h.backout } else { &h.steps };
            let fallback = if request.backout { &Vec::new() } else { &h.elevation_fallback };
            let reboot = if request.reboot && !request.backout { &h.reboot } else { &Vec::new() };
            let describe = |s: &crate::plan::Step, prefix: &str| {
                let text = match &s.action {
                    Action::Run { command } => command.clone(),
                    Action::Upload { local, remote, sha256 } => {
                        format!("upload {} -> {remote} (sha256 {sha256})", local.display())
                    }
                    Action::Manual { instructions } => format!("(manual) {instructions}"),
                };
                let cleanup = if s.cleanup { " (cleanup, always runs)" } else { "" };
                (format!("{prefix}{}{cleanup}", s.id), text)
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
