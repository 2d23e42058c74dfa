//! A step's output, kept within bounds while it streams: the last few KiB of everything (the
//! journal's "output tail"), the last part of stdout and stderr for judging, and the newest
//! log timestamp that began a line (so a huge `findstr` output is judged without keeping it).

use std::collections::VecDeque;

use super::judge::log_line_time;
use crate::time::UtcTime;
use crate::transport::OutputSink;

/// Bytes of interleaved output kept as the journal's output tail.
pub const TAIL_BYTES: usize = 4 * 1024;
/// Bytes of each stream kept for judging.
const JUDGE_BYTES: usize = 64 * 1024;
/// Longest line scanned for a timestamp (the rest is dropped; the stamp is at the start).
const MAX_LINE: usize = 256;

/// Receives a step's output.
#[derive(Debug, Default)]
pub struct StepOutput {
    tail: Ring,
    stdout: Ring,
    stderr: Ring,
    line: Vec<u8>,
    newest: Option<UtcTime>,
}

#[derive(Debug, Default)]
struct Ring {
    bytes: VecDeque<u8>,
}

impl Ring {
    fn push(&mut self, chunk: &[u8], cap: usize) {
        let chunk = &chunk[chunk.len().saturating_sub(cap)..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(cap);
        self.bytes.drain(..overflow);
        self.bytes.extend(chunk);
    }

    fn text(&self) -> String {
        let (a, b) = self.bytes.as_slices();
        String::from_utf8_lossy(&[a, b].concat()).into_owned()
    }
}

impl StepOutput {
    pub fn new() -> StepOutput {
        StepOutput::default()
    }

    /// The last [`TAIL_BYTES`] of stdout and stderr as they arrived.
    pub fn tail(&self) -> String {
        self.tail.text()
    }

    /// The kept stdout, then the kept stderr: what judges read.
    pub fn judged_text(&self) -> String {
        let mut text = self.stdout.text();
        let err = self.stderr.text();
        if !err.is_empty() {
            text.push('\n');
            text.push_str(&err);
        }
        text
    }

    /// The newest log time that began a line of stdout.
    pub fn newest_log_time(&mut self) -> Option<UtcTime> {
        self.end_line();
        self.newest
    }

    fn scan(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if b == b'\n' {
                self.end_line();
            } else if self.line.len() < MAX_LINE {
                self.line.push(b);
            }
        }
    }

    fn end_line(&mut self) {
        if let Some(t) = log_line_time(&String::from_utf8_lossy(&self.line)) {
            self.newest = self.newest.max(Some(t));
        }
        self.line.clear();
    }
}

impl OutputSink for StepOutput {
    fn stdout(&mut self, chunk: &[u8]) {
        self.tail.push(chunk, TAIL_BYTES);
        self.stdout.push(chunk, JUDGE_BYTES);
        self.scan(chunk);
    }

    fn stderr(&mut self, chunk: &[u8]) {
        self.tail.push(chunk, TAIL_BYTES);
        self.stderr.push(chunk, JUDGE_BYTES);
    }
}

/// The last `n` lines of a text.
pub fn last_lines(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| l.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_tail_and_the_newest_stamp() {
        let mut out = StepOutput::new();
        for i in 0..10_000 {
            out.stdout(
                format!(
                    "2008-07-02 10:{:02}:{:02}.000 UTC\tError\tItem has already been added\r\n",
                    i / 60 % 60,
                    i % 60
                )
                .as_bytes(),
            );
        }
        out.stdout(b"2008-07-01 09:00:00.000 UTC\tolder, later in the file");
        out.stderr(b"FINDSTR: Cannot open x\r\n");
        assert!(out.tail().len() <= TAIL_BYTES);
        assert!(out.tail().ends_with("FINDSTR: Cannot open x\r\n"));
        assert_eq!(out.newest_log_time().map(|t| t.to_string()).as_deref(), Some("2008-07-02T10:59:59Z"));
        assert!(out.judged_text().ends_with("FINDSTR: Cannot open x\r\n"));
        assert_eq!(last_lines("a\r\nb\r\nc\r\n", 2), ["b", "c"]);
    }
}
