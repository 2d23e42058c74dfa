//! The audit trail: every remote command wsusfix ran, on which host, when, for how long, how it
//! ended and how much output it gave, one JSON object per line. `apply` keeps it in the run
//! folder (`audit.jsonl`); `scan --audit FILE` writes one too.
//!
//! What it holds comes from the transport's [`CommandRecord`]s. Commands are rendered from
//! validated data and never carry a secret (credentials are used by the transport, not put on
//! command lines), so the exact text is recorded; output itself is not, only its size.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::transport::CommandRecord;

/// The audit trail's file name in a run folder.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// An append-only audit trail shared by the workers of a run.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<BufWriter<File>>,
    error: Mutex<Option<String>>,
}

#[derive(Serialize)]
struct Line<'a> {
    host: &'a str,
    #[serde(flatten)]
    record: &'a CommandRecord,
}

/// Why the audit trail cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the audit trail {}: {source}", path.display())]
pub struct AuditError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl AuditLog {
    /// Opens `path` for appending, creating it if needed (a resumed run adds to its trail).
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| AuditError { path: path.to_path_buf(), source })?;
        Ok(AuditLog { path: path.to_path_buf(), file: Mutex::new(BufWriter::new(file)), error: Mutex::new(None) })
    }

    /// Appends what a host's connection ran, and flushes. A failure is kept (see
    /// [`AuditLog::error`]), not raised: the trail never stops a run on its own.
    pub fn record(&self, host: &str, records: Vec<CommandRecord>) {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let mut result = Ok(());
        for record in &records {
            result = serde_json::to_writer(&mut *file, &Line { host, record })
                .map_err(std::io::Error::other)
                .and_then(|()| file.write_all(b"\n"));
            if result.is_err() {
                break;
            }
        }
        if let Err(e) = result.and_then(|()| file.flush()) {
            let mut error = self.error.lock().unwrap_or_else(|p| p.into_inner());
            error.get_or_insert_with(|| format!("cannot write the audit trail {}: {e}", self.path.display()));
        }
    }

    /// The first write failure, if any.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{CommandKind, ExitStatus};

    #[test]
    fn one_line_per_command_with_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_FILE);
        let record = |command: &str, code| CommandRecord {
            kind: CommandKind::Exec,
            command: command.into(),
            exit: Some(ExitStatus::Code(code)),
            error: None,
            started_at: 1_700_000_000_000,
            duration_ms: 12,
            bytes_out: 40,
        };
        AuditLog::open(&path).unwrap().record("wsus01", vec![record("ver", 0), record("sc query wsusservice", 1060)]);
        AuditLog::open(&path).unwrap().record("wsus02", vec![record("ver", 0)]);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1]["host"], "wsus01");
        assert_eq!(lines[1]["command"], "sc query wsusservice");
        assert_eq!(lines[1]["exit"]["code"], 1060);
        assert_eq!(lines[1]["duration_ms"], 12);
        assert_eq!(lines[2]["host"], "wsus02");
    }
}
