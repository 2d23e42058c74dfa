//! Remote shells: the [`RemoteShell`] trait the rest of wsusfix talks to, and its SSH
//! implementation, [`SshTransport`].
//!
//! A remote shell runs one `cmd.exe` command line at a time, streams its output to an
//! [`OutputSink`] (so a huge output never has to sit in memory), enforces a timeout on every
//! command, copies files to the host, and keeps a [`CommandRecord`] of everything it ran for
//! the audit trail.
//!
//! ```no_run
//! use std::time::Duration;
//! use wsusfix_core::transport::{
//!     Auth, CollectSink, RemoteShell, SshOptions, SshTarget, SshTransport,
//! };
//!
//! let target = SshTarget::new("wsus01", "10.0.0.5", 22, "Administrator", Auth::Agent);
//! let mut shell = SshTransport::connect(&target, &SshOptions::default())?;
//! let mut output = CollectSink::new(64 * 1024);
//! let status = shell.exec("ver", Duration::from_secs(30), &mut output)?;
//! assert!(status.success());
//! # Ok::<(), wsusfix_core::transport::TransportError>(())
//! ```

mod auth;
mod crypto;
mod error;
mod exec;
mod handshake;
mod host_key;
mod identity;
mod jump;
mod known_hosts;
mod record;
mod sink;
mod ssh;
mod target;
mod trust;
mod upload;
mod wait;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

pub use auth::{Auth, Secret, SecretError};
pub use error::{ConnectStage, TransportError};
pub use host_key::{fingerprint_sha256, HostKey};
pub use known_hosts::{known_host_name, HostKeyCheck, KnownHostEntry, KnownHostsStore};
pub use record::{CommandKind, CommandRecord};
pub use sink::{CollectSink, OutputSink};
pub use ssh::SshTransport;
pub use target::{default_known_hosts, key_exchanges, JumpHost, SshOptions, SshTarget};

/// A shell on a remote host: runs commands, copies files, and records what it did.
pub trait RemoteShell: Send {
    /// Runs `command` and streams its output to `sink`. A command still running after
    /// `timeout` is abandoned with [`TransportError::CommandTimeout`].
    fn exec(
        &mut self,
        command: &str,
        timeout: Duration,
        sink: &mut dyn OutputSink,
    ) -> Result<ExitStatus, TransportError>;

    /// Runs `command` with `input` as its standard input (then its end), streaming its output
    /// to `sink`, within `timeout`.
    fn exec_with_input(
        &mut self,
        command: &str,
        input: &[u8],
        timeout: Duration,
        sink: &mut dyn OutputSink,
    ) -> Result<ExitStatus, TransportError>;

    /// Copies the local file to `remote`, hashing it while it is sent.
    ///
    /// `remote` is a Windows path as the host writes it (`C:\Windows\Temp\x.exe`); the
    /// implementation turns it into whatever its copy protocol needs. SCP names the file by
    /// what follows the last `/`, so [`SshTransport`] sends the target as `C:/Windows/Temp/x.exe`
    /// (which Win32-OpenSSH accepts) and its [`CommandRecord`] shows that `scp -t` request;
    /// [`UploadReport::remote`] keeps the path as given.
    fn upload(&mut self, local: &Path, remote: &str, timeout: Duration) -> Result<UploadReport, TransportError>;

    /// The inventory name of the host this shell talks to.
    fn host(&self) -> &str;

    /// Everything run so far on this connection, oldest first.
    fn records(&self) -> &[CommandRecord];

    /// Takes the records kept so far, leaving none.
    fn take_records(&mut self) -> Vec<CommandRecord>;

    /// Takes what connecting did that the user should hear of (OpenSSH's "Permanently added"
    /// for a host key recorded on first use), leaving none.
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// How a remote command ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// The command exited with this code (a Windows exit code may be any 32-bit value).
    Code(i32),
    /// The command was killed by this signal (named as SSH names them, e.g. `KILL`).
    Signal(String),
}

impl ExitStatus {
    /// The exit code, if the command exited by itself.
    pub fn code(&self) -> Option<i32> {
        match self {
            ExitStatus::Code(code) => Some(*code),
            ExitStatus::Signal(_) => None,
        }
    }

    /// True for exit code 0.
    pub fn success(&self) -> bool {
        self.code() == Some(0)
    }
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitStatus::Code(code) => write!(f, "exit code {code}"),
            ExitStatus::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

/// What an upload sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadReport {
    /// The local file.
    pub local: PathBuf,
    /// The destination path on the host.
    pub remote: String,
    /// Bytes sent.
    pub size: u64,
    /// SHA-256 of the bytes sent, lower-case hex; compare it with the host's own hash.
    pub sha256: String,
    /// How long the copy took.
    #[serde(serialize_with = "serialize_millis")]
    pub duration: Duration,
}

fn serialize_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(crate::time::millis(*d))
}
