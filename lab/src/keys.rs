//! Ed25519 keys for the lab: one master seed (random, or fixed for reproducible runs) from
//! which every host key and the client key are derived with SHA-256, so a thousand keys cost
//! a thousand hashes and a restarted lab with the same seed presents the same keys.

use std::net::SocketAddr;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::LineEnding;
use russh::keys::{PrivateKey, PublicKey};

use crate::LabError;

/// The seed every lab key derives from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MasterSeed(pub [u8; 32]);

impl std::fmt::Debug for MasterSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterSeed(..)")
    }
}

impl MasterSeed {
    /// A fresh random seed from the operating system.
    pub fn random() -> Result<MasterSeed, LabError> {
        let mut seed = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
            .map_err(|_| LabError::Keys("the operating system's random generator failed".into()))?;
        Ok(MasterSeed(seed))
    }

    /// A reproducible seed from a number (tests, benchmarks).
    pub fn from_number(n: u64) -> MasterSeed {
        MasterSeed(digest(&[b"wsusfix-lab seed", &n.to_le_bytes()]))
    }

    /// The hex form stored in a state directory.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses [`MasterSeed::to_hex`].
    pub fn from_hex(text: &str) -> Option<MasterSeed> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(MasterSeed(bytes.try_into().ok()?))
    }

    /// The key for a purpose (`client`, `host:NAME`, `alternate:NAME`).
    pub fn key(&self, label: &str) -> PrivateKey {
        let seed = digest(&[&self.0, label.as_bytes()]);
        PrivateKey::from(Ed25519Keypair::from_seed(&seed))
    }

    /// A number for seeding noise generators.
    pub fn number(&self, label: &str) -> u64 {
        let d = digest(&[&self.0, b"number:", label.as_bytes()]);
        u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The private key in OpenSSH format (`-----BEGIN OPENSSH PRIVATE KEY-----`).
pub fn private_openssh(key: &PrivateKey) -> Result<String, LabError> {
    key.to_openssh(LineEnding::LF)
        .map(|s| s.to_string())
        .map_err(|e| LabError::Keys(format!("cannot encode a private key: {e}")))
}

/// The public key as one `authorized_keys`/`.pub` line without comment.
pub fn public_openssh(key: &PublicKey) -> Result<String, LabError> {
    key.to_openssh().map_err(|e| LabError::Keys(format!("cannot encode a public key: {e}")))
}

/// A `known_hosts` line: `[127.0.0.1]:2201 ssh-ed25519 AAAA...` (no brackets on port 22).
pub fn known_hosts_line(addr: SocketAddr, key: &PublicKey) -> Result<String, LabError> {
    let host = if addr.port() == 22 { addr.ip().to_string() } else { format!("[{}]:{}", addr.ip(), addr.port()) };
    Ok(format!("{host} {}", public_openssh(key)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deterministic_per_label_and_encode() {
        let seed = MasterSeed::from_number(7);
        let a = seed.key("host:a");
        assert_eq!(a.public_key(), seed.key("host:a").public_key());
        assert_ne!(a.public_key(), seed.key("host:b").public_key());
        assert!(private_openssh(&a).unwrap().starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        let line = known_hosts_line("127.0.0.1:2222".parse().unwrap(), a.public_key()).unwrap();
        assert!(line.starts_with("[127.0.0.1]:2222 ssh-ed25519 AAAA"), "{line}");
        assert_eq!(MasterSeed::from_hex(&seed.to_hex()), Some(seed));
    }
}
