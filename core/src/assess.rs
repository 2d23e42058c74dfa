//! The KB954960 rules: facts in, a verdict and the evidence behind it out.
//!
//! This module never does I/O. Each rule of the advisory's "who is affected" table (`docs/kb954960.md`) is one branch
//! of [`assess`] and one unit test below.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::advisory::Advisory;
use crate::facts::{DllState, Facts, LogEvidence, WsusInstall};
use crate::probe::ProbeError;
use crate::version::FileVersion;

/// What wsusfix concluded about a host. The kebab-case names are part of the JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// WSUS 3.0 SP1 without the fixed DLL: install the update.
    Affected,
    /// WSUS 3.0 RTM: the update does not apply; workaround or upgrade to SP1 first.
    AffectedRtm,
    /// The probe could not decide; the reason says why.
    Unknown,
    /// No connection could be made.
    Unreachable,
    /// The fixed DLL is present, read back from the host.
    Remediated,
    /// No WSUS server role, console only, WSUS 2.0, or 3.0 SP2 and later.
    NotAffected,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Affected,
        Verdict::AffectedRtm,
        Verdict::Unknown,
        Verdict::Unreachable,
        Verdict::Remediated,
        Verdict::NotAffected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Affected => "affected",
            Verdict::AffectedRtm => "affected-rtm",
            Verdict::Remediated => "remediated",
            Verdict::NotAffected => "not-affected",
            Verdict::Unreachable => "unreachable",
            Verdict::Unknown => "unknown",
        }
    }

    /// Whether the host needs the fix.
    pub fn is_affected(self) -> bool {
        matches!(self, Verdict::Affected | Verdict::AffectedRtm)
    }

    /// Whether the host could not be assessed.
    pub fn needs_attention(self) -> bool {
        matches!(self, Verdict::Unknown | Verdict::Unreachable)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The WSUS release a `VersionString` belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WsusRelease {
    Wsus2,
    Rtm,
    Sp1,
    Sp2OrLater,
    Other,
}

impl WsusRelease {
    pub fn of(version: FileVersion, advisory: &Advisory) -> WsusRelease {
        let r = &advisory.releases;
        if r.sp1.contains(version) {
            WsusRelease::Sp1
        } else if r.rtm.contains(version) {
            WsusRelease::Rtm
        } else if r.fixed_release.contains(version) {
            WsusRelease::Sp2OrLater
        } else if r.wsus2.contains(version) {
            WsusRelease::Wsus2
        } else {
            WsusRelease::Other
        }
    }
}

impl fmt::Display for WsusRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WsusRelease::Wsus2 => "WSUS 2.0",
            WsusRelease::Rtm => "WSUS 3.0 RTM",
            WsusRelease::Sp1 => "WSUS 3.0 SP1",
            WsusRelease::Sp2OrLater => "WSUS 3.0 SP2 or later",
            WsusRelease::Other => "unknown WSUS release",
        })
    }
}

/// The log evidence of the symptom.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The server log has the duplicate-key error: the host is failing its clients now.
    pub symptomatic: bool,
    pub server_log: LogEvidence,
    pub client_log: LogEvidence,
}

/// A verdict, why, and what supports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<WsusRelease>,
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Assessment {
    /// A host that could not be reached at all.
    pub fn unreachable(reason: impl Into<String>) -> Assessment {
        Assessment::without_facts(Verdict::Unreachable, reason)
    }

    /// A host reached whose answer could not be read as a probe.
    pub fn unknown(reason: impl Into<String>) -> Assessment {
        Assessment::without_facts(Verdict::Unknown, reason)
    }

    fn without_facts(verdict: Verdict, reason: impl Into<String>) -> Assessment {
        Assessment {
            verdict,
            reason: reason.into(),
            release: None,
            evidence: Evidence::default(),
            warnings: Vec::new(),
        }
    }
}

/// Assesses a probe's outcome: facts are judged by the rules; output that could not be read
/// as a probe at all is `unknown`, with the reader's reason.
pub fn assess_probe(outcome: &Result<Facts, ProbeError>, advisory: &Advisory) -> Assessment {
    match outcome {
        Ok(facts) => assess(facts, advisory),
        Err(err) => Assessment::unknown(err.to_string()),
    }
}

/// Applies the KB954960 rules to one host's facts.
pub fn assess(facts: &Facts, advisory: &Advisory) -> Assessment {
    let evidence = Evidence {
        symptomatic: facts.server_log.matches > 0,
        server_log: facts.server_log.clone(),
        client_log: facts.client_log.clone(),
    };
    let (verdict, reason, release) = decide(facts, advisory);
    let mut warnings: Vec<String> =
        facts.problems.iter().map(|p| format!("probe section `{}`: {}", p.section, p.message)).collect();
    if verdict == Verdict::Remediated {
        if let (DllState::Present { modified: Some(fixed_at), .. }, Some(seen)) =
            (&facts.dll, facts.server_log.last_time)
        {
            if seen > *fixed_at {
                warnings.push(format!(
                    "the server log shows the symptom at {seen}, after the fixed DLL was written at {fixed_at}: check the server and its clients"
                ));
            }
        }
    }
    if let Some(pending) = &facts.reboot_pending {
        // A pending restart never proves or disproves the fix: only the DLL does. It is said
        // where it matters: a fix that may not be whole until the restart, an install ahead.
        match verdict {
            Verdict::Remediated => warnings.push(format!(
                "{pending}: the fix is in the DLL read back, but Windows still waits for a restart; schedule \
                 it (apply --reboot-only runs the plan's restart step on such hosts)"
            )),
            Verdict::Affected | Verdict::AffectedRtm => warnings.push(format!(
                "{pending}: restart the host before installing, or expect the installer to ask for one (3010)"
            )),
            _ => {}
        }
    }
    Assessment { verdict, reason, release, evidence, warnings }
}

