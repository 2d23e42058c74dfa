//! `wsusfix scan`: probe every selected host in one round trip and assess it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::Context;
use wsusfix_core::about::{About, InventoryRef};
use wsusfix_core::audit::AuditLog;
use wsusfix_core::scan::{self, ScanEvent, ScanReport, ScanRequest, ScanTools};

use super::common::{ConnectArgs, KnowledgeArgs, TargetArgs};
use crate::output::{self, Format};
use crate::progress::ScanProgress;

/// Probe the selected hosts over SSH and tell which need the KB954960 fix.
///
/// Each host gets one connection and one round trip: a read-only cmd.exe line that reads the
/// WSUS registry key, the client web service DLL's version, the services and the logs. Hosts are
/// probed --forks at a time; a host that hangs is given up on after --probe-timeout without
/// holding the rest. Host keys are checked strictly against known_hosts. --audit keeps a record
/// of every command run. Ctrl-C stops at once: the hosts judged so far are written, the others
/// are `unknown` (interrupted), and the exit status is 130.
///
/// Exit status: 0 scan complete, nothing affected; 2 affected hosts found; 3 some hosts could
/// not be assessed (unreachable or unknown; this wins over 2); 130 interrupted; 1 usage or
/// input error.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  wsusfix scan -i inventory.yaml\n  wsusfix scan -i inventory.yaml --limit 'datacenter_a:!wsus-old*' --format json -o scan.json\n  wsusfix scan -i inventory.yaml --save-facts facts/ && wsusfix assess facts/*.txt"
)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the result to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Save each host's raw probe output as DIR/HOST.txt (readable by `wsusfix assess`).
    #[arg(long, value_name = "DIR")]
    pub save_facts: Option<PathBuf>,
    /// Append every remote command run (host, command, timing, exit status, output size) to
    /// this file, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
    #[command(flatten)]
    pub knowledge: KnowledgeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let advisory = args.knowledge.advisory()?;
    let templates = args.knowledge.templates()?;
    if let Some(path) = &args.output {
        super::common::check_writable(path, "-o")?;
    }
    let (hosts, inventory) = args.target.select()?;
    if let Some(dir) = &args.save_facts {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let request = ScanRequest {
        hosts,
        forks: args.connect.forks,
        probe_timeout: args.connect.probe_timeout(),
        save_facts: args.save_facts.clone(),
    };
    let audit = args.audit.as_deref().map(AuditLog::open).transpose()?;
    let connector = args.connect.connector(&request.hosts)?;
    let tools = ScanTools { connector: &connector, advisory: &advisory, templates: &templates, audit: audit.as_ref() };
    let cancel = super::common::cancel_on_interrupt(READ_ONLY_STOP)?;
    let mut progress = ScanProgress::new("scan", !args.connect.no_progress);
    let finish = |report: &mut ScanReport| -> anyhow::Result<()> {
        report.about = Some(about(Some(inventory.clone())));
        output::write_scan(report, args.format, args.output.as_deref())?;
        if args.output.is_some() {
            eprintln!("{}", report.summary_line());
        }
        if let Some(e) = audit.as_ref().and_then(AuditLog::error) {
            eprintln!("warning: {e}");
        }
        Ok(())
    };
    // The scan runs beside this thread, which collects its results (the only copy of them). A
    // probe only reads, so
    // nothing is left half done when the first Ctrl-C stops the scan at once: the results so
    // far are written, every other host is `unknown` (interrupted), and the process exits 130
    // without waiting for the probes in flight.
    std::thread::scope(|scope| {
        let (events, received) = mpsc::channel();
        scope.spawn(|| {
            let events = events;
            scan::scan_streaming(&request, tools, cancel, &mut |e| {
                let _ = events.send(e);
            })
        });
        let mut results = vec![None; request.hosts.len()];
        loop {
            match received.recv_timeout(Duration::from_millis(100)) {
                Ok(event) => {
                    progress.event(&event);
                    if let ScanEvent::HostDone { index, result } = event {
                        if let Some(slot) = results.get_mut(index) {
                            *slot = Some(*result);
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) if cancel.load(Ordering::SeqCst) => {
                    progress.event(&ScanEvent::Finished { elapsed: Duration::ZERO });
                    let mut report = scan::partial_report(&request.hosts, results, INTERRUPTED);
                    finish(&mut report)?;
                    eprintln!("interrupted: the result above holds the hosts judged before the stop");
                    std::process::exit(130);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // Every event has come (the scan's side of the channel is gone): this is the whole result.
        let mut report = scan::partial_report(&request.hosts, results, scan::NOT_SCANNED);
        finish(&mut report)?;
        Ok(ExitCode::from(report.outcome().exit_code()))
    })
}

/// What a scan's JSON says about itself: format, tool, time, and the inventory if there is one.
pub fn about(inventory: Option<InventoryRef>) -> About {
    About::now(scan::SCAN_FORMAT_VERSION, inventory)
}

/// What the first Ctrl-C of a scan says: probes only read, so it stops at once.
const READ_ONLY_STOP: &str = "interrupted: stopping now and writing the hosts judged so far (the probes only read)";

/// Why a host a stopped scan did not judge is `unknown`.
const INTERRUPTED: &str = "interrupted: the scan was stopped (Ctrl-C) before this host was judged";
