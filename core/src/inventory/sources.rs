//! Which files an inventory is made of, as Ansible finds them from its `-i` arguments.
//!
//! Each `-i` is a file (YAML or INI), a folder, or a comma-separated host list
//! (`-i wsus01,wsus02`). A folder stands for every file in it and in its subfolders, in sorted
//! order, except hidden files, `group_vars`, `host_vars` and `vars_plugins`, and files with
//! the extensions Ansible ignores (`.md`, `.txt`, `.bak`, …). Beside each source, its folder
//! (for a folder source, the folder itself) may hold `group_vars/` and `host_vars/`, read by
//! `varsdir`. An executable inventory script is refused: wsusfix runs nothing it is given.

use std::path::{Path, PathBuf};

use super::error::{InventoryError, Location};

/// Extensions Ansible skips in an inventory folder (its `INVENTORY_IGNORE_EXTS`).
const IGNORED_EXTENSIONS: &[&str] =
    &[".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry"];

/// Names Ansible never reads as inventory sources in a folder.
const IGNORED_NAMES: &[&str] = &["group_vars", "host_vars", "vars_plugins"];

/// How a source's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Yaml,
    Ini,
    /// `wsus01,wsus02:2222` given on the command line.
    HostList,
}

/// One inventory source's text.
#[derive(Debug)]
pub(super) struct SourceText {
    /// The file name as the user gave or the folder walk found it, for messages.
    pub name: String,
    pub text: String,
    pub format: Format,
}

/// Every inventory text in reading order, and the folders whose `group_vars`/`host_vars` apply.
#[derive(Debug, Default)]
pub(super) struct Sources {
    pub texts: Vec<SourceText>,
    pub vars_roots: Vec<PathBuf>,
}

/// Finds and reads the sources named by `paths`, in order.
pub(super) fn collect(paths: &[PathBuf]) -> Result<Sources, InventoryError> {
    let mut sources = Sources::default();
    for path in paths {
        let root = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                walk(path, &mut sources.texts)?;
                path.clone()
            }
            Ok(_) => {
                sources.texts.push(read(path)?);
                match path.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                    _ => PathBuf::from("."),
                }
            }
            Err(_) if is_host_list(path) => {
                let text = path.to_string_lossy().into_owned();
                sources.texts.push(SourceText { name: text.clone(), text, format: Format::HostList });
                continue;
            }
            Err(source) => return Err(InventoryError::Io { path: path.clone(), source }),
        };
        if !sources.vars_roots.contains(&root) {
            sources.vars_roots.push(root);
        }
    }
    Ok(sources)
}

/// Ansible's `host_list` source: not a path, and a comma in it.
fn is_host_list(path: &Path) -> bool {
    path.to_str().is_some_and(|s| s.contains(',') && !s.contains('/'))
}

fn walk(folder: &Path, out: &mut Vec<SourceText>) -> Result<(), InventoryError> {
    let io = |source| InventoryError::Io { path: folder.to_path_buf(), source };
    let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(folder)
        .map_err(io)?
        .filter_map(|entry| entry.ok())
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
        .collect();
    entries.sort();
    for (name, path) in entries {
        let ignored = name.starts_with('.')
            || IGNORED_NAMES.contains(&name.as_str())
            || IGNORED_EXTENSIONS.iter().any(|ext| name.ends_with(ext));
        if ignored {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(read(&path)?);
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<SourceText, InventoryError> {
    let name = path.display().to_string();
    refuse_script(path, &name)?;
    let text = crate::files::read_input(path, crate::files::INPUT_LIMIT)
        .map_err(|source| InventoryError::Io { path: path.to_path_buf(), source })?;
    let format = detect(&name, &text);
    Ok(SourceText { name, text, format })
}

/// An executable file starting with `#!` is an inventory script, which Ansible would run.
fn refuse_script(path: &Path, name: &str) -> Result<(), InventoryError> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let executable = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    let mut start = [0u8; 2];
    let shebang =
        executable && std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut start)).is_ok() && &start == b"#!";
    if !shebang {
        return Ok(());
    }
    Err(InventoryError::Structure {
        location: Location::new(name, Some(1), Some(1)),
        message: format!(
            "this is an inventory script; wsusfix runs no program it is given. Save what it produces \
             as a YAML inventory (`ansible-inventory -i {name} --list --yaml > inventory.yaml`) and \
             give that instead"
        ),
    })
}

/// YAML or INI, as Ansible's plugins decide: by extension (`.yml`, `.yaml`, `.json` are YAML,
/// `.ini` is INI), else by the first line that is not blank or a comment: a section header or
/// a bare host name is INI, a `key:` line is YAML.
pub(super) fn detect(name: &str, text: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    if [".yml", ".yaml", ".json"].iter().any(|ext| lower.ends_with(ext)) {
        return Format::Yaml;
    }
    if lower.ends_with(".ini") {
        return Format::Ini;
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
    let Some(first) = first else { return Format::Yaml };
    let yaml = first.starts_with("---")
        || first.starts_with('{')
        || first.ends_with(':')
        || first.contains(": ")
        || first.starts_with("- ");
    if yaml {
        Format::Yaml
    } else {
        Format::Ini
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension_then_by_first_line() {
        assert_eq!(detect("inv.yml", "[g]\n"), Format::Yaml);
        assert_eq!(detect("hosts.ini", "all:\n"), Format::Ini);
        assert_eq!(detect("hosts", "# c\n; c\n\n[dc]\nwsus01\n"), Format::Ini);
        assert_eq!(detect("hosts", "wsus01\nwsus02:2222\n"), Format::Ini);
        assert_eq!(detect("hosts", "---\nall:\n"), Format::Yaml);
        assert_eq!(detect("hosts", "all:\n  hosts:\n"), Format::Yaml);
        assert_eq!(detect("hosts", "{\"all\": {}}"), Format::Yaml);
        assert_eq!(detect("hosts", ""), Format::Yaml);
    }

    #[test]
    fn a_folder_is_its_files_in_sorted_order_without_the_ignored_ones() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path();
        std::fs::create_dir_all(site.join("group_vars")).unwrap();
        std::fs::create_dir_all(site.join("sub")).unwrap();
        for name in ["20-b", "10-a.yml", "notes.md", ".hidden", "x.bak", "group_vars/all.yml", "sub/c.ini"] {
            std::fs::write(site.join(name), "[g]\nh\n").unwrap();
        }
        let sources = collect(&[site.to_path_buf()]).unwrap();
        let names: Vec<String> =
            sources.texts.iter().map(|t| t.name.strip_prefix(&site.display().to_string()).unwrap().into()).collect();
        assert_eq!(names, ["/10-a.yml", "/20-b", "/sub/c.ini"]);
        assert_eq!(sources.vars_roots, [site.to_path_buf()]);
    }

    #[test]
    fn host_lists_scripts_and_missing_files() {
        let sources = collect(&[PathBuf::from("wsus01,wsus02:2222,")]).unwrap();
        assert_eq!(sources.texts[0].format, Format::HostList);
        assert!(sources.vars_roots.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("inventory.py");
        std::fs::write(&script, "#!/usr/bin/env python3\nprint('{}')\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let err = collect(&[script]).unwrap_err().to_string();
        assert!(err.contains("inventory script") && err.contains("--list --yaml"), "{err}");
        let err = collect(&[dir.path().join("missing.yml")]).unwrap_err().to_string();
        assert!(err.contains("missing.yml"), "{err}");
    }
}
