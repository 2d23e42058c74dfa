//! Deciding the route: facts and the operator's choices in, a [`Plan`] out; the steps themselves
//! come from `steps`. No I/O but hashing, once per plan, the package files it will upload.

use std::collections::BTreeMap;

use serde::Serialize;

use super::backup::{self, When};
use super::error::PlanError;
use super::packages::{hash_package, role_name, sp1_role, update_role};
use super::request::{HostSettings, PlanRequest, RtmChoice, DEFAULT_STAGING_DIR};
use super::{AdvisoryRef, HostPlan, PackageFiles, PackageRef, PackageRole, Plan, PlanHeader, Route};
use crate::advisory::Advisory;
use crate::assess::Verdict;
use crate::facts::{Arch, Elevation, Facts};
use crate::safe::{self, UnsafeText};
use crate::scan::{HostResult, ScanReport};
use crate::templates::Templates;
use crate::time::UtcTime;
use crate::version::WindowsRelease;

/// Builds the plan for every host of a scan.
pub fn build(
    scan: &ScanReport,
    request: &PlanRequest,
    advisory: &Advisory,
    templates: &Templates,
) -> Result<Plan, PlanError> {
    let mut hashed: BTreeMap<PackageRole, PackageRef> = request.known_packages.clone();
    let mut hosts = Vec::new();
    let mut ordered: Vec<&HostResult> = scan.hosts.iter().collect();
    ordered.sort_by(|a, b| a.host.cmp(&b.host));
    for result in ordered {
        let mut planner = HostPlanner { result, request, advisory, templates, hashed: &mut hashed };
        hosts.push(planner.plan()?);
    }
    let header = PlanHeader {
        format_version: super::FORMAT_VERSION,
        created_at: request.created_at,
        created_from: request.created_from.clone(),
        wsusfix_version: env!("CARGO_PKG_VERSION").to_string(),
        advisory: AdvisoryRef {
            id: advisory.id.clone(),
            definition_version: advisory.definition_version,
            fixed_file_version: advisory.fixed_file_version,
        },
        rtm_choice: request.rtm,
        packages: hashed.into_values().collect(),
        batches: request.batches.clone(),
        susdb_backup: request.susdb_backup,
        change: None,
    };
    check_pins(&header, request)?;
    if !request.allow_aliases {
        check_aliases(&hosts, scan, request)?;
    }
    Ok(Plan { header, hosts })
}

