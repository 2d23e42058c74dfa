//! Fuzzes the journal reader: bytes, as a killed process, a full disk or a power loss (NUL
//! padding) might leave `journal.jsonl` in a run folder, through the two steps `--resume` takes:
//! `Journal::repair_tail` (setting a torn tail aside) and `Journal::read` (every entry, with the
//! last line allowed to be cut short), and then `finished_hosts`, which a resume uses.
//!
//! Both functions read a file, so each input is written to `journal.jsonl` in a temporary folder
//! of its own, removed when the input is done (a folder kept for the whole process would outlive
//! it: libFuzzer ends the process without running destructors). Checked besides "never
//! panics": the repair only cuts the journal back (what is left is a prefix of the input, and
//! the set-aside file holds exactly the rest), and a second repair finds nothing more to do.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wsusfix_core::apply::journal::{finished_hosts, Journal, JOURNAL_FILE};

fuzz_target!(|data: &[u8]| {
    let folder = match tempfile::Builder::new().prefix("wsusfix-fuzz-journal-").tempdir() {
        Ok(folder) => folder,
        Err(e) => panic!("cannot make a temporary folder: {e}"),
    };
    let path = folder.path().join(JOURNAL_FILE);
    if let Err(e) = std::fs::write(&path, data) {
        panic!("cannot write {}: {e}", path.display());
    }

    // The journal as it is (a last line cut short is allowed), then as `--resume` reads it: repaired first.
    if let Ok(entries) = Journal::read(&path) {
        std::hint::black_box(finished_hosts(&entries).len());
    }

    match Journal::repair_tail(&path) {
        Ok(Some(aside)) => {
            let kept = std::fs::read(&path).unwrap_or_default();
            let set_aside = std::fs::read(&aside).unwrap_or_default();
            assert!(data.starts_with(&kept), "the repair changed what it kept");
            assert_eq!(&data[kept.len()..], &set_aside[..], "the set-aside tail is not the rest of the journal");
            assert!(!set_aside.is_empty(), "an empty tail was set aside");
        }
        Ok(None) => assert_eq!(std::fs::read(&path).unwrap_or_default(), data, "a whole journal was changed"),
        Err(e) => panic!("the repair failed on a readable journal: {e}"),
    }
    match Journal::repair_tail(&path) {
        Ok(None) => {}
        Ok(Some(_)) => panic!("a second repair found another torn tail"),
        Err(e) => panic!("the second repair failed: {e}"),
    }

    match Journal::read(&path) {
        Ok(entries) => std::hint::black_box(finished_hosts(&entries).len()),
        Err(e) => std::hint::black_box(e.to_string().len()),
    };
});
