//! The scan engine: every host of a [`ScanRequest`] probed on the bounded pool of
//! [`crate::fleet`], one connection and one round trip each, and assessed.
//!
//! Setting the cancel flag stops workers from taking new hosts; hosts never started are
//! reported as `unknown` ("not scanned: cancelled"), so a cancelled scan is still a consistent
//! result. `apply` re-probes through [`probe_over`], on the connection it then runs steps on.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::saved::SavedOutput;
use super::{HostResult, ScanReport};
use crate::advisory::Advisory;
use crate::assess::Assessment;
use crate::audit::AuditLog;
use crate::connector::Connector;
use crate::fleet::{self, PoolEvent};
use crate::inventory::Host;
use crate::probe::{ProbeCommands, ProbeReader};
use crate::shell;
use crate::templates::Templates;
use crate::time::millis;
use crate::transport::{OutputSink, RemoteShell};

/// What `scan` needs, already validated. Built by the CLI, consumed by [`scan`].
#[derive(Clone, Debug)]
pub struct ScanRequest {
    pub hosts: Vec<Host>,
    pub forks: NonZeroUsize,
    /// How long the read-only probe may run once connected, unless the host sets
    /// `probe_timeout`: its own bound, shorter than an installer's (`command_timeout`), so one
    /// hung host does not hold a scan for minutes.
    pub probe_timeout: Duration,
    /// Where to write each host's raw probe output (`HOST.txt`), for `wsusfix assess`.
    pub save_facts: Option<PathBuf>,
}

/// What a scan needs besides the request: how to reach hosts, what to look for, and where the
/// audit trail goes.
#[derive(Clone, Copy)]
pub struct ScanTools<'a> {
    pub connector: &'a dyn Connector,
    pub advisory: &'a Advisory,
    pub templates: &'a Templates,
    /// Every remote command run, written as each host finishes (`scan --audit FILE`).
    pub audit: Option<&'a AuditLog>,
}

/// Progress of a scan, for display, and each host's result as it is judged (the request's
/// host `index`), so a caller that must stop at once still has every result so far (see
/// [`partial_report`]).
#[derive(Clone, Debug)]
pub enum ScanEvent {
    Started {
        total: usize,
    },
    /// A host is being worked on, and what it waits on now.
    HostPhase {
        index: usize,
        host: String,
        phase: HostPhase,
    },
    HostDone {
        index: usize,
        result: Box<HostResult>,
    },
    Finished {
        elapsed: Duration,
    },
}

/// Probes every host of the request and assesses it.
pub fn scan(
    request: &ScanRequest,
    tools: ScanTools<'_>,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(&ScanEvent),
) -> ScanReport {
    let mut results: Vec<Option<HostResult>> = vec![None; request.hosts.len()];
    scan_streaming(request, tools, cancel, &mut |event| {
        on_event(&event);
        if let ScanEvent::HostDone { index, result } = event {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(*result);
            }
        }
    });
    partial_report(&request.hosts, results, NOT_SCANNED)
}

/// Why a host a cancelled scan never started is `unknown`.
pub const NOT_SCANNED: &str = "not scanned: the scan was cancelled";

/// Probes every host of the request and hands each result to `on_event` as it is judged,
/// keeping none: the caller that collects them (see [`partial_report`]) holds the only copy.
pub fn scan_streaming(
    request: &ScanRequest,
    tools: ScanTools<'_>,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(ScanEvent),
) {
    let started = Instant::now();
    on_event(ScanEvent::Started { total: request.hosts.len() });
    let stop = || cancel.load(Ordering::SeqCst);
    let probes = ProbeCommands::new(tools.templates, tools.advisory);
    let work = |host: &Host, report: &dyn Fn(HostPhase)| scan_host(host, request, tools, &probes, report);
    fleet::run(&request.hosts, request.forks, stop, work, &mut |event| match event {
        PoolEvent::Done { index, result, .. } => on_event(ScanEvent::HostDone { index, result: Box::new(result) }),
        PoolEvent::Progress { index, progress } => {
            let host = request.hosts.get(index).map(|h| h.name.clone()).unwrap_or_default();
            on_event(ScanEvent::HostPhase { index, host, phase: progress })
        }
        PoolEvent::Started { .. } => {}
    });
    on_event(ScanEvent::Finished { elapsed: started.elapsed() });
}

/// The report of a scan that may not have judged every host: `results` holds what was judged,
/// by the request's host index; every other host is `unknown` for `reason`.
pub fn partial_report(hosts: &[Host], results: Vec<Option<HostResult>>, reason: &str) -> ScanReport {
    let hosts = results
        .into_iter()
        .chain(std::iter::repeat(None))
        .zip(hosts)
        .map(|(result, host)| result.unwrap_or_else(|| HostResult::new(&host.name, Assessment::unknown(reason), None)))
        .collect();
    ScanReport::new(hosts)
}

