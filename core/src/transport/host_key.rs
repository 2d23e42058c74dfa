//! Host keys as SSH sends them (the wire-format blob), their OpenSSH `SHA256:` fingerprints,
//! and the base64 that known_hosts files and fingerprints are written in.

use sha2::{Digest, Sha256};

/// A public host key: the SSH wire-format blob (`string key-type, ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKey {
    blob: Vec<u8>,
}

impl HostKey {
    /// Wraps a wire-format key blob.
    pub fn from_blob(blob: impl Into<Vec<u8>>) -> Self {
        HostKey { blob: blob.into() }
    }

    /// Reads the base64 key field of a known_hosts or `.pub` line.
    pub fn from_base64(text: &str) -> Option<Self> {
        base64_decode(text).map(HostKey::from_blob)
    }

    /// The raw blob.
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The key type named inside the blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`).
    pub fn key_type(&self) -> Option<&str> {
        std::str::from_utf8(WireReader(&self.blob).string()?).ok()
    }

    /// The OpenSSH fingerprint, `SHA256:` and unpadded base64.
    pub fn fingerprint(&self) -> String {
        fingerprint_sha256(&self.blob)
    }

    /// The blob in base64, as known_hosts files hold it.
    pub fn to_base64(&self) -> String {
        base64_encode(&self.blob, true)
    }
}

/// The OpenSSH fingerprint of a key blob: `SHA256:` followed by unpadded base64.
pub fn fingerprint_sha256(blob: &[u8]) -> String {
    format!("SHA256:{}", base64_encode(&Sha256::digest(blob), false))
}

/// Reads SSH wire-format fields (RFC 4251) from the front of a buffer: `uint32`, and `string`
/// as a length and that many bytes; `None` past the end.
pub(crate) struct WireReader<'a>(pub &'a [u8]);

impl<'a> WireReader<'a> {
    pub fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    pub fn string(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        let (field, rest) = (self.0.get(..len)?, self.0.get(len..)?);
        self.0 = rest;
        Some(field)
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64, with or without `=` padding.
pub(crate) fn base64_encode(bytes: &[u8], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        let sextets = chunk.len() + 1;
        for i in 0..4 {
            if i < sextets {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with optional padding; `None` on any other character.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = acc << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xff) as u8);
        }
    }
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // `ssh-keygen -lf` of this key prints
    // 256 SHA256:jRR1p9gdR45Mcxp6dqSuzF3SA241b3XvFSWXpN0Hkco wsusfix-test (ED25519)
    const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIEx7sVzz4u0Ess6ufNx9Ma8+JLzP/iTrnf7u0QHzpsrm";
    const ED25519_FP: &str = "SHA256:jRR1p9gdR45Mcxp6dqSuzF3SA241b3XvFSWXpN0Hkco";

    #[test]
    fn fingerprint_matches_ssh_keygen() {
        let key = HostKey::from_base64(ED25519).expect("valid base64");
        assert_eq!(key.key_type(), Some("ssh-ed25519"));
        assert_eq!(key.fingerprint(), ED25519_FP);
        assert_eq!(key.to_base64(), ED25519);
    }

    #[test]
    fn base64_round_trips_every_length() {
        for len in 0..10u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37).wrapping_add(200)).collect();
            let padded = base64_encode(&bytes, true);
            assert_eq!(padded.len() % 4, 0);
            assert_eq!(base64_decode(&padded), Some(bytes.clone()));
            assert_eq!(base64_decode(&base64_encode(&bytes, false)), Some(bytes));
        }
        assert_eq!(base64_encode(b"foobar", true), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo", true), "Zm8=");
        assert_eq!(base64_decode("Zm9v!"), None);
        assert_eq!(HostKey::from_blob(vec![0, 0]).key_type(), None);
    }
}
