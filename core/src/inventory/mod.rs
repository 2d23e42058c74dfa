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

mod build;
mod error;
mod load;
mod model;
mod pattern;
mod span;
mod validate;
mod vars;

use std::path::Path;

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
    /// Reads and validates the inventory file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Inventory, InventoryError> {
        let path = path.as_ref();
        let text = crate::files::read_input(path, crate::files::INPUT_LIMIT)
            .map_err(|source| InventoryError::Io { path: path.to_path_buf(), source })?;
        Inventory::parse(&text, &path.display().to_string())
    }

    /// Validates inventory `text`; `source_name` is the file name used in messages.
    pub fn parse(text: &str, source_name: &str) -> Result<Inventory, InventoryError> {
        if let Some(line) = crate::files::flow_too_deep(text, crate::files::MAX_FLOW_DEPTH) {
            return Err(InventoryError::Structure {
                location: Location::new(source_name, Some(line), None),
                message: format!("`[`/`{{` nest more than {} deep here", crate::files::MAX_FLOW_DEPTH),
            });
        }
        let (tree, locator) = load::read(text, source_name)?;
        let mut inventory = build::build(tree, source_name, &locator)?;
        inventory.sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
        Ok(inventory)
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

#[cfg(test)]
mod tests;