/// Hosts the plan changes that are one server under several names: the same endpoint in the
/// inventory, or the same computer name read by the probe.
fn check_aliases(hosts: &[HostPlan], scan: &ScanReport, request: &PlanRequest) -> Result<(), PlanError> {
    let mut by_endpoint: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut by_name: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for host in hosts.iter().filter(|h| !h.steps.is_empty()) {
        if let Some(endpoint) = request.hosts.get(&host.host).and_then(|s| s.endpoint.clone()) {
            by_endpoint.entry(endpoint.to_ascii_lowercase()).or_default().push(&host.host);
        }
        let name =
            scan.hosts.iter().find(|r| r.host == host.host).and_then(|r| r.facts.as_ref()?.computer_name.clone());
        if let Some(name) = name {
            by_name.entry(name.to_ascii_uppercase()).or_default().push(&host.host);
        }
    }
    let shared = |map: BTreeMap<String, Vec<&str>>, what: &str| {
        map.into_iter()
            .find(|(_, names)| names.len() > 1)
            .map(|(key, names)| PlanError::Aliases { names: names.join(", "), why: format!("{what} {key}") })
    };
    match shared(by_endpoint, "all reached at").or_else(|| shared(by_name, "all named")) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// An inventory may pin the package hashes it expects (`package_sha256_x86/x64`): a package
/// that hashes otherwise is refused.
fn check_pins(header: &PlanHeader, request: &PlanRequest) -> Result<(), PlanError> {
    for (host, settings) in &request.hosts {
        for (role, pin) in &settings.pinned {
            let Some(package) = header.packages.iter().find(|p| p.role == *role) else { continue };
            if !pin.eq_ignore_ascii_case(&package.sha256) {
                return Err(PlanError::UnexpectedPackage {
                    host: host.clone(),
                    path: package.local.clone(),
                    sha256: package.sha256.clone(),
                    pin: pin.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Rebuilds one host's plan from fresh facts (`apply --replan`), with the plan header's
/// packages and choices. The packages must still hash as the plan says.
pub fn replan_host(
    header: &PlanHeader,
    old: &HostPlan,
    probe: HostResult,
    advisory: &Advisory,
    templates: &Templates,
) -> Result<HostPlan, String> {
    let staging_dir = old.staging_dir.clone().unwrap_or_else(|| DEFAULT_STAGING_DIR.to_string());
    let settings = HostSettings {
        staging_dir: staging_dir.clone(),
        groups: old.groups.clone().unwrap_or_default(),
        pinned: BTreeMap::new(),
        endpoint: None,
    };
    let request = PlanRequest {
        created_from: "apply --replan".into(),
        created_at: UtcTime::now(),
        rtm: header.rtm_choice,
        packages: PackageFiles { files: header.packages.iter().map(|p| (p.role, p.local.clone())).collect() },
        batches: header.batches.clone(),
        hosts: BTreeMap::from([(old.host.clone(), settings)]),
        default_staging_dir: staging_dir,
        known_packages: BTreeMap::new(),
        allow_aliases: true,
        susdb_backup: header.susdb_backup,
    };
    let fresh = build(&ScanReport::new(vec![probe]), &request, advisory, templates).map_err(|e| e.to_string())?;
    for package in &fresh.header.packages {
        let planned = header.packages.iter().find(|p| p.role == package.role).map(|p| p.sha256.as_str());
        if planned != Some(package.sha256.as_str()) {
            return Err(format!("package {} no longer hashes as the plan says", package.local.display()));
        }
    }
    fresh.hosts.into_iter().next().ok_or_else(|| "the re-plan has no host".to_string())
}

pub(super) struct HostPlanner<'a> {
    pub(super) result: &'a HostResult,
    pub(super) request: &'a PlanRequest,
    pub(super) advisory: &'a Advisory,
    pub(super) templates: &'a Templates,
    pub(super) hashed: &'a mut BTreeMap<PackageRole, PackageRef>,
}

/// Everything a step template may use.
#[derive(Serialize, Default, Clone)]
pub(super) struct StepContext {
    pub(super) staging_dir: String,
    pub(super) staging_drive: String,
    pub(super) remote_file: String,
    pub(super) install_args: String,
    pub(super) install_log: String,
    pub(super) task_name: String,
    /// What a one-off task runs (its `/tr`), with inner quotes escaped as `\"`.
    pub(super) task_command: String,
    pub(super) modern_schtasks: bool,
    pub(super) services: Vec<String>,
    pub(super) dll_wql: String,
    pub(super) server_logs: Vec<String>,
    pub(super) server_signature: String,
    pub(super) setup_file: String,
    pub(super) setup_key: String,
    pub(super) uninstall_args: String,
    pub(super) uninstall_properties: Vec<String>,
    pub(super) reinstall_args: String,
    pub(super) reinstall_properties: Vec<String>,
    /// The SQL tool as the backup runs it: `sqlcmd`, or the found tool's path, quoted.
    pub(super) sql_tool: String,
    /// The backup's file name in the staging folder.
    pub(super) backup_file: String,
}

pub(super) const MINUTE: u64 = 60;

impl HostPlanner<'_> {
    pub(super) fn host(&self) -> &str {
        &self.result.host
    }

    fn plan(&mut self) -> Result<HostPlan, PlanError> {
        let r = self.result;
        let facts = r.facts.as_ref();
        let settings = self.request.hosts.get(&r.host);
        let mut plan = HostPlan {
            host: r.host.clone(),
            verdict: r.verdict,
            reason: r.reason.clone(),
            os: facts.and_then(|f| f.os),
            arch: facts.and_then(|f| f.arch),
            elevation: facts.map(|f| f.elevation),
            wsus_version: match facts.map(|f| &f.wsus) {
                Some(crate::facts::WsusInstall::Installed { version, .. }) => *version,
                _ => None,
            },
            dll_version: match facts.map(|f| &f.dll) {
                Some(crate::facts::DllState::Present { version, .. }) => Some(*version),
                _ => None,
            },
            groups: settings.map(|s| s.groups.clone()).filter(|g| !g.is_empty()),
            symptoms: r.evidence.server_log.matches,
            fingerprint: facts.map(super::fingerprint),
            staging_dir: None,
            wsus_dir: None,
            sql_tool: None,
            notes: Vec::new(),
            route: Route::NothingToDo,
            steps: Vec::new(),
            elevation_fallback: Vec::new(),
            reboot: Vec::new(),
            backout: Vec::new(),
        };
        let facts = match (r.verdict, facts) {
            (Verdict::Remediated | Verdict::NotAffected, _) => return Ok(plan),
            (Verdict::Unknown | Verdict::Unreachable, _) | (_, None) => {
                plan.route = Route::NeedsAttention;
                return Ok(plan);
            }
            (_, Some(facts)) => facts,
        };
        let ctx = self.context(facts, settings)?;
        plan.staging_dir = Some(ctx.staging_dir.clone());
        plan.wsus_dir = Some(facts.probed_wsus_dir.clone());
        plan.sql_tool = facts.sql_tool.clone();
        let needs_task = facts.elevation == Elevation::Filtered;
        let arch = facts.arch.unwrap_or(Arch::X86);
        match (r.verdict, self.request.rtm) {
            (Verdict::AffectedRtm, RtmChoice::Workaround) => {
                plan.route = Route::RtmWorkaround;
                plan.steps = vec![self.workaround_step()];
                return Ok(plan);
            }
            (Verdict::AffectedRtm, RtmChoice::Upgrade) => {
                plan.route = Route::RtmUpgrade;
                let sp1 = self.package(sp1_role(arch))?.ok_or_else(|| self.missing(sp1_role(arch)))?;
                let mut steps = self.prechecks(&ctx, &sp1)?;
                steps.extend(self.upload_and_hash("sp1", &ctx, &sp1)?);
                steps.extend(self.backup_with_tool(
                    When::BeforeUpgrade,
                    "Back up SUSDB before the upgrade",
                    &ctx,
                    needs_task,
                    &mut plan.notes,
                )?);
                steps.extend(self.setup_run(
                    "upgrade-sp1",
                    "Upgrade WSUS 3.0 RTM to SP1",
                    &ctx,
                    &sp1,
                    needs_task,
                    false,
                )?);
                steps.push(self.verify_wsus(&ctx)?);
                let update = self.package(update_role(arch))?.ok_or_else(|| self.missing(update_role(arch)))?;
                steps.extend(self.upload_and_hash("update", &ctx, &update)?);
                steps.extend(self.install(&ctx, &update, needs_task, &mut plan)?);
                steps.extend(self.verification(&ctx)?);
                steps.push(self.cleanup("cleanup-sp1", &ctx, &sp1)?);
                steps.push(self.cleanup("cleanup-update", &ctx, &update)?);
                plan.steps = steps;
            }
            _ => {
                let update = self.package(update_role(arch))?.ok_or_else(|| self.missing(update_role(arch)))?;
                plan.route = if needs_task { Route::SystemTask } else { Route::Direct };
                let mut steps = self.prechecks(&ctx, &update)?;
                steps.extend(self.upload_and_hash("update", &ctx, &update)?);
                if self.request.susdb_backup {
                    steps.extend(self.backup_with_tool(
                        When::BeforeInstall,
                        "Back up SUSDB before the install",
                        &ctx,
                        needs_task,
                        &mut plan.notes,
                    )?);
                } else {
                    plan.notes.push(backup::OFF.to_string());
                }
                steps.extend(self.install(&ctx, &update, needs_task, &mut plan)?);
                steps.extend(self.verification(&ctx)?);
                steps.push(self.cleanup("cleanup-update", &ctx, &update)?);
                plan.steps = steps;
            }
        }
        plan.reboot = self.reboot(&ctx, needs_task)?;
        plan.backout = self.backout(&ctx, arch, needs_task, &mut plan.notes)?;
        Ok(plan)
    }

    fn missing(&self, role: PackageRole) -> PlanError {
        let name = match role {
            PackageRole::UpdateX86 => &self.advisory.package.x86,
            PackageRole::UpdateX64 => &self.advisory.package.x64,
            PackageRole::Sp1SetupX86 => &self.advisory.reinstall.x86,
            PackageRole::Sp1SetupX64 => &self.advisory.reinstall.x64,
        };
        PlanError::MissingPackage {
            host: self.host().to_string(),
            role: role_name(role).to_string(),
            name: name.clone(),
        }
    }

    fn context(&self, facts: &Facts, settings: Option<&HostSettings>) -> Result<StepContext, PlanError> {
        let a = self.advisory;
        let staging_dir =
            settings.map(|s| s.staging_dir.clone()).unwrap_or_else(|| self.request.default_staging_dir.clone());
        let unsafe_var = |variable, problem| PlanError::Unsafe { host: self.host().to_string(), variable, problem };
        safe::windows_path(&staging_dir).map_err(|p| unsafe_var("temp_dir", p))?;
        if staging_dir.contains(' ') {
            let problem = UnsafeText {
                value: staging_dir.clone(),
                kind: "staging folder",
                reason: "it must not contain spaces (it is used unquoted in a scheduled task's command)".into(),
            };
            return Err(unsafe_var("temp_dir", problem));
        }
        safe::windows_path(&facts.probed_wsus_dir).map_err(|p| unsafe_var("wsus_dir", p))?;
        let dir = facts.probed_wsus_dir.trim_end_matches('\\');
        let props = |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        Ok(StepContext {
            staging_drive: staging_dir[..2].to_string(),
            staging_dir: staging_dir.trim_end_matches('\\').to_string(),
            install_args: a.package.install_args.clone(),
            modern_schtasks: facts.os.map(|v| v.release()) != Some(WindowsRelease::Server2003),
            services: a.services.clone(),
            dll_wql: a.decisive_path(dir).replace('\\', "\\\\"),
            server_logs: a.signatures.server.logs.iter().map(|l| format!("{dir}\\{l}")).collect(),
            server_signature: a.signatures.server.text.clone(),
            setup_key: a.setup_key.clone(),
            uninstall_args: a.uninstall.args.clone(),
            uninstall_properties: props(&a.uninstall.properties),
            reinstall_args: a.reinstall.args.clone(),
            reinstall_properties: props(&a.reinstall.properties),
            ..StepContext::default()
        })
    }

    /// Hashes a package once per plan and returns its reference.
    pub(super) fn package(&mut self, role: PackageRole) -> Result<Option<PackageRef>, PlanError> {
        if let Some(done) = self.hashed.get(&role) {
            return Ok(Some(done.clone()));
        }
        let Some(path) = self.request.packages.files.get(&role) else { return Ok(None) };
        let package = hash_package(role, path)?;
        self.hashed.insert(role, package.clone());
        Ok(Some(package))
    }
}
