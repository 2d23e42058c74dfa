//! `scan --save-facts DIR`: each host's raw probe output as `DIR/HOST.txt`, written as it
//! streams, for `wsusfix assess` to read again.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub(super) struct SavedOutput {
    path: PathBuf,
    file: BufWriter<File>,
}

impl SavedOutput {
    pub(super) fn create(dir: &Path, host: &str) -> Result<SavedOutput, String> {
        let path = dir.join(format!("{host}.txt"));
        let file = File::create(&path).map_err(|e| cannot_save(&path, e))?;
        Ok(SavedOutput { path, file: BufWriter::new(file) })
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.file.write_all(bytes).map_err(|e| cannot_save(&self.path, e))
    }

    pub(super) fn finish(mut self) -> Result<(), String> {
        self.file.flush().map_err(|e| cannot_save(&self.path, e))
    }
}

fn cannot_save(path: &Path, e: std::io::Error) -> String {
    format!("cannot save the probe output to {}: {e}", path.display())
}
