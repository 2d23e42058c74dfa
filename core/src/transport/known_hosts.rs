//! known_hosts files as OpenSSH reads them: plain and hashed (`|1|salt|hash`) host names,
//! `[host]:port` names off port 22, pattern lists with `*`, `?` and `!`, and `@revoked`
//! keys. Hashed names are matched by libssh2's `KnownHosts`; new keys are appended as one
//! plain line so the rest of the file is never rewritten.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ssh2::{CheckResult, KnownHostFileKind, Session};

use super::host_key::HostKey;

/// The name a host is recorded under: the address on port 22, `[address]:port` otherwise.
pub fn known_host_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_owned()
    } else {
        format!("[{address}]:{port}")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    CertAuthority,
    Revoked,
}

/// One key line of a known_hosts file.
#[derive(Clone, Debug)]
pub struct KnownHostEntry {
    file: PathBuf,
    line: usize,
    marker: Option<Marker>,
    hosts: String,
    key: HostKey,
    key_type: String,
}

impl KnownHostEntry {
    /// Reads one line; `None` for blank and comment lines, `Some(Err)` for a malformed one.
    pub fn parse(file: &Path, line: usize, text: &str) -> Option<Result<Self, String>> {
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return None;
        }
        let mut fields = text.split_whitespace().peekable();
        let marker = match fields.peek().copied() {
            Some("@cert-authority") => Some(Marker::CertAuthority),
            Some("@revoked") => Some(Marker::Revoked),
            Some(m) if m.starts_with('@') => return Some(Err(format!("unknown marker {m}"))),
            _ => None,
        };
        if marker.is_some() {
            fields.next();
        }
        let (Some(hosts), Some(key_type), Some(key)) = (fields.next(), fields.next(), fields.next()) else {
            return Some(Err("expected host names, key type and key".into()));
        };
        let Some(key) = HostKey::from_base64(key) else {
            return Some(Err("the key is not valid base64".into()));
        };
        Some(Ok(KnownHostEntry {
            file: file.to_owned(),
            line,
            marker,
            hosts: hosts.to_owned(),
            key_type: key.key_type().unwrap_or(key_type).to_owned(),
            key,
        }))
    }

    /// `file:line`, to point a user at the entry.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }

    /// The key type of the recorded key.
    pub fn key_type(&self) -> &str {
        &self.key_type
    }

    /// The recorded key.
    pub fn key(&self) -> &HostKey {
        &self.key
    }

    fn names(&self, host: &str, hasher: Option<&Session>) -> bool {
        if self.hosts.starts_with("|1|") {
            hasher.is_some_and(|session| hashed_name_matches(session, &self.hosts, host))
        } else {
            pattern_list_matches(&self.hosts, host)
        }
    }
}

