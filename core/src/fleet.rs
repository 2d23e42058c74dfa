//! The fleet engine: a bounded pool of workers that probes many hosts at once, so that one
//! hanging or dead host never holds the rest.
//!
//! Each host costs one connection and one round trip. Workers take the next host from a
//! shared cursor; results come back over a channel to the calling thread, which emits
//! [`FleetEvent`]s (the CLI turns them into a progress bar) and assembles the report. Setting
//! the cancel flag stops workers from taking new hosts; hosts never started are reported as
//! `unknown` ("not scanned: cancelled"), so a cancelled scan is still a consistent result.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::advisory::Advisory;
use crate::assess::{Assessment, Verdict};
use crate::connect::ConnectError;
use crate::inventory::Host;
use crate::probe::{self, ProbeReader};
use crate::scan::{HostResult, ScanReport};
use crate::templates::Templates;
use crate::transport::{OutputSink, RemoteShell};

/// Opens a remote shell to a host. The SSH implementation is [`crate::connect::SshConnector`];
/// tests may bring their own.
pub trait Connector: Sync {
    fn connect(&self, host: &Host) -> Result<Box<dyn RemoteShell>, ConnectError>;
}

/// What `scan` needs, already validated. Built by the CLI, consumed by [`scan`].
#[derive(Clone, Debug)]
pub struct ScanRequest {
    pub hosts: Vec<Host>,
    pub forks: NonZeroUsize,
    /// How long the probe may run once connected, unless the host sets `command_timeout`.
    pub command_timeout: Duration,
    /// Where to write each host's raw probe output (`HOST.txt`), for `wsusfix assess`.
    pub save_facts: Option<PathBuf>,
}

/// Progress of a fleet operation, for display.
#[derive(Clone, Debug)]
pub enum FleetEvent {
    Started {
        total: usize,
    },
    HostDone {
        host: String,
        verdict: Verdict,
        elapsed: Duration,
    },
    Finished {
        elapsed: Duration,
    },
    /// `apply`: a batch begins (`batch` counts from 1).
    BatchStarted {
        batch: usize,
        batches: usize,
        hosts: usize,
    },
    /// `apply`: a host is being worked on.
    HostStarted {
        host: String,
    },
    /// `apply`: a host is finished.
    HostApplied {
        host: String,
        outcome: crate::apply::HostOutcome,
        elapsed: Duration,
    },
    /// `apply`: the run stops before its next batch (failure threshold, Ctrl-C).
    Stopped {
        reason: String,
    },
}

/// The default number of hosts worked on at once.
pub const DEFAULT_FORKS: usize = 32;

/// Probes every host of the request and assesses it.
pub fn scan(
    request: &ScanRequest,
    connector: &dyn Connector,
    advisory: &Advisory,
    templates: &Templates,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(FleetEvent),
) -> ScanReport {
    let started = Instant::now();
    let total = request.hosts.len();
    on_event(FleetEvent::Started { total });
    let cursor = AtomicUsize::new(0);
    let workers = request.forks.get().min(total.max(1));
    let mut results: Vec<Option<HostResult>> = vec![None; total];
    // Bounded: a worker blocks rather than pile results up if the caller is slow.
    let (tx, rx) = mpsc::sync_channel::<(usize, HostResult)>(workers);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let cursor = &cursor;
            scope.spawn(move || loop {
                if cancel.load(Ordering::SeqCst) {
                    break;
                }
                let index = cursor.fetch_add(1, Ordering::SeqCst);
                let Some(host) = request.hosts.get(index) else { break };
                let result = scan_host(host, request, connector, advisory, templates);
                if tx.send((index, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (index, result) in rx {
            on_event(FleetEvent::HostDone {
                host: result.host.clone(),
                verdict: result.verdict,
                elapsed: Duration::from_millis(result.duration_ms.unwrap_or(0)),
            });
            results[index] = Some(result);
        }
    });
    let hosts = results
        .into_iter()
        .zip(&request.hosts)
        .map(|(result, host)| {
            result.unwrap_or_else(|| {
                HostResult::new(&host.name, Assessment::unknown("not scanned: the scan was cancelled"), None)
            })
        })
        .collect();
    on_event(FleetEvent::Finished { elapsed: started.elapsed() });
    ScanReport::new(hosts)
}

/// Probes one host: connect, run the probe, read its output as it streams, assess.
pub fn scan_host(
    host: &Host,
    request: &ScanRequest,
    connector: &dyn Connector,
    advisory: &Advisory,
    templates: &Templates,
) -> HostResult {
    let started = Instant::now();
    let mut result = probe_host(host, request, connector, advisory, templates);
    result.duration_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    result
}

fn probe_host(
    host: &Host,
    request: &ScanRequest,
    connector: &dyn Connector,
    advisory: &Advisory,
    templates: &Templates,
) -> HostResult {
    let mut shell = match connector.connect(host) {
        Ok(shell) => shell,
        Err(e) => return HostResult::new(&host.name, Assessment::unreachable(e.to_string()), None),
    };
    let saved = match &request.save_facts {
        Some(dir) => match SavedOutput::create(dir, &host.name) {
            Ok(s) => Some(s),
            Err(e) => return HostResult::new(&host.name, Assessment::unknown(e), None),
        },
        None => None,
    };
    run_probe(&mut *shell, host, request.command_timeout, saved, advisory, templates)
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
    let mut result = run_probe(shell, host, timeout, None, advisory, templates);
    result.duration_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    result
}

/// Runs the probe on an open shell, reads its output as it streams (saving it too, if asked)
/// and assesses the host. `timeout` applies unless the host sets `command_timeout`.
fn run_probe(
    shell: &mut dyn RemoteShell,
    host: &Host,
    timeout: Duration,
    saved: Option<SavedOutput>,
    advisory: &Advisory,
    templates: &Templates,
) -> HostResult {
    let wsus_dir = host.vars.wsus_dir.as_str();
    let command = match probe::render(templates, advisory, wsus_dir) {
        Ok(command) => command,
        Err(e) => {
            return HostResult::new(&host.name, Assessment::unknown(format!("cannot build the probe: {e}")), None)
        }
    };
    let mut sink = ProbeSink { reader: ProbeReader::new(advisory, wsus_dir), saved, save_error: None };
    let timeout = host.vars.command_timeout.unwrap_or(timeout);
    if let Err(e) = shell.exec(&command, timeout, &mut sink) {
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
            if let Err(e) = saved.file.write_all(bytes) {
                self.save_error = Some(format!("cannot save the probe output to {}: {e}", saved.path.display()));
                self.saved = None;
            }
        }
    }

    fn stderr(&mut self, bytes: &[u8]) {
        // The probe folds stderr into stdout itself; a shell's own complaints are noise to it.
        let _ = bytes;
    }
}

struct SavedOutput {
    path: PathBuf,
    file: BufWriter<File>,
}

impl SavedOutput {
    fn create(dir: &Path, host: &str) -> Result<SavedOutput, String> {
        let path = dir.join(format!("{host}.txt"));
        let file =
            File::create(&path).map_err(|e| format!("cannot save the probe output to {}: {e}", path.display()))?;
        Ok(SavedOutput { path, file: BufWriter::new(file) })
    }

    fn finish(mut self) -> Result<(), String> {
        self.file.flush().map_err(|e| format!("cannot save the probe output to {}: {e}", self.path.display()))
    }
}
