//! `wsusfix lab rehearse`: a plan applied to simulated twins of its hosts, before a real run.
//!
//! Each host of the plan that has steps gets a twin in an embedded lab, built from the facts
//! the plan recorded (Windows release and build, architecture, session token, WSUS and DLL
//! versions). The plan then runs on the twins through the same engine as `apply`, with the
//! real package files, in the plan's own batches and with its stop rule, and the outcome per
//! host says what a real run would most likely do. The run folder is kept (`rehearsals/<UTC
//! time>` unless `--out` says where) and every record in it is marked simulated, so that
//! `report result` stamps it SIMULATED and `report change-request --rehearsal` can cite it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use wsusfix_core::apply::journal::RunOptions;
use wsusfix_core::apply::{ApplyRequest, ApplyTools, Session};
use wsusfix_core::connector::{ConnectSettings, SshConnector};
use wsusfix_core::facts::{Arch, Elevation};
use wsusfix_core::inventory::Inventory;
use wsusfix_core::outcome::Outcome;
use wsusfix_core::plan::{HostPlan, Plan};
use wsusfix_lab::{HostSpec, Lab, LabConfig, Profile};

use super::common::{KnowledgeArgs, RunFormat};
use crate::events::JsonLines;
use crate::output::table;

/// Rehearse a plan on simulated twins of its hosts.
///
/// Builds a simulated twin of every host the plan changes, from the facts the plan recorded,
/// applies the plan to the twins over SSH exactly as `wsusfix apply` would (same steps, same
/// commands, the real package files uploaded, the plan's batches and stop rule, without the
/// pauses between batches), and reports what happened to each. The run folder is kept and
/// marked simulated: `wsusfix report result DIR/run` stamps it SIMULATED, and `wsusfix report
/// change-request PLAN --rehearsal DIR/run` cites it as test evidence. Twins only
/// approximate the real servers: a fingerprint difference is noted, not refused, and what a
/// twin cannot know (disk space, third-party software, the real installer) a rehearsal cannot
/// prove.
///
/// Exit status: 0 every rehearsed host ended remediated (or at a manual step); 4 some did not.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  wsusfix plan -i inventory.yaml --packages ./packages -o plan.yaml && wsusfix lab rehearse plan.yaml"
)]
pub struct Args {
    /// The plan to rehearse.
    pub plan: PathBuf,
    /// Where to keep the twins' lab files and the rehearsal's run folder (`DIR/run`); default
    /// rehearsals/<UTC time> under the current folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// `text`: a table. `json`: JSON lines, an object per event and a last `result` line
    /// marked `"simulated": true`, as `wsusfix apply --format json` writes them.
    #[arg(long, value_enum, default_value = "text")]
    pub format: RunFormat,
    #[command(flatten)]
    pub knowledge: KnowledgeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let advisory = args.knowledge.advisory()?;
    let templates = args.knowledge.templates()?;
    let plan_text = wsusfix_core::files::read_input(&args.plan, wsusfix_core::files::INPUT_LIMIT)
        .with_context(|| format!("cannot read {}", args.plan.display()))?;
    let plan = Plan::parse(&plan_text, &args.plan)?;
    for package in &plan.header.packages {
        if !package.local.is_file() {
            bail!(
                "package {} is not on this machine: a rehearsal uploads the real package files",
                package.local.display()
            );
        }
    }
    let mut specs = Vec::new();
    let mut skipped = Vec::new();
    for host in &plan.hosts {
        if host.steps.is_empty() {
            skipped.push(vec![host.host.clone(), format!("({})", host.route), "no steps: nothing to rehearse".into()]);
            continue;
        }
        let profile = Profile::from_yaml(&host.host, &format!("twin of {}", host.host), &twin_profile(host)?)?;
        specs.push(HostSpec { name: host.host.clone(), profile });
    }
    let mut json = (args.format == RunFormat::Json).then(|| JsonLines::start("lab rehearse"));
    // With JSON lines on standard output, the words for people go to standard error.
    let say = |text: String| if args.format == RunFormat::Json { eprintln!("{text}") } else { println!("{text}") };
    if specs.is_empty() {
        say("The plan changes no host: nothing to rehearse.".into());
        if let Some(json) = &mut json {
            json.emit("result", serde_json::json!({ "simulated": true, "exit_code": 0, "outcome": null }));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("rehearsals").join(wsusfix_core::apply::journal::run_id(wsusfix_core::time::UtcTime::now()))
    });
    let lab = Lab::start(LabConfig { hosts: specs, ..LabConfig::default() })?;
    let artifacts = lab.write_artifacts(&out.join("twins"))?;
    let inventory = Inventory::load(&artifacts.inventory)?;
    say(format!("Rehearsing {} on {} simulated twins ({})", args.plan.display(), inventory.hosts.len(), out.display()));

