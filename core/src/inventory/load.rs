//! Reading an Ansible YAML inventory into a tree of groups and hosts.
//!
//! The walk follows Ansible's YAML inventory plugin: top-level keys are groups (usually just
//! `all`), a group has `hosts`, `children` and `vars`, groups nest to any depth, and a host
//! or group listed twice is one host or group whose settings are merged in document order.
//! Every variable is checked and typed where it is written, so a bad value is reported once,
//! at its own line, whichever hosts inherit it.

use std::collections::HashMap;

use serde_yaml::{Mapping, Value};

use super::error::{InventoryError, Location, NameKind, Scope};
use super::model::Warning;
use super::span::Outline;
use super::validate;
use super::vars::{classify, kind, Var, VarName, VarSet};

/// A group as written, before depths and precedence.
#[derive(Debug, Default)]
pub(super) struct GroupNode {
    /// The key path where it is first defined, to point at it in errors (see [`Locator`]).
    pub path: Option<Vec<String>>,
    pub vars: VarSet,
    pub parents: Vec<String>,
    pub children: Vec<String>,
    pub hosts: Vec<String>,
}

/// A host as written: its own settings (later listings win) and the groups listing it.
#[derive(Debug)]
pub(super) struct HostNode {
    pub name: String,
    pub vars: VarSet,
    pub groups: Vec<String>,
}

/// Everything read from one inventory text.
#[derive(Debug, Default)]
pub(super) struct Tree {
    pub groups: HashMap<String, GroupNode>,
    /// In order of first appearance.
    pub hosts: Vec<HostNode>,
    pub warnings: Vec<Warning>,
    pub errors: Vec<InventoryError>,
}

static NULL: Value = Value::Null;

/// Parses `text` (named `source` in messages) into a tree; YAML syntax errors stop here,
/// every other problem is collected in `Tree::errors`. The locator it returns points at keys of
/// the text, for errors found later.
pub(super) fn read<'a>(text: &'a str, source: &'a str) -> Result<(Tree, Locator<'a>), InventoryError> {
    let locator = Locator { text, source, outline: std::cell::OnceCell::new() };
    let mut value: Value = serde_yaml::from_str(text).map_err(|e| yaml_error(&e, &locator))?;
    value.apply_merge().map_err(|e| yaml_error(&e, &locator))?;
    let mut walker = Walker { locator, tree: Tree::default(), host_index: HashMap::new() };
    walker.root(&value);
    Ok((walker.tree, walker.locator))
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

fn yaml_error(err: &serde_yaml::Error, locator: &Locator<'_>) -> InventoryError {
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

struct Walker<'a> {
    locator: Locator<'a>,
    tree: Tree,
    host_index: HashMap<String, usize>,
}

fn child(path: &[String], key: &str) -> Vec<String> {
    let mut path = path.to_vec();
    path.push(key.to_string());
    path
}

impl Walker<'_> {
    fn at(&self, path: &[String]) -> Location {
        self.locator.at(path)
    }

    fn structure(&mut self, path: &[String], message: String) {
        let location = self.at(path);
        self.tree.errors.push(InventoryError::Structure { location, message });
    }

    fn root(&mut self, value: &Value) {
        self.tree.groups.entry("all".into()).or_default().path = Some(vec!["all".to_string()]);
        let entries = match value {
            Value::Null => return,
            Value::Mapping(map) => self.keys(map, &[]),
            other => {
                let message =
                    format!("an inventory is a mapping of groups that starts with `all:`; found {}", kind(other));
                return self.structure(&[], message);
            }
        };
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
        let node = self.tree.groups.entry(name.to_string()).or_default();
        if node.path.is_none() {
            node.path = Some(path.clone());
        }
        if let Some(parent) = parent {
            push_new(&mut node.parents, parent);
            let parent_node = self.tree.groups.entry(parent.to_string()).or_default();
            push_new(&mut parent_node.children, name);
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
        if let Some(node) = self.tree.groups.get_mut(group) {
            node.vars.overlay(&set);
        }
    }

    fn hosts(&mut self, group: &str, value: &Value, path: &[String]) {
        for (name, data) in self.entries(value, path, "hosts") {
            let host_path = child(path, &name);
            if let Err(reason) = validate::host_name(&name) {
                let location = self.at(&host_path);
                self.tree.errors.push(InventoryError::InvalidName { location, kind: NameKind::Host, name, reason });
                continue;
            }
            let vars = match data {
                Value::Null => VarSet::default(),
                Value::Mapping(map) => self.vars(&Scope::Host(name.clone()), map, &host_path),
                other => {
                    let message =
                        format!("host `{name}` must have a mapping of variables, or nothing; found {}", kind(other));
                    self.structure(&host_path, message);
                    continue;
                }
            };
            self.add_host(group, &name, &vars);
        }
    }

    fn add_host(&mut self, group: &str, name: &str, vars: &VarSet) {
        let index = *self.host_index.entry(name.to_string()).or_insert_with(|| {
            self.tree.hosts.push(HostNode { name: name.to_string(), vars: VarSet::default(), groups: Vec::new() });
            self.tree.hosts.len() - 1
        });
        let host = &mut self.tree.hosts[index];
        host.vars.overlay(vars);
        // The host's own short list of groups says whether it is new to this group; the
        // group's list of hosts (100,000 of them, maybe) is never searched.
        if host.groups.iter().any(|g| g == group) {
            return;
        }
        host.groups.push(group.to_string());
        if let Some(node) = self.tree.groups.get_mut(group) {
            node.hosts.push(name.to_string());
        }
    }

    /// Checks and types the variables of one mapping, host or group. A variable's path (for
    /// its location) and its scope are made only when there is something to report: a
    /// 10,000-host inventory has tens of thousands of variables and, usually, nothing to say.
    fn vars(&mut self, scope: &Scope, map: &Mapping, path: &[String]) -> VarSet {
        let mut set = VarSet::default();
        // Few variables per mapping: a list is cheaper than a map.
        let mut seen: Vec<(Var, String)> = Vec::new();
        for (name, value) in self.keys(map, path) {
            let location = |name: &str| self.locator.at(&child(path, name));
            match classify(&name) {
                VarName::Known(var) => {
                    if let Some((_, first)) = seen.iter().find(|(v, _)| *v == var) {
                        let location = location(&name);
                        let (variable, alias) = (first.clone(), name);
                        self.tree.errors.push(InventoryError::AliasConflict {
                            location,
                            scope: scope.clone(),
                            variable,
                            alias,
                        });
                    } else {
                        seen.push((var, name.clone()));
                        if let Err(reason) = set.set(var, value) {
                            let location = location(&name);
                            let variable = name;
                            self.tree.errors.push(InventoryError::InvalidValue {
                                location,
                                scope: scope.clone(),
                                variable,
                                reason,
                            });
                        }
                    }
                }
                VarName::Secret { instead } if !is_empty(value) => {
                    let location = location(&name);
                    let (scope, variable) = (scope.clone(), name);
                    self.tree.errors.push(InventoryError::Secret { location, scope, variable, instead });
                }
                VarName::Secret { .. } => {
                    let location = location(&name);
                    let message = "is empty; secrets are never read from the inventory (ignored)".into();
                    let (scope, variable) = (scope.clone(), Some(name));
                    self.tree.warnings.push(Warning { location, scope, variable, message });
                }
                VarName::Ignored(why) => {
                    let location = location(&name);
                    let message = why.to_string();
                    let (scope, variable) = (scope.clone(), Some(name));
                    self.tree.warnings.push(Warning { location, scope, variable, message });
                }
            }
        }
        set
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn push_new(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}
