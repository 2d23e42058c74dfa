//! The result report: how an `apply` run ended, host by host, for the change record.

use std::collections::BTreeMap;

use serde::Serialize;

use super::history::{HistoryView, RunHistory};
use super::messages::Catalogue;
use super::scope::Bucket;
use super::text::Escape;
use crate::outcome::{HostOutcome, Outcome, RunOutcome};

/// Everything `docs/result.*.tera` can use.
#[derive(Clone, Debug, Serialize)]
pub struct ResultDoc {
    /// The tool and version that wrote the outcome (`wsusfix 0.1.0`).
    pub tool: Option<String>,
    /// The closure record from the run folder's journal, when the report is made from a folder.
    pub history: Option<HistoryView>,
    /// A rehearsal on simulated twins: the document says SIMULATED in its title and first line.
    pub simulated: bool,
    /// Why the run stopped before its last batch, if it did.
    pub stopped: Option<String>,
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration: String,
    pub total: usize,
    pub by_outcome: Vec<Bucket>,
    pub hosts: Vec<HostView>,
    /// Hosts a person must follow up (failed, drifted, manual, skipped, not run, backed out,
    /// needing attention), and any host whose fix is not proven.
    pub follow_up: Vec<HostView>,
    pub reboot_pending: Vec<String>,
    /// Hosts whose cleanup failed: a scheduled task or a staged package may be left on them.
    pub cleanup_pending: Vec<String>,
    /// Hosts reported remediated or already remediated without a DLL version read back: not
    /// proven.
    pub unproven: Vec<String>,
    /// Hosts that ended with warnings, whatever their outcome.
    pub warned: Vec<HostView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostView {
    pub host: String,
    pub outcome: String,
    pub reason: String,
    pub dll_version_after: String,
    pub reboot_pending: bool,
    pub steps: Vec<StepRun>,
    pub warnings: Vec<String>,
    /// Reported fixed without the DLL version read back.
    pub unproven: bool,
    /// The last lines of the failing step's log (an installer's), as code.
    pub failure_log: Vec<String>,
    /// A Markdown fence longer than any run of backticks in `failure_log`.
    pub failure_fence: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepRun {
    pub id: String,
    pub exit_code: String,
    pub duration: String,
}

impl ResultDoc {
    /// The report of `run`, in English.
    pub fn new(run: &RunOutcome, esc: Escape) -> ResultDoc {
        ResultDoc::with_history(run, None, esc, Catalogue::english())
    }

    /// The report with the closure record of the run folder's journal, in the language of
    /// `msg`.
    pub fn with_history(run: &RunOutcome, history: Option<&RunHistory>, esc: Escape, msg: &Catalogue) -> ResultDoc {
        let mut hosts: Vec<&HostOutcome> = run.hosts.iter().collect();
        let rank = |o: Outcome| Outcome::ALL.iter().position(|x| *x == o);
        hosts.sort_by(|a, b| rank(a.outcome).cmp(&rank(b.outcome)).then_with(|| a.host.cmp(&b.host)));
        let mut groups: BTreeMap<Outcome, Vec<String>> = BTreeMap::new();
        for h in &hosts {
            groups.entry(h.outcome).or_default().push(esc.text(&h.host));
        }
        let by_outcome = Outcome::ALL
            .iter()
            .filter_map(|o| {
                let hosts = groups.remove(o)?;
                Some(Bucket { label: o.to_string(), count: hosts.len(), hosts })
            })
            .collect();
        let views: Vec<HostView> = hosts.iter().map(|h| host_view(h, esc, msg)).collect();
        ResultDoc {
            tool: run.about.as_ref().map(|a| esc.text(&a.tool)),
            history: history.map(|h| HistoryView::new(h, run, esc, msg)),
            simulated: run.simulated,
            stopped: run.stopped.as_deref().map(|s| esc.text(s)),
            run_id: esc.text(&run.run_id),
            started_at: run.started_at.to_string(),
            finished_at: run.finished_at.to_string(),
            duration: msg.duration(u64::try_from(run.finished_at.0 - run.started_at.0).unwrap_or(0)),
            total: hosts.len(),
            by_outcome,
            follow_up: hosts.iter().filter(|h| h.needs_follow_up()).map(|h| host_view(h, esc, msg)).collect(),
            warned: hosts.iter().filter(|h| !h.warnings.is_empty()).map(|h| host_view(h, esc, msg)).collect(),
            hosts: views,
            reboot_pending: hosts.iter().filter(|h| h.reboot_pending).map(|h| esc.text(&h.host)).collect(),
            cleanup_pending: hosts.iter().filter(|h| h.cleanup_pending).map(|h| esc.text(&h.host)).collect(),
            unproven: hosts.iter().filter(|h| h.unproven_fix()).map(|h| esc.text(&h.host)).collect(),
        }
    }
}

fn host_view(h: &HostOutcome, esc: Escape, msg: &Catalogue) -> HostView {
    HostView {
        host: esc.text(&h.host),
        outcome: h.outcome.to_string(),
        reason: esc.text(&h.reason),
        dll_version_after: h.dll_version_after.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
        reboot_pending: h.reboot_pending,
        failure_log: h.failure_log.iter().map(|l| esc.code(l)).collect(),
        failure_fence: super::text::fence(h.failure_log.iter().map(String::as_str)),
        steps: h
            .steps
            .iter()
            .map(|s| StepRun {
                id: esc.text(&s.id),
                exit_code: s.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                duration: msg.duration(s.duration_ms.div_ceil(1000)),
            })
            .collect(),
        warnings: h.warnings.iter().map(|w| esc.text(w)).collect(),
        unproven: h.unproven_fix(),
    }
}
