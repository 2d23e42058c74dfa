//! Scanning: the engine that probes a fleet ([`engine`]), and its result: one [`HostResult`]
//! per host and a summary, in the shape of the JSON output (`{"hosts": [...], "summary":
//! {...}}`). Built by the engine from live probes or by `wsusfix assess` from saved output;
//! both go through [`HostResult::from_probe`].

mod engine;
mod saved;

pub use engine::{
    partial_report, probe_over, scan, scan_host, scan_streaming, HostPhase, ScanEvent, ScanRequest, ScanTools,
    NOT_SCANNED,
};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::advisory::Advisory;
use crate::assess::{assess_probe, Assessment, Evidence, Verdict, WsusRelease};
use crate::facts::Facts;
use crate::probe::ProbeError;

/// What a scan learned about one host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostResult {
    pub host: String,
    pub verdict: Verdict,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<WsusRelease>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// What connecting did that the user should hear of: a host key recorded on first use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// Wall time of the probe, connection included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl HostResult {
    /// Judges a probe's outcome for `host`.
    pub fn from_probe(host: &str, outcome: Result<Facts, ProbeError>, advisory: &Advisory) -> HostResult {
        let assessment = assess_probe(&outcome, advisory);
        HostResult::new(host, assessment, outcome.ok())
    }

    pub fn new(host: &str, assessment: Assessment, facts: Option<Facts>) -> HostResult {
        let Assessment { verdict, reason, release, evidence, warnings } = assessment;
        let notices = Vec::new();
        HostResult {
            host: host.to_string(),
            verdict,
            reason,
            release,
            facts,
            evidence,
            warnings,
            notices,
            duration_ms: None,
        }
    }

    /// The host's WSUS `VersionString`, if the probe read one.
    pub fn wsus_version(&self) -> Option<String> {
        match self.facts.as_ref().map(|f| &f.wsus) {
            Some(crate::facts::WsusInstall::Installed { version: Some(v), .. }) => Some(v.to_string()),
            _ => None,
        }
    }

    /// The decisive DLL's version, if the probe read one.
    pub fn dll_version(&self) -> Option<String> {
        match self.facts.as_ref().map(|f| &f.dll) {
            Some(crate::facts::DllState::Present { version, .. }) => Some(version.to_string()),
            _ => None,
        }
    }
}

/// Counts per verdict.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub verdicts: BTreeMap<Verdict, usize>,
    pub symptomatic: usize,
}

/// The version of the scan JSON's shape; a reader refuses nothing older, and `about` tells a
/// newer one apart.
pub const SCAN_FORMAT_VERSION: u32 = 1;

/// All hosts of a scan, sorted by verdict (affected first) and then by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// What the JSON is, who wrote it, when, from which inventory (absent from scans written
    /// before it existed, and from reports that combine several scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<crate::about::About>,
    pub hosts: Vec<HostResult>,
    pub summary: Summary,
}

/// A host found in two of the scans [`ScanReport::combine`] was given: the `later` one's result
/// was kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap<L> {
    pub host: String,
    pub earlier: L,
    pub later: L,
}

/// The documented exit codes of `scan` and `assess`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// Every host assessed, none affected: exit 0.
    Clean,
    /// Affected hosts found, every host assessed: exit 2.
    AffectedFound,
    /// Some hosts could not be assessed (unknown or unreachable): exit 3.
    Incomplete,
}

impl ScanOutcome {
    pub fn exit_code(self) -> u8 {
        match self {
            ScanOutcome::Clean => 0,
            ScanOutcome::AffectedFound => 2,
            ScanOutcome::Incomplete => 3,
        }
    }
}

impl ScanReport {
    pub fn new(mut hosts: Vec<HostResult>) -> ScanReport {
        hosts.sort_by(|a, b| a.verdict.cmp(&b.verdict).then_with(|| a.host.cmp(&b.host)));
        let mut summary = Summary { total: hosts.len(), ..Summary::default() };
        for h in &hosts {
            *summary.verdicts.entry(h.verdict).or_default() += 1;
            summary.symptomatic += usize::from(h.evidence.symptomatic);
        }
        ScanReport { about: None, hosts, summary }
    }

