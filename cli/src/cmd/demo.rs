//! `wsusfix demo`: the main job end to end against an embedded simulated fleet.
//!
//! It starts the lab in this process (a host of every profile behind a real SSH server on
//! 127.0.0.1), then runs the very commands a user would, one after the other, against it:
//! scan, plan, change request, apply in batches, rescan, result report. It finishes by
//! checking that every host ended as its profile implies, and exits 0 only then.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use wsusfix_core::inventory::Inventory;
use wsusfix_lab::{host_name, parse_mix, HostSpec, Lab, LabConfig};

/// Hosts of the demo beyond the default mix: languages, code pages and SSH servers as found.
const WORLD: [&str; 6] = [
    "w2003-sp1-unpatched@zh-CN",
    "w2008-sp1-unpatched@zh-CN+cygwin",
    "w2008-sp1-unpatched-elevated@ja-JP+freesshd",
    "w2003-rtm@de-DE+cygwin",
    "w2008-sp1-patched@fr-FR+bitvise",
    "w2003-no-wsus@zh-CN+freesshd",
];

/// Run the whole job against an embedded simulated fleet and show what happened.
///
/// A lab of simulated Windows Server 2003/2008 WSUS servers (every profile: affected,
/// RTM, patched, SP2, WSUS 2.0, console-only, no WSUS, and the faults: unreachable, hanging,
/// dropping, refusing authentication, changed host key, garbage, busy installer, failing
/// installer, slow) starts on 127.0.0.1 behind a real SSH server. Then the real commands run
/// against it: scan, plan, report change-request, apply in batches, scan again to verify,
/// report result. Every artefact lands in one folder. Exit status 0 means every host ended as
/// its profile implies.
/// 1 means one did not, or the demo could not run (the error says which).
#[derive(clap::Args)]
pub struct Args {
    /// Where to write the artefacts (default: ./wsusfix-demo-TIMESTAMP).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How many simulated hosts (the profiles are shared out among them).
    #[arg(long, default_value_t = 36)]
    pub hosts: usize,
}

