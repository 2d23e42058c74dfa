//! What can go wrong talking to a host, each error naming the host and saying what a user
//! can do about it.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// The stage of setting up a connection, to say where a timeout struck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectStage {
    /// Opening the TCP connection.
    Tcp,
    /// The SSH handshake (key exchange, host key).
    Handshake,
    /// User authentication.
    Authentication,
}

impl fmt::Display for ConnectStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectStage::Tcp => "TCP connect",
            ConnectStage::Handshake => "SSH handshake",
            ConnectStage::Authentication => "authentication",
        })
    }
}

/// An error of the SSH transport. `host` is always the inventory name of the target host.
#[derive(Debug, Error)]
pub enum TransportError {
    /// The address could not be resolved.
    #[error("{host}: cannot resolve address {address:?}: {reason}")]
    Dns { host: String, address: String, reason: String },

    /// Nothing listens on the port (or a firewall rejects the connection).
    #[error("{host}: connection refused by {address}:{port}")]
    ConnectionRefused { host: String, address: String, port: u16 },

    /// No answer in time while connecting.
    #[error("{host}: no answer from {address}:{port} within {}s during {stage}", secs(*timeout))]
    ConnectTimeout { host: String, address: String, port: u16, stage: ConnectStage, timeout: Duration },

    /// The SSH handshake failed (not an SSH server, no common algorithm, ...).
    #[error("{host}: SSH handshake with {address}:{port} failed: {reason}")]
    Handshake { host: String, address: String, port: u16, reason: String },

    /// The host key is in none of the known_hosts files.
    #[error(
        "{host}: the host key of {known_as} is not known ({fingerprint}; {detail}). Check the \
         fingerprint with the server's administrator, then run again with \
         --accept-new-host-keys, or add the key with `{}` to a known_hosts file",
        keyscan_command(known_as)
    )]
    HostKeyUnknown {
        host: String,
        /// The name looked up in known_hosts (`address`, or `[address]:port` off port 22).
        known_as: String,
        /// Fingerprint of the presented key (`SHA256:...`).
        fingerprint: String,
        /// The key type, the files searched, and keys of other types recorded, if any.
        detail: String,
    },

    /// The host presented a different key from the one recorded: never authenticated.
    #[error(
        "{host}: REFUSED: the host key has CHANGED. Someone may be intercepting the \
         connection, or the server was reinstalled. Expected {expected} (recorded as \
         {recorded}), presented {presented}. If the change is legitimate, delete that entry \
         and verify the new key"
    )]
    HostKeyChanged {
        host: String,
        /// Fingerprint of the recorded key.
        expected: String,
        /// Fingerprint of the key the host presented.
        presented: String,
        /// The entry holding the expected key: `NAME at FILE:LINE`.
        recorded: String,
    },

    /// The host presented a key marked `@revoked`.
    #[error("{host}: REFUSED: the host key of {known_as} ({fingerprint}) is revoked ({recorded_at})")]
    HostKeyRevoked { host: String, known_as: String, fingerprint: String, recorded_at: String },

    /// A known_hosts file could not be read or written.
    #[error("{host}: known_hosts file {}: {reason}", path.display())]
    KnownHosts { host: String, path: PathBuf, reason: String },

    /// The server accepted none of the credentials offered.
    #[error("{host}: authentication as {user:?} failed (tried {}): {reason}", tried.join(", "))]
    AuthFailed {
        host: String,
        user: String,
        /// The methods and keys tried, in order.
        tried: Vec<String>,
        /// What the server said, and the methods it accepts.
        reason: String,
    },

    /// A command or upload did not finish in time.
    #[error("{host}: timed out: {what} did not finish within {}s", secs(*timeout))]
    CommandTimeout { host: String, what: String, timeout: Duration },

    /// The connection dropped.
    #[error("{host}: connection lost: {reason}")]
    Disconnected { host: String, reason: String },

    /// An upload failed.
    #[error("{host}: upload of {} to {remote} failed: {reason}", local.display())]
    Upload { host: String, local: PathBuf, remote: String, reason: String },

    /// The server refused or broke a protocol request (channel, exec).
    #[error("{host}: SSH error while {context}: {reason}")]
    Protocol { host: String, context: String, reason: String },

    /// A local I/O error.
    #[error("{host}: {context}: {source}")]
    Io { host: String, context: String, source: io::Error },

    /// Connecting through the jump host failed.
    #[error("{host}: via jump host: {source}")]
    Jump { host: String, jump: String, source: Box<TransportError> },
}

