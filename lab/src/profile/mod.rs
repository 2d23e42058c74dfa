//! Host profiles: YAML documents (shipped in `lab/profiles/`, or a user's file) that describe
//! a simulated host. A profile may `extends:` another (built-in name, or a path relative to
//! the file); when merging, mappings merge, lists append (later entries win) and scalars
//! replace. Names starting with `base-` are building blocks, not profiles.
//!
//! ```
//! use wsusfix_lab::profile::Profile;
//! let p = Profile::builtin("w2008-sp1-unpatched").unwrap();
//! let host = p.instantiate("wsus02").unwrap();
//! assert_eq!(host.os_version, "6.0.6001");
//! ```

mod build;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_yaml::Value;
use thiserror::Error;

use crate::host::{Arch, InstallerFaults, Os, Service, SshServer, Token};
use crate::locale::Language;
use crate::wsus::WsusSpec;

/// The profiles shipped with the lab, embedded at build time.
const BUILTIN: &[(&str, &str)] = &[
    ("base-w2003", include_str!("../../profiles/base-w2003.yaml")),
    ("base-w2008", include_str!("../../profiles/base-w2008.yaml")),
    ("w2003-sp1-unpatched", include_str!("../../profiles/w2003-sp1-unpatched.yaml")),
    ("w2008-sp1-unpatched", include_str!("../../profiles/w2008-sp1-unpatched.yaml")),
    ("w2008-sp1-unpatched-elevated", include_str!("../../profiles/w2008-sp1-unpatched-elevated.yaml")),
    ("w2003-rtm", include_str!("../../profiles/w2003-rtm.yaml")),
    ("w2008-sp1-patched", include_str!("../../profiles/w2008-sp1-patched.yaml")),
    ("w2003-sp2", include_str!("../../profiles/w2003-sp2.yaml")),
    ("sbs2003-wsus2", include_str!("../../profiles/sbs2003-wsus2.yaml")),
    ("w2008-console-only", include_str!("../../profiles/w2008-console-only.yaml")),
    ("w2003-no-wsus", include_str!("../../profiles/w2003-no-wsus.yaml")),
    ("unreachable", include_str!("../../profiles/unreachable.yaml")),
    ("hang", include_str!("../../profiles/hang.yaml")),
    ("drop", include_str!("../../profiles/drop.yaml")),
    ("auth-fail", include_str!("../../profiles/auth-fail.yaml")),
    ("hostkey-changed", include_str!("../../profiles/hostkey-changed.yaml")),
    ("garbage", include_str!("../../profiles/garbage.yaml")),
    ("installer-busy", include_str!("../../profiles/installer-busy.yaml")),
    ("install-fails", include_str!("../../profiles/install-fails.yaml")),
    ("slow", include_str!("../../profiles/slow.yaml")),
];

/// How the SSH server misbehaves for a host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionFault {
    #[default]
    None,
    /// Nothing listens on the port.
    Unreachable,
    /// Authenticates, then never answers an exec request.
    Hang,
    /// Closes the TCP connection halfway through a command's output.
    Drop,
    /// Rejects the client key.
    AuthFail,
    /// Presents a host key other than the one in `known_hosts`.
    HostkeyChanged,
    /// Answers every command with noise.
    Garbage,
}

/// Connection behaviour of a host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    #[serde(default)]
    pub fault: ConnectionFault,
    /// Added before every command's answer: a slow command (the `slow` profile), not a slow
    /// network. See `rtt_ms`.
    #[serde(default)]
    pub latency_ms: u64,
    /// The network round-trip time to the host, in milliseconds: every byte the host's SSH
    /// server sends reaches the client this much later, so the handshake, the authentication
    /// and every command pay their round trips (see the `wan` module). Overrides the lab's
    /// `--latency`; `0` puts the host back on loopback. Unset: the lab's setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<u64>,
}

/// A registry value in a profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegEntry {
    key: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    data: Value,
}