/// What a host being scanned waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostPhase {
    /// TCP, the SSH handshake, the host key, authentication.
    Connecting,
    /// The probe runs and its output is read.
    Probing,
}

impl std::fmt::Display for HostPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HostPhase::Connecting => "connecting",
            HostPhase::Probing => "probing",
        })
    }
}

/// Probes one host: connect, run the probe, read its output as it streams, assess; `report`
/// hears each phase as it begins.
pub fn scan_host(
    host: &Host,
    request: &ScanRequest,
    tools: ScanTools<'_>,
    probes: &ProbeCommands<'_>,
    report: &dyn Fn(HostPhase),
) -> HostResult {
    let _span = tracing::info_span!("host", host = %host.name).entered();
    let started = Instant::now();
    report(HostPhase::Connecting);
    let mut result = match tools.connector.connect(host) {
        Ok(mut shell) => {
            report(HostPhase::Probing);
            let notices = shell.take_notices();
            let mut result = match &request.save_facts {
                Some(dir) => match SavedOutput::create(dir, &host.name) {
                    Ok(saved) => {
                        run_probe(&mut *shell, host, request.probe_timeout, Some(saved), tools.advisory, probes)
                    }
                    Err(e) => HostResult::new(&host.name, Assessment::unknown(e), None),
                },
                None => run_probe(&mut *shell, host, request.probe_timeout, None, tools.advisory, probes),
            };
            if let Some(audit) = tools.audit {
                audit.record(&host.name, shell.take_records());
            }
            result.notices = notices;
            result
        }
        Err(e) => HostResult::new(&host.name, Assessment::unreachable(e.to_string()), None),
    };
    result.duration_ms = Some(millis(started.elapsed()));
    tracing::info!(verdict = %result.verdict, reason = %result.reason, ms = result.duration_ms, "judged");
    result
}

/// Probes a host over a shell that is already open (`apply` re-probes over the connection it
/// then runs the steps on): the same probe, read and assessed as [`scan_host`] does.
pub fn probe_over(
    shell: &mut dyn RemoteShell,
    host: &Host,
    timeout: Duration,
    advisory: &Advisory,
    templates: &Templates,
) -> HostResult {
    let started = Instant::now();
    let probes = ProbeCommands::new(templates, advisory);
    let mut result = run_probe(shell, host, timeout, None, advisory, &probes);
    result.duration_ms = Some(millis(started.elapsed()));
    result
}

/// Runs the probe on an open shell, reads its output as it streams (saving it too, if asked)
/// and assesses the host. `timeout` applies unless the host sets `probe_timeout`.
fn run_probe(
    shell: &mut dyn RemoteShell,
    host: &Host,
    timeout: Duration,
    saved: Option<SavedOutput>,
    advisory: &Advisory,
    probes: &ProbeCommands<'_>,
) -> HostResult {
    let wsus_dir = host.wsus_dir(advisory);
    let command = match probes.for_dir(wsus_dir) {
        Ok(command) => command,
        Err(e) => {
            return HostResult::new(&host.name, Assessment::unknown(format!("cannot build the probe: {e}")), None)
        }
    };
    let mut sink = ProbeSink { reader: ProbeReader::new(advisory, wsus_dir), saved, save_error: None };
    let timeout = host.vars.probe_timeout.unwrap_or(timeout);
    if let Err(e) = shell::run(shell, host.shell_type(), &command, timeout, &mut sink) {
        return HostResult::new(&host.name, Assessment::unknown(e.to_string()), None);
    }
    let ProbeSink { reader, saved, save_error } = sink;
    let mut result = HostResult::from_probe(&host.name, reader.finish(), advisory);
    if let Some(e) = save_error.or_else(|| saved.and_then(|s| s.finish().err())) {
        result.warnings.push(e);
    }
    result
}

/// Feeds the probe reader and, if asked, a file of the raw output.
struct ProbeSink<'a> {
    reader: ProbeReader<'a>,
    saved: Option<SavedOutput>,
    save_error: Option<String>,
}

impl OutputSink for ProbeSink<'_> {
    fn stdout(&mut self, bytes: &[u8]) {
        self.reader.push(bytes);
        if let Some(saved) = &mut self.saved {
            if let Err(e) = saved.write(bytes) {
                self.save_error = Some(e);
                self.saved = None;
            }
        }
    }

    fn stderr(&mut self, bytes: &[u8]) {
        // The probe folds stderr into stdout itself; a shell's own complaints are noise to it.
        let _ = bytes;
    }
}