impl TransportError {
    /// The inventory name of the host the error is about.
    pub fn host(&self) -> &str {
        match self {
            TransportError::Dns { host, .. }
            | TransportError::ConnectionRefused { host, .. }
            | TransportError::ConnectTimeout { host, .. }
            | TransportError::Handshake { host, .. }
            | TransportError::HostKeyUnknown { host, .. }
            | TransportError::HostKeyChanged { host, .. }
            | TransportError::HostKeyRevoked { host, .. }
            | TransportError::KnownHosts { host, .. }
            | TransportError::AuthFailed { host, .. }
            | TransportError::CommandTimeout { host, .. }
            | TransportError::Disconnected { host, .. }
            | TransportError::Upload { host, .. }
            | TransportError::Protocol { host, .. }
            | TransportError::Io { host, .. }
            | TransportError::Jump { host, .. } => host,
        }
    }

    /// The error itself, or for a jump host failure the error met on the way.
    pub fn root(&self) -> &TransportError {
        match self {
            TransportError::Jump { source, .. } => source.root(),
            other => other,
        }
    }
}

/// The `ssh-keyscan` command line that fetches the key recorded as `known_as`.
fn keyscan_command(known_as: &str) -> String {
    let port_form = known_as.strip_prefix('[').and_then(|rest| rest.rsplit_once("]:"));
    match port_form {
        Some((address, port)) => format!("ssh-keyscan -p {port} {address}"),
        None => format!("ssh-keyscan {known_as}"),
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// libssh2 error codes the transport tells apart.
pub(crate) mod code {
    pub const SOCKET_SEND: i32 = -7;
    /// `LIBSSH2_ERROR_FILE`: a key file that cannot be read or decrypted.
    pub const FILE: i32 = -16;
    /// `LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED`: the server accepted the public key and the signing
    /// failed, which for a key file means its private half could not be read or decrypted.
    pub const PUBLICKEY_UNVERIFIED: i32 = -19;
    pub const TIMEOUT: i32 = -9;
    pub const SOCKET_DISCONNECT: i32 = -13;
    pub const CHANNEL_CLOSED: i32 = -26;
    pub const SOCKET_TIMEOUT: i32 = -30;
    pub const EAGAIN: i32 = -37;
    pub const SOCKET_RECV: i32 = -43;
    pub const BAD_SOCKET: i32 = -45;
}

/// The libssh2 error code of an ssh2 error (SFTP codes are not used here).
pub(crate) fn ssh_code(err: &ssh2::Error) -> i32 {
    match err.code() {
        ssh2::ErrorCode::Session(c) | ssh2::ErrorCode::SFTP(c) => c,
    }
}

/// True when the error means the connection itself is gone.
pub(crate) fn is_disconnect(code: i32) -> bool {
    matches!(
        code,
        code::SOCKET_SEND
            | code::SOCKET_DISCONNECT
            | code::SOCKET_RECV
            | code::SOCKET_TIMEOUT
            | code::BAD_SOCKET
            | code::CHANNEL_CLOSED
    )
}

/// Classifies an ssh2 error met while using an established session.
pub(crate) fn session_error(host: &str, context: &str, err: &ssh2::Error) -> TransportError {
    if is_disconnect(ssh_code(err)) {
        TransportError::Disconnected { host: host.to_owned(), reason: format!("{context}: {}", err.message()) }
    } else {
        TransportError::Protocol {
            host: host.to_owned(),
            context: context.to_owned(),
            reason: err.message().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_errors_expose_their_root_and_host() {
        let inner = TransportError::ConnectionRefused { host: "bastion".into(), address: "10.0.0.1".into(), port: 22 };
        let err = TransportError::Jump { host: "wsus01".into(), jump: "bastion".into(), source: Box::new(inner) };
        assert_eq!(err.host(), "wsus01");
        assert!(matches!(err.root(), TransportError::ConnectionRefused { .. }));
        assert_eq!(err.to_string(), "wsus01: via jump host: bastion: connection refused by 10.0.0.1:22");
    }

    #[test]
    fn keyscan_hint_follows_the_known_hosts_name() {
        assert_eq!(keyscan_command("[10.0.0.5]:2222"), "ssh-keyscan -p 2222 10.0.0.5");
        assert_eq!(keyscan_command("[::1]:2222"), "ssh-keyscan -p 2222 ::1");
        assert_eq!(keyscan_command("wsus01"), "ssh-keyscan wsus01");
    }

    #[test]
    fn errors_stay_small_enough_to_return_by_value() {
        assert!(std::mem::size_of::<TransportError>() <= 104);
    }

    #[test]
    fn timeouts_print_in_seconds() {
        let err = TransportError::CommandTimeout {
            host: "h".into(),
            what: "command".into(),
            timeout: Duration::from_millis(1500),
        };
        assert_eq!(err.to_string(), "h: timed out: command did not finish within 1.5s");
    }
}
