//! Key files read once per run. libssh2 reads, parses and checks a key file again for every
//! host it authenticates to, derives the key's public half again each time and, for a key with
//! a passphrase, runs the passphrase's deliberately slow key derivation (bcrypt, 16 rounds)
//! again each time: a fleet pays that a thousand times for one file. An Ed25519 key in
//! OpenSSH's format (what `ssh-keygen -t ed25519` writes), without a passphrase or with one
//! (`aes256-ctr` under `bcrypt`, ssh-keygen's default), is read here once, opened once, checked,
//! and each host's authentication request is signed with it in memory. Any other key (RSA,
//! ECDSA, another cipher, an older PEM file) and a passphrase that does not open the key go
//! through libssh2 as before, which reports what is wrong.
//!
//! The key is checked as `ssh` checks it: the format, the key type, the two check numbers, and
//! that the public half recorded in the file is the one the private half derives.

use std::collections::HashMap;
use std::ffi::{c_int, c_uchar, c_void, CString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ed25519_dalek::{Signer, SigningKey};
use libssh2_sys::LIBSSH2_SESSION;
use sha2::Digest;
use ssh2::Session;

use super::host_key::{base64_decode, WireReader};
use crate::files::Stamp;

/// An Ed25519 key read from a file: the signing half, and the public blob the server checks.
pub(crate) struct Ed25519Identity {
    signing: SigningKey,
    public_blob: Vec<u8>,
}

/// By file and by the passphrase tried on it (its SHA-256: the process holds the opened key
/// anyway): what came of reading it.
type Cache = Mutex<HashMap<(PathBuf, Option<[u8; 32]>), (Stamp, Option<Arc<Ed25519Identity>>)>>;

/// The key in `path`, opened with `passphrase` if it has one, read on first use; `None` for a
/// key this module does not handle or a passphrase that does not open it (libssh2 then reads
/// the file, and reports its problems).
pub(crate) fn ed25519_key(path: &Path, passphrase: Option<&str>) -> Option<Arc<Ed25519Identity>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    // A file changed since it was read is read again.
    let stamp = Stamp::of(path)?;
    let slot = (path.to_owned(), passphrase.map(|p| sha2::Sha256::digest(p.as_bytes()).into()));
    // Locked while the file is read and opened: the first hosts of a run all ask at once, and
    // one of them opening the key is what the cache is for (a passphrase's key derivation is
    // made to be slow).
    let mut cache = CACHE.get_or_init(Cache::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some((seen, key)) = cache.get(&slot) {
        if *seen == stamp {
            return key.clone();
        }
    }
    let text = std::fs::read_to_string(path).ok();
    let key = text.and_then(|text| parse_openssh_ed25519(&text, passphrase)).map(Arc::new);
    cache.insert(slot, (stamp, key.clone()));
    key
}

impl Ed25519Identity {
    /// Authenticates `session` as `user` with this key, as `userauth_pubkey_file` would.
    pub(crate) fn authenticate(&self, session: &Session, user: &str) -> Result<(), ssh2::Error> {
        let user = CString::new(user)?;
        let raw = session.raw();
        let raw: *mut LIBSSH2_SESSION = &*raw as *const LIBSSH2_SESSION as *mut LIBSSH2_SESSION;
        let mut this = self as *const Ed25519Identity as *mut c_void;
        // SAFETY: `raw` is the live session, kept locked by the guard above for the call;
        // the strings and the blob outlive the call; `sign` reads `this`, which points to
        // `self`, only during the call.
        let rc = unsafe {
            libssh2_userauth_publickey(
                raw,
                user.as_ptr(),
                self.public_blob.as_ptr(),
                self.public_blob.len(),
                sign,
                &mut this,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(ssh2::Error::from_session_error_raw(raw, rc))
        }
    }
}

type SignCallback = unsafe extern "C" fn(
    session: *mut LIBSSH2_SESSION,
    sig: *mut *mut c_uchar,
    sig_len: *mut libc::size_t,
    data: *const c_uchar,
    data_len: libc::size_t,
    abstract_: *mut *mut c_void,
) -> c_int;

extern "C" {
    // libssh2's public API (libssh2.h); libssh2-sys does not bind it.
    fn libssh2_userauth_publickey(
        session: *mut LIBSSH2_SESSION,
        username: *const std::ffi::c_char,
        pubkeydata: *const c_uchar,
        pubkeydata_len: libc::size_t,
        sign_callback: SignCallback,
        abstract_: *mut *mut c_void,
    ) -> c_int;
}

/// libssh2's signing callback: the raw 64-byte Ed25519 signature of `data`, in memory from
/// `malloc` (libssh2 frees it with `free`, its default allocator, which `ssh2` keeps).
unsafe extern "C" fn sign(
    _session: *mut LIBSSH2_SESSION,
    sig: *mut *mut c_uchar,
    sig_len: *mut libc::size_t,
    data: *const c_uchar,
    data_len: libc::size_t,
    abstract_: *mut *mut c_void,
) -> c_int {
    if sig.is_null() || sig_len.is_null() || data.is_null() || abstract_.is_null() || (*abstract_).is_null() {
        return -1;
    }
    // SAFETY: `abstract_` is the pointer `authenticate` passed, to a live identity; `data` is
    // libssh2's buffer of `data_len` bytes.
    let identity = &*(*abstract_ as *const Ed25519Identity);
    let message = std::slice::from_raw_parts(data, data_len);
    let signature = match std::panic::catch_unwind(|| identity.signing.sign(message).to_bytes()) {
        Ok(bytes) => bytes,
        Err(_) => return -1,
    };
    let out = libc::malloc(signature.len()) as *mut c_uchar;
    if out.is_null() {
        return -1;
    }
    // SAFETY: `out` holds `signature.len()` bytes, just allocated.
    std::ptr::copy_nonoverlapping(signature.as_ptr(), out, signature.len());
    *sig = out;
    *sig_len = signature.len();
    0
}

const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC: &[u8] = b"openssh-key-v1\0";
const KEY_TYPE: &[u8] = b"ssh-ed25519";

/// Reads an `ssh-ed25519` key from OpenSSH's private key format (PROTOCOL.key in OpenSSH's
/// sources), unencrypted or, with its passphrase, `aes256-ctr` under `bcrypt`; `None` for
/// anything else.
fn parse_openssh_ed25519(text: &str, passphrase: Option<&str>) -> Option<Ed25519Identity> {
    let body = text.trim().strip_prefix(BEGIN)?.strip_suffix(END)?;
    let bytes = base64_decode(&body.split_whitespace().collect::<String>())?;
    let mut r = WireReader(bytes.strip_prefix(MAGIC)?);
    let (cipher, kdf, kdf_options, keys) = (r.string()?, r.string()?, r.string()?, r.u32()?);
    if keys != 1 {
        return None;
    }
    let public_blob = r.string()?.to_vec();
    let mut section = r.string()?.to_vec();
    match (cipher, kdf, passphrase) {
        (b"none", b"none", _) => {}
        (b"aes256-ctr", b"bcrypt", Some(passphrase)) => decrypt(&mut section, kdf_options, passphrase)?,
        _ => return None,
    }
    let identity = read_private(&section, public_blob);
    // The opened section holds the private key: it does not outlive the reading.
    section.fill(0);
    std::hint::black_box(&section);
    identity
}

/// The private section's one `ssh-ed25519` key, if it is consistent with `public_blob`.
fn read_private(section: &[u8], public_blob: Vec<u8>) -> Option<Ed25519Identity> {
    let mut private = WireReader(section);
    if private.u32()? != private.u32()? || private.string()? != KEY_TYPE {
        return None;
    }
    let (public, secret) = (private.string()?, private.string()?);
    let seed: [u8; 32] = secret.get(..32)?.try_into().ok()?;
    let signing = SigningKey::from_bytes(&seed);
    let derived = signing.verifying_key().to_bytes();
    let blob = [&(KEY_TYPE.len() as u32).to_be_bytes()[..], KEY_TYPE, &32u32.to_be_bytes(), &derived].concat();
    (secret.len() == 64 && public == derived && secret[32..] == derived && public_blob == blob)
        .then_some(Ed25519Identity { signing, public_blob })
}

/// Opens a private section encrypted as ssh-keygen does by default: AES-256 in counter mode,
/// its key and IV derived from the passphrase by bcrypt_pbkdf with the file's salt and rounds.
/// A wrong passphrase yields garbage, which the check numbers then refuse.
fn decrypt(section: &mut [u8], kdf_options: &[u8], passphrase: &str) -> Option<()> {
    use ctr::cipher::{KeyIvInit, StreamCipher};
    let mut options = WireReader(kdf_options);
    let (salt, rounds) = (options.string()?, options.u32()?);
    let mut key_iv = [0u8; 48];
    bcrypt_pbkdf::bcrypt_pbkdf(passphrase, salt, rounds, &mut key_iv).ok()?;
    let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&key_iv[..32], &key_iv[32..]).ok()?;
    key_iv.fill(0);
    cipher.apply_keystream(section);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier;

    /// Test keys written by `ssh-keygen` (OpenSSH 9.2); they authorize nothing anywhere.
    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys").join(name)
    }

    fn public_blob_of(pub_file: &Path) -> Vec<u8> {
        let line = std::fs::read_to_string(pub_file).expect("read .pub");
        base64_decode(line.split_whitespace().nth(1).expect("key field")).expect("base64")
    }

    #[test]
    fn an_ssh_keygen_ed25519_key_is_read_once_with_its_public_half() {
        let path = fixture("ed25519-ssh-keygen");
        let key = ed25519_key(&path, None).expect("read");
        assert_eq!(key.public_blob, public_blob_of(&fixture("ed25519-ssh-keygen.pub")));
        let signature = key.signing.sign(b"session id and request");
        assert!(key.signing.verifying_key().verify(b"session id and request", &signature).is_ok());
        assert!(Arc::ptr_eq(&key, &ed25519_key(&path, None).expect("cached")), "read once");
    }

    #[test]
    fn the_labs_keys_are_read_too() {
        let key = wsusfix_lab::keys::MasterSeed::from_number(3).key("client");
        let text = wsusfix_lab::keys::private_openssh(&key).expect("encode");
        let line = wsusfix_lab::keys::public_openssh(key.public_key()).expect("encode");
        let parsed = parse_openssh_ed25519(&text, None).expect("parse");
        assert_eq!(Some(parsed.public_blob), base64_decode(line.split_whitespace().nth(1).expect("field")));
    }

    #[test]
    fn anything_else_is_left_to_libssh2() {
        for other in ["ed25519-passphrase", "ecdsa-ssh-keygen", "ed25519-ssh-keygen.pub", "missing"] {
            assert!(ed25519_key(&fixture(other), None).is_none(), "{other}");
        }
        let text = std::fs::read_to_string(fixture("ed25519-ssh-keygen")).expect("read");
        assert!(parse_openssh_ed25519(&text[..text.len() / 2], None).is_none(), "truncated");
        assert!(parse_openssh_ed25519(&text.replace("OPENSSH PRIVATE", "RSA PRIVATE"), None).is_none());
        // A private half whose recorded public key is not the one it derives: refused.
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        let mut bytes = base64_decode(&body).expect("base64");
        let public = public_blob_of(&fixture("ed25519-ssh-keygen.pub"))[19..].to_vec();
        let last = bytes.windows(32).rposition(|w| w == public).expect("the copy inside the private half");
        bytes[last] ^= 1;
        let tampered = format!("{BEGIN}\n{}\n{END}\n", super::super::host_key::base64_encode(&bytes, true));
        assert!(parse_openssh_ed25519(&tampered, None).is_none());
    }

    #[test]
    fn a_key_with_a_passphrase_is_opened_once_with_it_and_not_with_another() {
        let path = fixture("ed25519-passphrase");
        let key = ed25519_key(&path, Some("test passphrase")).expect("opened");
        assert_eq!(key.public_blob, public_blob_of(&fixture("ed25519-passphrase.pub")));
        assert!(Arc::ptr_eq(&key, &ed25519_key(&path, Some("test passphrase")).expect("cached")), "opened once");
        assert!(ed25519_key(&path, Some("not the passphrase")).is_none(), "left to libssh2, which says why");
        assert!(ed25519_key(&path, None).is_none());
        // A passphrase given for a key that has none does not matter, as with ssh.
        assert!(ed25519_key(&fixture("ed25519-ssh-keygen"), Some("test passphrase")).is_some());
    }

    #[test]
    fn a_key_file_rewritten_during_a_run_is_read_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id_ed25519");
        std::fs::copy(fixture("ed25519-ssh-keygen"), &path).expect("copy");
        assert!(ed25519_key(&path, None).is_some());
        std::fs::write(&path, "no longer a key, and of another length").expect("write");
        assert!(ed25519_key(&path, None).is_none());
    }
}
