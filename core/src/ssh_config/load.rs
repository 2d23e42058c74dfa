//! Reading configuration files as OpenSSH does: each line split (`lex`), `Include` followed
//! (globs; a relative path is under `~/.ssh` for a user's file and `/etc/ssh` for the system's;
//! at most 16 deep; a pattern that matches nothing is skipped), and a user's files refused
//! when someone else could change them.

use std::path::{Path, PathBuf};

use super::error::{Location, SshConfigError};
use super::{lex, pattern};

/// OpenSSH's limit on nested `Include`s.
const MAX_DEPTH: usize = 16;
/// Far beyond any real configuration file; bounds what is read.
const FILE_LIMIT: u64 = 4 * 1024 * 1024;

/// One file, read.
#[derive(Clone, Debug)]
pub(super) struct ConfigFile {
    pub items: Vec<Item>,
}

/// One meaningful line of a file.
#[derive(Clone, Debug)]
pub(super) enum Item {
    /// Any keyword but `Include`; `Host` and `Match` too.
    Directive { at: Location, keyword: String, args: Vec<String> },
    /// The files an `Include` line named, in order, read.
    Include { files: Vec<ConfigFile> },
}

/// Whose file it is: where relative `Include`s point, and whether permissions are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owner {
    User,
    System,
}

/// Where files are looked up.
pub(super) struct Reader<'a> {
    /// The home folder, for `~` and a user's relative `Include`s.
    pub home: Option<&'a Path>,
}

impl Reader<'_> {
    /// Reads `path`; `None` when it does not exist and `missing_ok`.
    pub fn read(&self, path: &Path, owner: Owner, missing_ok: bool) -> Result<Option<ConfigFile>, SshConfigError> {
        self.read_at_depth(path, owner, missing_ok, 0)
    }

    fn read_at_depth(
        &self,
        path: &Path,
        owner: Owner,
        missing_ok: bool,
        depth: usize,
    ) -> Result<Option<ConfigFile>, SshConfigError> {
        let text = match crate::files::read_input(path, FILE_LIMIT) {
            Ok(text) => text,
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SshConfigError::Io { path: path.to_path_buf(), source }),
        };
        if owner == Owner::User {
            check_permissions(path)?;
        }
        let mut items = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let at = Location::new(path, index + 1);
            let syntax = |message: String| SshConfigError::Syntax { at: at.clone(), message };
            let Some((keyword, args)) = lex::split(line).map_err(syntax)? else { continue };
            if keyword != "include" {
                items.push(Item::Directive { at, keyword, args });
                continue;
            }
            if depth + 1 > MAX_DEPTH {
                return Err(syntax(format!("Include nested more than {MAX_DEPTH} deep")));
            }
            let mut files = Vec::new();
            for arg in &args {
                let full = self.include_path(arg, owner).map_err(syntax)?;
                for found in glob(&full) {
                    files.extend(self.read_at_depth(&found, owner, true, depth + 1)?);
                }
            }
            items.push(Item::Include { files });
        }
        Ok(Some(ConfigFile { items }))
    }

    fn include_path(&self, arg: &str, owner: Owner) -> Result<PathBuf, String> {
        if let Some(rest) = arg.strip_prefix("~/") {
            let home = self.home.ok_or("`~` cannot be expanded: no home folder is known")?;
            return Ok(home.join(rest));
        }
        if arg.starts_with('~') {
            return Err(format!("Include {arg}: only `~/` is expanded (another user's `~name` is not)"));
        }
        let path = Path::new(arg);
        if path.is_absolute() {
            return Ok(path.to_path_buf());
        }
        match owner {
            Owner::User => {
                let home = self.home.ok_or("a relative Include needs a home folder (~/.ssh)")?;
                Ok(home.join(".ssh").join(path))
            }
            Owner::System => Ok(Path::new("/etc/ssh").join(path)),
        }
    }
}

/// The files a glob (`*`, `?` in any component) names, sorted as glob(3) sorts them; a
/// wildcard does not match a leading `.`.
fn glob(path: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for component in path.components() {
        let text = component.as_os_str().to_string_lossy();
        if !text.contains(['*', '?']) {
            for f in &mut found {
                f.push(component);
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.') || text.starts_with('.'))
                .filter(|name| pattern::wildcard(name, &text))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
        }
        found = next;
    }
    found.retain(|p| !p.as_os_str().is_empty() && std::fs::symlink_metadata(p).is_ok());
    found
}

/// OpenSSH's rule for a user's configuration: owned by the user (or root), and writable by
/// no one else.
#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), SshConfigError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|source| SshConfigError::Io { path: path.to_path_buf(), source })?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let me = unsafe { libc::getuid() };
    let refuse = |reason: String| Err(SshConfigError::Permissions { path: path.to_path_buf(), reason });
    if meta.uid() != me && meta.uid() != 0 {
        return refuse(format!("it belongs to user id {}, neither you nor root", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return refuse(format!("its mode {:o} lets others write it (chmod go-w)", meta.mode() & 0o777));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), SshConfigError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keywords(file: &ConfigFile) -> Vec<String> {
        let mut out = Vec::new();
        for item in &file.items {
            match item {
                Item::Directive { keyword, args, .. } => out.push(format!("{keyword} {}", args.join(" "))),
                Item::Include { files } => {
                    out.push("[".into());
                    for f in files {
                        out.extend(keywords(f));
                    }
                    out.push("]".into());
                }
            }
        }
        out
    }

    #[test]
    fn includes_follow_globs_in_order_relative_to_dot_ssh() {
        let home = tempfile::tempdir().unwrap();
        let ssh = home.path().join(".ssh");
        std::fs::create_dir_all(ssh.join("conf.d")).unwrap();
        std::fs::write(ssh.join("conf.d/20-b.conf"), "Port 2\n").unwrap();
        std::fs::write(ssh.join("conf.d/10-a.conf"), "Port 1\nInclude conf.d/none*\n").unwrap();
        std::fs::write(ssh.join("conf.d/.hidden.conf"), "Port 9\n").unwrap();
        let main = ssh.join("config");
        std::fs::write(&main, "User u\nInclude conf.d/*.conf ~/.ssh/missing\nHost x\n").unwrap();
        let reader = Reader { home: Some(home.path()) };
        let file = reader.read(&main, Owner::User, false).unwrap().unwrap();
        assert_eq!(keywords(&file), vec!["user u", "[", "port 1", "[", "]", "port 2", "]", "host x"]);
        assert!(reader.read(&ssh.join("absent"), Owner::User, true).unwrap().is_none());
        assert!(matches!(reader.read(&ssh.join("absent"), Owner::User, false), Err(SshConfigError::Io { .. })));
    }

    #[test]
    fn include_loops_stop_at_the_depth_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loop");
        std::fs::write(&path, format!("Include {}\n", path.display())).unwrap();
        let err = Reader { home: None }.read(&path, Owner::System, false).unwrap_err();
        assert!(err.to_string().contains("nested more than 16"), "{err}");
        assert!(err.to_string().contains(":1:"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn files_others_can_write_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "Port 22\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = Reader { home: None }.read(&path, Owner::User, false).unwrap_err();
        assert!(err.to_string().contains("chmod go-w"), "{err}");
        assert!(Reader { home: None }.read(&path, Owner::System, false).is_ok());
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "Host a\n  User \"x\n").unwrap();
        let err = Reader { home: None }.read(&path, Owner::User, false).unwrap_err();
        assert_eq!(err.to_string(), format!("ssh_config {}:2: invalid quotes", path.display()));
    }
}
