//! The glue that makes [`super::keys`] an OpenSSL provider named `wsusfix`, built into the
//! process: the C function tables OpenSSL calls (`provider-keymgmt(7)`, `provider-keyexch(7)`,
//! `provider-signature(7)`, `provider-kem(7)`) and the `OSSL_PARAM` arrays keys cross in.
//!
//! A key object is an `Arc<Key>` handed to OpenSSL as a raw pointer: an operation that keeps a
//! key holds its own reference, as OpenSSL's own implementations up-reference theirs. Every
//! function checks what it is given and answers 0 (failure) rather than panic.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::ptr::{null, null_mut};
use std::sync::Arc;

use super::keys::{Key, Kind, ED25519_SIGNATURE, ML_KEM_768_CIPHERTEXT, SECRET};

/// The provider's name, and the property its algorithms carry.
pub(super) const NAME: &CStr = c"wsusfix";
const PROPERTIES: &CStr = c"provider=wsusfix";

// ---- OpenSSL's C types (core.h, core_dispatch.h) ----

/// `OSSL_PARAM`.
#[repr(C)]
pub(super) struct Param {
    key: *const c_char,
    data_type: c_uint,
    data: *mut c_void,
    data_size: usize,
    return_size: usize,
}

const PARAM_INTEGER: c_uint = 1;
const PARAM_UTF8_STRING: c_uint = 4;
const PARAM_OCTET_STRING: c_uint = 5;
const PARAM_UNMODIFIED: usize = usize::MAX;

impl Param {
    const END: Param = Param { key: null(), data_type: 0, data: null_mut(), data_size: 0, return_size: 0 };

    /// An entry of a table that says which parameters a function takes or gives.
    const fn describe(key: &'static CStr, data_type: c_uint) -> Param {
        Param { key: key.as_ptr(), data_type, data: null_mut(), data_size: 0, return_size: PARAM_UNMODIFIED }
    }

    fn octets(key: &'static CStr, bytes: &[u8]) -> Param {
        Param {
            key: key.as_ptr(),
            data_type: PARAM_OCTET_STRING,
            data: bytes.as_ptr() as *mut c_void,
            data_size: bytes.len(),
            return_size: PARAM_UNMODIFIED,
        }
    }
}

/// `OSSL_DISPATCH`.
#[repr(C)]
struct Dispatch {
    id: c_int,
    function: Option<unsafe extern "C" fn()>,
}

/// `OSSL_ALGORITHM`.
#[repr(C)]
struct Algorithm {
    names: *const c_char,
    properties: *const c_char,
    implementation: *const Dispatch,
    description: *const c_char,
}

/// A table OpenSSL reads for the life of the process. It holds pointers to static data only.
#[repr(transparent)]
struct Table<T: 'static, const N: usize>([T; N]);
// SAFETY: every pointer in a table points to immutable static data or to a function.
unsafe impl<T, const N: usize> Sync for Table<T, N> {}

type Callback = unsafe extern "C" fn(params: *const Param, arg: *mut c_void) -> c_int;
type ProviderInit = unsafe extern "C" fn(
    handle: *const c_void,
    core: *const Dispatch,
    out: *mut *const Dispatch,
    provctx: *mut *mut c_void,
) -> c_int;

extern "C" {
    fn OSSL_PARAM_locate(params: *mut Param, key: *const c_char) -> *mut Param;
    fn OSSL_PARAM_locate_const(params: *const Param, key: *const c_char) -> *const Param;
    fn OSSL_PARAM_set_int(param: *mut Param, value: c_int) -> c_int;
    fn OSSL_PARAM_set_utf8_string(param: *mut Param, value: *const c_char) -> c_int;
    fn OSSL_PARAM_set_octet_string(param: *mut Param, value: *const c_void, len: usize) -> c_int;
    fn OSSL_PARAM_get_octet_string_ptr(param: *const Param, value: *mut *const c_void, len: *mut usize) -> c_int;
    fn OSSL_PROVIDER_add_builtin(
        libctx: *mut openssl_sys::OSSL_LIB_CTX,
        name: *const c_char,
        init: ProviderInit,
    ) -> c_int;
}

const OP_KEYMGMT: c_int = 10;
const OP_KEYEXCH: c_int = 11;
const OP_SIGNATURE: c_int = 12;
const OP_KEM: c_int = 14;

const SELECT_PRIVATE_KEY: c_int = 0x01;
const SELECT_PUBLIC_KEY: c_int = 0x02;
const SELECT_KEYPAIR: c_int = SELECT_PRIVATE_KEY | SELECT_PUBLIC_KEY;

