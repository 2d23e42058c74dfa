//! The built-in provider driven through OpenSSL's EVP interface the way libssh2 drives it, and
//! checked against OpenSSL's own implementations (fetched with `provider=default`) in both
//! directions.

use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};

use openssl_sys::*;

extern "C" {
    fn EVP_PKEY_get0_provider(key: *const EVP_PKEY) -> *const OSSL_PROVIDER;
    fn OSSL_PROVIDER_get0_name(provider: *const OSSL_PROVIDER) -> *const c_char;
    fn EVP_PKEY_CTX_new_from_pkey(
        libctx: *mut OSSL_LIB_CTX,
        key: *mut EVP_PKEY,
        propq: *const c_char,
    ) -> *mut EVP_PKEY_CTX;
}

const OPENSSL: &CStr = c"provider=default";

fn provider_of(key: *mut EVP_PKEY) -> String {
    // SAFETY: a live key; the name is OpenSSL's static string.
    unsafe { CStr::from_ptr(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(key))).to_string_lossy().into_owned() }
}

/// A new key of `name` from the provider `propq` selects (null: the default query).
fn generate(name: &CStr, propq: *const c_char) -> *mut EVP_PKEY {
    super::configure_once();
    // SAFETY: plain EVP calls on objects made here.
    unsafe {
        let ctx = EVP_PKEY_CTX_new_from_name(null_mut(), name.as_ptr(), propq);
        assert!(!ctx.is_null(), "{name:?}");
        let mut key = null_mut();
        assert_eq!(EVP_PKEY_keygen_init(ctx), 1);
        assert_eq!(EVP_PKEY_keygen(ctx, &mut key), 1, "{name:?} key generation");
        EVP_PKEY_CTX_free(ctx);
        key
    }
}

fn raw(key: *mut EVP_PKEY, private: bool) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let mut len = buf.len();
    // SAFETY: a live key and a buffer of `len` bytes.
    let ok = unsafe {
        if private {
            EVP_PKEY_get_raw_private_key(key, buf.as_mut_ptr(), &mut len)
        } else {
            EVP_PKEY_get_raw_public_key(key, buf.as_mut_ptr(), &mut len)
        }
    };
    assert_eq!(ok, 1, "raw key");
    buf.truncate(len);
    buf
}

/// A key of `name` from raw bytes, from the provider `propq` selects.
fn import(name: &CStr, bytes: &[u8], private: bool, propq: *const c_char) -> *mut EVP_PKEY {
    super::configure_once();
    // SAFETY: the bytes are copied by OpenSSL.
    let key = unsafe {
        if private {
            EVP_PKEY_new_raw_private_key_ex(null_mut(), name.as_ptr(), propq, bytes.as_ptr(), bytes.len())
        } else {
            EVP_PKEY_new_raw_public_key_ex(null_mut(), name.as_ptr(), propq, bytes.as_ptr(), bytes.len())
        }
    };
    assert!(!key.is_null(), "{name:?} import");
    key
}

fn agree(private: *mut EVP_PKEY, peer: *mut EVP_PKEY) -> Vec<u8> {
    // SAFETY: EVP calls on live keys, as libssh2's `_libssh2_curve25519_gen_k` makes them.
    unsafe {
        let ctx = EVP_PKEY_CTX_new(private, null_mut());
        assert_eq!(EVP_PKEY_derive_init(ctx), 1);
        assert_eq!(EVP_PKEY_derive_set_peer(ctx, peer), 1);
        let mut len = 0;
        assert_eq!(EVP_PKEY_derive(ctx, null_mut(), &mut len), 1);
        let mut secret = vec![0u8; len];
        assert_eq!(EVP_PKEY_derive(ctx, secret.as_mut_ptr(), &mut len), 1);
        EVP_PKEY_CTX_free(ctx);
        secret
    }
}

