//! What a JSON document wsusfix writes says about itself: the version of its shape, the tool
//! and version that wrote it, when, and (for what came from an inventory) which inventory,
//! by path and SHA-256. Readers take documents without it, written before it existed.

use serde::{Deserialize, Serialize};

use crate::time::UtcTime;

/// The header of a JSON document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct About {
    /// The version of this kind of document's shape (see each kind's constant).
    pub format_version: u32,
    /// `wsusfix 0.1.0`.
    pub tool: String,
    pub written_at: UtcTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<InventoryRef>,
}

/// An inventory, named exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryRef {
    pub path: String,
    pub sha256: String,
}

impl About {
    /// A header for a document of `format_version`, written now by this build.
    pub fn now(format_version: u32, inventory: Option<InventoryRef>) -> About {
        About { format_version, tool: tool(), written_at: UtcTime::now(), inventory }
    }
}

/// This build's name and version: `wsusfix 0.1.0`.
pub fn tool() -> String {
    format!("wsusfix {}", env!("CARGO_PKG_VERSION"))
}

impl crate::inventory::Inventory {
    /// This inventory, named exactly.
    pub fn named(&self) -> InventoryRef {
        InventoryRef { path: self.source.clone(), sha256: self.sha256.clone() }
    }
}