/// Casts a function to the type a dispatch table holds; OpenSSL casts it back by its id.
macro_rules! entry {
    ($id:expr, $function:expr, $type:ty) => {
        Dispatch {
            id: $id,
            // SAFETY: function pointers all have the same size; OpenSSL calls each through the
            // type its id names, which is `$type`.
            function: Some(unsafe { std::mem::transmute::<$type, unsafe extern "C" fn()>($function) }),
        }
    };
}
const END: Dispatch = Dispatch { id: 0, function: None };

// ---- the provider ----

/// Registers the provider under [`NAME`] so `OSSL_PROVIDER_load` finds it.
pub(super) fn register() -> bool {
    // SAFETY: a null context is the default library context; the name is a static C string and
    // `init` has the signature OpenSSL calls it with.
    unsafe { OSSL_PROVIDER_add_builtin(null_mut(), NAME.as_ptr(), init) == 1 }
}

static PROVIDER: Table<Dispatch, 2> = Table([
    entry!(
        1027, // OSSL_FUNC_PROVIDER_QUERY_OPERATION
        query_operation,
        unsafe extern "C" fn(*mut c_void, c_int, *mut c_int) -> *const Algorithm
    ),
    END,
]);

/// The provider's own context: it has no state, but OpenSSL expects a pointer.
static CONTEXT: u8 = 0;

unsafe extern "C" fn init(
    _handle: *const c_void,
    _core: *const Dispatch,
    out: *mut *const Dispatch,
    provctx: *mut *mut c_void,
) -> c_int {
    if out.is_null() || provctx.is_null() {
        return 0;
    }
    // SAFETY: OpenSSL hands two writable out-pointers, checked above.
    unsafe {
        *out = PROVIDER.0.as_ptr();
        *provctx = (&CONTEXT as *const u8).cast_mut().cast();
    }
    1
}

unsafe extern "C" fn query_operation(
    _provctx: *mut c_void,
    operation: c_int,
    no_store: *mut c_int,
) -> *const Algorithm {
    if !no_store.is_null() {
        // SAFETY: a writable int when not null. The tables never change: OpenSSL may cache them.
        unsafe { *no_store = 0 };
    }
    match operation {
        OP_KEYMGMT => KEYMGMT_ALGORITHMS.0.as_ptr(),
        OP_KEYEXCH => KEYEXCH_ALGORITHMS.0.as_ptr(),
        OP_SIGNATURE => SIGNATURE_ALGORITHMS.0.as_ptr(),
        OP_KEM => KEM_ALGORITHMS.0.as_ptr(),
        _ => null(),
    }
}

/// An entry of an algorithm table: names, this provider's property, the implementation.
const fn algorithm<const N: usize>(names: &'static CStr, implementation: &'static Table<Dispatch, N>) -> Algorithm {
    Algorithm {
        names: names.as_ptr(),
        properties: PROPERTIES.as_ptr(),
        implementation: implementation.0.as_ptr(),
        description: null(),
    }
}
const NO_ALGORITHM: Algorithm =
    Algorithm { names: null(), properties: null(), implementation: null(), description: null() };

static KEYMGMT_ALGORITHMS: Table<Algorithm, 4> = Table([
    algorithm(c"X25519", &X25519_KEYMGMT),
    algorithm(c"ED25519", &ED25519_KEYMGMT),
    algorithm(c"ML-KEM-768", &ML_KEM_768_KEYMGMT),
    NO_ALGORITHM,
]);
static KEYEXCH_ALGORITHMS: Table<Algorithm, 2> = Table([algorithm(c"X25519", &X25519_KEYEXCH), NO_ALGORITHM]);
static SIGNATURE_ALGORITHMS: Table<Algorithm, 2> =
    Table([algorithm(c"ED25519", &ED25519_SIGNATURE_FUNCTIONS), NO_ALGORITHM]);
static KEM_ALGORITHMS: Table<Algorithm, 2> = Table([algorithm(c"ML-KEM-768", &ML_KEM_768_KEM), NO_ALGORITHM]);

// ---- key objects ----

/// Which kind of key a key-management table makes.
trait KindOf {
    const KIND: Kind;
}
struct X25519;
struct Ed25519;
struct MlKem768;
impl KindOf for X25519 {
    const KIND: Kind = Kind::X25519;
}
impl KindOf for Ed25519 {
    const KIND: Kind = Kind::Ed25519;
}
impl KindOf for MlKem768 {
    const KIND: Kind = Kind::MlKem768;
}

