//! Helpers shared by the integration tests of wsusfix-core.

use std::path::Path;

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
