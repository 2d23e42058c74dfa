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
//! | RTM hosts upgraded to SP1 first (WSUS itself is reinstalled) | high |
//! | hosts to change without back-out steps | high |

use serde::Serialize;

use crate::plan::{HostPlan, Plan, Route};

/// The rating and its reasons, for a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskView {
    /// `low`, `medium` or `high`.
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
    pub fn of(plan: &Plan) -> RiskView {
        let changing: Vec<&HostPlan> = plan.hosts.iter().filter(|h| !h.steps.is_empty()).collect();
        let count = |route: Route| changing.iter().filter(|h| h.route == route).count();
        let n = changing.len();
        if n == 0 {
            let reasons = vec![RiskReason { level: Level::Low, text: "no server is changed by this plan".into() }];
            return RiskView { rating: Level::Low, reasons, not_changing: "nothing: no server needs the fix".into() };
        }
        let mut reasons = Vec::new();
        let mut add = |level, text: String| reasons.push(RiskReason { level, text });
        add(
            Level::Low,
            format!(
                "{n} server{} get{} a Microsoft update of one web service; each is checked first (disk, \
                 services, the package's hash) and the fix is proven by reading the DLL version back",
                plural(n),
                if n == 1 { "s" } else { "" }
            ),
        );
        if n > 50 {
            add(Level::Medium, format!("{n} servers change in one run"));
        }
        let batches = &plan.header.batches;
        if let Ok(sizes) = batches.batch_sizes(n) {
            let first = sizes.first().copied().unwrap_or(0);
            if first > 1 && first * 10 > n {
                add(Level::Medium, format!("the first batch changes {first} servers at once: no single-server canary"));
            }
        }
        if batches.max_fail_percent > 20 {
            add(
                Level::Medium,
                format!("the run goes on while up to {}% of the servers done fail", batches.max_fail_percent),
            );
        }
        let task = count(Route::SystemTask);
        if task > 0 {
            add(
                Level::Medium,
                format!("{} as SYSTEM through a one-off scheduled task", servers(task, "installs", "install")),
            );
        }
        let manual = count(Route::RtmWorkaround);
        if manual > 0 {
            add(
                Level::Medium,
                format!(
                    "{} a console workaround done by a person, which the tool cannot verify",
                    servers(manual, "needs", "need")
                )
                .replacen("server", "WSUS 3.0 RTM server", 1),
            );
        }
        let upgrade = count(Route::RtmUpgrade);
        if upgrade > 0 {
            add(
                Level::High,
                format!(
                    "{} upgraded to SP1 first: WSUS itself is reinstalled, its database schema updated and \
                     IIS restarted",
                    servers(upgrade, "is", "are")
                )
                .replacen("server", "WSUS 3.0 RTM server", 1),
            );
        }
        let no_backout = changing.iter().filter(|h| h.backout.is_empty() && h.route != Route::RtmWorkaround).count();
        if no_backout > 0 {
            add(Level::High, format!("{} no back-out steps", servers(no_backout, "to change has", "to change have")));
        }
        let rating = reasons.iter().map(|r| r.level).max().unwrap_or(Level::Low);
        let symptomatic = changing.iter().filter(|h| h.symptoms > 0).count();
        let not_changing = if symptomatic > 0 {
            format!(
                "{symptomatic} of the {n} servers already log the failure: their clients with Office 2003 get no \
                 update at all, security updates included, until the change is made"
            )
        } else {
            format!(
                "no server logs the failure yet, but each of the {n} stops delivering every update, security \
                 updates included, to its clients with Office 2003 as soon as one of them scans"
            )
        };
        RiskView { rating, reasons, not_changing }
    }
}

/// `1 server installs`, `3 servers install`.
fn servers(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 server {one}")
    } else {
        format!("{n} servers {many}")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
