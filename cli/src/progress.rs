//! Turns core's scan and apply events into indicatif progress bars on a terminal (none with
//! `--no-progress`), and into plain lines as things happen when standard error is not a
//! terminal (a pipe, `tee`, a CI log), one per host done, as Ansible's default output does.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use wsusfix_core::apply::ApplyEvent;
use wsusfix_core::assess::Verdict;
use wsusfix_core::outcome::Outcome;
use wsusfix_core::scan::ScanEvent;

/// Progress of a scan: one bar, with the verdicts so far.
pub struct ScanProgress {
    bar: ProgressBar,
    counts: BTreeMap<Verdict, usize>,
    /// Plain lines instead of a bar: standard error is not a terminal.
    lines: bool,
    label: String,
}

impl ScanProgress {
    /// `label` prefixes the bar (`scan`, `batch 2/4`).
    pub fn new(label: &str, enabled: bool) -> ScanProgress {
        let bar = if enabled && std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} hosts  {msg}  (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        let lines = !std::io::stderr().is_terminal();
        ScanProgress { bar, counts: BTreeMap::new(), lines, label: label.to_string() }
    }

    pub fn event(&mut self, event: &ScanEvent) {
        match event {
            ScanEvent::Started { total } => {
                self.bar.set_length(*total as u64);
                self.bar.enable_steady_tick(std::time::Duration::from_millis(200));
                if self.lines {
                    eprintln!("{}: {total} hosts", self.label);
                }
            }
            ScanEvent::HostDone { result, .. } => {
                if self.lines {
                    eprintln!("{}", host_line(result));
                }
                // As OpenSSH's client says it, when it says it.
                for notice in &result.notices {
                    let line = format!("Warning: {notice}.");
                    if self.bar.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        self.bar.println(line);
                    }
                }
                *self.counts.entry(result.verdict).or_default() += 1;
                let msg: Vec<String> = self.counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
                self.bar.inc(1);
                self.bar.set_message(msg.join(", "));
            }
            ScanEvent::Finished { .. } => self.bar.finish_and_clear(),
        }
    }
}

/// `wsus01: affected (0.4 s)`; a host that needs attention says why, whole.
fn host_line(result: &wsusfix_core::scan::HostResult) -> String {
    let took = result.duration_ms.map(|ms| format!(" ({:.1} s)", ms as f64 / 1000.0)).unwrap_or_default();
    let why = if result.verdict.needs_attention() { format!(": {}", result.reason) } else { String::new() };
    format!("{}: {}{took}{why}", result.host, result.verdict)
}

/// `wsus01: install ok (exit 0, 12.3 s): the installer finished`: one attempt of a step, a
/// retry or a wait included.
fn step_line(host: &str, step: &wsusfix_core::outcome::StepRecord, detail: &str) -> String {
    let judged = step.judged.map(|j| j.to_string()).unwrap_or_else(|| "done".into());
    let exit = step.exit_code.map(|c| format!("exit {c}, ")).unwrap_or_default();
    let took = step.duration_ms as f64 / 1000.0;
    let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
    format!("{host}: {} {judged} ({exit}{took:.1} s){detail}", step.id)
}

/// Progress of `apply`: the whole run on one bar, the current batch on another.
pub struct ApplyProgress {
    _multi: MultiProgress,
    overall: ProgressBar,
    batch: ProgressBar,
    counts: BTreeMap<Outcome, usize>,
    enabled: bool,
    /// Plain lines instead of bars: standard error is not a terminal.
    lines: bool,
}

impl ApplyProgress {
    pub fn new(enabled: bool) -> ApplyProgress {
        let enabled = enabled && std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let style = |template: &str| {
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ")
        };
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(style("apply   [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} hosts  {msg}"));
        let batch = multi.add(ProgressBar::new(0));
        batch.set_style(style("{prefix:7} {bar:30.green/white} {pos}/{len}  {msg}"));
        let lines = !std::io::stderr().is_terminal();
        ApplyProgress { _multi: multi, overall, batch, counts: BTreeMap::new(), enabled, lines }
    }

    pub fn event(&mut self, event: ApplyEvent) {
        match event {
            ApplyEvent::Started { total } => {
                self.overall.set_length(total as u64);
                self.overall.enable_steady_tick(std::time::Duration::from_millis(200));
                if self.lines {
                    eprintln!("apply: {total} hosts");
                }
            }
            ApplyEvent::BatchStarted { batch, batches, hosts } if self.lines => {
                eprintln!("batch {batch}/{batches}: {hosts} hosts");
            }
            ApplyEvent::HostStarted { host } if self.lines => eprintln!("{host}: working"),
            ApplyEvent::StepDone { host, step, detail } if self.lines => {
                eprintln!("{}", step_line(&host, &step, &detail))
            }
            ApplyEvent::StepDone { host, step, .. } => self.batch.set_message(format!("{host}: {}", step.id)),
            ApplyEvent::HostDone { host, outcome, elapsed } if self.lines => {
                eprintln!("{host}: {outcome} ({:.1} s)", elapsed.as_secs_f64());
            }
            ApplyEvent::Stopped { reason } if self.lines => eprintln!("{reason}"),
            ApplyEvent::BatchStarted { batch, batches, hosts } => {
                self.batch.set_prefix(format!("batch {batch}/{batches}"));
                self.batch.set_length(hosts as u64);
                self.batch.set_position(0);
            }
            ApplyEvent::HostStarted { host } => self.batch.set_message(format!("working on {host}")),
            ApplyEvent::HostDone { host, outcome, .. } => {
                *self.counts.entry(outcome).or_default() += 1;
                let msg: Vec<String> = self.counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
                // Count first, then name the counts: a redraw in between never shows more
                // outcomes than hosts done.
                self.overall.inc(1);
                self.batch.inc(1);
                self.overall.set_message(msg.join(", "));
                self.batch.set_message(format!("{host}: {outcome}"));
            }
            ApplyEvent::Stopped { reason } if self.enabled => self.overall.println(reason),
            ApplyEvent::Finished { .. } => {
                self.batch.finish_and_clear();
                self.overall.finish_and_clear();
            }
            ApplyEvent::Stopped { .. } => {}
        }
    }
}
