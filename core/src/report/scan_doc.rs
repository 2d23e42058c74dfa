//! The scan report: what a scan found, host by host, for the record.

use serde::Serialize;

use super::change_request::HostLine;
use super::messages::Catalogue;
use super::scope::{buckets, by_verdict, os_text, Bucket};
use super::text::Escape;
use crate::scan::{HostResult, ScanOutcome, ScanReport};

/// Everything `docs/scan.*.tera` can use.
#[derive(Clone, Debug, Serialize)]
pub struct ScanDoc {
    pub summary_line: String,
    pub total: usize,
    pub symptomatic: usize,
    /// `clean`, `affected-found` or `incomplete`, with the exit code `scan` gave.
    pub outcome: &'static str,
    pub exit_code: u8,
    pub by_verdict: Vec<Bucket>,
    pub by_os: Vec<Bucket>,
    pub hosts: Vec<ScanHostView>,
    pub attention: Vec<HostLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScanHostView {
    pub host: String,
    pub verdict: String,
    pub os: String,
    pub release: String,
    pub wsus_version: String,
    /// Release and version together: `WSUS 3.0 SP1 (3.1.6001.65)`, or `-`.
    pub wsus: String,
    pub dll_version: String,
    pub symptoms: u64,
    pub last_symptom: String,
    pub client_errors: u64,
    pub reason: String,
    pub warnings: Vec<String>,
}

impl ScanDoc {
    /// The report of `report`, its words in the language of `msg`.
    pub fn new(report: &ScanReport, esc: Escape, msg: &Catalogue) -> ScanDoc {
        let mut hosts: Vec<&HostResult> = report.hosts.iter().collect();
        hosts.sort_by(|a, b| a.verdict.cmp(&b.verdict).then_with(|| a.host.cmp(&b.host)));
        let escape = |b: Vec<Bucket>| -> Vec<Bucket> {
            b.into_iter()
                .map(|b| Bucket {
                    label: esc.text(&b.label),
                    count: b.count,
                    hosts: b.hosts.iter().map(|h| esc.text(h)).collect(),
                })
                .collect()
        };
        let outcome = report.outcome();
        ScanDoc {
            summary_line: esc.text(&summary_line(report, msg)),
            total: hosts.len(),
            symptomatic: hosts.iter().filter(|h| h.evidence.symptomatic).count(),
            outcome: match outcome {
                ScanOutcome::Clean => "clean",
                ScanOutcome::AffectedFound => "affected-found",
                ScanOutcome::Incomplete => "incomplete",
            },
            exit_code: outcome.exit_code(),
            by_verdict: escape(by_verdict(hosts.iter().map(|h| (h.verdict, h.host.as_str())))),
            by_os: escape(buckets(hosts.iter().map(|h| (os_of(h, msg), h.host.clone())))),
            hosts: hosts.iter().map(|h| host_view(h, esc, msg)).collect(),
            attention: hosts
                .iter()
                .filter(|h| h.verdict.needs_attention())
                .map(|h| HostLine {
                    host: esc.text(&h.host),
                    verdict: h.verdict.to_string(),
                    reason: esc.text(&h.reason),
                })
                .collect(),
        }
    }
}

/// `12 hosts: 3 affected, 1 affected-rtm, ... (2 symptomatic)`, as
/// [`ScanReport::summary_line`] says it, in the words of `msg`.
fn summary_line(report: &ScanReport, msg: &Catalogue) -> String {
    let counts: Vec<String> = report
        .summary
        .verdicts
        .iter()
        .map(|(v, n)| msg.text("scan.count", &[("n", n), ("label", &msg.label("verdict", &v.to_string()))]))
        .collect();
    msg.text(
        "scan.summary",
        &[("n", &report.summary.total), ("counts", &msg.list(&counts)), ("symptomatic", &report.summary.symptomatic)],
    )
}

fn os_of(h: &HostResult, msg: &Catalogue) -> String {
    match &h.facts {
        Some(f) => os_text(f.os, f.arch, msg),
        None => os_text(None, None, msg),
    }
}

fn host_view(h: &HostResult, esc: Escape, msg: &Catalogue) -> ScanHostView {
    let dash = || "-".to_string();
    let server = &h.evidence.server_log;
    ScanHostView {
        host: esc.text(&h.host),
        verdict: h.verdict.to_string(),
        os: os_of(h, msg),
        release: h.release.map(|r| r.to_string()).unwrap_or_else(dash),
        wsus_version: h.wsus_version().unwrap_or_else(dash),
        wsus: match (h.release, h.wsus_version()) {
            (Some(r), Some(v)) => format!("{r} ({v})"),
            (Some(r), None) => r.to_string(),
            (None, Some(v)) => v,
            (None, None) => dash(),
        },
        dll_version: h.dll_version().unwrap_or_else(dash),
        symptoms: server.matches,
        last_symptom: server.last_time.map(|t| t.to_string()).unwrap_or_else(dash),
        client_errors: h.evidence.client_log.matches,
        reason: esc.text(&h.reason),
        warnings: h.warnings.iter().map(|w| esc.text(w)).collect(),
    }
}
