//! Who runs wsusfix, as OpenSSH's tokens and `Match` see it: the home folder (`$HOME`, as the
//! inventory's `~/` uses it), the login name and the user id.

use std::path::PathBuf;

/// The local user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalUser {
    pub home: Option<PathBuf>,
    pub name: String,
    pub uid: Option<u32>,
}

impl LocalUser {
    /// The user this process runs as.
    pub fn current() -> LocalUser {
        let account = account();
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| account.as_ref().and_then(|a| a.1.clone()));
        let name = account
            .map(|a| a.0)
            .or_else(|| ["USER", "LOGNAME", "USERNAME"].iter().find_map(|v| std::env::var(v).ok()))
            .unwrap_or_default();
        LocalUser { home, name, uid: uid() }
    }
}

#[cfg(unix)]
fn uid() -> Option<u32> {
    // SAFETY: getuid has no preconditions and cannot fail.
    Some(unsafe { libc::getuid() })
}

#[cfg(not(unix))]
fn uid() -> Option<u32> {
    None
}

/// The login name and home folder of the password database entry, as ssh reads them.
#[cfg(unix)]
fn account() -> Option<(String, Option<PathBuf>)> {
    use std::ffi::CStr;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value to be overwritten by getpwuid_r.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and buf's length is passed with it; the
    // strings it fills in point into buf, which outlives their use below.
    let rc = unsafe { libc::getpwuid_r(libc::getuid(), &mut entry, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: getpwuid_r succeeded, so pw_name (and pw_dir, when not null) are NUL-terminated in buf.
    let name = unsafe { CStr::from_ptr(entry.pw_name) }.to_str().ok()?.to_owned();
    let dir = (!entry.pw_dir.is_null())
        .then(|| unsafe { CStr::from_ptr(entry.pw_dir) }.to_str().ok().map(PathBuf::from))
        .flatten();
    Some((name, dir))
}

#[cfg(not(unix))]
fn account() -> Option<(String, Option<PathBuf>)> {
    None
}
