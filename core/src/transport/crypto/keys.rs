//! The keys of the built-in provider (see [`super`]) and what is done with them, in safe Rust:
//! X25519 (key agreement), Ed25519 (signatures) and ML-KEM-768 (key encapsulation). A key holds
//! what OpenSSL's own key object holds, in the same raw formats, and is checked at least as
//! strictly: an X25519 agreement that comes out all zeros fails, an Ed25519 signature is
//! checked by the strict rules (canonical encodings, no small-order points), and an ML-KEM
//! private key must pass the checks OpenSSL makes on one it imports (FIPS 203's hash check, a
//! sound public key inside it, every coefficient of its secret reduced) to be imported at all.
//! libcrux's key types do not wipe themselves: the copies made for them are wiped here.

use std::sync::OnceLock;

use curve25519_dalek::montgomery::MontgomeryPoint;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768PrivateKey, MlKem768PublicKey};
use zeroize::Zeroizing;

/// The algorithms the provider implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    X25519,
    Ed25519,
    MlKem768,
}

/// An ML-KEM-768 private key in FIPS 203's format: the decryption key (1,152 bytes), the
/// public key, its SHA3-256 hash, and the implicit-rejection secret.
pub(super) const ML_KEM_768_PRIVATE: usize = 2400;
pub(super) const ML_KEM_768_PUBLIC: usize = 1184;
pub(super) const ML_KEM_768_CIPHERTEXT: usize = 1088;
/// Where the public key sits inside an ML-KEM-768 private key.
const ML_KEM_768_PUBLIC_AT: usize = 1152;
/// The length of a shared secret, of every algorithm here.
pub(super) const SECRET: usize = 32;
pub(super) const ED25519_SIGNATURE: usize = 64;

impl Kind {
    pub(super) fn private_len(self) -> usize {
        match self {
            Kind::X25519 | Kind::Ed25519 => 32,
            Kind::MlKem768 => ML_KEM_768_PRIVATE,
        }
    }

    pub(super) fn public_len(self) -> usize {
        match self {
            Kind::X25519 | Kind::Ed25519 => 32,
            Kind::MlKem768 => ML_KEM_768_PUBLIC,
        }
    }

    /// The figures OpenSSL reports for its own keys of this kind (`EVP_PKEY_get_bits` and
    /// friends).
    pub(super) fn bits(self) -> i32 {
        match self {
            Kind::X25519 => 253,
            Kind::Ed25519 => 256,
            Kind::MlKem768 => 768,
        }
    }

    pub(super) fn security_bits(self) -> i32 {
        match self {
            Kind::X25519 | Kind::Ed25519 => 128,
            Kind::MlKem768 => 192,
        }
    }

    pub(super) fn security_category(self) -> i32 {
        match self {
            Kind::X25519 | Kind::Ed25519 => 0,
            Kind::MlKem768 => 3,
        }
    }

    /// The largest output of one operation: a shared secret, a signature, a ciphertext.
    pub(super) fn max_size(self) -> i32 {
        match self {
            Kind::X25519 => SECRET as i32,
            Kind::Ed25519 => ED25519_SIGNATURE as i32,
            Kind::MlKem768 => ML_KEM_768_CIPHERTEXT as i32,
        }
    }
}

/// A key: its private half if it has one, and its public half, derived from the private one
/// only when asked (libssh2 imports an X25519 private key only to agree on a secret). Every
/// key was checked when it was made (see [`Key::from_parts`]): an ML-KEM private half passed
/// OpenSSL's import checks, an Ed25519 public half is a point on the curve.
pub(super) struct Key {
    kind: Kind,
    private: Option<Zeroizing<Vec<u8>>>,
    public: OnceLock<Vec<u8>>,
    /// An Ed25519 public half, decoded once for the signatures it checks.
    verifying: OnceLock<VerifyingKey>,
}

impl Key {
    /// A key object with nothing in it yet, as OpenSSL creates one before importing into it.
    pub(super) fn empty(kind: Kind) -> Key {
        Key { kind, private: None, public: OnceLock::new(), verifying: OnceLock::new() }
    }

