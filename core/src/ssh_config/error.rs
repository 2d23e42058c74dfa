//! What can go wrong reading OpenSSH's client configuration, and what is only worth a word:
//! every error and every warning names the file and line it comes from.

use std::fmt;
use std::path::{Path, PathBuf};

/// A line of a configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
}

impl Location {
    pub fn new(file: &Path, line: usize) -> Location {
        Location { file: file.to_path_buf(), line }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A value together with the line it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub at: Location,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SshConfigError {
    /// The file cannot be read (an `Include`d file that does not exist is skipped, as ssh does).
    #[error("ssh_config {}: cannot be read: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// OpenSSH refuses a configuration file others can change, and so does wsusfix.
    #[error("ssh_config {}: {reason} (OpenSSH refuses it too: \"Bad owner or permissions\")", path.display())]
    Permissions { path: PathBuf, reason: String },
    /// The line cannot be read at all (quotes, a keyword without a value, nesting).
    #[error("ssh_config {at}: {message}")]
    Syntax { at: Location, message: String },
    /// A directive's value cannot be used for a connection.
    #[error("ssh_config {at}: {directive}: {reason}")]
    Value { at: Location, directive: String, reason: String },
}

impl SshConfigError {
    pub(crate) fn value(at: &Location, directive: &str, reason: impl Into<String>) -> SshConfigError {
        SshConfigError::Value { at: at.clone(), directive: directive.to_owned(), reason: reason.into() }
    }
}

/// Something in the configuration that wsusfix does not do as ssh would; the connection goes on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SshConfigWarning {
    pub at: Location,
    pub directive: String,
    pub message: String,
}

impl SshConfigWarning {
    pub(crate) fn new(at: &Location, directive: &str, message: impl Into<String>) -> SshConfigWarning {
        SshConfigWarning { at: at.clone(), directive: directive.to_owned(), message: message.into() }
    }
}

impl fmt::Display for SshConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ssh_config {}: {}: {}", self.at, self.directive, self.message)
    }
}
