//! One host: connect, re-probe (is it still what was planned? is it fixed already?), then run
//! the plan's steps in order, each within its timeout, judged by [`super::judge`].
//!
//! Rules: an installer answering 1618 is tried again after a pause that doubles
//! ([`super::INSTALL_TRIES`] tries in all); a direct install answering 740 runs the host's
//! `elevation_fallback` steps (the SYSTEM task) in its place, then the steps after it; a failing
//! step runs its `on_failure` command and keeps the last lines; a manual step stops the host.
//! Before the first step that changes the host, the run claims it ([`super::marker`]); a host
//! another run holds is refused. Cleanup steps (the task delete, the package removal) always
//! run at the end, then the claim is released. With
//! `--reboot`, a remediated host whose installer answered 3010/1641 then runs its planned
//! reboot steps, last of all.

use std::time::{Duration, Instant};

use super::journal::{Entry, Journal, StepEntry};
use super::judge::{self, JudgeContext, Judgement, Observed};
use super::marker::{self, Claim, Claimant};
use super::output::{last_lines, StepOutput};
use super::{ApplyRequest, ApplyTools, INSTALL_TRIES};
use crate::assess::Verdict;
use crate::audit::AuditLog;
use crate::inventory::Host;
use crate::outcome::{HostOutcome, Judged, Outcome, StepRecord};
use crate::plan::{self, Action, Expect, HostPlan, Step};
use crate::scan;
use crate::shell::{self, ShellType};
use crate::time::{millis, UtcTime};
use crate::transport::RemoteShell;

/// Lines of an `on_failure` command's output kept in the host's result.
const FAILURE_LOG_LINES: usize = 20;
/// How long claiming or releasing a host may take.
const CLAIM_TIMEOUT: Duration = Duration::from_secs(60);
/// The journal's step ids for the claim and its release.
const CLAIM_STEP: &str = "claim-host";
const RELEASE_STEP: &str = "release-host";
/// Longest single poll of a scheduled task.
const POLL_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// What every host of a run shares.
pub struct Engine<'a> {
    pub request: &'a ApplyRequest,
    pub tools: ApplyTools<'a>,
    pub journal: &'a Journal,
    pub audit: &'a AuditLog,
    /// Hosts a resumed run had started and not finished: their cleanup is a debt.
    pub interrupted: &'a std::collections::BTreeSet<String>,
    /// This run, as its marks on the hosts name it.
    pub claimant: &'a Claimant,
}

/// What a host's work reports as it goes: for progress (`apply` on a pipe prints it, the bar
/// names it, `--format json` streams it). The journal has the ends of steps, and more.
#[derive(Clone, Debug)]
pub enum HostProgress {
    /// A step is under way, and what it waits on now (`running`, `uploading`, a retry's pause).
    Working { step: String, doing: String },
    /// One attempt of a step ended.
    StepDone { step: StepRecord, detail: String },
}

/// Works on one host and returns its result; the journal gets every step and the result, and
/// `progress` each step attempt as it ends.
pub fn apply_host(
    engine: &Engine<'_>,
    plan: &HostPlan,
    host: &Host,
    batch: usize,
    progress: &dyn Fn(HostProgress),
) -> HostOutcome {
    let _span = tracing::info_span!("host", host = %plan.host, batch).entered();
    engine.journal.append(&Entry::HostStart { at: UtcTime::now(), host: plan.host.clone(), batch });
    let report = match engine.tools.connector.connect(host) {
        Ok(mut shell) => {
            let notices = shell.take_notices();
            let mut report = HostRun::new(engine, &plan.host, shell, host.shell_type(), progress).run(plan, host);
            report.warnings.extend(notices);
            report
        }
        Err(e) => HostOutcome::new(&plan.host, Outcome::Failed, format!("cannot connect: {e}")),
    };
    engine.journal.append(&Entry::HostResult { at: UtcTime::now(), result: report.clone() });
    report
}

/// The staging folder the plan's steps use (older plans did not record it: the default).
fn staging_dir(plan: &HostPlan) -> &str {
    plan.staging_dir.as_deref().unwrap_or(plan::DEFAULT_STAGING_DIR)
}

