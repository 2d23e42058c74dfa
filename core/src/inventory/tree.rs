//! The inventory as written, before precedence: groups and hosts gathered from every source
//! (YAML and INI files, in the order given), each variable checked and typed where it is
//! written, so a bad value is reported once, at its own line, whichever hosts inherit it.
//!
//! A host or group that several sources (or several places in one source) name is one host or
//! group; its settings are merged in reading order, the later winning, as Ansible does.

use std::collections::HashMap;

use serde_yaml::Value;

use super::error::{InventoryError, Location, Scope};
use super::model::Warning;
use super::vars::{classify, Var, VarName, VarSet};

/// Where something was written: a key path in a YAML source, or a line of an INI source,
/// resolved into a [`Location`] only when an error needs it (see `load::Locator`).
#[derive(Debug, Clone)]
pub(super) enum Origin {
    Key { source: usize, path: Vec<String> },
    Line { source: usize, line: usize },
}

/// A group as written, before depths and precedence.
#[derive(Debug)]
pub(super) struct GroupNode {
    /// Where it is first defined, to point at it in errors.
    pub origin: Option<Origin>,
    pub vars: VarSet,
    /// `ansible_group_priority`: among groups of one depth, a higher priority applies later.
    pub priority: i64,
    pub parents: Vec<String>,
    pub children: Vec<String>,
    pub hosts: Vec<String>,
}

impl Default for GroupNode {
    fn default() -> Self {
        GroupNode {
            origin: None,
            vars: VarSet::default(),
            priority: 1,
            parents: Vec::new(),
            children: Vec::new(),
            hosts: Vec::new(),
        }
    }
}

/// A host as written: its own settings (later listings win) and the groups listing it.
#[derive(Debug)]
pub(super) struct HostNode {
    pub name: String,
    pub vars: VarSet,
    pub groups: Vec<String>,
}

/// Everything read from the inventory's sources.
#[derive(Debug, Default)]
pub(super) struct Tree {
    pub groups: HashMap<String, GroupNode>,
    /// In order of first appearance.
    pub hosts: Vec<HostNode>,
    pub host_index: HashMap<String, usize>,
    pub warnings: Vec<Warning>,
    pub errors: Vec<InventoryError>,
}

impl Tree {
    /// The group called `name`, made if it is new; `origin` is kept if it is the first.
    pub(super) fn group(&mut self, name: &str, origin: impl FnOnce() -> Origin) -> &mut GroupNode {
        let node = self.groups.entry(name.to_string()).or_default();
        if node.origin.is_none() {
            node.origin = Some(origin());
        }
        node
    }

    /// Makes `child` a child group of `parent` (both must exist or are made).
    pub(super) fn link(&mut self, parent: &str, child: &str) {
        push_new(&mut self.groups.entry(child.to_string()).or_default().parents, parent);
        push_new(&mut self.groups.entry(parent.to_string()).or_default().children, child);
    }

    /// Lists host `name` in `group` with `vars` laid over what it already has.
    pub(super) fn add_host(&mut self, group: &str, name: &str, vars: &VarSet) {
        let index = *self.host_index.entry(name.to_string()).or_insert_with(|| {
            self.hosts.push(HostNode { name: name.to_string(), vars: VarSet::default(), groups: Vec::new() });
            self.hosts.len() - 1
        });
        let host = &mut self.hosts[index];
        host.vars.overlay(vars);
        // The host's own short list of groups says whether it is new to this group; the
        // group's list of hosts (100,000 of them, maybe) is never searched.
        if host.groups.iter().any(|g| g == group) {
            return;
        }
        host.groups.push(group.to_string());
        if let Some(node) = self.groups.get_mut(group) {
            node.hosts.push(name.to_string());
        }
    }

    /// Lays `set`, read from one group's variables, over the group's.
    pub(super) fn set_group_vars(&mut self, group: &str, set: &VarSet) {
        if let Some(node) = self.groups.get_mut(group) {
            node.vars.overlay(set);
            if let Some(priority) = set.group_priority() {
                node.priority = priority;
            }
        }
    }

    /// Checks and types the variables of one host or group (`entries`, in written order).
    /// `locate` finds a variable's place, called only when there is something to report: a
    /// 10,000-host inventory has tens of thousands of variables and, usually, nothing to say.
    pub(super) fn read_vars<'v>(
        &mut self,
        scope: &Scope,
        entries: impl IntoIterator<Item = (String, &'v Value)>,
        place: Place,
        locate: &dyn Fn(&str) -> Location,
    ) -> VarSet {
        let mut set = VarSet::default();
        // Few variables per mapping: a list is cheaper than a map.
        let mut seen: Vec<(Var, String)> = Vec::new();
        let mut ignored: Vec<String> = Vec::new();
        for (name, value) in entries {
            match classify(&name) {
                VarName::Known(Var::GroupPriority)
                    if !(place == Place::Inventory && matches!(scope, Scope::Group(_))) =>
                {
                    let message = match place {
                        Place::Inventory => "orders groups; set on a host it does nothing (ignored)",
                        Place::VarsFile => "orders groups only where an inventory file sets it (ignored)",
                    };
                    self.warn(locate(&name), scope, Some(name), message.into());
                }
                VarName::Known(var) => {
                    if let Some((_, first)) = seen.iter().find(|(v, _)| *v == var) {
                        let (variable, alias) = (first.clone(), name);
                        let location = locate(&alias);
                        self.errors.push(InventoryError::AliasConflict {
                            location,
                            scope: scope.clone(),
                            variable,
                            alias,
                        });
                    } else {
                        seen.push((var, name.clone()));
                        if let Err(reason) = set.set(var, value) {
                            let location = locate(&name);
                            let scope = scope.clone();
                            self.errors.push(InventoryError::InvalidValue { location, scope, variable: name, reason });
                        }
                    }
                }
                VarName::Secret { instead } if !is_empty(value) => {
                    let location = locate(&name);
                    let scope = scope.clone();
                    self.errors.push(InventoryError::Secret { location, scope, variable: name, instead });
                }
                VarName::Secret { .. } => {
                    let message = "is empty; secrets are never read from the inventory (ignored)".into();
                    self.warn(locate(&name), scope, Some(name), message);
                }
                // A vars file holds whatever a playbook needs (NTP servers, …): one warning
                // per file names what is not ours, rather than one line each.
                VarName::Ignored(_) if place == Place::VarsFile && !name.starts_with("ansible_") => ignored.push(name),
                VarName::Ignored(why) => self.warn(locate(&name), scope, Some(name), why.to_string()),
            }
        }
        if !ignored.is_empty() {
            let count = ignored.len();
            let shown: Vec<&str> = ignored.iter().take(8).map(String::as_str).collect();
            let more = if count > shown.len() { ", …" } else { "" };
            let message = format!(
                "{count} variable{} wsusfix does not use (ignored): {}{more}",
                if count == 1 { "" } else { "s" },
                shown.join(", ")
            );
            self.warn(locate(&ignored[0]), scope, None, message);
        }
        set
    }

    pub(super) fn warn(&mut self, location: Location, scope: &Scope, variable: Option<String>, message: String) {
        self.warnings.push(Warning { location, scope: scope.clone(), variable, message });
    }
}

/// Where variables are read from: an inventory source, or a `group_vars`/`host_vars` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Inventory,
    VarsFile,
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
