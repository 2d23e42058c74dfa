//! The change request: what a change board reads before it approves the plan. Built from the
//! plan alone (with the change metadata it carries), so the document describes exactly what
//! `apply` will run, and its header names the plan's digest, which `apply --expect-digest`
//! checks: the approved document and the file that runs are provably one.
//!
//! Page one is for the board: the change, the people, the window and the batch schedule in it,
//! the scope in counts, the computed risk with its reasons, the back-out triggers, the
//! approvals, and what is still to complete. The commands and the per-host detail are
//! appendices.

use serde::Serialize;

use super::lang::Lang;
use super::messages::Catalogue;
use super::rehearsal::{Rehearsal, RehearsalView};
use super::risk::RiskView;
use super::schedule::Schedule;
use super::scope::{os_text, Bucket, PlanScope, NO_GROUP, OS_UNKNOWN};
use super::steps::{durations, StepView};
use super::text::{fence, file_names, serde_name, Escape};
use crate::change::ChangeMeta;
use crate::plan::{Action, Expect, HostPlan, Plan, Route};

/// Everything `docs/change-request.*.tera` can use.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeRequest {
    pub fence: String,
    /// The plan's canonical SHA-256 (`apply --expect-digest sha256:…`).
    pub digest: String,
    pub change: ChangeView,
    pub risk: RiskView,
    /// The rehearsal cited as test evidence (`--rehearsal RUN_DIR`), if any.
    pub rehearsal: Option<RehearsalView>,
    pub advisory_id: String,
    pub fixed_version: String,
    pub created_at: String,
    /// The file name the plan was made from (never a path of the operator's machine).
    pub created_from: String,
    pub wsusfix_version: String,
    pub rtm_choice: String,
    pub packages: Vec<PackageView>,
    pub scope: PlanScope,
    /// Hosts the plan leaves as they are: fixed already or not affected.
    pub not_changed: usize,
    /// Hosts to change whose server log shows the symptom.
    pub symptomatic: usize,
    pub services: Vec<String>,
    pub routes: Vec<RouteView>,
    pub backout: Option<BackoutView>,
    pub schedule: Schedule,
    pub attention: Vec<HostLine>,
    /// What the plan says about hosts besides their steps (a SUSDB backup it cannot take).
    pub notes: Vec<HostNote>,
    pub rtm_hosts: Vec<String>,
    pub evidence: Vec<EvidenceLine>,
}

/// What a change request may cite besides its plan (`report change-request --meta FILE
/// --rehearsal RUN_DIR`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras<'a> {
    /// Metadata for a plan that carries none, and the file it came from.
    pub meta: Option<(&'a ChangeMeta, &'a str)>,
    /// A rehearsal of this plan (checked by [`Rehearsal::load`]).
    pub rehearsal: Option<&'a Rehearsal>,
    /// For a result report made from a run folder: its journal and plan copy.
    pub run: Option<&'a super::history::RunHistory>,
    /// The language the document is written in.
    pub lang: Lang,
}

/// The change metadata, prepared for the document; absent fields are `None` or empty and named
/// in `to_complete`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChangeView {
    pub id: Option<String>,
    pub change_type: Option<String>,
    pub priority: Option<String>,
    pub requester: Option<String>,
    pub implementer: Option<String>,
    pub approvers: Vec<String>,
    pub window: Option<WindowView>,
    pub communication: Vec<String>,
    pub backout_triggers: Vec<String>,
    pub backout_decided_by: Option<String>,
    /// The fields still to complete, by their names in the metadata file.
    pub to_complete: Vec<String>,
    /// Where the metadata came from when the plan does not carry it (`report --meta FILE`):
    /// then the plan's digest does not bind it, and the document says so.
    pub unbound_source: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WindowView {
    pub start: String,
    pub end: String,
    pub length: String,
}

impl ChangeView {
    fn new(meta: Option<&ChangeMeta>, unbound_source: Option<String>, esc: Escape, msg: &Catalogue) -> ChangeView {
        let Some(meta) = meta else {
            let to_complete = ChangeMeta::default().missing().iter().map(|f| f.to_string()).collect();
            return ChangeView { to_complete, ..ChangeView::default() };
        };
        let text = |v: &Option<String>| v.as_deref().map(|v| esc.text(v));
        let list = |v: &[String]| v.iter().map(|v| esc.text(v)).collect();
        ChangeView {
            id: text(&meta.change_id),
            change_type: meta.change_type.map(|t| t.to_string()),
            priority: meta.priority.map(|p| p.to_string()),
            requester: text(&meta.requester),
            implementer: text(&meta.implementer),
            approvers: list(&meta.approvers),
            window: meta.window.as_ref().map(|w| WindowView {
                start: esc.text(&w.start.local_text()),
                end: esc.text(&w.end.local_text()),
                length: msg.duration(u64::try_from(w.end.utc.0 - w.start.utc.0).unwrap_or(0)),
            }),
            communication: list(&meta.communication),
            backout_triggers: list(&meta.backout.triggers),
            backout_decided_by: text(&meta.backout.decided_by),
            to_complete: meta.missing().iter().map(|f| f.to_string()).collect(),
            unbound_source: unbound_source.map(|s| esc.text(&s)),
        }
    }
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

/// One of a host's plan notes, as recorded (in English).
#[derive(Clone, Debug, Serialize)]
pub struct HostNote {
    pub host: String,
    pub note: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvidenceLine {
    pub host: String,
    pub verdict: String,
    pub os: String,
    pub symptoms: u64,
}

const ROUTES: [Route; 4] = [Route::Direct, Route::SystemTask, Route::RtmUpgrade, Route::RtmWorkaround];

/// A short title for a route, in English (`show`); documents take it from their catalogue.
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
    /// The document for `plan`, with the change metadata it carries, in English.
    pub fn new(plan: &Plan, esc: Escape) -> ChangeRequest {
        ChangeRequest::with(plan, Extras::default(), esc, Catalogue::english())
    }

