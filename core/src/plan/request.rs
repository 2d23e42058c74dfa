//! What a plan is made from besides the scan: the operator's choices (routes for RTM servers,
//! batches, the package files) and, per host, what the inventory says (staging folder, groups,
//! pinned package hashes). [`PlanRequest::from_inventory`] makes these decisions once, here,
//! so that every caller (`plan`, `demo`, `apply --replan`) decides the same way.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::PlanError;
use super::{BatchPolicy, PackageFiles, PackageRole};
use crate::advisory::Advisory;
use crate::inventory::Host;
use crate::time::UtcTime;

/// The staging folder on hosts whose inventory sets no `temp_dir`.
pub const DEFAULT_STAGING_DIR: &str = r"C:\Windows\Temp\wsusfix";

/// What the operator chose for WSUS 3.0 RTM servers (`--rtm`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum RtmChoice {
    /// Upgrade to 3.0 SP1, then install the update.
    Upgrade,
    /// The console workaround of the advisory, done by a person.
    #[default]
    Workaround,
}

/// Per-host settings the plan needs from the inventory.
#[derive(Clone, Debug, Default)]
pub struct HostSettings {
    pub staging_dir: String,
    pub groups: Vec<String>,
    /// SHA-256 the inventory expects of a package (`package_sha256_x86/x64`).
    pub pinned: BTreeMap<PackageRole, String>,
    /// `address:port` as the host is reached (the inventory's), when known.
    pub endpoint: Option<String>,
}

/// What `plan` needs, already validated.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    pub created_from: String,
    pub created_at: UtcTime,
    pub rtm: RtmChoice,
    pub packages: PackageFiles,
    pub batches: BatchPolicy,
    /// Settings by host name; hosts absent here get the defaults.
    pub hosts: BTreeMap<String, HostSettings>,
    pub default_staging_dir: String,
    /// Packages taken as already hashed (a plan verified where its package files are not).
    pub known_packages: BTreeMap<PackageRole, super::PackageRef>,
    /// Plan one server listed under several names anyway (`--allow-aliases`).
    pub allow_aliases: bool,
    /// Back SUSDB up before the install where the host has a tool for it.
    pub susdb_backup: bool,
}

/// The operator's choices for a plan (`wsusfix plan`'s options).
#[derive(Clone, Debug)]
pub struct PlanChoices {
    /// The inventory or saved scan the plan is made from, as the plan header names it.
    pub created_from: String,
    pub rtm: RtmChoice,
    pub batches: BatchPolicy,
    /// A folder holding the packages under the advisory's file names (`--packages DIR`).
    pub packages_dir: Option<PathBuf>,
    /// The staging folder on hosts whose inventory sets no `temp_dir`.
    pub staging_dir: String,
    /// Plan one server listed under several names anyway.
    pub allow_aliases: bool,
    /// Back SUSDB up before the install (`--no-susdb-backup` turns it off).
    pub susdb_backup: bool,
}

impl PlanRequest {
    /// The request for planning `hosts`: each host's staging folder, groups and pinned hashes,
    /// and the package files (`--packages DIR`, or the inventory's `package_x86/x64`, the first
    /// host that sets one), made absolute.
    pub fn from_inventory(hosts: &[Host], choices: PlanChoices, advisory: &Advisory) -> Result<PlanRequest, PlanError> {
        let mut packages = match &choices.packages_dir {
            Some(dir) if !dir.is_dir() => return Err(PlanError::NoPackagesFolder { path: dir.clone() }),
            Some(dir) => PackageFiles::from_dir(dir, advisory),
            None => PackageFiles::default(),
        };
        for host in hosts {
            let given =
                [(PackageRole::UpdateX86, &host.vars.package_x86), (PackageRole::UpdateX64, &host.vars.package_x64)];
            for (role, path) in given {
                if let Some(path) = path {
                    packages.files.entry(role).or_insert_with(|| path.clone());
                }
            }
        }
        for path in packages.files.values_mut() {
            *path =
                std::fs::canonicalize(&*path).map_err(|source| PlanError::Package { path: path.clone(), source })?;
        }
        let settings = |host: &Host| {
            let pins = [
                (PackageRole::UpdateX86, &host.vars.package_sha256_x86),
                (PackageRole::UpdateX64, &host.vars.package_sha256_x64),
            ];
            HostSettings {
                staging_dir: host.vars.temp_dir.as_ref().map_or_else(|| choices.staging_dir.clone(), |d| d.to_string()),
                groups: host.groups.clone(),
                pinned: pins.into_iter().filter_map(|(role, pin)| Some((role, pin.as_ref()?.to_string()))).collect(),
                endpoint: Some(host.endpoint()),
            }
        };
        Ok(PlanRequest {
            created_from: choices.created_from.clone(),
            created_at: UtcTime::now(),
            rtm: choices.rtm,
            packages,
            batches: choices.batches.clone(),
            hosts: hosts.iter().map(|h| (h.name.clone(), settings(h))).collect(),
            default_staging_dir: choices.staging_dir,
            known_packages: BTreeMap::new(),
            allow_aliases: choices.allow_aliases,
            susdb_backup: choices.susdb_backup,
        })
    }
}
