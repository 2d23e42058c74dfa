//! `wsusfix show PLAN`: a plan as a person reviews it before it runs.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use wsusfix_core::plan::{HostPlan, Plan, Step};
use wsusfix_core::report::text::{printable, serde_name};
use wsusfix_core::report::{duration_text, durations, expect_text, os_label, route_title, PlanScope};

use crate::output;

/// Review a plan: its header, a summary by verdict and OS, then each host's steps with their
/// exact commands.
///
/// The reboot steps are listed apart: they run only with `wsusfix apply --reboot`, when the
/// installer asks for a restart. The back-out steps too: they run only with `wsusfix apply
/// --backout`.
///
/// Exit status: 0 shown; 1 usage or input error (a plan that cannot be read).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  wsusfix show plan.yaml | less\n  wsusfix show plan.yaml --host wsus01\n  wsusfix show plan.yaml --format json"
)]
pub struct Args {
    /// The plan written by `wsusfix plan`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Show only this host.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ShowFormat,
    #[command(flatten)]
    pub knowledge: super::common::KnowledgeArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = Plan::load(&args.plan)?;
    // A plan whose steps do not re-make from its recorded facts was changed after it was made.
    let integrity = wsusfix_core::plan::verify(&plan, &args.knowledge.advisory()?, &args.knowledge.templates()?);
    if let Err(e) = &integrity {
        eprintln!("warning: {e}");
    }
    let hosts: Vec<&HostPlan> = match &args.host {
        Some(name) => vec![find_host(&plan, name, &args.plan)?],
        None => plan.hosts.iter().collect(),
    };
    let text = match args.format {
        ShowFormat::Json => json(&plan, &hosts)?,
        ShowFormat::Text => {
            let mut text = header(&plan, &args.plan, integrity.as_ref().err());
            if args.host.is_none() {
                text.push_str(&summary(&plan));
            }
            for host in &hosts {
                text.push_str(&host_text(host));
            }
            text
        }
    };
    output::emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn find_host<'a>(plan: &'a Plan, name: &str, path: &std::path::Path) -> anyhow::Result<&'a HostPlan> {
    if let Some(host) = plan.hosts.iter().find(|h| h.host == name) {
        return Ok(host);
    }
    let lower = name.to_lowercase();
    let mut names: Vec<&str> = plan.hosts.iter().map(|h| h.host.as_str()).collect();
    names.sort_by_key(|n| (!n.to_lowercase().contains(&lower), *n));
    let shown: Vec<&str> = names.iter().take(5).copied().collect();
    let more = names.len().saturating_sub(shown.len());
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    bail!("host {:?} is not in the plan {}; it has {}{more}", printable(name), path.display(), shown.join(", "))
}

/// The version of the shape of `show --format json`.
const SHOW_FORMAT_VERSION: u32 = 1;

fn json(plan: &Plan, hosts: &[&HostPlan]) -> anyhow::Result<String> {
    let value = serde_json::json!({
        "about": wsusfix_core::about::About::now(SHOW_FORMAT_VERSION, None),
        "header": plan.header,
        "summary": PlanScope::of(&plan.hosts),
        "hosts": hosts,
    });
    Ok(serde_json::to_string_pretty(&value)? + "\n")
}

fn header(plan: &Plan, path: &std::path::Path, changed: Option<&wsusfix_core::plan::IntegrityError>) -> String {
    let h = &plan.header;
    let mut t = String::new();
    let _ = writeln!(t, "Plan {}", path.display());
    let _ = writeln!(t, "  digest     sha256:{} (apply --expect-digest checks it)", plan.digest());
    match changed {
        None => {
            let _ = writeln!(t, "  integrity  every step re-makes from the facts the plan recorded");
        }
        Some(e) => {
            let _ = writeln!(t, "  INTEGRITY  CHANGED: {}", printable(&e.to_string()));
        }
    }
    let _ = writeln!(
        t,
        "  made       {} from {} (wsusfix {}, plan format {})",
        h.created_at,
        printable(&h.created_from),
        printable(&h.wsusfix_version),
        h.format_version
    );
    let _ = writeln!(
        t,
        "  advisory   {} (definition {}): fixed when the client web service DLL is {} or later",
        printable(&h.advisory.id),
        h.advisory.definition_version,
        h.advisory.fixed_file_version
    );
    let _ = writeln!(t, "  RTM hosts  {}", serde_name(&h.rtm_choice));
    let to_change = plan.hosts.iter().filter(|h| !h.steps.is_empty()).count();
    let sizes = match h.batches.batch_sizes(to_change) {
        Ok(sizes) => sizes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        Err(e) => format!("unusable: {e}"),
    };
    let _ = writeln!(
        t,
        "  batches    serial {} (batches of {sizes} for {to_change} hosts to change); stop when more than {}% fail; pause {} between batches",
        h.batches.serial.join(", "),
        h.batches.max_fail_percent,
        duration_text(h.batches.pause_between_secs)
    );
    let _ = writeln!(t, "  packages");
    for p in &h.packages {
        let _ = writeln!(
            t,
            "    {:<14} {} ({} bytes) sha256 {}",
            serde_name(&p.role),
            printable(&p.local.display().to_string()),
            p.size,
            printable(&p.sha256)
        );
    }
    t
}

