//! Whether a plan is what `wsusfix plan` would write from its own recorded facts: the guard
//! against a plan edited by hand (or by anyone who could write the file) between review and
//! execution.
//!
//! - [`Plan::digest`]: a canonical SHA-256 of the plan's content (its serialized form, so
//!   comments and formatting do not count), printed by `plan` and `show`, checked by
//!   `apply --expect-digest`, so the approved plan is provably the one that runs.
//! - [`verify`]: the plan was made under the advisory this wsusfix loaded (id, definition
//!   version, fixed version), and every step of every host re-renders from the facts the plan
//!   recorded, with the templates and package files at hand, to the same command and the same
//!   expectation. The first difference is refused, naming host, step and both sides.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{build, HostPlan, HostSettings, PackageFiles, Plan, PlanRequest, Step, DEFAULT_STAGING_DIR};
use crate::advisory::Advisory;
use crate::assess::{Assessment, Evidence};
use crate::facts::{DllState, Facts, WsusInstall};
use crate::scan::{HostResult, ScanReport};
use crate::templates::Templates;

/// Why a plan is not trusted.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error(
        "the plan was made under advisory {plan} and this wsusfix loaded {loaded}: a plan is applied under the \
         advisory it was made with (re-plan, or pass the same --advisory)"
    )]
    Advisory { plan: String, loaded: String },
    #[error(
        "host {host}, step {step}: the plan says `{found}`, but its recorded facts and the templates give \
         `{expected}`: the plan was changed after it was made; re-plan it"
    )]
    StepChanged { host: String, step: String, found: String, expected: String },
    #[error("host {host}: the plan's steps cannot be re-made from its recorded facts ({reason}); re-plan it")]
    Unverifiable { host: String, reason: String },
    #[error("the plan's digest is {found}, not the expected {expected}: this is not the approved plan")]
    Digest { expected: String, found: String },
}

impl Plan {
    /// The canonical SHA-256 of the plan, lower-case hex.
    pub fn digest(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(body.as_bytes()))
    }

    /// Refuses any plan but the one with digest `expected` (`apply --expect-digest`).
    pub fn expect_digest(&self, expected: &str) -> Result<(), IntegrityError> {
        let found = self.digest();
        let expected = expected.trim().trim_start_matches("sha256:").to_ascii_lowercase();
        if found == expected {
            Ok(())
        } else {
            Err(IntegrityError::Digest { expected, found })
        }
    }
}

