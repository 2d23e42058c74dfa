//! The Tera templates wsusfix renders: remote command scripts and documents.
//!
//! The templates under the repository's `templates/` folder are embedded in the binary; an
//! organisation can replace any of them with its own folder (`--template-dir DIR`), where a
//! file of the same name wins. The documents' message catalogues
//! (`docs/messages/LANG.yaml`, see [`crate::report::messages`]) are loaded the same way, and
//! each is checked to have every message when it loads.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;

use crate::report::messages::{self, Catalogue};
use crate::report::Lang;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// The embedded templates, by name (their path under `templates/`).
const EMBEDDED: &[(&str, &str)] = embedded![
    // Layouts and macros first: Tera checks a template's parents and imports as it is added.
    "docs/layout.html.tera",
    "docs/macros.html.tera",
    "docs/macros.md.tera",
    "docs/change-request.html.tera",
    "docs/change-request.md.tera",
    "docs/result.html.tera",
    "docs/result.md.tera",
    "docs/scan.html.tera",
    "docs/scan.md.tera",
    "probe.cmd.tera",
    "steps/backup-susdb.cmd.tera",
    "steps/check-logs.cmd.tera",
    "steps/check-services.cmd.tera",
    "steps/cleanup.cmd.tera",
    "steps/install.cmd.tera",
    "steps/install-log.cmd.tera",
    "steps/precheck-disk.cmd.tera",
    "steps/reboot.cmd.tera",
    "steps/run-claim.cmd.tera",
    "steps/run-release.cmd.tera",
    "steps/setup-sp1.cmd.tera",
    "steps/stage.cmd.tera",
    "steps/task-create.cmd.tera",
    "steps/task-delete.cmd.tera",
    "steps/task-query.cmd.tera",
    "steps/task-run.cmd.tera",
    "steps/uninstall-wsus.cmd.tera",
    "steps/verify-dll.cmd.tera",
    "steps/verify-hash.cmd.tera",
    "steps/verify-wsus.cmd.tera",
];

/// Why a template could not be loaded or rendered. Names the template and carries Tera's
/// message, which gives the line and column of a syntax error.
#[derive(Clone, Debug, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct TemplateError {
    pub name: String,
    pub message: String,
}

impl TemplateError {
    fn from_tera(name: &str, err: &tera::Error) -> TemplateError {
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        TemplateError { name: name.to_string(), message }
    }
}

/// A set of templates ready to render, with the documents' message catalogues.
pub struct Templates {
    /// The remote command scripts (the probe, the steps): small, and what every command that
    /// connects needs.
    commands: tera::Tera,
    /// The documents (`docs/`): parsed when one is first rendered, since parsing them takes a
    /// scan's whole start-up time otherwise; an override folder's are parsed at once, so that
    /// its mistakes stop a command before any host is contacted.
    docs: OnceLock<Result<tera::Tera, TemplateError>>,
    /// The override folder, if any.
    dir: Option<PathBuf>,
    /// One per language of [`Lang::ALL`], in that order.
    catalogues: Vec<Catalogue>,
}

/// Which embedded templates a [`tera::Tera`] holds.
#[derive(Clone, Copy, PartialEq)]
enum Family {
    Commands,
    Docs,
}

impl Family {
    fn of(name: &str) -> Family {
        if name.starts_with("docs/") {
            Family::Docs
        } else {
            Family::Commands
        }
    }
}

impl Templates {
    /// The templates shipped with wsusfix.
    pub fn embedded() -> Result<Templates, TemplateError> {
        Templates::build(None)
    }

    /// The shipped templates, with any file of the same name in `dir` taking their place.
    pub fn with_overrides(dir: &Path) -> Result<Templates, TemplateError> {
        Templates::build(Some(dir))
    }