    let mut request = ApplyRequest::new(plan.clone(), inventory.hosts.clone());
    request.selected = Some(inventory.hosts.iter().map(|h| h.name.clone()).collect());
    request.rehearsal = true;
    request.probe_timeout = std::time::Duration::from_secs(30);
    request.retry_delay = std::time::Duration::from_millis(200);
    request.poll_interval = Some(std::time::Duration::from_millis(100));
    // The plan's own batches and stop rule, so that the rehearsal shows where a real run would
    // stop; only the pauses between batches are left out.
    request.policy.pause_between_secs = 0;
    let label = args.plan.display().to_string();
    let session = Session::start(&out.join("run"), &plan, &plan_text, &label, RunOptions::of(&request, None))?;
    // Twins on loopback: the operator's OpenSSH configuration is for the real fleet.
    let connector = SshConnector::new(ConnectSettings {
        connect_timeout: Some(std::time::Duration::from_secs(10)),
        default_user: Some("admin".into()),
        ssh_config: Some(wsusfix_core::ssh_config::Source::None),
        ..ConnectSettings::default()
    });
    let cancel = super::common::cancel_on_interrupt(super::common::FINISH_IN_FLIGHT)?;
    let tools = ApplyTools { connector: &connector, advisory: &advisory, templates: &templates };
    let result = session.run(&request, tools, cancel, &mut |e| {
        if let Some(json) = &mut json {
            json.apply_event(&e);
        }
    })?;
    session.finish(&result)?;
    lab.shutdown();

    let twins: Vec<_> =
        result.hosts.iter().filter(|h| request.selected.as_ref().is_some_and(|s| s.contains(&h.host))).collect();
    let mut rows: Vec<Vec<String>> = twins
        .iter()
        .map(|h| vec![h.host.clone(), h.outcome.to_string(), crate::output::shorten(&h.reason, 100)])
        .collect();
    rows.extend(skipped);
    let good = |o: Outcome| matches!(o, Outcome::Remediated | Outcome::ManualAction);
    let bad: Vec<&str> = twins.iter().filter(|h| !good(h.outcome)).map(|h| h.host.as_str()).collect();
    let code: u8 = if bad.is_empty() { 0 } else { 4 };
    if let Some(json) = &mut json {
        let outcome = result.to_run_outcome();
        json.emit("result", serde_json::json!({ "simulated": true, "exit_code": code, "outcome": outcome }));
    } else {
        print!("{}", table(&["HOST", "REHEARSED OUTCOME", "WHY"], &rows));
    }
    say(format!(
        "\nrehearsal: {} of {} twins ended remediated or at a manual step{}",
        twins.len() - bad.len(),
        twins.len(),
        if bad.is_empty() { String::new() } else { format!("; look at {} before a real run", bad.join(", ")) }
    ));
    if let Some(stop) = &result.stopped {
        say(format!("the rehearsal {stop}, as a real run of this plan would: the later batches were not rehearsed"));
    }
    say(format!(
        "run folder (kept, marked simulated): {}; `wsusfix report change-request {} --rehearsal {}` cites it",
        out.join("run").display(),
        args.plan.display(),
        out.join("run").display()
    ));
    Ok(ExitCode::from(code))
}

/// A lab profile for a host's twin, from the facts its plan recorded.
fn twin_profile(host: &HostPlan) -> anyhow::Result<String> {
    let Some(os) = host.os else { bail!("plan host {} records no Windows version: it cannot have a twin", host.host) };
    let base = if os.has_uac() { "base-w2008" } else { "base-w2003" };
    let arch = match host.arch {
        Some(Arch::X64) => "x64",
        _ => "x86",
    };
    let token = match host.elevation {
        Some(Elevation::Filtered) => "filtered",
        _ => "elevated",
    };
    let (Some(wsus), Some(dll)) = (host.wsus_version, host.dll_version) else {
        bail!("plan host {} records no WSUS or DLL version: it cannot have a twin", host.host)
    };
    // The SQL tool the plan's backup calls, where the probe found it (the path passed the
    // plan's path check: no quote can end the YAML string).
    let tool = match host.sql_tool.as_ref().and_then(|s| s.tool()) {
        Some(tool) => format!("files:\n  - path: '{}'\n    text: ''\n", tool.path),
        None => String::new(),
    };
    Ok(format!(
        "extends: {base}\ndescription: \"twin of {name}\"\nos_version: \"{os}\"\narch: {arch}\ntoken: {token}\nwsus:\n  version: {wsus}\n  dll_version: {dll}\n{tool}",
        name = host.host
    ))
}