/// Checks the plan against the loaded advisory and re-renders every host's steps.
pub fn verify(plan: &Plan, advisory: &Advisory, templates: &Templates) -> Result<(), IntegrityError> {
    let a = &plan.header.advisory;
    if a.id != advisory.id
        || a.definition_version != advisory.definition_version
        || a.fixed_file_version != advisory.fixed_file_version
    {
        return Err(IntegrityError::Advisory {
            plan: format!("{} v{} (fixed {})", a.id, a.definition_version, a.fixed_file_version),
            loaded: format!("{} v{} (fixed {})", advisory.id, advisory.definition_version, advisory.fixed_file_version),
        });
    }
    let with_steps: Vec<&HostPlan> = plan.hosts.iter().filter(|h| has_steps(h)).collect();
    if with_steps.is_empty() {
        return Ok(());
    }
    let scan = ScanReport::new(with_steps.iter().map(|h| recorded(h, advisory)).collect());
    let request = PlanRequest {
        created_from: plan.header.created_from.clone(),
        created_at: plan.header.created_at,
        rtm: plan.header.rtm_choice,
        packages: PackageFiles { files: plan.header.packages.iter().map(|p| (p.role, p.local.clone())).collect() },
        batches: plan.header.batches.clone(),
        hosts: with_steps.iter().map(|h| (h.host.clone(), settings(h))).collect::<BTreeMap<_, _>>(),
        default_staging_dir: DEFAULT_STAGING_DIR.to_string(),
        // Where a package file is not on this machine (a reviewer's), its recorded hashes stand
        // in: the commands are still checked. `apply` uploads the file, so it has it.
        known_packages: plan
            .header
            .packages
            .iter()
            .filter(|p| !p.local.is_file())
            .map(|p| (p.role, p.clone()))
            .collect(),
        // What was decided about aliases at plan time stands: this only re-makes the steps.
        allow_aliases: true,
        susdb_backup: plan.header.susdb_backup,
    };
    let fresh = build(&scan, &request, advisory, templates).map_err(|e| IntegrityError::Unverifiable {
        host: with_steps.iter().map(|h| h.host.as_str()).collect::<Vec<_>>().join(", "),
        reason: e.to_string(),
    })?;
    for host in with_steps {
        let Some(again) = fresh.hosts.iter().find(|h| h.host == host.host) else {
            return Err(IntegrityError::Unverifiable { host: host.host.clone(), reason: "no host re-made".into() });
        };
        for (planned, made) in [
            (&host.steps, &again.steps),
            (&host.elevation_fallback, &again.elevation_fallback),
            (&host.reboot, &again.reboot),
            (&host.backout, &again.backout),
        ] {
            compare(&host.host, planned, made)?;
        }
        if host.notes != again.notes {
            return Err(IntegrityError::StepChanged {
                host: host.host.clone(),
                step: "notes".into(),
                found: host.notes.join(" / "),
                expected: again.notes.join(" / "),
            });
        }
    }
    Ok(())
}

fn has_steps(h: &HostPlan) -> bool {
    !(h.steps.is_empty() && h.elevation_fallback.is_empty() && h.reboot.is_empty() && h.backout.is_empty())
}

/// The step lists must match one for one: same ids, actions, expectations and flags.
fn compare(host: &str, planned: &[Step], made: &[Step]) -> Result<(), IntegrityError> {
    let describe = |s: Option<&Step>| match s {
        Some(s) => format!("{}: {} (expect {}{})", s.id, s.action, s.expect, if s.cleanup { ", cleanup" } else { "" }),
        None => "(no step)".to_string(),
    };
    for i in 0..planned.len().max(made.len()) {
        let (p, m) = (planned.get(i), made.get(i));
        if p != m {
            let step = p.or(m).map(|s| s.id.clone()).unwrap_or_default();
            return Err(IntegrityError::StepChanged {
                host: host.to_string(),
                step,
                found: describe(p),
                expected: describe(m),
            });
        }
    }
    Ok(())
}

/// The facts a plan recorded for a host, as a scan result the planner takes.
fn recorded(h: &HostPlan, advisory: &Advisory) -> HostResult {
    let facts = Facts {
        os: h.os,
        arch: h.arch,
        elevation: h.elevation.unwrap_or_default(),
        wsus: WsusInstall::Installed {
            install_type: None,
            version: h.wsus_version,
            target_dir: None,
            view: crate::facts::RegistryView::Native,
        },
        probed_wsus_dir: h.wsus_dir.clone().unwrap_or_else(|| advisory.default_wsus_dir.clone()),
        dll: match h.dll_version {
            Some(version) => DllState::Present { version, modified: None },
            None => DllState::Unknown,
        },
        sql_tool: h.sql_tool.clone(),
        ..Facts::default()
    };
    let assessment = Assessment {
        verdict: h.verdict,
        reason: h.reason.clone(),
        release: None,
        evidence: Evidence::default(),
        warnings: Vec::new(),
    };
    HostResult::new(&h.host, assessment, Some(facts))
}

fn settings(h: &HostPlan) -> HostSettings {
    HostSettings {
        staging_dir: h.staging_dir.clone().unwrap_or_else(|| DEFAULT_STAGING_DIR.to_string()),
        groups: h.groups.clone().unwrap_or_default(),
        pinned: BTreeMap::new(),
        endpoint: None,
    }
}