    fn build(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let commands = load(Family::Commands, dir)?;
        let docs = OnceLock::new();
        if dir.is_some() {
            let _ = docs.set(Ok(load(Family::Docs, dir)?));
        }
        let mut catalogues = Vec::with_capacity(Lang::ALL.len());
        for lang in Lang::ALL {
            let name = lang.catalogue_name();
            let catalogue = match dir {
                Some(dir) if dir.join(&name).is_file() => {
                    let path = dir.join(&name);
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| TemplateError { name: path.display().to_string(), message: e.to_string() })?;
                    let file = path.display().to_string();
                    Catalogue::load(lang, &text, &file).map_err(|e| TemplateError {
                        // The error starts with the file, which the template error names.
                        message: e.to_string().trim_start_matches(&format!("{file}: ")).to_string(),
                        name: file,
                    })?
                }
                _ => Catalogue::embedded(lang).clone(),
            };
            catalogues.push(catalogue);
        }
        Ok(Templates { commands, docs, dir: dir.map(Path::to_path_buf), catalogues })
    }

    /// The set that holds the template `name`.
    fn tera_for(&self, name: &str) -> Result<&tera::Tera, TemplateError> {
        match Family::of(name) {
            Family::Commands => Ok(&self.commands),
            Family::Docs => {
                self.docs.get_or_init(|| load(Family::Docs, self.dir.as_deref())).as_ref().map_err(Clone::clone)
            }
        }
    }

    /// The message catalogue of `lang`.
    pub fn catalogue(&self, lang: Lang) -> &Catalogue {
        self.catalogues.iter().find(|c| c.lang() == lang).unwrap_or_else(|| Catalogue::embedded(lang))
    }

    /// Renders one template with a serialisable context.
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String, TemplateError> {
        let ctx = tera::Context::from_serialize(context).map_err(|e| TemplateError::from_tera(name, &e))?;
        // The bound holds while rendering: a loop that would write gigabytes stops at it.
        let mut out = Bounded { bytes: Vec::new(), limit: MAX_RENDERED };
        if let Err(e) = self.tera_for(name)?.render_to(name, &ctx, &mut out) {
            if out.bytes.len() >= MAX_RENDERED {
                return Err(TemplateError {
                    name: name.to_string(),
                    message: format!("it renders more than the {MAX_RENDERED} bytes a template may"),
                });
            }
            return Err(TemplateError::from_tera(name, &e));
        }
        String::from_utf8(out.bytes)
            .map_err(|e| TemplateError { name: name.to_string(), message: format!("it rendered invalid UTF-8: {e}") })
    }

    /// Renders a command template whose lines are parts of one command line, joined with
    /// `&` (always continue), as cmd.exe chains commands.
    pub fn render_command_line(&self, name: &str, context: &impl Serialize) -> Result<String, TemplateError> {
        let text = self.render(name, context)?;
        Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" & "))
    }
}

/// One family of the templates, each from `dir` where it holds a file of that name.
fn load(family: Family, dir: Option<&Path>) -> Result<tera::Tera, TemplateError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html.tera", ".html"]);
    // A template is text, not a program with access to this machine: the environment
    // (where passwords are named) stays out of every command and document.
    tera.register_function("get_env", |_: &std::collections::HashMap<String, tera::Value>| {
        Err(tera::Error::msg("get_env is not available to wsusfix templates: they see only their context"))
    });
    // Filling a message is pure: it sees the message and its arguments, nothing else.
    messages::register_filters(&mut tera);
    for (name, text) in EMBEDDED.iter().filter(|(name, _)| Family::of(name) == family) {
        let own = match dir {
            Some(dir) if dir.join(name).is_file() => {
                Some(std::fs::read_to_string(dir.join(name)).map_err(|e| TemplateError {
                    name: dir.join(name).display().to_string(),
                    message: e.to_string(),
                })?)
            }
            _ => None,
        };
        let text = own.as_deref().unwrap_or(text);
        if let Some((line, called)) = recursive_macro(text) {
            return Err(TemplateError {
                name: format!("{name}:{line}"),
                message: format!("the macro `{called}` calls itself: recursion is not allowed in templates"),
            });
        }
        tera.add_raw_template(name, text).map_err(|e| TemplateError::from_tera(name, &e))?;
    }
    Ok(tera)
}

