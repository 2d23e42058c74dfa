//! Preparing data for a document. Every string that comes from a plan, a scan or a run goes
//! through an [`Escape`] before it reaches a template, because the data is not ours: a probe
//! reason can carry terminal escape codes, and a hand-edited plan can carry anything.
//!
//! - Both formats lose control characters (a line break becomes a space, anything else U+FFFD):
//!   they are not allowed in HTML and would break a Markdown table.
//! - Markdown text also has the characters that would start a table cell, an HTML tag, an
//!   entity or an emphasis escaped, so a host reason renders as the text it is; `>` and a lone
//!   `&` stay as they are, so the text also reads as written when pasted into a ticket.
//! - HTML text is left to Tera, which autoescapes every `*.html.tera` template; the backticks
//!   our own messages quote names with (`dll`) become quotation marks (‘dll’).

use serde::Serialize;

/// How text is prepared for one document format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Escape {
    Markdown,
    Html,
}

impl Escape {
    /// Prose or a table cell.
    pub fn text(self, s: &str) -> String {
        let clean = printable(s);
        match self {
            Escape::Html => quote_backticks(&clean),
            Escape::Markdown => markdown_text(&clean),
        }
    }

    /// The content of a code block: printed exactly, less control characters.
    pub fn code(self, s: &str) -> String {
        printable(s)
    }
}

/// `s` without control characters: line breaks and tabs become spaces, the rest U+FFFD.
/// Safe to print on a terminal.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' | '`' | '*' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            // Only an `&` that would read as an entity (`&lt;`, `&#60;`) needs escaping.
            '&' if looks_like_entity(chars.clone()) => out.push_str("&amp;"),
            // A backslash escapes the punctuation after it in Markdown; keep Windows paths
            // (`C:\Windows`) readable and double it only where it would vanish.
            '\\' if chars.peek().is_some_and(|n| n.is_ascii_punctuation()) => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}

fn looks_like_entity(rest: impl Iterator<Item = char>) -> bool {
    let mut length = 0;
    for c in rest {
        match c {
            ';' => return length > 0,
            c if c.is_ascii_alphanumeric() || c == '#' => length += 1,
            _ => return false,
        }
        if length > 32 {
            return false;
        }
    }
    false
}

/// Pairs of backticks (`name`) as quotation marks (‘name’); an unpaired one is left.
fn quote_backticks(s: &str) -> String {
    if s.matches('`').count() < 2 {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut open = false;
    let pairs = s.matches('`').count() / 2 * 2;
    for (seen, part) in s.split('`').enumerate() {
        if seen > 0 {
            if seen <= pairs {
                out.push(if open { '’' } else { '‘' });
                open = !open;
            } else {
                out.push('`');
            }
        }
        out.push_str(part);
    }
    out
}

/// The last part of each path of a `, `-separated list (several `-i`) (`inventory.yaml` of `/home/op/fleet/inventory.yaml`), so that a
/// document names what the plan came from without the operator's folders.
pub(super) fn file_names(path: &str) -> String {
    path.split(", ")
        .map(|p| p.rsplit(['/', '\\']).find(|part| !part.is_empty()).unwrap_or(p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Markdown code fence longer than any run of backticks in `texts`.
pub fn fence<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let longest = texts.into_iter().flat_map(|t| t.split(|c| c != '`').map(str::len)).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// The name serde gives a unit enum variant (`update-x86`), for labels that match the files.
pub fn serde_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => printable(&s),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_cannot_break_a_table_or_open_a_tag() {
        let md = Escape::Markdown.text("a|b <script>alert(1)</script> & c:\\\"x\"\n\u{1b}[31m");
        assert_eq!(md, "a\\|b &lt;script>alert(1)&lt;/script> & c:\\\\\"x\" \u{FFFD}[31m");
        assert_eq!(Escape::Markdown.text("DLL >= 3.1 & &lt; <"), "DLL >= 3.1 & &amp;lt; &lt;");
        assert_eq!(Escape::Markdown.text("C:\\Windows\\Temp"), "C:\\Windows\\Temp");
    }

    #[test]
    fn html_text_is_left_to_tera_but_loses_control_characters() {
        assert_eq!(Escape::Html.text("<b>\u{7}</b>"), "<b>\u{FFFD}</b>");
        assert_eq!(Escape::Html.text("inside the `dll` section, a ` alone"), "inside the ‘dll’ section, a ` alone");
    }

    #[test]
    fn a_fence_outgrows_the_backticks_inside() {
        assert_eq!(fence(["dir", "echo ````"]), "`````");
        assert_eq!(fence(["dir"]), "```");
    }
}
