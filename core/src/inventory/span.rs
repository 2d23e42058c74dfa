//! Where a key sits in the source text, for error messages.
//!
//! serde_yaml's `Value` forgets positions, so this reads the block-style outline of the text
//! (each `key:` line, its indentation and its parent) once, and then finds a key path such as
//! `all > children > datacenter_a > hosts > wsus01` in it. Flow-style mappings (`{a: 1}`) are
//! not outlined; a lookup then answers with the nearest enclosing key it did find.

/// One `key:` line: its key (borrowed from the text), its parent, one-based line and column.
struct Entry<'t> {
    key: &'t str,
    parent: usize,
    line: usize,
    column: usize,
}

/// The key outline of one YAML text.
pub(super) struct Outline<'t> {
    entries: Vec<Entry<'t>>,
    /// (parent, key) → the first child of that name: a lookup costs the depth of its path,
    /// not the size of the mappings on the way (a group of 100,000 hosts).
    first_child: std::collections::HashMap<(usize, &'t str), usize>,
}

impl<'t> Outline<'t> {
    pub(super) fn new(text: &'t str) -> Outline<'t> {
        let root = Entry { key: "", parent: 0, line: 0, column: 0 };
        let mut entries = vec![root];
        let mut first_child = std::collections::HashMap::new();
        // (indent, entry index); the root sits at indent -1.
        let mut stack: Vec<(isize, usize)> = vec![(-1, 0)];
        let mut block_scalar_indent: Option<isize> = None;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim_start_matches(' ');
            let indent = (line.len() - trimmed.len()) as isize;
            if trimmed.trim().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            match block_scalar_indent {
                Some(owner) if indent > owner => continue,
                _ => block_scalar_indent = None,
            }
            if indent == 0 && (trimmed.starts_with("---") || trimmed.starts_with("...")) {
                stack.truncate(1);
                continue;
            }
            let Some((key, value)) = split_key(trimmed) else { continue };
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            let parent = stack.last().map_or(0, |(_, e)| *e);
            let index = entries.len();
            let column = indent as usize + 1;
            first_child.entry((parent, key)).or_insert(index);
            entries.push(Entry { key, parent, line: number + 1, column });
            stack.push((indent, index));
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar_indent = Some(indent);
            }
        }
        Outline { entries, first_child }
    }

    /// The line and column of the last key of `path`, or of the deepest key of it found.
    pub(super) fn find(&self, path: &[String]) -> Option<(usize, usize)> {
        let mut at = 0;
        let mut found = None;
        for key in path {
            match self.first_child.get(&(at, key.as_str())).copied() {
                Some(child) => {
                    at = child;
                    found = Some((self.entries[child].line, self.entries[child].column));
                }
                None => break,
            }
        }
        found
    }
}

impl Outline<'_> {
    /// For a duplicate key: serde_yaml points at the mapping, the first key at
    /// `line`:`column`; this finds the second `key` in that mapping.
    pub(super) fn duplicate(&self, line: usize, column: usize, key: &str) -> Option<(usize, usize)> {
        let first = self.entries.iter().skip(1).find(|e| e.line == line && e.column == column)?;
        let mut same = self.entries.iter().filter(|e| e.parent == first.parent && e.key == key);
        same.nth(1).map(|e| (e.line, e.column))
    }
}

/// `key: value` → (key, value without a trailing comment), for plain and quoted keys.
fn split_key(text: &str) -> Option<(&str, &str)> {
    if text.starts_with('-') || text.starts_with('?') || text.starts_with('{') {
        return None;
    }
    let (key, rest) = match text.chars().next()? {
        quote @ ('"' | '\'') => {
            let end = text[1..].find(quote)? + 1;
            (&text[1..end], text[end + 1..].trim_start())
        }
        _ => {
            let colon = text
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| text[i + 1..].is_empty() || text[i + 1..].starts_with([' ', '\t']))?;
            (text[..colon].trim_end(), &text[colon..])
        }
    };
    let value = rest.strip_prefix(':')?.trim_start();
    let value = match value.find(" #") {
        Some(i) => &value[..i],
        None if value.starts_with('#') => "",
        None => value,
    };
    Some((key, value.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(keys: &str) -> Vec<String> {
        keys.split('>').map(|k| k.trim().to_string()).collect()
    }

    const TEXT: &str = "\
# comment
---
all:
  vars:
    note: |
      hosts:
        fake: 1
    port: 22   # comment
  children:
    dc_a:
      hosts:
        'wsus01':
          user: x
        \"wsus02\": {port: 1}
    dc_b:
      hosts:
        wsus01:
";

    #[test]
    fn finds_nested_keys() {
        let o = Outline::new(TEXT);
        assert_eq!(o.find(&path("all")), Some((3, 1)));
        assert_eq!(o.find(&path("all > vars > port")), Some((8, 5)));
        assert_eq!(o.find(&path("all > children > dc_a > hosts > wsus01 > user")), Some((13, 11)));
        assert_eq!(o.find(&path("all > children > dc_a > hosts > wsus02")), Some((14, 9)));
        assert_eq!(o.find(&path("all > children > dc_b > hosts > wsus01")), Some((17, 9)));
    }

    #[test]
    fn reads_crlf_and_a_byte_order_mark() {
        let o = Outline::new("\u{feff}all:\r\n  hosts:\r\n    a: # note\r\n");
        assert_eq!(o.find(&path("all > hosts > a")), Some((3, 5)));
    }

    #[test]
    fn finds_the_second_of_a_duplicate_key() {
        let o = Outline::new("all:\n  hosts:\n    a:\n    b:\n    a:\n");
        assert_eq!(o.duplicate(3, 5, "a"), Some((5, 5)));
        assert_eq!(o.duplicate(3, 5, "b"), None);
    }

    #[test]
    fn falls_back_to_the_nearest_key() {
        let o = Outline::new(TEXT);
        // Inside a flow mapping, and inside a block scalar: not outlined.
        assert_eq!(o.find(&path("all > children > dc_a > hosts > wsus02 > port")), Some((14, 9)));
        assert_eq!(o.find(&path("all > vars > note > hosts")), Some((5, 5)));
        assert_eq!(o.find(&path("nothing")), None);
    }
}
