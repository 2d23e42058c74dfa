//! Reading and writing `plan.yaml`. A plan edited by hand into something invalid is refused
//! with the line and the reason: a YAML or shape error from serde_yaml's location, and a
//! semantic error (an unsafe value, a duplicate host, an unknown step) from a lookup of the
//! offending host's line.

use std::path::{Path, PathBuf};

use super::{Action, Plan};
use crate::advisory::strip_location;

/// The plan format this wsusfix writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a plan file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write plan {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("plan {}{}: {message}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid { path: PathBuf, line: Option<usize>, message: String },
}

impl Plan {
    /// The plan as YAML, with a comment saying what it is.
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_else(|e| format!("# cannot serialise the plan: {e}\n"));
        format!(
            "# wsusfix plan: review it with `wsusfix show`, rehearse it with `wsusfix lab rehearse`,\n# run it with `wsusfix apply`. apply runs exactly these steps.\n{body}"
        )
    }

    pub fn save(&self, path: &Path) -> Result<(), PlanFileError> {
        crate::files::write_atomic(path, self.to_yaml().as_bytes())
            .map_err(|source| PlanFileError::Write { path: path.to_path_buf(), source })
    }

    pub fn load(path: &Path) -> Result<Plan, PlanFileError> {
        let text = crate::files::read_input(path, crate::files::INPUT_LIMIT)
            .map_err(|source| PlanFileError::Read { path: path.to_path_buf(), source })?;
        Plan::parse(&text, path)
    }

    /// Parses and checks a plan; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Plan, PlanFileError> {
        let invalid = |line, message| PlanFileError::Invalid { path: path.to_path_buf(), line, message };
        if let Some(line) = crate::files::flow_too_deep(text, crate::files::MAX_FLOW_DEPTH) {
            let message = format!("`[`/`{{` nest more than {} deep here", crate::files::MAX_FLOW_DEPTH);
            return Err(invalid(Some(line), message));
        }
        let plan: Plan = serde_yaml::from_str(text)
            .map_err(|e| invalid(e.location().map(|l| l.line()), strip_location(&e.to_string())))?;
        if plan.header.format_version != FORMAT_VERSION {
            return Err(invalid(
                line_of(text, "format_version:"),
                format!(
                    "format_version {} is not {FORMAT_VERSION}, the version this wsusfix reads",
                    plan.header.format_version
                ),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for host in &plan.hosts {
            let at = line_of(text, &format!("host: {}", host.host));
            if !seen.insert(host.host.as_str()) {
                return Err(invalid(at, format!("host {} is planned twice", host.host)));
            }
            crate::inventory::validate_host_name(&host.host)
                .map_err(|reason| invalid(at, format!("host name {:?}: {reason}", host.host)))?;
            for step in host.steps.iter().chain(&host.elevation_fallback).chain(&host.reboot).chain(&host.backout) {
                if let Action::Upload { remote, .. } = &step.action {
                    crate::safe::windows_path(remote).map_err(|p| {
                        invalid(
                            line_of(text, remote).or(at),
                            format!("host {}, step {}: upload target {p}", host.host, step.id),
                        )
                    })?;
                }
                if let Action::Run { command } = &step.action {
                    if command.contains(['\n', '\r', '\0']) {
                        return Err(invalid(
                            at,
                            format!("host {}, step {}: a command must be one line", host.host, step.id),
                        ));
                    }
                }
            }
        }
        Ok(plan)
    }
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}
