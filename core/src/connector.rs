//! From an inventory host to an open remote shell: the [`Connector`] trait the engines use,
//! and [`SshConnector`], which decides which user, which credentials (always by reference: an
//! environment variable name or a key file, never a secret in the inventory), which known_hosts
//! files and which bastion.

use std::path::PathBuf;
use std::time::Duration;

use crate::inventory::Host;
use crate::transport::{self, Auth, RemoteShell, Secret, SshOptions, SshTarget, SshTransport, TransportError};

/// Opens a remote shell to a host. The SSH implementation is [`SshConnector`]; tests may bring
/// their own.
pub trait Connector: Sync {
    fn connect(&self, host: &Host) -> Result<Box<dyn RemoteShell>, ConnectError>;
}

/// Why no shell could be opened to a host.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// A credential the inventory refers to is not available.
    #[error("{host}: {message}")]
    Credentials { host: String, message: String },
}

/// Settings shared by every connection of a run.
#[derive(Clone, Debug)]
pub struct ConnectSettings {
    pub accept_new_host_keys: bool,
    /// known_hosts files checked besides `~/.ssh/known_hosts` and the host's own.
    pub extra_known_hosts: Vec<PathBuf>,
    pub connect_timeout: Duration,
    /// The user for hosts whose inventory names none.
    pub default_user: String,
}

/// Connects to inventory hosts over SSH.
#[derive(Clone, Debug)]
pub struct SshConnector {
    settings: ConnectSettings,
}

impl From<TransportError> for ConnectError {
    fn from(e: TransportError) -> ConnectError {
        ConnectError::Transport(Box::new(e))
    }
}

impl SshConnector {
    pub fn new(settings: ConnectSettings) -> SshConnector {
        SshConnector { settings }
    }

    /// The SSH target and options for a host, credentials resolved from the environment.
    pub fn target_for(&self, host: &Host) -> Result<(SshTarget, SshOptions), ConnectError> {
        let auth = auth_for(host)?;
        let user = host.user.clone().unwrap_or_else(|| self.settings.default_user.clone());
        let jump = host.vars.jump_host.as_ref().map(|j| transport::JumpHost {
            name: format!("{} (jump host of {})", j.address, host.name),
            address: j.address.clone(),
            port: j.port,
            user: j.user.clone().unwrap_or_else(|| user.clone()),
            auth: auth.clone(),
        });
        let target =
            SshTarget { name: host.name.clone(), address: host.address.clone(), port: host.port, user, auth, jump };
        // The host's own file first: trust-on-first-use records land in it.
        let mut known_hosts: Vec<PathBuf> = host.vars.known_hosts_file.iter().cloned().collect();
        known_hosts.extend(self.settings.extra_known_hosts.iter().cloned());
        known_hosts.extend(transport::default_known_hosts());
        let connect_timeout = host.vars.connect_timeout.unwrap_or(self.settings.connect_timeout);
        let options = SshOptions {
            known_hosts,
            accept_new_host_keys: self.settings.accept_new_host_keys,
            connect_timeout,
            auth_timeout: connect_timeout,
            ..SshOptions::default()
        };
        Ok((target, options))
    }
}

fn auth_for(host: &Host) -> Result<Auth, ConnectError> {
    let secret = |var: &str| {
        Secret::from_env(var).map_err(|e| ConnectError::Credentials { host: host.name.clone(), message: e.to_string() })
    };
    if let Some(var) = &host.vars.ssh_password_env {
        return Ok(Auth::Password(secret(var.as_str())?));
    }
    if let Some(path) = &host.vars.ssh_key_file {
        // A FIFO or a device would block the connection (and a Ctrl-C) on its read forever.
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            return Err(ConnectError::Credentials {
                host: host.name.clone(),
                message: format!("ssh_key_file {} is not a regular file", path.display()),
            });
        }
        let passphrase = match &host.vars.ssh_key_passphrase_env {
            Some(var) => Some(secret(var.as_str())?),
            None => None,
        };
        return Ok(Auth::KeyFile { path: path.clone(), passphrase });
    }
    Ok(Auth::Agent)
}

impl Connector for SshConnector {
    fn connect(&self, host: &Host) -> Result<Box<dyn RemoteShell>, ConnectError> {
        let (target, options) = self.target_for(host)?;
        Ok(Box::new(SshTransport::connect(&target, &options)?))
    }
}