enum Stop {
    Failed(String),
    Manual(String),
}

enum StepEnd {
    Done,
    Fallback,
    Stop(Stop),
}

/// One run of a command and its judgement.
struct Attempt {
    judgement: Judgement,
    /// The code the command printed in-band (the SSH exit status only where it printed none).
    exit_code: Option<i64>,
    duration: Duration,
    tail: String,
    /// The SSH exit status, where it disagreed with the in-band code.
    ssh_exit_status: Option<i64>,
}

impl Attempt {
    /// An attempt that ran no command (an upload, a manual step, the re-probe's verdict).
    fn decided(judgement: Judgement, duration: Duration) -> Attempt {
        Attempt { judgement, exit_code: None, duration, tail: String::new(), ssh_exit_status: None }
    }
}

struct HostRun<'a> {
    engine: &'a Engine<'a>,
    progress: &'a dyn Fn(HostProgress),
    shell: Box<dyn RemoteShell>,
    shell_type: ShellType,
    report: HostOutcome,
    install_started: Option<UtcTime>,
    dll_proved: bool,
    /// This run put its mark on the host (or may own one left by the run it resumes), and
    /// has not removed it yet.
    release_owed: bool,
}

impl<'a> HostRun<'a> {
    fn new(
        engine: &'a Engine<'a>,
        name: &str,
        shell: Box<dyn RemoteShell>,
        shell_type: ShellType,
        progress: &'a dyn Fn(HostProgress),
    ) -> HostRun<'a> {
        let report = HostOutcome::new(name, Outcome::Failed, "");
        let release_owed = engine.interrupted.contains(name);
        HostRun { engine, progress, shell, shell_type, report, install_started: None, dll_proved: false, release_owed }
    }

    fn run(mut self, plan: &HostPlan, host: &Host) -> HostOutcome {
        let mut report = self.run_plan(plan, host);
        // Last of all, after a restart is scheduled: the mark covers every change.
        if self.release_owed {
            self.report = report;
            self.release(plan);
            report = std::mem::replace(&mut self.report, HostOutcome::new(&plan.host, Outcome::Failed, ""));
        }
        self.engine.audit.record(&report.host, self.shell.take_records());
        report
    }

    /// Puts this run's mark on the host before anything changes on it. `Err` with the host's
    /// result when another run holds it, or when whose mark it is cannot be told.
    fn claim(&mut self, plan: &HostPlan, steps: &[Step]) -> Result<(), Box<HostOutcome>> {
        if !steps.iter().any(|s| matches!(s.action, Action::Run { .. } | Action::Upload { .. })) {
            return Ok(());
        }
        let e = self.engine;
        let staging = staging_dir(plan);
        let command = match marker::claim_command(e.tools.templates, staging, e.claimant, e.request.force) {
            Ok(command) => command,
            Err(why) => return Err(self.refuse(plan, Outcome::Failed, format!("cannot claim the host: {why}"))),
        };
        let mut attempt = self.exec(&Expect::Anything, &command, CLAIM_TIMEOUT);
        let marker = marker::marker_path(staging);
        let refusal = match (attempt.judgement.judged, marker::read_claim(&attempt.tail, e.claimant)) {
            (Judged::Ok, Claim::Ours) => None,
            (Judged::Ok, Claim::Held(owner)) => Some((
                Outcome::RefusedBusy,
                format!(
                    "another run holds the host ({marker} says \"{owner}\"): let it finish; if that run is dead \
                     and will not be resumed, apply with --force"
                ),
            )),
            (Judged::Ok, Claim::Unclear) => Some((
                Outcome::RefusedBusy,
                format!(
                    "the host's run mark {marker} names no owner (another run claiming it at this moment, or a \
                     folder left by hand): look, then apply with --force to take the host over"
                ),
            )),
            (_, _) => Some((Outcome::Failed, format!("cannot claim the host: {}", attempt.judgement.detail))),
        };
        // The command may have made the mark even if its output was lost: releasing is harmless.
        self.release_owed = true;
        match refusal {
            None => {
                attempt.judgement = Judgement::ok(format!("{marker} marks the host as this run's"));
                self.record(CLAIM_STEP, &command, &attempt);
                Ok(())
            }
            Some((outcome, reason)) => {
                self.release_owed = outcome == Outcome::Failed;
                attempt.judgement = Judgement::failed(reason.clone());
                self.record(CLAIM_STEP, &command, &attempt);
                Err(self.refuse(plan, outcome, reason))
            }
        }
    }

    /// Removes this run's mark from the host; a mark left behind is a warning, as it makes the
    /// next run refuse the host until someone looks.
    fn release(&mut self, plan: &HostPlan) {
        self.release_owed = false;
        let e = self.engine;
        let staging = staging_dir(plan);
        let command = match marker::release_command(e.tools.templates, staging, e.claimant) {
            Ok(command) => command,
            Err(why) => {
                self.report.warnings.push(format!("the run mark was not removed: {why}"));
                return;
            }
        };
        let mut attempt = self.exec(&Expect::Anything, &command, CLAIM_TIMEOUT);
        let marker = marker::marker_path(staging);
        let released = attempt.judgement.judged == Judged::Ok && attempt.tail.lines().any(|l| l.trim() == "released");
        if !released {
            let why = format!(
                "the run mark {marker} is still on the host ({}): a later run will refuse the host until it is \
                 removed (by hand, or by apply --force)",
                attempt.judgement.detail
            );
            self.report.warnings.push(why.clone());
            attempt.judgement = Judgement::new(Judged::Warning, why);
        } else {
            attempt.judgement = Judgement::ok(format!("{marker} removed"));
        }
        self.record(RELEASE_STEP, &command, &attempt);
    }

    /// The host's result when the run stops before its steps.
    fn refuse(&mut self, plan: &HostPlan, outcome: Outcome, reason: String) -> Box<HostOutcome> {
        let mut report = std::mem::replace(&mut self.report, HostOutcome::new(&plan.host, outcome, ""));
        report.outcome = outcome;
        report.reason = reason;
        Box::new(report)
    }

    fn run_plan(&mut self, plan: &HostPlan, host: &Host) -> HostOutcome {
        if self.engine.request.reboot_only {
            return self.reboot_only(plan, host);
        }
        let backout = self.engine.request.backout;
        let replanned;
        let plan = if backout {
            plan
        } else {
            match self.check(plan, host) {
                Ok(Some(fresh)) => {
                    replanned = fresh;
                    &replanned
                }
                Ok(None) => plan,
                Err(done) => return *done,
            }
        };
        let (steps, fallback) =
            if backout { (&plan.backout, &Vec::new()) } else { (&plan.steps, &plan.elevation_fallback) };
        if let Err(refused) = self.claim(plan, steps) {
            return *refused;
        }
        let mut cleanups = Vec::new();
        let result = self.sequence(steps, fallback, &mut cleanups);
        for step in &cleanups {
            self.cleanup(step);
        }
        let fixed = self.engine.tools.advisory.fixed_file_version;
        let (outcome, mut reason) = match result {
            Err(Stop::Failed(reason)) => (Outcome::Failed, reason),
            Err(Stop::Manual(instructions)) => (Outcome::ManualAction, instructions),
            Ok(()) if backout => (Outcome::BackedOut, "the back-out steps ran: rescan the host".to_string()),
            Ok(()) if self.dll_proved => {
                let version = self.report.dll_version_after.map(|v| v.to_string()).unwrap_or_default();
                (Outcome::Remediated, format!("DLL {version} read back (the fix is {fixed} or later)"))
            }
            Ok(()) if plan.steps.is_empty() => (Outcome::NotNeeded, plan.reason.clone()),
            Ok(()) => (Outcome::Failed, "the steps ran, but none read the DLL back: the fix is not proven".into()),
        };
        if outcome == Outcome::Remediated && self.report.reboot_pending && self.engine.request.reboot {
            reason.push_str(&self.restart(&plan.reboot));
        }
        let mut report = std::mem::replace(&mut self.report, HostOutcome::new(&plan.host, outcome, ""));
        report.outcome = outcome;
        report.reason = reason;
        report
    }

    /// `--reboot` on a remediated host whose installer asked for a restart: the plan's reboot
    /// steps, last of all, with their own cleanups (a task's delete). Returns what the host's
    /// reason gains; a failure is a warning (the DLL proved the fix; the restart is pending).
    fn restart(&mut self, steps: &[Step]) -> String {
        if steps.is_empty() {
            self.report.warnings.push(
                "reboot: the plan has no reboot step (it predates --reboot): restart the host yourself, or re-plan"
                    .into(),
            );
            return String::new();
        }
        let mut cleanups = Vec::new();
        let result = self.sequence(steps, &[], &mut cleanups);
        for step in &cleanups {
            self.cleanup(step);
        }
        match result {
            Ok(()) => {
                self.report.reboot_scheduled = true;
                "; reboot scheduled: the installer asked for a restart".into()
            }
            Err(Stop::Failed(why) | Stop::Manual(why)) => {
                self.report.warnings.push(format!("reboot not scheduled ({why}): restart the host yourself"));
                String::new()
            }
        }
    }

    /// The re-probe: `Ok(None)` to go on with the plan, `Ok(Some)` with a fresh plan
    /// (`--replan`), `Err` with the host's final result.
    fn check(&mut self, plan: &HostPlan, host: &Host) -> Result<Option<HostPlan>, Box<HostOutcome>> {
        let e = self.engine;
        let (advisory, templates) = (e.tools.advisory, e.tools.templates);
        let probe = self.reprobe(host);
        let now = probe.facts.as_ref().map(plan::fingerprint);
        // A run cut short between the install and its cleanup left the host fixed, with a task
        // or a staged package on it: the cleanup is owed even though nothing else runs.
        let mut owed = String::new();
        if probe.verdict == Verdict::Remediated && e.interrupted.contains(&plan.host) {
            let cleanups: Vec<Step> =
                plan.steps.iter().chain(&plan.elevation_fallback).filter(|s| s.cleanup).cloned().collect();
            for step in &cleanups {
                self.cleanup(step);
            }
            owed = "; the cleanup the interrupted run owed was done".into();
        }
        let mut done = |outcome, reason: String| {
            let mut report = std::mem::replace(&mut self.report, HostOutcome::new(&plan.host, outcome, ""));
            report.outcome = outcome;
            report.reason = reason;
            report.dll_version_after = probe.dll_version().and_then(|v| v.parse().ok());
            report.reboot_pending |= probe.facts.as_ref().is_some_and(|f| f.reboot_pending.is_some());
            Err(Box::new(report))
        };
        match probe.verdict {
            Verdict::Remediated => {
                let dll = probe.dll_version().unwrap_or_default();
                // A restart still pending is a fact of the registry: said, and with --reboot
                // pointed at the command that runs the plan's restart on such hosts.
                let pending = match probe.facts.as_ref().and_then(|f| f.reboot_pending.as_ref()) {
                    Some(p) if e.request.reboot => format!("; {p}: apply --reboot-only runs the plan's restart on it"),
                    Some(p) => format!("; {p}"),
                    None => String::new(),
                };
                return done(
                    Outcome::AlreadyRemediated,
                    format!("the re-probe read DLL {dll}: already fixed, nothing done{owed}{pending}"),
                );
            }
            v if v.needs_attention() => return done(Outcome::Failed, format!("the re-probe failed: {}", probe.reason)),
            _ => {}
        }
        // A rehearsal's twins only approximate the planned hosts: their drift is expected.
        if now == plan.fingerprint || e.request.rehearsal {
            return Ok(None);
        }
        let drift = format!(
            "the host changed since the plan (fingerprint {} then, {} now; now {}: {})",
            plan.fingerprint.as_deref().unwrap_or("none"),
            now.as_deref().unwrap_or("none"),
            probe.verdict,
            probe.reason
        );
        if !e.request.replan {
            return done(Outcome::RefusedDrift, format!("{drift}: re-plan it, or apply with --replan"));
        }
        match plan::replan_host(&e.request.plan.header, plan, probe.clone(), advisory, templates) {
            Ok(fresh) => {
                let detail = format!("{drift}: re-planned, route {}", fresh.route);
                let attempt = Attempt::decided(Judgement::ok(detail), Duration::ZERO);
                self.record("re-plan", "(no command: the plan is rebuilt from the re-probe's facts)", &attempt);
                Ok(Some(fresh))
            }
            Err(why) => done(Outcome::RefusedDrift, format!("{drift}; re-planning failed: {why}")),
        }
    }

    /// The re-probe (the scan's probe, read-only), journaled as the `re-probe` step.
    fn reprobe(&mut self, host: &Host) -> scan::HostResult {
        let e = self.engine;
        let started = Instant::now();
        let (advisory, templates) = (e.tools.advisory, e.tools.templates);
        let probe = scan::probe_over(&mut *self.shell, host, e.request.probe_timeout, advisory, templates);
        let now = probe.facts.as_ref().map(plan::fingerprint);
        // The command as the transport recorded it: the probe is rendered once, by the scan.
        let command = self.shell.records().last().map(|r| r.command.clone()).unwrap_or_default();
        let pending = match probe.facts.as_ref().and_then(|f| f.reboot_pending.as_ref()) {
            Some(p) => format!("; {p}"),
            None => String::new(),
        };
        let detail =
            format!("{}: {} (fingerprint {}){pending}", probe.verdict, probe.reason, now.as_deref().unwrap_or("none"));
        let judged = if probe.verdict.needs_attention() { Judged::Failed } else { Judged::Ok };
        let attempt = Attempt::decided(Judgement::new(judged, detail), started.elapsed());
        self.record("re-probe", &command, &attempt);
        probe
    }

    /// `--reboot-only`: the plan's reboot steps, and nothing else, on a host the re-probe finds
    /// fixed (the DLL read back) whose registry still says a restart is pending. Any other host
    /// is left alone (`skipped`), with why.
    fn reboot_only(&mut self, plan: &HostPlan, host: &Host) -> HostOutcome {
        let probe = self.reprobe(host);
        let dll = probe.dll_version();
        let dll_after = dll.as_deref().and_then(|v| v.parse().ok());
        let end = |this: &mut Self, outcome: Outcome, reason: String| {
            let mut report = std::mem::replace(&mut this.report, HostOutcome::new(&plan.host, outcome, ""));
            report.outcome = outcome;
            report.reason = reason;
            report.dll_version_after = dll_after;
            report
        };
        if probe.verdict.needs_attention() {
            return end(self, Outcome::Failed, format!("the re-probe failed: {}", probe.reason));
        }
        if probe.verdict != Verdict::Remediated {
            return end(
                self,
                Outcome::Skipped,
                format!(
                    "--reboot-only: not fixed ({}: {}): only a host the DLL proves fixed is restarted; apply the plan first",
                    probe.verdict, probe.reason
                ),
            );
        }
        let facts = probe.facts.as_ref();
        let Some(pending) = facts.and_then(|f| f.reboot_pending.clone()) else {
            let unread: Vec<String> = facts
                .map(|f| f.problems.iter().filter(|p| crate::probe::reboot::is_reboot_section(&p.section)))
                .into_iter()
                .flatten()
                .map(|p| format!("{}: {}", p.section, p.message))
                .collect();
            let reason = if unread.is_empty() {
                format!(
                    "--reboot-only: no restart pending (the registry records none; DLL {})",
                    dll.unwrap_or_default()
                )
            } else {
                format!(
                    "--reboot-only: cannot tell whether a restart is pending ({}): restart it yourself if it needs one",
                    unread.join("; ")
                )
            };
            return end(self, Outcome::Skipped, reason);
        };
        self.report.reboot_pending = true;
        if let Err(refused) = self.claim(plan, &plan.reboot) {
            let mut refused = *refused;
            refused.reboot_pending = true;
            return refused;
        }
        let warnings_before = self.report.warnings.len();
        self.restart(&plan.reboot);
        let fixed = format!("already fixed (DLL {}); {pending}", dll.clone().unwrap_or_default());
        if self.report.reboot_scheduled {
            end(self, Outcome::AlreadyRemediated, format!("{fixed}: reboot scheduled"))
        } else {
            let why = self.report.warnings.drain(warnings_before..).collect::<Vec<_>>().join("; ");
            end(self, Outcome::Failed, format!("{fixed}, and the restart could not be scheduled: {why}"))
        }
    }

    /// Runs steps in order; cleanup steps are set aside for the end.
    fn sequence(&mut self, steps: &[Step], fallback: &[Step], cleanups: &mut Vec<Step>) -> Result<(), Stop> {
        cleanups.extend(steps.iter().filter(|s| s.cleanup).cloned());
        for (index, step) in steps.iter().enumerate().filter(|(_, s)| !s.cleanup) {
            match self.step(step, steps, index) {
                StepEnd::Done => {}
                StepEnd::Fallback if fallback.is_empty() => {
                    return Err(Stop::Failed(format!(
                        "step {}: the installer needs elevation (740) and the plan has no SYSTEM-task fallback",
                        step.id
                    )))
                }
                StepEnd::Fallback => self.sequence(fallback, &[], cleanups)?,
                StepEnd::Stop(stop) => return Err(stop),
            }
        }
        Ok(())
    }

    /// Says what a step waits on now.
    fn working(&self, step: &str, doing: impl Into<String>) {
        let doing = doing.into();
        tracing::debug!(step, doing = %doing, "step under way");
        (self.progress)(HostProgress::Working { step: step.to_string(), doing });
    }

    fn step(&mut self, step: &Step, steps: &[Step], index: usize) -> StepEnd {
        let timeout = Duration::from_secs(step.timeout_secs.max(1));
        let doing = match &step.action {
            Action::Manual { .. } => "a manual step",
            Action::Upload { .. } => "uploading",
            Action::Run { .. } if matches!(step.expect, Expect::TaskFinished { .. }) => "waiting for the task",
            Action::Run { .. } => "running",
        };
        self.working(&step.id, doing);
        match &step.action {
            Action::Manual { instructions } => {
                let attempt = Attempt::decided(Judgement::new(Judged::Manual, instructions.clone()), Duration::ZERO);
                self.record(&step.id, "(manual step: a person does it)", &attempt);
                StepEnd::Stop(Stop::Manual(format!("step {}: {instructions}", step.id)))
            }
            Action::Upload { local, remote, sha256 } => {
                let attempt = self.upload(local, remote, sha256, timeout);
                let command = format!("upload {} -> {remote}", local.display());
                self.conclude(step, &command, attempt)
            }
            Action::Run { command } => {
                if matches!(step.expect, Expect::Installer | Expect::TaskCreated) && self.install_started.is_none() {
                    self.install_started = Some(UtcTime::now());
                }
                let attempt = match &step.expect {
                    Expect::Installer => self.install(step, command, timeout),
                    Expect::TaskFinished { poll_secs } => {
                        let previous = index.checked_sub(1).and_then(|i| steps.get(i));
                        self.wait_for_task(step, command, timeout, *poll_secs, previous)
                    }
                    _ => self.exec(&step.expect, command, timeout),
                };
                self.conclude(step, command, attempt)
            }
        }
    }

    fn upload(&mut self, local: &std::path::Path, remote: &str, sha256: &str, timeout: Duration) -> Attempt {
        let started = Instant::now();
        let judgement = match self.shell.upload(local, remote, timeout) {
            Ok(sent) if sent.sha256.eq_ignore_ascii_case(sha256) => {
                Judgement::ok(format!("sent {} bytes, SHA-256 {} as planned", sent.size, sent.sha256))
            }
            Ok(sent) => Judgement::failed(format!(
                "the package sent has SHA-256 {}, the plan says {sha256}: the local file changed since the plan",
                sent.sha256
            )),
            Err(e) => Judgement::failed(e.to_string()),
        };
        Attempt::decided(judgement, started.elapsed())
    }

    /// Runs a command once and judges it.
    fn exec(&mut self, expect: &Expect, command: &str, timeout: Duration) -> Attempt {
        let started = Instant::now();
        let mut output = StepOutput::new();
        let status = shell::run_with_exit_code(&mut *self.shell, self.shell_type, command, timeout, &mut output);
        let duration = started.elapsed();
        let mut ssh_exit_status = None;
        let (exit_code, judgement) = match status {
            Ok(ended) => {
                ssh_exit_status = ended.disagreement();
                let text = output.judged_text();
                let newest_log_time = output.newest_log_time();
                // Exit codes are 32 bits: a code cmd.exe printed signed keeps its bits.
                let code = ended.code().map(|c| c as i32);
                let seen = Observed { exit_code: code, text: &text, newest_log_time };
                let ctx = JudgeContext {
                    exit_codes: &self.engine.tools.advisory.exit_codes,
                    install_started: self.install_started,
                };
                (ended.code(), judge::judge(expect, &seen, &ctx))
            }
            Err(e) => (None, Judgement::failed(e.to_string())),
        };
        Attempt { judgement, exit_code, duration, tail: output.tail(), ssh_exit_status }
    }

    fn backoff(&self, tries: u32) -> Duration {
        self.engine.request.retry_delay.saturating_mul(1 << tries.saturating_sub(1).min(16))
    }

    /// An installer, tried again while it answers "another installation is in progress".
    fn install(&mut self, step: &Step, command: &str, timeout: Duration) -> Attempt {
        for tries in 1.. {
            let mut attempt = self.exec(&step.expect, command, timeout);
            if attempt.judgement.judged != Judged::Retry {
                return attempt;
            }
            if tries >= INSTALL_TRIES {
                attempt.judgement.judged = Judged::Failed;
                attempt.judgement.detail.push_str(&format!(", still after {tries} tries"));
                return attempt;
            }
            self.record(&step.id, command, &attempt);
            let pause = self.backoff(tries);
            self.working(&step.id, format!("busy; try {} of {INSTALL_TRIES} in {} s", tries + 1, pause.as_secs()));
            std::thread::sleep(pause);
        }
        unreachable!("the loop returns")
    }

    /// Polls a scheduled task until it finishes; a busy installer inside it starts the task
    /// again (the step before this one), with the same back-off as a direct install.
    fn wait_for_task(
        &mut self,
        step: &Step,
        command: &str,
        timeout: Duration,
        poll_secs: u64,
        start: Option<&Step>,
    ) -> Attempt {
        let deadline = Instant::now() + timeout;
        let poll = self.engine.request.poll_interval.unwrap_or(Duration::from_secs(poll_secs.max(1)));
        let mut tries = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let mut attempt =
                self.exec(&step.expect, command, remaining.min(POLL_COMMAND_TIMEOUT).max(Duration::from_secs(1)));
            match attempt.judgement.judged {
                Judged::Pending if Instant::now() + poll < deadline => std::thread::sleep(poll),
                Judged::Pending => {
                    attempt.judgement.judged = Judged::Failed;
                    attempt.judgement.detail =
                        format!("the task did not finish within {}s ({})", timeout.as_secs(), attempt.judgement.detail);
                    return attempt;
                }
                Judged::Retry => {
                    let restart = start.and_then(|s| match &s.action {
                        Action::Run { command } if s.expect == Expect::Success => Some((s, command.clone())),
                        _ => None,
                    });
                    let Some((start, start_command)) = restart.filter(|_| tries < INSTALL_TRIES) else {
                        attempt.judgement.judged = Judged::Failed;
                        attempt.judgement.detail.push_str(&format!(", still after {tries} tries"));
                        return attempt;
                    };
                    self.record(&step.id, command, &attempt);
                    let pause = self.backoff(tries);
                    let doing = format!(
                        "busy; task started again, try {} of {INSTALL_TRIES}, in {} s",
                        tries + 1,
                        pause.as_secs()
                    );
                    self.working(&step.id, doing);
                    std::thread::sleep(pause);
                    tries += 1;
                    let again =
                        self.exec(&start.expect, &start_command, Duration::from_secs(start.timeout_secs.max(1)));
                    let ok = again.judgement.judged == Judged::Ok;
                    self.record(&start.id, &start_command, &again);
                    if !ok {
                        return again;
                    }
                }
                _ => return attempt,
            }
        }
    }

    /// Records a step's final attempt and decides what follows.
    fn conclude(&mut self, step: &Step, command: &str, mut attempt: Attempt) -> StepEnd {
        let j = &mut attempt.judgement;
        if let Some(version) = j.dll_version {
            self.report.dll_version_after = Some(version);
        }
        let verification = matches!(step.expect, Expect::ServicesRunning { .. } | Expect::NoNewSymptoms);
        if j.judged == Judged::Failed && self.dll_proved && verification {
            j.judged = Judged::Warning;
        }
        self.record(&step.id, command, &attempt);
        let j = attempt.judgement;
        match j.judged {
            Judged::Ok => {
                // Only the loaded advisory's fixed version proves a fix, whatever the plan says.
                let fixed = self.engine.tools.advisory.fixed_file_version;
                self.dll_proved |=
                    matches!(step.expect, Expect::DllAtLeast { .. }) && j.dll_version.is_some_and(|v| v >= fixed);
                self.report.reboot_pending |= j.reboot_pending;
                StepEnd::Done
            }
            Judged::Warning => {
                self.report.warnings.push(format!("{}: {}", step.id, j.detail));
                StepEnd::Done
            }
            Judged::Fallback => StepEnd::Fallback,
            _ => {
                if let Some(diagnostic) = &step.on_failure {
                    self.diagnose(step, diagnostic);
                }
                StepEnd::Stop(Stop::Failed(format!("step {}: {}", step.id, j.detail)))
            }
        }
    }

    fn diagnose(&mut self, step: &Step, command: &str) {
        let mut attempt = self.exec(&Expect::Anything, command, Duration::from_secs(step.timeout_secs.clamp(1, 120)));
        attempt.judgement.judged = Judged::Diagnostic;
        self.report.failure_log = last_lines(&attempt.tail, FAILURE_LOG_LINES);
        self.record(&format!("{}:on-failure", step.id), command, &attempt);
    }

    fn cleanup(&mut self, step: &Step) {
        let Action::Run { command } = &step.action else { return };
        let attempt = self.exec(&step.expect, command, Duration::from_secs(step.timeout_secs.max(1)));
        if attempt.judgement.judged != Judged::Ok {
            self.report.warnings.push(format!("cleanup {}: {}", step.id, attempt.judgement.detail));
            self.report.cleanup_pending = true;
        }
        self.record(&step.id, command, &attempt);
    }

    /// Journals an attempt and keeps it as the step's record (the last attempt wins).
    fn record(&mut self, id: &str, command: &str, attempt: &Attempt) {
        let entry = StepEntry {
            at: UtcTime::now(),
            host: self.report.host.clone(),
            step: id.to_string(),
            command: command.to_string(),
            exit_code: attempt.exit_code,
            duration_ms: millis(attempt.duration),
            judged: attempt.judgement.judged,
            detail: attempt.judgement.detail.clone(),
            output_tail: attempt.tail.clone(),
            ssh_exit_status: attempt.ssh_exit_status,
        };
        tracing::info!(
            step = id,
            judged = %attempt.judgement.judged,
            exit = ?attempt.exit_code,
            ms = millis(attempt.duration),
            detail = %attempt.judgement.detail,
            "step attempt ended"
        );
        self.engine.journal.append(&Entry::Step(entry));
        let record = StepRecord {
            id: id.to_string(),
            exit_code: attempt.exit_code,
            duration_ms: millis(attempt.duration),
            judged: Some(attempt.judgement.judged),
        };
        (self.progress)(HostProgress::StepDone { step: record.clone(), detail: attempt.judgement.detail.clone() });
        match self.report.steps.iter_mut().find(|s| s.id == id) {
            Some(existing) => *existing = record,
            None => self.report.steps.push(record),
        }
    }
}