#[test]
fn x25519_as_libssh2_runs_it_is_the_builtin_provider_and_agrees_with_openssl() {
    // `_libssh2_curve25519_new`: a key by the legacy id.
    super::configure_once();
    // SAFETY: plain EVP calls.
    let ours = unsafe {
        let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, null_mut());
        let mut key = null_mut();
        assert_eq!(EVP_PKEY_keygen_init(ctx), 1);
        assert_eq!(EVP_PKEY_keygen(ctx, &mut key), 1);
        EVP_PKEY_CTX_free(ctx);
        key
    };
    assert_eq!(provider_of(ours), "wsusfix");
    let (private, public) = (raw(ours, true), raw(ours, false));
    // OpenSSL derives the same public key from the private one.
    assert_eq!(raw(import(c"X25519", &private, true, OPENSSL.as_ptr()), false), public);

    let theirs = generate(c"X25519", OPENSSL.as_ptr());
    assert_eq!(provider_of(theirs), "default");
    // Our side as libssh2 imports it again, and theirs by OpenSSL.
    let ours_again = import(c"X25519", &private, true, null());
    let their_public = import(c"X25519", &raw(theirs, false), false, null());
    assert_eq!(provider_of(ours_again), "wsusfix");
    let our_public_for_them = import(c"X25519", &public, false, OPENSSL.as_ptr());
    assert_eq!(agree(ours_again, their_public), agree(theirs, our_public_for_them));
}

fn sign(key: *mut EVP_PKEY, message: &[u8]) -> Vec<u8> {
    // SAFETY: EVP calls on a live key, as libssh2's `_libssh2_ed25519_sign` makes them.
    unsafe {
        let md = EVP_MD_CTX_new();
        assert_eq!(EVP_DigestSignInit(md, null_mut(), null(), null_mut(), key), 1);
        let mut len = 0;
        assert_eq!(EVP_DigestSign(md, null_mut(), &mut len, message.as_ptr(), message.len()), 1);
        let mut signature = vec![0u8; len];
        assert_eq!(EVP_DigestSign(md, signature.as_mut_ptr(), &mut len, message.as_ptr(), message.len()), 1);
        EVP_MD_CTX_free(md);
        signature
    }
}

fn verify(key: *mut EVP_PKEY, message: &[u8], signature: &[u8]) -> bool {
    // SAFETY: EVP calls on a live key, as libssh2's `_libssh2_ed25519_verify` makes them.
    unsafe {
        let md = EVP_MD_CTX_new();
        assert_eq!(EVP_DigestVerifyInit(md, null_mut(), null(), null_mut(), key), 1);
        let ok = EVP_DigestVerify(md, signature.as_ptr(), signature.len(), message.as_ptr(), message.len());
        EVP_MD_CTX_free(md);
        ok == 1
    }
}

#[test]
fn ed25519_signatures_cross_between_the_builtin_provider_and_openssl() {
    let message = b"an SSH exchange hash".as_slice();
    let theirs = generate(c"ED25519", OPENSSL.as_ptr());
    let their_public = import(c"ED25519", &raw(theirs, false), false, null());
    assert_eq!(provider_of(their_public), "wsusfix");
    let signature = sign(theirs, message);
    assert!(verify(their_public, message, &signature), "OpenSSL's signature, our check");
    let mut forged = signature.clone();
    forged[10] ^= 1;
    assert!(!verify(their_public, message, &forged), "a changed signature passed");
    assert!(!verify(their_public, b"another message", &signature), "another message passed");

    let ours = import(c"ED25519", &raw(theirs, true), true, null());
    assert_eq!(provider_of(ours), "wsusfix");
    let ours_signed = sign(ours, message);
    assert_eq!(ours_signed, signature, "Ed25519 signatures are deterministic");
    assert!(verify(theirs, message, &ours_signed), "our signature, OpenSSL's check");
}

fn encapsulate(public: *mut EVP_PKEY, propq: *const c_char) -> (Vec<u8>, Vec<u8>) {
    // SAFETY: EVP calls on a live key.
    unsafe {
        let ctx = EVP_PKEY_CTX_new_from_pkey(null_mut(), public, propq);
        assert_eq!(EVP_PKEY_encapsulate_init(ctx, null()), 1);
        let (mut ct_len, mut ss_len) = (0, 0);
        assert_eq!(EVP_PKEY_encapsulate(ctx, null_mut(), &mut ct_len, null_mut(), &mut ss_len), 1);
        let (mut ct, mut ss) = (vec![0u8; ct_len], vec![0u8; ss_len]);
        assert_eq!(EVP_PKEY_encapsulate(ctx, ct.as_mut_ptr(), &mut ct_len, ss.as_mut_ptr(), &mut ss_len), 1);
        EVP_PKEY_CTX_free(ctx);
        (ct, ss)
    }
}