    /// As [`ChangeRequest::new`], with what `report` was given besides the plan, in the
    /// language of `msg`.
    pub fn with(plan: &Plan, extras: Extras<'_>, esc: Escape, msg: &Catalogue) -> ChangeRequest {
        let extra = extras.meta;
        let mut hosts: Vec<&HostPlan> = plan.hosts.iter().collect();
        hosts.sort_by(|a, b| a.host.cmp(&b.host));
        let header = &plan.header;
        let scope = PlanScope::of(&plan.hosts);
        let routes: Vec<RouteView> = ROUTES.iter().filter_map(|r| route_view(*r, &hosts, esc, msg)).collect();
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
        let (meta, unbound_source) = match (&header.change, extra) {
            (Some(own), _) => (Some(own), None),
            (None, Some((meta, source))) => (Some(meta), Some(source.to_string())),
            (None, None) => (None, None),
        };
        let change = ChangeView::new(meta, unbound_source, esc, msg);
        let attention: Vec<HostLine> = hosts
            .iter()
            .filter(|h| h.verdict.needs_attention() || h.route == Route::NeedsAttention)
            .map(|h| HostLine { host: esc.text(&h.host), verdict: h.verdict.to_string(), reason: esc.text(&h.reason) })
            .collect();
        let mut schedule = Schedule::new(&header.batches, changing.len(), per_host, msg);
        if let Some(window) = meta.and_then(|c| c.window.as_ref()) {
            schedule.fit_into(window);
        }
        ChangeRequest {
            fence: fence(commands),
            digest: plan.digest(),
            change,
            risk: RiskView::of(plan, msg),
            rehearsal: extras.rehearsal.map(|r| RehearsalView::new(r, esc, msg)),
            advisory_id: esc.text(&header.advisory.id),
            fixed_version: header.advisory.fixed_file_version.to_string(),
            created_at: header.created_at.to_string(),
            created_from: esc.text(&file_names(&header.created_from)),
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
            not_changed: scope.total.saturating_sub(scope.to_change + attention.len()),
            scope: escape_scope(scope, esc, msg),
            symptomatic: changing.iter().filter(|h| h.symptoms > 0).count(),
            services: services(plan).iter().map(|s| esc.text(s)).collect(),
            routes,
            backout: backout_view(&hosts, esc, msg),
            schedule,
            attention,
            notes: hosts
                .iter()
                .flat_map(|h| h.notes.iter().map(|n| HostNote { host: esc.text(&h.host), note: esc.text(n) }))
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
                    os: os_text(h.os, h.arch, msg),
                    symptoms: h.symptoms,
                })
                .collect(),
        }
    }
}

fn route_view(route: Route, hosts: &[&HostPlan], esc: Escape, msg: &Catalogue) -> Option<RouteView> {
    let members: Vec<&HostPlan> = hosts.iter().copied().filter(|h| h.route == route).collect();
    let first = *members.first()?;
    let (typical, longest) = durations(&first.steps);
    Some(RouteView {
        route: route.to_string(),
        title: msg.label("route", route.as_str()),
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
        steps: StepView::list(&first.steps, esc, msg),
        fallback: StepView::list(&first.elevation_fallback, esc, msg),
        reboot: StepView::list(&first.reboot, esc, msg),
        has_manual: first.steps.iter().any(|s| matches!(s.action, Action::Manual { .. })),
        typical: msg.duration(typical),
        longest: msg.duration(longest),
    })
}

fn backout_view(hosts: &[&HostPlan], esc: Escape, msg: &Catalogue) -> Option<BackoutView> {
    let with: Vec<&HostPlan> = hosts.iter().copied().filter(|h| !h.backout.is_empty()).collect();
    let first = *with.first()?;
    let (typical, longest) = durations(&first.backout);
    Some(BackoutView {
        representative: esc.text(&first.host),
        hosts: with.iter().map(|h| esc.text(&h.host)).collect(),
        steps: StepView::list(&first.backout, esc, msg),
        typical: msg.duration(typical),
        longest: msg.duration(longest),
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

/// The scope with its data escaped, and the words `PlanScope` writes in English (an unknown
/// OS, no group) in the document's language.
fn escape_scope(scope: PlanScope, esc: Escape, msg: &Catalogue) -> PlanScope {
    let words = |label: &str| match label {
        NO_GROUP => msg.text("common.no_group", &[]),
        _ => match label.strip_prefix(OS_UNKNOWN) {
            Some(arch) => format!("{}{arch}", msg.text("common.os_unknown", &[])),
            None => label.to_string(),
        },
    };
    let fix = |buckets: Vec<Bucket>| {
        buckets
            .into_iter()
            .map(|b| Bucket {
                label: esc.text(&words(&b.label)),
                count: b.count,
                hosts: b.hosts.iter().map(|h| esc.text(h)).collect(),
            })
            .collect()
    };
    PlanScope { by_verdict: fix(scope.by_verdict), by_os: fix(scope.by_os), by_group: fix(scope.by_group), ..scope }
}