fn summary(plan: &Plan) -> String {
    let scope = PlanScope::of(&plan.hosts);
    let mut t = String::new();
    let _ = writeln!(t, "\nSummary: {} hosts, {} to change", scope.total, scope.to_change);
    let _ = writeln!(t, "  by verdict");
    for b in &scope.by_verdict {
        let _ = writeln!(t, "    {:<13} {:>4}  {}", b.label, b.count, printable(&b.hosts.join(", ")));
    }
    let _ = writeln!(t, "  by OS");
    for b in &scope.by_os {
        let _ = writeln!(t, "    {}: {} host{}", b.label, b.count, if b.count == 1 { "" } else { "s" });
    }
    t
}

fn host_text(h: &HostPlan) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "\n== {} ==", printable(&h.host));
    let _ = writeln!(t, "  verdict      {}", h.verdict);
    let _ = writeln!(t, "  route        {} ({})", h.route, route_title(h.route));
    let _ = writeln!(t, "  reason       {}", printable(&h.reason));
    let os = os_label(h.os, h.arch);
    let version = h.os.map(|v| format!(" ({v})")).unwrap_or_default();
    let session = h.elevation.map(|e| format!(", session {}", serde_name(&e))).unwrap_or_default();
    let _ = writeln!(t, "  OS           {os}{version}{session}");
    if let Some(groups) = h.groups.as_ref().filter(|g| !g.is_empty()) {
        let _ = writeln!(t, "  groups       {}", printable(&groups.join(", ")));
    }
    let _ = writeln!(t, "  symptoms     {} duplicate-key errors in the server log at scan time", h.symptoms);
    let _ = writeln!(t, "  fingerprint  {}", h.fingerprint.as_deref().map(printable).unwrap_or_else(|| "-".into()));
    if let Some(search) = &h.sql_tool {
        let tool = match search.tool() {
            Some(tool) => format!("{} ({})", tool.kind, printable(&tool.path)),
            None => "none found (no sqlcmd or osql)".to_string(),
        };
        let _ = writeln!(t, "  SUSDB backup {tool}");
    }
    for note in &h.notes {
        let _ = writeln!(t, "  note         {}", printable(note));
    }
    if h.steps.is_empty() {
        let _ = writeln!(t, "  no steps");
    } else {
        section(&mut t, &format!("steps ({})", timing(&h.steps)), &h.steps);
    }
    if !h.elevation_fallback.is_empty() {
        section(
            &mut t,
            "elevation fallback (if the installer answers 740, these run instead of the rest, as SYSTEM)",
            &h.elevation_fallback,
        );
    }
    if !h.reboot.is_empty() {
        section(
            &mut t,
            "reboot: run only with --reboot when the installer asks for a restart (3010/1641), last of all",
            &h.reboot,
        );
    }
    if !h.backout.is_empty() {
        section(&mut t, &format!("back-out: run only with --backout ({})", timing(&h.backout)), &h.backout);
    }
    t
}

fn timing(steps: &[Step]) -> String {
    let (typical, longest) = durations(steps);
    format!("{} steps, typically {}, at most {}", steps.len(), duration_text(typical), duration_text(longest))
}

fn section(t: &mut String, title: &str, steps: &[Step]) {
    let _ = writeln!(t, "  {title}:");
    for (i, step) in steps.iter().enumerate() {
        let cleanup = if step.cleanup { " [cleanup: runs even after a failure]" } else { "" };
        let _ = writeln!(t, "    {:>2}. {}: {}{cleanup}", i + 1, printable(&step.id), printable(&step.description));
        let _ = writeln!(t, "        {:<7} {}", step.action.kind(), printable(&step.action.detail()));
        let _ = writeln!(
            t,
            "        expect  {}; timeout {}",
            printable(&expect_text(&step.expect)),
            duration_text(step.timeout_secs)
        );
        if let Some(command) = &step.on_failure {
            let _ = writeln!(t, "        on failure, to show why: {}", printable(command));
        }
    }
}
