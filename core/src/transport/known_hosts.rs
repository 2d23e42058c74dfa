//! known_hosts files as OpenSSH reads them: plain and hashed (`|1|salt|hash`) host names,
//! `[host]:port` names off port 22, pattern lists with `*`, `?` and `!`, and `@revoked`
//! keys. New keys are appended as one plain line so the rest of the file is never rewritten.
//!
//! A store is read once per run and indexed, not once per host: plain names go into a map,
//! so a lookup costs the same with 50,000 lines as with 50; pattern lists and hashed names
//! (HMAC-SHA1 of the host with each line's salt, computed here) are checked per lookup
//! without touching the file. [`KnownHostsStore::shared`] hands every connection of a process
//! the same store while the files stay as they were (same length and modification time).

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use hmac::{Hmac, Mac};

use super::host_key::{base64_decode, HostKey};

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

/// How a line's host field names hosts, decided once when the file is read.
#[derive(Clone, Debug)]
enum Names {
    /// Plain names (`wsus01,10.0.0.5`): found through the store's map.
    Plain,
    /// A pattern list with `*`, `?` or `!`: matched at each lookup.
    Patterns,
    /// `|1|salt|hash`: names the host whose HMAC-SHA1 with the salt is the hash.
    Hashed { mac: SaltedMac, hash: Vec<u8> },
}

/// HMAC-SHA1 keyed with a hashed line's salt, the key already absorbed when the file is read:
/// a lookup then costs two SHA-1 blocks per hashed line instead of four.
#[derive(Clone)]
struct SaltedMac(Hmac<sha1::Sha1>);

impl std::fmt::Debug for SaltedMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaltedMac")
    }
}

impl SaltedMac {
    fn new(salt: &[u8]) -> Option<SaltedMac> {
        Hmac::<sha1::Sha1>::new_from_slice(salt).ok().map(SaltedMac)
    }

    /// Whether HMAC-SHA1(salt, host) is `hash`.
    fn names(&self, hash: &[u8], host: &str) -> bool {
        self.0.clone().chain_update(host.as_bytes()).verify_slice(hash).is_ok()
    }
}

/// One key line of a known_hosts file.
#[derive(Clone, Debug)]
pub struct KnownHostEntry {
    /// Shared by the entries of one file.
    file: Arc<Path>,
    line: usize,
    marker: Option<Marker>,
    hosts: String,
    names: Names,
    key: HostKey,
    key_type: String,
}

impl KnownHostEntry {
    /// Reads one line; `None` for blank and comment lines, `Some(Err)` for a malformed one.
    pub fn parse(file: &Path, line: usize, text: &str) -> Option<Result<Self, String>> {
        Self::parse_in(&Arc::from(file), line, text)
    }

