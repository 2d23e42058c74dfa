//! The OpenSSL library libssh2 does its cryptography with, set up once per process before the
//! first session.
//!
//! libssh2 asks OpenSSL for every algorithm by name, and OpenSSL takes it from whichever
//! provider offers it. For three of them OpenSSL's own code is portable C: X25519 (derives its
//! public keys with 32-bit Ed25519 arithmetic), Ed25519 (likewise, and a host key is checked
//! on every connection) and ML-KEM-768 (no vector instructions). In a profile of a 1,000-host
//! scan with the default key exchange (`mlkem768x25519-sha256`, Ed25519 host keys) they were
//! 40% of the client's CPU. So wsusfix builds in a provider of its own, `wsusfix`
//! ([`provider`]), that offers these three, implemented by curve25519-dalek, ed25519-dalek and
//! libcrux-ml-kem (formally verified; AVX2 when the processor has it) in [`keys`], and asks
//! OpenSSL to prefer it (the default property query `?provider=wsusfix`).
//!
//! Nothing changes on the wire and no check is dropped (see [`keys`]). Every other algorithm
//! (ciphers, MACs, hashes, RSA, ECDSA, key files) is OpenSSL's own. If an OpenSSL configuration
//! already sets default properties of its own, it is left alone and OpenSSL's implementations
//! stay in use.

mod keys;
mod provider;

use std::ffi::CStr;
use std::ptr::null_mut;
use std::sync::Once;

/// Sets the process's OpenSSL up; later calls do nothing.
pub(crate) fn configure_once() {
    static CONFIGURE: Once = Once::new();
    CONFIGURE.call_once(|| match prefer_builtin_provider() {
        Ok(()) => tracing::debug!("X25519, Ed25519 and ML-KEM-768 by the built-in provider"),
        // Key exchanges still work, with OpenSSL's own code.
        Err(reason) => tracing::debug!(reason, "OpenSSL's own X25519, Ed25519 and ML-KEM-768 stay in use"),
    });
}

extern "C" {
    fn EVP_set_default_properties(libctx: *mut openssl_sys::OSSL_LIB_CTX, propq: *const std::ffi::c_char) -> i32;
    fn EVP_get1_default_properties(libctx: *mut openssl_sys::OSSL_LIB_CTX) -> *mut std::ffi::c_char;
}

fn prefer_builtin_provider() -> Result<(), &'static str> {
    openssl_sys::init();
    // Loading any provider by name turns off OpenSSL's fallback to its default one, which
    // still does everything else: load that first. Neither is ever unloaded.
    // SAFETY: a null context is the default library context; the name is a C string literal.
    let default = unsafe { openssl_sys::OSSL_PROVIDER_load(null_mut(), c"default".as_ptr()) };
    if default.is_null() {
        return Err("OpenSSL's default provider did not load");
    }
    if !default_properties().is_empty() {
        return Err("the OpenSSL configuration sets default properties of its own");
    }
    if !provider::register() {
        return Err("the built-in provider could not be registered");
    }
    // SAFETY: as above; `register` made the name known.
    let ours = unsafe { openssl_sys::OSSL_PROVIDER_load(null_mut(), provider::NAME.as_ptr()) };
    if ours.is_null() {
        return Err("the built-in provider did not load");
    }
    // SAFETY: a null context is the default one; OpenSSL copies the string.
    if unsafe { EVP_set_default_properties(null_mut(), c"?provider=wsusfix".as_ptr()) } != 1 {
        return Err("OpenSSL refused the property query");
    }
    Ok(())
}

/// The default library context's default property query, as configured so far.
fn default_properties() -> String {
    // SAFETY: a null context is the default one; the string OpenSSL returns is ours to free.
    unsafe {
        let query = EVP_get1_default_properties(null_mut());
        if query.is_null() {
            return String::new();
        }
        let text = CStr::from_ptr(query).to_string_lossy().into_owned();
        openssl_sys::OPENSSL_free(query.cast());
        text
    }
}

#[cfg(test)]
mod interop_tests;
