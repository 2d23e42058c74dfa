//! `wsusfix apply`: run a plan's steps on its hosts in rolling batches, with a journal that
//! `--resume` continues from.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use wsusfix_core::apply::ack::Acknowledgement;
use wsusfix_core::apply::advice::{self, NextStep};
use wsusfix_core::apply::journal::{self, RunDir, RunOptions};
use wsusfix_core::apply::{self, ApplyRequest, ApplyResult, ApplyTools, DryRunHost, Session};
use wsusfix_core::inventory::Inventory;
use wsusfix_core::outcome::Outcome;
use wsusfix_core::plan::{BatchPolicy, Plan};
use wsusfix_core::time::UtcTime;

use super::common::{parse_duration, ConnectArgs, KnowledgeArgs, RunFormat};
use crate::events::JsonLines;
use crate::output::table;
use crate::progress::ApplyProgress;

/// Apply a plan: run exactly its steps on its hosts, in rolling batches, with a journal.
///
/// Before touching a host, apply re-probes it (the scan's probe, the only command not in the
/// plan). A host already fixed is reported `already-remediated` and nothing runs on it; a host
/// whose facts changed since the plan (its fingerprint differs) is refused (`refused-drift`)
/// unless --replan, which rebuilds that host's plan from the fresh facts with the plan's
/// packages (their hashes must still match). A host is `remediated` only when the DLL version
/// read back proves it; failed service or log checks after that are warnings.
///
/// Installers: 1618 is retried (3 tries, the pause doubling from --retry-delay); 740 on a direct
/// install runs the SYSTEM scheduled-task fallback; 3010/1641 are success with a reboot pending,
/// which is recorded. Without --reboot wsusfix never restarts a host; with --reboot, a host the
/// DLL proves fixed whose installer asked for a restart runs its planned reboot step last
/// (`shutdown /r /t 60`, as SYSTEM through a task on a UAC-filtered session). Other codes fail
/// the host with the installer's log tail. Cleanup steps (task delete, package removal) always
/// run.
///
/// A restart left pending (the probe reads the registry's PendingFileRenameOperations and the
/// servicing and Windows Update keys) is run later with --reboot-only: the plan's reboot step,
/// only on hosts the DLL proves fixed whose restart is still pending. A manual step a person
/// did is recorded with --ack-manual HOST --note TEXT [--by NAME].
///
/// Every run has a folder (--run-dir, default runs/<UTC time>): journal.jsonl (append-only,
/// synced per entry), plan.yaml (the plan run), audit.jsonl (every remote command: host, command,
/// timing, exit status, output size), outcome.json (for `wsusfix report result`), failed-hosts
/// (for --limit @RUN/failed-hosts: the hosts that failed or were refused, never run, or not
/// reachable or assessable when planned, as Ansible's retry file) and failures (only those that
/// failed or were refused). After a crash or Ctrl-C, `apply --resume RUN -i INV --yes` skips
/// finished hosts and re-probes the others. After a stop by --max-fail-percent, apply prints the
/// commands that go on: without the failed hosts (--limit '!@RUN/failures'), or with a
/// threshold raised knowingly.
///
/// Exit status: 0 every selected host remediated, already remediated or nothing to do; 4 some
/// hosts failed, were refused (drift) or wait on a manual step nobody acknowledged; 5 stopped
/// by max-fail-percent;
/// 6 the run folder could not be written (a full disk: the printed table is the result); 130
/// interrupted; 1 usage or input error.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  wsusfix apply plan.yaml -i inventory.yaml --dry-run\n  wsusfix apply plan.yaml -i inventory.yaml --serial 1,10%,100% --max-fail-percent 10 --yes\n  wsusfix apply plan.yaml -i inventory.yaml --reboot --yes\n  wsusfix apply plan.yaml -i inventory.yaml --reboot-only --yes\n  wsusfix apply --resume runs/20261125T201500Z -i inventory.yaml --ack-manual wsus07 --note 'console workaround done' --yes\n  wsusfix apply --resume runs/20261125T201500Z -i inventory.yaml --yes\n  wsusfix apply plan.yaml -i inventory.yaml --limit @runs/20261125T201500Z/failed-hosts --yes\n  wsusfix apply plan.yaml -i inventory.yaml --backout --limit wsus07 --confirm-backout wsus07"
)]
pub struct Args {
    /// The plan (from `wsusfix plan`). Not needed with --resume, which uses the run's copy.
    #[arg(value_name = "PLAN", required_unless_present = "resume")]
    pub plan: Option<PathBuf>,
    /// The inventory: how to reach the plan's hosts (every host to work on must be in it).
    /// A file (YAML or INI) or a folder, with the group_vars/ and host_vars/ beside it; repeat -i to combine several, later ones winning, as Ansible does.
    #[arg(short, long, value_name = "SOURCE", env = "WSUSFIX_INVENTORY", required = true)]
    pub inventory: Vec<PathBuf>,
    /// Only hosts matching this pattern: `web*`, `group`, `a:b`, `a:&b`, `a:!b`, `@failed-hosts`.
    #[arg(short, long, value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// Print, per host, its batch, route and every command it would run; connect to nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue the run in this folder: finished hosts are skipped, the others re-probed.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["plan", "run_dir"])]
    pub resume: Option<PathBuf>,
    /// The run folder (default: runs/<UTC time>).
    #[arg(long, value_name = "DIR")]
    pub run_dir: Option<PathBuf>,
    /// Rolling batches, as Ansible's serial (overrides the plan's): e.g. 1,10%,100%.
    #[arg(long, value_name = "SIZES")]
    pub serial: Option<String>,
    /// Stop before the next batch when more than this percent of the hosts done so far failed
    /// (overrides the plan's).
    #[arg(long, value_name = "PERCENT")]
    pub max_fail_percent: Option<u8>,
    /// Pause between batches, e.g. 30s or 5m (overrides the plan's).
    #[arg(long, value_name = "DURATION")]
    pub pause_between: Option<String>,
    /// For a host whose facts changed since the plan: rebuild its plan from the fresh facts
    /// (with the plan's packages and choices) and apply that, instead of refusing it.
    #[arg(long)]
    pub replan: bool,
    /// Run the hosts' back-out steps (uninstall WSUS keeping its data, reinstall SP1). Needs
    /// --limit, and a confirmation naming the hosts.
    #[arg(long, requires = "limit")]
    pub backout: bool,
    /// Without a terminal, the confirmation of --backout: exactly the selected hosts, comma-separated.
    #[arg(long, value_name = "HOSTS", requires = "backout")]
    pub confirm_backout: Option<String>,
    /// Restart a host when its installer asks for it (3010/1641), with the plan's reboot step
    /// (`shutdown /r /t 60`), run last, after the DLL read back proved the fix. Without it a
    /// pending restart is only recorded, and left to the operator.
    #[arg(long, conflicts_with = "backout")]
    pub reboot: bool,
    /// Run only the plan's reboot step, later: on hosts the re-probe finds fixed (the DLL read
    /// back) whose registry still says a restart is pending (PendingFileRenameOperations, the
    /// servicing or Windows Update keys). Every other host is skipped, with why.
    #[arg(long, conflicts_with_all = ["backout", "reboot", "replan"])]
    pub reboot_only: bool,
    /// Record that a person did HOST's manual step (the RTM console workaround), with --note:
    /// journaled with who and when, in outcome.json; this run, its --resume and later runs of
    /// the same plan then take the step as done (no exit 4 for it). Refused for a host without
    /// a manual step.
    #[arg(long, value_name = "HOST", requires = "note", conflicts_with_all = ["backout", "reboot_only"])]
    pub ack_manual: Option<String>,
    /// What was done, for --ack-manual: one line of text, at most 500 characters.
    #[arg(long, value_name = "TEXT", requires = "ack_manual")]
    pub note: Option<String>,
    /// Who did it, for --ack-manual (default: the local user's name).
    #[arg(long, value_name = "NAME", requires = "ack_manual")]
    pub by: Option<String>,
    /// First pause before retrying an installer that answered 1618 (it doubles each try).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub retry_delay: String,
    /// Work on hosts the inventory reaches at the same address and port (one server under
    /// several names) anyway.
    #[arg(long)]
    pub allow_aliases: bool,
    /// Take over hosts another run has marked as its own (the `wsusfix-run` folder in the
    /// staging folder). Only for a mark left by a run that died and will not be resumed: two
    /// live runs on one host may install twice.
    #[arg(long)]
    pub force: bool,
    /// Refuse to run any plan but the one with this digest (`sha256:...`, as `wsusfix plan`
    /// and `wsusfix show` print it): the plan the change board approved.
    #[arg(long, value_name = "SHA256")]
    pub expect_digest: Option<String>,
    /// `text`: the result table on standard output. `json`: JSON lines instead, an object per
    /// event as it happens (run, batch, host started and done, stop) and a last `result` line
    /// with the whole outcome and the exit status, as `terraform apply -json` does.
    #[arg(long, value_enum, default_value = "text")]
    pub format: RunFormat,
    /// Poll scheduled tasks at this interval instead of the plan's (e.g. 1s).
    #[arg(long, value_name = "DURATION", hide = true)]
    pub poll_interval: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub knowledge: KnowledgeArgs,
}