fn into_raw(key: Key) -> *mut c_void {
    Arc::into_raw(Arc::new(key)).cast_mut().cast()
}

/// The key behind `keydata`, borrowed for the call.
///
/// # Safety
/// `keydata` is null or a pointer [`into_raw`] made and OpenSSL has not freed.
unsafe fn borrow<'a>(keydata: *const c_void) -> Option<&'a Key> {
    // SAFETY: per the contract, a live `Arc<Key>`'s data.
    unsafe { keydata.cast::<Key>().as_ref() }
}

/// A reference of its own to the key behind `keydata`, for an operation that keeps it.
///
/// # Safety
/// As [`borrow`].
unsafe fn share(keydata: *mut c_void) -> Option<Arc<Key>> {
    if keydata.is_null() {
        return None;
    }
    let key = keydata.cast_const().cast::<Key>();
    // SAFETY: per the contract, `key` came from `Arc::into_raw` and is alive; the count is
    // raised before a second `Arc` is made of it.
    unsafe {
        Arc::increment_strong_count(key);
        Some(Arc::from_raw(key))
    }
}

/// Runs `fill` on the key behind `keydata` if nothing else holds it yet.
///
/// `Arc::get_mut` rules out another `Arc`, not a [`borrow`], which takes no reference of its
/// own: this is sound because OpenSSL imports only into a key object `keymgmt_new` has just
/// made, before anything else can see it.
///
/// # Safety
/// As [`borrow`].
unsafe fn fill(keydata: *mut c_void, fill: impl FnOnce(&mut Key) -> bool) -> bool {
    if keydata.is_null() {
        return false;
    }
    // SAFETY: per the contract; the `Arc` is handed back with `into_raw` below, so OpenSSL's
    // reference stays.
    let mut key = unsafe { Arc::from_raw(keydata.cast_const().cast::<Key>()) };
    let done = Arc::get_mut(&mut key).is_some_and(fill);
    let _ = Arc::into_raw(key);
    done
}

/// The octet string named `name` in `params`, if there is one.
///
/// # Safety
/// `params` is null or an `OSSL_PARAM` array ending in an empty entry, alive for `'a`.
unsafe fn octets<'a>(params: *const Param, name: &CStr) -> Option<&'a [u8]> {
    if params.is_null() {
        return None;
    }
    // SAFETY: per the contract.
    let param = unsafe { OSSL_PARAM_locate_const(params, name.as_ptr()) };
    if param.is_null() {
        return None;
    }
    let (mut data, mut len) = (null::<c_void>(), 0usize);
    // SAFETY: `param` is an entry of the array; OpenSSL writes the two out-values.
    if unsafe { OSSL_PARAM_get_octet_string_ptr(param, &mut data, &mut len) } != 1 || data.is_null() {
        return None;
    }
    // SAFETY: OpenSSL says `data` holds `len` bytes, which live as long as the array.
    Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
}

/// Whether `params` is null or empty: the operations here take no parameters.
///
/// # Safety
/// As [`octets`].
unsafe fn no_params(params: *const Param) -> bool {
    // SAFETY: per the contract, a readable first entry when not null.
    params.is_null() || unsafe { (*params).key.is_null() }
}

/// Writes `value` to `*out` if `out` is not null.
///
/// # Safety
/// `out` is null or writable.
unsafe fn put(out: *mut usize, value: usize) {
    if !out.is_null() {
        // SAFETY: per the contract.
        unsafe { *out = value };
    }
}

/// Copies `bytes` into the caller's buffer `out` of `*len` bytes, and their length into `*len`.
///
/// # Safety
/// `out` is writable for `*len` bytes; `len` is readable and writable.
unsafe fn give(bytes: &[u8], out: *mut u8, len: *mut usize) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if out.is_null() || len.is_null() || *len < bytes.len() {
            return 0;
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
        *len = bytes.len();
    }
    1
}

// ---- key management (provider-keymgmt(7)) ----

const KEYMGMT_LEN: usize = 17;
static X25519_KEYMGMT: Table<Dispatch, KEYMGMT_LEN> = keymgmt::<X25519>();
static ED25519_KEYMGMT: Table<Dispatch, KEYMGMT_LEN> = keymgmt::<Ed25519>();
static ML_KEM_768_KEYMGMT: Table<Dispatch, KEYMGMT_LEN> = keymgmt::<MlKem768>();

