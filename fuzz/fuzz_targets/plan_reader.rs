//! Fuzzes the plan reader: text, as anyone with write access to where `plan.yaml` is kept might
//! leave it, through `Plan::parse` (the flow-depth bound, the YAML reader and the plan's own
//! checks: format version, duplicate and unsafe host names, upload targets, one-line commands),
//! then what `show` and `apply` do with a plan that loads: its canonical digest, the
//! `--expect-digest` comparison, and `verify`, which re-makes every step from the facts the plan
//! recorded with the embedded advisory and templates.
//!
//! It also checks that a plan that loads survives being written back: `to_yaml` (what `plan`
//! saves) parses again, to a plan with the same digest.
//!
//! `verify` hashes a package file only when the path the plan names is a file on this machine;
//! such inputs skip `verify`, so a run never reads files it was pointed at.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wsusfix_core::advisory::Advisory;
use wsusfix_core::plan::{self, Plan};
use wsusfix_core::templates::Templates;

fn advisory() -> &'static Advisory {
    static ADVISORY: OnceLock<Advisory> = OnceLock::new();
    ADVISORY.get_or_init(Advisory::embedded)
}

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| match Templates::embedded() {
        Ok(templates) => templates,
        Err(e) => panic!("the embedded templates do not load: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz.plan.yaml");
    let plan = match Plan::parse(text, path) {
        Ok(plan) => plan,
        Err(e) => {
            std::hint::black_box(e.to_string());
            return;
        }
    };

    let digest = plan.digest();
    if let Err(e) = plan.expect_digest(&format!("sha256:{}", digest.to_ascii_uppercase())) {
        panic!("a plan does not match its own digest: {e}");
    }

    let written = plan.to_yaml();
    match Plan::parse(&written, path) {
        Ok(again) => assert_eq!(again.digest(), digest, "the plan changed on its way through to_yaml:\n{written}"),
        Err(e) => panic!("a plan that loaded does not load once written back: {e}\n{written}"),
    }

    if plan.header.packages.iter().all(|p| !p.local.is_file()) {
        if let Err(e) = plan::verify(&plan, advisory(), templates()) {
            std::hint::black_box(e.to_string());
        }
    }
});
