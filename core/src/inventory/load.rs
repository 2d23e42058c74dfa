//! Reading an Ansible YAML inventory into the tree of groups and hosts.
//!
//! The walk follows Ansible's YAML inventory plugin: top-level keys are groups (usually just
//! `all`), a group has `hosts`, `children` and `vars`, groups nest to any depth, host keys may
//! carry ranges and a port (`wsus[01:20]`, `edge01:2022`), and a host or group listed twice is
//! one host or group whose settings are merged in document order.

use serde_yaml::{Mapping, Value};

use super::error::{InventoryError, Location, NameKind, Scope};
use super::hostpattern;
use super::span::Outline;
use super::tree::{Origin, Place, Tree};
use super::validate;
use super::vars::{kind, VarSet};

static NULL: Value = Value::Null;

/// Reads the YAML inventory of `locator` (source number `source`) into `tree`. YAML syntax
/// errors stop here; every other problem is collected in `tree.errors`.
pub(super) fn read<'a>(tree: &mut Tree, source: usize, locator: &'a Locator<'a>) -> Result<(), InventoryError> {
    let mut value: Value = serde_yaml::from_str(locator.text).map_err(|e| yaml_error(&e, locator))?;
    value.apply_merge().map_err(|e| yaml_error(&e, locator))?;
    let mut walker = Walker { locator, source, tree };
    walker.root(&value);
    Ok(())
}

/// Turns a key path (`all > children > dc_a > hosts > wsus01`) into a file, line and column.
/// The text's key outline is read on the first error only: an inventory that loads cleanly
/// (10,000 hosts, 50,000 key lines) never pays for it.
pub(super) struct Locator<'a> {
    text: &'a str,
    source: &'a str,
    outline: std::cell::OnceCell<Outline<'a>>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str, source: &'a str) -> Locator<'a> {
        Locator { text, source, outline: std::cell::OnceCell::new() }
    }

    fn outline(&self) -> &Outline<'a> {
        self.outline.get_or_init(|| Outline::new(self.text))
    }

    pub(super) fn at(&self, path: &[String]) -> Location {
        match self.outline().find(path) {
            Some((line, column)) => Location::new(self.source, Some(line), Some(column)),
            None => Location::new(self.source, None, None),
        }
    }
}

pub(super) fn yaml_error(err: &serde_yaml::Error, locator: &Locator<'_>) -> InventoryError {
    let source = locator.source;
    let mut message = err.to_string();
    let Some(at) = err.location() else {
        return InventoryError::Yaml { location: Location::new(source, None, None), message };
    };
    let suffix = format!(" at line {} column {}", at.line(), at.column());
    if let Some(i) = message.find(&suffix) {
        message.replace_range(i..i + suffix.len(), "");
    }
    // serde_yaml points a duplicate key at the start of its mapping; point at the duplicate.
    let duplicate = message
        .split_once("duplicate entry with key \"")
        .and_then(|(_, rest)| rest.strip_suffix('"'))
        .and_then(|key| locator.outline().duplicate(at.line(), at.column(), key));
    let (line, column) = duplicate.unwrap_or((at.line(), at.column()));
    let indentation = ["did not find expected key", "mapping values are not allowed", "did not find expected '-'"];
    if indentation.iter().any(|m| message.starts_with(m)) {
        message.push_str(" (check the indentation of this line and the ones above it)");
    }
    InventoryError::Yaml { location: Location::new(source, Some(line), Some(column)), message }
}

struct Walker<'a, 't> {
    locator: &'a Locator<'a>,
    source: usize,
    tree: &'t mut Tree,
}

/// Top-level keys of files Ansible reads as something other than a YAML inventory.
fn not_an_inventory(key: &str) -> Option<&'static str> {
    match key {
        "plugin" => Some(
            "this is an inventory plugin's configuration (`plugin:`), which wsusfix does not run; \
             save what it produces (`ansible-inventory -i FILE --list --yaml > inventory.yaml`) and give that",
        ),
        "_meta" => Some(
            "this is `ansible-inventory --list` JSON, the format of inventory scripts; write it with \
             `ansible-inventory -i SOURCE --list --yaml > inventory.yaml` and give that",
        ),
        _ => None,
    }
}

fn child(path: &[String], key: &str) -> Vec<String> {
    let mut path = path.to_vec();
    path.push(key.to_string());
    path
}

impl Walker<'_, '_> {
    fn at(&self, path: &[String]) -> Location {
        self.locator.at(path)
    }

    fn structure(&mut self, path: &[String], message: String) {
        let location = self.at(path);
        self.tree.errors.push(InventoryError::Structure { location, message });
    }

    fn origin(&self, path: &[String]) -> Origin {
        Origin::Key { source: self.source, path: path.to_vec() }
    }

    fn root(&mut self, value: &Value) {
        let origin = self.origin(&["all".to_string()]);
        self.tree.group("all", || origin);
        let entries = match value {
            Value::Null => return,
            Value::Mapping(map) => self.keys(map, &[]),
            other => {
                let message =
                    format!("an inventory is a mapping of groups that starts with `all:`; found {}", kind(other));
                return self.structure(&[], message);
            }
        };
        if let Some((name, message)) = entries.iter().find_map(|(n, _)| not_an_inventory(n).map(|m| (n, m))) {
            // The rest of such a file means nothing as groups: one error says what it is.
            return self.structure(std::slice::from_ref(name), message.into());
        }
        for (name, data) in entries {
            if matches!(name.as_str(), "hosts" | "children" | "vars") {
                let message = format!(
                    "`{name}` at the top level: an inventory starts with `all:`, \
                     with `hosts`, `children` and `vars` indented under it"
                );
                self.structure(&[name], message);
                continue;
            }
            let parent = (name != "all").then_some("all");
            self.group(&name, data, vec![name.clone()], parent);
        }
    }

