//! Whether to trust a host: ask for the key types already recorded for it, then check the
//! key it presents against the known_hosts files, recording it on first use when allowed.

use ssh2::{MethodType, Session};

use super::error::TransportError;
use super::host_key::HostKey;
use super::known_hosts::{append_key, HostKeyCheck, HostRecord};
use super::target::Endpoint;
use super::target::SshOptions;

/// Like OpenSSH, asks first for the key types already recorded for the host, so a host
/// with several keys presents one we can check.
pub(crate) fn prefer_known_key_types(session: &Session, known_types: &[String]) {
    if known_types.is_empty() {
        return;
    }
    let Ok(supported) = session.supported_algs(MethodType::HostKey) else {
        return;
    };
    let mut preferred: Vec<&str> = Vec::new();
    for key_type in known_types {
        let algorithms: &[&str] = match key_type.as_str() {
            "ssh-rsa" => &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
            other => &[other],
        };
        preferred.extend(supported.iter().copied().filter(|s| algorithms.contains(s)));
    }
    let rest: Vec<&str> = supported.iter().copied().filter(|s| !preferred.contains(s)).collect();
    preferred.extend(rest);
    let _ = session.method_pref(MethodType::HostKey, &preferred.join(","));
}

pub(crate) fn verify_host_key(
    ep: &Endpoint<'_>,
    session: &Session,
    record: &HostRecord<'_>,
    known_as: &str,
    options: &SshOptions,
) -> Result<Option<String>, TransportError> {
    let host = ep.host.to_owned();
    let Some((blob, _)) = session.host_key() else {
        let reason = "the server presented no host key".to_owned();
        return Err(TransportError::Handshake { host, address: ep.address.to_owned(), port: ep.port, reason });
    };
    let key = HostKey::from_blob(blob);
    let key_type = key.key_type().unwrap_or("unknown").to_owned();
    let other_types = match record.check(&key) {
        HostKeyCheck::Known => return Ok(None),
        HostKeyCheck::Changed(entry) => {
            return Err(TransportError::HostKeyChanged {
                host,
                expected: entry.key().fingerprint(),
                presented: key.fingerprint(),
                recorded: format!("{known_as} at {}", entry.location()),
            })
        }
        HostKeyCheck::Revoked(entry) => {
            let (fingerprint, recorded_at) = (key.fingerprint(), entry.location());
            return Err(TransportError::HostKeyRevoked {
                host,
                known_as: known_as.to_owned(),
                fingerprint,
                recorded_at,
            });
        }
        HostKeyCheck::Unknown { other_types } => other_types,
    };
    // Trust on first use only for a host with no key at all: a host known by another key
    // type that now offers only a new one is not "new".
    if options.accept_new_host_keys && other_types.is_empty() {
        return match append_key(&options.known_hosts, known_as, &key) {
            Ok(file) => Ok(Some(permanently_added(known_as, &key_type, &file))),
            Err(reason) => {
                let path = options.known_hosts.first().cloned().unwrap_or_default();
                Err(TransportError::KnownHosts { host, path, reason })
            }
        };
    }
    let searched = options
        .known_hosts
        .iter()
        .chain(&options.global_known_hosts)
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>();
    let mut detail = if searched.is_empty() {
        format!("{key_type} key; no known_hosts file given")
    } else {
        format!("{key_type} key; searched {}", searched.join(", "))
    };
    if !other_types.is_empty() {
        let types = other_types.join(", ");
        detail.push_str(&format!("; keys of type {types} are recorded for it, but the server did not offer them"));
    }
    Err(TransportError::HostKeyUnknown { host, known_as: known_as.to_owned(), fingerprint: key.fingerprint(), detail })
}

/// What OpenSSH's client prints when it records a key on first use, naming the file too:
/// `Permanently added '[10.0.0.5]:2222' (ED25519) to the list of known hosts (~/.ssh/known_hosts).`
fn permanently_added(known_as: &str, key_type: &str, file: &std::path::Path) -> String {
    let label = match key_type {
        "ssh-ed25519" => "ED25519".to_owned(),
        "ssh-rsa" => "RSA".to_owned(),
        t if t.starts_with("ecdsa-") => "ECDSA".to_owned(),
        t => t.to_ascii_uppercase(),
    };
    format!("Permanently added '{known_as}' ({label}) to the list of known hosts ({})", file.display())
}
