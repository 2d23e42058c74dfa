//! The message catalogue: every sentence, heading and label a document shows, in one language,
//! keyed by a stable message id (`change_request.summary.what`), so that one set of templates
//! writes every language.
//!
//! A catalogue is a YAML file of nested sections whose leaves are messages
//! (`templates/docs/messages/en.yaml`, `zh-CN.yaml`). A message is text with:
//!
//! - named placeholders, `{count}`, filled from the template or the Rust code that uses it;
//! - a choice by number, `{count|server|servers}`: the first text when `count` is 1, the second
//!   otherwise (a language without plurals simply does not use it);
//! - inline markup, as Markdown writes it: `` `code` ``, `**strong**`, `*emphasis*` and
//!   `_emphasis_`. Markdown documents keep it as written; HTML documents get `<code>`,
//!   `<strong>` and `<em>`, and typographic quotes (’ “ ”) for straight ones.
//!
//! Every catalogue has exactly the message ids of the embedded English one, each with the same
//! placeholders: anything else is refused when the templates load ([`CatalogueError`]), so a
//! document never falls back to English, nor shows an id.
//!
//! Templates read the catalogue as `msg` and fill a message with the `md` or `html` filter:
//! `{{ msg.scan.title | md(total=total) }}`. A placeholder's value in a Markdown document
//! arrives escaped for Markdown already (see [`super::text`]); in an HTML document the `html`
//! filter escapes it as Tera's autoescape would.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Display;
use std::sync::OnceLock;

use super::lang::Lang;

/// Why a catalogue cannot be used. Names the file and, where there is one, the message id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("{file}: not a message catalogue: {message}")]
    Yaml { file: String, message: String },
    #[error("{file}: {key}: a message is text, or a section of messages")]
    NotText { file: String, key: String },
    #[error("{file}: {key}: {message}")]
    Syntax { file: String, key: String, message: String },
    #[error("{file}: {key} is missing (every catalogue has every message of {reference})")]
    Missing { file: String, key: String, reference: String },
    #[error("{file}: {key} is not a message of {reference}")]
    Unknown { file: String, key: String, reference: String },
    #[error("{file}: {key} has the placeholders {found:?}, where {reference} has {expected:?}")]
    Placeholders { file: String, key: String, reference: String, expected: Vec<String>, found: Vec<String> },
}

/// One part of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// `{name}`.
    Arg(String),
    /// `{name|one|other}`.
    Choice {
        arg: String,
        one: String,
        other: String,
    },
    /// A markup delimiter as written (`` ` ``, `**`, `*`, `_`).
    Mark(Mark),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Code,
    Strong,
    Em(char),
}

impl Mark {
    fn written(self) -> &'static str {
        match self {
            Mark::Code => "`",
            Mark::Strong => "**",
            Mark::Em('_') => "_",
            Mark::Em(_) => "*",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Mark::Code => "code",
            Mark::Strong => "strong",
            Mark::Em(_) => "em",
        }
    }
}

/// A message, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Message {
    pieces: Vec<Piece>,
}

