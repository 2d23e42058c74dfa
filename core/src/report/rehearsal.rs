//! A rehearsal cited as test evidence in a change request (`report change-request PLAN
//! --rehearsal RUN_DIR`): the run folder of `wsusfix lab rehearse`, checked to be a rehearsal
//! (marked simulated) of this very plan (the plan copy in the folder has the plan's digest),
//! and summarized: how the twins ended, where the run stopped if it did, and the durations it
//! measured, which say how long the tool's own work takes (simulated installers take no time).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::load::OUTCOME_FILE;
use super::messages::Catalogue;
use super::text::Escape;
use crate::apply::journal::PLAN_FILE;
use crate::outcome::{Outcome, RunOutcome};
use crate::plan::Plan;

/// A rehearsal's run folder, read.
#[derive(Clone, Debug)]
pub struct Rehearsal {
    pub dir: PathBuf,
    pub outcome: RunOutcome,
}

/// Why a folder cannot be cited as a rehearsal of a plan.
#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    #[error("cannot read the rehearsal {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error(
        "{} is not a rehearsal: its run changed real servers (a change request cites `wsusfix lab rehearse` \
         runs as test evidence; `report result` documents real runs)",
        dir.display()
    )]
    NotSimulated { dir: PathBuf },
    #[error(
        "{} rehearsed another plan (digest sha256:{rehearsed}), not this one (sha256:{plan}): rehearse this plan \
         with `wsusfix lab rehearse`",
        dir.display()
    )]
    OtherPlan { dir: PathBuf, rehearsed: String, plan: String },
}

impl Rehearsal {
    /// Reads `dir` (a rehearsal's run folder) and checks it rehearsed `plan`.
    pub fn load(dir: &Path, plan: &Plan) -> Result<Rehearsal, RehearsalError> {
        let read = |path: PathBuf| {
            crate::files::read_input(&path, crate::files::INPUT_LIMIT)
                .map_err(|e| RehearsalError::Read { path, reason: e.to_string() })
        };
        let outcome_path = dir.join(OUTCOME_FILE);
        let text = read(outcome_path.clone())?;
        let outcome: RunOutcome = serde_json::from_str(&text)
            .map_err(|e| RehearsalError::Read { path: outcome_path, reason: e.to_string() })?;
        if !outcome.simulated {
            return Err(RehearsalError::NotSimulated { dir: dir.to_path_buf() });
        }
        let plan_path = dir.join(PLAN_FILE);
        let rehearsed = Plan::parse(&read(plan_path.clone())?, &plan_path)
            .map_err(|e| RehearsalError::Read { path: plan_path, reason: e.to_string() })?;
        let (rehearsed, plan) = (rehearsed.digest(), plan.digest());
        if rehearsed != plan {
            return Err(RehearsalError::OtherPlan { dir: dir.to_path_buf(), rehearsed, plan });
        }
        Ok(Rehearsal { dir: dir.to_path_buf(), outcome })
    }
}

/// The rehearsal, prepared for the change request.
#[derive(Clone, Debug, Serialize)]
pub struct RehearsalView {
    pub run_id: String,
    pub finished_at: String,
    pub duration: String,
    /// Twins rehearsed (hosts the plan changes).
    pub twins: usize,
    /// Twins that ended remediated or at a manual step.
    pub good: usize,
    /// `3 remediated, 1 manual-action`.
    pub counts: String,
    pub not_good: Vec<TwinLine>,
    pub stopped: Option<String>,
    /// The longest time one twin took, all steps, and the twin.
    pub slowest: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TwinLine {
    pub host: String,
    pub outcome: String,
    pub reason: String,
}

impl RehearsalView {
    /// The rehearsal, its words in the language of `msg`.
    pub fn new(rehearsal: &Rehearsal, esc: Escape, msg: &Catalogue) -> RehearsalView {
        let run = &rehearsal.outcome;
        // The twins are the hosts the rehearsal selected: the plan's hosts with steps.
        let twins: Vec<_> = run
            .hosts
            .iter()
            .filter(|h| !(h.outcome == Outcome::Skipped && h.reason == crate::apply::NOT_SELECTED))
            .collect();
        let good = |o: Outcome| matches!(o, Outcome::Remediated | Outcome::ManualAction);
        let mut counts: std::collections::BTreeMap<Outcome, usize> = std::collections::BTreeMap::new();
        for h in &twins {
            *counts.entry(h.outcome).or_default() += 1;
        }
        let slowest = twins
            .iter()
            .map(|h| (h.steps.iter().map(|s| s.duration_ms).sum::<u64>(), h.host.as_str()))
            .max()
            .map(|(ms, host)| format!("{} ({})", msg.duration(ms.div_ceil(1000)), esc.text(host)))
            .unwrap_or_else(|| "-".into());
        RehearsalView {
            run_id: esc.text(&run.run_id),
            finished_at: run.finished_at.to_string(),
            duration: msg.duration(u64::try_from(run.finished_at.0 - run.started_at.0).unwrap_or(0)),
            twins: twins.len(),
            good: twins.iter().filter(|h| good(h.outcome)).count(),
            counts: msg.list(
                &counts
                    .iter()
                    .map(|(o, n)| {
                        msg.text("rehearsal.count", &[("n", n), ("outcome", &msg.label("outcome", &o.to_string()))])
                    })
                    .collect::<Vec<_>>(),
            ),
            not_good: twins
                .iter()
                .filter(|h| !good(h.outcome))
                .map(|h| TwinLine {
                    host: esc.text(&h.host),
                    outcome: h.outcome.to_string(),
                    reason: esc.text(&h.reason),
                })
                .collect(),
            stopped: run.stopped.as_deref().map(|s| esc.text(s)),
            slowest,
        }
    }
}
