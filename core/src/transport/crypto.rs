//! The OpenSSL library libssh2 does its cryptography with, set up once per process before the
//! first session.
//!
//! One setting: OpenSSL re-checks an ML-KEM private key each time one is imported (a
//! "pairwise consistency test": a whole encapsulation and decapsulation), to catch a key
//! corrupted in storage. libssh2's post-quantum key exchange (`mlkem768x25519-sha256`)
//! generates its key, copies it out, and imports it back a moment later to decapsulate: the test
//! then checks memory the process wrote itself and costs a third of the key exchange. wsusfix
//! imports no other ML-KEM key, so the test is turned off for the default provider. The key
//! generation's own checks and the key exchange itself are unchanged.

use std::sync::Once;

/// Applies the process's OpenSSL settings; later calls do nothing.
pub(crate) fn configure_once() {
    static CONFIGURE: Once = Once::new();
    CONFIGURE.call_once(|| {
        if let Err(e) = skip_ml_kem_import_test() {
            // The key exchange still works, only slower.
            tracing::debug!(reason = e, "OpenSSL's ML-KEM import check stays on");
        }
    });
}

extern "C" {
    // OpenSSL 3.5 and later (the vendored build is newer); openssl-sys does not bind it.
    fn OSSL_PROVIDER_add_conf_parameter(
        prov: *mut openssl_sys::OSSL_PROVIDER,
        name: *const std::ffi::c_char,
        value: *const std::ffi::c_char,
    ) -> std::ffi::c_int;
}

fn skip_ml_kem_import_test() -> Result<(), &'static str> {
    openssl_sys::init();
    // SAFETY: the name is a NUL-terminated literal; a null context means the default library
    // context. The provider stays loaded for the life of the process (it is never unloaded).
    let provider = unsafe { openssl_sys::OSSL_PROVIDER_load(std::ptr::null_mut(), c"default".as_ptr()) };
    if provider.is_null() {
        return Err("the default provider did not load");
    }
    // SAFETY: `provider` is a live provider; both strings are NUL-terminated literals, which
    // OpenSSL copies. This runs once, before any session exists to read the parameter.
    let ok =
        unsafe { OSSL_PROVIDER_add_conf_parameter(provider, c"ml-kem.import_pct_type".as_ptr(), c"none".as_ptr()) };
    if ok == 1 {
        Ok(())
    } else {
        Err("the provider refused the parameter")
    }
}
