//! One writer per run folder: an exclusive lock (`flock`) on `RUN/lock`, held by the process
//! that runs or resumes it, with who holds it written inside so a second process can say.
//! The kernel drops the lock when the holder exits, however it exits, so a killed run never
//! leaves a folder locked.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::journal::JournalError;
use crate::time::UtcTime;

/// The lock file's name in a run folder.
pub const LOCK_FILE: &str = "lock";

/// The held lock; dropping it releases the folder.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Takes the run folder's lock, or says who holds it.
pub fn lock(dir: &Path) -> Result<RunLock, JournalError> {
    let path = dir.join(LOCK_FILE);
    let io = |source| JournalError::Io { path: path.clone(), source };
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
    if !try_lock(&file) {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = match holder.trim() {
            "" => "another process".to_string(),
            named => named.to_string(),
        };
        return Err(JournalError::Locked { path, holder });
    }
    let me = format!("process {} on {} since {}", std::process::id(), machine(), UtcTime::now());
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(me.as_bytes()).and_then(|()| file.sync_data()).map_err(io)?;
    Ok(RunLock { _file: file })
}

#[cfg(unix)]
fn try_lock(file: &File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a file descriptor we own; it returns 0 or -1.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> bool {
    true
}

/// This machine's name, for the holder's line.
pub(crate) fn machine() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        // flock locks belong to open file descriptions: a second open in this process is
        // refused as another process would be.
        let err = lock(dir.path()).unwrap_err().to_string();
        assert!(err.contains("in use") && err.contains(&format!("process {}", std::process::id())), "{err}");
        drop(held);
        lock(dir.path()).unwrap();
        assert!(dir.path().join(LOCK_FILE).is_file());
    }
}
