//! Inventories: which servers to manage, and how to reach each one.
//!
//! An inventory is an Ansible YAML inventory (`all:` with `hosts:`, `children:` and `vars:`,
//! groups nested to any depth), so an existing Ansible inventory just works: `ansible_host`,
//! `ansible_port`, `ansible_user` and `ansible_ssh_private_key_file` are read as `host`,
//! `port`, `user` and `ssh_key_file`. `inventory/example.yaml` documents every variable.
//!
//! Loading checks everything, because inventory values end up on command lines: names,
//! addresses, users and remote paths must be made of a small set of safe characters, and a
//! password or passphrase written in the file is refused (name an environment variable
//! instead). Problems name the file, line and column, and the host or group and variable.
//!
//! ```
//! use wsusfix_core::inventory::Inventory;
//!
//! let text = "
//! all:
//!   vars: { user: 'CORP\\svc-wsus' }
//!   children:
//!     branch_offices:
//!       vars: { port: 2222 }
//!       hosts:
//!         wsus-lyon: { host: 10.20.0.5 }
//! ";
//! let inventory = Inventory::parse(text, "inline.yaml").unwrap();
//! let hosts = inventory.select(Some("branch_*")).unwrap();
//! assert_eq!(hosts[0].endpoint(), "10.20.0.5:2222");
//! assert_eq!(hosts[0].user.as_deref(), Some("CORP\\svc-wsus"));
//! ```

mod assemble;
mod build;
mod error;
mod hostpattern;
mod ini;
mod load;
mod model;
mod pattern;
mod pyliteral;
mod sources;
mod span;
mod tree;
pub(crate) mod validate;
mod vars;
mod varsdir;

use std::path::{Path, PathBuf};

pub use error::{InventoryError, Location, NameKind, PatternError, Scope};
pub use model::{
    EnvVarName, Group, Host, HostVars, Inventory, JumpHost, LabProfile, Sha256Digest, Warning, WindowsPath,
    DEFAULT_PORT,
};

/// Checks a host name as the inventory does (for names that come from elsewhere, like a plan).
pub fn validate_host_name(name: &str) -> Result<(), String> {
    validate::host_name(name)
}

impl Inventory {
    /// Reads and validates the inventory at `path`: a file (YAML or INI) or a folder, with the
    /// `group_vars/` and `host_vars/` beside it.
    pub fn load(path: impl AsRef<Path>) -> Result<Inventory, InventoryError> {
        Inventory::load_all(&[path.as_ref().to_path_buf()])
    }

    /// Reads the inventory made of several sources, as `ansible -i A -i B` does: in order,
    /// the later source winning where two set the same variable at the same level.
    pub fn load_all(paths: &[PathBuf]) -> Result<Inventory, InventoryError> {
        let given: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        assemble::assemble(sources::collect(paths)?, &given.join(", "))
    }

    /// Validates inventory `text` (YAML or INI); `source_name` is the file name used in
    /// messages, and its extension, if any, says the format. No vars folders are read.
    pub fn parse(text: &str, source_name: &str) -> Result<Inventory, InventoryError> {
        let format = sources::detect(source_name, text);
        let text = sources::SourceText { name: source_name.to_string(), text: text.to_string(), format };
        assemble::assemble(sources::Sources { texts: vec![text], vars_roots: Vec::new() }, source_name)
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

#[cfg(test)]
mod tests;
