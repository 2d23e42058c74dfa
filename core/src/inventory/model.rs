//! The loaded inventory: hosts with typed, merged, validated variables, and their groups.
//!
//! Every value here has passed the checks in `validate`, so code that renders commands from
//! a [`Host`] can trust its characters.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::error::{Location, Scope};

/// The SSH port used when an inventory names none.
pub const DEFAULT_PORT: u16 = 22;

/// A validated inventory: hosts in order of first appearance, and every group.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// The file (or name) the inventory was read from, as given.
    pub source: String,
    /// SHA-256 of the text it was read from (lowercase hex), to name exactly which inventory a
    /// result came from.
    pub sha256: String,
    pub hosts: Vec<Host>,
    /// Every group by name, including Ansible's implicit `all` and `ungrouped`.
    pub groups: BTreeMap<String, Group>,
    pub warnings: Vec<Warning>,
}

/// One server to manage, with its variables merged from all its groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Host {
    /// The inventory name (the key under `hosts:`).
    pub name: String,
    /// What to connect to: `host`/`ansible_host`, or the name itself. IPv6 without brackets.
    pub address: String,
    pub port: u16,
    pub user: Option<String>,
    /// Whether a variable set the address and the port (rather than the name and 22 standing in):
    /// ssh_config's `HostName` and `Port` fill in only what the inventory left open.
    #[serde(skip)]
    pub address_set: bool,
    #[serde(skip)]
    pub port_set: bool,
    /// Every group the host belongs to, directly or through a child group, sorted,
    /// without `all`.
    pub groups: Vec<String>,
    pub vars: HostVars,
}

impl Host {
    /// What the host's SSH server runs exec requests with: `cmd` unless the inventory says.
    pub fn shell_type(&self) -> crate::shell::ShellType {
        self.vars.shell_type.unwrap_or_default()
    }

    /// Where WSUS is installed: the inventory's `wsus_dir`, or the advisory's default.
    pub fn wsus_dir<'a>(&'a self, advisory: &'a crate::advisory::Advisory) -> &'a str {
        self.vars.wsus_dir.as_ref().map_or(advisory.default_wsus_dir.as_str(), |d| d.as_str())
    }

    /// `address:port`, with brackets around an IPv6 address.
    pub fn endpoint(&self) -> String {
        endpoint(&self.address, self.port)
    }

    /// Whether the host belongs to `group` (every host belongs to `all`).
    pub fn in_group(&self, group: &str) -> bool {
        group == "all" || self.groups.iter().any(|g| g == group)
    }
}

pub(super) fn endpoint(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// The variables wsusfix understands, after precedence (host > child group > parent > all).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostVars {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_key_passphrase_env: Option<EnvVarName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_password_env: Option<EnvVarName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_hosts_file: Option<PathBuf>,
    /// OpenSSH client configuration read for this host instead of `~/.ssh/config` (as `ssh -F`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_config_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jump_host: Option<JumpHost>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds")]
    pub connect_timeout: Option<Duration>,
    /// How long the read-only probe may run, when not the command line's `--probe-timeout`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds")]
    pub probe_timeout: Option<Duration>,
    /// Where WSUS is installed, when not where the advisory says it installs by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wsus_dir: Option<WindowsPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temp_dir: Option<WindowsPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_x86: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_x64: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_sha256_x86: Option<Sha256Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_sha256_x64: Option<Sha256Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lab_profile: Option<LabProfile>,
    /// What the host's SSH server runs exec requests with (`ansible_shell_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell_type: Option<crate::shell::ShellType>,
}

impl HostVars {
    /// The variables that are set, by their inventory name, as display text.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let secs = |d: &Option<Duration>| d.map(|d| format!("{}s", d.as_secs_f64()));
        let all = [
            ("ssh_key_file", path(&self.ssh_key_file)),
            ("ssh_key_passphrase_env", shown(&self.ssh_key_passphrase_env)),
            ("ssh_password_env", shown(&self.ssh_password_env)),
            ("known_hosts_file", path(&self.known_hosts_file)),
            ("ssh_config_file", path(&self.ssh_config_file)),
            ("jump_host", shown(&self.jump_host)),
            ("connect_timeout", secs(&self.connect_timeout)),
            ("probe_timeout", secs(&self.probe_timeout)),
            ("wsus_dir", shown(&self.wsus_dir)),
            ("temp_dir", shown(&self.temp_dir)),
            ("package_x86", path(&self.package_x86)),
            ("package_x64", path(&self.package_x64)),
            ("package_sha256_x86", shown(&self.package_sha256_x86)),
            ("package_sha256_x64", shown(&self.package_sha256_x64)),
            ("lab_profile", shown(&self.lab_profile)),
            ("shell_type", shown(&self.shell_type)),
        ];
        all.into_iter().filter_map(|(name, value)| value.map(|v| (name, v))).collect()
    }
}

fn shown<T: fmt::Display>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(T::to_string)
}

fn seconds<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) if d.subsec_nanos() == 0 => s.serialize_u64(d.as_secs()),
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// A group, with its place in the tree. Variables are already merged into the hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub name: String,
    /// Distance from `all` along the longest path; deeper groups win precedence.
    pub depth: usize,
    pub parents: Vec<String>,
    pub children: Vec<String>,
    /// Hosts listed directly in this group (not through its children).
    pub hosts: Vec<String>,
}

/// Something in the inventory that was ignored; loading went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub location: Location,
    pub scope: Scope,
    pub variable: Option<String>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: ", self.location, self.scope)?;
        if let Some(variable) = &self.variable {
            write!(f, "variable `{variable}` ")?;
        }
        f.write_str(&self.message)
    }
}

macro_rules! checked_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub(super) String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_text!(
    /// An absolute Windows path (`C:\...`) made only of letters, digits, space and `_ . - \ ( )`.
    WindowsPath
);
checked_text!(
    /// The name of an environment variable (`[A-Za-z_][A-Za-z0-9_]*`); never its value.
    EnvVarName
);
checked_text!(
    /// A SHA-256 digest as 64 lowercase hexadecimal digits.
    Sha256Digest
);
checked_text!(
    /// The name of a simulated lab profile (`[a-z0-9-]`).
    LabProfile
);

/// A bastion to tunnel through: `user@host:port`, user and port optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    pub user: Option<String>,
    /// IPv6 without brackets.
    pub address: String,
    pub port: u16,
}

impl fmt::Display for JumpHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        f.write_str(&endpoint(&self.address, self.port))
    }
}

impl Serialize for JumpHost {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
