//! Fuzzes the probe reader: raw bytes, as a host's SSH server might answer the probe, through
//! `ProbeReader` (code-page decoding, section splitting, every section's parser, the assembly of
//! facts) and then the assessment a scan makes of them.
//!
//! Besides "never panics, never runs away", it checks one property of the streaming reader:
//! the facts do not depend on how the output was cut into chunks as it arrived, so the bytes are
//! read whole, one at a time, and in chunks of a size taken from the input.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wsusfix_core::advisory::Advisory;
use wsusfix_core::assess::assess_probe;
use wsusfix_core::facts::Facts;
use wsusfix_core::probe::{self, ProbeError, ProbeReader};

fn advisory() -> &'static Advisory {
    static ADVISORY: OnceLock<Advisory> = OnceLock::new();
    ADVISORY.get_or_init(Advisory::embedded)
}

fn read_in_chunks(bytes: &[u8], chunk: usize, advisory: &Advisory, wsus_dir: &str) -> Result<Facts, ProbeError> {
    let mut reader = ProbeReader::new(advisory, wsus_dir);
    for piece in bytes.chunks(chunk.max(1)) {
        reader.push(piece);
    }
    reader.finish()
}

fuzz_target!(|data: &[u8]| {
    let advisory = advisory();
    let wsus_dir = advisory.default_wsus_dir.as_str();

    let whole = probe::read_output(data, advisory, wsus_dir);
    let odd_chunk = 1 + data.first().map_or(0, |&b| usize::from(b) % 97);
    for chunk in [1, odd_chunk] {
        let pieces = read_in_chunks(data, chunk, advisory, wsus_dir);
        assert_eq!(pieces, whole, "the facts changed when the output arrived in chunks of {chunk} bytes");
    }

    // What a scan does next: judge the facts (or the reason there are none).
    let assessment = assess_probe(&whole, advisory);
    std::hint::black_box(format!("{assessment:?}"));
});
