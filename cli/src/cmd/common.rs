//! Options several commands share: which advisory definition and templates to use.

use std::path::PathBuf;

use anyhow::Context;
use wsusfix_core::advisory::Advisory;
use wsusfix_core::templates::Templates;

/// Where wsusfix's knowledge comes from.
#[derive(clap::Args, Debug, Clone)]
pub struct KnowledgeArgs {
    /// Use this advisory definition instead of the embedded one (package names, switches,
    /// fixed version, log signatures). `wsusfix advisory` prints the embedded one to start from.
    #[arg(long, value_name = "FILE", global = true)]
    pub advisory: Option<PathBuf>,
    /// Use templates from this folder where a file of the same name exists.
    #[arg(long, value_name = "DIR", global = true)]
    pub template_dir: Option<PathBuf>,
}

impl KnowledgeArgs {
    pub fn advisory(&self) -> anyhow::Result<Advisory> {
        match &self.advisory {
            Some(path) => Advisory::load(path).context("the --advisory file cannot be used"),
            None => Ok(Advisory::embedded()),
        }
    }

    pub fn templates(&self) -> anyhow::Result<Templates> {
        match &self.template_dir {
            Some(dir) => Templates::with_overrides(dir)
                .with_context(|| format!("the templates in {} cannot be used", dir.display())),
            None => Ok(Templates::embedded()?),
        }
    }
}
