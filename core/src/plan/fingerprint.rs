//! The facts fingerprint: a hash of exactly the facts that decide a host's plan, so `apply`
//! can tell a host that changed since it was planned. Logs and service states are left out:
//! they move all the time without changing what must be done.

use sha2::{Digest, Sha256};

use crate::facts::{DllState, Facts, WsusInstall};

/// `sha256:` and the first 16 hex digits of the hash of the deciding facts.
pub fn fingerprint(facts: &Facts) -> String {
    let wsus = match &facts.wsus {
        WsusInstall::NotInstalled => "none".to_string(),
        WsusInstall::Unknown => "unknown".to_string(),
        WsusInstall::Installed { install_type, version, target_dir, view } => {
            format!("{install_type:?}|{}|{target_dir:?}|{view:?}", version.map(|v| v.to_string()).unwrap_or_default())
        }
    };
    let dll = match &facts.dll {
        DllState::Present { version, .. } => version.to_string(),
        DllState::Missing => "missing".to_string(),
        DllState::Unknown => "unknown".to_string(),
    };
    let text = format!(
        "os={}|arch={:?}|elevation={:?}|wsus={wsus}|dll={dll}|dir={}",
        facts.os.map(|v| v.to_string()).unwrap_or_default(),
        facts.arch,
        facts.elevation,
        facts.probed_wsus_dir.to_ascii_lowercase()
    );
    let digest = Sha256::digest(text.as_bytes());
    format!("sha256:{}", &hex::encode(digest)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::LogEvidence;

    #[test]
    fn logs_do_not_move_it_the_dll_does() {
        let mut facts = Facts {
            dll: DllState::Present { version: "3.1.6001.65".parse().unwrap(), modified: None },
            ..Facts::default()
        };
        let before = fingerprint(&facts);
        facts.server_log = LogEvidence { log_found: true, matches: 9, ..LogEvidence::default() };
        assert_eq!(fingerprint(&facts), before);
        facts.dll = DllState::Present { version: "3.1.6001.66".parse().unwrap(), modified: None };
        assert_ne!(fingerprint(&facts), before);
        assert!(before.starts_with("sha256:") && before.len() == 23);
    }
}