    fn parse_in(file: &Arc<Path>, line: usize, text: &str) -> Option<Result<Self, String>> {
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
        let names = if let Some(hashed) = hosts.strip_prefix("|1|") {
            let decoded = hashed
                .split_once('|')
                .and_then(|(salt, hash)| Some((SaltedMac::new(&base64_decode(salt)?)?, base64_decode(hash)?)));
            let Some((mac, hash)) = decoded else {
                return Some(Err("the hashed host name is not |1|salt|hash in base64".into()));
            };
            Names::Hashed { mac, hash }
        } else if hosts.contains(['*', '?', '!']) {
            Names::Patterns
        } else {
            Names::Plain
        };
        Some(Ok(KnownHostEntry {
            file: Arc::clone(file),
            line,
            marker,
            hosts: hosts.to_owned(),
            names,
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

    fn names(&self, host: &str) -> bool {
        match &self.names {
            Names::Hashed { mac, hash } => mac.names(hash, host),
            Names::Plain | Names::Patterns => pattern_list_matches(&self.hosts, host),
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

/// The keys of a set of known_hosts files, in file order, indexed by plain host name.
#[derive(Debug, Default)]
pub struct KnownHostsStore {
    entries: Vec<KnownHostEntry>,
    malformed: Vec<String>,
    /// Lower-cased plain names → the entries naming them, in file order.
    by_name: HashMap<String, Slot>,
    /// Entries with patterns or hashed names: checked at each lookup.
    scanned: Vec<usize>,
}

/// The entries naming one plain name: nearly always one, so no list is allocated for it.
#[derive(Debug)]
enum Slot {
    One(usize),
    Many(Vec<usize>),
}

impl Slot {
    fn push(&mut self, at: usize) {
        match self {
            Slot::One(first) if *first != at => *self = Slot::Many(vec![*first, at]),
            Slot::Many(all) if all.last() != Some(&at) => all.push(at),
            Slot::One(_) | Slot::Many(_) => {}
        }
    }

    fn entries(&self) -> &[usize] {
        match self {
            Slot::One(at) => std::slice::from_ref(at),
            Slot::Many(all) => all,
        }
    }
}

/// What a set of files looked like when it was read: a changed length or modification time
/// means it must be read again.
type Stamp = Vec<Option<crate::files::Stamp>>;

/// A store read in this process: the files it was read from, and how they looked then.
type Shared = (Vec<PathBuf>, Stamp, Arc<KnownHostsStore>);

/// Stores already read in this process.
static SHARED: Mutex<Vec<Shared>> = Mutex::new(Vec::new());

impl KnownHostsStore {
    /// The store of `files`, read once per process and read again only when a file changed
    /// (a key recorded by `--accept-new-host-keys`, another process's edit).
    pub fn shared(files: &[PathBuf]) -> Result<Arc<Self>, (PathBuf, io::Error)> {
        let stamp: Stamp = files.iter().map(|f| crate::files::Stamp::of(f)).collect();
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, store)) = shared.iter().find(|(f, s, _)| f.as_slice() == files && *s == stamp) {
            return Ok(store.clone());
        }
        let store = Arc::new(KnownHostsStore::load(files)?);
        shared.retain(|(f, _, _)| f.as_slice() != files);
        shared.push((files.to_vec(), stamp, store.clone()));
        Ok(store)
    }

    /// Reads the files; a missing file counts as empty, an unreadable one is an error.
    pub fn load(files: &[PathBuf]) -> Result<Self, (PathBuf, io::Error)> {
        let mut store = KnownHostsStore::default();
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
        let shared: Arc<Path> = Arc::from(file);
        for (index, line) in text.lines().enumerate() {
            match KnownHostEntry::parse_in(&shared, index + 1, line) {
                Some(Ok(entry)) => self.push(entry),
                Some(Err(reason)) => self.malformed.push(format!("{}:{}: {reason}", file.display(), index + 1)),
                None => {}
            }
        }
    }

    fn push(&mut self, entry: KnownHostEntry) {
        let at = self.entries.len();
        match entry.names {
            Names::Plain => {
                for name in entry.hosts.split(',').filter(|n| !n.is_empty()) {
                    self.by_name
                        .entry(name.to_ascii_lowercase())
                        .and_modify(|slot| slot.push(at))
                        .or_insert(Slot::One(at));
                }
            }
            Names::Patterns | Names::Hashed { .. } => self.scanned.push(at),
        }
        self.entries.push(entry);
    }

    /// Every entry naming `host` (markers included), in file order.
    fn naming(&self, host: &str) -> Vec<&KnownHostEntry> {
        let mut found: Vec<usize> =
            self.by_name.get(&host.to_ascii_lowercase()).map(|slot| slot.entries().to_vec()).unwrap_or_default();
        found.extend(self.scanned.iter().copied().filter(|&i| self.entries[i].names(host)));
        found.sort_unstable();
        found.into_iter().map(|i| &self.entries[i]).collect()
    }

    /// Lines that could not be read, as `file:line: reason`.
    pub fn malformed(&self) -> &[String] {
        &self.malformed
    }

    /// The entries that name `known_as`, found once: hashed and pattern lines are tried here,
    /// so a connection that asks for the key types and then checks the key tries them once.
    pub fn record_of(&self, known_as: &str) -> HostRecord<'_> {
        HostRecord { naming: self.naming(known_as) }
    }

    /// Key types recorded for `known_as`, in file order, without duplicates.
    pub fn key_types_for(&self, known_as: &str) -> Vec<String> {
        self.record_of(known_as).key_types()
    }

    /// Looks up the key presented by the host recorded as `known_as`.
    pub fn check(&self, known_as: &str, presented: &HostKey) -> HostKeyCheck<'_> {
        self.record_of(known_as).check(presented)
    }
}

/// What the known_hosts files record for one host: every entry naming it, markers included,
/// in file order.
pub struct HostRecord<'a> {
    naming: Vec<&'a KnownHostEntry>,
}

impl<'a> HostRecord<'a> {
    /// Key types recorded, in file order, without duplicates.
    pub fn key_types(&self) -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        for entry in self.naming.iter().filter(|e| e.marker.is_none()) {
            if !types.iter().any(|t| t == &entry.key_type) {
                types.push(entry.key_type.clone());
            }
        }
        types
    }

    /// Looks up a presented key.
    pub fn check(&self, presented: &HostKey) -> HostKeyCheck<'a> {
        let revoked = self.naming.iter().find(|e| e.marker == Some(Marker::Revoked) && e.key == *presented);
        if let Some(entry) = revoked {
            return HostKeyCheck::Revoked(entry);
        }
        let known: Vec<&'a KnownHostEntry> = self.naming.iter().copied().filter(|e| e.marker.is_none()).collect();
        if known.iter().any(|e| e.key == *presented) {
            return HostKeyCheck::Known;
        }
        let presented_type = presented.key_type().unwrap_or_default();
        if let Some(entry) = known.iter().find(|e| e.key_type == presented_type) {
            return HostKeyCheck::Changed(entry);
        }
        HostKeyCheck::Unknown { other_types: self.key_types() }
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
    crate::wildcard::matches(text, pattern, b'*', b'?')
}

#[cfg(test)]
mod tests;
