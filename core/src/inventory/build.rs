//! From the tree as written to the inventory as used: group depths, Ansible's implicit
//! `ungrouped` group, and each host's variables merged by precedence.
//!
//! Precedence follows Ansible: a host's groups are applied from shallowest to deepest
//! (`all` first), groups at the same depth in alphabetical order (the later name wins),
//! and the host's own variables last.

use std::collections::{BTreeSet, HashMap};

use super::error::{InventoryError, Location};
use super::load::{GroupNode, HostNode, Tree};
use super::model::{Group, Host, Inventory};
use super::vars::VarSet;

pub(super) fn build(mut tree: Tree, source: &str) -> Result<Inventory, InventoryError> {
    if let Some(err) = InventoryError::from_list(std::mem::take(&mut tree.errors)) {
        return Err(err);
    }
    add_ungrouped(&mut tree);
    let depths = depths(&tree.groups, source)?;
    let hosts = tree.hosts.iter().map(|h| merge(h, &tree.groups, &depths)).collect();
    let groups = tree
        .groups
        .into_iter()
        .map(|(name, node)| {
            let depth = depths.get(&name).copied().unwrap_or(0);
            let group =
                Group { name: name.clone(), depth, parents: node.parents, children: node.children, hosts: node.hosts };
            (name, group)
        })
        .collect();
    Ok(Inventory { source: source.to_string(), hosts, groups, warnings: tree.warnings })
}

/// Puts hosts that belong to no group but `all` into `ungrouped`, as Ansible does.
fn add_ungrouped(tree: &mut Tree) {
    let mut lonely = Vec::new();
    for host in &mut tree.hosts {
        let others = host.groups.iter().any(|g| g != "all" && g != "ungrouped");
        if others {
            host.groups.retain(|g| g != "ungrouped");
        } else if !host.groups.iter().any(|g| g == "ungrouped") {
            host.groups.push("ungrouped".into());
        }
        if !others {
            lonely.push(host.name.clone());
        }
    }
    let ungrouped = tree.groups.entry("ungrouped".into()).or_default();
    ungrouped.hosts = lonely;
    if !ungrouped.parents.iter().any(|p| p == "all") {
        ungrouped.parents.push("all".into());
        if let Some(all) = tree.groups.get_mut("all") {
            all.children.push("ungrouped".into());
        }
    }
}

/// Each group's depth: the length of the longest path from `all`. A loop is an error.
fn depths(groups: &HashMap<String, GroupNode>, source: &str) -> Result<HashMap<String, usize>, InventoryError> {
    let mut order = Vec::new();
    let mut state: HashMap<&str, bool> = HashMap::new(); // false: on the path, true: done
    let mut path = Vec::new();
    visit("all", groups, &mut state, &mut path, &mut order).map_err(|chain| cycle(groups, source, chain))?;
    let mut depth: HashMap<String, usize> = HashMap::new();
    for name in order.iter().rev() {
        let here = depth.get(*name).copied().unwrap_or(0);
        for child in groups.get(*name).map(|g| g.children.as_slice()).unwrap_or_default() {
            let d = depth.entry(child.clone()).or_insert(0);
            *d = (*d).max(here + 1);
        }
    }
    Ok(depth)
}

/// Depth-first post-order over children; `Err` holds a loop of group names.
fn visit<'g>(
    name: &'g str,
    groups: &'g HashMap<String, GroupNode>,
    state: &mut HashMap<&'g str, bool>,
    path: &mut Vec<&'g str>,
    order: &mut Vec<&'g str>,
) -> Result<(), Vec<String>> {
    match state.get(name) {
        Some(true) => return Ok(()),
        Some(false) => {
            let start = path.iter().position(|g| *g == name).unwrap_or(0);
            let mut chain: Vec<String> = path[start..].iter().map(|g| g.to_string()).collect();
            chain.push(name.to_string());
            return Err(chain);
        }
        None => {}
    }
    state.insert(name, false);
    path.push(name);
    for child in groups.get(name).map(|g| g.children.as_slice()).unwrap_or_default() {
        visit(child, groups, state, path, order)?;
    }
    path.pop();
    state.insert(name, true);
    order.push(name);
    Ok(())
}

fn cycle(groups: &HashMap<String, GroupNode>, source: &str, chain: Vec<String>) -> InventoryError {
    let group = chain.first().cloned().unwrap_or_default();
    let location =
        groups.get(&group).and_then(|g| g.location.clone()).unwrap_or_else(|| Location::new(source, None, None));
    InventoryError::GroupCycle { location, group, chain }
}

/// A host with its groups' variables and its own merged by precedence.
fn merge(host: &HostNode, groups: &HashMap<String, GroupNode>, depths: &HashMap<String, usize>) -> Host {
    let mut member_of: BTreeSet<&str> = BTreeSet::from(["all"]);
    let mut todo: Vec<&str> = host.groups.iter().map(String::as_str).collect();
    while let Some(name) = todo.pop() {
        if member_of.insert(name) {
            todo.extend(groups.get(name).map(|g| g.parents.iter().map(String::as_str)).into_iter().flatten());
        }
    }
    let mut ordered: Vec<&str> = member_of.iter().copied().collect();
    ordered.sort_by_key(|name| (depths.get(*name).copied().unwrap_or(0), *name));
    let mut vars = VarSet::default();
    for name in &ordered {
        if let Some(group) = groups.get(*name) {
            vars.overlay(&group.vars);
        }
    }
    vars.overlay(&host.vars);
    let (address, port, user, vars) = vars.finish(&host.name);
    let groups = member_of.into_iter().filter(|g| *g != "all").map(String::from).collect();
    Host { name: host.name.clone(), address, port, user, groups, vars }
}
