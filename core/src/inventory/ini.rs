//! Reading an Ansible INI inventory (Ansible's default format) into the tree.
//!
//! As Ansible's INI plugin reads it: `[group]` lists hosts one a line (`name[:port]
//! [key=value …]`, names may carry ranges), `[group:vars]` sets group variables,
//! `[group:children]` lists child groups, and hosts before any header are `ungrouped`. A child
//! or `:vars` section may name a group declared further down; one never declared is an error.
//! Comments start with `#` or `;`. Values are read as Ansible reads them (see `pyliteral`),
//! and where that differs from what a Windows administrator meant (`D:\WSUS` on a host line
//! loses its backslash) a warning says so.

use serde_yaml::Value;

use super::error::{InventoryError, Location, NameKind, Scope};
use super::hostpattern;
use super::pyliteral;
use super::tree::{Origin, Place, Tree};
use super::validate;

/// Reads the INI inventory `text` (source number `source`, named `file` in messages) into
/// `tree`; problems are collected in `tree.errors`.
pub(super) fn read(tree: &mut Tree, source: usize, file: &str, text: &str) {
    // Ansible's implicit groups: `[all:vars]` needs no `[all]`, and hosts before any header
    // are `ungrouped`.
    for implicit in ["all", "ungrouped"] {
        tree.group(implicit, || Origin::Line { source, line: 1 });
    }
    let mut reader = Reader { tree, source, file, section: Section::Hosts("ungrouped".into()), pending: Vec::new() };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars: Vec<(String, Value, usize, usize)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let column = raw.len() - raw.trim_start().len() + 1;
        if line.starts_with('[') {
            reader.flush_vars(&mut vars);
            reader.header(line, number);
            continue;
        }
        match reader.section.clone() {
            Section::Hosts(group) => reader.host_line(&group, line, number, column),
            Section::Vars(_) => match line.split_once('=') {
                Some((key, value)) => {
                    let value_column = column + key.len() + 1;
                    reader.check_quoted_escapes(key.trim(), value.trim(), number, value_column);
                    vars.push((key.trim().to_string(), pyliteral::value(value.trim()), number, column));
                }
                None => reader.error(number, column, format!("expected `key=value`, found `{line}`")),
            },
            Section::Children(parent) => reader.child_line(&parent, line, number, column),
            Section::Skipped => {}
        }
    }
    reader.flush_vars(&mut vars);
    for pending in std::mem::take(&mut reader.pending) {
        let (message, line) = match pending {
            Pending::Vars { group, line } => {
                (format!("section `[{group}:vars]` is for a group that no `[{group}]` section declares"), line)
            }
            Pending::Child { parent, child, line } => {
                (format!("`[{parent}:children]` lists `{child}`, a group that no `[{child}]` section declares"), line)
            }
        };
        reader.error(line, 1, message);
    }
}

#[derive(Debug, Clone)]
enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
    /// After a header that could not be read: its lines are skipped (the header is the error).
    Skipped,
}

/// A reference to a group not declared yet; Ansible allows it if a later header declares it.
enum Pending {
    Vars { group: String, line: usize },
    Child { parent: String, child: String, line: usize },
}

struct Reader<'a> {
    tree: &'a mut Tree,
    source: usize,
    file: &'a str,
    section: Section,
    pending: Vec<Pending>,
}