fn decide(facts: &Facts, advisory: &Advisory) -> (Verdict, String, Option<WsusRelease>) {
    let (install_type, version, target_dir) = match &facts.wsus {
        WsusInstall::NotInstalled => {
            if let Some(contradiction) = contradiction(facts, advisory) {
                return (Verdict::Unknown, contradiction, None);
            }
            return (
                Verdict::NotAffected,
                "no WSUS server role: the WSUS Setup key is absent from the registry".into(),
                None,
            );
        }
        WsusInstall::Unknown => {
            return (
                Verdict::Unknown,
                format!("the WSUS registry key could not be read{}", problem_of(facts, "reg")),
                None,
            )
        }
        WsusInstall::Installed { install_type, version, target_dir, .. } => {
            (*install_type, *version, target_dir.as_deref())
        }
    };
    let types = &advisory.install_types;
    match install_type {
        Some(t) if types.console_only.contains(&t) => {
            return (Verdict::NotAffected, "console-only install (InstallType 2): no WSUS server role".into(), None);
        }
        Some(t) if types.wsus2.contains(&t) => {
            return (
                Verdict::NotAffected,
                format!("WSUS 2.0 (InstallType {t}): affected only once upgraded to 3.0"),
                Some(WsusRelease::Wsus2),
            );
        }
        Some(t) if !types.server.contains(&t) => {
            return (Verdict::Unknown, format!("InstallType {t} is not a value wsusfix knows"), None);
        }
        _ => {}
    }
    let Some(version) = version else {
        return (Verdict::Unknown, "the WSUS Setup key has no readable VersionString".into(), None);
    };
    let release = WsusRelease::of(version, advisory);
    match release {
        WsusRelease::Wsus2 => {
            (Verdict::NotAffected, format!("WSUS 2.0 ({version}): affected only once upgraded to 3.0"), Some(release))
        }
        WsusRelease::Sp2OrLater => {
            (Verdict::NotAffected, format!("WSUS {version} is 3.0 SP2 or later, which includes the fix"), Some(release))
        }
        WsusRelease::Rtm => (
            Verdict::AffectedRtm,
            format!("WSUS 3.0 RTM ({version}): the update does not apply; use the workaround or upgrade to SP1"),
            Some(release),
        ),
        WsusRelease::Other => {
            (Verdict::Unknown, format!("VersionString {version} is no WSUS release wsusfix knows"), Some(release))
        }
        WsusRelease::Sp1 if install_type.is_none() => (
            Verdict::Unknown,
            format!("WSUS {version} but the Setup key has no InstallType: server or console?"),
            Some(release),
        ),
        WsusRelease::Sp1 => {
            let (verdict, reason) = decide_sp1(facts, advisory, target_dir);
            (verdict, reason, Some(release))
        }
    }
}

fn decide_sp1(facts: &Facts, advisory: &Advisory, target_dir: Option<&str>) -> (Verdict, String) {
    let fixed = advisory.fixed_file_version;
    match &facts.dll {
        DllState::Present { version, .. } if *version >= fixed => {
            (Verdict::Remediated, format!("the client web service DLL is {version} (the fix is {fixed} or later)"))
        }
        DllState::Present { version, .. } => (
            Verdict::Affected,
            format!("WSUS 3.0 SP1 with the client web service DLL at {version}, older than the fixed {fixed}"),
        ),
        DllState::Missing => {
            let path = advisory.decisive_path(&facts.probed_wsus_dir);
            let hint = match target_dir {
                Some(dir) if !dir.eq_ignore_ascii_case(&facts.probed_wsus_dir) => {
                    format!("; WSUS is installed in {dir}: set the host's wsus_dir to it")
                }
                _ => String::new(),
            };
            (Verdict::Unknown, format!("WSUS 3.0 SP1 is registered but {path} was not found{hint}"))
        }
        DllState::Unknown => (
            Verdict::Unknown,
            format!("the client web service DLL's version could not be read{}", problem_of(facts, "dll")),
        ),
    }
}

/// Evidence of WSUS on a host whose registry shows no WSUS Setup key: then the registry the
/// session saw is not the whole truth, and "not affected" would be a false all-clear.
fn contradiction(facts: &Facts, advisory: &Advisory) -> Option<String> {
    let fixed = advisory.fixed_file_version;
    let wsus_service = advisory.services.first().map(String::as_str).unwrap_or("WsusService");
    let evidence = if let DllState::Present { version, .. } = &facts.dll {
        let age = if *version < fixed { format!(", older than the fixed {fixed}") } else { String::new() };
        format!("the client web service DLL is there (version {version}{age})")
    } else if facts
        .services
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case(wsus_service) && s.state != crate::facts::ServiceState::NotInstalled)
    {
        format!("the {wsus_service} service is installed")
    } else if facts.server_log.matches > 0 {
        "the WSUS server log holds the symptom".to_string()
    } else {
        return None;
    };
    let why = if facts.session_wow64 {
        "the SSH server runs a 32-bit shell on 64-bit Windows, which may see only the WOW64 registry view: run it as a 64-bit process"
    } else {
        "the registry and the files disagree: look at the host before trusting either"
    };
    Some(format!("no WSUS Setup key was found, but {evidence}: {why}"))
}

fn problem_of(facts: &Facts, section_prefix: &str) -> String {
    match facts.problems.iter().find(|p| p.section.starts_with(section_prefix)) {
        Some(p) => format!(": {}", p.message),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
