//! The precedence that decides how a host is reached, one setting at a time:
//! the inventory > the command line > OpenSSH's client configuration > built-in defaults.
//!
//! - address and port: the inventory's `host`/`port` (Ansible's `ansible_host`/`ansible_port`),
//!   else ssh_config's `HostName`/`Port`, else the inventory name and 22;
//! - user: the inventory's, else `--user`, else `User`, else [`DEFAULT_USER`];
//! - credentials: the inventory's password variable or key file, else the first `IdentityFile`
//!   that exists, else the agent;
//! - bastion: the inventory's `jump_host`, else `ProxyJump` (its host resolved through the same
//!   configuration, as `ssh -J` does);
//! - host keys: the host's `known_hosts_file` and `--known-hosts` first, then
//!   `UserKnownHostsFile` (default `~/.ssh/known_hosts`) and `GlobalKnownHostsFile` (default
//!   `/etc/ssh/ssh_known_hosts`); a first-seen key is trusted with `--accept-new-host-keys` or
//!   `StrictHostKeyChecking accept-new` (`no` counts as `accept-new`, never as "any key");
//! - timeouts: the inventory's `connect_timeout`, else `--connect-timeout`, else
//!   `ConnectTimeout`, else [`DEFAULT_CONNECT_TIMEOUT`]; keepalives every `ServerAliveInterval`;
//! - key exchanges: `KexAlgorithms`, else the SSH library's list (post-quantum first).

use std::path::PathBuf;
use std::sync::Arc;

use super::{ConnectError, ConnectSettings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_USER};
use crate::inventory::{Host, DEFAULT_PORT};
use crate::ssh_config::{
    expand_path, literal_path, HostConfig, LocalUser, ProxyJump, SshConfig, SshConfigError, SshConfigWarning, Tokens,
};
use crate::transport::{self, Auth, JumpHost, Secret, SshOptions, SshTarget};

pub(super) fn route(
    host: &Host,
    settings: &ConnectSettings,
    config: &SshConfig,
    local: &LocalUser,
) -> Result<(SshTarget, SshOptions, Vec<SshConfigWarning>), ConnectError> {
    let fail = |error: SshConfigError| ConnectError::SshConfig { host: host.name.clone(), error: Arc::new(error) };
    let found = config.host(&host.name).map_err(fail)?;
    let mut warnings = found.warnings.clone();
    let user = host
        .user
        .clone()
        .or_else(|| settings.default_user.clone())
        .or_else(|| found.user.as_ref().map(|u| u.value.clone()))
        .unwrap_or_else(|| DEFAULT_USER.to_owned());
    let address = match (&found.host_name, host.address_set) {
        (Some(name), false) => name.value.clone(),
        _ => host.address.clone(),
    };
    let port = match (&found.port, host.port_set) {
        (Some(port), false) => port.value,
        _ => host.port,
    };
    let tokens = tokens_for(local, &address, &host.name, port, &user);
    let auth = auth_for(host, &found, &tokens).map_err(|e| e.or_config(fail))?;
    let jump = match (&host.vars.jump_host, &found.proxy_jump) {
        (Some(j), _) => Some(JumpHost {
            name: format!("{} (jump host of {})", j.address, host.name),
            address: j.address.clone(),
            port: j.port,
            user: j.user.clone().unwrap_or_else(|| user.clone()),
            auth: auth.clone(),
        }),
        (None, Some(spec)) => match &spec.value {
            ProxyJump::None => None,
            ProxyJump::Via { user: jump_user, host: jump_host, port: jump_port } => {
                let via = Via { name: jump_host, user: jump_user.as_deref(), port: *jump_port };
                Some(
                    jump_through(host, via, config, local, (&user, &auth), &mut warnings)
                        .map_err(|e| e.or_config(fail))?,
                )
            }
        },
        (None, None) => None,
    };
    let target = SshTarget { name: host.name.clone(), address, port, user, auth, jump };
    // The host's own file first: trust-on-first-use records land in it.
    let mut known_hosts: Vec<PathBuf> = host.vars.known_hosts_file.iter().cloned().collect();
    known_hosts.extend(settings.extra_known_hosts.iter().cloned());
    match &found.user_known_hosts {
        Some(files) => {
            for file in &files.value {
                known_hosts.push(expand_path(file, &files.at, "UserKnownHostsFile", &tokens).map_err(fail)?);
            }
        }
        None => known_hosts.extend(transport::default_known_hosts()),
    }
    let mut options = SshOptions { known_hosts, ..SshOptions::default() };
    if let Some(files) = &found.global_known_hosts {
        options.global_known_hosts = files
            .value
            .iter()
            .map(|file| literal_path(file, &files.at, "GlobalKnownHostsFile"))
            .collect::<Result<_, _>>()
            .map_err(fail)?;
    }
    options.accept_new_host_keys =
        settings.accept_new_host_keys || found.strict_host_key_checking.as_ref().is_some_and(|s| s.value.accepts_new());
    options.connect_timeout = host
        .vars
        .connect_timeout
        .or(settings.connect_timeout)
        .or(found.connect_timeout.as_ref().map(|t| t.value).filter(|t| !t.is_zero()))
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    options.auth_timeout = options.connect_timeout;
    if let Some(interval) = &found.server_alive_interval {
        options.keepalive_interval = interval.value;
    }
    if let Some(kex) = &found.kex_algorithms {
        let offered = transport::key_exchanges();
        let list = kex
            .value
            .apply(offered, offered)
            .map_err(|reason| fail(SshConfigError::value(&kex.at, "KexAlgorithms", reason)))?;
        options.kex_algorithms = Some(list);
    }
    Ok((target, options, warnings))
}

