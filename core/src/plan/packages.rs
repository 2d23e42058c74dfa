//! The package files a plan uploads: where they are on this machine, which role each plays,
//! and their hashes, read once per plan.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::Digest;

use super::PlanError;
use super::{PackageRef, PackageRole};
use crate::advisory::Advisory;
use crate::facts::Arch;

/// The package files on this machine, by role. A missing file is only an error when a host
/// needs it.
#[derive(Clone, Debug, Default)]
pub struct PackageFiles {
    pub files: BTreeMap<PackageRole, PathBuf>,
}

impl PackageFiles {
    /// The advisory's file names looked up in one folder (`--packages DIR`).
    pub fn from_dir(dir: &Path, advisory: &Advisory) -> PackageFiles {
        let names = [
            (PackageRole::UpdateX86, &advisory.package.x86),
            (PackageRole::UpdateX64, &advisory.package.x64),
            (PackageRole::Sp1SetupX86, &advisory.reinstall.x86),
            (PackageRole::Sp1SetupX64, &advisory.reinstall.x64),
        ];
        let files = names.into_iter().map(|(role, name)| (role, dir.join(name))).filter(|(_, p)| p.is_file()).collect();
        PackageFiles { files }
    }
}

pub(super) fn update_role(arch: Arch) -> PackageRole {
    match arch {
        Arch::X64 => PackageRole::UpdateX64,
        _ => PackageRole::UpdateX86,
    }
}

pub(super) fn sp1_role(arch: Arch) -> PackageRole {
    match arch {
        Arch::X64 => PackageRole::Sp1SetupX64,
        _ => PackageRole::Sp1SetupX86,
    }
}

pub(super) fn role_name(role: PackageRole) -> &'static str {
    match role {
        PackageRole::UpdateX86 => "KB954960 x86",
        PackageRole::UpdateX64 => "KB954960 x64",
        PackageRole::Sp1SetupX86 => "WSUS 3.0 SP1 setup x86",
        PackageRole::Sp1SetupX64 => "WSUS 3.0 SP1 setup x64",
    }
}

/// SHA-256 and SHA-1 of a package, read in chunks.
pub(super) fn hash_package(role: PackageRole, path: &Path) -> Result<PackageRef, PlanError> {
    let err = |source| PlanError::Package { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mut sha256 = sha2::Sha256::new();
    let mut sha1 = sha1::Sha1::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha1.update(&buf[..n]);
        size += n as u64;
    }
    Ok(PackageRef {
        role,
        local: path.to_path_buf(),
        size,
        sha256: hex::encode(sha256.finalize()),
        sha1: hex::encode(sha1.finalize()),
    })
}