    /// The keys of a mapping as names; a key that is not a scalar is an error.
    fn keys<'v>(&mut self, map: &'v Mapping, path: &[String]) -> Vec<(String, &'v Value)> {
        let mut out = Vec::with_capacity(map.len());
        for (key, value) in map {
            match key {
                Value::String(s) => out.push((s.clone(), value)),
                Value::Number(n) => out.push((n.to_string(), value)),
                Value::Bool(b) => out.push((b.to_string(), value)),
                other => {
                    let message = format!("a key must be a name; found {}", kind(other));
                    self.structure(path, message);
                }
            }
        }
        out
    }

    /// The entries under `hosts:` or `children:`: a mapping, a single name, or nothing.
    fn entries<'v>(&mut self, value: &'v Value, path: &[String], what: &str) -> Vec<(String, &'v Value)> {
        match value {
            Value::Null => Vec::new(),
            Value::String(name) => vec![(name.clone(), &NULL)],
            Value::Mapping(map) => self.keys(map, path),
            other => {
                let message = format!("`{what}` must be a mapping of names (`name:` lines); found {}", kind(other));
                self.structure(path, message);
                Vec::new()
            }
        }
    }

    fn group(&mut self, name: &str, value: &Value, path: Vec<String>, parent: Option<&str>) {
        if let Err(reason) = validate::group_name(name) {
            let location = self.at(&path);
            let name = name.to_string();
            self.tree.errors.push(InventoryError::InvalidName { location, kind: NameKind::Group, name, reason });
            return;
        }
        if name == "all" && parent.is_some() {
            return self.structure(&path, "`all` contains every group; it cannot be a child".into());
        }
        let origin = self.origin(&path);
        self.tree.group(name, || origin);
        if let Some(parent) = parent {
            self.tree.link(parent, name);
        }
        let map = match value {
            Value::Null => return,
            Value::Mapping(map) => map,
            other => {
                let message = format!(
                    "group `{name}` must be a mapping with `hosts`, `children` or `vars`; found {}",
                    kind(other)
                );
                return self.structure(&path, message);
            }
        };
        for (key, data) in self.keys(map, &path) {
            let sub = child(&path, &key);
            match key.as_str() {
                "hosts" => self.hosts(name, data, &sub),
                "children" => {
                    for (child_name, child_data) in self.entries(data, &sub, "children") {
                        let child_path = child(&sub, &child_name);
                        self.group(&child_name, child_data, child_path, Some(name));
                    }
                }
                "vars" => self.group_vars(name, data, &sub),
                _ => {
                    let location = self.at(&sub);
                    let group = name.to_string();
                    self.tree.errors.push(InventoryError::UnknownGroupKey { location, group, key });
                }
            }
        }
    }

    fn group_vars(&mut self, group: &str, value: &Value, path: &[String]) {
        let map = match value {
            Value::Null => return,
            Value::Mapping(map) => map,
            other => {
                let message = format!("`vars` of group `{group}` must be a mapping; found {}", kind(other));
                return self.structure(path, message);
            }
        };
        let set = self.vars(&Scope::Group(group.to_string()), map, path);
        self.tree.set_group_vars(group, &set);
    }

    fn hosts(&mut self, group: &str, value: &Value, path: &[String]) {
        for (pattern, data) in self.entries(value, path, "hosts") {
            let host_path = child(path, &pattern);
            let expanded = match hostpattern::expand(&pattern) {
                Ok(expanded) => expanded,
                Err(reason) => {
                    let location = self.at(&host_path);
                    let (kind, name) = (NameKind::Host, pattern);
                    self.tree.errors.push(InventoryError::InvalidName { location, kind, name, reason });
                    continue;
                }
            };
            let mut vars = match data {
                Value::Null => VarSet::default(),
                Value::Mapping(map) => self.vars(&Scope::Host(pattern.clone()), map, &host_path),
                other => {
                    let message =
                        format!("host `{pattern}` must have a mapping of variables, or nothing; found {}", kind(other));
                    self.structure(&host_path, message);
                    continue;
                }
            };
            if let Some(port) = expanded.port {
                vars.set_port_if_unset(port);
            }
            for name in &expanded.names {
                if let Err(reason) = validate::host_name(name) {
                    let location = self.at(&host_path);
                    let (kind, name) = (NameKind::Host, name.clone());
                    self.tree.errors.push(InventoryError::InvalidName { location, kind, name, reason });
                    break;
                }
                self.tree.add_host(group, name, &vars);
            }
        }
    }

    fn vars(&mut self, scope: &Scope, map: &Mapping, path: &[String]) -> VarSet {
        let entries = self.keys(map, path);
        let locator = self.locator;
        let locate = |name: &str| locator.at(&child(path, name));
        self.tree.read_vars(scope, entries, Place::Inventory, &locate)
    }
}
