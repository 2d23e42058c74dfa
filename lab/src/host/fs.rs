//! The simulated file system: case-insensitive Windows paths, files with a file version, a
//! modification time and contents, and directories. Large logs are generated line by line on
//! demand, so a 100 MB log costs a few bytes of state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::clock::Timestamp;

/// What a file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// Text, stored as written (line endings included).
    Text(String),
    /// Arbitrary bytes (uploads), stored as hex in the state file.
    Bytes(#[serde(with = "hex")] Vec<u8>),
    /// A log: `filler_lines` lines made from `filler` (with `{n}` replaced by the line
    /// number), then `tail`, each line ending in CRLF.
    Generated { filler: String, filler_lines: u64, tail: Vec<String> },
}

impl Content {
    /// Calls `each` for every line, without its line ending.
    pub fn for_each_line(&self, mut each: impl FnMut(&[u8])) {
        match self {
            Content::Text(text) => split_lines(text.as_bytes(), each),
            Content::Bytes(bytes) => split_lines(bytes, each),
            Content::Generated { filler, filler_lines, tail } => {
                let (head, rest) = filler.split_once("{n}").unwrap_or((filler.as_str(), ""));
                let mut line = Vec::with_capacity(filler.len() + 12);
                for n in 1..=*filler_lines {
                    line.clear();
                    line.extend_from_slice(head.as_bytes());
                    if filler.contains("{n}") {
                        line.extend_from_slice(n.to_string().as_bytes());
                    }
                    line.extend_from_slice(rest.as_bytes());
                    each(&line);
                }
                for t in tail {
                    each(t.as_bytes());
                }
            }
        }
    }

    /// The whole contents as bytes (generated logs are rendered with CRLF).
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Content::Text(text) => text.as_bytes().to_vec(),
            Content::Bytes(bytes) => bytes.clone(),
            Content::Generated { .. } => {
                let mut out = Vec::new();
                self.for_each_line(|line| {
                    out.extend_from_slice(line);
                    out.extend_from_slice(b"\r\n");
                });
                out
            }
        }
    }

    /// Size in bytes, computed without rendering.
    pub fn len(&self) -> u64 {
        match self {
            Content::Text(text) => text.len() as u64,
            Content::Bytes(bytes) => bytes.len() as u64,
            Content::Generated { .. } => {
                let mut total = 0u64;
                self.for_each_line(|line| total += line.len() as u64 + 2);
                total
            }
        }
    }

    /// True when the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends bytes, turning a generated log into concrete bytes first.
    pub fn append(&mut self, data: &[u8]) {
        match self {
            Content::Text(text) => match std::str::from_utf8(data) {
                Ok(s) => text.push_str(s),
                Err(_) => {
                    let mut bytes = std::mem::take(text).into_bytes();
                    bytes.extend_from_slice(data);
                    *self = Content::Bytes(bytes);
                }
            },
            Content::Bytes(bytes) => bytes.extend_from_slice(data),
            Content::Generated { .. } => {
                let mut bytes = self.bytes();
                bytes.extend_from_slice(data);
                *self = Content::Bytes(bytes);
            }
        }
    }
}

fn split_lines(bytes: &[u8], mut each: impl FnMut(&[u8])) {
    if bytes.is_empty() {
        return;
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    for line in body.split(|&b| b == b'\n') {
        each(line.strip_suffix(b"\r").unwrap_or(line));
    }
}

/// One file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub modified: Timestamp,
    pub content: Content,
}

/// Files and directories of a host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSystem {
    files: BTreeMap<String, FileEntry>,
    dirs: BTreeMap<String, String>,
}

/// Normalises a Windows path: `/` to `\`, relative to `cwd`, `.` and `..` resolved, no
/// trailing backslash except after a drive (`C:\`).
pub fn normalize(cwd: &str, path: &str) -> String {
    let path = path.trim().replace('/', "\\");
    let absolute = if path.len() >= 2 && path.as_bytes()[1] == b':' {
        if path.len() == 2 {
            format!("{path}\\")
        } else {
            path
        }
    } else if let Some(rest) = path.strip_prefix('\\') {
        format!("{}\\{rest}", &cwd[..2.min(cwd.len())])
    } else {
        format!("{}\\{path}", cwd.trim_end_matches('\\'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in absolute.split('\\') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.len() > 1 {
                    parts.pop();
                }
            }
            p => parts.push(p),
        }
    }
    let mut out = parts.join("\\");
    if parts.len() <= 1 {
        out.push('\\');
    }
    if out.as_bytes().get(1) == Some(&b':') {
        out[..1].make_ascii_uppercase();
    }
    out
}

/// The parent directory of a normalised path (`None` for a drive root).
pub fn parent(path: &str) -> Option<&str> {
    let idx = path.trim_end_matches('\\').rfind('\\')?;
    if idx == 2 {
        Some(&path[..3])
    } else {
        Some(&path[..idx])
    }
}

/// The last component of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

