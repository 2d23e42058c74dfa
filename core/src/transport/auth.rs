//! How wsusfix proves who it is to a host: ssh-agent, a key file, or a password. Secrets
//! come from environment variables or a prompt, never from the inventory, and never print.

use std::fmt;
use std::path::PathBuf;

use ssh2::Session;
use thiserror::Error;

use super::error::{code, ssh_code, ConnectStage, TransportError};

/// A password or passphrase. Prints as `***`; its memory is overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Why a secret could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("environment variable {var}: {reason}")]
pub struct SecretError {
    /// The variable named.
    pub var: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Secret {
    /// Wraps a secret obtained elsewhere (a prompt).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Reads the secret from the environment variable `var`; it must be set and not empty.
    pub fn from_env(var: &str) -> Result<Self, SecretError> {
        let fail = |reason: &str| SecretError { var: var.to_owned(), reason: reason.to_owned() };
        match std::env::var(var) {
            Ok(value) if value.is_empty() => Err(fail("is empty")),
            Ok(value) => Ok(Secret(value)),
            Err(std::env::VarError::NotPresent) => Err(fail("is not set")),
            Err(std::env::VarError::NotUnicode(_)) => Err(fail("is not valid Unicode")),
        }
    }

    /// The secret itself, for handing to the SSH library.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

/// How to authenticate to a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Each identity of the running ssh-agent (`SSH_AUTH_SOCK`), in turn.
    Agent,
    /// A private key file, with its passphrase if it has one.
    KeyFile { path: PathBuf, passphrase: Option<Secret> },
    /// A password.
    Password(Secret),
}

impl Auth {
    /// What this method is called in messages.
    pub fn describe(&self) -> String {
        match self {
            Auth::Agent => "ssh-agent".to_owned(),
            Auth::KeyFile { path, .. } => format!("key file {}", path.display()),
            Auth::Password(_) => "password".to_owned(),
        }
    }
}

/// The public half of a key file, `FILE.pub` beside it, when there is one (as `ssh-keygen`
/// writes it). Given to libssh2, it saves reading (and, for a key with a passphrase,
/// decrypting) the private key a second time per host only to derive the public key, as
/// OpenSSH's client also reads the `.pub` file. Without one, libssh2 derives it.
fn public_half(private: &std::path::Path) -> Option<PathBuf> {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    let public = PathBuf::from(name);
    public.is_file().then_some(public)
}

/// Who is authenticating, to whom, for error messages.
pub(crate) struct Login<'a> {
    pub host: &'a str,
    pub user: &'a str,
    pub auth: &'a Auth,
    pub timeout: std::time::Duration,
    pub address: &'a str,
    pub port: u16,
}

/// Authenticates the session, or explains what was tried and what the server accepts.
///
/// The credential goes first: asking the server for its methods (a `none` request) costs a
/// round trip, which over a WAN is a ninth of a scan's time, so it is asked only when the
/// credential fails (to say what the server accepts; a server that accepts `none` is let in
/// then).
pub(crate) fn authenticate(session: &Session, login: &Login<'_>) -> Result<(), TransportError> {
    let mut tried = Vec::new();
    let result = match login.auth {
        Auth::Agent => agent(session, login.user, &mut tried),
        Auth::KeyFile { path, passphrase } => {
            tried.push(login.auth.describe());
            let phrase = passphrase.as_ref().map(Secret::expose);
            match super::identity::ed25519_key(path, phrase) {
                Some(key) => key.authenticate(session, login.user),
                None => session.userauth_pubkey_file(login.user, public_half(path).as_deref(), path, phrase),
            }
        }
        Auth::Password(secret) => {
            tried.push(login.auth.describe());
            session.userauth_password(login.user, secret.expose())
        }
    };
    if matches!(result, Ok(())) && session.authenticated() {
        tracing::debug!(user = login.user, method = %login.auth.describe(), "authenticated");
        return Ok(());
    }
    if let Err(e) = &result {
        if is_fatal(e) {
            return Err(auth_error(login, e, tried, String::new()));
        }
    }
    let offered = match session.auth_methods(login.user) {
        Ok(methods) => methods.to_owned(),
        Err(e) => return Err(auth_error(login, result.as_ref().err().unwrap_or(&e), tried, String::new())),
    };
    if session.authenticated() {
        return Ok(());
    }
    match result {
        Ok(()) => Err(failed(login, tried, offered, "the server did not accept the credentials".into())),
        Err(e) => Err(auth_error(login, &e, tried, offered)),
    }
}