impl Reader<'_> {
    fn at(&self, line: usize, column: usize) -> Location {
        Location::new(self.file, Some(line), Some(column))
    }

    fn error(&mut self, line: usize, column: usize, message: String) {
        let location = self.at(line, column);
        self.tree.errors.push(InventoryError::Structure { location, message });
    }

    fn header(&mut self, line: &str, number: usize) {
        self.section = Section::Skipped;
        let Some((group, kind)) = parse_header(line) else {
            let message = format!(
                "`{line}` is not a section header: write `[group]`, `[group:vars]` or `[group:children]`, \
                 without spaces"
            );
            return self.error(number, 1, message);
        };
        if let Err(reason) = validate::group_name(group) {
            let (location, name) = (self.at(number, 2), group.to_string());
            self.tree.errors.push(InventoryError::InvalidName { location, kind: NameKind::Group, name, reason });
            return;
        }
        let declared = self.tree.groups.contains_key(group);
        match kind {
            "" | "hosts" | "children" => {
                let source = self.source;
                self.tree.group(group, || Origin::Line { source, line: number });
                self.declare(group);
            }
            "vars" if !declared => self.pending.push(Pending::Vars { group: group.to_string(), line: number }),
            "vars" => {}
            other => {
                let message = format!(
                    "section `[{group}:{other}]` has an unknown type `{other}`; a section is `[{group}]`, \
                     `[{group}:vars]` or `[{group}:children]`"
                );
                return self.error(number, 1, message);
            }
        }
        let group = group.to_string();
        self.section = match kind {
            "vars" => Section::Vars(group),
            "children" => Section::Children(group),
            _ => Section::Hosts(group),
        };
    }

    /// `group` is declared now: references to it waiting below are settled.
    fn declare(&mut self, group: &str) {
        let mut links = Vec::new();
        self.pending.retain(|p| match p {
            Pending::Vars { group: g, .. } => g != group,
            Pending::Child { parent, child, .. } if child == group => {
                links.push(parent.clone());
                false
            }
            Pending::Child { .. } => true,
        });
        for parent in links {
            self.tree.link(&parent, group);
        }
    }

    fn host_line(&mut self, group: &str, line: &str, number: usize, column: usize) {
        let words = match pyliteral::shell_words(line) {
            Ok(words) => words,
            Err(why) => return self.error(number, column, format!("cannot read this host line: {why}")),
        };
        let Some((first, rest)) = words.split_first() else { return };
        let pattern = &first.text;
        let expanded = match hostpattern::expand(pattern) {
            Ok(expanded) => expanded,
            Err(reason) => {
                let (location, name) = (self.at(number, column), pattern.clone());
                self.tree.errors.push(InventoryError::InvalidName { location, kind: NameKind::Host, name, reason });
                return;
            }
        };
        let mut entries = Vec::with_capacity(rest.len());
        let mut eaten = Vec::new();
        for word in rest {
            let Some((key, value)) = word.text.split_once('=') else {
                let message = format!("expected `key=value` after the host name, found `{}`", word.text);
                return self.error(number, column + line.find(&word.text).unwrap_or(0), message);
            };
            if word.bare_escape {
                eaten.push((key.to_string(), bare_escape_hint(value, key)));
            }
            entries.push((key.to_string(), pyliteral::value(value)));
        }
        let scope = Scope::Host(pattern.clone());
        let file = self.file;
        let locate = |name: &str| Location::new(file, Some(number), Some(column + line.find(name).unwrap_or(0)));
        let errors_before = self.tree.errors.len();
        let mut vars =
            self.tree.read_vars(&scope, entries.iter().map(|(k, v)| (k.clone(), v)), Place::Inventory, &locate);
        // A value refused after a shell escape took its backslash: the error says why it looks
        // wrong; one accepted (`CORP\svc` read as `CORPsvc`) is a warning.
        for (key, hint) in eaten {
            let refused = self.tree.errors[errors_before..].iter_mut().find_map(|e| match e {
                InventoryError::InvalidValue { variable, reason, .. } if *variable == key => Some(reason),
                _ => None,
            });
            match refused {
                Some(reason) => {
                    reason.push_str("; it ");
                    reason.push_str(&hint);
                }
                None => self.tree.warn(locate(&key), &scope, Some(key), hint),
            }
        }
        if let Some(port) = expanded.port {
            vars.set_port_if_unset(port);
        }
        for name in &expanded.names {
            if let Err(reason) = validate::host_name(name) {
                let (location, name) = (self.at(number, column), name.clone());
                self.tree.errors.push(InventoryError::InvalidName { location, kind: NameKind::Host, name, reason });
                return;
            }
            self.tree.add_host(group, name, &vars);
        }
    }

    fn child_line(&mut self, parent: &str, line: &str, number: usize, column: usize) {
        let name = line.split('#').next().unwrap_or_default().trim();
        if name.contains(char::is_whitespace) || name.contains(':') || name.contains(']') {
            return self.error(number, column, format!("expected one group name, found `{line}`"));
        }
        if let Err(reason) = validate::group_name(name) {
            let (location, name) = (self.at(number, column), name.to_string());
            self.tree.errors.push(InventoryError::InvalidName { location, kind: NameKind::Group, name, reason });
            return;
        }
        if name == "all" {
            return self.error(number, column, "`all` contains every group; it cannot be a child".into());
        }
        if self.tree.groups.contains_key(name) {
            self.tree.link(parent, name);
        } else {
            self.pending.push(Pending::Child { parent: parent.to_string(), child: name.to_string(), line: number });
        }
    }

    /// The variables of one `[group:vars]` section, read together (so that an alias set twice
    /// is found), then laid over the group's.
    fn flush_vars(&mut self, vars: &mut Vec<(String, Value, usize, usize)>) {
        let Section::Vars(group) = self.section.clone() else { return };
        if vars.is_empty() {
            return;
        }
        let lines: Vec<(String, usize, usize)> = vars.iter().map(|(k, _, l, c)| (k.clone(), *l, *c)).collect();
        let file = self.file;
        let locate = |name: &str| {
            let (_, line, column) = lines.iter().rev().find(|(k, _, _)| k == name).cloned().unwrap_or_default();
            Location::new(file, Some(line), Some(column))
        };
        let scope = Scope::Group(group.clone());
        let set =
            self.tree.read_vars(&scope, vars.iter().map(|(k, v, _, _)| (k.clone(), v)), Place::Inventory, &locate);
        self.tree.set_group_vars(&group, &set);
        vars.clear();
    }

    /// In a `:vars` section a double-quoted value is a Python string: `"C:\temp"` holds a tab.
    fn check_quoted_escapes(&mut self, key: &str, raw: &str, number: usize, column: usize) {
        let escapes = raw.starts_with('"')
            && raw.as_bytes().windows(2).any(|w| w[0] == b'\\' && b"abfnrtvxuU01234567N".contains(&w[1]));
        if !escapes {
            return;
        }
        let Section::Vars(group) = self.section.clone() else { return };
        let message = "is a Python string in double quotes, where `\\t`, `\\n` and the like become control \
                       characters (Ansible reads it the same way); write Windows paths without quotes or in \
                       single quotes"
            .to_string();
        self.tree.warn(self.at(number, column), &Scope::Group(group), Some(key.to_string()), message);
    }
}