impl Message {
    fn parse(text: &str) -> Result<Message, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let (mut code, mut strong, mut em): (bool, bool, Option<char>) = (false, false, None);
        let mut i = 0;
        let mark = |pieces: &mut Vec<Piece>, literal: &mut String, m: Mark| {
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(literal)));
            }
            pieces.push(Piece::Mark(m));
        };
        while i < chars.len() {
            let c = chars[i];
            let prev = if i == 0 { None } else { Some(chars[i - 1]) };
            let next = chars.get(i + 1).copied();
            match c {
                '{' => {
                    let end = chars[i..].iter().position(|c| *c == '}').ok_or("a `{` is not closed")? + i;
                    let inside: String = chars[i + 1..end].iter().collect();
                    let mut parts = inside.split('|');
                    let arg = parts.next().unwrap_or_default().to_string();
                    if arg.is_empty() || !arg.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    {
                        return Err(format!("`{{{inside}}}`: a placeholder is named with a-z, 0-9 and _"));
                    }
                    let choice: Vec<&str> = parts.collect();
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    match choice.as_slice() {
                        [] => pieces.push(Piece::Arg(arg)),
                        [one, other] => {
                            pieces.push(Piece::Choice { arg, one: one.to_string(), other: other.to_string() })
                        }
                        _ => return Err(format!("`{{{inside}}}`: a choice is {{name|one|other}}")),
                    }
                    i = end + 1;
                    continue;
                }
                '}' => return Err("a `}` without its `{`".into()),
                '`' => {
                    code = !code;
                    mark(&mut pieces, &mut literal, Mark::Code);
                }
                '*' if !code && next == Some('*') => {
                    strong = !strong;
                    mark(&mut pieces, &mut literal, Mark::Strong);
                    i += 2;
                    continue;
                }
                '*' if !code && (em == Some('*') || next.is_some_and(|n| !n.is_whitespace())) => {
                    em = if em.is_some() { None } else { Some('*') };
                    mark(&mut pieces, &mut literal, Mark::Em('*'));
                }
                // `_` marks emphasis only at a word's edge, so `change_id` stays a word.
                '_' if !code
                    && em != Some('*')
                    && ((em.is_none()
                        && prev.is_none_or(|p| p.is_whitespace() || p == '(')
                        && next.is_some_and(|n| !n.is_whitespace()))
                        || (em == Some('_') && next.is_none_or(|n| !n.is_alphanumeric()))) =>
                {
                    em = if em.is_some() { None } else { Some('_') };
                    mark(&mut pieces, &mut literal, Mark::Em('_'));
                }
                c => literal.push(c),
            }
            i += 1;
        }
        if code || strong || em.is_some() {
            return Err("a `` ` ``, `**`, `*` or `_` is not closed".into());
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Message { pieces })
    }

    fn placeholders(&self) -> BTreeSet<String> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Arg(a) | Piece::Choice { arg: a, .. } => Some(a.clone()),
                _ => None,
            })
            .collect()
    }

    /// The message with `args`, for `format`. A missing placeholder's value is an error.
    fn fill(&self, args: &dyn Fn(&str) -> Option<String>, format: Fill) -> Result<String, String> {
        let mut out = String::new();
        let mut open: Vec<Mark> = Vec::new();
        let mut quote_open = false;
        for piece in &self.pieces {
            let in_code = open.last() == Some(&Mark::Code);
            match piece {
                Piece::Text(t) => match format {
                    Fill::Html if !in_code => out.push_str(&typographic(t, &mut quote_open)),
                    Fill::Html => out.push_str(&escape_text(t)),
                    Fill::Plain | Fill::Markdown => out.push_str(t),
                },
                Piece::Arg(name) => {
                    let value = args(name).ok_or_else(|| format!("no value for the placeholder `{name}`"))?;
                    match format {
                        Fill::Html => out.push_str(&tera::escape_html(&value)),
                        Fill::Plain | Fill::Markdown => out.push_str(&value),
                    }
                }
                Piece::Choice { arg, one, other } => {
                    let value = args(arg).ok_or_else(|| format!("no value for the placeholder `{arg}`"))?;
                    let text = if value.trim() == "1" { one } else { other };
                    match format {
                        Fill::Html => out.push_str(&typographic(text, &mut quote_open)),
                        Fill::Plain | Fill::Markdown => out.push_str(text),
                    }
                }
                Piece::Mark(m) => {
                    let closing = open.last().is_some_and(|o| o.tag() == m.tag());
                    if closing {
                        open.pop();
                    } else {
                        open.push(*m);
                    }
                    match format {
                        Fill::Html => {
                            out.push_str(if closing { "</" } else { "<" });
                            out.push_str(m.tag());
                            out.push('>');
                        }
                        Fill::Plain | Fill::Markdown => out.push_str(m.written()),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// What a message is filled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// Text a Rust context builds: no markup is converted (the text is escaped later).
    Plain,
    /// Markdown: the message as written, values as given (escaped for Markdown already).
    Markdown,
    /// HTML: markup as tags, text and values escaped.
    Html,
}

/// `<`, `>` and `&` of our own text escaped; quotes are left (Tera's escape would turn them to
/// entities, which the text does not need).
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Our own text for HTML: an apostrophe after a letter as ’, straight double quotes as “ ”.
fn typographic(s: &str, quote_open: &mut bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    for c in escape_text(s).chars() {
        match c {
            '\'' if prev.is_some_and(char::is_alphanumeric) => out.push('’'),
            '"' => {
                out.push(if *quote_open { '”' } else { '“' });
                *quote_open = !*quote_open;
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// A language's messages, checked.
#[derive(Clone, Debug)]
pub struct Catalogue {
    lang: Lang,
    /// Where it was read from, for errors.
    file: String,
    messages: BTreeMap<String, Message>,
    /// The messages as written, in their sections: what templates see as `msg`.
    tree: serde_json::Value,
}

/// The embedded catalogues, by language.
const EMBEDDED: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../../../templates/docs/messages/en.yaml")),
    (Lang::ZhCn, include_str!("../../../templates/docs/messages/zh-CN.yaml")),
];

impl Catalogue {
    /// The embedded catalogue of `lang`.
    pub fn embedded(lang: Lang) -> &'static Catalogue {
        static LOADED: OnceLock<Vec<Catalogue>> = OnceLock::new();
        let all = LOADED.get_or_init(|| {
            EMBEDDED
                .iter()
                .map(|(lang, text)| {
                    Catalogue::parse(*lang, text, &lang.catalogue_name())
                        .and_then(|c| c.check_against(reference()).map(|()| c))
                        .unwrap_or_else(|e| panic!("the embedded catalogue is broken: {e}"))
                })
                .collect()
        });
        all.iter().find(|c| c.lang == lang).expect("every language has an embedded catalogue")
    }

    /// English, the default.
    pub fn english() -> &'static Catalogue {
        Catalogue::embedded(Lang::En)
    }

    /// The embedded text of `lang`'s catalogue.
    pub fn embedded_text(lang: Lang) -> &'static str {
        EMBEDDED.iter().find(|(l, _)| *l == lang).map(|(_, t)| *t).unwrap_or_default()
    }

    /// Reads a catalogue (`file` names it in errors) and checks it has every message of the
    /// embedded English catalogue, with the same placeholders, and no other.
    pub fn load(lang: Lang, text: &str, file: &str) -> Result<Catalogue, CatalogueError> {
        let catalogue = Catalogue::parse(lang, text, file)?;
        catalogue.check_against(reference())?;
        Ok(catalogue)
    }

    fn parse(lang: Lang, text: &str, file: &str) -> Result<Catalogue, CatalogueError> {
        let tree: serde_json::Value = serde_yaml::from_str(text)
            .map_err(|e| CatalogueError::Yaml { file: file.to_string(), message: e.to_string() })?;
        if !tree.is_object() {
            return Err(CatalogueError::Yaml { file: file.to_string(), message: "it is not a map of sections".into() });
        }
        let mut messages = BTreeMap::new();
        collect(&tree, "", file, &mut messages)?;
        Ok(Catalogue { lang, file: file.to_string(), messages, tree })
    }

    /// Every id of `reference` is here with the same placeholders, and nothing else.
    fn check_against(&self, reference: &Reference) -> Result<(), CatalogueError> {
        let file = self.file.clone();
        for (key, expected) in &reference.placeholders {
            let Some(message) = self.messages.get(key) else {
                return Err(CatalogueError::Missing { file, key: key.clone(), reference: reference.name.clone() });
            };
            let found = message.placeholders();
            if &found != expected {
                return Err(CatalogueError::Placeholders {
                    file,
                    key: key.clone(),
                    reference: reference.name.clone(),
                    expected: expected.iter().cloned().collect(),
                    found: found.into_iter().collect(),
                });
            }
        }
        if let Some(key) = self.messages.keys().find(|k| !reference.placeholders.contains_key(*k)) {
            return Err(CatalogueError::Unknown { file, key: key.clone(), reference: reference.name.clone() });
        }
        Ok(())
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The messages as templates see them (`msg`).
    pub fn tree(&self) -> &serde_json::Value {
        &self.tree
    }

    /// Every message id, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }

    /// The placeholders of message `id` (empty when there is no such message).
    pub fn placeholders(&self, id: &str) -> BTreeSet<String> {
        self.messages.get(id).map(Message::placeholders).unwrap_or_default()
    }

    /// Message `id` filled with `args`, as plain text (for a context built in Rust, which
    /// escapes it for its format afterwards). The ids Rust uses are in every catalogue (they
    /// are checked when it loads, and the tests render every document in every language), so
    /// a miss is a bug: it shows the id rather than falling back to another language.
    pub fn text(&self, id: &str, args: &[(&str, &dyn Display)]) -> String {
        let Some(message) = self.messages.get(id) else {
            debug_assert!(false, "no message {id}");
            return format!("[{id}]");
        };
        let lookup = |name: &str| args.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
        message.fill(&lookup, Fill::Plain).unwrap_or_else(|e| {
            debug_assert!(false, "message {id}: {e}");
            format!("[{id}: {e}]")
        })
    }

    /// A label of a section of labels: `label("verdict", "affected-rtm")`. An identifier the
    /// catalogue has no label for (a newer verdict) is shown as it is.
    pub fn label(&self, section: &str, name: &str) -> String {
        let id = format!("{section}.{name}");
        match self.messages.get(&id) {
            Some(_) => self.text(&id, &[]),
            None => name.to_string(),
        }
    }

    /// `45 s`, `12 min`, `1 h 05 min`, in this language.
    pub fn duration(&self, secs: u64) -> String {
        if secs < 60 {
            return self.text("duration.seconds", &[("s", &secs)]);
        }
        let minutes = secs.div_ceil(60);
        if minutes < 60 {
            self.text("duration.minutes", &[("m", &minutes)])
        } else {
            let mm = format!("{:02}", minutes % 60);
            self.text("duration.hours", &[("h", &(minutes / 60)), ("mm", &mm)])
        }
    }

    /// Items joined as a list: `a, b, c` (`a、b、c` in Chinese).
    pub fn list(&self, items: &[String]) -> String {
        items.join(&self.text("sep.list", &[]))
    }
}

/// The message ids and placeholders every catalogue must have: the embedded English one's.
struct Reference {
    name: String,
    placeholders: BTreeMap<String, BTreeSet<String>>,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let name = Lang::En.catalogue_name();
        let english = Catalogue::parse(Lang::En, Catalogue::embedded_text(Lang::En), &name)
            .unwrap_or_else(|e| panic!("the embedded English catalogue is broken: {e}"));
        let placeholders = english.messages.iter().map(|(k, m)| (k.clone(), m.placeholders())).collect();
        Reference { name: format!("the embedded {name}"), placeholders }
    })
}

fn collect(
    node: &serde_json::Value,
    prefix: &str,
    file: &str,
    out: &mut BTreeMap<String, Message>,
) -> Result<(), CatalogueError> {
    let serde_json::Value::Object(map) = node else { unreachable!("called on maps") };
    for (name, value) in map {
        let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        match value {
            serde_json::Value::Object(_) => collect(value, &key, file, out)?,
            serde_json::Value::String(text) => {
                let message = Message::parse(text).map_err(|message| CatalogueError::Syntax {
                    file: file.to_string(),
                    key: key.clone(),
                    message,
                })?;
                out.insert(key, message);
            }
            _ => return Err(CatalogueError::NotText { file: file.to_string(), key }),
        }
    }
    Ok(())
}

/// The template filters that fill a message: `md` in Markdown templates, `html` in HTML ones.
/// Each named argument is a placeholder's value; numbers are written as numbers, lists joined
/// with `, `.
pub fn register_filters(tera: &mut tera::Tera) {
    tera.register_filter("md", FillFilter(Fill::Markdown));
    tera.register_filter("html", FillFilter(Fill::Html));
}

struct FillFilter(Fill);

impl tera::Filter for FillFilter {
    fn filter(&self, value: &tera::Value, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        let text = value.as_str().ok_or_else(|| tera::Error::msg("the message filters fill a message (msg.…)"))?;
        let message = Message::parse(text).map_err(tera::Error::msg)?;
        let lookup = |name: &str| args.get(name).map(value_text);
        message.fill(&lookup, self.0).map(tera::Value::String).map_err(|e| tera::Error::msg(format!("`{text}`: {e}")))
    }

    /// The `html` filter escapes what it writes itself.
    fn is_safe(&self) -> bool {
        self.0 == Fill::Html
    }
}

fn value_text(value: &tera::Value) -> String {
    match value {
        tera::Value::String(s) => s.clone(),
        tera::Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(text: &str, format: Fill, args: &[(&str, &str)]) -> String {
        let lookup = |name: &str| args.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
        Message::parse(text).unwrap().fill(&lookup, format).unwrap()
    }

    #[test]
    fn markup_placeholders_and_choices() {
        let m = "**Plan** `sha256:{d}` for {n} server{n||s}; the client's *any* \"x\" _to complete_ change_id";
        assert_eq!(
            fill(m, Fill::Markdown, &[("d", "ab"), ("n", "3")]),
            "**Plan** `sha256:ab` for 3 servers; the client's *any* \"x\" _to complete_ change_id"
        );
        assert_eq!(
            fill(m, Fill::Html, &[("d", "<a>"), ("n", "1")]),
            "<strong>Plan</strong> <code>sha256:&lt;a&gt;</code> for 1 server; the client’s <em>any</em> “x” \
             <em>to complete</em> change_id"
        );
        assert_eq!(fill("修复 {n} 台服务器", Fill::Html, &[("n", "3")]), "修复 3 台服务器");
    }

    #[test]
    fn broken_messages_are_refused() {
        for bad in ["{n", "n}", "{N}", "{n|a}", "`open", "**open", "{n|a|b|c}"] {
            assert!(Message::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn every_catalogue_has_every_message_with_the_same_placeholders() {
        for lang in Lang::ALL {
            let catalogue = Catalogue::embedded(lang);
            let english = Catalogue::english();
            let ids: Vec<&str> = catalogue.ids().collect();
            assert_eq!(ids, english.ids().collect::<Vec<_>>(), "{lang}: the same message ids as en");
            for id in ids {
                assert_eq!(catalogue.placeholders(id), english.placeholders(id), "{lang}: {id}");
            }
        }
    }

    #[test]
    fn a_missing_message_or_placeholder_is_named_with_file_and_key() {
        let text = Catalogue::embedded_text(Lang::ZhCn);
        let without = text.replacen("  title: ", "  titel: ", 1);
        let err = Catalogue::load(Lang::ZhCn, &without, "mine/zh-CN.yaml").unwrap_err().to_string();
        assert!(err.contains("is missing") && err.contains(".title"), "{err}");

        let err = Catalogue::load(Lang::ZhCn, "a: {b: 1}", "mine/zh-CN.yaml").unwrap_err();
        assert_eq!(err, CatalogueError::NotText { file: "mine/zh-CN.yaml".into(), key: "a.b".into() });
    }

    #[test]
    fn durations_in_each_language() {
        assert_eq!(Catalogue::english().duration(5340), "1 h 29 min");
        assert_eq!(Catalogue::embedded(Lang::ZhCn).duration(5340), "1 小时 29 分钟");
        assert_eq!(Catalogue::english().duration(45), "45 s");
    }
}