const fn keymgmt<K: KindOf>() -> Table<Dispatch, KEYMGMT_LEN> {
    type Gettable = unsafe extern "C" fn(*mut c_void) -> *const Param;
    type Types = unsafe extern "C" fn(c_int) -> *const Param;
    Table([
        entry!(1, keymgmt_new::<K>, unsafe extern "C" fn(*mut c_void) -> *mut c_void), // NEW
        entry!(2, gen_init::<K>, unsafe extern "C" fn(*mut c_void, c_int, *const Param) -> *mut c_void), // GEN_INIT
        entry!(6, generate, unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_void) -> *mut c_void), // GEN
        entry!(7, gen_cleanup, unsafe extern "C" fn(*mut c_void)),                     // GEN_CLEANUP
        entry!(10, keymgmt_free, unsafe extern "C" fn(*mut c_void)),                   // FREE
        entry!(11, get_params, unsafe extern "C" fn(*mut c_void, *mut Param) -> c_int), // GET_PARAMS
        entry!(12, gettable_params, Gettable),                                         // GETTABLE_PARAMS
        entry!(21, has, unsafe extern "C" fn(*const c_void, c_int) -> c_int),          // HAS
        entry!(22, validate, unsafe extern "C" fn(*const c_void, c_int, c_int) -> c_int), // VALIDATE
        entry!(23, matches, unsafe extern "C" fn(*const c_void, *const c_void, c_int) -> c_int), // MATCH
        entry!(40, import, unsafe extern "C" fn(*mut c_void, c_int, *const Param) -> c_int), // IMPORT
        entry!(41, key_types, Types),                                                  // IMPORT_TYPES
        entry!(42, export, unsafe extern "C" fn(*mut c_void, c_int, Callback, *mut c_void) -> c_int), // EXPORT
        entry!(43, key_types, Types),                                                  // EXPORT_TYPES
        entry!(44, dup, unsafe extern "C" fn(*const c_void, c_int) -> *mut c_void),    // DUP
        END,
        END,
    ])
}

unsafe extern "C" fn keymgmt_new<K: KindOf>(_provctx: *mut c_void) -> *mut c_void {
    into_raw(Key::empty(K::KIND))
}

unsafe extern "C" fn keymgmt_free(keydata: *mut c_void) {
    if !keydata.is_null() {
        // SAFETY: OpenSSL frees a key object once, with the reference `into_raw` gave it.
        drop(unsafe { Arc::from_raw(keydata.cast_const().cast::<Key>()) });
    }
}

unsafe extern "C" fn gen_init<K: KindOf>(
    _provctx: *mut c_void,
    _selection: c_int,
    params: *const Param,
) -> *mut c_void {
    // SAFETY: OpenSSL's array or null.
    if !unsafe { no_params(params) } {
        return null_mut();
    }
    Box::into_raw(Box::new(K::KIND)).cast()
}

unsafe extern "C" fn generate(genctx: *mut c_void, _callback: *mut c_void, _arg: *mut c_void) -> *mut c_void {
    // SAFETY: a pointer `gen_init` made, not yet cleaned up.
    let Some(kind) = (unsafe { genctx.cast::<Kind>().as_ref() }) else { return null_mut() };
    Key::generate(*kind).map_or(null_mut(), into_raw)
}

unsafe extern "C" fn gen_cleanup(genctx: *mut c_void) {
    if !genctx.is_null() {
        // SAFETY: made by `gen_init` with `Box::into_raw`, cleaned up once.
        drop(unsafe { Box::from_raw(genctx.cast::<Kind>()) });
    }
}

static GETTABLE: Table<Param, 7> = Table([
    Param::describe(c"bits", PARAM_INTEGER),
    Param::describe(c"security-bits", PARAM_INTEGER),
    Param::describe(c"security-category", PARAM_INTEGER),
    Param::describe(c"max-size", PARAM_INTEGER),
    Param::describe(c"mandatory-digest", PARAM_UTF8_STRING),
    Param::describe(c"encoded-pub-key", PARAM_OCTET_STRING),
    Param::END,
]);

unsafe extern "C" fn gettable_params(_provctx: *mut c_void) -> *const Param {
    GETTABLE.0.as_ptr()
}