fn decapsulate(private: *mut EVP_PKEY, ciphertext: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: EVP calls on a live key, as libssh2's `ssh2_mlkem_get_sk` makes them.
    unsafe {
        let ctx = EVP_PKEY_CTX_new(private, null_mut());
        assert_eq!(EVP_PKEY_decapsulate_init(ctx, null()), 1);
        let mut len = 0;
        assert_eq!(EVP_PKEY_decapsulate(ctx, null_mut(), &mut len, ciphertext.as_ptr(), ciphertext.len()), 1);
        let mut secret = vec![0u8; len];
        let ok = EVP_PKEY_decapsulate(ctx, secret.as_mut_ptr(), &mut len, ciphertext.as_ptr(), ciphertext.len());
        EVP_PKEY_CTX_free(ctx);
        (ok == 1).then_some(secret)
    }
}

#[test]
fn ml_kem_768_as_libssh2_runs_it_interoperates_with_openssl_both_ways() {
    // Our key pair (`ssh2_mlkem_new`), OpenSSL's encapsulation, our decapsulation.
    let ours = generate(c"ML-KEM-768", null());
    assert_eq!(provider_of(ours), "wsusfix");
    let (private, public) = (raw(ours, true), raw(ours, false));
    assert_eq!((private.len(), public.len()), (2400, 1184));
    let (ciphertext, secret) = encapsulate(import(c"ML-KEM-768", &public, false, OPENSSL.as_ptr()), OPENSSL.as_ptr());
    let ours_again = import(c"ML-KEM-768", &private, true, null());
    assert_eq!(decapsulate(ours_again, &ciphertext), Some(secret));

    // OpenSSL's key pair, our encapsulation, OpenSSL's decapsulation.
    let theirs = generate(c"ML-KEM-768", OPENSSL.as_ptr());
    let their_public = import(c"ML-KEM-768", &raw(theirs, false), false, null());
    assert_eq!(provider_of(their_public), "wsusfix");
    let (ciphertext, secret) = encapsulate(their_public, null());
    assert_eq!(decapsulate(theirs, &ciphertext), Some(secret));
}

#[test]
fn an_ml_kem_private_key_that_fails_its_hash_check_is_refused_on_import() {
    let mut private = raw(generate(c"ML-KEM-768", null()), true);
    private[1152 + 7] ^= 1;
    // SAFETY: OpenSSL copies the bytes.
    let key = unsafe {
        EVP_PKEY_new_raw_private_key_ex(null_mut(), c"ML-KEM-768".as_ptr(), null(), private.as_ptr(), private.len())
    };
    assert!(key.is_null(), "a damaged private key was imported");
}

#[test]
fn a_key_made_from_parameters_alone_is_refused_as_openssl_refuses_it() {
    super::configure_once();
    for name in [c"X25519", c"ED25519", c"ML-KEM-768"] {
        for (propq, provider) in [(null(), "the built-in provider"), (OPENSSL.as_ptr(), "OpenSSL")] {
            let mut end = OSSL_PARAM { key: null(), data_type: 0, data: null_mut(), data_size: 0, return_size: 0 };
            // SAFETY: plain EVP calls on a context made and freed here; the parameter list is the
            // empty one, alive for the call.
            let made = unsafe {
                let ctx = EVP_PKEY_CTX_new_from_name(null_mut(), name.as_ptr(), propq);
                assert!(!ctx.is_null(), "{name:?}");
                assert_eq!(EVP_PKEY_fromdata_init(ctx), 1);
                let mut key = null_mut();
                let made = EVP_PKEY_fromdata(ctx, &mut key, EVP_PKEY_KEY_PARAMETERS, &mut end);
                EVP_PKEY_free(key);
                EVP_PKEY_CTX_free(ctx);
                made
            };
            assert_ne!(made, 1, "{name:?} from parameters alone, by {provider}");
        }
    }
}
