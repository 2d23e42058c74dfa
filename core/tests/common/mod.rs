//! Helpers shared by the integration tests of wsusfix-core.
// Each test crate uses some of them.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use wsusfix_core::advisory::Advisory;
use wsusfix_core::connector::{ConnectSettings, SshConnector};

/// Simulated package files under the advisory's names in `dir` (the lab knows them by name).
pub fn write_packages(dir: &Path, advisory: &Advisory) {
    std::fs::create_dir_all(dir).unwrap();
    for name in [&advisory.package.x86, &advisory.package.x64, &advisory.reinstall.x86, &advisory.reinstall.x64] {
        std::fs::write(dir.join(name), format!("MZ simulated package {name}\n")).unwrap();
    }
}

/// How the tests reach a lab: its inventory's keys, strict host keys, the lab's user, and no
/// OpenSSH configuration (whatever the machine's `~/.ssh/config` says).
pub fn lab_connector(connect_timeout: Duration) -> SshConnector {
    SshConnector::new(ConnectSettings {
        connect_timeout: Some(connect_timeout),
        default_user: Some("admin".into()),
        ssh_config: Some(wsusfix_core::ssh_config::Source::None),
        ..ConnectSettings::default()
    })
}

/// Compares `text` with the golden file `path`, or rewrites the file when `WSUSFIX_BLESS` is
/// set (after a deliberate change; review the diff like code).
pub fn check_golden(path: &Path, text: &str) {
    if std::env::var_os("WSUSFIX_BLESS").is_some() {
        std::fs::write(path, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        want == text,
        "{} differs from what was rendered; review and bless with WSUSFIX_BLESS=1.\n--- rendered ---\n{text}",
        path.display()
    );
}
