//! The change request: what a change board reads before it approves the plan. Built from the
//! plan alone, so the document describes exactly what `apply` will run.

use serde::Serialize;

use super::schedule::Schedule;
use super::scope::{os_label, Bucket, PlanScope};
use super::steps::{duration_text, durations, StepView};
use super::text::{fence, serde_name, Escape};
use crate::plan::{Action, Expect, HostPlan, Plan, Route};

/// Everything `docs/change-request.*.tera` can use.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeRequest {
    pub fence: String,
    pub advisory_id: String,
    pub fixed_version: String,
    pub created_at: String,
    pub created_from: String,
    pub wsusfix_version: String,
    pub rtm_choice: String,
    pub packages: Vec<PackageView>,
    pub scope: PlanScope,
    /// Hosts to change whose server log shows the symptom.
    pub symptomatic: usize,
    pub services: Vec<String>,
    pub routes: Vec<RouteView>,
    pub backout: Option<BackoutView>,
    pub schedule: Schedule,
    pub attention: Vec<HostLine>,
    pub rtm_hosts: Vec<String>,
    pub evidence: Vec<EvidenceLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PackageView {
    pub role: String,
    pub file: String,
    pub size: u64,
    pub sha256: String,
}

/// One way of fixing hosts, described once with a representative host's exact commands.
#[derive(Clone, Debug, Serialize)]
pub struct RouteView {
    pub route: String,
    pub title: String,
    pub hosts: Vec<String>,
    pub count: usize,
    pub representative: String,
    /// Hosts whose steps differ from the representative's (architecture, paths).
    pub differing: Vec<String>,
    pub steps: Vec<StepView>,
    pub fallback: Vec<StepView>,
    /// The restart, run only with `apply --reboot` when the installer asks for one.
    pub reboot: Vec<StepView>,
    pub has_manual: bool,
    pub typical: String,
    pub longest: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BackoutView {
    pub representative: String,
    pub hosts: Vec<String>,
    pub steps: Vec<StepView>,
    pub typical: String,
    pub longest: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostLine {
    pub host: String,
    pub verdict: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvidenceLine {
    pub host: String,
    pub verdict: String,
    pub os: String,
    pub symptoms: u64,
}

const ROUTES: [Route; 4] = [Route::Direct, Route::SystemTask, Route::RtmUpgrade, Route::RtmWorkaround];

/// A short title for a route.
pub fn route_title(route: Route) -> &'static str {
    match route {
        Route::Direct => "Direct install in the SSH session",
        Route::SystemTask => "Install as SYSTEM through a one-off scheduled task",
        Route::RtmUpgrade => "Upgrade WSUS 3.0 RTM to SP1, then install the update",
        Route::RtmWorkaround => "WSUS 3.0 RTM console workaround, done by a person",
        Route::NothingToDo => "Nothing to do",
        Route::NeedsAttention => "Needs attention before any change",
    }
}

impl ChangeRequest {
    pub fn new(plan: &Plan, esc: Escape) -> ChangeRequest {
        let mut hosts: Vec<&HostPlan> = plan.hosts.iter().collect();
        hosts.sort_by(|a, b| a.host.cmp(&b.host));
        let header = &plan.header;
        let scope = PlanScope::of(&plan.hosts);
        let routes: Vec<RouteView> = ROUTES.iter().filter_map(|r| route_view(*r, &hosts, esc)).collect();
        let changing: Vec<&HostPlan> = hosts.iter().copied().filter(|h| !h.steps.is_empty()).collect();
        let per_host = changing.iter().map(|h| durations(&h.steps)).fold((0, 0), |a, d| (a.0.max(d.0), a.1.max(d.1)));
        let commands = plan
            .hosts
            .iter()
            .flat_map(|h| h.steps.iter().chain(&h.elevation_fallback).chain(&h.reboot).chain(&h.backout));
        let commands: Vec<&str> = commands
            .flat_map(|s| {
                let run = match &s.action {
                    Action::Run { command } => Some(command.as_str()),
                    _ => None,
                };
                run.into_iter().chain(s.on_failure.as_deref())
            })
            .collect();
        ChangeRequest {
            fence: fence(commands),
            advisory_id: esc.text(&header.advisory.id),
            fixed_version: header.advisory.fixed_file_version.to_string(),
            created_at: header.created_at.to_string(),
            created_from: esc.text(&header.created_from),
            wsusfix_version: esc.text(&header.wsusfix_version),
            rtm_choice: serde_name(&header.rtm_choice),
            packages: header
                .packages
                .iter()
                .map(|p| PackageView {
                    role: serde_name(&p.role),
                    file: esc.text(&p.local.file_name().map(|f| f.to_string_lossy()).unwrap_or_default()),
                    size: p.size,
                    sha256: esc.text(&p.sha256),
                })
                .collect(),
            scope: escape_scope(scope, esc),
            symptomatic: changing.iter().filter(|h| h.symptoms > 0).count(),
            services: services(plan).iter().map(|s| esc.text(s)).collect(),
            routes,
            backout: backout_view(&hosts, esc),
            schedule: Schedule::new(&header.batches, changing.len(), per_host),
            attention: hosts
                .iter()
                .filter(|h| h.verdict.needs_attention() || h.route == Route::NeedsAttention)
                .map(|h| HostLine {
                    host: esc.text(&h.host),
                    verdict: h.verdict.to_string(),
                    reason: esc.text(&h.reason),
                })
                .collect(),
            rtm_hosts: hosts
                .iter()
                .filter(|h| h.verdict == crate::assess::Verdict::AffectedRtm)
                .map(|h| esc.text(&h.host))
                .collect(),
            evidence: hosts
                .iter()
                .map(|h| EvidenceLine {
                    host: esc.text(&h.host),
                    verdict: h.verdict.to_string(),
                    os: os_label(h.os, h.arch),
                    symptoms: h.symptoms,
                })
                .collect(),
        }
    }
}

fn route_view(route: Route, hosts: &[&HostPlan], esc: Escape) -> Option<RouteView> {
    let members: Vec<&HostPlan> = hosts.iter().copied().filter(|h| h.route == route).collect();
    let first = *members.first()?;
    let (typical, longest) = durations(&first.steps);
    Some(RouteView {
        route: route.to_string(),
        title: route_title(route).to_string(),
        hosts: members.iter().map(|h| esc.text(&h.host)).collect(),
        count: members.len(),
        representative: esc.text(&first.host),
        differing: members
            .iter()
            .filter(|h| {
                h.steps != first.steps || h.elevation_fallback != first.elevation_fallback || h.reboot != first.reboot
            })
            .map(|h| esc.text(&h.host))
            .collect(),
        steps: StepView::list(&first.steps, esc),
        fallback: StepView::list(&first.elevation_fallback, esc),
        reboot: StepView::list(&first.reboot, esc),
        has_manual: first.steps.iter().any(|s| matches!(s.action, Action::Manual { .. })),
        typical: duration_text(typical),
        longest: duration_text(longest),
    })
}

fn backout_view(hosts: &[&HostPlan], esc: Escape) -> Option<BackoutView> {
    let with: Vec<&HostPlan> = hosts.iter().copied().filter(|h| !h.backout.is_empty()).collect();
    let first = *with.first()?;
    let (typical, longest) = durations(&first.backout);
    Some(BackoutView {
        representative: esc.text(&first.host),
        hosts: with.iter().map(|h| esc.text(&h.host)).collect(),
        steps: StepView::list(&first.backout, esc),
        typical: duration_text(typical),
        longest: duration_text(longest),
    })
}

/// The services the plan checks, in the order it first names them.
fn services(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for step in plan.hosts.iter().flat_map(|h| &h.steps) {
        if let Expect::ServicesRunning { services } = &step.expect {
            for s in services {
                if !names.contains(s) {
                    names.push(s.clone());
                }
            }
        }
    }
    names
}

fn escape_scope(scope: PlanScope, esc: Escape) -> PlanScope {
    let fix = |buckets: Vec<Bucket>| {
        buckets
            .into_iter()
            .map(|b| Bucket {
                label: esc.text(&b.label),
                count: b.count,
                hosts: b.hosts.iter().map(|h| esc.text(h)).collect(),
            })
            .collect()
    };
    PlanScope { by_verdict: fix(scope.by_verdict), by_os: fix(scope.by_os), by_group: fix(scope.by_group), ..scope }
}