/// A file in a profile: `text`, `lines` (joined with CRLF), or a generated log.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    path: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    lines: Option<Vec<String>>,
    #[serde(default)]
    filler: Option<String>,
    #[serde(default)]
    filler_lines: u64,
    #[serde(default)]
    tail: Vec<String>,
}

/// The YAML document, every field optional so that a child can say only what differs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileDoc {
    /// Resolved on the YAML value before typing; declared so that it is an allowed key.
    #[serde(default)]
    #[allow(dead_code)]
    extends: Option<String>,
    #[serde(default)]
    description: Option<String>,
    os: Option<Os>,
    os_version: Option<String>,
    caption: Option<String>,
    arch: Option<Arch>,
    token: Option<Token>,
    whoami: Option<bool>,
    user: Option<String>,
    clock: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    wsus: Option<WsusSpec>,
    #[serde(default)]
    registry: Vec<RegEntry>,
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    files: Vec<FileSpec>,
    #[serde(default)]
    services: Vec<Service>,
    installer: Option<InstallerFaults>,
    task_run_lines: Option<u32>,
    #[serde(default)]
    connection: Connection,
    /// `en-US` (default), `zh-CN`, `de-DE`, `fr-FR`, `ja-JP`.
    language: Option<Language>,
    /// `win32-openssh` (default), `bitvise`, `cygwin`, `freesshd`.
    ssh_server: Option<SshServer>,
    /// Free bytes on C: (default 10 GiB).
    free_bytes: Option<u64>,
    /// Records of a restart Windows waits for: `file-renames`, `servicing` (not on 2003),
    /// `windows-update`.
    #[serde(default)]
    pending_reboot: Vec<crate::host::PendingReboot>,
    /// The SQL command-line tools besides the internal database: `sqlcmd` (SQL Server 2005's,
    /// with osql, on the PATH), `osql` (SQL Server 2000's only, off the PATH) or `none` (the
    /// default: a Windows Internal Database ships neither).
    sql_tool: Option<crate::host::sql_tools::SqlTools>,
}

/// Why a profile could not be loaded or used.
#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("{origin}:{line}:{column}: {message}")]
    Yaml { origin: String, line: usize, column: usize, message: String },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("unknown profile `{name}` (known: {known})")]
    Unknown { name: String, known: String },
    #[error("cannot read profile file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("profile `{0}` extends itself through a cycle")]
    Cycle(String),
}

/// A loaded, merged profile.
///
/// Language and SSH server combine with every profile: set them in the YAML (`language:`,
/// `ssh_server:`), with [`Profile::with_language`] / [`Profile::with_ssh_server`], or with a
/// host spec's suffixes (`NAME@LANG+SERVER`, see [`Profile::from_spec`]). A setting that
/// differs from the profile's own shows in [`Profile::name`] as that suffix, so hosts made
/// from it keep their own saved state (`--state DIR`).
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub connection: Connection,
    origin: String,
    doc: ProfileDoc,
    /// The name without suffixes, and the document's own language and SSH server.
    base_name: String,
    own_language: Language,
    own_ssh_server: SshServer,
}

