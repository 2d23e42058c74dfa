//! From the tree as written to the inventory as used: group depths, Ansible's implicit
//! `ungrouped` group, and each host's variables merged by precedence.
//!
//! Precedence follows Ansible's, lowest first:
//!
//! 1. the inventory files' group variables: `all`, then the host's other groups from
//!    shallowest to deepest, groups of one depth by `ansible_group_priority`, then by name
//!    (the later wins);
//! 2. `group_vars/all`, then `group_vars/` of the host's other groups, in the same order (each
//!    inventory folder in turn, the later folder winning);
//! 3. the host's own variables in the inventory files;
//! 4. `host_vars/` of the host.

use std::collections::{BTreeSet, HashMap};

use super::error::{InventoryError, Location};
use super::model::{Group, Host, Inventory};
use super::tree::{GroupNode, HostNode, Origin, Tree};
use super::vars::VarSet;
use super::varsdir::VarsLayer;

/// Turns the tree into the inventory; `resolve` finds where an origin is, for errors.
pub(super) fn build(
    mut tree: Tree,
    layers: &[VarsLayer],
    source: &str,
    resolve: &dyn Fn(&Origin) -> Location,
) -> Result<Inventory, InventoryError> {
    if let Some(err) = InventoryError::from_list(std::mem::take(&mut tree.errors)) {
        return Err(err);
    }
    adopt_orphans(&mut tree);
    add_ungrouped(&mut tree);
    let depths = depths(&tree.groups, resolve)?;
    // Hosts listed in the same groups share their precedence order: computed once per set of
    // groups (a site's hundreds of hosts), not once per host.
    let mut orders: HashMap<&[String], Vec<&str>> = HashMap::new();
    let mut hosts = Vec::with_capacity(tree.hosts.len());
    for host in &tree.hosts {
        let order = orders.entry(&host.groups).or_insert_with(|| precedence(&host.groups, &tree.groups, &depths));
        hosts.push(merge(host, order, &tree.groups, layers));
    }
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
    let sha256 = String::new(); // set by `Inventory::parse`, which has the text
    Ok(Inventory { source: source.to_string(), sha256, hosts, groups, warnings: tree.warnings })
}

/// Makes every group without a parent a child of `all`, as Ansible does (an INI file's
/// `[dc]` is nobody's child until then).
fn adopt_orphans(tree: &mut Tree) {
    let orphans: Vec<String> =
        tree.groups.iter().filter(|(name, g)| *name != "all" && g.parents.is_empty()).map(|(n, _)| n.clone()).collect();
    for orphan in orphans {
        tree.link("all", &orphan);
    }
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
fn depths(
    groups: &HashMap<String, GroupNode>,
    resolve: &dyn Fn(&Origin) -> Location,
) -> Result<HashMap<String, usize>, InventoryError> {
    let mut order = Vec::new();
    let mut state: HashMap<&str, bool> = HashMap::new(); // false: on the path, true: done
    let mut path = Vec::new();
    visit("all", groups, &mut state, &mut path, &mut order).map_err(|chain| cycle(groups, resolve, chain))?;
    // A loop that `all` cannot reach (`a` child of `b`, `b` child of `a`, neither of `all`).
    let mut names: Vec<&String> = groups.keys().collect();
    names.sort();
    for name in names {
        if !state.contains_key(name.as_str()) {
            visit(name, groups, &mut state, &mut path, &mut order).map_err(|chain| cycle(groups, resolve, chain))?;
        }
    }
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

fn cycle(
    groups: &HashMap<String, GroupNode>,
    resolve: &dyn Fn(&Origin) -> Location,
    chain: Vec<String>,
) -> InventoryError {
    let group = chain.first().cloned().unwrap_or_default();
    let location = match groups.get(&group).and_then(|g| g.origin.as_ref()) {
        Some(origin) => resolve(origin),
        None => Location::new("inventory", None, None),
    };
    InventoryError::GroupCycle { location, group, chain }
}

/// Every group a host listed in `direct` belongs to (`all` and each ancestor included), in the
/// order their variables apply: shallowest first, then by `ansible_group_priority`, then by name.
fn precedence<'g>(
    direct: &'g [String],
    groups: &'g HashMap<String, GroupNode>,
    depths: &HashMap<String, usize>,
) -> Vec<&'g str> {
    let mut member_of: BTreeSet<&str> = BTreeSet::from(["all"]);
    let mut todo: Vec<&str> = direct.iter().map(String::as_str).collect();
    while let Some(name) = todo.pop() {
        if member_of.insert(name) {
            todo.extend(groups.get(name).map(|g| g.parents.iter().map(String::as_str)).into_iter().flatten());
        }
    }
    let mut ordered: Vec<&str> = member_of.into_iter().collect();
    let priority = |name: &str| groups.get(name).map_or(1, |g| g.priority);
    ordered.sort_by_key(|name| (depths.get(*name).copied().unwrap_or(0), priority(name), *name));
    ordered
}

/// A host with its variables merged by precedence (see the module's doc); `order` is its
/// groups' (see [`precedence`]), `all` first.
fn merge(host: &HostNode, order: &[&str], groups: &HashMap<String, GroupNode>, layers: &[VarsLayer]) -> Host {
    let mut vars = VarSet::default();
    for name in order {
        if let Some(group) = groups.get(*name) {
            vars.overlay(&group.vars);
        }
    }
    // Folder by folder, as Ansible's vars plugin runs per inventory source: `all` first, then
    // the other groups.
    for layer in layers {
        if let Some(set) = layer.groups.get("all") {
            vars.overlay(set);
        }
    }
    for layer in layers {
        for name in order.iter().filter(|name| **name != "all") {
            if let Some(set) = layer.groups.get(*name) {
                vars.overlay(set);
            }
        }
    }
    vars.overlay(&host.vars);
    for layer in layers {
        if let Some(set) = layer.hosts.get(&host.name) {
            vars.overlay(set);
        }
    }
    let (address, port, user, vars) = vars.finish();
    let (address_set, port_set) = (address.is_some(), port.is_some());
    let address = address.unwrap_or_else(|| host.name.clone());
    let port = port.unwrap_or(super::model::DEFAULT_PORT);
    let mut member_of: Vec<String> = order.iter().filter(|g| **g != "all").map(|g| g.to_string()).collect();
    member_of.sort_unstable();
    Host { name: host.name.clone(), address, port, user, address_set, port_set, groups: member_of, vars }
}