    /// A new key pair from OpenSSL's random generator; `None` if it has no randomness to give.
    pub(super) fn generate(kind: Kind) -> Option<Key> {
        match kind {
            Kind::X25519 | Kind::Ed25519 => {
                let mut private = Zeroizing::new(vec![0u8; 32]);
                random(&mut private)?;
                Some(Key { private: Some(private), ..Key::empty(kind) })
            }
            Kind::MlKem768 => {
                let mut seed = Zeroizing::new([0u8; 64]);
                random(&mut *seed)?;
                let (private, public) = mlkem768::generate_key_pair(*seed).into_parts();
                let private = Zeroizing::new(<[u8; ML_KEM_768_PRIVATE]>::from(private));
                let public = OnceLock::from(public.as_slice().to_vec());
                Some(Key { private: Some(Zeroizing::new(private.to_vec())), public, ..Key::empty(kind) })
            }
        }
    }

    /// A key from its raw halves, either or both: each of the exact length, a public key that is
    /// one, and both halves of the same pair when both are given.
    pub(super) fn from_parts(kind: Kind, private: Option<&[u8]>, public: Option<&[u8]>) -> Option<Key> {
        if private.is_some_and(|p| p.len() != kind.private_len())
            || public.is_some_and(|p| p.len() != kind.public_len())
        {
            return None;
        }
        let key = Key {
            private: private.map(|p| Zeroizing::new(p.to_vec())),
            public: public.map(|p| OnceLock::from(p.to_vec())).unwrap_or_default(),
            ..Key::empty(kind)
        };
        let sound = match (private, public) {
            (None, None) => false,
            (Some(_), Some(given)) => key.private_is_sound() && key.derive_public().is_some_and(|d| d == given),
            (None, Some(_)) => key.public_is_sound(),
            (Some(_), None) => key.private_is_sound(),
        };
        sound.then_some(key)
    }

    /// Whether the public half is one: any 32 bytes for X25519 (as RFC 7748 has it), a point
    /// on the curve for Ed25519 (kept, decoded, for the checks to come), FIPS 203's modulus
    /// check for ML-KEM.
    fn public_is_sound(&self) -> bool {
        let Some(public) = self.public() else { return false };
        match self.kind {
            Kind::X25519 => public.len() == 32,
            Kind::Ed25519 => self.verifying_key().is_some(),
            Kind::MlKem768 => ml_kem_public_is_sound(public),
        }
    }

    /// Whether the private half is one: any 32 bytes for X25519 and Ed25519; for ML-KEM, one
    /// whose public part still matches the hash recorded beside it (FIPS 203's check), is itself
    /// a sound public key, and whose secret vector is reduced: what OpenSSL checks on import.
    fn private_is_sound(&self) -> bool {
        match (self.kind, self.private()) {
            (_, None) => false,
            (Kind::MlKem768, Some(p)) => <&[u8; ML_KEM_768_PRIVATE]>::try_from(p).is_ok_and(|p| {
                let ciphertext = MlKem768Ciphertext::from([0u8; ML_KEM_768_CIPHERTEXT]);
                // libcrux's check reads the key only; the ciphertext is there for its type.
                let hash_matches = with_ml_kem_private(p, |k| mlkem768::validate_private_key(k, &ciphertext));
                hash_matches
                    && ml_kem_public_is_sound(&p[ML_KEM_768_PUBLIC_AT..ML_KEM_768_PUBLIC_AT + ML_KEM_768_PUBLIC])
                    && secret_vector_is_reduced(&p[..ML_KEM_768_PUBLIC_AT])
            }),
            (_, Some(_)) => true,
        }
    }

    pub(super) fn kind(&self) -> Kind {
        self.kind
    }

    pub(super) fn private(&self) -> Option<&[u8]> {
        self.private.as_deref().map(Vec::as_slice)
    }

    /// The public half, derived from the private one on first use.
    pub(super) fn public(&self) -> Option<&[u8]> {
        cached(&self.public, || self.derive_public()).map(Vec::as_slice)
    }

    pub(super) fn has_public(&self) -> bool {
        self.public.get().is_some() || self.private.is_some()
    }

    fn derive_public(&self) -> Option<Vec<u8>> {
        let private = self.private()?;
        match self.kind {
            Kind::X25519 => Some(MontgomeryPoint::mul_base_clamped(private.try_into().ok()?).to_bytes().to_vec()),
            Kind::Ed25519 => Some(SigningKey::from_bytes(private.try_into().ok()?).verifying_key().to_bytes().to_vec()),
            Kind::MlKem768 => {
                private.get(ML_KEM_768_PUBLIC_AT..ML_KEM_768_PUBLIC_AT + ML_KEM_768_PUBLIC).map(<[u8]>::to_vec)
            }
        }
    }

