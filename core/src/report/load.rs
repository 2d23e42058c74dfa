//! Reading a document's input from a file: a plan (YAML), a scan report (the JSON of
//! `wsusfix scan --format json`, or several combined) or a run outcome (`outcome.json`, or the run folder holding it).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::{ReportInput, ReportKind};
use crate::plan::{Plan, PlanFileError};
use crate::scan::{Overlap, ScanReport};

/// The file a run folder keeps its outcome in.
pub const OUTCOME_FILE: &str = "outcome.json";

/// Why a document's input cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportInputError {
    #[error(transparent)]
    Plan(#[from] PlanFileError),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not {what}: line {line}, column {column}: {message}", path.display())]
    Invalid { path: PathBuf, what: &'static str, line: usize, column: usize, message: String },
}

impl ReportInput {
    /// Reads the input `kind` is made from. For a result, `path` may be the run folder.
    pub fn load(kind: ReportKind, path: &Path) -> Result<ReportInput, ReportInputError> {
        Ok(match kind {
            ReportKind::ChangeRequest => ReportInput::Plan(Box::new(Plan::load(path)?)),
            ReportKind::Scan => {
                ReportInput::Scan(Box::new(read_json(path, "a scan report (wsusfix scan --format json)")?))
            }
            ReportKind::Result => {
                let file = if path.is_dir() { path.join(OUTCOME_FILE) } else { path.to_path_buf() };
                ReportInput::Result(Box::new(read_json(&file, "a run outcome (outcome.json)")?))
            }
        })
    }
}

/// Reads several scans' JSON and combines them into one scan report (see
/// [`ScanReport::combine`]): the hosts of several control machines or sites, or a scan and a
/// later rescan of some of its hosts. Returns the hosts found in more than one file, each with
/// the file its result was taken from (the later one).
pub fn load_scans(paths: &[PathBuf]) -> Result<(ReportInput, Vec<Overlap<PathBuf>>), ReportInputError> {
    let mut scans = Vec::with_capacity(paths.len());
    for path in paths {
        let scan: ScanReport = read_json(path, "a scan report (wsusfix scan --format json)")?;
        scans.push((path.clone(), scan));
    }
    let (report, overlaps) = ScanReport::combine(scans);
    Ok((ReportInput::Scan(Box::new(report)), overlaps))
}

fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, ReportInputError> {
    let text = crate::files::read_input(path, crate::files::INPUT_LIMIT)
        .map_err(|source| ReportInputError::Read { path: path.to_path_buf(), source })?;
    serde_json::from_str(&text).map_err(|e| ReportInputError::Invalid {
        path: path.to_path_buf(),
        what,
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })
}

/// serde_json ends its messages with ` at line L column C`, which the error says already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