/// How the journal's `run-end` names a stop by the failure threshold.
const MAX_FAIL_STOP: &str = "stopped by max-fail-percent";

/// The exit status when the run folder (journal, outcome) could not be written: a full disk.
const RUN_FOLDER_UNWRITABLE: u8 = 6;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let advisory = args.knowledge.advisory()?;
    let templates = args.knowledge.templates()?;
    let (plan, plan_text, plan_label) = load_plan(&args)?;
    let inventory = Inventory::load_all(&args.inventory)?;
    for warning in &inventory.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(digest) = &args.expect_digest {
        plan.expect_digest(digest)?;
    }
    wsusfix_core::plan::verify(&plan, &advisory, &templates)?;
    let mut request = ApplyRequest::from_inventory(plan.clone(), &inventory, args.limit.as_deref())?;
    request.policy = policy(&args, &plan)?;
    request.forks = args.connect.forks;
    request.probe_timeout = args.connect.probe_timeout();
    request.replan = args.replan;
    request.allow_aliases = args.allow_aliases;
    request.force = args.force;
    request.backout = args.backout;
    request.reboot = args.reboot;
    request.reboot_only = args.reboot_only;
    request.retry_delay = parse_duration(&args.retry_delay).context("--retry-delay")?;
    request.poll_interval = args.poll_interval.as_deref().map(parse_duration).transpose().context("--poll-interval")?;
    let preview = apply::dry_run(&request)?;
    let mut json = (args.format == RunFormat::Json).then(|| JsonLines::start("apply"));
    if args.dry_run {
        match &mut json {
            Some(json) => {
                preview.iter().for_each(|h| json.dry_run_host(h));
                json.emit("result", serde_json::json!({ "dry_run": true, "exit_code": 0 }));
            }
            None => print_dry_run(&preview, &request.policy),
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Before the confirmation: an OpenSSH configuration that cannot be used stops here.
    let connector = args.connect.connector(&request.hosts)?;
    let working: Vec<&DryRunHost> = preview.iter().filter(|h| h.batch.is_some()).collect();
    if args.backout {
        confirm_backout(&working, args.confirm_backout.as_deref())?;
    } else if !args.yes {
        confirm(&working, &request.policy, &plan_label)?;
    }
    // Checked before the run folder is touched: a refused acknowledgement changes nothing.
    let acknowledgement = match (&args.ack_manual, &args.note) {
        (Some(host), Some(note)) => {
            let user = wsusfix_core::ssh_config::LocalUser::current().name;
            Some(Acknowledgement::new(&plan, host, note, args.by.as_deref(), &user, UtcTime::now())?)
        }
        _ => None,
    };
    let options = RunOptions::of(&request, args.limit.as_deref());
    let mut session = match &args.resume {
        Some(path) => Session::resume(path, options)?.0,
        None => {
            let path = args.run_dir.clone().unwrap_or_else(|| RunDir::default_path(UtcTime::now()));
            Session::start(&path, &plan, &plan_text, &plan_label, options)?
        }
    };
    if let Some(stop) = session.last_stop().filter(|s| s.starts_with(MAX_FAIL_STOP)) {
        if args.max_fail_percent.is_none() && args.limit.is_none() {
            eprintln!(
                "warning: this run was {stop}; resumed unchanged it stops again after its next batch: the commands \
                 printed at the end say how to go on"
            );
        }
    }
    for (host, ack) in session.acks() {
        if let Some(run) = &ack.from_run {
            eprintln!("{host}: {ack} (recorded by run {run})");
        }
    }
    if let Some(acknowledgement) = acknowledgement {
        eprintln!(
            "{}: {} (recorded in {})",
            acknowledgement.host,
            acknowledgement.ack,
            session.journal_path().display()
        );
        session.acknowledge(acknowledgement)?;
    }
    let cancel = super::common::cancel_on_interrupt(super::common::FINISH_IN_FLIGHT)?;
    let tools = ApplyTools { connector: &connector, advisory: &advisory, templates: &templates };
    let mut progress = ApplyProgress::new(!args.connect.no_progress);
    let result = session.run(&request, tools, cancel, &mut |e| {
        if let Some(json) = &mut json {
            json.apply_event(&e);
        }
        progress.event(e)
    })?;
    // The result is whole in memory: it prints even when the run folder cannot take it.
    let inventories: Vec<String> = args.inventory.iter().map(|p| p.display().to_string()).collect();
    let next = advice::after_max_fail(&result, &session.dir.path, &inventories, args.limit.as_deref());
    if json.is_none() {
        print_result(&result, &session.dir.path, &next);
    }
    let unwritten = session.journal_error().or_else(|| session.finish(&result).err().map(|e| e.to_string()));
    let code = match &unwritten {
        Some(_) => RUN_FOLDER_UNWRITABLE,
        None => result.exit_code(),
    };
    if let Some(json) = &mut json {
        let outcome = result.to_run_outcome();
        let folder = session.dir.path.display().to_string();
        json.emit(
            "result",
            serde_json::json!({ "exit_code": code, "run_folder": folder, "outcome": outcome, "next_steps": next }),
        );
    }
    if let Some(e) = unwritten {
        eprintln!("error: the run folder could not be written, so the printed result is the only record of it: {e}");
    }
    Ok(ExitCode::from(code))
}

/// The plan, its exact text (copied into the run folder) and how to name it.
fn load_plan(args: &Args) -> anyhow::Result<(Plan, String, String)> {
    let path = match (&args.resume, &args.plan) {
        (Some(dir), _) => dir.join(journal::PLAN_FILE),
        (None, Some(path)) => path.clone(),
        (None, None) => bail!("give a plan file, or --resume RUN_DIR"),
    };
    let text = wsusfix_core::files::read_input(&path, wsusfix_core::files::INPUT_LIMIT)
        .with_context(|| format!("cannot read plan {}", path.display()))?;
    let plan = Plan::parse(&text, &path)?;
    Ok((plan, text, path.display().to_string()))
}

fn policy(args: &Args, plan: &Plan) -> anyhow::Result<BatchPolicy> {
    let mut policy = plan.header.batches.clone();
    if let Some(serial) = &args.serial {
        policy.serial = BatchPolicy::parse_serial(serial).context("--serial")?;
    }
    if let Some(p) = args.max_fail_percent {
        policy.max_fail_percent = p;
    }
    if let Some(d) = &args.pause_between {
        policy.pause_between_secs = parse_duration(d).context("--pause-between")?.as_secs();
    }
    policy.validate().context("--max-fail-percent")?;
    Ok(policy)
}

fn print_dry_run(hosts: &[DryRunHost], policy: &BatchPolicy) {
    println!(
        "dry run: nothing is run and no host is contacted (serial {}, max-fail-percent {}, pause {}s)",
        policy.serial.join(","),
        policy.max_fail_percent,
        policy.pause_between_secs
    );
    for h in hosts {
        match (h.batch, &h.note) {
            (Some(batch), _) => {
                println!("\n{}  batch {batch}  route {}", h.host, h.route);
                println!("  re-probe: the scan probe (compares the facts fingerprint; skips a host already fixed)");
                for (id, command) in &h.commands {
                    println!("  {id}: {command}");
                }
            }
            (None, note) => println!("\n{}  route {}  {}", h.host, h.route, note.as_deref().unwrap_or("")),
        }
    }
}

fn summary(working: &[&DryRunHost], policy: &BatchPolicy, plan: &str) -> String {
    let batches = working.iter().filter_map(|h| h.batch).max().unwrap_or(0);
    let names: Vec<&str> = working.iter().map(|h| h.host.as_str()).collect();
    format!(
        "apply {plan}: {} hosts in {batches} batches (serial {}, max-fail-percent {}, pause {}s): {}",
        working.len(),
        policy.serial.join(","),
        policy.max_fail_percent,
        policy.pause_between_secs,
        names.join(", ")
    )
}

fn confirm(working: &[&DryRunHost], policy: &BatchPolicy, plan: &str) -> anyhow::Result<()> {
    eprintln!("{}", summary(working, policy, plan));
    if !std::io::stdin().is_terminal() {
        bail!("refusing to apply without --yes: standard input is not a terminal to confirm on");
    }
    eprint!("Type yes to apply: ");
    std::io::stderr().flush().ok();
    let answer = read_line()?;
    if answer.trim() != "yes" {
        bail!("not confirmed: nothing was done");
    }
    Ok(())
}

fn confirm_backout(working: &[&DryRunHost], given: Option<&str>) -> anyhow::Result<()> {
    let expected: BTreeSet<String> = working.iter().map(|h| h.host.clone()).collect();
    if expected.is_empty() {
        bail!("no selected host has back-out steps: nothing to back out");
    }
    let list = expected.iter().cloned().collect::<Vec<_>>().join(",");
    eprintln!(
        "BACK-OUT: uninstalls WSUS (keeping its database, content and logs) and reinstalls WSUS 3.0 SP1 on: {list}"
    );
    let typed = match given {
        Some(text) => text.to_string(),
        None if std::io::stdin().is_terminal() => {
            eprint!("Type the host names to back out (comma-separated) to confirm: ");
            std::io::stderr().flush().ok();
            read_line()?
        }
        None => bail!("refusing to back out without confirmation: pass --confirm-backout {list}"),
    };
    let confirmed: BTreeSet<String> =
        typed.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    if confirmed != expected {
        bail!(
            "the confirmation names {:?}, but the selected hosts are {list}: nothing was done",
            confirmed.into_iter().collect::<Vec<_>>().join(",")
        );
    }
    Ok(())
}

fn read_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the confirmation")?;
    Ok(line)
}

