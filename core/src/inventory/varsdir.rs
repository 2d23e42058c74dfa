//! `group_vars/` and `host_vars/` beside an inventory source, read as Ansible's
//! `host_group_vars` plugin reads them.
//!
//! For a group or host called NAME, the first of `NAME` (a folder or a file), `NAME.yml`,
//! `NAME.yaml` and `NAME.json` that exists is read; a folder stands for its files (and
//! subfolders') in sorted order, later files winning, hidden and backup files and other
//! extensions skipped. A file that this rule leaves unread (`dc.yml` beside a `dc/` folder), a
//! file that names no group or host of the inventory, and a file encrypted with Ansible Vault
//! are warnings: nothing Ansible would read is dropped without a word.
//!
//! Each folder is listed once, so a `host_vars/` of 10,000 files costs one directory read and
//! one read per file, not a probe per host.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::error::{InventoryError, Location, Scope};
use super::load::{yaml_error, Locator};
use super::tree::{Place, Tree};
use super::vars::{kind, VarSet};

const EXTENSIONS: &[&str] = &[".yml", ".yaml", ".json"];

/// The variables from one folder's `group_vars/` and `host_vars/`, by group and host name.
#[derive(Debug, Default)]
pub(super) struct VarsLayer {
    pub groups: HashMap<String, VarSet>,
    pub hosts: HashMap<String, VarSet>,
}

/// A file read here, for the inventory's digest.
pub(super) struct ReadFile {
    pub name: String,
    pub text: String,
}

/// Reads `root/group_vars` and `root/host_vars` for the groups and hosts of `tree`.
pub(super) fn read(root: &Path, tree: &mut Tree, read_files: &mut Vec<ReadFile>) -> VarsLayer {
    let groups: HashSet<String> = tree.groups.keys().cloned().collect();
    let hosts: HashSet<String> = tree.host_index.keys().cloned().collect();
    VarsLayer {
        groups: read_kind(&root.join("group_vars"), &groups, Kind::Group, tree, read_files),
        hosts: read_kind(&root.join("host_vars"), &hosts, Kind::Host, tree, read_files),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Group,
    Host,
}

impl Kind {
    fn scope(self, name: &str) -> Scope {
        match self {
            Kind::Group => Scope::Group(name.to_string()),
            Kind::Host => Scope::Host(name.to_string()),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Host => "host",
        }
    }
}

fn read_kind(
    folder: &Path,
    names: &HashSet<String>,
    kind: Kind,
    tree: &mut Tree,
    read_files: &mut Vec<ReadFile>,
) -> HashMap<String, VarSet> {
    let mut out = HashMap::new();
    let Ok(listing) = std::fs::read_dir(folder) else { return out };
    // Entry name → is a folder.
    let entries: BTreeMap<String, bool> = listing
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
        .collect();
    // Every entry belongs to the NAME it would be read for; the first candidate wins.
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for entry in entries.keys() {
        if entry.starts_with('.') || entry.ends_with('~') {
            continue;
        }
        let stem = EXTENSIONS.iter().find_map(|ext| entry.strip_suffix(ext)).unwrap_or(entry);
        by_name.entry(stem).or_default().push(entry);
    }
    for (name, mut candidates) in by_name {
        // Ansible's order: NAME, NAME.yml, NAME.yaml, NAME.json.
        candidates.sort_by_key(|c| {
            if *c == name {
                0
            } else {
                1 + EXTENSIONS.iter().position(|e| c.ends_with(e)).unwrap_or(9)
            }
        });
        let chosen = candidates[0];
        let scope = kind.scope(name);
        if !names.contains(name) {
            let message = format!("names no {} of the inventory (not read)", kind.word());
            tree.warn(file_location(&folder.join(chosen)), &scope, None, message);
            continue;
        }
        for shadowed in &candidates[1..] {
            let message = format!(
                "is not read: {} is, and Ansible reads only the first of NAME, NAME.yml, NAME.yaml, NAME.json",
                folder.join(chosen).display()
            );
            tree.warn(file_location(&folder.join(shadowed)), &scope, None, message);
        }
        let path = folder.join(chosen);
        let files = if entries.get(chosen).copied().unwrap_or(false) { files_in(&path) } else { vec![path] };
        let mut set = VarSet::default();
        for file in files {
            if let Some(vars) = read_file(&file, &scope, tree, read_files) {
                set.overlay(&vars);
            }
        }
        out.insert(name.to_string(), set);
    }
    out
}

/// The files of a vars folder, as Ansible lists them: sorted, recursing into subfolders
/// without an extension, keeping files with no extension or a YAML/JSON one.
fn files_in(folder: &Path) -> Vec<PathBuf> {
    let Ok(listing) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut names: Vec<String> =
        listing.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = folder.join(&name);
        let extension = Path::new(&name).extension().map(|e| format!(".{}", e.to_string_lossy()));
        if path.is_dir() && extension.is_none() {
            out.extend(files_in(&path));
        } else if path.is_file() && extension.as_deref().is_none_or(|e| EXTENSIONS.contains(&e)) {
            out.push(path);
        }
    }
    out
}

fn file_location(path: &Path) -> Location {
    Location::new(&path.display().to_string(), None, None)
}

/// One vars file's variables; problems go to `tree`.
fn read_file(path: &Path, scope: &Scope, tree: &mut Tree, read_files: &mut Vec<ReadFile>) -> Option<VarSet> {
    let name = path.display().to_string();
    let text = match crate::files::read_input(path, crate::files::INPUT_LIMIT) {
        Ok(text) => text,
        Err(source) => {
            tree.errors.push(InventoryError::Io { path: path.to_path_buf(), source });
            return None;
        }
    };
    if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
        let message = "is encrypted with Ansible Vault, which wsusfix does not read (skipped); keep \
                       connection variables in a plain file"
            .to_string();
        tree.warn(file_location(path), scope, None, message);
        read_files.push(ReadFile { name, text });
        return None;
    }
    if let Some(line) = crate::files::flow_too_deep(&text, crate::files::MAX_FLOW_DEPTH) {
        let location = Location::new(&name, Some(line), None);
        let message = format!("`[`/`{{` nest more than {} deep here", crate::files::MAX_FLOW_DEPTH);
        tree.errors.push(InventoryError::Structure { location, message });
        return None;
    }
    let set = {
        let locator = Locator::new(&text, &name);
        let parsed: Result<Value, _> = serde_yaml::from_str(&text).and_then(|mut v: Value| v.apply_merge().map(|()| v));
        match parsed {
            Err(e) => {
                tree.errors.push(yaml_error(&e, &locator));
                None
            }
            Ok(Value::Null) => Some(VarSet::default()),
            Ok(Value::Mapping(map)) => {
                let mut entries = Vec::with_capacity(map.len());
                for (key, value) in &map {
                    match key {
                        Value::String(s) => entries.push((s.clone(), value)),
                        other => {
                            let location = Location::new(&name, None, None);
                            let message = format!("a variable name must be text; found {}", kind(other));
                            tree.errors.push(InventoryError::Structure { location, message });
                        }
                    }
                }
                let locate = |key: &str| locator.at(&[key.to_string()]);
                Some(tree.read_vars(scope, entries, Place::VarsFile, &locate))
            }
            Ok(other) => {
                let location = Location::new(&name, Some(1), Some(1));
                let message = format!("a vars file holds a mapping of variables; found {}", kind(&other));
                tree.errors.push(InventoryError::Structure { location, message });
                None
            }
        }
    };
    read_files.push(ReadFile { name, text });
    set
}
