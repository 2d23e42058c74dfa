//! OpenSSH's patterns (ssh_config(5), PATTERNS): `*` matches any run of characters, `?` one
//! character, and a pattern list matches when a pattern matches and no `!negated` one does.

/// Whether `text` matches the wildcard `pattern`, character for character.
pub(super) fn wildcard(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    crate::wildcard::matches(&text, &pattern, '*', '?')
}

/// A `Host` line's patterns against the name: true when one matches and no negated one does.
/// Case matters, as it does to OpenSSH's `Host`.
pub(super) fn host_line(name: &str, patterns: &[String]) -> bool {
    let mut matched = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if wildcard(name, negated) => return false,
            Some(_) => {}
            None => matched |= wildcard(name, pattern),
        }
    }
    matched
}

/// A comma-separated pattern list (`Match host a*,!ab`), as `match_pattern_list`: true when
/// one pattern matches and no negated one does. `lower` compares without case.
pub(super) fn list(text: &str, patterns: &str, lower: bool) -> bool {
    let text = if lower { text.to_ascii_lowercase() } else { text.to_owned() };
    let mut matched = false;
    for pattern in patterns.split(',') {
        let pattern = if lower { pattern.to_ascii_lowercase() } else { pattern.to_owned() };
        match pattern.strip_prefix('!') {
            Some(negated) if wildcard(&text, negated) => return false,
            Some(_) => {}
            None => matched |= wildcard(&text, &pattern),
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("wsus01", "wsus*"));
        assert!(wildcard("wsus01", "*"));
        assert!(wildcard("", "*"));
        assert!(wildcard("wsus01", "wsus0?"));
        assert!(!wildcard("wsus1", "wsus0?"));
        assert!(wildcard("a.corp.example", "*.corp.*"));
        assert!(!wildcard("corp.example", "*.corp.*"));
        assert!(wildcard("aXbXc", "a*b*c"));
        assert!(!wildcard("abc", "a*b*cd"));
        assert!(!wildcard("Wsus01", "wsus*"));
        assert!(wildcard(&"a".repeat(500), &"*a".repeat(40)));
    }

    #[test]
    fn host_lines_with_negation() {
        let line = strings(&["wsus*", "!wsus-test*", "bastion"]);
        assert!(host_line("wsus01", &line));
        assert!(host_line("bastion", &line));
        assert!(!host_line("wsus-test1", &line));
        assert!(!host_line("other", &line));
        assert!(!host_line("x", &strings(&["!y"])), "a line of negations alone matches nothing");
    }

    #[test]
    fn comma_lists() {
        assert!(list("WSUS01.corp", "*.CORP,x", true));
        assert!(!list("wsus01.corp", "*.corp,!wsus01*", true));
        assert!(!list("Admin", "admin", false));
        assert!(list("admin", "root,admin", false));
    }
}
