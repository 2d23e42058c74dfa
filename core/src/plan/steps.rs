//! The step builders of the planner: one function per kind of step, each rendering its command
//! from a template in `templates/steps/` with the host's [`StepContext`].

use super::backup::{self, Tool, When};
use super::build::{HostPlanner, StepContext, MINUTE};
use super::error::PlanError;
use super::packages::sp1_role;
use super::{Action, Expect, HostPlan, PackageRef, Step};
use crate::facts::Arch;
use crate::safe;

impl HostPlanner<'_> {
    pub(super) fn step(&self, id: &str, description: &str, action: Action, expect: Expect, timeout_secs: u64) -> Step {
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

    pub(super) fn run(
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

    pub(super) fn prechecks(&self, ctx: &StepContext, package: &PackageRef) -> Result<Vec<Step>, PlanError> {
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

    pub(super) fn remote_path(&self, ctx: &StepContext, package: &PackageRef) -> String {
        let name = package.local.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        format!("{}\\{name}", ctx.staging_dir)
    }

    pub(super) fn upload_and_hash(
        &self,
        what: &str,
        ctx: &StepContext,
        package: &PackageRef,
    ) -> Result<Vec<Step>, PlanError> {
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
    pub(super) fn install(
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

    pub(super) fn task_steps(
        &self,
        id: &str,
        description: &str,
        ctx: &StepContext,
        judged_as: Expect,
    ) -> Result<Vec<Step>, PlanError> {
        let task_command = match ctx.task_command.is_empty() {
            true => format!("{} {}", ctx.remote_file, ctx.install_args),
            false => ctx.task_command.clone(),
        };
        let ctx = &StepContext { task_command: caret_outside_quotes(&task_command), ..ctx.clone() };
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
    pub(super) fn setup_run(
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

    /// A SUSDB backup with the tool the probe found; where it found none, no step and a note
    /// saying so (see [`backup::When`] for a host probed before the search).
    pub(super) fn backup_with_tool(
        &self,
        when: When,
        description: &str,
        ctx: &StepContext,
        needs_task: bool,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Step>, PlanError> {
        let search = self.result.facts.as_ref().and_then(|f| f.sql_tool.as_ref());
        // A recorded path reaches a command line: checked as any path is (a plan edited by
        // hand re-makes its steps from what it records).
        if let Some(tool) = search.and_then(|s| s.tool()) {
            safe::windows_path(&tool.path).map_err(|problem| PlanError::Unsafe {
                host: self.host().into(),
                variable: "sql_tool path",
                problem,
            })?;
        }
        let sql_tool = match backup::tool(search) {
            Tool::Run(word) => word,
            Tool::NotProbed if when.legacy() => "sqlcmd".to_string(),
            Tool::NotProbed => {
                notes.push(backup::NOT_PROBED.to_string());
                return Ok(Vec::new());
            }
            Tool::NoneFound => {
                notes.push(when.none_note().to_string());
                return Ok(Vec::new());
            }
        };
        let ctx = StepContext { sql_tool, backup_file: when.file().to_string(), ..ctx.clone() };
        self.backup_susdb(description, &ctx, needs_task)
    }

    /// The SUSDB backup. A UAC-filtered session cannot log in to the Windows Internal
    /// Database (its Administrators membership is deny-only), so there it runs as SYSTEM from
    /// a one-off task, whose `/tr` carries the same command with its quotes escaped.
    pub(super) fn backup_susdb(
        &self,
        description: &str,
        ctx: &StepContext,
        needs_task: bool,
    ) -> Result<Vec<Step>, PlanError> {
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

    /// The restart `apply --reboot` schedules when the installer asks for one: `shutdown /r`
    /// with a delay, so the session (and a task's status) can finish first. A UAC-filtered
    /// session lacks the shutdown privilege, so there it runs as SYSTEM from a one-off task,
    /// whose `/tr` carries the same command with its quotes escaped (as `backup_susdb`).
    pub(super) fn reboot(&self, ctx: &StepContext, needs_task: bool) -> Result<Vec<Step>, PlanError> {
        let description = "Restart to finish the update";
        let direct = self.run("reboot", description, "reboot", ctx, Expect::Success, MINUTE)?;
        if !needs_task {
            return Ok(vec![direct]);
        }
        let Action::Run { command } = &direct.action else { return Ok(vec![direct]) };
        let ctx = StepContext {
            task_name: "wsusfix-reboot".into(),
            task_command: command.replace('"', "\\\""),
            // shutdown writes no log: the task's Last Result is its exit code.
            install_log: String::new(),
            ..ctx.clone()
        };
        let mut steps = self.task_steps("reboot", "Restart to finish the update as SYSTEM", &ctx, Expect::Installer)?;
        for step in &mut steps {
            step.timeout_secs = step.timeout_secs.min(5 * MINUTE);
        }
        Ok(steps)
    }

    pub(super) fn verify_wsus(&self, ctx: &StepContext) -> Result<Step, PlanError> {
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

    pub(super) fn stage(&self, ctx: &StepContext) -> Result<Step, PlanError> {
        let description = format!("Create the staging folder {}", ctx.staging_dir);
        self.run("stage", &description, "stage", ctx, Expect::OutputContains { text: "staged".into() }, MINUTE)
    }

    pub(super) fn services_check(&self, id: &str, description: &str, ctx: &StepContext) -> Result<Step, PlanError> {
        self.run(id, description, "check-services", ctx, self.services_running(), MINUTE)
    }

    pub(super) fn services_running(&self) -> Expect {
        Expect::ServicesRunning { services: self.advisory.services.clone() }
    }

    pub(super) fn verification(&self, ctx: &StepContext) -> Result<Vec<Step>, PlanError> {
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

    pub(super) fn cleanup(&self, id: &str, ctx: &StepContext, package: &PackageRef) -> Result<Step, PlanError> {
        let ctx = StepContext { remote_file: self.remote_path(ctx, package), ..ctx.clone() };
        let mut step = self.run(id, "Remove the uploaded package", "cleanup", &ctx, Expect::Anything, MINUTE)?;
        step.cleanup = true;
        Ok(step)
    }

    pub(super) fn workaround_step(&self) -> Step {
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

    pub(super) fn backout(
        &mut self,
        ctx: &StepContext,
        arch: Arch,
        needs_task: bool,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Step>, PlanError> {
        let Some(setup) = self.package(sp1_role(arch))? else {
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
        steps.extend(self.backup_with_tool(When::Backout, "Back up SUSDB", ctx, needs_task, notes)?);
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

/// A task's `/tr` text made safe for cmd.exe, which reads it inside `/tr "…"`: its inner quotes
/// (written `\"` for schtasks) still toggle cmd.exe's own quoting, so the stretches between
/// them (a tool's path in `Program Files (x86)`) are unquoted to cmd.exe, where `(`, `)`, `&`,
/// `|`, `<`, `>` and `^` would act: each gets a caret, which cmd.exe removes before schtasks
/// reads the text. Inside cmd.exe's quotes nothing changes.
pub(super) fn caret_outside_quotes(text: &str) -> String {
    let mut quoted = true;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && "()&|<>^".contains(c) {
            out.push('^');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::caret_outside_quotes;

    #[test]
    fn parentheses_cmd_exe_sees_unquoted_get_a_caret() {
        let tr = r#"\"C:\Program Files (x86)\osql.exe\" -S x -Q \"BACKUP (a)\""#;
        assert_eq!(caret_outside_quotes(tr), r#"\"C:\Program Files ^(x86^)\osql.exe\" -S x -Q \"BACKUP ^(a^)\""#);
        assert_eq!(caret_outside_quotes(r"C:\Temp\x.exe /quiet"), r"C:\Temp\x.exe /quiet");
    }
}
