//! Turns core's scan and apply events into indicatif progress bars on a terminal (none with
//! `--no-progress`), and into plain lines as things happen when standard error is not a
//! terminal (a pipe, `tee`, a CI log), one per host done, as Ansible's default output does.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use wsusfix_core::apply::ApplyEvent;
use wsusfix_core::assess::Verdict;
use wsusfix_core::outcome::Outcome;
use wsusfix_core::scan::ScanEvent;

/// The hosts being worked on and what each waits on, for a bar to name them: the longest
/// waiting first, since a host that hangs is the one a user wants to see.
struct InFlight {
    started: Instant,
    hosts: BTreeMap<String, (Instant, String)>,
}

impl Default for InFlight {
    fn default() -> Self {
        InFlight { started: Instant::now(), hosts: BTreeMap::new() }
    }
}

/// How many in-flight hosts a bar names.
const NAMED_IN_FLIGHT: usize = 3;

impl InFlight {
    fn set(&mut self, host: &str, doing: String) {
        match self.hosts.get_mut(host) {
            Some(entry) => entry.1 = doing,
            None => {
                self.hosts.insert(host.to_string(), (Instant::now(), doing));
            }
        }
    }

    fn remove(&mut self, host: &str) {
        self.hosts.remove(host);
    }

    /// `wsus07 probing since 00:00:03, wsus12 install: running since 00:01:10 (+5 more)`, or
    /// nothing; times on the bar's clock, so that they stay true between two redraws.
    fn summary(&self) -> String {
        let mut oldest: Vec<(&String, &(Instant, String))> = self.hosts.iter().collect();
        oldest.sort_by_key(|(_, (since, _))| *since);
        let named: Vec<String> = oldest
            .iter()
            .take(NAMED_IN_FLIGHT)
            .map(|(host, (since, doing))| {
                let at = since.saturating_duration_since(self.started).as_secs();
                format!("{host} {doing} since {:02}:{:02}:{:02}", at / 3600, at / 60 % 60, at % 60)
            })
            .collect();
        let more = oldest.len().saturating_sub(NAMED_IN_FLIGHT);
        match (named.is_empty(), more) {
            (true, _) => String::new(),
            (false, 0) => named.join(", "),
            (false, more) => format!("{} (+{more} more)", named.join(", ")),
        }
    }
}

/// The counts so far, then the hosts in flight, for a bar's message.
fn bar_message<K: std::fmt::Display>(counts: &BTreeMap<K, usize>, in_flight: &InFlight) -> String {
    let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let waiting = in_flight.summary();
    match (counts.is_empty(), waiting.is_empty()) {
        (_, true) => counts.join(", "),
        (true, false) => format!("waiting on {waiting}"),
        (false, false) => format!("{} | waiting on {waiting}", counts.join(", ")),
    }
}

/// Bars: on a terminal, unless `-q` or `-v` (a bar would tear the log).
fn bars_wanted() -> bool {
    std::io::stderr().is_terminal() && !crate::verbosity::quiet() && !crate::verbosity::logging()
}

/// Plain lines as things happen: off a terminal, or beside `-v`'s log; never with `-q`.
fn lines_wanted() -> bool {
    !crate::verbosity::quiet() && (!std::io::stderr().is_terminal() || crate::verbosity::logging())
}

/// Progress of a scan: one bar, with the verdicts so far and the hosts in flight.
pub struct ScanProgress {
    bar: ProgressBar,
    counts: BTreeMap<Verdict, usize>,
    in_flight: InFlight,
    /// Plain lines instead of a bar: standard error is not a terminal.
    lines: bool,
    label: String,
}

impl ScanProgress {
    /// `label` prefixes the bar (`scan`, `batch 2/4`).
    pub fn new(label: &str, enabled: bool) -> ScanProgress {
        let bar = if enabled && bars_wanted() {
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
        let lines = lines_wanted();
        ScanProgress { bar, counts: BTreeMap::new(), in_flight: InFlight::default(), lines, label: label.to_string() }
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
            ScanEvent::HostPhase { host, phase, .. } => {
                if !self.lines {
                    self.in_flight.set(host, phase.to_string());
                    self.bar.set_message(bar_message(&self.counts, &self.in_flight));
                }
            }
            ScanEvent::HostDone { result, .. } => {
                self.in_flight.remove(&result.host);
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
                self.bar.inc(1);
                self.bar.set_message(bar_message(&self.counts, &self.in_flight));
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
    in_flight: InFlight,
    enabled: bool,
    /// Plain lines instead of bars: standard error is not a terminal.
    lines: bool,
}

impl ApplyProgress {
    pub fn new(enabled: bool) -> ApplyProgress {
        let enabled = enabled && bars_wanted();
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
        let lines = lines_wanted();
        ApplyProgress {
            _multi: multi,
            overall,
            batch,
            counts: BTreeMap::new(),
            in_flight: InFlight::default(),
            enabled,
            lines,
        }
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
            // On a pipe, the waits: a step's end has its own line.
            ApplyEvent::HostWorking { host, step, doing } if self.lines => {
                if !matches!(doing.as_str(), "running" | "uploading") {
                    eprintln!("{host}: {step}: {doing}");
                }
            }
            ApplyEvent::HostWorking { host, step, doing } => {
                self.in_flight.set(&host, format!("{step}: {doing}"));
                self.batch.set_message(self.in_flight.summary());
            }
            ApplyEvent::StepDone { host, step, detail } if self.lines => {
                eprintln!("{}", step_line(&host, &step, &detail))
            }
            ApplyEvent::StepDone { .. } => {}
            ApplyEvent::HostDone { host, outcome, elapsed } if self.lines => {
                eprintln!("{host}: {outcome} ({:.1} s)", elapsed.as_secs_f64());
            }
            ApplyEvent::Stopped { reason } if self.lines => eprintln!("{reason}"),
            ApplyEvent::BatchStarted { batch, batches, hosts } => {
                self.batch.set_prefix(format!("batch {batch}/{batches}"));
                self.batch.set_length(hosts as u64);
                self.batch.set_position(0);
            }
            ApplyEvent::HostStarted { host } => {
                self.in_flight.set(&host, "connecting".into());
                self.batch.set_message(self.in_flight.summary());
            }
            ApplyEvent::HostDone { host, outcome, .. } => {
                self.in_flight.remove(&host);
                *self.counts.entry(outcome).or_default() += 1;
                let msg: Vec<String> = self.counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
                // Count first, then name the counts: a redraw in between never shows more
                // outcomes than hosts done.
                self.overall.inc(1);
                self.batch.inc(1);
                self.overall.set_message(msg.join(", "));
                self.batch.set_message(self.in_flight.summary());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_waiting_hosts_are_named_first_and_the_rest_counted() {
        let mut in_flight = InFlight::default();
        assert_eq!(in_flight.summary(), "");
        for host in ["w1", "w2", "w3", "w4", "w5"] {
            in_flight.set(host, "connecting".into());
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        in_flight.set("w1", "probing".into());
        in_flight.remove("w2");
        let summary = in_flight.summary();
        assert!(summary.starts_with("w1 probing since 00:00:00, w3 connecting since"), "{summary}");
        assert!(summary.ends_with(" (+1 more)"), "{summary}");
        let mut counts = BTreeMap::new();
        counts.insert("affected", 2);
        assert!(bar_message(&counts, &in_flight).starts_with("2 affected | waiting on w1 probing"));
        assert_eq!(bar_message(&counts, &InFlight::default()), "2 affected");
    }
}
