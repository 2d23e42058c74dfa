//! From an inventory host to an open remote shell: the [`Connector`] trait the engines use,
//! and [`SshConnector`], which decides which address, port and user, which credentials (always
//! by reference: an environment variable name or a key file, never a secret in the inventory),
//! which known_hosts files and which bastion, from the inventory, the command line and
//! OpenSSH's client configuration (`route` holds the precedence).

mod route;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::inventory::Host;
use crate::ssh_config::{self, LocalUser, SshConfig, SshConfigError, SshConfigWarning};
use crate::transport::{RemoteShell, SshOptions, SshTarget, SshTransport, TransportError};

/// The user for hosts that neither the inventory, `--user` nor ssh_config name one for.
pub const DEFAULT_USER: &str = "Administrator";
/// How long connecting and authenticating may take when nothing says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The host's OpenSSH client configuration cannot be used.
    #[error("{host}: {error}")]
    SshConfig { host: String, error: Arc<SshConfigError> },
}

/// Settings shared by every connection of a run.
#[derive(Clone, Debug, Default)]
pub struct ConnectSettings {
    /// `--accept-new-host-keys`: for every host, whatever ssh_config's `StrictHostKeyChecking`.
    pub accept_new_host_keys: bool,
    /// known_hosts files checked besides `~/.ssh/known_hosts` and the host's own.
    pub extra_known_hosts: Vec<PathBuf>,
    /// `--connect-timeout`, when given: for hosts whose inventory sets no `connect_timeout`,
    /// before ssh_config's `ConnectTimeout`; then [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Option<Duration>,
    /// `--user`, when given: for hosts whose inventory names none, before ssh_config's `User`;
    /// then [`DEFAULT_USER`].
    pub default_user: Option<String>,
    /// `-F`, when given: the OpenSSH configuration for every host. Otherwise a host's
    /// `ssh_config_file`, else `~/.ssh/config` and `/etc/ssh/ssh_config`.
    pub ssh_config: Option<ssh_config::Source>,
}

type Loaded = Result<Arc<SshConfig>, Arc<SshConfigError>>;

/// Connects to inventory hosts over SSH.
#[derive(Clone, Debug)]
pub struct SshConnector {
    settings: ConnectSettings,
    local: LocalUser,
    /// Each configuration source, read once per run.
    configs: Arc<Mutex<HashMap<ssh_config::Source, Loaded>>>,
}

impl From<TransportError> for ConnectError {
    fn from(e: TransportError) -> ConnectError {
        ConnectError::Transport(Box::new(e))
    }
}

impl SshConnector {
    pub fn new(settings: ConnectSettings) -> SshConnector {
        SshConnector { settings, local: LocalUser::current(), configs: Arc::default() }
    }

    /// The OpenSSH configuration that applies to `host`: `-F`, else its `ssh_config_file`,
    /// else the default files.
    fn config_for(&self, host: &Host) -> Result<Arc<SshConfig>, ConnectError> {
        let source = match (&self.settings.ssh_config, &host.vars.ssh_config_file) {
            (Some(source), _) => source.clone(),
            (None, Some(file)) => ssh_config::Source::File(file.clone()),
            (None, None) => ssh_config::Source::Default,
        };
        // A poisoned lock only means another thread panicked while holding the map, which
        // holds nothing half-written.
        let mut configs = self.configs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let loaded = configs
            .entry(source)
            .or_insert_with_key(|source| SshConfig::load(source, &self.local).map(Arc::new).map_err(Arc::new));
        loaded.clone().map_err(|error| ConnectError::SshConfig { host: host.name.clone(), error })
    }

    /// The SSH target and options for a host, credentials resolved from the environment,
    /// with what its ssh_config said that wsusfix does not do as ssh would.
    pub fn route(&self, host: &Host) -> Result<(SshTarget, SshOptions, Vec<SshConfigWarning>), ConnectError> {
        let config = self.config_for(host)?;
        route::route(host, &self.settings, &config, &self.local)
    }

    /// The SSH target and options for a host, credentials resolved from the environment.
    pub fn target_for(&self, host: &Host) -> Result<(SshTarget, SshOptions), ConnectError> {
        self.route(host).map(|(target, options, _)| (target, options))
    }

    /// Resolves every host before any is contacted: the first configuration that cannot be
    /// used is an error; the warnings come once each, in the order met.
    pub fn check(&self, hosts: &[Host]) -> Result<Vec<SshConfigWarning>, ConnectError> {
        let mut warnings = Vec::new();
        for host in hosts {
            let (_, _, found) = match self.route(host) {
                Ok(route) => route,
                // A missing credential is the host's own problem, reported when it is reached.
                Err(ConnectError::Credentials { .. }) => continue,
                Err(e) => return Err(e),
            };
            for warning in found {
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        Ok(warnings)
    }
}

impl Connector for SshConnector {
    fn connect(&self, host: &Host) -> Result<Box<dyn RemoteShell>, ConnectError> {
        let (target, options) = self.target_for(host)?;
        Ok(Box::new(SshTransport::connect(&target, &options)?))
    }
}