impl FileSystem {
    /// The file at a normalised path.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.get(&path.to_ascii_lowercase())
    }

    /// Mutable access to a file.
    pub fn file_mut(&mut self, path: &str) -> Option<&mut FileEntry> {
        self.files.get_mut(&path.to_ascii_lowercase())
    }

    /// True when a directory exists (explicitly, as a drive, or as a file's ancestor).
    pub fn dir_exists(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        if lower.len() == 3 && lower.ends_with(":\\") {
            return true;
        }
        let prefix = format!("{}\\", lower.trim_end_matches('\\'));
        self.dirs.contains_key(&lower) || self.files.keys().any(|k| k.starts_with(&prefix))
    }

    /// True when a file or directory exists.
    pub fn exists(&self, path: &str) -> bool {
        self.file(path).is_some() || self.dir_exists(path)
    }

    /// Creates a directory and its parents.
    pub fn mkdir_all(&mut self, path: &str) {
        let mut current = Some(path);
        while let Some(p) = current {
            if p.len() <= 3 {
                break;
            }
            self.dirs.entry(p.to_ascii_lowercase()).or_insert_with(|| p.to_string());
            current = parent(p);
        }
    }

    /// Writes a file, creating its directories; keeps the original spelling of an existing one.
    pub fn put(&mut self, entry: FileEntry) {
        if let Some(dir) = parent(&entry.path) {
            let dir = dir.to_string();
            self.mkdir_all(&dir);
        }
        let key = entry.path.to_ascii_lowercase();
        let path = self.files.get(&key).map(|old| old.path.clone()).unwrap_or(entry.path.clone());
        self.files.insert(key, FileEntry { path, ..entry });
    }

    /// Removes a file; true when it existed.
    pub fn remove(&mut self, path: &str) -> bool {
        self.files.remove(&path.to_ascii_lowercase()).is_some()
    }

    /// Removes a directory tree, except paths for which `keep` says true.
    pub fn remove_tree(&mut self, path: &str, keep: impl Fn(&str) -> bool) {
        let lower = path.trim_end_matches('\\').to_ascii_lowercase();
        let prefix = format!("{lower}\\");
        let inside = |k: &str| k == lower || k.starts_with(&prefix);
        self.files.retain(|k, f| !inside(k) || keep(&f.path));
        self.dirs.retain(|k, d| !inside(k) || keep(d));
    }

    /// Entries directly inside a directory: (name, Some(file)) or (name, None) for directories.
    pub fn list(&self, dir: &str) -> Vec<(String, Option<&FileEntry>)> {
        let prefix = format!("{}\\", dir.trim_end_matches('\\').to_ascii_lowercase());
        let mut out: BTreeMap<String, (String, Option<&FileEntry>)> = BTreeMap::new();
        for (k, f) in &self.files {
            if let Some(rest) = k.strip_prefix(&prefix) {
                let first = rest.split('\\').next().unwrap_or(rest).to_string();
                let original = f.path[prefix.len()..prefix.len() + first.len()].to_string();
                let is_file = !rest.contains('\\');
                out.entry(first).or_insert((original, if is_file { Some(f) } else { None }));
            }
        }
        for (k, d) in &self.dirs {
            if let Some(rest) = k.strip_prefix(&prefix) {
                let first = rest.split('\\').next().unwrap_or(rest).to_string();
                let original = d[prefix.len()..prefix.len() + first.len()].to_string();
                out.entry(first).or_insert((original, None));
            }
        }
        out.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        let cwd = r"C:\Documents and Settings\admin";
        assert_eq!(normalize(cwd, "x.exe"), r"C:\Documents and Settings\admin\x.exe");
        assert_eq!(normalize(cwd, "c:/Windows/Temp/"), r"C:\Windows\Temp");
        assert_eq!(normalize(cwd, r"\WINDOWS\..\boot.ini"), r"C:\boot.ini");
        assert_eq!(normalize(cwd, "D:"), r"D:\");
        assert_eq!(parent(r"C:\a\b.txt"), Some(r"C:\a"));
        assert_eq!(parent(r"C:\a"), Some(r"C:\"));
        assert_eq!(parent(r"C:\"), None);
    }

    #[test]
    fn generated_logs_are_lazy_and_countable() {
        let c = Content::Generated { filler: "line {n}".into(), filler_lines: 3, tail: vec!["end".into()] };
        assert_eq!(c.bytes(), b"line 1\r\nline 2\r\nline 3\r\nend\r\n");
        assert_eq!(c.len(), 29);
        let mut fs = FileSystem::default();
        fs.put(FileEntry { path: r"C:\A\B\log.txt".into(), version: None, modified: 0, content: c });
        assert!(fs.dir_exists(r"c:\a"));
        assert!(fs.exists(r"C:\a\b\LOG.TXT"));
        assert_eq!(fs.list(r"C:\A").len(), 1);
        fs.remove_tree(r"C:\A", |p| p.ends_with("log.txt"));
        assert!(fs.exists(r"C:\a\b\log.txt"));
    }
}