impl Profile {
    /// The names of the shipped profiles (building blocks excluded).
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).filter(|n| !n.starts_with("base-")).collect()
    }

    /// A shipped profile by name.
    pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
        let value = load_builtin(name, 0)?;
        Profile::from_value(name, &format!("profiles/{name}.yaml"), value)
    }

    /// A user's profile file; it may extend a shipped profile or another file.
    pub fn from_file(path: &Path) -> Result<Profile, ProfileError> {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "custom".into());
        let value = load_file(path, 0)?;
        Profile::from_value(&name, &path.display().to_string(), value)
    }

    /// A profile from YAML text; `origin` names it in errors, `extends` may name shipped ones.
    pub fn from_yaml(name: &str, origin: &str, text: &str) -> Result<Profile, ProfileError> {
        let value = parse_checked(origin, text)?;
        let value = resolve_extends(value, origin, None, 0)?;
        Profile::from_value(name, origin, value)
    }

    fn from_value(name: &str, origin: &str, value: Value) -> Result<Profile, ProfileError> {
        let doc: ProfileDoc = serde_yaml::from_value(value)
            .map_err(|e| ProfileError::Invalid { origin: origin.to_string(), message: e.to_string() })?;
        Ok(Profile {
            name: name.to_string(),
            description: doc.description.clone().unwrap_or_default(),
            connection: doc.connection.clone(),
            origin: origin.to_string(),
            base_name: name.to_string(),
            own_language: doc.language.unwrap_or_default(),
            own_ssh_server: doc.ssh_server.unwrap_or_default(),
            doc,
        })
    }

    /// The host language (`en-US` unless the profile or an override says otherwise).
    pub fn language(&self) -> Language {
        self.doc.language.unwrap_or_default()
    }

    /// The SSH server flavour (`win32-openssh` unless the profile or an override says otherwise).
    pub fn ssh_server(&self) -> SshServer {
        self.doc.ssh_server.unwrap_or_default()
    }

    /// This profile with another host language.
    pub fn with_language(mut self, language: Language) -> Profile {
        self.doc.language = Some(language);
        self.rename();
        self
    }

    /// This profile behind another SSH server.
    pub fn with_ssh_server(mut self, ssh_server: SshServer) -> Profile {
        self.doc.ssh_server = Some(ssh_server);
        self.rename();
        self
    }

    /// This profile with free space on C: set (`dir`, `wmic logicaldisk`).
    pub fn with_free_bytes(mut self, free_bytes: u64) -> Profile {
        self.doc.free_bytes = Some(free_bytes);
        self
    }

    fn rename(&mut self) {
        let mut name = self.base_name.clone();
        if self.language() != self.own_language {
            name.push('@');
            name.push_str(self.language().tag());
        }
        if self.ssh_server() != self.own_ssh_server {
            name.push('+');
            name.push_str(self.ssh_server().name());
        }
        self.name = name;
    }

    /// A profile from a host spec: `NAME[@LANG][+SERVER]`, where NAME is one of `extra` (by
    /// name), a `.yaml`/`.yml` file, or a shipped profile; `@LANG` is a language tag
    /// (`@zh-CN`) and `+SERVER` an SSH server (`+cygwin`), in either order, each optional.
    ///
    /// ```
    /// use wsusfix_lab::{Language, Profile, SshServer};
    /// let p = Profile::from_spec("w2008-sp1-unpatched@zh-CN+cygwin", &[]).unwrap();
    /// assert_eq!((p.language(), p.ssh_server()), (Language::ZhCn, SshServer::Cygwin));
    /// assert_eq!(p.name, "w2008-sp1-unpatched@zh-CN+cygwin");
    /// ```
    pub fn from_spec(spec: &str, extra: &[Profile]) -> Result<Profile, ProfileError> {
        let parsed = split_spec(spec)?;
        let base = match extra.iter().find(|p| p.name == parsed.name) {
            Some(p) => p.clone(),
            None if parsed.name.ends_with(".yaml") || parsed.name.ends_with(".yml") => {
                Profile::from_file(Path::new(&parsed.name))?
            }
            None => Profile::builtin(&parsed.name)?,
        };
        Ok(parsed.apply(base))
    }
}

/// A host spec split into profile name, language and SSH server (see [`Profile::from_spec`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSpec {
    pub name: String,
    pub language: Option<Language>,
    pub ssh_server: Option<SshServer>,
}

impl ProfileSpec {
    /// Applies the spec's language and SSH server to a profile.
    pub fn apply(&self, mut profile: Profile) -> Profile {
        if let Some(l) = self.language {
            profile = profile.with_language(l);
        }
        if let Some(s) = self.ssh_server {
            profile = profile.with_ssh_server(s);
        }
        profile
    }
}

