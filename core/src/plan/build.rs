//! Deciding the steps: facts and the operator's choices in, a [`Plan`] out. No I/O but
//! hashing the package files the plan will upload.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{
    Action, AdvisoryRef, BatchPolicy, Expect, HostPlan, PackageRef, PackageRole, Plan, PlanHeader, Route, Step,
};
use crate::advisory::Advisory;
use crate::assess::Verdict;
use crate::facts::{Arch, Elevation, Facts};
use crate::safe::{self, UnsafeText};
use crate::scan::{HostResult, ScanReport};
use crate::templates::{TemplateError, Templates};
use crate::time::UtcTime;
use crate::version::WindowsRelease;

/// What the operator chose for WSUS 3.0 RTM servers (`--rtm`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum RtmChoice {
    /// Upgrade to 3.0 SP1, then install the update.
    Upgrade,
    /// The console workaround of the advisory, done by a person.
    #[default]
    Workaround,
}

/// The package files on this machine, by role. A missing file is only an error when a host
/// needs it.
#[derive(Clone, Debug, Default)]
pub struct PackageFiles {
    pub files: BTreeMap<PackageRole, PathBuf>,
}

impl PackageFiles {
    /// The advisory's file names looked up in one folder (`--packages DIR`).
    pub fn from_dir(dir: &Path, advisory: &Advisory) -> PackageFiles {
        let names = [
            (PackageRole::UpdateX86, &advisory.package.x86),
            (PackageRole::UpdateX64, &advisory.package.x64),
            (PackageRole::Sp1SetupX86, &advisory.reinstall.x86),
            (PackageRole::Sp1SetupX64, &advisory.reinstall.x64),
        ];
        let files = names.into_iter().map(|(role, name)| (role, dir.join(name))).filter(|(_, p)| p.is_file()).collect();
        PackageFiles { files }
    }
}

/// Per-host settings the plan needs from the inventory.
#[derive(Clone, Debug)]
pub struct HostSettings {
    pub staging_dir: String,
    pub groups: Vec<String>,
}

/// What `plan` needs, already validated.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    pub created_from: String,
    pub created_at: UtcTime,
    pub rtm: RtmChoice,
    pub packages: PackageFiles,
    pub batches: BatchPolicy,
    /// Settings by host name; hosts absent here get the defaults.
    pub hosts: BTreeMap<String, HostSettings>,
    pub default_staging_dir: String,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{host} needs the {role} package, but no such file was given (use --packages DIR holding {name})")]
    MissingPackage { host: String, role: String, name: String },
    #[error("cannot read package {}: {source}", path.display())]
    Package { path: PathBuf, source: std::io::Error },
    #[error("host {host}: variable `{variable}` {problem}")]
    Unsafe { host: String, variable: &'static str, problem: UnsafeText },
    #[error("host {host}: the scheduled task's command is {len} characters, over the 262 schtasks allows: {command}")]
    TaskCommandTooLong { host: String, len: usize, command: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// Builds the plan for every host of a scan.
pub fn build(
    scan: &ScanReport,
    request: &PlanRequest,
    advisory: &Advisory,
    templates: &Templates,
) -> Result<Plan, PlanError> {
    let mut hashed: BTreeMap<PackageRole, PackageRef> = BTreeMap::new();
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
    };
    Ok(Plan { header, hosts })
}

struct HostPlanner<'a> {
    result: &'a HostResult,
    request: &'a PlanRequest,
    advisory: &'a Advisory,
    templates: &'a Templates,
    hashed: &'a mut BTreeMap<PackageRole, PackageRef>,
}

/// Everything a step template may use.
#[derive(Serialize, Default, Clone)]
struct StepContext {
    staging_dir: String,
    staging_drive: String,
    remote_file: String,
    install_args: String,
    install_log: String,
    task_name: String,
    /// What a one-off task runs (its `/tr`), with inner quotes escaped as `\"`.
    task_command: String,
    modern_schtasks: bool,
    services: Vec<String>,
    dll_wql: String,
    server_logs: Vec<String>,
    server_signature: String,
    setup_file: String,
    setup_key: String,
    uninstall_args: String,
    uninstall_properties: Vec<String>,
    reinstall_args: String,
    reinstall_properties: Vec<String>,
}

