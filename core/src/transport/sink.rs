//! Where a remote command's output goes: streamed chunk by chunk to an [`OutputSink`], so a
//! caller decides how much to keep.

/// Receives a command's output as it arrives. Chunks follow no line boundaries.
pub trait OutputSink {
    /// A chunk of standard output.
    fn stdout(&mut self, chunk: &[u8]);
    /// A chunk of standard error.
    fn stderr(&mut self, chunk: &[u8]);
}

/// Keeps the first `cap` bytes of each stream and counts the rest.
#[derive(Clone, Debug)]
pub struct CollectSink {
    cap: usize,
    out: Vec<u8>,
    err: Vec<u8>,
    out_total: u64,
    err_total: u64,
}

impl CollectSink {
    /// Keeps at most `cap` bytes of stdout and `cap` bytes of stderr.
    pub fn new(cap: usize) -> Self {
        CollectSink { cap, out: Vec::new(), err: Vec::new(), out_total: 0, err_total: 0 }
    }

    /// The stdout kept (the first `cap` bytes).
    pub fn stdout_bytes(&self) -> &[u8] {
        &self.out
    }

    /// The stderr kept (the first `cap` bytes).
    pub fn stderr_bytes(&self) -> &[u8] {
        &self.err
    }

    /// Total stdout bytes seen, kept or not.
    pub fn stdout_len(&self) -> u64 {
        self.out_total
    }

    /// True when some output was dropped because of the cap.
    pub fn truncated(&self) -> bool {
        self.out_total > self.out.len() as u64 || self.err_total > self.err.len() as u64
    }

    fn keep(cap: usize, kept: &mut Vec<u8>, total: &mut u64, chunk: &[u8]) {
        *total = total.saturating_add(chunk.len() as u64);
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
}

impl OutputSink for CollectSink {
    fn stdout(&mut self, chunk: &[u8]) {
        Self::keep(self.cap, &mut self.out, &mut self.out_total, chunk);
    }

    fn stderr(&mut self, chunk: &[u8]) {
        Self::keep(self.cap, &mut self.err, &mut self.err_total, chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_head_and_counts_the_rest() {
        let mut sink = CollectSink::new(4);
        sink.stdout(b"abc");
        sink.stdout(b"defg");
        sink.stderr(b"xy");
        assert_eq!(sink.stdout_bytes(), b"abcd");
        assert_eq!(sink.stderr_bytes(), b"xy");
        assert_eq!(sink.stdout_len(), 7);
        assert!(sink.truncated());
    }

    #[test]
    fn not_truncated_under_the_cap() {
        let mut sink = CollectSink::new(4);
        sink.stdout(b"abcd");
        assert!(!sink.truncated());
    }
}