fn tokens_for(local: &LocalUser, address: &str, name: &str, port: u16, user: &str) -> Tokens {
    Tokens {
        home: local.home.as_ref().map(|h| h.display().to_string()),
        local_user: local.name.clone(),
        local_uid: local.uid,
        host: address.to_owned(),
        original: name.to_owned(),
        port,
        remote_user: user.to_owned(),
    }
}

/// Why credentials could not be chosen.
enum AuthError {
    Credentials(ConnectError),
    Config(SshConfigError),
}

impl AuthError {
    fn or_config(self, fail: impl Fn(SshConfigError) -> ConnectError) -> ConnectError {
        match self {
            AuthError::Credentials(e) => e,
            AuthError::Config(e) => fail(e),
        }
    }
}

fn auth_for(host: &Host, found: &HostConfig, tokens: &Tokens) -> Result<Auth, AuthError> {
    let credentials =
        |message: String| AuthError::Credentials(ConnectError::Credentials { host: host.name.clone(), message });
    let secret = |var: &str| Secret::from_env(var).map_err(|e| credentials(e.to_string()));
    if let Some(var) = &host.vars.ssh_password_env {
        return Ok(Auth::Password(secret(var.as_str())?));
    }
    let passphrase = || match &host.vars.ssh_key_passphrase_env {
        Some(var) => secret(var.as_str()).map(Some),
        None => Ok(None),
    };
    if let Some(path) = &host.vars.ssh_key_file {
        // A FIFO or a device would block the connection (and a Ctrl-C) on its read forever.
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            return Err(credentials(format!("ssh_key_file {} is not a regular file", path.display())));
        }
        return Ok(Auth::KeyFile { path: path.clone(), passphrase: passphrase()? });
    }
    // As ssh, an IdentityFile that does not exist is passed over.
    for file in &found.identity_files {
        let path = expand_path(&file.value, &file.at, "IdentityFile", tokens).map_err(AuthError::Config)?;
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            return Ok(Auth::KeyFile { path, passphrase: passphrase()? });
        }
    }
    Ok(Auth::Agent)
}

/// A `ProxyJump` host as written: `[user@]host[:port]`.
struct Via<'a> {
    name: &'a str,
    user: Option<&'a str>,
    port: Option<u16>,
}

