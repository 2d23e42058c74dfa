//! wsusfix's inventory variables: their names and Ansible aliases, which names are secrets,
//! and how a YAML value becomes a typed setting.

use std::path::PathBuf;
use std::time::Duration;

use serde_yaml::Value;

use super::model::{EnvVarName, HostVars, JumpHost, LabProfile, Sha256Digest, WindowsPath};
use super::validate::{self, Reason};
use crate::shell::ShellType;

/// A variable wsusfix understands, by its canonical name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Var {
    Host,
    Port,
    User,
    SshKeyFile,
    SshKeyPassphraseEnv,
    SshPasswordEnv,
    KnownHostsFile,
    SshConfigFile,
    JumpHost,
    ConnectTimeout,
    ProbeTimeout,
    WsusDir,
    TempDir,
    PackageX86,
    PackageX64,
    PackageSha256X86,
    PackageSha256X64,
    LabProfile,
    ShellType,
    /// `ansible_group_priority`: orders groups of one depth; never a host's setting.
    GroupPriority,
}

const NAMES: &[(&str, Var)] = &[
    ("host", Var::Host),
    ("port", Var::Port),
    ("user", Var::User),
    ("ssh_key_file", Var::SshKeyFile),
    ("ssh_key_passphrase_env", Var::SshKeyPassphraseEnv),
    ("ssh_password_env", Var::SshPasswordEnv),
    ("known_hosts_file", Var::KnownHostsFile),
    ("ssh_config_file", Var::SshConfigFile),
    ("jump_host", Var::JumpHost),
    ("connect_timeout", Var::ConnectTimeout),
    ("probe_timeout", Var::ProbeTimeout),
    ("wsus_dir", Var::WsusDir),
    ("temp_dir", Var::TempDir),
    ("package_x86", Var::PackageX86),
    ("package_x64", Var::PackageX64),
    ("package_sha256_x86", Var::PackageSha256X86),
    ("package_sha256_x64", Var::PackageSha256X64),
    ("lab_profile", Var::LabProfile),
    ("shell_type", Var::ShellType),
];

/// Ansible's names for the same things, so that existing inventories just work.
const ALIASES: &[(&str, Var)] = &[
    ("ansible_host", Var::Host),
    ("ansible_ssh_host", Var::Host),
    ("ansible_port", Var::Port),
    ("ansible_ssh_port", Var::Port),
    ("ansible_user", Var::User),
    ("ansible_ssh_user", Var::User),
    ("ansible_ssh_private_key_file", Var::SshKeyFile),
    ("ansible_private_key_file", Var::SshKeyFile),
    ("ansible_shell_type", Var::ShellType),
    ("ansible_group_priority", Var::GroupPriority),
    // This project's own earlier name: it only ever bounded the probe.
    ("command_timeout", Var::ProbeTimeout),
];

/// What a variable name means to wsusfix.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum VarName {
    Known(Var),
    /// A password or passphrase: refused when it holds a value.
    Secret {
        instead: &'static str,
    },
    /// Not used; the message says why.
    Ignored(&'static str),
}

pub(super) fn classify(name: &str) -> VarName {
    if let Some((_, var)) = NAMES.iter().chain(ALIASES).find(|(n, _)| *n == name) {
        return VarName::Known(*var);
    }
    let lower = name.to_ascii_lowercase();
    let secret = ["password", "passphrase", "passwd", "pass"]
        .iter()
        .any(|word| lower == *word || lower.ends_with(&format!("_{word}")));
    if secret {
        let instead = if lower.contains("passphrase") { "ssh_key_passphrase_env" } else { "ssh_password_env" };
        return VarName::Secret { instead };
    }
    VarName::Ignored(match lower.as_str() {
        "ansible_ssh_common_args" | "ansible_ssh_extra_args" | "ansible_ssh_args" => {
            "is not supported: wsusfix passes no options to ssh; for a bastion set `jump_host` (ignored)"
        }
        "ansible_connection" => "is ignored: wsusfix always connects over SSH",
        _ if lower.starts_with("ansible_") => "is an Ansible variable wsusfix does not use (ignored)",
        _ => "is not a wsusfix variable (ignored)",
    })
}