    /// Combines the scans of several control machines (or of one site, then a rescan of some
    /// of its hosts) into one report. A host found in more than one scan takes its result from
    /// the last scan given, and each such host is returned as an [`Overlap`] so the caller can
    /// say so: a split fleet should not overlap, and a rescan should be seen to replace.
    pub fn combine<L: Clone>(scans: impl IntoIterator<Item = (L, ScanReport)>) -> (ScanReport, Vec<Overlap<L>>) {
        let mut hosts: BTreeMap<String, (L, HostResult)> = BTreeMap::new();
        let mut overlaps = Vec::new();
        for (label, report) in scans {
            for host in report.hosts {
                let name = host.host.clone();
                if let Some((earlier, _)) = hosts.insert(name.clone(), (label.clone(), host)) {
                    overlaps.push(Overlap { host: name, earlier, later: label.clone() });
                }
            }
        }
        (ScanReport::new(hosts.into_values().map(|(_, h)| h).collect()), overlaps)
    }

    /// An incomplete scan outranks affected hosts: automation must hear that it lacks data.
    pub fn outcome(&self) -> ScanOutcome {
        if self.hosts.iter().any(|h| h.verdict.needs_attention()) {
            ScanOutcome::Incomplete
        } else if self.hosts.iter().any(|h| h.verdict.is_affected()) {
            ScanOutcome::AffectedFound
        } else {
            ScanOutcome::Clean
        }
    }

    /// One line: `12 hosts: 3 affected, 1 affected-rtm, ... (2 symptomatic)`.
    pub fn summary_line(&self) -> String {
        let parts: Vec<String> = self.summary.verdicts.iter().map(|(v, n)| format!("{n} {v}")).collect();
        let hosts = if self.summary.total == 1 { "host" } else { "hosts" };
        format!("{} {hosts}: {} ({} symptomatic)", self.summary.total, parts.join(", "), self.summary.symptomatic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(host: &str, verdict: Verdict) -> HostResult {
        let mut r = HostResult::new(host, Assessment::unknown("x"), None);
        r.verdict = verdict;
        r
    }

    #[test]
    fn sorted_by_verdict_then_name_and_summarised() {
        let report = ScanReport::new(vec![
            result("b", Verdict::NotAffected),
            result("c", Verdict::Affected),
            result("a", Verdict::Affected),
        ]);
        let order: Vec<&str> = report.hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(order, ["a", "c", "b"]);
        assert_eq!(report.summary_line(), "3 hosts: 2 affected, 1 not-affected (0 symptomatic)");
        assert_eq!(report.outcome(), ScanOutcome::AffectedFound);
    }

    #[test]
    fn combined_scans_keep_every_host_once_and_the_last_result_of_an_overlap() {
        let east = ScanReport::new(vec![result("e1", Verdict::Affected), result("both", Verdict::Unreachable)]);
        let west = ScanReport::new(vec![result("w1", Verdict::NotAffected)]);
        let rescan = ScanReport::new(vec![result("both", Verdict::Remediated)]);
        let (all, overlaps) = ScanReport::combine([("east", east), ("west", west), ("rescan", rescan)]);
        let hosts: BTreeMap<&str, Verdict> = all.hosts.iter().map(|h| (h.host.as_str(), h.verdict)).collect();
        let expected = [("both", Verdict::Remediated), ("e1", Verdict::Affected), ("w1", Verdict::NotAffected)];
        assert_eq!(hosts, BTreeMap::from(expected));
        assert_eq!(all.summary.total, 3);
        assert_eq!(all.outcome(), ScanOutcome::AffectedFound, "the unreachable result was replaced");
        assert_eq!(overlaps, [Overlap { host: "both".into(), earlier: "east", later: "rescan" }]);
    }

    #[test]
    fn a_scan_written_before_its_about_header_still_reads() {
        let old = r#"{"hosts": [], "summary": {"total": 0, "verdicts": {}, "symptomatic": 0}}"#;
        let report: ScanReport = serde_json::from_str(old).unwrap();
        assert_eq!(report.about, None);
        let json = serde_json::to_string(&ScanReport::new(vec![])).unwrap();
        assert!(!json.contains("about"), "no header is invented: {json}");
    }

    #[test]
    fn exit_codes() {
        assert_eq!(ScanReport::new(vec![result("a", Verdict::Remediated)]).outcome().exit_code(), 0);
        assert_eq!(ScanReport::new(vec![result("a", Verdict::AffectedRtm)]).outcome().exit_code(), 2);
        assert_eq!(
            ScanReport::new(vec![result("a", Verdict::Affected), result("b", Verdict::Unreachable)])
                .outcome()
                .exit_code(),
            3
        );
    }
}
