//! The change request's risk rating, computed from the plan rather than written by hand, with
//! the reason for each part of it, and the risk of not changing.
//!
//! Each of these raises the rating to at least the level it names:
//!
//! | what the plan holds | level |
//! |---|---|
//! | hosts to change, each fix proven by reading the DLL version back | low |
//! | more than 50 hosts in one run | medium |
//! | a first batch larger than one host and than 10% of the hosts (no canary) | medium |
//! | a stop rule that lets more than 20% of the hosts fail | medium |
//! | hosts installed through a SYSTEM scheduled task | medium |
//! | RTM hosts fixed by a manual console workaround | medium |
//! | hosts installed without a SUSDB backup first (no `sqlcmd` or `osql` on them, an older probe, or `--no-susdb-backup`) | medium |
//! | RTM hosts upgraded to SP1 first (WSUS itself is reinstalled) | high |
//! | hosts to change without back-out steps | high |

use serde::Serialize;

use super::messages::Catalogue;
use crate::plan::{HostPlan, Plan, Route};

/// The rating and its reasons, for a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskView {
    /// `low`, `medium` or `high` (the catalogue's `level` section has its words).
    pub rating: Level,
    pub reasons: Vec<RiskReason>,
    /// What happens if nothing is done.
    pub not_changing: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskReason {
    pub level: Level,
    pub text: String,
}

impl RiskView {
    /// The rating of `plan`, its reasons in the words of `msg`.
    pub fn of(plan: &Plan, msg: &Catalogue) -> RiskView {
        let changing: Vec<&HostPlan> = plan.hosts.iter().filter(|h| !h.steps.is_empty()).collect();
        let count = |route: Route| changing.iter().filter(|h| h.route == route).count();
        let n = changing.len();
        if n == 0 {
            let reasons = vec![RiskReason { level: Level::Low, text: msg.text("risk.none_changed", &[]) }];
            return RiskView { rating: Level::Low, reasons, not_changing: msg.text("risk.nothing_if_unchanged", &[]) };
        }
        let mut reasons = Vec::new();
        let mut add = |level, id: &str, args: &[(&str, &dyn std::fmt::Display)]| {
            reasons.push(RiskReason { level, text: msg.text(id, args) })
        };
        add(Level::Low, "risk.base", &[("n", &n)]);
        if n > 50 {
            add(Level::Medium, "risk.many", &[("n", &n)]);
        }
        let batches = &plan.header.batches;
        if let Ok(sizes) = batches.batch_sizes(n) {
            let first = sizes.first().copied().unwrap_or(0);
            if first > 1 && first * 10 > n {
                add(Level::Medium, "risk.no_canary", &[("first", &first)]);
            }
        }
        if batches.max_fail_percent > 20 {
            add(Level::Medium, "risk.lenient_stop", &[("percent", &batches.max_fail_percent)]);
        }
        let task = count(Route::SystemTask);
        if task > 0 {
            add(Level::Medium, "risk.system_task", &[("n", &task)]);
        }
        let manual = count(Route::RtmWorkaround);
        if manual > 0 {
            add(Level::Medium, "risk.manual", &[("n", &manual)]);
        }
        // The install routes back SUSDB up first where the probe found a tool (`backup-susdb`).
        let unbacked = changing
            .iter()
            .filter(|h| h.route != Route::RtmWorkaround && !h.steps.iter().any(|s| s.id.starts_with("backup-susdb")))
            .count();
        if unbacked > 0 {
            add(Level::Medium, "risk.no_backup", &[("n", &unbacked)]);
        }
        let upgrade = count(Route::RtmUpgrade);
        if upgrade > 0 {
            add(Level::High, "risk.upgrade", &[("n", &upgrade)]);
        }
        let no_backout = changing.iter().filter(|h| h.backout.is_empty() && h.route != Route::RtmWorkaround).count();
        if no_backout > 0 {
            add(Level::High, "risk.no_backout", &[("n", &no_backout)]);
        }
        let rating = reasons.iter().map(|r| r.level).max().unwrap_or(Level::Low);
        let symptomatic = changing.iter().filter(|h| h.symptoms > 0).count();
        let not_changing = if symptomatic > 0 {
            msg.text("risk.not_changing_logged", &[("symptomatic", &symptomatic), ("n", &n)])
        } else {
            msg.text("risk.not_changing_quiet", &[("n", &n)])
        };
        RiskView { rating, reasons, not_changing }
    }
}