/// The most a template may render: documents of thousands of hosts stay far below it.
const MAX_RENDERED: usize = 64 * 1024 * 1024;

/// A buffer that refuses to grow past its limit.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + data.len() > self.limit {
            self.bytes.resize(self.limit, 0);
            return Err(std::io::Error::other("the template's output is too large"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A macro that calls itself recurses until the stack overflows, which no error can report:
/// such a template is refused when it loads, at the line of the macro.
fn recursive_macro(text: &str) -> Option<(usize, String)> {
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find("{% macro ").or_else(|| rest.find("{%- macro ")) {
        let start = offset + at;
        let after = &text[start..];
        let name: String =
            after.split("macro ").nth(1)?.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let end = after.find("endmacro").unwrap_or(after.len());
        if after[..end].contains(&format!("::{name}(")) {
            return Some((text[..start].matches('\n').count() + 1, name));
        }
        offset = start + end.max(1);
        rest = &text[offset..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_document_in_an_override_folder_stops_at_load_and_embedded_ones_parse_when_needed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/scan.md.tera"), "# Scan\n{% if %}\n").unwrap();
        let err = Templates::with_overrides(dir.path()).err().expect("refused at load").to_string();
        assert!(err.starts_with("template docs/scan.md.tera: "), "{err}");

        let templates = Templates::embedded().unwrap();
        assert!(templates.docs.get().is_none(), "no document parsed before one is rendered");
        let err = templates.render("docs/scan.md.tera", &serde_json::json!({})).unwrap_err().to_string();
        assert!(err.starts_with("template docs/scan.md.tera: "), "a missing context is still named: {err}");
        assert!(matches!(templates.docs.get(), Some(Ok(_))));
    }

    #[test]
    fn a_template_cannot_read_the_environment() {
        std::env::set_var("WSUSFIX_TEST_SECRET", "hunter2");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("probe.cmd.tera"), "echo {{ get_env(name=\"WSUSFIX_TEST_SECRET\") }}\n")
            .unwrap();
        let templates = Templates::with_overrides(dir.path()).unwrap();
        let err = templates.render("probe.cmd.tera", &serde_json::json!({})).unwrap_err().to_string();
        assert!(err.contains("get_env is not available") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn a_runaway_loop_stops_at_the_bound_and_a_recursive_macro_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("probe.cmd.tera"),
            "{% for i in range(end=100000000) %}{{ i }} 0123456789012345678901234567890123456789{% endfor %}\n",
        )
        .unwrap();
        let templates = Templates::with_overrides(dir.path()).unwrap();
        let started = std::time::Instant::now();
        let err = templates.render("probe.cmd.tera", &serde_json::json!({})).unwrap_err().to_string();
        assert!(err.contains("more than the 67108864 bytes"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(60));

        std::fs::write(
            dir.path().join("probe.cmd.tera"),
            "echo\n{% macro down(n) %}{{ self::down(n=n) }}{% endmacro down %}\n",
        )
        .unwrap();
        let err = Templates::with_overrides(dir.path()).err().expect("refused").to_string();
        assert!(err.contains("probe.cmd.tera:2") && err.contains("`down` calls itself"), "{err}");
    }

    #[test]
    fn a_broken_override_names_the_template_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("probe.cmd.tera"), "echo one\necho {{ oops \n").unwrap();
        let err = Templates::with_overrides(dir.path()).err().expect("broken template refused").to_string();
        assert!(err.starts_with("template probe.cmd.tera:"), "{err}");
        assert!(err.contains("--> 3:1"), "line of the error missing: {err}");
    }
}