unsafe extern "C" fn get_params(keydata: *mut c_void, params: *mut Param) -> c_int {
    // SAFETY: a key object of ours, or null.
    let Some(key) = (unsafe { borrow(keydata) }) else { return 0 };
    if params.is_null() {
        return 1;
    }
    let kind = key.kind();
    let ints = [
        (c"bits", kind.bits()),
        (c"security-bits", kind.security_bits()),
        (c"security-category", kind.security_category()),
        (c"max-size", kind.max_size()),
    ];
    // SAFETY: `params` is OpenSSL's array; each located entry is written through OpenSSL's own
    // setters, which check its type and size.
    unsafe {
        for (name, value) in ints {
            let param = OSSL_PARAM_locate(params, name.as_ptr());
            if !param.is_null() && OSSL_PARAM_set_int(param, value) != 1 {
                return 0;
            }
        }
        let param = OSSL_PARAM_locate(params, c"mandatory-digest".as_ptr());
        // Ed25519 signs the message itself: no digest goes before it.
        if kind == Kind::Ed25519 && !param.is_null() && OSSL_PARAM_set_utf8_string(param, c"".as_ptr()) != 1 {
            return 0;
        }
        let param = OSSL_PARAM_locate(params, c"encoded-pub-key".as_ptr());
        if !param.is_null() && kind != Kind::Ed25519 {
            let Some(public) = key.public() else { return 0 };
            if OSSL_PARAM_set_octet_string(param, public.as_ptr().cast(), public.len()) != 1 {
                return 0;
            }
        }
    }
    1
}

unsafe extern "C" fn has(keydata: *const c_void, selection: c_int) -> c_int {
    // SAFETY: a key object of ours, or null.
    let Some(key) = (unsafe { borrow(keydata) }) else { return 0 };
    let private = selection & SELECT_PRIVATE_KEY == 0 || key.private().is_some();
    let public = selection & SELECT_PUBLIC_KEY == 0 || key.has_public();
    c_int::from(private && public)
}

unsafe extern "C" fn validate(keydata: *const c_void, selection: c_int, _checktype: c_int) -> c_int {
    // SAFETY: a key object of ours, or null.
    let Some(key) = (unsafe { borrow(keydata) }) else { return 0 };
    c_int::from(key.is_valid(selection & SELECT_PRIVATE_KEY != 0, selection & SELECT_PUBLIC_KEY != 0))
}

unsafe extern "C" fn matches(one: *const c_void, other: *const c_void, selection: c_int) -> c_int {
    // SAFETY: key objects of ours, or null.
    let (Some(one), Some(other)) = (unsafe { borrow(one) }, unsafe { borrow(other) }) else { return 0 };
    if one.kind() != other.kind() {
        return 0;
    }
    if selection & SELECT_KEYPAIR == 0 {
        return 1;
    }
    c_int::from(one.public().is_some() && one.public() == other.public())
}

unsafe extern "C" fn import(keydata: *mut c_void, selection: c_int, params: *const Param) -> c_int {
    // These keys have no parameters apart from their halves: OpenSSL's own refuse the same.
    if selection & SELECT_KEYPAIR == 0 {
        return 0;
    }
    // SAFETY: OpenSSL's array, alive for this call; the key is copied out of it.
    let private = if selection & SELECT_PRIVATE_KEY != 0 { unsafe { octets(params, c"priv") } } else { None };
    // SAFETY: as above.
    let public = unsafe { octets(params, c"pub") };
    // SAFETY: a key object `keymgmt_new` made for this import.
    let done = unsafe {
        fill(keydata, |key| match Key::from_parts(key.kind(), private, public) {
            Some(parts) => {
                *key = parts;
                true
            }
            None => false,
        })
    };
    c_int::from(done)
}

static KEY_TYPES: Table<Param, 3> =
    Table([Param::describe(c"pub", PARAM_OCTET_STRING), Param::describe(c"priv", PARAM_OCTET_STRING), Param::END]);

unsafe extern "C" fn key_types(_selection: c_int) -> *const Param {
    KEY_TYPES.0.as_ptr()
}

unsafe extern "C" fn export(keydata: *mut c_void, selection: c_int, callback: Callback, arg: *mut c_void) -> c_int {
    // SAFETY: a key object of ours, or null.
    let Some(key) = (unsafe { borrow(keydata) }) else { return 0 };
    // As in `import`.
    if selection & SELECT_KEYPAIR == 0 {
        return 0;
    }
    let Some(public) = key.public() else { return 0 };
    let mut params = [Param::octets(c"pub", public), Param::END, Param::END];
    if let Some(private) = key.private().filter(|_| selection & SELECT_PRIVATE_KEY != 0) {
        params[1] = Param::octets(c"priv", private);
    }
    // SAFETY: the array ends in an empty entry and outlives the call; OpenSSL's callback only
    // reads it.
    unsafe { callback(params.as_ptr(), arg) }
}

