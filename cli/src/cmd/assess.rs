//! `wsusfix assess FILE...`: saved probe output, judged offline by the same reader and rules
//! as a live scan.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use wsusfix_core::advisory::Advisory;
use wsusfix_core::probe::ProbeReader;
use wsusfix_core::scan::{HostResult, ScanReport};

use super::common::KnowledgeArgs;
use crate::output::{self, Format};

/// Assess saved probe output offline, with the same reader and rules as a live scan.
///
/// Each FILE holds what the probe printed on one server (from `wsusfix probe-script` run by
/// hand, or `wsusfix scan --save-facts DIR`). The host is named after the file. Output that is
/// truncated or not a probe's gets the verdict `unknown` with the reason.
///
/// Exit status: 0 nothing affected; 2 affected hosts found; 3 some files could not be
/// assessed (this wins over 2); 1 usage or input error.
#[derive(clap::Args)]
pub struct Args {
    /// Files of saved probe output.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The WSUS install folder the probe looked in (as given to probe-script).
    #[arg(long, value_name = "WINDOWS_PATH")]
    pub wsus_dir: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub knowledge: KnowledgeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let advisory = args.knowledge.advisory()?;
    let dir = args.wsus_dir.clone().unwrap_or_else(|| advisory.default_wsus_dir.clone());
    let mut hosts = Vec::new();
    for file in &args.files {
        hosts.push(assess_file(file, &advisory, &dir)?);
    }
    let mut report = ScanReport::new(hosts);
    report.about = Some(super::scan::about(None));
    output::write_scan(&report, args.format, args.output.as_deref())?;
    Ok(ExitCode::from(report.outcome().exit_code()))
}

/// Streams a file through the probe reader: a saved probe can be as large as its logs.
fn assess_file(path: &Path, advisory: &Advisory, wsus_dir: &str) -> anyhow::Result<HostResult> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = ProbeReader::new(advisory, wsus_dir);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        reader.push(&buf[..n]);
    }
    let host = host_name_of(path);
    Ok(HostResult::from_probe(&host, reader.finish(), advisory))
}

/// `saved/probe-wsus01.txt` → `wsus01`; `wsus01.probe.txt` → `wsus01`.
fn host_name_of(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let name = name.strip_suffix(".txt").unwrap_or(&name);
    let name = name.strip_suffix(".probe").unwrap_or(name);
    name.strip_prefix("probe-").unwrap_or(name).to_string()
}
