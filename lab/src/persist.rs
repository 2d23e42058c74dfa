//! Host state on disk (`--state DIR`), so a lab can be restarted and `wsusfix lab exec` can
//! serve the same host from OpenSSH's sshd. Layout:
//!
//! ```text
//! DIR/seed               hex master seed of every key
//! DIR/ports.json         host name -> port of the last run
//! DIR/hosts/NAME.json    one host's state (serde JSON)
//! DIR/hosts/NAME.lock    held while `lab exec` changes NAME
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::io_at;
use crate::host::HostState;
use crate::interp::{self, Output};
use crate::keys::MasterSeed;
use crate::profile::Profile;
use crate::LabError;

/// The file holding one host's state.
pub fn host_file(dir: &Path, name: &str) -> PathBuf {
    dir.join("hosts").join(format!("{name}.json"))
}

/// Writes a host's state atomically (temporary file, then rename).
pub fn save_host(path: &Path, state: &HostState) -> Result<(), LabError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_at(parent))?;
    }
    let json = serde_json::to_vec(state).map_err(|e| LabError::State { path: path.into(), message: e.to_string() })?;
    let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
    fs::write(&tmp, json).map_err(io_at(&tmp))?;
    fs::rename(&tmp, path).map_err(io_at(path))
}

/// Reads a host's state, `None` when there is no file.
pub fn load_host(path: &Path) -> Result<Option<HostState>, LabError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| LabError::State { path: path.into(), message: e.to_string() }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LabError::Io { path: path.into(), source: e }),
    }
}

/// The saved state of `name` if it was made from the same profile, else a fresh one (saved).
pub fn load_or_create(dir: &Path, name: &str, profile: &Profile) -> Result<HostState, LabError> {
    let path = host_file(dir, name);
    if let Some(state) = load_host(&path)? {
        if state.profile == profile.name {
            return Ok(state);
        }
    }
    let state = profile.instantiate(name)?;
    save_host(&path, &state)?;
    Ok(state)
}

/// The master seed stored in `dir`, created on first use.
pub fn seed(dir: &Path, fixed: Option<u64>) -> Result<MasterSeed, LabError> {
    let path = dir.join("seed");
    if let Ok(text) = fs::read_to_string(&path) {
        if let Some(seed) = MasterSeed::from_hex(&text) {
            return Ok(seed);
        }
    }
    let seed = match fixed {
        Some(n) => MasterSeed::from_number(n),
        None => MasterSeed::random()?,
    };
    fs::create_dir_all(dir).map_err(io_at(dir))?;
    fs::write(&path, seed.to_hex()).map_err(io_at(&path))?;
    Ok(seed)
}

/// Ports used by the previous run, by host name.
pub fn load_ports(dir: &Path) -> BTreeMap<String, u16> {
    fs::read(dir.join("ports.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

/// Records the ports of this run.
pub fn save_ports(dir: &Path, ports: &BTreeMap<String, u16>) -> Result<(), LabError> {
    let path = dir.join("ports.json");
    let json =
        serde_json::to_vec_pretty(ports).map_err(|e| LabError::State { path: path.clone(), message: e.to_string() })?;
    fs::write(&path, json).map_err(io_at(&path))
}

/// Runs one command line against the host `name` kept in `dir` (created from `profile` on
/// first use), under a lock file so that concurrent sshd sessions take turns. The line runs
/// as the host's SSH server would run it (bash behind `cygwin`).
pub fn exec_once(dir: &Path, name: &str, profile: &Profile, line: &str) -> Result<Output, LabError> {
    exec_once_stdin(dir, name, profile, line, None)
}

/// As [`exec_once`], with `stdin` as the command's input (what `cmd.exe /q /d` reads its
/// commands from; see [`interp::reads_stdin`]).
pub fn exec_once_stdin(
    dir: &Path,
    name: &str,
    profile: &Profile,
    line: &str,
    stdin: Option<Vec<u8>>,
) -> Result<Output, LabError> {
    let lock = dir.join("hosts").join(format!("{name}.lock"));
    fs::create_dir_all(dir.join("hosts")).map_err(io_at(dir))?;
    let _guard = LockFile::acquire(&lock, Duration::from_secs(30))?;
    let mut state = load_or_create(dir, name, profile)?;
    let out = interp::run_session(&mut state, line, stdin);
    save_host(&host_file(dir, name), &state)?;
    Ok(out)
}

/// Runs an `scp -t` upload over standard input and output (what sshd hands a
/// `ForceCommand`), storing each received file on the host kept in `dir`. Returns the exit
/// status: 0, or 1 with scp's error sent to the client.
pub fn scp_once(
    dir: &Path,
    name: &str,
    profile: &Profile,
    mut sink: crate::scp::ScpSink,
    input: &mut dyn std::io::Read,
    output: &mut dyn std::io::Write,
) -> Result<i32, LabError> {
    let io = |e: std::io::Error| LabError::Io { path: dir.into(), source: e };
    let lock = dir.join("hosts").join(format!("{name}.lock"));
    fs::create_dir_all(dir.join("hosts")).map_err(io_at(dir))?;
    let _guard = LockFile::acquire(&lock, Duration::from_secs(30))?;
    let mut state = load_or_create(dir, name, profile)?;
    output.write_all(&[0]).and_then(|_| output.flush()).map_err(io)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut code = 0;
    loop {
        let n = input.read(&mut buf).map_err(io)?;
        let mut step = if n == 0 {
            let mut end = crate::scp::Step { finished: true, ..Default::default() };
            end.received.extend(sink.finish());
            end
        } else {
            sink.feed(&buf[..n])
        };
        for file in step.received.drain(..) {
            if let Err(message) = crate::scp::store(&mut state, &sink.target, file) {
                step.reply = format!("\x02{message}\n").into_bytes();
                step.finished = true;
                code = 1;
                break;
            }
        }
        if step.reply.first() == Some(&2) {
            code = 1;
        }
        output.write_all(&step.reply).and_then(|_| output.flush()).map_err(io)?;
        if step.finished {
            break;
        }
    }
    save_host(&host_file(dir, name), &state)?;
    Ok(code)
}

struct LockFile(PathBuf);

impl LockFile {
    /// Takes the lock, breaking one older than `patience` (a crashed holder).
    fn acquire(path: &Path, patience: Duration) -> Result<LockFile, LabError> {
        let start = Instant::now();
        loop {
            match fs::OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(_) => return Ok(LockFile(path.to_path_buf())),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if start.elapsed() > patience {
                        let _ = fs::remove_file(path);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(LabError::Io { path: path.into(), source: e }),
            }
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_once_keeps_state_between_runs() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::builtin("w2003-sp1-unpatched").unwrap();
        let out = exec_once(dir.path(), "h1", &profile, r"mkdir C:\kept").unwrap();
        assert_eq!(out.exit_code, 0);
        let out = exec_once(dir.path(), "h1", &profile, r"if exist C:\kept (echo yes) else (echo no)").unwrap();
        assert_eq!(out.stdout, b"yes\r\n");
        let seed = seed(dir.path(), None).unwrap();
        assert_eq!(super::seed(dir.path(), Some(1)).unwrap(), seed);
    }
}