const MINUTE: u64 = 60;

impl HostPlanner<'_> {
    fn host(&self) -> &str {
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
            route: Route::NothingToDo,
            steps: Vec::new(),
            elevation_fallback: Vec::new(),
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
                let sp1 = self.package(sp1_role(arch), true)?.ok_or_else(|| self.missing(sp1_role(arch)))?;
                let mut steps = self.prechecks(&ctx, &sp1)?;
                steps.extend(self.upload_and_hash("sp1", &ctx, &sp1)?);
                steps.extend(self.backup_susdb("Back up SUSDB before the upgrade", &ctx, needs_task)?);
                steps.extend(self.setup_run(
                    "upgrade-sp1",
                    "Upgrade WSUS 3.0 RTM to SP1",
                    &ctx,
                    &sp1,
                    needs_task,
                    false,
                )?);
                steps.push(self.verify_wsus(&ctx)?);
                let update = self.package(update_role(arch), true)?.ok_or_else(|| self.missing(update_role(arch)))?;
                steps.extend(self.upload_and_hash("update", &ctx, &update)?);
                steps.extend(self.install(&ctx, &update, needs_task, &mut plan)?);
                steps.extend(self.verification(&ctx)?);
                steps.push(self.cleanup("cleanup-sp1", &ctx, &sp1)?);
                steps.push(self.cleanup("cleanup-update", &ctx, &update)?);
                plan.steps = steps;
            }
            _ => {
                let update = self.package(update_role(arch), true)?.ok_or_else(|| self.missing(update_role(arch)))?;
                plan.route = if needs_task { Route::SystemTask } else { Route::Direct };
                let mut steps = self.prechecks(&ctx, &update)?;
                steps.extend(self.upload_and_hash("update", &ctx, &update)?);
                steps.extend(self.install(&ctx, &update, needs_task, &mut plan)?);
                steps.extend(self.verification(&ctx)?);
                steps.push(self.cleanup("cleanup-update", &ctx, &update)?);
                plan.steps = steps;
            }
        }
        plan.backout = self.backout(&ctx, arch, needs_task)?;
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
    fn package(&mut self, role: PackageRole, _required: bool) -> Result<Option<PackageRef>, PlanError> {
        if let Some(done) = self.hashed.get(&role) {
            return Ok(Some(done.clone()));
        }
        let Some(path) = self.request.packages.files.get(&role) else { return Ok(None) };
        let package = hash_package(role, path)?;
        self.hashed.insert(role, package.clone());
        Ok(Some(package))
    }

    fn step(&self, id: &str, description: &str, action: Action, expect: Expect, timeout_secs: u64) -> Step {
        Step {
            id: id.into(),
            description: description.into(),
            action,
            expect,
            timeout_secs,
            cleanup: false,
            on_failure: None,
        }
    }

    fn run(
        &self,
        id: &str,
        description: &str,
        template: &str,
        ctx: &StepContext,
        expect: Expect,
        timeout: u64,
    ) -> Result<Step, PlanError> {
        let command = self.templates.render_command_line(&format!("steps/{template}.cmd.tera"), ctx)?;
        Ok(self.step(id, description, Action::Run { command }, expect, timeout))
    }

    fn prechecks(&self, ctx: &StepContext, package: &PackageRef) -> Result<Vec<Step>, PlanError> {
        let at_least = (package.size * 3).max(200 * 1024 * 1024);
        let drive = &ctx.staging_drive;
        Ok(vec![
            self.run(
                "precheck-disk",
                &format!("Check {drive} has room for the package"),
                "precheck-disk",
                ctx,
                Expect::FreeBytes { at_least },
                MINUTE,
            )?,
            self.services_check("precheck-services", "Check the WSUS services run before the change", ctx)?,
            self.stage(ctx)?,
        ])
    }

    fn remote_path(&self, ctx: &StepContext, package: &PackageRef) -> String {
        let name = package.local.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        format!("{}\\{name}", ctx.staging_dir)
    }

    fn upload_and_hash(&self, what: &str, ctx: &StepContext, package: &PackageRef) -> Result<Vec<Step>, PlanError> {
        let remote = self.remote_path(ctx, package);
        let name = remote.rsplit('\\').next().unwrap_or_default().to_string();
        safe::file_name(&name).map_err(|problem| PlanError::Unsafe {
            host: self.host().into(),
            variable: "package file name",
            problem,
        })?;
        let ctx = StepContext { remote_file: remote.clone(), ..ctx.clone() };
        Ok(vec![
            self.step(
                &format!("upload-{what}"),
                &format!("Upload {name}"),
                Action::Upload { local: package.local.clone(), remote, sha256: package.sha256.clone() },
                Expect::Anything,
                10 * MINUTE,
            ),
            self.run(
                &format!("verify-hash-{what}"),
                &format!("Check the SHA-1 of {name} on the host"),
                "verify-hash",
                &ctx,
                Expect::Hash { algorithm: "SHA1".into(), value: package.sha1.clone() },
                2 * MINUTE,
            )?,
        ])
    }

    /// The install itself: directly, or as SYSTEM through a task. A direct install on a host
    /// with UAC gets the task path as its fallback for exit code 740.
    fn install(
        &self,
        ctx: &StepContext,
        package: &PackageRef,
        needs_task: bool,
        plan: &mut HostPlan,
    ) -> Result<Vec<Step>, PlanError> {
        let remote_file = self.remote_path(ctx, package);
        let install_log = self.advisory.install_log_for(remote_file.rsplit('\\').next().unwrap_or_default());
        let ctx = StepContext { remote_file, install_log, task_name: "wsusfix-kb954960".into(), ..ctx.clone() };
        let task = self.task_steps("install", "Install KB954960 as SYSTEM", &ctx, Expect::Installer)?;
        if needs_task {
            return Ok(task);
        }
        if ctx.modern_schtasks {
            plan.elevation_fallback = task;
        }
        let mut install = self.run("install", "Install KB954960", "install", &ctx, Expect::Installer, 30 * MINUTE)?;
        install.on_failure = Some(self.templates.render_command_line("steps/install-log.cmd.tera", &ctx)?);
        Ok(vec![install])
    }

    fn task_steps(
        &self,
        id: &str,
        description: &str,
        ctx: &StepContext,
        judged_as: Expect,
    ) -> Result<Vec<Step>, PlanError> {
        let ctx = &StepContext {
            task_command: match ctx.task_command.is_empty() {
                true => format!("{} {}", ctx.remote_file, ctx.install_args),
                false => ctx.task_command.clone(),
            },
            ..ctx.clone()
        };
        let create = self.run(
            &format!("{id}-task-create"),
            &format!("{description}: create a one-off task"),
            "task-create",
            ctx,
            Expect::TaskCreated,
            MINUTE,
        )?;
        if let Action::Run { command } = &create.action {
            let tr = &ctx.task_command;
            if tr.len() > 262 {
                return Err(PlanError::TaskCommandTooLong {
                    host: self.host().into(),
                    len: tr.len(),
                    command: command.clone(),
                });
            }
        }
        let mut wait = self.run(
            &format!("{id}-task-wait"),
            &format!("{description}: wait for the task to finish"),
            "task-query",
            ctx,
            Expect::Anything,
            30 * MINUTE,
        )?;
        if !ctx.install_log.is_empty() {
            wait.on_failure = Some(self.templates.render_command_line("steps/install-log.cmd.tera", ctx)?);
        }
        wait.expect = match judged_as {
            Expect::Installer => Expect::TaskFinished { poll_secs: 5 },
            other => other,
        };
        let mut delete = self.run(
            &format!("{id}-task-delete"),
            "Delete the one-off task",
            "task-delete",
            ctx,
            Expect::Anything,
            MINUTE,
        )?;
        delete.cleanup = true;
        Ok(vec![
            create,
            self.run(
                &format!("{id}-task-run"),
                &format!("{description}: start the task"),
                "task-run",
                ctx,
                Expect::Success,
                MINUTE,
            )?,
            wait,
            delete,
        ])
    }

    /// WSUS setup (upgrade, uninstall, reinstall), through a task when the session is filtered.
    fn setup_run(
        &self,
        id: &str,
        description: &str,
        ctx: &StepContext,
        setup: &PackageRef,
        needs_task: bool,
        uninstall: bool,
    ) -> Result<Vec<Step>, PlanError> {
        let remote = self.remote_path(ctx, setup);
        let args = if uninstall {
            std::iter::once(ctx.uninstall_args.clone())
                .chain(ctx.uninstall_properties.iter().cloned())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            std::iter::once(ctx.reinstall_args.clone())
                .chain(ctx.reinstall_properties.iter().cloned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let ctx = StepContext {
            setup_file: remote.clone(),
            remote_file: remote,
            install_args: args,
            install_log: "WSUSSetup.log".into(),
            task_name: format!("wsusfix-{id}"),
            ..ctx.clone()
        };
        if needs_task {
            return self.task_steps(id, description, &ctx, Expect::Installer);
        }
        let template = if uninstall { "uninstall-wsus" } else { "setup-sp1" };
        Ok(vec![self.run(id, description, template, &ctx, Expect::Success, 60 * MINUTE)?])
    }

    /// The SUSDB backup. A UAC-filtered session cannot log in to the Windows Internal
    /// Database (its Administrators membership is deny-only), so there it runs as SYSTEM from
    /// a one-off task, whose `/tr` carries the same command with its quotes escaped.
    fn backup_susdb(&self, description: &str, ctx: &StepContext, needs_task: bool) -> Result<Vec<Step>, PlanError> {
        let direct = self.run("backup-susdb", description, "backup-susdb", ctx, Expect::Success, 30 * MINUTE)?;
        if !needs_task {
            return Ok(vec![direct]);
        }
        let Action::Run { command } = &direct.action else { return Ok(vec![direct]) };
        let ctx = StepContext {
            task_name: "wsusfix-backup-susdb".into(),
            task_command: command.replace('"', "\\\""),
            // sqlcmd writes no log of its own: the task's Last Result is the whole story.
            install_log: String::new(),
            ..ctx.clone()
        };
        self.task_steps("backup-susdb", description, &ctx, Expect::Installer)
    }

    fn verify_wsus(&self, ctx: &StepContext) -> Result<Step, PlanError> {
        let version = self.advisory.releases.sp1.from;
        self.run(
            "verify-wsus",
            "Check WSUS reports 3.0 SP1",
            "verify-wsus",
            ctx,
            Expect::WsusVersionAtLeast { version },
            MINUTE,
        )
    }

    fn stage(&self, ctx: &StepContext) -> Result<Step, PlanError> {
        let description = format!("Create the staging folder {}", ctx.staging_dir);
        self.run("stage", &description, "stage", ctx, Expect::OutputContains { text: "staged".into() }, MINUTE)
    }

    fn services_check(&self, id: &str, description: &str, ctx: &StepContext) -> Result<Step, PlanError> {
        self.run(id, description, "check-services", ctx, self.services_running(), MINUTE)
    }

    fn services_running(&self) -> Expect {
        Expect::ServicesRunning { services: self.advisory.services.clone() }
    }

    fn verification(&self, ctx: &StepContext) -> Result<Vec<Step>, PlanError> {
        let fixed = self.advisory.fixed_file_version;
        Ok(vec![
            self.run(
                "verify-dll",
                &format!("Read the client web service DLL's version back: {fixed} or later"),
                "verify-dll",
                ctx,
                Expect::DllAtLeast { version: fixed },
                2 * MINUTE,
            )?,
            self.services_check("verify-services", "Check WsusService and W3SVC run after the change", ctx)?,
            self.run(
                "verify-logs",
                "Look for new duplicate-key errors since the install",
                "check-logs",
                ctx,
                Expect::NoNewSymptoms,
                5 * MINUTE,
            )?,
        ])
    }

    fn cleanup(&self, id: &str, ctx: &StepContext, package: &PackageRef) -> Result<Step, PlanError> {
        let ctx = StepContext { remote_file: self.remote_path(ctx, package), ..ctx.clone() };
        let mut step = self.run(id, "Remove the uploaded package", "cleanup", &ctx, Expect::Anything, MINUTE)?;
        step.cleanup = true;
        Ok(step)
    }

    fn workaround_step(&self) -> Step {
        let instructions = "In the WSUS console of this server (and of every server of its hierarchy): find the update \
            \"Office 2003 Service Pack 1\"; make sure it is declined; approve it; then decline it again. \
            Verify: on a sample client running Office 2003, run `wuauclt /detectnow` and check that WindowsUpdate.log \
            shows no new 0x8024400E, then rescan this server with wsusfix. The alternative is `wsusfix plan --rtm upgrade`: \
            upgrade to WSUS 3.0 SP1 and install KB954960."
            .to_string();
        self.step(
            "rtm-workaround",
            "Apply the WSUS 3.0 RTM console workaround (manual)",
            Action::Manual { instructions },
            Expect::Anything,
            0,
        )
    }

    fn backout(&mut self, ctx: &StepContext, arch: Arch, needs_task: bool) -> Result<Vec<Step>, PlanError> {
        let Some(setup) = self.package(sp1_role(arch), false)? else {
            let name = match arch {
                Arch::X64 => &self.advisory.reinstall.x64,
                _ => &self.advisory.reinstall.x86,
            };
            let instructions = format!(
                "The back-out reinstalls WSUS 3.0 SP1 and needs its setup file ({name}), which was not given when this plan was made. \
                 Re-run `wsusfix plan` with --packages DIR holding it to get the back-out steps."
            );
            return Ok(vec![self.step(
                "backout-unavailable",
                "Back-out steps need the WSUS 3.0 SP1 setup",
                Action::Manual { instructions },
                Expect::Anything,
                0,
            )]);
        };
        let mut steps = vec![self.stage(ctx)?];
        steps.extend(self.upload_and_hash("sp1", ctx, &setup)?);
        steps.extend(self.backup_susdb("Back up SUSDB", ctx, needs_task)?);
        steps.extend(self.setup_run(
            "uninstall-wsus",
            "Uninstall WSUS keeping its database, content and logs",
            ctx,
            &setup,
            needs_task,
            true,
        )?);
        steps.extend(self.setup_run(
            "reinstall-sp1",
            "Reinstall WSUS 3.0 SP1 against the kept database",
            ctx,
            &setup,
            needs_task,
            false,
        )?);
        steps.push(self.verify_wsus(ctx)?);
        steps.push(self.services_check("verify-services", "Check WsusService and W3SVC run", ctx)?);
        steps.push(self.cleanup("cleanup-sp1", ctx, &setup)?);
        Ok(steps)
    }
}

fn update_role(arch: Arch) -> PackageRole {
    match arch {
        Arch::X64 => PackageRole::UpdateX64,
        _ => PackageRole::UpdateX86,
    }
}

fn sp1_role(arch: Arch) -> PackageRole {
    match arch {
        Arch::X64 => PackageRole::Sp1SetupX64,
        _ => PackageRole::Sp1SetupX86,
    }
}

fn role_name(role: PackageRole) -> &'static str {
    match role {
        PackageRole::UpdateX86 => "KB954960 x86",
        PackageRole::UpdateX64 => "KB954960 x64",
        PackageRole::Sp1SetupX86 => "WSUS 3.0 SP1 setup x86",
        PackageRole::Sp1SetupX64 => "WSUS 3.0 SP1 setup x64",
    }
}

/// SHA-256 and SHA-1 of a package, read in chunks.
fn hash_package(role: PackageRole, path: &Path) -> Result<PackageRef, PlanError> {
    let err = |source| PlanError::Package { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mut sha256 = sha2::Sha256::new();
    let mut sha1 = sha1::Sha1::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha1.update(&buf[..n]);
        size += n as u64;
    }
    Ok(PackageRef {
        role,
        local: path.to_path_buf(),
        size,
        sha256: hex::encode(sha256.finalize()),
        sha1: hex::encode(sha1.finalize()),
    })
}