/// Why a host-line value lost its backslashes, and how to keep them.
fn bare_escape_hint(value: &str, key: &str) -> String {
    format!(
        "is read as `{value}`: on an INI host line a `\\` outside quotes escapes the next character, \
         as in a shell (Ansible reads it the same way); to keep the backslashes write {key}='…' in \
         single quotes"
    )
}

/// `[name]`, `[name:kind]`, optionally followed by a comment → (name, kind).
fn parse_header(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let after = rest[close + 1..].trim_start();
    if !after.is_empty() && !after.starts_with('#') {
        return None;
    }
    let inside = &rest[..close];
    let (name, kind) = inside.split_once(':').unwrap_or((inside, ""));
    let name_ok = !name.is_empty() && !name.contains(char::is_whitespace);
    let kind_ok = kind.chars().all(|c| c.is_alphanumeric() || c == '_') && (kind.is_empty() || inside.contains(':'));
    (name_ok && kind_ok && !(inside.ends_with(':'))).then_some((name, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(parse_header("[dc_a]"), Some(("dc_a", "")));
        assert_eq!(parse_header("[dc:vars]  # comment"), Some(("dc", "vars")));
        assert_eq!(parse_header("[dc:children]"), Some(("dc", "children")));
        assert_eq!(parse_header("[dc a]"), None);
        assert_eq!(parse_header("[dc:]"), None);
        assert_eq!(parse_header("[dc] x"), None);
    }

    fn read_text(text: &str) -> Tree {
        let mut tree = Tree::default();
        read(&mut tree, 0, "hosts", text);
        tree
    }

    #[test]
    fn sections_hosts_ranges_and_children() {
        let tree = read_text(
            "lonely\n[dc:children]\ndc_a\n[dc_a]\nwsus[01:02] ansible_port=2201\nedge:2022\n[dc_a:vars]\nuser=svc\n",
        );
        assert!(tree.errors.is_empty(), "{:?}", tree.errors);
        let names: Vec<&str> = tree.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["lonely", "wsus01", "wsus02", "edge"]);
        assert_eq!(tree.groups["dc"].children, ["dc_a"]);
        assert_eq!(tree.groups["dc_a"].hosts, ["wsus01", "wsus02", "edge"]);
        assert_eq!(tree.hosts[0].groups, ["ungrouped"]);
    }

    #[test]
    fn undeclared_groups_and_bad_lines_are_errors_with_lines() {
        let tree = read_text("[dc:children]\nnever\n[x:vars]\nk=v\n[g]\nh1 novalue\n[g:vars]\nnovalue\n[g:weird]\n");
        let messages: Vec<String> = tree.errors.iter().map(|e| e.to_string()).collect();
        let all = messages.join("\n");
        assert!(all.contains("hosts:6:") && all.contains("expected `key=value` after the host name"), "{all}");
        assert!(all.contains("hosts:8:1: expected `key=value`"), "{all}");
        assert!(all.contains("hosts:9:1: section `[g:weird]` has an unknown type"), "{all}");
        assert!(all.contains("hosts:2:1: `[dc:children]` lists `never`"), "{all}");
        assert!(all.contains("hosts:3:1: section `[x:vars]`"), "{all}");
    }

    #[test]
    fn a_group_declared_below_its_reference_is_fine() {
        let tree = read_text("[dc:children]\ndc_a\n[dc_a:vars]\nuser=svc\n[dc_a]\nwsus01\n");
        assert!(tree.errors.is_empty(), "{:?}", tree.errors);
        assert_eq!(tree.groups["dc"].children, ["dc_a"]);
    }

    #[test]
    fn backslashes_that_ansible_eats_are_warned() {
        let tree = read_text("[g]\nh1 user=CORP\\svc\n[g:vars]\ntemp_dir=\"C:\\temp\"\n");
        let warnings: Vec<String> = tree.warnings.iter().map(|w| w.to_string()).collect();
        assert!(warnings[0].contains("hosts:2:4: host `h1`: variable `user` is read as `CORPsvc`"), "{warnings:?}");
        assert!(warnings[1].contains("hosts:4:10: group `g`: variable `temp_dir` is a Python string"), "{warnings:?}");
    }
}
