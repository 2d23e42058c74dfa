//! OpenSSH's wildcards, as known_hosts host patterns and ssh_config's `Host` patterns use them:
//! `*` matches any run of characters (none included), `?` exactly one.

/// Whether `text` matches `pattern`, symbol for symbol; `star` and `any` are the symbols that
/// stand for `*` and `?` (bytes for known_hosts, characters for ssh_config). Iterative, with
/// one backtrack point: linear in practice, never recursive.
pub fn matches<T: Copy + PartialEq>(text: &[T], pattern: &[T], star: T, any: T) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(&c) if c == star => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == any || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match backtrack {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    backtrack = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == star)
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(text: &str, pattern: &str) -> bool {
        matches(text.as_bytes(), pattern.as_bytes(), b'*', b'?')
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("wsus01.corp", "*.corp") && m("wsus01", "wsus??") && m("", "*") && m("abc", "a*c*"));
        assert!(!m("wsus1", "wsus??") && !m("wsus01.corp", "*.lab") && !m("x", ""));
    }
}
