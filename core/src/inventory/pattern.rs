//! Host patterns for `--limit`, as Ansible reads them.
//!
//! A pattern is a list of terms separated by `:` or `,`. A term is a host name, a group name
//! (all its hosts, through child groups too), a glob over both (`wsus-*`, `dc?`), or
//! `@FILE`: the names listed in FILE, one a line (an Ansible retry file; blank lines and `#`
//! comments are skipped). A term prefixed with `&` intersects, with `!` excludes. As in
//! Ansible, unions are taken first, then intersections, then exclusions, whatever the
//! written order; a pattern of only `&`/`!` terms starts from `all`.
//!
//! Every term must match something, so a typo in `!typo` is an error rather than a silent
//! no-op; and the result must not be empty. Hosts come back in inventory order.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::error::PatternError;
use super::model::{Host, Inventory};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Intersect,
    Exclude,
}

type HostSet = BTreeSet<usize>;

impl Inventory {
    /// The hosts selected by `pattern` (every host when `None` or blank).
    pub fn select(&self, pattern: Option<&str>) -> Result<Vec<&Host>, PatternError> {
        let Some(pattern) = pattern.map(str::trim).filter(|p| !p.is_empty()) else {
            return Ok(self.hosts.iter().collect());
        };
        let mut terms = Vec::new();
        for written in pattern.split([':', ',']).map(str::trim).filter(|t| !t.is_empty()) {
            let (op, body) = match written.as_bytes()[0] {
                b'&' => (Op::Intersect, &written[1..]),
                b'!' => (Op::Exclude, &written[1..]),
                _ => (Op::Union, written),
            };
            terms.push((op, self.term(written, body.trim())?));
        }
        let mut selected: HostSet =
            if terms.iter().any(|(op, _)| *op == Op::Union) { HostSet::new() } else { (0..self.hosts.len()).collect() };
        for wanted in [Op::Union, Op::Intersect, Op::Exclude] {
            for (_, set) in terms.iter().filter(|(op, _)| *op == wanted) {
                match wanted {
                    Op::Union => selected.extend(set),
                    Op::Intersect => selected.retain(|i| set.contains(i)),
                    Op::Exclude => selected.retain(|i| !set.contains(i)),
                }
            }
        }
        if selected.is_empty() {
            return Err(PatternError::NothingSelected { pattern: pattern.to_string() });
        }
        Ok(selected.into_iter().map(|i| &self.hosts[i]).collect())
    }

    /// The hosts one term (without its `&`/`!`) stands for.
    fn term(&self, written: &str, body: &str) -> Result<HostSet, PatternError> {
        if let Some(file) = body.strip_prefix('@') {
            return self.listed(PathBuf::from(file));
        }
        check_term(written, body)?;
        let set = self.matching(body);
        if set.is_empty() {
            return Err(PatternError::NoMatch { pattern: written.to_string() });
        }
        Ok(set)
    }

    /// Hosts named `name`, or in a group named `name`; either may be a glob.
    fn matching(&self, name: &str) -> HostSet {
        let glob = name.contains(['*', '?']);
        let matches = |candidate: &str| if glob { glob_match(name, candidate) } else { name == candidate };
        let groups: Vec<&str> = self.groups.keys().map(String::as_str).filter(|g| matches(g)).collect();
        let all = groups.contains(&"all");
        let in_group = |h: &Host| all || h.groups.iter().any(|g| groups.contains(&g.as_str()));
        let hosts = self.hosts.iter().enumerate();
        hosts.filter(|(_, h)| matches(&h.name) || in_group(h)).map(|(i, _)| i).collect()
    }

    /// `@FILE`: the union of the names it lists, each of which must be in the inventory.
    fn listed(&self, path: PathBuf) -> Result<HostSet, PatternError> {
        let text =
            std::fs::read_to_string(&path).map_err(|source| PatternError::File { path: path.clone(), source })?;
        let mut set = HostSet::new();
        for (number, line) in text.lines().enumerate() {
            let name = line.trim();
            if name.is_empty() || name.starts_with('#') {
                continue;
            }
            let found = if check_term(name, name).is_ok() { self.matching(name) } else { HostSet::new() };
            if found.is_empty() {
                let (path, line, name) = (path.clone(), number + 1, name.to_string());
                return Err(PatternError::UnknownListedHost { path, line, name });
            }
            set.extend(found);
        }
        if set.is_empty() {
            return Err(PatternError::NoMatch { pattern: format!("@{}", path.display()) });
        }
        Ok(set)
    }
}

