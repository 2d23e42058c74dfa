//! The closure record of a run, for the result report: read from the run folder's journal and
//! plan copy, it says which change and which plan (by digest) ran, who started and resumed it
//! and from where, every batch, every stop and every option changed at a resume, and what to
//! do next.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::messages::Catalogue;
use super::text::Escape;
use crate::apply::journal::{Entry, Journal, RunOptions, JOURNAL_FILE, PLAN_FILE};
use crate::outcome::{Outcome, RunOutcome};
use crate::plan::Plan;

/// A run folder's journal and plan copy.
#[derive(Clone, Debug)]
pub struct RunHistory {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    pub plan: Option<Plan>,
}

impl RunHistory {
    /// Reads the journal (and, when it reads, the plan copy) of run folder `dir`.
    pub fn load(dir: &Path) -> Result<RunHistory, crate::apply::journal::JournalError> {
        let entries = Journal::read(&dir.join(JOURNAL_FILE))?;
        let plan_path = dir.join(PLAN_FILE);
        let plan = crate::files::read_input(&plan_path, crate::files::INPUT_LIMIT)
            .ok()
            .and_then(|text| Plan::parse(&text, &plan_path).ok());
        Ok(RunHistory { dir: dir.to_path_buf(), entries, plan })
    }
}

/// The closure record, prepared for the document.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryView {
    pub change_id: Option<String>,
    pub plan_digest: Option<String>,
    /// Everyone who started or resumed the run.
    pub operators: Vec<String>,
    pub lines: Vec<HistoryLine>,
    /// Commands a person runs next, each with why.
    pub next_steps: Vec<NextStep>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HistoryLine {
    pub at: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct NextStep {
    pub why: String,
    pub command: String,
}

impl HistoryView {
    /// The closure record of `history`, its words in the language of `msg`.
    pub fn new(history: &RunHistory, run: &RunOutcome, esc: Escape, msg: &Catalogue) -> HistoryView {
        let mut lines = Vec::new();
        let mut operators: Vec<String> = Vec::new();
        let mut previous: Option<&RunOptions> = None;
        let not_recorded = msg.text("common.not_recorded", &[]);
        let mut line = |at: &crate::time::UtcTime, text: String| lines.push(HistoryLine { at: at.to_string(), text });
        for entry in &history.entries {
            match entry {
                Entry::RunStart { at, run_id, plan, options, hosts, .. } => {
                    let who = options.operator.as_deref().unwrap_or(&not_recorded);
                    operators.push(esc.text(who));
                    let plan = super::text::file_names(plan);
                    let options_text = describe(options, msg);
                    let args: [(&str, &dyn std::fmt::Display); 5] = [
                        ("run_id", run_id),
                        ("who", &who),
                        ("plan", &plan),
                        ("n", &hosts.len()),
                        ("options", &options_text),
                    ];
                    line(at, esc.text(&msg.text("history.start", &args)));
                    previous = Some(options);
                }
                Entry::Resume { at, options, finished_hosts, torn_tail, .. } => {
                    let who = options.operator.as_deref().unwrap_or(&not_recorded);
                    if !operators.contains(&esc.text(who)) {
                        operators.push(esc.text(who));
                    }
                    let changed = previous.map(|p| changes(p, options, msg)).unwrap_or_default();
                    let mut text = msg.text("history.resume", &[("who", &who), ("finished", finished_hosts)]);
                    if changed.is_empty() {
                        text.push_str(&msg.text("history.same_options", &[]));
                    } else {
                        text.push_str(&msg.text("history.options_changed", &[("changes", &msg.list(&changed))]));
                    }
                    if let Some(torn) = torn_tail {
                        text.push_str(&msg.text("history.torn", &[("file", torn)]));
                    }
                    line(at, esc.text(&text));
                    previous = Some(options);
                }
                Entry::BatchStart { at, batch, batches, hosts } => line(
                    at,
                    esc.text(
                        &msg.text("history.batch", &[("batch", batch), ("batches", batches), ("n", &hosts.len())]),
                    ),
                ),
                Entry::RunEnd { at, counts, stopped } => {
                    let counts: Vec<String> = counts
                        .iter()
                        .map(|(o, n)| {
                            msg.text(
                                "history.end_count",
                                &[("n", n), ("outcome", &msg.label("outcome", &o.to_string()))],
                            )
                        })
                        .collect();
                    let mut text = msg.text("history.end", &[("counts", &msg.list(&counts))]);
                    if let Some(stop) = stopped {
                        text.push_str(&msg.text("history.stopped", &[("reason", stop)]));
                    }
                    line(at, esc.text(&text));
                }
                _ => {}
            }
        }
        let (change_id, plan_digest) = match &history.plan {
            Some(plan) => (
                plan.header.change.as_ref().and_then(|c| c.change_id.as_deref()).map(|id| esc.text(id)),
                Some(format!("sha256:{}", plan.digest())),
            ),
            None => (None, None),
        };
        HistoryView { change_id, plan_digest, operators, lines, next_steps: next_steps(history, run, esc, msg) }
    }
}

/// The options a run started with: `batches 1,100%, stop when more than 0% fail, 32 forks`.
fn describe(o: &RunOptions, msg: &Catalogue) -> String {
    let mut parts = vec![
        msg.text("history.option_batches", &[("serial", &o.serial.join(","))]),
        msg.text("history.option_stop", &[("percent", &o.max_fail_percent)]),
        msg.text("history.option_forks", &[("forks", &o.forks)]),
    ];
    if let Some(limit) = &o.limit {
        parts.push(format!("--limit {limit}"));
    }
    for (on, name) in [(o.replan, "--replan"), (o.backout, "--backout"), (o.reboot, "--reboot")] {
        if on {
            parts.push(name.to_string());
        }
    }
    msg.list(&parts)
}

/// The options of `now` that differ from `before`, as `max-fail-percent 0 → 50` (the names
/// are the command line's).
fn changes(before: &RunOptions, now: &RunOptions, msg: &Catalogue) -> Vec<String> {
    let mut out = Vec::new();
    let mut diff = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name} {a} → {b}"));
        }
    };
    diff("serial", before.serial.join(","), now.serial.join(","));
    diff("max-fail-percent", before.max_fail_percent.to_string(), now.max_fail_percent.to_string());
    diff("pause-between", format!("{}s", before.pause_between_secs), format!("{}s", now.pause_between_secs));
    diff("forks", before.forks.to_string(), now.forks.to_string());
    let none = msg.text("common.none", &[]);
    let limit = |l: &Option<String>| l.clone().unwrap_or_else(|| none.clone());
    diff("limit", limit(&before.limit), limit(&now.limit));
    diff("replan", before.replan.to_string(), now.replan.to_string());
    diff("reboot", before.reboot.to_string(), now.reboot.to_string());
    diff("reboot-only", before.reboot_only.to_string(), now.reboot_only.to_string());
    out
}