    /// The X25519 secret agreed with `peer`; `None` if it is all zeros (the peer's point was of
    /// small order), as OpenSSL refuses it.
    pub(super) fn agree(&self, peer: &Key) -> Option<Zeroizing<[u8; SECRET]>> {
        if self.kind != Kind::X25519 || peer.kind != Kind::X25519 {
            return None;
        }
        let private = Zeroizing::new(<[u8; 32]>::try_from(self.private()?).ok()?);
        let point = MontgomeryPoint(peer.public()?.try_into().ok()?);
        let shared = Zeroizing::new(point.mul_clamped(*private).to_bytes());
        let contributory = shared.iter().fold(0u8, |acc, b| acc | b) != 0;
        contributory.then_some(shared)
    }

    /// An Ed25519 signature of `message`.
    pub(super) fn sign(&self, message: &[u8]) -> Option<[u8; ED25519_SIGNATURE]> {
        if self.kind != Kind::Ed25519 {
            return None;
        }
        let signing = SigningKey::from_bytes(self.private()?.try_into().ok()?);
        Some(signing.sign(message).to_bytes())
    }

    /// Whether `signature` is this Ed25519 key's signature of `message`, by the strict rules.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Some(key) = self.verifying_key() else { return false };
        let Ok(signature) = <[u8; ED25519_SIGNATURE]>::try_from(signature) else { return false };
        key.verify_strict(message, &Signature::from_bytes(&signature)).is_ok()
    }

    fn verifying_key(&self) -> Option<&VerifyingKey> {
        if self.kind != Kind::Ed25519 {
            return None;
        }
        cached(&self.verifying, || VerifyingKey::from_bytes(self.public()?.try_into().ok()?).ok())
    }

    /// A new ML-KEM-768 ciphertext to this public key, and the secret it carries.
    pub(super) fn encapsulate(&self) -> Option<(Vec<u8>, Zeroizing<[u8; SECRET]>)> {
        if self.kind != Kind::MlKem768 {
            return None;
        }
        let public = MlKem768PublicKey::from(<[u8; ML_KEM_768_PUBLIC]>::try_from(self.public()?).ok()?);
        if !mlkem768::validate_public_key(&public) {
            return None;
        }
        let mut randomness = Zeroizing::new([0u8; SECRET]);
        random(&mut *randomness)?;
        let (ciphertext, secret) = mlkem768::encapsulate(&public, *randomness);
        Some((ciphertext.as_slice().to_vec(), Zeroizing::new(secret)))
    }

    /// The secret an ML-KEM-768 ciphertext carries (the private half passed its hash check
    /// when the key was made).
    pub(super) fn decapsulate(&self, ciphertext: &[u8]) -> Option<Zeroizing<[u8; SECRET]>> {
        if self.kind != Kind::MlKem768 {
            return None;
        }
        let ciphertext = MlKem768Ciphertext::from(<[u8; ML_KEM_768_CIPHERTEXT]>::try_from(ciphertext).ok()?);
        let private = <&[u8; ML_KEM_768_PRIVATE]>::try_from(self.private()?).ok()?;
        Some(Zeroizing::new(with_ml_kem_private(private, |k| mlkem768::decapsulate(k, &ciphertext))))
    }

    /// Whether the key's parts are sound, as asked (OpenSSL's `EVP_PKEY_check` and friends).
    pub(super) fn is_valid(&self, private: bool, public: bool) -> bool {
        (!public || self.public_is_sound()) && (!private || self.private_is_sound())
    }
}

/// The value in `cell`, made by `make` on first use; `None`, and nothing kept, if it cannot be.
fn cached<T>(cell: &OnceLock<T>, make: impl FnOnce() -> Option<T>) -> Option<&T> {
    if let Some(value) = cell.get() {
        return Some(value);
    }
    let value = make()?;
    Some(cell.get_or_init(|| value))
}

/// Whether `public` is an ML-KEM-768 public key: of its length, every coefficient reduced
/// (FIPS 203's check on an encapsulation key).
fn ml_kem_public_is_sound(public: &[u8]) -> bool {
    <[u8; ML_KEM_768_PUBLIC]>::try_from(public)
        .is_ok_and(|p| mlkem768::validate_public_key(&MlKem768PublicKey::from(p)))
}

