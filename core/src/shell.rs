//! How a cmd.exe command line reaches a host's cmd.exe, whatever the SSH server runs exec
//! requests with, and how the command's exit code comes back.
//!
//! - [`ShellType::Cmd`] (the default; Win32-OpenSSH, Bitvise WinSSHD, VShell, freeSSHd): the
//!   server hands the exec line to cmd.exe, so the line is sent as it is.
//! - [`ShellType::Sh`] (Cygwin-based OpenSSH such as Copssh): the server's POSIX shell would
//!   read the line first, and its quoting rules are not cmd.exe's. The exec request is only
//!   `cmd.exe /q /d`, which no shell misreads, and the line travels on cmd.exe's standard
//!   input, untouched by any quoting. `/q` turns command echo off; `/d` skips AutoRun.
//!
//! Exit codes travel in-band: [`with_exit_code`] makes the line print its own `%errorlevel%`
//! after it ran, which survives what SSH servers do to exit statuses (the low 8 bits only
//! behind Cygwin, none at all from some). [`InBand`] takes that line out of the output. The
//! SSH exit status is then only a cross-check.

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::transport::{ExitStatus, OutputSink, RemoteShell, TransportError};

/// What the host's SSH server runs exec requests with (Ansible's `ansible_shell_type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShellType {
    #[default]
    Cmd,
    Sh,
}

impl FromStr for ShellType {
    type Err = String;

    fn from_str(value: &str) -> Result<ShellType, String> {
        match value {
            "cmd" => Ok(ShellType::Cmd),
            "sh" | "bash" | "csh" => Ok(ShellType::Sh),
            "powershell" | "pwsh" => Err(format!(
                "`{value}`: wsusfix runs cmd.exe command lines; for a server whose default shell is PowerShell, \
                 make cmd.exe its default shell, or use `sh` to hand the lines to cmd.exe on its input"
            )),
            other => Err(format!("`{other}` is not a shell type wsusfix knows: use `cmd` or `sh`")),
        }
    }
}

impl std::fmt::Display for ShellType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShellType::Cmd => "cmd",
            ShellType::Sh => "sh",
        })
    }
}

/// Printed before a command's in-band exit code.
pub const RC_MARKER: &str = "::wsusfix:rc:";
/// Printed before the command, on standard-input runs: what cmd.exe prints before it (its
/// banner) is not the command's.
pub const BEGIN_MARKER: &str = "::wsusfix:begin";
/// The exec request of a standard-input run.
pub const STDIN_CMD: &str = "cmd.exe /q /d";

/// `line`, then a line with its `%errorlevel%`: `call` expands `%^errorlevel%` after the
/// command ran (cmd.exe expands variables when it reads a line, so a plain `%errorlevel%`
/// would be the value from before).
pub fn with_exit_code(line: &str) -> String {
    format!("({line}) & call echo {RC_MARKER}%^errorlevel%")
}

/// Runs a cmd.exe line on `shell` as the host's shell type needs it.
pub fn run(
    shell: &mut dyn RemoteShell,
    kind: ShellType,
    line: &str,
    timeout: Duration,
    sink: &mut dyn OutputSink,
) -> Result<ExitStatus, TransportError> {
    match kind {
        ShellType::Cmd => shell.exec(line, timeout, sink),
        ShellType::Sh => {
            let script = format!("echo {BEGIN_MARKER}\r\n{line}\r\nexit\r\n");
            let mut after_banner = AfterBegin { inner: sink, lines: LineBuffer::default(), begun: false };
            let status = shell.exec_with_input(STDIN_CMD, script.as_bytes(), timeout, &mut after_banner);
            after_banner.flush();
            status
        }
    }
}

/// Splits a stream into lines, keeping each line's `\n`.
#[derive(Debug, Default)]
struct LineBuffer {
    partial: Vec<u8>,
}

impl LineBuffer {
    /// Feeds bytes; calls `each` with every complete line.
    fn feed(&mut self, mut bytes: &[u8], each: &mut dyn FnMut(&[u8])) {
        while let Some(pos) = bytes.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                each(&bytes[..=pos]);
            } else {
                self.partial.extend_from_slice(&bytes[..=pos]);
                each(&std::mem::take(&mut self.partial));
            }
            bytes = &bytes[pos + 1..];
        }
        self.partial.extend_from_slice(bytes);
    }

    fn rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.partial)
    }
}

fn is_marker(line: &[u8], marker: &str) -> bool {
    let text = line.trim_ascii();
    text.len() >= marker.len() && text[..marker.len()] == *marker.as_bytes()
}

/// Passes on what follows the begin marker (a standard-input run prints cmd.exe's banner
/// first).
struct AfterBegin<'a> {
    inner: &'a mut dyn OutputSink,
    lines: LineBuffer,
    begun: bool,
}

impl AfterBegin<'_> {
    fn flush(&mut self) {
        let rest = self.lines.rest();
        if self.begun && !rest.is_empty() {
            self.inner.stdout(&rest);
        }
    }
}

impl OutputSink for AfterBegin<'_> {
    fn stdout(&mut self, chunk: &[u8]) {
        if self.begun {
            return self.inner.stdout(chunk);
        }
        let (inner, begun) = (&mut *self.inner, &mut self.begun);
        self.lines.feed(chunk, &mut |line| {
            if *begun {
                inner.stdout(line);
            } else if is_marker(line, BEGIN_MARKER) {
                *begun = true;
            }
        });
        if *begun {
            let rest = self.lines.rest();
            if !rest.is_empty() {
                inner.stdout(&rest);
            }
        }
    }

    fn stderr(&mut self, chunk: &[u8]) {
        self.inner.stderr(chunk);
    }
}