unsafe extern "C" fn dup(keydata: *const c_void, selection: c_int) -> *mut c_void {
    // SAFETY: a key object of ours, or null.
    let Some(key) = (unsafe { borrow(keydata) }) else { return null_mut() };
    let private = key.private().filter(|_| selection & SELECT_PRIVATE_KEY != 0);
    let public = key.public().filter(|_| selection & SELECT_PUBLIC_KEY != 0 || private.is_none());
    Key::from_parts(key.kind(), private, public).map_or(null_mut(), into_raw)
}

// ---- operations: X25519 agreement, Ed25519 signatures, ML-KEM-768 encapsulation ----

/// One operation's state: the key it was started with, and for an agreement the peer's.
#[derive(Clone, Default)]
struct Operation {
    key: Option<Arc<Key>>,
    peer: Option<Arc<Key>>,
}

/// # Safety
/// `ctx` is null or a pointer [`new_operation`] made and not yet freed.
unsafe fn operation<'a>(ctx: *mut c_void) -> Option<&'a mut Operation> {
    // SAFETY: per the contract; OpenSSL uses one operation from one thread at a time.
    unsafe { ctx.cast::<Operation>().as_mut() }
}

/// Starts `ctx` with the key behind `keydata` if it is of `kind` (and has its private half, if
/// `private`).
///
/// # Safety
/// As [`operation`] and [`share`].
unsafe fn start(ctx: *mut c_void, keydata: *mut c_void, kind: Kind, private: bool) -> c_int {
    // SAFETY: per the contract.
    let (Some(op), Some(key)) = (unsafe { operation(ctx) }, unsafe { share(keydata) }) else { return 0 };
    if key.kind() != kind || (private && key.private().is_none()) || (!private && !key.has_public()) {
        return 0;
    }
    op.key = Some(key);
    1
}

unsafe extern "C" fn new_operation(_provctx: *mut c_void) -> *mut c_void {
    Box::into_raw(Box::<Operation>::default()).cast()
}

unsafe extern "C" fn new_signature(_provctx: *mut c_void, _propq: *const c_char) -> *mut c_void {
    Box::into_raw(Box::<Operation>::default()).cast()
}

unsafe extern "C" fn free_operation(ctx: *mut c_void) {
    if !ctx.is_null() {
        // SAFETY: made by `new_operation` or `dup_operation` with `Box::into_raw`, freed once.
        drop(unsafe { Box::from_raw(ctx.cast::<Operation>()) });
    }
}

unsafe extern "C" fn dup_operation(ctx: *mut c_void) -> *mut c_void {
    // SAFETY: an operation of ours, or null.
    let Some(op) = (unsafe { operation(ctx) }) else { return null_mut() };
    Box::into_raw(Box::new(op.clone())).cast()
}

static X25519_KEYEXCH: Table<Dispatch, 7> = Table([
    entry!(1, new_operation, unsafe extern "C" fn(*mut c_void) -> *mut c_void), // NEWCTX
    entry!(2, exchange_init, unsafe extern "C" fn(*mut c_void, *mut c_void, *const Param) -> c_int), // INIT
    entry!(3, derive, unsafe extern "C" fn(*mut c_void, *mut u8, *mut usize, usize) -> c_int), // DERIVE
    entry!(4, set_peer, unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int), // SET_PEER
    entry!(5, free_operation, unsafe extern "C" fn(*mut c_void)),               // FREECTX
    entry!(6, dup_operation, unsafe extern "C" fn(*mut c_void) -> *mut c_void), // DUPCTX
    END,
]);

unsafe extern "C" fn exchange_init(ctx: *mut c_void, keydata: *mut c_void, params: *const Param) -> c_int {
    // SAFETY: OpenSSL's context, key and parameters.
    unsafe {
        if !no_params(params) {
            return 0;
        }
        start(ctx, keydata, Kind::X25519, true)
    }
}

unsafe extern "C" fn set_peer(ctx: *mut c_void, keydata: *mut c_void) -> c_int {
    // SAFETY: OpenSSL's context and key.
    let (Some(op), Some(peer)) = (unsafe { operation(ctx) }, unsafe { share(keydata) }) else { return 0 };
    if peer.kind() != Kind::X25519 || !peer.has_public() {
        return 0;
    }
    op.peer = Some(peer);
    1
}