/// Settings from one place (a group's `vars`, or one listing of a host), before precedence.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct VarSet {
    address: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    ssh_key_file: Option<PathBuf>,
    ssh_key_passphrase_env: Option<EnvVarName>,
    ssh_password_env: Option<EnvVarName>,
    known_hosts_file: Option<PathBuf>,
    ssh_config_file: Option<PathBuf>,
    jump_host: Option<JumpHost>,
    connect_timeout: Option<Duration>,
    probe_timeout: Option<Duration>,
    wsus_dir: Option<WindowsPath>,
    temp_dir: Option<WindowsPath>,
    package_x86: Option<PathBuf>,
    package_x64: Option<PathBuf>,
    package_sha256_x86: Option<Sha256Digest>,
    package_sha256_x64: Option<Sha256Digest>,
    lab_profile: Option<LabProfile>,
    shell_type: Option<ShellType>,
    /// A group's own ordering, not laid over hosts (see [`VarSet::overlay`]).
    group_priority: Option<i64>,
}

macro_rules! overlay_fields {
    ($self:ident, $over:ident: $($field:ident),*) => {
        $( if $over.$field.is_some() { $self.$field.clone_from(&$over.$field); } )*
    };
}

impl VarSet {
    /// Checks `value` for `var` and records it.
    pub(super) fn set(&mut self, var: Var, value: &Value) -> Result<(), Reason> {
        if value.is_null() {
            return Err("has no value; give one or remove the line".into());
        }
        match var {
            Var::Host => self.address = Some(validate::address(&text(value)?)?),
            Var::Port => self.port = Some(validate::port(integer(value)?)?),
            Var::User => self.user = Some(validate::user(&text(value)?)?),
            Var::SshKeyFile => self.ssh_key_file = Some(validate::local_path(&text(value)?)?),
            Var::SshKeyPassphraseEnv => self.ssh_key_passphrase_env = Some(text(value)?.parse()?),
            Var::SshPasswordEnv => self.ssh_password_env = Some(text(value)?.parse()?),
            Var::KnownHostsFile => self.known_hosts_file = Some(validate::local_path(&text(value)?)?),
            Var::SshConfigFile => self.ssh_config_file = Some(validate::local_path(&text(value)?)?),
            Var::JumpHost => self.jump_host = Some(text(value)?.parse()?),
            Var::ConnectTimeout => self.connect_timeout = Some(validate::seconds(number(value)?)?),
            Var::ProbeTimeout => self.probe_timeout = Some(validate::seconds(number(value)?)?),
            Var::WsusDir => self.wsus_dir = Some(text(value)?.parse()?),
            Var::TempDir => self.temp_dir = Some(text(value)?.parse()?),
            Var::PackageX86 => self.package_x86 = Some(validate::local_path(&text(value)?)?),
            Var::PackageX64 => self.package_x64 = Some(validate::local_path(&text(value)?)?),
            Var::PackageSha256X86 => self.package_sha256_x86 = Some(text(value)?.parse()?),
            Var::PackageSha256X64 => self.package_sha256_x64 = Some(text(value)?.parse()?),
            Var::LabProfile => self.lab_profile = Some(text(value)?.parse()?),
            Var::ShellType => self.shell_type = Some(text(value)?.parse()?),
            Var::GroupPriority => {
                let priority = integer(value)?;
                let range = -1_000_000..=1_000_000;
                if !range.contains(&priority) {
                    return Err(format!("must be between {} and {}", range.start(), range.end()));
                }
                self.group_priority = Some(priority as i64);
            }
        }
        Ok(())
    }

    /// The port written after a host's name (`wsus01:2222`), unless a variable sets one.
    pub(super) fn set_port_if_unset(&mut self, port: u16) {
        self.port.get_or_insert(port);
    }

