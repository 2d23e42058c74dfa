//! Where Windows records a restart it waits for, as the probe reads it: the Session Manager's
//! `PendingFileRenameOperations` value (`REG_MULTI_SZ`: pairs of source and target, an empty
//! target meaning "delete", a `!` before the target meaning "replace"), the servicing stack's
//! `Component Based Servicing\RebootPending` key (Vista and Server 2008 on: Server 2003 has no
//! servicing stack, so the key is never made there) and Windows Update's `Auto Update\RebootRequired`
//! key. A profile sets them (`pending_reboot:`), an installer answering 3010 leaves the file
//! operation, and a scheduled restart that falls due on the host clock clears all three.

use serde::{Deserialize, Serialize};

use super::{HostState, Os, RegData};

pub const SESSION_MANAGER_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager";
pub const PENDING_RENAMES_VALUE: &str = "PendingFileRenameOperations";
pub const SERVICING_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
pub const WINDOWS_UPDATE_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";

/// One record of a pending restart, as a profile names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PendingReboot {
    /// A file operation left for the next boot.
    FileRenames,
    /// The servicing stack's key (ignored on Server 2003, which has none).
    Servicing,
    /// Windows Update's key.
    WindowsUpdate,
}

impl HostState {
    /// Records a pending restart where Windows would.
    pub fn set_pending_reboot(&mut self, record: PendingReboot) {
        match record {
            PendingReboot::FileRenames => {
                let temp = format!("{}\\Temp\\wsusfix-lab.tmp", self.windir());
                self.add_file_rename(&format!("\\??\\{temp}"), "");
            }
            PendingReboot::Servicing if self.os == Os::W2003 => {}
            PendingReboot::Servicing => self.registry.create_key(SERVICING_KEY),
            PendingReboot::WindowsUpdate => self.registry.create_key(WINDOWS_UPDATE_KEY),
        }
    }

    /// Appends a `source`, `target` pair to `PendingFileRenameOperations` (an empty target
    /// deletes the source at boot).
    pub fn add_file_rename(&mut self, source: &str, target: &str) {
        let mut items = match self.registry.value(SESSION_MANAGER_KEY, PENDING_RENAMES_VALUE).map(|v| &v.data) {
            Some(RegData::MultiSz(items)) => items.clone(),
            _ => Vec::new(),
        };
        items.push(source.to_string());
        items.push(target.to_string());
        self.registry.set(SESSION_MANAGER_KEY, PENDING_RENAMES_VALUE, RegData::MultiSz(items));
    }

    /// Whether any record says a restart is pending.
    pub fn reboot_pending(&self) -> bool {
        self.registry.value(SESSION_MANAGER_KEY, PENDING_RENAMES_VALUE).is_some()
            || self.registry.key_exists(SERVICING_KEY)
            || self.registry.key_exists(WINDOWS_UPDATE_KEY)
    }

    /// A scheduled restart that fell due has happened: the file operations are done and the
    /// servicing and Windows Update records are gone. The lab never goes down; this is what a
    /// restart leaves.
    pub fn settle_restart(&mut self) {
        let now = self.clock;
        let Some(restart) = self.shutdowns.iter_mut().rev().find(|s| s.restart && !s.aborted && !s.happened) else {
            return;
        };
        if restart.due() > now {
            return;
        }
        restart.happened = true;
        self.registry.delete_value(SESSION_MANAGER_KEY, PENDING_RENAMES_VALUE);
        self.registry.delete_tree(SERVICING_KEY);
        self.registry.delete_tree(WINDOWS_UPDATE_KEY);
    }
}