unsafe extern "C" fn derive(ctx: *mut c_void, secret: *mut u8, len: *mut usize, size: usize) -> c_int {
    // SAFETY: OpenSSL's context.
    let Some(op) = (unsafe { operation(ctx) }) else { return 0 };
    if secret.is_null() {
        // SAFETY: OpenSSL's out-pointer.
        unsafe { put(len, SECRET) };
        return c_int::from(!len.is_null());
    }
    let (Some(key), Some(peer)) = (&op.key, &op.peer) else { return 0 };
    let Some(shared) = key.agree(peer) else { return 0 };
    let mut room = size;
    // SAFETY: OpenSSL's buffer holds `size` bytes.
    let given = unsafe { give(&*shared, secret, &mut room) };
    // SAFETY: OpenSSL's out-pointer.
    unsafe { put(len, room) };
    given
}

static ED25519_SIGNATURE_FUNCTIONS: Table<Dispatch, 8> = Table([
    entry!(1, new_signature, unsafe extern "C" fn(*mut c_void, *const c_char) -> *mut c_void), // NEWCTX
    entry!(8, sign_init, unsafe extern "C" fn(*mut c_void, *const c_char, *mut c_void, *const Param) -> c_int), // DIGEST_SIGN_INIT
    entry!(11, sign, unsafe extern "C" fn(*mut c_void, *mut u8, *mut usize, usize, *const u8, usize) -> c_int), // DIGEST_SIGN
    entry!(12, verify_init, unsafe extern "C" fn(*mut c_void, *const c_char, *mut c_void, *const Param) -> c_int), // DIGEST_VERIFY_INIT
    entry!(15, verify, unsafe extern "C" fn(*mut c_void, *const u8, usize, *const u8, usize) -> c_int), // DIGEST_VERIFY
    entry!(16, free_operation, unsafe extern "C" fn(*mut c_void)),                                      // FREECTX
    entry!(17, dup_operation, unsafe extern "C" fn(*mut c_void) -> *mut c_void),                        // DUPCTX
    END,
]);

/// Starts an Ed25519 signature or check: pure Ed25519 (no digest named, no parameters).
///
/// # Safety
/// OpenSSL's context, digest name, key and parameters.
unsafe fn signature_init(
    ctx: *mut c_void,
    digest: *const c_char,
    keydata: *mut c_void,
    params: *const Param,
    private: bool,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let no_digest = digest.is_null() || *digest == 0;
        if !no_digest || !no_params(params) {
            return 0;
        }
        start(ctx, keydata, Kind::Ed25519, private)
    }
}

unsafe extern "C" fn sign_init(
    ctx: *mut c_void,
    digest: *const c_char,
    keydata: *mut c_void,
    params: *const Param,
) -> c_int {
    // SAFETY: passed on from OpenSSL.
    unsafe { signature_init(ctx, digest, keydata, params, true) }
}

unsafe extern "C" fn verify_init(
    ctx: *mut c_void,
    digest: *const c_char,
    keydata: *mut c_void,
    params: *const Param,
) -> c_int {
    // SAFETY: passed on from OpenSSL.
    unsafe { signature_init(ctx, digest, keydata, params, false) }
}

/// `len` bytes at `data` (an empty message may come as a null pointer).
///
/// # Safety
/// `data` is readable for `len` bytes when not null.
unsafe fn bytes<'a>(data: *const u8, len: usize) -> Option<&'a [u8]> {
    match (data.is_null(), len) {
        (true, 0) => Some(&[]),
        (true, _) => None,
        // SAFETY: per the contract.
        (false, _) => Some(unsafe { std::slice::from_raw_parts(data, len) }),
    }
}

unsafe extern "C" fn sign(
    ctx: *mut c_void,
    sig: *mut u8,
    len: *mut usize,
    size: usize,
    tbs: *const u8,
    tbs_len: usize,
) -> c_int {
    // SAFETY: OpenSSL's context.
    let Some(op) = (unsafe { operation(ctx) }) else { return 0 };
    if sig.is_null() {
        // SAFETY: OpenSSL's out-pointer.
        unsafe { put(len, ED25519_SIGNATURE) };
        return c_int::from(!len.is_null());
    }
    // SAFETY: OpenSSL's message.
    let Some(message) = (unsafe { bytes(tbs, tbs_len) }) else { return 0 };
    let Some(signature) = op.key.as_ref().and_then(|key| key.sign(message)) else { return 0 };
    let mut room = size;
    // SAFETY: OpenSSL's buffer holds `size` bytes.
    let given = unsafe { give(&signature, sig, &mut room) };
    // SAFETY: OpenSSL's out-pointer.
    unsafe { put(len, room) };
    given
}