/// The outcome of looking up a presented host key.
#[derive(Debug)]
pub enum HostKeyCheck<'a> {
    /// Recorded for this host.
    Known,
    /// The host is recorded with another key of the same type.
    Changed(&'a KnownHostEntry),
    /// The key is marked `@revoked`.
    Revoked(&'a KnownHostEntry),
    /// Not recorded; `other_types` lists key types recorded for the host, if any.
    Unknown { other_types: Vec<String> },
}

/// The keys of a set of known_hosts files, in file order.
pub struct KnownHostsStore {
    entries: Vec<KnownHostEntry>,
    malformed: Vec<String>,
    hasher: Option<Session>,
}

impl KnownHostsStore {
    /// Reads the files; a missing file counts as empty, an unreadable one is an error.
    pub fn load(files: &[PathBuf]) -> Result<Self, (PathBuf, io::Error)> {
        let mut store = KnownHostsStore { entries: Vec::new(), malformed: Vec::new(), hasher: None };
        for file in files {
            match fs::read(file) {
                Ok(bytes) => store.add_text(file, &String::from_utf8_lossy(&bytes)),
                Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
                Err(e) => return Err((file.clone(), e)),
            }
        }
        Ok(store)
    }

    /// Adds the lines of one file's text.
    pub fn add_text(&mut self, file: &Path, text: &str) {
        for (index, line) in text.lines().enumerate() {
            match KnownHostEntry::parse(file, index + 1, line) {
                Some(Ok(entry)) => self.entries.push(entry),
                Some(Err(reason)) => self.malformed.push(format!("{}:{}: {reason}", file.display(), index + 1)),
                None => {}
            }
        }
        if self.hasher.is_none() && self.entries.iter().any(|e| e.hosts.starts_with("|1|")) {
            self.hasher = Session::new().ok();
        }
    }

    /// Lines that could not be read, as `file:line: reason`.
    pub fn malformed(&self) -> &[String] {
        &self.malformed
    }

    /// Key types recorded for `known_as`, in file order, without duplicates.
    pub fn key_types_for(&self, known_as: &str) -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        for entry in self.host_entries(known_as) {
            if !types.iter().any(|t| t == &entry.key_type) {
                types.push(entry.key_type.clone());
            }
        }
        types
    }

    /// Looks up the key presented by the host recorded as `known_as`.
    pub fn check(&self, known_as: &str, presented: &HostKey) -> HostKeyCheck<'_> {
        let revoked = self.entries.iter().find(|e| {
            e.marker == Some(Marker::Revoked) && e.key == *presented && e.names(known_as, self.hasher.as_ref())
        });
        if let Some(entry) = revoked {
            return HostKeyCheck::Revoked(entry);
        }
        let known = self.host_entries(known_as);
        if known.iter().any(|e| e.key == *presented) {
            return HostKeyCheck::Known;
        }
        let presented_type = presented.key_type().unwrap_or_default();
        if let Some(entry) = known.iter().find(|e| e.key_type == presented_type) {
            return HostKeyCheck::Changed(entry);
        }
        HostKeyCheck::Unknown { other_types: self.key_types_for(known_as) }
    }

    fn host_entries(&self, known_as: &str) -> Vec<&KnownHostEntry> {
        let hasher = self.hasher.as_ref();
        self.entries.iter().filter(|e| e.marker.is_none() && e.names(known_as, hasher)).collect()
    }
}

/// Serializes appends from the threads of one process.
static APPEND_LOCK: Mutex<()> = Mutex::new(());

/// Records `key` for `known_as` in the first of `files` that can be written; returns it.
pub(crate) fn append_key(files: &[PathBuf], known_as: &str, key: &HostKey) -> Result<PathBuf, String> {
    let key_type = key.key_type().ok_or("the host key names no key type")?;
    let line = format!("{known_as} {key_type} {}\n", key.to_base64());
    let _guard = APPEND_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let mut failures = Vec::new();
    for file in files {
        match append_line(file, &line) {
            Ok(()) => return Ok(file.clone()),
            Err(e) => failures.push(format!("{}: {e}", file.display())),
        }
    }
    if failures.is_empty() {
        return Err("no known_hosts file is configured".into());
    }
    Err(format!("no known_hosts file could be written ({})", failures.join("; ")))
}

fn append_line(path: &Path, line: &str) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
    let mut text = String::with_capacity(line.len() + 1);
    if file.metadata()?.len() > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            text.push('\n');
        }
    }
    text.push_str(line);
    file.write_all(text.as_bytes())
}

/// A hashed name (`|1|salt|hash`) names `host` when HMAC-SHA1(salt, host) equals the hash.
/// libssh2 computes it: a host it finds with another key is a host it matched.
fn hashed_name_matches(session: &Session, hashed: &str, host: &str) -> bool {
    const PROBE_KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIEx7sVzz4u0Ess6ufNx9Ma8+JLzP/iTrnf7u0QHzpsrm";
    let Ok(mut known) = session.known_hosts() else {
        return false;
    };
    if known.read_str(&format!("{hashed} ssh-ed25519 {PROBE_KEY}"), KnownHostFileKind::OpenSSH).is_err() {
        return false;
    }
    matches!(known.check(host, b"not the probe key"), CheckResult::Mismatch)
}

/// OpenSSH's host pattern lists: comma-separated, `*` and `?` wildcards, a `!` pattern that
/// matches vetoes the line; case-insensitive.
fn pattern_list_matches(list: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let mut matched = false;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        if wildcard_matches(pattern.to_ascii_lowercase().as_bytes(), host.as_bytes()) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

fn wildcard_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests;
