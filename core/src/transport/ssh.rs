//! [`SshTransport`]: a [`RemoteShell`] over SSH (libssh2 through the `ssh2` crate), with
//! strict host-key checking, timeouts on every step, keepalives, an optional jump host, and
//! a record of every command.

use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use ssh2::Session;

use super::error::TransportError;
use super::exec::{self, Budget, Link};
use super::handshake::{establish, tcp_connect};
use super::jump::JumpTunnel;
use super::record::{CommandKind, CommandRecord};
use super::sink::OutputSink;
use super::target::{Endpoint, SshOptions, SshTarget};
use super::{upload, ExitStatus, RemoteShell, UploadReport};
use crate::time::{millis, unix_ms};

/// A connected, authenticated SSH session to one host.
pub struct SshTransport {
    name: String,
    session: Session,
    socket: TcpStream,
    records: Vec<CommandRecord>,
    /// What connecting did that the user should hear of (a host key recorded).
    notices: Vec<String>,
    lost: Option<String>,
    // Declared last: dropped after the session that runs through it.
    _tunnel: Option<JumpTunnel>,
}

impl SshTransport {
    /// Connects, checks the host key, and authenticates, each step within its timeout.
    pub fn connect(target: &SshTarget, options: &SshOptions) -> Result<Self, TransportError> {
        let endpoint = Endpoint::of_target(target);
        tracing::debug!(
            address = %endpoint.address,
            port = endpoint.port,
            jump = target.jump.is_some(),
            "connecting"
        );
        let (stream, tunnel) = match &target.jump {
            None => (tcp_connect(&endpoint, options.connect_timeout)?, None),
            Some(jump) => {
                let (tunnel, stream) = JumpTunnel::open(target, jump, options)?;
                (stream, Some(tunnel))
            }
        };
        let (session, socket, added) = establish(&endpoint, stream, options)?;
        Ok(SshTransport {
            name: target.name.clone(),
            session,
            socket,
            records: Vec::new(),
            notices: added.into_iter().collect(),
            lost: None,
            _tunnel: tunnel,
        })
    }

    fn link(&self) -> Link<'_> {
        Link { host: &self.name, session: &self.session, socket: &self.socket }
    }

    fn check_alive(&self) -> Result<(), TransportError> {
        match &self.lost {
            Some(reason) => Err(TransportError::Disconnected { host: self.name.clone(), reason: reason.clone() }),
            None => Ok(()),
        }
    }

    fn keep_record(
        &mut self,
        kind: CommandKind,
        command: String,
        outcome: Outcome<'_>,
        started: Started,
        bytes_out: u64,
    ) {
        let (exit, error) = match outcome {
            Ok(status) => (Some(status.clone()), None),
            Err(e) => {
                if let TransportError::Disconnected { reason, .. } = e {
                    self.lost = Some(reason.clone());
                }
                (None, Some(e.to_string()))
            }
        };
        self.records.push(CommandRecord {
            kind,
            command,
            exit,
            error,
            started_at: unix_ms(started.0),
            duration_ms: millis(started.1.elapsed()),
            bytes_out,
        });
    }
}

type Outcome<'a> = Result<&'a ExitStatus, &'a TransportError>;
type Started = (SystemTime, Instant);

impl SshTransport {
    /// Runs a command (with its standard input, if any) and records it.
    fn run(
        &mut self,
        command: &str,
        input: &[u8],
        timeout: Duration,
        sink: &mut dyn OutputSink,
    ) -> Result<ExitStatus, TransportError> {
        self.check_alive()?;
        let started = (SystemTime::now(), Instant::now());
        let mut bytes_out = 0;
        tracing::trace!(command, input_bytes = input.len(), timeout_s = timeout.as_secs(), "exec");
        let result = exec::run(&self.link(), command, input, &Budget::new("command", timeout), sink, &mut bytes_out);
        match &result {
            Ok(status) => tracing::debug!(
                exit = ?status.code(),
                output_bytes = bytes_out,
                ms = started.1.elapsed().as_millis() as u64,
                "command ended"
            ),
            Err(e) => tracing::debug!(error = %e, "command failed"),
        }
        // The record names what ran: the exec line and, after it, any script it read.
        let text = match input {
            [] => command.to_owned(),
            _ => format!("{command} <<< {}", String::from_utf8_lossy(input).trim_end().replace("\r\n", " \\n ")),
        };
        self.keep_record(CommandKind::Exec, text, result.as_ref(), started, bytes_out);
        result
    }
}

impl RemoteShell for SshTransport {
    fn exec(
        &mut self,
        command: &str,
        timeout: Duration,
        sink: &mut dyn OutputSink,
    ) -> Result<ExitStatus, TransportError> {
        self.run(command, &[], timeout, sink)
    }

    fn exec_with_input(
        &mut self,
        command: &str,
        input: &[u8],
        timeout: Duration,
        sink: &mut dyn OutputSink,
    ) -> Result<ExitStatus, TransportError> {
        self.run(command, input, timeout, sink)
    }

    fn upload(&mut self, local: &Path, remote: &str, timeout: Duration) -> Result<UploadReport, TransportError> {
        self.check_alive()?;
        let started = (SystemTime::now(), Instant::now());
        let mut sent = 0;
        let result = upload::send(&self.link(), local, remote, &Budget::new("upload", timeout), &mut sent);
        let kind = CommandKind::Upload {
            local: local.display().to_string(),
            size: sent,
            sha256: result.as_ref().ok().map(|r| r.sha256.clone()),
        };
        let exit = ExitStatus::Code(0);
        let outcome = result.as_ref().map(|_| &exit);
        self.keep_record(kind, format!("scp -t {}", upload::scp_target(remote)), outcome, started, 0);
        result
    }

    fn host(&self) -> &str {
        &self.name
    }

    fn records(&self) -> &[CommandRecord] {
        &self.records
    }

    fn take_records(&mut self) -> Vec<CommandRecord> {
        std::mem::take(&mut self.records)
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

impl Drop for SshTransport {
    fn drop(&mut self) {
        if self.lost.is_none() {
            self.session.set_blocking(true);
            self.session.set_timeout(1000);
            let _ = self.session.disconnect(None, "wsusfix done", None);
        }
    }
}
