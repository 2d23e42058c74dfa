//! What a connection is made to and how: the target host, its bastion, the options (known
//! hosts, trust on first use, timeouts), and the [`Endpoint`] view of either one that the
//! handshake and the host-key check read. Values only; no I/O but locating `~/.ssh`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConnectStage, TransportError};
use super::Auth;

/// A host to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshTarget {
    /// The inventory name, used in every message about the host.
    pub name: String,
    /// Host name or IP address to connect to.
    pub address: String,
    pub port: u16,
    pub user: String,
    pub auth: Auth,
    /// A bastion to connect through.
    pub jump: Option<JumpHost>,
}

impl SshTarget {
    /// A target reached directly.
    pub fn new(
        name: impl Into<String>,
        address: impl Into<String>,
        port: u16,
        user: impl Into<String>,
        auth: Auth,
    ) -> Self {
        SshTarget { name: name.into(), address: address.into(), port, user: user.into(), auth, jump: None }
    }
}

/// A bastion (OpenSSH's `ProxyJump`): the target is reached through a `direct-tcpip` channel
/// it opens. Its host key is checked like any other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JumpHost {
    /// How messages name the bastion.
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub auth: Auth,
}

/// How to connect: known hosts, trust on first use, timeouts.
#[derive(Clone, Debug)]
pub struct SshOptions {
    /// known_hosts files, searched in order; new keys go to the first writable one.
    pub known_hosts: Vec<PathBuf>,
    /// The system's known_hosts files (`/etc/ssh/ssh_known_hosts`), searched after
    /// `known_hosts` and never written, as OpenSSH's `GlobalKnownHostsFile`.
    pub global_known_hosts: Vec<PathBuf>,
    /// Trust and record a host key seen for the first time (`--accept-new-host-keys`).
    /// A changed key is refused regardless.
    pub accept_new_host_keys: bool,
    /// Resolving the address and opening the TCP connection.
    pub connect_timeout: Duration,
    /// The SSH handshake and authentication, each.
    pub auth_timeout: Duration,
    /// Interval of SSH keepalive messages while waiting on a host; zero sends none.
    pub keepalive_interval: Duration,
    /// The key exchanges to offer, most preferred first (ssh_config's `KexAlgorithms`, already
    /// applied to [`key_exchanges`]); `None` offers the SSH library's own list.
    pub kex_algorithms: Option<Vec<String>>,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            known_hosts: default_known_hosts(),
            global_known_hosts: global_known_hosts(),
            accept_new_host_keys: false,
            connect_timeout: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(15),
            kex_algorithms: None,
        }
    }
}

/// The key exchanges the SSH library implements, in its order of preference (which it offers
/// unless told otherwise): post-quantum `mlkem768x25519-sha256` first where it is built in.
pub fn key_exchanges() -> &'static [&'static str] {
    static LIST: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        super::crypto::configure_once();
        let session = ssh2::Session::new();
        let all = session.and_then(|s| s.supported_algs(ssh2::MethodType::Kex)).unwrap_or_default();
        // The two extension markers are not key exchanges; libssh2 adds them itself.
        all.into_iter().filter(|k| *k != "ext-info-c" && !k.starts_with("kex-strict-")).collect()
    })
}

/// `~/.ssh/known_hosts`, when a home directory is known.
pub fn default_known_hosts() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    home.map(|h| vec![Path::new(&h).join(".ssh").join("known_hosts")]).unwrap_or_default()
}

/// The system-wide known_hosts files OpenSSH reads by default (`GlobalKnownHostsFile`).
pub fn global_known_hosts() -> Vec<PathBuf> {
    if cfg!(unix) {
        vec![PathBuf::from("/etc/ssh/ssh_known_hosts"), PathBuf::from("/etc/ssh/ssh_known_hosts2")]
    } else {
        Vec::new()
    }
}

/// One SSH server to reach, named for messages.
pub(crate) struct Endpoint<'a> {
    pub host: &'a str,
    pub address: &'a str,
    pub port: u16,
    pub user: &'a str,
    pub auth: &'a Auth,
}

impl<'a> Endpoint<'a> {
    pub fn of_target(target: &'a SshTarget) -> Self {
        Endpoint {
            host: &target.name,
            address: &target.address,
            port: target.port,
            user: &target.user,
            auth: &target.auth,
        }
    }

    pub fn of_jump(jump: &'a JumpHost) -> Self {
        Endpoint { host: &jump.name, address: &jump.address, port: jump.port, user: &jump.user, auth: &jump.auth }
    }

    pub(crate) fn timeout(&self, stage: ConnectStage, timeout: Duration) -> TransportError {
        TransportError::ConnectTimeout {
            host: self.host.to_owned(),
            address: self.address.to_owned(),
            port: self.port,
            stage,
            timeout,
        }
    }
}