/// Takes the in-band exit code out of a command's output and passes the rest on.
pub struct InBand<'a> {
    inner: &'a mut dyn OutputSink,
    lines: LineBuffer,
    code: Option<i64>,
}

impl<'a> InBand<'a> {
    pub fn new(inner: &'a mut dyn OutputSink) -> InBand<'a> {
        InBand { inner, lines: LineBuffer::default(), code: None }
    }

    /// Ends the stream; the code the command printed, if it printed one.
    pub fn finish(mut self) -> Option<i64> {
        let rest = self.lines.rest();
        if !rest.is_empty() {
            self.take(&rest);
        }
        self.code
    }

    fn take(&mut self, line: &[u8]) {
        if is_marker(line, RC_MARKER) {
            let text = String::from_utf8_lossy(line.trim_ascii());
            self.code = text[RC_MARKER.len()..].trim().parse().ok();
        } else {
            self.inner.stdout(line);
        }
    }
}

impl OutputSink for InBand<'_> {
    fn stdout(&mut self, chunk: &[u8]) {
        let mut lines = std::mem::take(&mut self.lines);
        lines.feed(chunk, &mut |line| self.take(line));
        self.lines = lines;
    }

    fn stderr(&mut self, chunk: &[u8]) {
        self.inner.stderr(chunk);
    }
}

/// How a command ended: the code it printed, and the SSH server's exit status beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// The `%errorlevel%` the command printed after it ran.
    pub in_band: Option<i64>,
    pub ssh: ExitStatus,
}

impl Ended {
    /// The exit code to judge by: the in-band one; the SSH status only where none was printed.
    pub fn code(&self) -> Option<i64> {
        self.in_band.or_else(|| self.ssh.code().map(i64::from))
    }

    /// The SSH exit status, when it tells another story than the in-band code (an 8-bit
    /// server, one that sends none): recorded, never trusted over the in-band code.
    pub fn disagreement(&self) -> Option<i64> {
        let ssh = self.ssh.code().map(i64::from)?;
        let in_band = self.in_band?;
        // Exit codes are 32 bits; cmd.exe prints them signed.
        (ssh != in_band && ssh != i64::from(in_band as i32 as u32)).then_some(ssh)
    }
}

/// Runs a command whose exit code matters: in-band, through the host's shell type.
pub fn run_with_exit_code(
    shell: &mut dyn RemoteShell,
    kind: ShellType,
    line: &str,
    timeout: Duration,
    sink: &mut dyn OutputSink,
) -> Result<Ended, TransportError> {
    let mut in_band = InBand::new(sink);
    let ssh = run(shell, kind, &with_exit_code(line), timeout, &mut in_band)?;
    Ok(Ended { in_band: in_band.finish(), ssh })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::CollectSink;

    #[test]
    fn the_in_band_code_is_taken_out_in_any_chunking() {
        let output = b"line one\r\nline two\r\n::wsusfix:rc:-2147024891\r\n";
        for size in [1, 3, 7, 4096] {
            let mut kept = CollectSink::new(1024);
            let mut band = InBand::new(&mut kept);
            for chunk in output.chunks(size) {
                band.stdout(chunk);
            }
            assert_eq!(band.finish(), Some(-2147024891), "chunks of {size}");
            assert_eq!(kept.stdout_bytes(), b"line one\r\nline two\r\n", "chunks of {size}");
        }
    }

    #[test]
    fn the_banner_before_the_begin_marker_is_dropped() {
        let output = b"Microsoft Windows [Version 6.0.6001]\r\nCopyright\r\n\r\n::wsusfix:begin\r\nout\r\n";
        for size in [1, 5, 4096] {
            let mut kept = CollectSink::new(1024);
            let mut after = AfterBegin { inner: &mut kept, lines: LineBuffer::default(), begun: false };
            for chunk in output.chunks(size) {
                after.stdout(chunk);
            }
            after.flush();
            assert_eq!(kept.stdout_bytes(), b"out\r\n", "chunks of {size}");
        }
    }

    #[test]
    fn the_ssh_status_is_a_cross_check() {
        let eight_bit = Ended { in_band: Some(3010), ssh: ExitStatus::Code(194) };
        assert_eq!((eight_bit.code(), eight_bit.disagreement()), (Some(3010), Some(194)));
        let none_sent = Ended { in_band: Some(1603), ssh: ExitStatus::Code(0) };
        assert_eq!((none_sent.code(), none_sent.disagreement()), (Some(1603), Some(0)));
        let agree = Ended { in_band: Some(-2147024891), ssh: ExitStatus::Code(-2147024891) };
        assert_eq!(agree.disagreement(), None);
        let old = Ended { in_band: None, ssh: ExitStatus::Code(5) };
        assert_eq!((old.code(), old.disagreement()), (Some(5), None));
    }

    #[test]
    fn shell_types() {
        assert_eq!("sh".parse::<ShellType>(), Ok(ShellType::Sh));
        assert_eq!("cmd".parse::<ShellType>(), Ok(ShellType::Cmd));
        assert!("powershell".parse::<ShellType>().unwrap_err().contains("cmd.exe"));
        assert_eq!(with_exit_code("ver"), "(ver) & call echo ::wsusfix:rc:%^errorlevel%");
    }
}
