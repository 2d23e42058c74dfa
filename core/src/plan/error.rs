//! Why a plan could not be made: each variant names the host, file or variable at fault.

use std::path::PathBuf;

use crate::safe::UnsafeText;
use crate::templates::TemplateError;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{host} needs the {role} package, but no such file was given (use --packages DIR holding {name})")]
    MissingPackage { host: String, role: String, name: String },
    #[error("cannot read package {}: {source}", path.display())]
    Package { path: PathBuf, source: std::io::Error },
    #[error("host {host}: variable `{variable}` {problem}")]
    Unsafe { host: String, variable: &'static str, problem: UnsafeText },
    #[error("host {host}: the scheduled task's command is {len} characters, over the 262 schtasks allows: {command}")]
    TaskCommandTooLong { host: String, len: usize, command: String },
    #[error(
        "host {host}: package {} has SHA-256 {sha256}, but the inventory pins {pin}: refusing to plan with an unexpected package",
        path.display()
    )]
    UnexpectedPackage { host: String, path: PathBuf, sha256: String, pin: String },
    #[error("--packages {}: no such folder", path.display())]
    NoPackagesFolder { path: PathBuf },
    #[error(
        "{names} are one server ({why}): planning it under each name would change it twice at once; \
         keep one name in the inventory or --limit, or pass --allow-aliases to plan them knowingly"
    )]
    Aliases { names: String, why: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
}
