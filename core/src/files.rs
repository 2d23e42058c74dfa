//! Files in and out. Out: a file is written whole or not at all (the text goes to a temporary
//! file beside it, is synced, then renamed over the target), so a reader, a crash or a full
//! disk never leaves half of a plan, a run outcome or a document. In: what a user names as an
//! inventory or a plan must be a regular file of a bounded size.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically (on one file system, as a rename is).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes what `write` produces to `path` atomically, streaming it through a buffer: for large
/// outputs (a 10,000-host scan) that need not be held whole in memory first.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// What a file looked like when it was read: its length and modification time. A file whose
/// stamp changed since must be read again (caches of key files and known_hosts files).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    /// The file's stamp now; `None` when it cannot be read (absent, say).
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp { len: meta.len(), modified: meta.modified().ok() })
    }
}

/// Reads a text file given by a user (an inventory, a plan), refusing what is not a regular
/// file (a FIFO, `/dev/zero`) and what is larger than `limit` bytes, before reading it.
pub fn read_input(path: &Path, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    if meta.len() > limit {
        return Err(std::io::Error::other(format!(
            "it is {} MiB, larger than the {} MiB wsusfix reads",
            meta.len() / (1024 * 1024),
            limit / (1024 * 1024)
        )));
    }
    let mut text = String::new();
    // The size was checked; `take` bounds a file that grows while it is read.
    file.take(limit).read_to_string(&mut text)?;
    Ok(text)
}

/// The deepest `[`/`{` nesting of YAML flow collections read. The YAML parser's time grows with
/// the square of that depth (200 KB of `[` takes minutes), while inventories and plans use a
/// handful of levels.
pub const MAX_FLOW_DEPTH: usize = 64;

/// The line (from 1) where YAML flow collections nest deeper than `limit`, if they do. Quoted
/// text and comments are skipped; this is a bound, not a parser.
pub fn flow_too_deep(text: &str, limit: usize) -> Option<usize> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = ' ';
    for c in text.chars() {
        match (quote, c) {
            (_, '\n') => {
                line += 1;
                comment = false;
                // A flow collection may span lines, a quoted scalar too: keep both.
            }
            _ if comment => {}
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '#') if previous.is_whitespace() => comment = true,
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                if depth > limit {
                    return Some(line);
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = c;
    }
    None
}

/// The largest inventory or plan read: far above 100,000 hosts' worth.
pub const INPUT_LIMIT: u64 = 256 * 1024 * 1024;

/// Whether an I/O error means the disk (or the quota) is full.
pub fn is_full(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outcome.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("no/such/folder/x"), b"x").is_err());
    }

    #[test]
    fn deep_flow_nesting_is_found_before_the_parser_sees_it() {
        let deep = format!("all:\n  vars: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
        let started = std::time::Instant::now();
        assert_eq!(flow_too_deep(&deep, MAX_FLOW_DEPTH), Some(2));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(flow_too_deep("a: [1, [2, {b: '[[[['}]] # [[[[\n", 3), None);
    }

    #[test]
    fn inputs_that_are_not_regular_files_or_too_large_are_refused() {
        let err = read_input(Path::new("/dev/zero"), INPUT_LIMIT).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, vec![b'#'; 3 * 1024 * 1024]).unwrap();
        assert!(read_input(&big, 2 * 1024 * 1024).unwrap_err().to_string().contains("larger than the 2 MiB"));
        assert_eq!(read_input(&big, INPUT_LIMIT).unwrap().len(), 3 * 1024 * 1024);
    }
}