/// How each profile must end: (apply outcome, verdict on the rescan).
fn expected(profile: &str) -> Option<(&'static str, &'static str)> {
    Some(match profile {
        "w2003-sp1-unpatched"
        | "w2008-sp1-unpatched"
        | "w2008-sp1-unpatched-elevated"
        | "installer-busy"
        | "slow"
        | "w2003-rtm" => ("remediated", "remediated"),
        "install-fails" => ("failed", "affected"),
        "w2008-sp1-patched" => ("not-needed", "remediated"),
        "w2003-sp2" | "sbs2003-wsus2" | "w2008-console-only" | "w2003-no-wsus" => ("not-needed", "not-affected"),
        "unreachable" | "auth-fail" | "hostkey-changed" => ("needs-attention", "unreachable"),
        "hang" | "drop" | "garbage" => ("needs-attention", "unknown"),
        _ => return None,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let out = args.out.clone().unwrap_or_else(|| {
        let stamp = wsusfix_core::apply::journal::run_id(wsusfix_core::time::UtcTime::now());
        PathBuf::from(format!("wsusfix-demo-{stamp}"))
    });
    if out.exists() && std::fs::read_dir(&out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} already exists and is not empty: choose another folder with --out", out.display());
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = |name: &str| out.join(name).display().to_string();

    println!("wsusfix demo: {} simulated WSUS servers on 127.0.0.1, every profile the lab knows.", args.hosts);
    println!("Artefacts go to {}/\n", out.display());

    // Every profile, then the same Windows as found in the field: Chinese and Japanese servers,
    // a Cygwin-based SSH server (bash runs commands, exit statuses lose all but 8 bits) and a
    // 32-bit one on 64-bit Windows (the WOW64 registry view, no exit status).
    let mut hosts = parse_mix("default", args.hosts, &[])?;
    for (i, spec) in WORLD.iter().enumerate() {
        hosts.push(HostSpec::new(&host_name(args.hosts + i), spec)?);
    }
    println!("and {} more as found in the field: {}", WORLD.len(), WORLD.join(", "));
    let lab = Lab::start(LabConfig { hosts, ..LabConfig::default() })?;
    let artifacts = lab.write_artifacts(&out.join("lab"))?;
    let inventory = artifacts.inventory.display().to_string();
    super::lab::write_packages(&out.join("packages"))?;
    // The lab is on loopback: the operator's OpenSSH configuration (-F none) is for the fleet.
    let timeouts = ["--probe-timeout", "5", "--connect-timeout", "5", "--no-progress", "-F", "none"];

    step("1. Scan every host in one round trip", "scan.json, scan.md");
    let code = wsusfix(
        &["scan", "-i", &inventory, "--format", "json", "-o", &path("scan.json"), "--save-facts", &path("facts")],
        &timeouts,
    )?;
    expect_code(code, &[2, 3], "scan")?;
    wsusfix(&["report", "scan", &path("scan.json"), "--format", "md", "-o", &path("scan.md")], &[])?;

    step(
        "2. Plan the fix from that scan, for change CHG0031337",
        "change.yaml, plan.yaml (review it with `wsusfix show`)",
    );
    std::fs::write(path("change.yaml"), CHANGE_EXAMPLE)
        .with_context(|| format!("cannot write {}", path("change.yaml")))?;
    wsusfix(
        &[
            "plan",
            "--from-scan",
            &path("scan.json"),
            "-i",
            &inventory,
            "--packages",
            &path("packages"),
            "--meta",
            &path("change.yaml"),
            "-o",
            &path("plan.yaml"),
        ],
        &["--rtm", "upgrade", "--serial", "1,25%,100%", "--max-fail-percent", "50"],
    )?;

    step("3. Write the change request", "change-request.md, change-request.html, change-request.zh-CN.md");
    for format in ["md", "html"] {
        let file = path(&format!("change-request.{format}"));
        wsusfix(&["report", "change-request", &path("plan.yaml"), "--format", format, "-o", &file], &[])?;
    }
    // The same document for a board that reads Chinese (the advisory's own language).
    let file = path("change-request.zh-CN.md");
    wsusfix(&["report", "change-request", &path("plan.yaml"), "--lang", "zh-CN", "-o", &file], &[])?;

    step(
        "4. Apply the plan in batches: a canary, then 25%, then the rest",
        "run/ (journal.jsonl, outcome.json, failed-hosts)",
    );
    let code = wsusfix(
        &["apply", &path("plan.yaml"), "-i", &inventory, "--yes", "--run-dir", &path("run"), "--retry-delay", "1s"],
        &timeouts,
    )?;
    expect_code(code, &[0, 4], "apply")?;

    step("5. Verify: scan again; only the DLL version read back counts", "rescan.json");
    let code = wsusfix(&["scan", "-i", &inventory, "--format", "json", "-o", &path("rescan.json")], &timeouts)?;
    expect_code(code, &[0, 2, 3], "rescan")?;

    step("6. Write the result report for the change record", "result.md, result.html");
    for format in ["md", "html"] {
        wsusfix(
            &["report", "result", &path("run"), "--format", format, "-o", &path(&format!("result.{format}"))],
            &[],
        )?;
    }
    lab.shutdown();

    let verdicts = check(&artifacts.inventory, &out)?;
    println!("\n{verdicts}");
    println!("Finished in {:.1} s. Everything is in {}/", started.elapsed().as_secs_f64(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// The change metadata the demo plans for: the repository's documented example.
const CHANGE_EXAMPLE: &str = include_str!("../../../inventory/change.example.yaml");

fn step(title: &str, writes: &str) {
    println!("\n== {title}  ->  {writes}");
}

fn wsusfix(args: &[&str], extra: &[&str]) -> anyhow::Result<ExitCode> {
    let line: Vec<String> = args.iter().chain(extra).map(|s| s.to_string()).collect();
    println!("$ wsusfix {}", line.join(" "));
    crate::run_command_line(&line)
}

fn expect_code(code: ExitCode, allowed: &[u8], what: &str) -> anyhow::Result<()> {
    if allowed.iter().any(|&c| ExitCode::from(c) == code) {
        return Ok(());
    }
    bail!("{what} exited with {code:?}, expected one of {allowed:?}")
}

/// Compares every host's apply outcome and rescan verdict with what its profile implies.
fn check(inventory: &Path, out: &Path) -> anyhow::Result<String> {
    let inventory = Inventory::load(inventory)?;
    let read = |name: &str| -> anyhow::Result<serde_json::Value> {
        let path = out.join(name);
        serde_json::from_slice(&std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?)
            .with_context(|| format!("{} is not JSON", path.display()))
    };
    let outcome = read("run/outcome.json")?;
    let rescan = read("rescan.json")?;
    let field = |doc: &serde_json::Value, host: &str, key: &str| -> String {
        doc["hosts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| h["host"] == host)
            .map(|h| h[key].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let mut wrong = Vec::new();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for host in &inventory.hosts {
        let profile = host.vars.lab_profile.as_ref().map(|p| p.to_string()).unwrap_or_default();
        // `w2008-sp1-unpatched@zh-CN+cygwin`: the language and SSH server change nothing here.
        let base = profile.split(['@', '+']).next().unwrap_or_default();
        let Some((want_outcome, want_verdict)) = expected(base) else {
            wrong.push(format!("{}: profile {profile} has no expectation", host.name));
            continue;
        };
        // Hosts without steps have no apply outcome of their own: their plan route says it.
        let got_outcome = match field(&outcome, &host.name, "outcome") {
            o if o.is_empty() => "not-needed".to_string(),
            o => o,
        };
        let got_verdict = field(&rescan, &host.name, "verdict");
        let outcome_ok = got_outcome == want_outcome || (want_outcome == "not-needed" && got_outcome == "skipped");
        if !outcome_ok || got_verdict != want_verdict {
            wrong.push(format!(
                "{} ({profile}): apply said {got_outcome}, rescan said {got_verdict}; expected {want_outcome} and {want_verdict}",
                host.name
            ));
        }
        *tally.entry(got_outcome).or_default() += 1;
    }
    if !wrong.is_empty() {
        bail!("{} host(s) did not end as their profile implies:\n  {}", wrong.len(), wrong.join("\n  "));
    }
    let parts: Vec<String> = tally.iter().map(|(o, n)| format!("{n} {o}")).collect();
    Ok(format!(
        "Check passed: all {} hosts ended as their profiles imply ({}). Every `remediated` host had DLL 3.1.6001.66 read back, and the rescan agrees.",
        inventory.hosts.len(),
        parts.join(", ")
    ))
}