unsafe extern "C" fn verify(ctx: *mut c_void, sig: *const u8, sig_len: usize, tbs: *const u8, tbs_len: usize) -> c_int {
    // SAFETY: OpenSSL's context, signature and message.
    let (Some(op), Some(signature), Some(message)) =
        (unsafe { operation(ctx) }, unsafe { bytes(sig, sig_len) }, unsafe { bytes(tbs, tbs_len) })
    else {
        return 0;
    };
    c_int::from(op.key.as_ref().is_some_and(|key| key.verify(message, signature)))
}

static ML_KEM_768_KEM: Table<Dispatch, 8> = Table([
    entry!(1, new_operation, unsafe extern "C" fn(*mut c_void) -> *mut c_void), // NEWCTX
    entry!(2, encapsulate_init, unsafe extern "C" fn(*mut c_void, *mut c_void, *const Param) -> c_int), // ENCAPSULATE_INIT
    entry!(3, encapsulate, unsafe extern "C" fn(*mut c_void, *mut u8, *mut usize, *mut u8, *mut usize) -> c_int), // ENCAPSULATE
    entry!(4, decapsulate_init, unsafe extern "C" fn(*mut c_void, *mut c_void, *const Param) -> c_int), // DECAPSULATE_INIT
    entry!(5, decapsulate, unsafe extern "C" fn(*mut c_void, *mut u8, *mut usize, *const u8, usize) -> c_int), // DECAPSULATE
    entry!(6, free_operation, unsafe extern "C" fn(*mut c_void)), // FREECTX
    entry!(7, dup_operation, unsafe extern "C" fn(*mut c_void) -> *mut c_void), // DUPCTX
    END,
]);

unsafe extern "C" fn encapsulate_init(ctx: *mut c_void, keydata: *mut c_void, params: *const Param) -> c_int {
    // SAFETY: OpenSSL's context, key and parameters.
    unsafe {
        if !no_params(params) {
            return 0;
        }
        start(ctx, keydata, Kind::MlKem768, false)
    }
}

unsafe extern "C" fn decapsulate_init(ctx: *mut c_void, keydata: *mut c_void, params: *const Param) -> c_int {
    // SAFETY: OpenSSL's context, key and parameters.
    unsafe {
        if !no_params(params) {
            return 0;
        }
        start(ctx, keydata, Kind::MlKem768, true)
    }
}

unsafe extern "C" fn encapsulate(
    ctx: *mut c_void,
    out: *mut u8,
    out_len: *mut usize,
    secret: *mut u8,
    secret_len: *mut usize,
) -> c_int {
    // SAFETY: OpenSSL's context.
    let Some(op) = (unsafe { operation(ctx) }) else { return 0 };
    if out.is_null() {
        // SAFETY: OpenSSL's out-pointers.
        unsafe {
            put(out_len, ML_KEM_768_CIPHERTEXT);
            put(secret_len, SECRET);
        }
        return c_int::from(!out_len.is_null() || !secret_len.is_null());
    }
    let Some((ciphertext, shared)) = op.key.as_ref().and_then(|key| key.encapsulate()) else { return 0 };
    // SAFETY: OpenSSL's buffers, of the sizes `*out_len` and `*secret_len` say.
    unsafe { c_int::from(give(&ciphertext, out, out_len) == 1 && give(&*shared, secret, secret_len) == 1) }
}

unsafe extern "C" fn decapsulate(
    ctx: *mut c_void,
    out: *mut u8,
    out_len: *mut usize,
    input: *const u8,
    input_len: usize,
) -> c_int {
    // SAFETY: OpenSSL's context.
    let Some(op) = (unsafe { operation(ctx) }) else { return 0 };
    if out.is_null() {
        // SAFETY: OpenSSL's out-pointer.
        unsafe { put(out_len, SECRET) };
        return c_int::from(!out_len.is_null());
    }
    // SAFETY: OpenSSL's ciphertext.
    let Some(ciphertext) = (unsafe { bytes(input, input_len) }) else { return 0 };
    let Some(shared) = op.key.as_ref().and_then(|key| key.decapsulate(ciphertext)) else { return 0 };
    // SAFETY: OpenSSL's buffer, of the size `*out_len` says.
    unsafe { give(&*shared, out, out_len) }
}
