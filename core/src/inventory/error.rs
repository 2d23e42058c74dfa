//! What can go wrong loading an inventory or selecting hosts from it.
//!
//! Every variant carries what a user needs to fix the file: the file, line and column when
//! known, and the host, group or variable involved.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// A place in an inventory file. Line and column are one-based; `None` when not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl Location {
    /// A place in `file`; a line or column too large for `u32` counts as unknown.
    pub fn new(file: &str, line: Option<usize>, column: Option<usize>) -> Self {
        let small = |n: Option<usize>| n.and_then(|n| u32::try_from(n).ok());
        Location { file: file.to_string(), line: small(line), column: small(column) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Where a variable was set: on a host, or on a group (and so on its hosts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Scope {
    Host(String),
    Group(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Host(name) => write!(f, "host `{name}`"),
            Scope::Group(name) => write!(f, "group `{name}`"),
        }
    }
}

/// Why an inventory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read inventory {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("{location}: invalid YAML: {message}")]
    Yaml { location: Location, message: String },

    #[error("{location}: {message}")]
    Structure { location: Location, message: String },

    #[error(
        "{location}: group `{group}` has an unknown key `{key}`; \
         a group may only have `hosts`, `children` and `vars`"
    )]
    UnknownGroupKey { location: Location, group: String, key: String },

    #[error("{location}: {kind} name {} is not allowed: {reason}", quoted(name))]
    InvalidName { location: Location, kind: NameKind, name: String, reason: String },

    #[error("{location}: {scope}: variable `{variable}`: {reason}")]
    InvalidValue { location: Location, scope: Scope, variable: String, reason: String },

    #[error(
        "{location}: {scope}: variable `{variable}` holds a secret; \
         secrets must not be stored in the inventory; use {instead}"
    )]
    Secret { location: Location, scope: Scope, variable: String, instead: &'static str },

    #[error("{location}: {scope}: both `{variable}` and its alias `{alias}` are set; keep one")]
    AliasConflict { location: Location, scope: Scope, variable: String, alias: String },

    #[error("{location}: group `{group}` contains itself ({})", chain.join(" > "))]
    GroupCycle { location: Location, group: String, chain: Vec<String> },

    #[error("{} problems in the inventory:\n{}", errors.len(), list(errors))]
    Several { errors: Vec<InventoryError> },
}

impl InventoryError {
    /// The individual problems: the inner list of `Several`, or this error alone.
    pub fn problems(&self) -> &[InventoryError] {
        match self {
            InventoryError::Several { errors } => errors,
            single => std::slice::from_ref(single),
        }
    }

    /// The place in the file this error points at, if it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            InventoryError::Yaml { location, .. }
            | InventoryError::Structure { location, .. }
            | InventoryError::UnknownGroupKey { location, .. }
            | InventoryError::InvalidName { location, .. }
            | InventoryError::InvalidValue { location, .. }
            | InventoryError::Secret { location, .. }
            | InventoryError::AliasConflict { location, .. }
            | InventoryError::GroupCycle { location, .. } => Some(location),
            InventoryError::Io { .. } | InventoryError::Several { .. } => None,
        }
    }

    /// One error for a list of them: the error itself when there is only one.
    pub(crate) fn from_list(mut errors: Vec<InventoryError>) -> Option<InventoryError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(InventoryError::Several { errors }),
        }
    }
}

fn list(errors: &[InventoryError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
    lines.join("\n")
}

/// What kind of name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Host,
    Group,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Host => "host",
            NameKind::Group => "group",
        })
    }
}

/// Why a `--limit` host pattern could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error("host pattern `{pattern}` matches no host or group")]
    NoMatch { pattern: String },

    #[error("host pattern `{pattern}` selects no hosts")]
    NothingSelected { pattern: String },

    #[error("host pattern `{pattern}` is not valid: {reason}")]
    Invalid { pattern: String, reason: String },

    #[error("cannot read host list {}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },

    #[error("{}:{line}: host `{name}` is not in the inventory", path.display())]
    UnknownListedHost { path: PathBuf, line: usize, name: String },
}

/// `value` in backticks, with control characters escaped so that it prints safely.
pub fn quoted(value: &str) -> String {
    let mut out = String::from("`");
    for c in value.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}
