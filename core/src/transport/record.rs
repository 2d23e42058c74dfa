//! The audit trail of a connection: what was run on a host, when, for how long, and how it
//! ended. Commands are built from validated data and never carry secrets, so the exact text
//! is recorded.

use serde::Serialize;

use super::ExitStatus;

/// What kind of operation a [`CommandRecord`] describes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// A command line run by the remote shell.
    Exec,
    /// A file copied to the host by SCP.
    Upload {
        /// The local file that was sent.
        local: String,
        /// Bytes sent.
        size: u64,
        /// SHA-256 (hex) of the bytes sent, computed while sending.
        sha256: Option<String>,
    },
}

/// One command run on a host, as the audit trail keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommandRecord {
    /// Exec or upload.
    pub kind: CommandKind,
    /// The exact command text (for an upload, the `scp -t` request made).
    pub command: String,
    /// How the command ended; `None` when it never finished (timeout, lost connection).
    pub exit: Option<ExitStatus>,
    /// Why it did not finish, when it did not.
    pub error: Option<String>,
    /// Start time, milliseconds since the Unix epoch.
    pub started_at: u64,
    /// Wall time from start to end, in milliseconds.
    pub duration_ms: u64,
    /// Bytes of output received (stdout plus stderr).
    pub bytes_out: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_kind_and_exit() {
        let record = CommandRecord {
            kind: CommandKind::Exec,
            command: "ver".into(),
            exit: Some(ExitStatus::Code(0)),
            error: None,
            started_at: 1_700_000_000_000,
            duration_ms: 12,
            bytes_out: 40,
        };
        let json = serde_json::to_value(&record).expect("serializable");
        assert_eq!(json["kind"], "exec");
        assert_eq!(json["command"], "ver");
        assert_eq!(json["exit"]["code"], 0);
    }
}