fn agent(session: &Session, user: &str, tried: &mut Vec<String>) -> Result<(), ssh2::Error> {
    let mut agent = session.agent()?;
    agent.connect()?;
    agent.list_identities()?;
    let identities = agent.identities()?;
    if identities.is_empty() {
        tried.push("ssh-agent (no identities)".into());
    }
    let mut last = None;
    for identity in &identities {
        tried.push(format!("ssh-agent key {:?}", identity.comment()));
        match agent.userauth(user, identity) {
            Ok(()) => return Ok(()),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => last = Some(e),
        }
    }
    let _ = agent.disconnect();
    Err(last.unwrap_or_else(|| ssh2::Error::new(ssh2::ErrorCode::Session(-18), "the agent holds no identities")))
}

fn is_fatal(e: &ssh2::Error) -> bool {
    let c = ssh_code(e);
    c == code::TIMEOUT || super::error::is_disconnect(c)
}

fn auth_error(login: &Login<'_>, e: &ssh2::Error, tried: Vec<String>, offered: String) -> TransportError {
    if ssh_code(e) == code::TIMEOUT {
        return TransportError::ConnectTimeout {
            host: login.host.to_owned(),
            address: login.address.to_owned(),
            port: login.port,
            stage: ConnectStage::Authentication,
            timeout: login.timeout,
        };
    }
    if let (Auth::KeyFile { path, passphrase }, code::FILE | code::PUBLICKEY_UNVERIFIED) = (login.auth, ssh_code(e)) {
        // libssh2 says "Wrong passphrase or invalid/unrecognized private key file format" when it
        // derives the public key from the private one, "Callback returned error" when it read
        // the public key from FILE.pub and then could not sign with the private one.
        let reason = match passphrase {
            Some(_) => format!(
                "the passphrase given for key file {} does not open it (or the file is not a private key)",
                path.display()
            ),
            None => format!(
                "key file {} cannot be read as a private key (is it encrypted? then name its passphrase's \
                 variable in ssh_key_passphrase_env)",
                path.display()
            ),
        };
        return failed(login, tried, offered, reason);
    }
    failed(login, tried, offered, e.message().to_owned())
}

fn failed(login: &Login<'_>, tried: Vec<String>, offered: String, reason: String) -> TransportError {
    let tried = if tried.is_empty() { vec![login.auth.describe()] } else { tried };
    let offered = if offered.is_empty() { "unknown" } else { &offered };
    let reason = format!("{reason} (the server accepts: {offered})");
    TransportError::AuthFailed { host: login.host.to_owned(), user: login.user.to_owned(), tried, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let auth = Auth::KeyFile { path: "/k".into(), passphrase: Some(secret.clone()) };
        assert!(!format!("{auth:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn secrets_come_from_named_variables() {
        let missing = Secret::from_env("WSUSFIX_TEST_SURELY_UNSET_VARIABLE");
        assert_eq!(
            missing.map_err(|e| e.to_string()),
            Err("environment variable WSUSFIX_TEST_SURELY_UNSET_VARIABLE: is not set".into())
        );
        let path = std::env::var("PATH").map(|_| Secret::from_env("PATH"));
        assert!(matches!(path, Ok(Ok(_)) | Err(_)));
    }
}
