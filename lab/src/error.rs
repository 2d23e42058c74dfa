//! The lab's error type.

use std::path::PathBuf;

use thiserror::Error;

use crate::profile::ProfileError;

/// Why the lab could not start, persist or answer.
#[derive(Debug, Error)]
pub enum LabError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("cannot bind {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("cannot start the lab's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: bad state file: {message}")]
    State { path: PathBuf, message: String },
    #[error("key material: {0}")]
    Keys(String),
    #[error("no host named `{0}` in the lab")]
    UnknownHost(String),
    #[error("bad host mix `{text}`: {message}")]
    Mix { text: String, message: String },
    #[error("{0}")]
    Config(String),
}

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io_at(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> LabError {
    let path = path.into();
    move |source| LabError::Io { path, source }
}