/// The bastion a `ProxyJump` names, its name resolved through the same configuration (its
/// `HostName`, `Port`, `User`, `IdentityFile`), as `ssh -J` resolves it; what the `ProxyJump`
/// line itself says wins, then the bastion's settings, then the target's user and credentials.
fn jump_through(
    host: &Host,
    via: Via<'_>,
    config: &SshConfig,
    local: &LocalUser,
    (target_user, target_auth): (&str, &Auth),
    warnings: &mut Vec<SshConfigWarning>,
) -> Result<JumpHost, AuthError> {
    let found = config.host(via.name).map_err(AuthError::Config)?;
    if let Some(ProxyJump::Via { .. }) = found.proxy_jump.as_ref().map(|p| &p.value) {
        if let Some(spec) = &found.proxy_jump {
            let warning = SshConfigWarning {
                at: spec.at.clone(),
                directive: "ProxyJump".into(),
                message: format!("the jump host {}'s own jump host is not used: wsusfix tunnels through one", via.name),
            };
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
        }
    }
    let address = found.host_name.as_ref().map_or_else(|| via.name.to_owned(), |h| h.value.clone());
    let port = via.port.or(found.port.as_ref().map(|p| p.value)).unwrap_or(DEFAULT_PORT);
    let user = via
        .user
        .map(str::to_owned)
        .or_else(|| found.user.as_ref().map(|u| u.value.clone()))
        .unwrap_or_else(|| target_user.to_owned());
    let tokens = tokens_for(local, &address, via.name, port, &user);
    let mut auth = target_auth.clone();
    for file in &found.identity_files {
        let path = expand_path(&file.value, &file.at, "IdentityFile", &tokens).map_err(AuthError::Config)?;
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            auth = Auth::KeyFile { path, passphrase: None };
            break;
        }
    }
    Ok(JumpHost { name: format!("{} (jump host of {})", via.name, host.name), address, port, user, auth })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::inventory::Inventory;
    use crate::ssh_config::Source;

    struct Case {
        dir: tempfile::TempDir,
        local: LocalUser,
    }

    impl Case {
        fn new() -> Case {
            let dir = tempfile::tempdir().unwrap();
            let local = LocalUser { home: Some(dir.path().to_path_buf()), name: "op".into(), uid: Some(1000) };
            Case { dir, local }
        }

        fn file(&self, name: &str, text: &str) -> PathBuf {
            let path = self.dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        }

        fn route(
            &self,
            config: &str,
            inventory: &str,
            settings: &ConnectSettings,
        ) -> Result<(SshTarget, SshOptions, Vec<SshConfigWarning>), ConnectError> {
            let path = self.file("config", config);
            let config = SshConfig::load(&Source::File(path), &self.local).unwrap();
            let inventory = Inventory::parse(inventory, "inline.yaml").unwrap();
            route(&inventory.hosts[0], settings, &config, &self.local)
        }
    }

    const CONFIG: &str = "Host wsus01\n  HostName 10.0.0.5\n  Port 2222\n  User cfguser\n  ConnectTimeout 3\n\
                          ServerAliveInterval 0\n  ProxyJump none\nHost *\n  ProxyJump ops@bastion\n";

    #[test]
    fn ssh_config_fills_in_what_the_inventory_leaves_open() {
        let case = Case::new();
        let (target, options, _) =
            case.route(CONFIG, "all:\n  hosts:\n    wsus01:\n", &ConnectSettings::default()).unwrap();
        assert_eq!((target.address.as_str(), target.port, target.user.as_str()), ("10.0.0.5", 2222, "cfguser"));
        assert_eq!(target.jump, None, "ProxyJump none came first");
        assert_eq!(target.auth, Auth::Agent);
        assert_eq!(options.connect_timeout, Duration::from_secs(3));
        assert_eq!(options.keepalive_interval, Duration::ZERO);
        assert!(!options.accept_new_host_keys);
    }

    #[test]
    fn the_inventory_wins_then_the_command_line() {
        let case = Case::new();
        let inventory = "all:\n  hosts:\n    wsus01:\n      ansible_host: 10.9.9.9\n      ansible_port: 22\n      \
                         ansible_user: invuser\n      connect_timeout: 9\n";
        let settings = ConnectSettings {
            default_user: Some("cliuser".into()),
            connect_timeout: Some(Duration::from_secs(4)),
            ..ConnectSettings::default()
        };
        let (target, options, _) = case.route(CONFIG, inventory, &settings).unwrap();
        assert_eq!((target.address.as_str(), target.port, target.user.as_str()), ("10.9.9.9", 22, "invuser"));
        assert_eq!(options.connect_timeout, Duration::from_secs(9));
        let (target, options, _) = case.route(CONFIG, "all:\n  hosts:\n    wsus01:\n", &settings).unwrap();
        assert_eq!(target.user, "cliuser", "--user before ssh_config's User");
        assert_eq!(options.connect_timeout, Duration::from_secs(4), "--connect-timeout before ConnectTimeout");
        let (target, options, _) =
            case.route("Port 2\n", "all:\n  hosts:\n    other:\n", &ConnectSettings::default()).unwrap();
        assert_eq!((target.address.as_str(), target.port, target.user.as_str()), ("other", 2, DEFAULT_USER));
        assert_eq!(options.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
    }

    #[test]
    fn bastions_keys_and_known_hosts() {
        let case = Case::new();
        let key = case.file("id_admin", "not a real key");
        let config = format!(
            "Host bastion\n  HostName 192.0.2.1\n  Port 2022\n  User jumpuser\n\
             Host *\n  IdentityFile %d/missing_%r\n  IdentityFile {}/id_%r\n  ProxyJump bastion\n\
             UserKnownHostsFile %d/kh_%n\n  GlobalKnownHostsFile /etc/wsusfix/global\n\
             StrictHostKeyChecking accept-new\n",
            case.dir.path().display()
        );
        let inventory = "all:\n  hosts:\n    wsus01:\n      user: admin\n      known_hosts_file: /own/kh\n";
        let settings = ConnectSettings { extra_known_hosts: vec!["/extra/kh".into()], ..ConnectSettings::default() };
        let (target, options, _) = case.route(&config, inventory, &settings).unwrap();
        assert_eq!(target.auth, Auth::KeyFile { path: key.clone(), passphrase: None }, "the first that exists");
        let jump = target.jump.unwrap();
        assert_eq!((jump.address.as_str(), jump.port, jump.user.as_str()), ("192.0.2.1", 2022, "jumpuser"));
        assert_eq!(jump.auth, target.auth, "the bastion's own files do not exist: the target's key");
        let home = case.dir.path();
        assert_eq!(options.known_hosts, [Path::new("/own/kh"), Path::new("/extra/kh"), &home.join("kh_wsus01")]);
        assert_eq!(options.global_known_hosts, [Path::new("/etc/wsusfix/global")]);
        assert!(options.accept_new_host_keys);
        // The inventory's jump host and key file win over ProxyJump and IdentityFile.
        let inventory = "all:\n  hosts:\n    wsus01:\n      jump_host: gw:22\n      ssh_key_file: /keys/k\n";
        let (target, _, _) = case.route(&config, inventory, &ConnectSettings::default()).unwrap();
        assert_eq!(target.jump.unwrap().address, "gw");
        assert_eq!(target.auth, Auth::KeyFile { path: "/keys/k".into(), passphrase: None });
    }

    #[test]
    fn bad_paths_name_the_line() {
        let case = Case::new();
        let err = case
            .route("IdentityFile %C\n", "all:\n  hosts:\n    wsus01:\n", &ConnectSettings::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("wsus01: ssh_config ") && err.contains("config:1: IdentityFile: `%C`"), "{err}");
    }
}