fn check_term(written: &str, body: &str) -> Result<(), PatternError> {
    let invalid =
        |reason: &str| Err(PatternError::Invalid { pattern: written.to_string(), reason: reason.to_string() });
    if body.is_empty() {
        return invalid("a name or group is missing after `&` or `!`");
    }
    if body.starts_with('~') {
        return invalid("regular expressions (`~`) are not supported; use `*` and `?`");
    }
    if body.contains('[') {
        return invalid("subscripts such as `group[0]` are not supported");
    }
    match body.chars().find(|c| !(c.is_ascii_alphanumeric() || "._-*?".contains(*c))) {
        Some(c) => invalid(&format!("`{}` is not allowed; use names, `*` and `?`", c.escape_default())),
        None => Ok(()),
    }
}

/// Shell-style matching of the whole `text`: `*` any run of characters, `?` exactly one.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "
all:
  hosts:
    loner:
  children:
    wsus_servers:
      children:
        datacenter_a:
          hosts:
            wsus-a1:
            wsus-a2:
        branch_offices:
          hosts:
            wsus-b1:
            wsus-a2:
    legacy:
      hosts:
        wsus-b1:
";

    fn names(inv: &Inventory, pattern: &str) -> Vec<String> {
        match inv.select(Some(pattern)) {
            Ok(hosts) => hosts.iter().map(|h| h.name.clone()).collect(),
            Err(e) => vec![format!("error: {e}")],
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("wsus-*", "wsus-a1"));
        assert!(glob_match("*a?", "wsus-a1"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXbYbc"));
        assert!(!glob_match("wsus-?", "wsus-a1"));
        assert!(!glob_match("b*", "wsus-b1"));
    }

    #[test]
    fn terms_and_operators() {
        let inv = Inventory::parse(TEXT, "t.yaml").unwrap();
        assert_eq!(names(&inv, "wsus-a1"), ["wsus-a1"]);
        assert_eq!(names(&inv, "wsus_servers"), ["wsus-a1", "wsus-a2", "wsus-b1"]);
        assert_eq!(names(&inv, "all"), ["loner", "wsus-a1", "wsus-a2", "wsus-b1"]);
        assert_eq!(names(&inv, "ungrouped"), ["loner"]);
        assert_eq!(names(&inv, "wsus-a*"), ["wsus-a1", "wsus-a2"]);
        assert_eq!(names(&inv, "branch*"), ["wsus-a2", "wsus-b1"]);
        assert_eq!(names(&inv, "loner:legacy"), ["loner", "wsus-b1"]);
        assert_eq!(names(&inv, "loner,legacy"), ["loner", "wsus-b1"]);
        assert_eq!(names(&inv, "datacenter_a:&branch_offices"), ["wsus-a2"]);
        assert_eq!(names(&inv, "wsus_servers:!legacy"), ["wsus-a1", "wsus-a2"]);
        assert_eq!(names(&inv, "!wsus_servers"), ["loner"]);
        // Ansible's order: unions, then intersections, then exclusions.
        assert_eq!(names(&inv, "!wsus-a1:&datacenter_a:branch_offices"), ["wsus-a2"]);
        assert_eq!(inv.select(None).unwrap().len(), 4);
        assert_eq!(inv.select(Some("  ")).unwrap().len(), 4);
    }

    #[test]
    fn mistakes_are_errors() {
        let inv = Inventory::parse(TEXT, "t.yaml").unwrap();
        assert_eq!(names(&inv, "wsus_servers:!legcy"), ["error: host pattern `!legcy` matches no host or group"]);
        assert_eq!(names(&inv, "nope*"), ["error: host pattern `nope*` matches no host or group"]);
        assert_eq!(names(&inv, "loner:&legacy"), ["error: host pattern `loner:&legacy` selects no hosts"]);
        assert!(names(&inv, "~wsus.*")[0].contains("regular expressions"));
        assert!(names(&inv, "web[0]")[0].contains("subscripts"));
        assert!(names(&inv, "a;rm")[0].contains("`;` is not allowed"));
        assert!(names(&inv, "loner:&")[0].contains("missing"));
    }

    #[test]
    fn host_list_files() {
        let inv = Inventory::parse(TEXT, "t.yaml").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let retry = dir.path().join("site.retry");
        std::fs::write(&retry, "# failed last time\nwsus-b1\n\n  loner  \n").unwrap();
        let at = format!("@{}", retry.display());
        assert_eq!(names(&inv, &at), ["loner", "wsus-b1"]);
        assert_eq!(names(&inv, &format!("wsus_servers:!{at}")), ["wsus-a1", "wsus-a2"]);
        std::fs::write(&retry, "wsus-b1\nwsus-zz\n").unwrap();
        assert_eq!(names(&inv, &at), [format!("error: {}:2: host `wsus-zz` is not in the inventory", retry.display())]);
        let missing = format!("@{}", dir.path().join("none").display());
        assert!(names(&inv, &missing)[0].starts_with("error: cannot read host list"));
    }
}