/// Splits `NAME[@LANG][+SERVER]` (suffixes in either order). A suffix that names no known
/// language or server is an error.
pub fn split_spec(spec: &str) -> Result<ProfileSpec, ProfileError> {
    let invalid = |message: String| ProfileError::Invalid { origin: spec.to_string(), message };
    let mut rest = spec.trim();
    let mut out = ProfileSpec { name: String::new(), language: None, ssh_server: None };
    while let Some(at) = rest.rfind(['@', '+']) {
        let tail = &rest[at + 1..];
        // A path may hold these characters: only split where the tail has no path separator.
        if tail.contains(['/', '\\']) {
            break;
        }
        if rest[at..].starts_with('@') {
            if out.language.is_some() {
                return Err(invalid("two languages".into()));
            }
            out.language = Some(tail.parse::<Language>().map_err(invalid)?);
        } else {
            if out.ssh_server.is_some() {
                return Err(invalid("two SSH servers".into()));
            }
            out.ssh_server = Some(tail.parse::<SshServer>().map_err(invalid)?);
        }
        rest = &rest[..at];
    }
    if rest.is_empty() {
        return Err(invalid("no profile name".into()));
    }
    out.name = rest.to_string();
    Ok(out)
}

fn load_builtin(name: &str, depth: u32) -> Result<Value, ProfileError> {
    let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) else {
        return Err(ProfileError::Unknown { name: name.to_string(), known: Profile::builtin_names().join(", ") });
    };
    let origin = format!("profiles/{name}.yaml");
    let value = parse_checked(&origin, text)?;
    resolve_extends(value, &origin, None, depth)
}

fn load_file(path: &Path, depth: u32) -> Result<Value, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io { path: path.to_path_buf(), source })?;
    let origin = path.display().to_string();
    let value = parse_checked(&origin, &text)?;
    resolve_extends(value, &origin, path.parent(), depth)
}

/// Parses YAML and type-checks it alone, so that errors carry the file's line and column.
fn parse_checked(origin: &str, text: &str) -> Result<Value, ProfileError> {
    let located = |e: serde_yaml::Error| {
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
        ProfileError::Yaml { origin: origin.to_string(), line, column, message: e.to_string() }
    };
    let value = serde_yaml::from_str::<Value>(text).map_err(located)?;
    if let Err(e) = serde_yaml::from_str::<ProfileDoc>(text) {
        // A child may leave required fields to the profile it extends.
        if !e.to_string().contains("missing field") {
            return Err(located(e));
        }
    }
    Ok(value)
}

fn resolve_extends(mut value: Value, origin: &str, dir: Option<&Path>, depth: u32) -> Result<Value, ProfileError> {
    if depth > 8 {
        return Err(ProfileError::Cycle(origin.to_string()));
    }
    let parent = match &mut value {
        Value::Mapping(map) => map.remove("extends"),
        _ => None,
    };
    let Some(parent) = parent else { return Ok(value) };
    let Some(parent) = parent.as_str() else {
        return Err(ProfileError::Invalid {
            origin: origin.to_string(),
            message: "`extends` must be a profile name or a file path".into(),
        });
    };
    let base = if parent.ends_with(".yaml") || parent.ends_with(".yml") {
        let path = dir.map(|d| d.join(parent)).unwrap_or_else(|| PathBuf::from(parent));
        load_file(&path, depth + 1)?
    } else {
        load_builtin(parent, depth + 1)?
    };
    Ok(merge(base, value))
}

/// Mappings merge, sequences append, anything else is replaced by `over`.
fn merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Mapping(mut b), Value::Mapping(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Mapping(b)
        }
        (Value::Sequence(mut b), Value::Sequence(o)) => {
            b.extend(o);
            Value::Sequence(b)
        }
        (_, over) => over,
    }
}

#[cfg(test)]
mod tests;
