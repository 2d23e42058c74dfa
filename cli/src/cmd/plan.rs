//! `wsusfix plan`: scan (or read a saved scan), then write the reviewable plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use wsusfix_core::change::ChangeMeta;
use wsusfix_core::inventory::{Host, Inventory};
use wsusfix_core::plan::{self, BatchPolicy, Plan, PlanChoices, PlanRequest, Route};
use wsusfix_core::scan::{self, ScanEvent, ScanReport, ScanRequest, ScanTools};

use super::common::{parse_duration, ConnectArgs, KnowledgeArgs, RunFormat};
use crate::events::JsonLines;
use crate::progress::ScanProgress;

/// Write a plan: per host, the verdict and the exact steps `apply` will run.
///
/// The plan starts from a scan: a live one of the inventory's hosts, or a saved one
/// (`--from-scan scan.json`, from `wsusfix scan --format json`). Affected SP1 servers get the
/// update installed directly (Server 2003, or 2008 with an elevated session; a 740 at run time
/// falls back to a SYSTEM task) or as SYSTEM through a one-off scheduled task (2008 with a
/// filtered token). RTM servers get the console workaround or, with `--rtm upgrade`, an SP1
/// upgrade first. Every affected host also gets back-out steps, run only when asked.
///
/// Review the plan with `wsusfix show`, document it with `wsusfix report change-request`,
/// rehearse it with `wsusfix lab rehearse`, run it with `wsusfix apply`.
///
/// Exit status: 0 the plan is written; 1 usage or input error (no plan is written).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  wsusfix plan -i inventory.yaml --packages ./packages -o plan.yaml\n  wsusfix plan --from-scan scan.json -i inventory.yaml --packages ./packages --rtm upgrade --serial 1,25%,100% -o plan.yaml"
)]
pub struct Args {
    /// The inventory (required unless --from-scan; with it, supplies each host's temp_dir and groups).
    /// A file (YAML or INI) or a folder, with the group_vars/ and host_vars/ beside it; repeat -i to combine several, later ones winning, as Ansible does.
    #[arg(short, long, value_name = "SOURCE", env = "WSUSFIX_INVENTORY")]
    pub inventory: Vec<PathBuf>,
    /// Only hosts matching this pattern: `web*`, `group`, `a:b`, `a:&b`, `a:!b`, `@retry-file`.
    #[arg(short, long, value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Plan from a saved scan (JSON from `wsusfix scan --format json`) without reconnecting.
    #[arg(long, value_name = "FILE")]
    pub from_scan: Option<PathBuf>,
    /// Where to write the plan.
    #[arg(short, long, value_name = "FILE", default_value = "plan.yaml")]
    pub output: PathBuf,
    /// Folder holding the packages under the advisory's file names (`wsusfix advisory` lists them).
    #[arg(long, value_name = "DIR")]
    pub packages: Option<PathBuf>,
    /// For WSUS 3.0 RTM servers: the console workaround, or an upgrade to SP1 then the update.
    #[arg(long, value_enum, default_value = "workaround")]
    pub rtm: Rtm,
    /// Rolling batches, as Ansible's serial: a canary, then growing batches.
    #[arg(long, value_name = "SIZES", default_value = plan::DEFAULT_SERIAL)]
    pub serial: String,
    /// Stop before the next batch when more than this percent of the hosts done so far failed.
    #[arg(long, value_name = "PERCENT", default_value_t = 0)]
    pub max_fail_percent: u8,
    /// Pause between batches (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub pause_between: String,
    /// The staging folder on hosts whose inventory sets no temp_dir.
    #[arg(long, value_name = "WINDOWS_PATH", default_value = plan::DEFAULT_STAGING_DIR)]
    pub staging_dir: String,
    /// Plan a server that the inventory lists under several names (the same address and port,
    /// or the same computer name) once per name anyway. Without it such a plan is refused.
    #[arg(long)]
    pub allow_aliases: bool,
    /// Take no SUSDB backup before the install. By default each host whose probe found sqlcmd
    /// or osql backs SUSDB up first; the plan says where it cannot.
    #[arg(long)]
    pub no_susdb_backup: bool,
    /// The change this plan is for: ID, type, priority, people, window, communication, back-out
    /// triggers (YAML; inventory/change.example.yaml documents it). Carried in the plan, so its
    /// digest binds the approved change to what runs; `report change-request` shows it.
    #[arg(long, value_name = "FILE")]
    pub meta: Option<PathBuf>,
    /// `text`: a summary on standard error. `json`: JSON lines on standard output, an object
    /// per host the live scan judged, one per planned host (its route and step count), and a
    /// last `result` line with the plan file and its digest.
    #[arg(long, value_enum, default_value = "text")]
    pub format: RunFormat,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub knowledge: KnowledgeArgs,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Rtm {
    Upgrade,
    Workaround,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let advisory = args.knowledge.advisory()?;
    let templates = args.knowledge.templates()?;
    let batches = BatchPolicy {
        serial: BatchPolicy::parse_serial(&args.serial).context("--serial")?,
        max_fail_percent: args.max_fail_percent,
        pause_between_secs: parse_duration(&args.pause_between).context("--pause-between")?.as_secs(),
    };
    batches.validate().context("--max-fail-percent")?;
    super::common::check_writable(&args.output, "-o")?;
    let meta = args.meta.as_deref().map(ChangeMeta::load).transpose()?;
    let inventory = if args.inventory.is_empty() { None } else { Some(Inventory::load_all(&args.inventory)?) };
    let mut json = (args.format == RunFormat::Json).then(|| JsonLines::start("plan"));
    let selected: Vec<Host> = match &inventory {
        Some(inv) => inv.select(args.limit.as_deref())?.into_iter().cloned().collect(),
        None => Vec::new(),
    };
    let (scan, created_from) = match (&args.from_scan, &inventory) {
        (Some(file), _) => (read_scan(file, &selected, inventory.is_some())?, file.display().to_string()),
        (None, Some(inventory)) => {
            let cancel = super::common::cancel_on_interrupt(super::common::FINISH_IN_FLIGHT)?;
            let request = ScanRequest {
                hosts: selected.clone(),
                forks: args.connect.forks,
                probe_timeout: args.connect.probe_timeout(),
                save_facts: None,
            };
            let mut progress = ScanProgress::new("scan", !args.connect.no_progress);
            let connector = args.connect.connector(&selected)?;
            let tools = ScanTools { connector: &connector, advisory: &advisory, templates: &templates, audit: None };
            let report = scan::scan(&request, tools, cancel, &mut |e| {
                if let (Some(json), ScanEvent::HostDone { result, .. }) = (&mut json, e) {
                    json.scan_result(result);
                }
                progress.event(e)
            });
            (report, inventory.source.clone())
        }
        (None, None) => bail!("nothing to plan from: give an inventory (-i FILE) or a saved scan (--from-scan FILE)"),
    };
    let choices = PlanChoices {
        created_from,
        rtm: match args.rtm {
            Rtm::Upgrade => plan::RtmChoice::Upgrade,
            Rtm::Workaround => plan::RtmChoice::Workaround,
        },
        batches,
        packages_dir: args.packages.clone(),
        staging_dir: args.staging_dir.clone(),
        allow_aliases: args.allow_aliases,
        susdb_backup: !args.no_susdb_backup,
    };
    let request = PlanRequest::from_inventory(&selected, choices, &advisory)?;
    let mut plan = plan::build(&scan, &request, &advisory, &templates)?;
    plan.header.change = meta;
    plan.save(&args.output)?;
    eprintln!("{}: {}", args.output.display(), summary(&plan));
    eprintln!("digest sha256:{} (apply --expect-digest checks it)", plan.digest());
    if let Some(json) = &mut json {
        for host in &plan.hosts {
            let fields = serde_json::json!({
                "host": host.host,
                "verdict": host.verdict,
                "route": host.route,
                "steps": host.steps.len(),
                "reason": host.reason,
            });
            json.emit("planned_host", fields);
        }
        let digest = format!("sha256:{}", plan.digest());
        let file = args.output.display().to_string();
        json.emit("result", serde_json::json!({ "exit_code": 0, "plan": file, "digest": digest }));
    }
    Ok(ExitCode::SUCCESS)
}

/// A saved scan, narrowed to the inventory's selection when one is given.
fn read_scan(path: &Path, selected: &[Host], filter: bool) -> anyhow::Result<ScanReport> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: ScanReport = serde_json::from_str(&text).with_context(|| {
        format!("{} is not a scan in JSON (write one with `wsusfix scan --format json -o FILE`)", path.display())
    })?;
    if !filter {
        return Ok(report);
    }
    let hosts = report.hosts.into_iter().filter(|h| selected.iter().any(|s| s.name == h.host)).collect();
    Ok(ScanReport::new(hosts))
}

fn summary(plan: &Plan) -> String {
    let mut routes: BTreeMap<Route, usize> = BTreeMap::new();
    for h in &plan.hosts {
        *routes.entry(h.route).or_default() += 1;
    }
    let fix: Vec<String> = routes
        .iter()
        .filter(|(r, _)| !matches!(r, Route::NothingToDo | Route::NeedsAttention))
        .map(|(r, n)| format!("{n} {r}"))
        .collect();
    let count = |r| routes.get(&r).copied().unwrap_or(0);
    let to_fix: usize =
        routes.iter().filter(|(r, _)| !matches!(r, Route::NothingToDo | Route::NeedsAttention)).map(|(_, n)| *n).sum();
    format!(
        "{to_fix} hosts to fix ({}), {} nothing to do, {} need attention",
        if fix.is_empty() { "none".to_string() } else { fix.join(", ") },
        count(Route::NothingToDo),
        count(Route::NeedsAttention)
    )
}