/// Runs `f` on a copy of `private` in libcrux's key type, and wipes the copy afterwards (the
/// type does not wipe itself).
fn with_ml_kem_private<T>(private: &[u8; ML_KEM_768_PRIVATE], f: impl FnOnce(&MlKem768PrivateKey) -> T) -> T {
    let key = MlKem768PrivateKey::from(private);
    let result = f(&key);
    drop(Zeroizing::new(<[u8; ML_KEM_768_PRIVATE]>::from(key)));
    result
}

/// Whether every 12-bit coefficient of an ML-KEM secret vector, as FIPS 203 encodes it, is
/// below q = 3329, as OpenSSL requires of a private key it imports. Without a branch on the
/// secret's values: the bytes are secret.
fn secret_vector_is_reduced(encoded: &[u8]) -> bool {
    const Q: u16 = 3329;
    let mut over = 0u16;
    for c in encoded.chunks_exact(3) {
        let (b0, b1, b2) = (u16::from(c[0]), u16::from(c[1]), u16::from(c[2]));
        let (d1, d2) = (b0 | ((b1 & 0x0f) << 8), (b1 >> 4) | (b2 << 4));
        // (Q - 1) - d borrows, setting the top bit, exactly when d >= Q (d < 4096).
        over |= ((Q - 1).wrapping_sub(d1) | (Q - 1).wrapping_sub(d2)) & 0x8000;
    }
    encoded.len() % 3 == 0 && over == 0
}