fn print_result(result: &ApplyResult, dir: &Path, next: &[NextStep]) {
    // Hosts --limit left out are summed up in one line, not listed one a row.
    let (left_out, worked): (Vec<_>, Vec<_>) =
        result.hosts.iter().partition(|h| h.outcome == Outcome::Skipped && h.reason == apply::NOT_SELECTED);
    let rows: Vec<Vec<String>> = worked
        .iter()
        .map(|h| {
            let mut note = crate::output::shorten(&h.reason, 110);
            if h.reboot_scheduled {
                note.push_str(" [reboot scheduled]");
            } else if h.reboot_pending {
                note.push_str(" [reboot pending]");
            }
            if h.cleanup_pending {
                note.push_str(" [cleanup pending: a task or a staged package may be left]");
            }
            if !h.warnings.is_empty() {
                note.push_str(&format!(" [warnings: {}]", h.warnings.join("; ")));
            }
            vec![
                h.host.clone(),
                h.outcome.to_string(),
                h.dll_version_after.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                note,
            ]
        })
        .collect();
    print!("{}", table(&["HOST", "OUTCOME", "DLL", "REASON"], &rows));
    for h in worked.iter().filter(|h| !h.failure_log.is_empty()) {
        println!("\n{}: the failing step's log, last lines:", h.host);
        for line in &h.failure_log {
            println!("    {}", wsusfix_core::report::text::printable(line));
        }
    }
    if !left_out.is_empty() {
        let names: Vec<&str> = left_out.iter().take(5).map(|h| h.host.as_str()).collect();
        let more = left_out.len().saturating_sub(names.len());
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        println!("{} planned hosts not selected by --limit: {}{more}", left_out.len(), names.join(", "));
    }
    let counts: Vec<String> = result.counts().iter().map(|(o, n)| format!("{n} {o}")).collect();
    println!("\n{} hosts: {}", result.hosts.len(), counts.join(", "));
    if result.hosts.iter().all(|h| h.outcome.untouched()) {
        println!("nothing to do: no host needed a change, and none was changed");
    }
    if let Some(stop) = &result.stopped {
        println!("{stop}");
    }
    for step in next {
        println!("{}:\n  {}", step.why, step.command);
    }
    println!("run folder: {}", dir.display());
}
