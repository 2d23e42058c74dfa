//! The Tera templates wsusfix renders: remote command scripts and documents.
//!
//! The templates under the repository's `templates/` folder are embedded in the binary; an
//! organisation can replace any of them with its own folder (`--template-dir DIR`), where a
//! file of the same name wins.

use std::path::Path;

use serde::Serialize;

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
#[derive(Debug, thiserror::Error)]
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

/// A set of templates ready to render.
pub struct Templates {
    tera: tera::Tera,
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
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html.tera", ".html"]);
        // A template is text, not a program with access to this machine: the environment
        // (where passwords are named) stays out of every command and document.
        tera.register_function("get_env", |_: &std::collections::HashMap<String, tera::Value>| {
            Err(tera::Error::msg("get_env is not available to wsusfix templates: they see only their context"))
        });
        for (name, text) in EMBEDDED {
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
            tera.add_raw_template(name, text).map_err(|e| TemplateError::from_tera(name, &e))?;
        }
        Ok(Templates { tera })
    }

    /// Renders one template with a serialisable context.
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String, TemplateError> {
        let ctx = tera::Context::from_serialize(context).map_err(|e| TemplateError::from_tera(name, &e))?;
        let text = self.tera.render(name, &ctx).map_err(|e| TemplateError::from_tera(name, &e))?;
        if text.len() > MAX_RENDERED {
            return Err(TemplateError {
                name: name.to_string(),
                message: format!("it rendered {} bytes, more than the {MAX_RENDERED} a template may", text.len()),
            });
        }
        Ok(text)
    }

    /// Renders a command template whose lines are parts of one command line, joined with
    /// `&` (always continue), as cmd.exe chains commands.
    pub fn render_command_line(&self, name: &str, context: &impl Serialize) -> Result<String, TemplateError> {
        let text = self.render(name, context)?;
        Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" & "))
    }
}

/// The most a template may render: documents of thousands of hosts stay far below it.
const MAX_RENDERED: usize = 64 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_broken_override_names_the_template_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("probe.cmd.tera"), "echo one\necho {{ oops \n").unwrap();
        let err = Templates::with_overrides(dir.path()).err().expect("broken template refused").to_string();
        assert!(err.starts_with("template probe.cmd.tera:"), "{err}");
        assert!(err.contains("--> 3:1"), "line of the error missing: {err}");
    }
}