    /// The `ansible_group_priority` read into this set, if any.
    pub(super) fn group_priority(&self) -> Option<i64> {
        self.group_priority
    }

    /// Lets every setting of `over` replace this one's (a group's priority stays its own).
    pub(super) fn overlay(&mut self, over: &VarSet) {
        overlay_fields!(self, over: address, port, user, ssh_key_file, ssh_key_passphrase_env,
            ssh_password_env, known_hosts_file, ssh_config_file, jump_host, connect_timeout, probe_timeout,
            wsus_dir, temp_dir, package_x86, package_x64, package_sha256_x86,
            package_sha256_x64, lab_profile, shell_type);
    }

    /// The final address, port, user and variables of the host called `name`; the address and
    /// port are `None` where no variable set them (the name and 22 then, unless ssh_config says).
    pub(super) fn finish(self) -> (Option<String>, Option<u16>, Option<String>, HostVars) {
        let vars = HostVars {
            ssh_key_file: self.ssh_key_file,
            ssh_key_passphrase_env: self.ssh_key_passphrase_env,
            ssh_password_env: self.ssh_password_env,
            known_hosts_file: self.known_hosts_file,
            ssh_config_file: self.ssh_config_file,
            jump_host: self.jump_host,
            connect_timeout: self.connect_timeout,
            probe_timeout: self.probe_timeout,
            wsus_dir: self.wsus_dir,
            temp_dir: self.temp_dir,
            package_x86: self.package_x86,
            package_x64: self.package_x64,
            package_sha256_x86: self.package_sha256_x86,
            package_sha256_x64: self.package_sha256_x64,
            lab_profile: self.lab_profile,
            shell_type: self.shell_type,
        };
        (self.address, self.port, self.user, vars)
    }
}

/// How a YAML value is described in messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn text(value: &Value) -> Result<String, Reason> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("expected text, found {}", kind(other))),
    }
}

fn integer(value: &Value) -> Result<i128, Reason> {
    let parsed = match value {
        Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| format!("expected a whole number, found {}", describe(value)))
}

fn number(value: &Value) -> Result<f64, Reason> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| format!("expected a number of seconds, found {}", describe(value)))
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        other => kind(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_secrets() {
        assert_eq!(classify("ansible_host"), VarName::Known(Var::Host));
        assert_eq!(classify("ansible_ssh_private_key_file"), VarName::Known(Var::SshKeyFile));
        assert_eq!(classify("ssh_password_env"), VarName::Known(Var::SshPasswordEnv));
        for secret in [
            "ansible_password",
            "ansible_ssh_pass",
            "password",
            "ssh_password",
            "ansible_become_pass",
            "key_passphrase",
        ] {
            assert!(matches!(classify(secret), VarName::Secret { .. }), "{secret}");
        }
        assert_eq!(classify("key_passphrase"), VarName::Secret { instead: "ssh_key_passphrase_env" });
        assert!(matches!(classify("ansible_ssh_common_args"), VarName::Ignored(m) if m.contains("jump_host")));
        assert!(matches!(classify("owner"), VarName::Ignored(_)));
    }

    #[test]
    fn values_become_types() {
        let mut set = VarSet::default();
        set.set(Var::Port, &Value::from(2222)).unwrap();
        set.set(Var::ConnectTimeout, &Value::from("7.5")).unwrap();
        assert!(set.set(Var::Port, &Value::from(true)).is_err());
        assert!(set.set(Var::Port, &Value::from("x")).unwrap_err().contains("\"x\""));
        assert!(set.set(Var::User, &Value::Null).is_err());
        set.set(Var::SshConfigFile, &Value::from("/etc/wsusfix/ssh_config")).unwrap();
        let (address, port, user, vars) = set.finish();
        assert_eq!((address, port, user), (None, Some(2222), None));
        assert_eq!(vars.ssh_config_file, Some(PathBuf::from("/etc/wsusfix/ssh_config")));
        assert_eq!(vars.connect_timeout, Some(Duration::from_millis(7500)));
        assert_eq!(vars.wsus_dir, None);
    }
}