/// What a person does next, from how the hosts ended.
fn next_steps(history: &RunHistory, run: &RunOutcome, esc: Escape, msg: &Catalogue) -> Vec<NextStep> {
    let dir = history.dir.display().to_string();
    let hosts_with = |pred: &dyn Fn(&crate::outcome::HostOutcome) -> bool| -> Vec<String> {
        run.hosts.iter().filter(|h| pred(h)).map(|h| h.host.clone()).collect()
    };
    let mut steps = Vec::new();
    let mut add =
        |why: String, command: String| steps.push(NextStep { why: esc.text(&why), command: esc.code(&command) });
    let not_run = hosts_with(&|h| h.outcome == Outcome::NotRun);
    if !not_run.is_empty() {
        add(
            msg.text("history.not_run", &[("n", &not_run.len())]),
            format!("wsusfix apply --resume {dir} -i INVENTORY"),
        );
    }
    let failed = hosts_with(&|h| h.outcome.is_failure());
    if !failed.is_empty() {
        add(
            msg.text("history.failed", &[("hosts", &msg.list(&failed))]),
            format!("wsusfix apply PLAN -i INVENTORY --limit @{dir}/failed-hosts"),
        );
    }
    let reboot = hosts_with(&|h| h.reboot_pending && !h.reboot_scheduled);
    if !reboot.is_empty() {
        add(
            msg.text("history.reboot", &[("hosts", &msg.list(&reboot))]),
            format!("wsusfix apply PLAN -i INVENTORY --reboot-only --limit {}", reboot.join(",")),
        );
    }
    let manual = hosts_with(&|h| h.awaits_manual_step());
    for host in &manual {
        add(
            msg.text("history.manual", &[("host", host)]),
            format!("wsusfix apply --resume {dir} -i INVENTORY --ack-manual {host} --note 'WHAT WAS DONE' --yes"),
        );
    }
    let unproven = hosts_with(&|h| h.unproven_fix());
    if !unproven.is_empty() {
        add(
            msg.text("history.unproven", &[("hosts", &msg.list(&unproven))]),
            format!("wsusfix scan -i INVENTORY --limit {}", unproven.join(",")),
        );
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_changed_at_a_resume_are_named_with_both_values() {
        let before = RunOptions {
            serial: vec!["1".into(), "100%".into()],
            max_fail_percent: 0,
            forks: 32,
            operator: Some("alice on ctl01".into()),
            ..RunOptions::default()
        };
        let after = RunOptions { max_fail_percent: 50, limit: Some("!@runs/x/failed-hosts".into()), ..before.clone() };
        assert_eq!(
            changes(&before, &after, Catalogue::english()),
            ["max-fail-percent 0 → 50", "limit (none) → !@runs/x/failed-hosts"],
            "the operator is not an option"
        );
        let bob = RunOptions { operator: Some("bob on ctl02".into()), ..before.clone() };
        assert!(changes(&before, &bob, Catalogue::english()).is_empty());
        assert_eq!(
            describe(&after, Catalogue::english()),
            "batches 1,100%, stop when more than 50% fail, 32 forks, --limit !@runs/x/failed-hosts"
        );
        let chinese = Catalogue::embedded(crate::report::Lang::ZhCn);
        assert_eq!(
            describe(&after, chinese),
            "批次 1,100%、失败比例超过 50% 时停止、并发 32、--limit !@runs/x/failed-hosts"
        );
        assert_eq!(changes(&after, &before, chinese)[1], "limit !@runs/x/failed-hosts → （无）");
    }
}
