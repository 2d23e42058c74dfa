//! OpenSSH's client configuration (`~/.ssh/config`, `-F FILE`, an inventory's
//! `ssh_config_file`), read the way `ssh` reads it for the hosts wsusfix connects to.
//!
//! `Host` patterns match a host's **inventory name** (what ssh matches is the name given on its
//! command line, and the inventory name is what wsusfix is given), `Match` decides on `all`,
//! `host`, `originalhost`, `user` and `localuser`, `Include` follows globs, and for each
//! directive the first value obtained wins. wsusfix applies `HostName`, `Port`, `User`,
//! `IdentityFile`, `ProxyJump`, `UserKnownHostsFile`, `GlobalKnownHostsFile`,
//! `StrictHostKeyChecking`, `ConnectTimeout`, `ServerAliveInterval` and `KexAlgorithms`; a directive that would
//! make ssh connect elsewhere or otherwise (`ProxyCommand`, `HostKeyAlias`, ...) is named in a
//! warning when it applies to a host, and one that does not matter to a connection is ignored.
//!
//! Values are checked with the inventory's validators, and every error or warning names the
//! file and line. The connector (`crate::connector`) decides precedence: the inventory over
//! ssh_config over built-in defaults.
//!
//! ```
//! use wsusfix_core::ssh_config::{LocalUser, Source, SshConfig};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let file = dir.path().join("config");
//! std::fs::write(&file, "Host wsus-*\n  HostName %h.corp.example\n  Port 2222\nHost *\n  Port 22\n").unwrap();
//! let config = SshConfig::load(&Source::File(file), &LocalUser::current()).unwrap();
//! let host = config.host("wsus-lyon").unwrap();
//! assert_eq!(host.host_name.unwrap().value, "wsus-lyon.corp.example");
//! assert_eq!(host.port.unwrap().value, 2222);
//! ```

mod error;
mod keywords;
mod lex;
mod load;
mod local;
mod pattern;
mod resolve;
mod tokens;
mod values;

use std::path::{Path, PathBuf};

pub use error::{Located, Location, SshConfigError, SshConfigWarning};
pub use local::LocalUser;
pub use resolve::HostConfig;
pub use tokens::Tokens;
pub use values::{AlgorithmList, ListChange, ProxyJump, StrictHostKeyChecking};

use load::{ConfigFile, Owner, Reader};

/// The system-wide file ssh reads after the user's.
pub const SYSTEM_CONFIG: &str = "/etc/ssh/ssh_config";

/// Which configuration files to read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// As ssh does without `-F`: `~/.ssh/config`, then `/etc/ssh/ssh_config` (either may be absent).
    Default,
    /// As `ssh -F FILE`: that file only (it must exist), not the system's.
    File(PathBuf),
    /// As `ssh -F none`: no file.
    None,
}

impl Source {
    /// `-F`'s argument: `none`, or a file.
    pub fn from_arg(arg: &Path) -> Source {
        if arg.as_os_str() == "none" {
            Source::None
        } else {
            Source::File(arg.to_path_buf())
        }
    }
}

/// The configuration files, read and ready to resolve hosts against.
#[derive(Clone, Debug)]
pub struct SshConfig {
    files: Vec<ConfigFile>,
    local: LocalUser,
}

impl SshConfig {
    /// Reads the files `source` names.
    pub fn load(source: &Source, local: &LocalUser) -> Result<SshConfig, SshConfigError> {
        let user_file = local.home.as_ref().map(|h| h.join(".ssh").join("config"));
        match source {
            Source::Default => SshConfig::read(user_file.as_deref(), Some(Path::new(SYSTEM_CONFIG)), local),
            Source::File(path) => SshConfig::read_file(path, local),
            Source::None => Ok(SshConfig { files: Vec::new(), local: local.clone() }),
        }
    }

    /// Reads a user's file and a system file, as ssh without `-F`; either may be absent.
    pub fn read(user: Option<&Path>, system: Option<&Path>, local: &LocalUser) -> Result<SshConfig, SshConfigError> {
        let reader = Reader { home: local.home.as_deref() };
        let mut files = Vec::new();
        if let Some(path) = user {
            files.extend(reader.read(path, Owner::User, true)?);
        }
        if let Some(path) = system {
            files.extend(reader.read(path, Owner::System, true)?);
        }
        Ok(SshConfig { files, local: local.clone() })
    }

    /// Reads one file that must exist, as `ssh -F FILE`.
    pub fn read_file(path: &Path, local: &LocalUser) -> Result<SshConfig, SshConfigError> {
        let reader = Reader { home: local.home.as_deref() };
        let files = reader.read(path, Owner::User, false)?.into_iter().collect();
        Ok(SshConfig { files, local: local.clone() })
    }

    /// What the configuration says about the host called `name` (its inventory name).
    pub fn host(&self, name: &str) -> Result<HostConfig, SshConfigError> {
        resolve::resolve(&self.files, name, &resolve::Local { user: &self.local.name })
    }

    /// The local user the configuration was read for.
    pub fn local(&self) -> &LocalUser {
        &self.local
    }
}

/// A path directive's value with its tokens and `~/` expanded, checked as the inventory checks
/// a local path; an error names the line and the directive.
pub fn expand_path(value: &str, at: &Location, directive: &str, tokens: &Tokens) -> Result<PathBuf, SshConfigError> {
    let bad = |reason: String| SshConfigError::value(at, directive, reason);
    let text = tokens::path(value, tokens).map_err(bad)?;
    crate::inventory::validate::local_path(&text).map_err(bad)
}

/// A path directive that takes no tokens (`GlobalKnownHostsFile`, as in ssh), checked as the
/// inventory checks a local path.
pub fn literal_path(value: &str, at: &Location, directive: &str) -> Result<PathBuf, SshConfigError> {
    crate::inventory::validate::local_path(value).map_err(|reason| SshConfigError::value(at, directive, reason))
}

#[cfg(test)]
mod tests;