/// Fills `bytes` from OpenSSL's private random generator, the one its own key generation uses.
fn random(bytes: &mut [u8]) -> Option<()> {
    let len = std::ffi::c_int::try_from(bytes.len()).ok()?;
    // SAFETY: `bytes` is a writable buffer of exactly `len` bytes.
    let ok = unsafe { openssl_sys::RAND_priv_bytes(bytes.as_mut_ptr(), len) };
    (ok == 1).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> Vec<u8> {
        hex::decode(s).expect("test vector")
    }

    #[test]
    fn x25519_agrees_as_rfc_7748_section_6_1() {
        let alice = Key::from_parts(
            Kind::X25519,
            Some(&hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")),
            None,
        )
        .expect("Alice's key");
        let bob = Key::from_parts(
            Kind::X25519,
            None,
            Some(&hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")),
        )
        .expect("Bob's public key");
        assert_eq!(
            alice.public().map(hex::encode).as_deref(),
            Some("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        );
        let shared = alice.agree(&bob).expect("a shared secret");
        assert_eq!(hex::encode(*shared), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    }

    #[test]
    fn an_x25519_agreement_with_a_small_order_point_is_refused() {
        let ours = Key::generate(Kind::X25519).expect("a key");
        let zero = Key::from_parts(Kind::X25519, None, Some(&[0u8; 32])).expect("any 32 bytes are a point");
        assert!(ours.agree(&zero).is_none());
    }

    #[test]
    fn ed25519_signs_and_verifies_as_rfc_8032_test_1() {
        let key = Key::from_parts(
            Kind::Ed25519,
            Some(&hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")),
            Some(&hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")),
        )
        .expect("the RFC's key");
        let signature = key.sign(b"").expect("a signature");
        assert_eq!(
            hex::encode(signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(key.verify(b"", &signature));
        assert!(!key.verify(b"x", &signature), "another message");
        let mut forged = signature;
        forged[63] ^= 0x10;
        assert!(!key.verify(b"", &forged), "a changed signature");
        assert!(!key.verify(b"", &signature[..63]), "a short signature");
    }

    #[test]
    fn halves_of_two_different_pairs_are_not_a_key() {
        let one = Key::generate(Kind::Ed25519).expect("a key");
        let other = Key::generate(Kind::Ed25519).expect("a key");
        assert!(Key::from_parts(Kind::Ed25519, one.private(), other.public()).is_none());
        assert!(Key::from_parts(Kind::Ed25519, one.private(), one.public()).is_some());
        assert!(Key::from_parts(Kind::X25519, Some(&[1u8; 31]), None).is_none(), "a short key");
    }

    #[test]
    fn ml_kem_768_round_trips_and_a_damaged_private_key_is_refused() {
        let key = Key::generate(Kind::MlKem768).expect("a key");
        assert_eq!(key.private().map(<[u8]>::len), Some(ML_KEM_768_PRIVATE));
        let public = Key::from_parts(Kind::MlKem768, None, key.public()).expect("its public half");
        let (ciphertext, sent) = public.encapsulate().expect("a ciphertext");
        assert_eq!(ciphertext.len(), ML_KEM_768_CIPHERTEXT);
        let imported = Key::from_parts(Kind::MlKem768, key.private(), None).expect("the private half");
        assert_eq!(imported.decapsulate(&ciphertext).as_deref(), Some(&*sent));

        // A private key whose public part no longer matches its recorded hash.
        let mut damaged = key.private().expect("private").to_vec();
        damaged[ML_KEM_768_PUBLIC_AT + 10] ^= 1;
        assert!(Key::from_parts(Kind::MlKem768, Some(&damaged), None).is_none());
        let unchecked = Key { private: Some(Zeroizing::new(damaged)), ..Key::empty(Kind::MlKem768) };
        assert!(!unchecked.is_valid(true, false));
        assert!(imported.decapsulate(&ciphertext[1..]).is_none(), "a short ciphertext");

        // A private key whose secret vector holds a coefficient of q or more (OpenSSL refuses
        // it on import; its hash check alone would not see it).
        let mut unreduced = key.private().expect("private").to_vec();
        unreduced[..3].copy_from_slice(&[0xff, 0xff, 0xff]);
        assert!(Key::from_parts(Kind::MlKem768, Some(&unreduced), None).is_none());

        // A private key whose embedded public key is not one, its hash recorded to match.
        let hash_at = ML_KEM_768_PUBLIC_AT + ML_KEM_768_PUBLIC;
        let rehash = |private: &mut Vec<u8>| {
            let hash = sha3_256(&private[ML_KEM_768_PUBLIC_AT..hash_at]);
            private[hash_at..hash_at + 32].copy_from_slice(&hash);
        };
        let mut same = key.private().expect("private").to_vec();
        rehash(&mut same);
        assert_eq!(same, key.private().expect("private"), "the hash is SHA3-256 of the public key");
        let mut unsound = same;
        unsound[ML_KEM_768_PUBLIC_AT..ML_KEM_768_PUBLIC_AT + 3].copy_from_slice(&[0xff, 0xff, 0xff]);
        rehash(&mut unsound);
        assert!(Key::from_parts(Kind::MlKem768, Some(&unsound), None).is_none());
    }

    fn sha3_256(data: &[u8]) -> [u8; 32] {
        let (mut out, mut len) = ([0u8; 32], 0u32);
        // SAFETY: a context made and freed here; `data` and `out` are live buffers of the
        // lengths given (SHA3-256 writes 32 bytes).
        unsafe {
            let ctx = openssl_sys::EVP_MD_CTX_new();
            assert!(!ctx.is_null());
            assert_eq!(openssl_sys::EVP_DigestInit_ex(ctx, openssl_sys::EVP_sha3_256(), std::ptr::null_mut()), 1);
            assert_eq!(openssl_sys::EVP_DigestUpdate(ctx, data.as_ptr().cast(), data.len()), 1);
            assert_eq!(openssl_sys::EVP_DigestFinal_ex(ctx, out.as_mut_ptr(), &mut len), 1);
            openssl_sys::EVP_MD_CTX_free(ctx);
        }
        assert_eq!(len, 32);
        out
    }

    #[test]
    fn a_secret_vector_is_reduced_only_if_every_coefficient_is_below_q() {
        // Two 12-bit coefficients in three bytes: d1 = b0 | (b1 & 0xf) << 8, d2 = b1 >> 4 | b2 << 4.
        let encode = |d1: u16, d2: u16| [(d1 & 0xff) as u8, ((d1 >> 8) | ((d2 & 0xf) << 4)) as u8, (d2 >> 4) as u8];
        assert!(secret_vector_is_reduced(&[encode(0, 0), encode(3328, 3328)].concat()));
        assert!(!secret_vector_is_reduced(&[encode(0, 0), encode(3329, 0)].concat()));
        assert!(!secret_vector_is_reduced(&[encode(0, 4095), encode(1, 2)].concat()));
        assert!(!secret_vector_is_reduced(&[0u8; 4]), "a length that is not whole coefficients");
    }
}
