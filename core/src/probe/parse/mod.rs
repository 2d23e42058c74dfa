//! One parser per section of probe output, each for a documented Windows output format
//! (see `docs/windows-commands.md` at the repository root). Parsers take the section's lines, never panic,
//! and turn odd or error output into a [`ParseError`].

pub mod arch;
pub mod reg;
pub mod sc;
pub mod ver;
pub mod whoami;
pub mod wmic;

mod findstr;
pub mod wording;

pub use findstr::{is_findstr_message, LogTally};
pub use reg::{RegKey, RegLookup, RegValue};

/// Why one section could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the section is missing from the output")]
    MissingSection,
    #[error("the section is empty")]
    Empty,
    #[error("the command reported an error: {line:?}")]
    ErrorOutput { line: String },
    #[error("unrecognised output {line:?}")]
    Unrecognised { line: String },
    #[error("value {name} has an unreadable value {value:?}")]
    BadValue { name: String, value: String },
    #[error("an unexpected section (a newer probe?)")]
    UnknownSection,
    #[error(
        "the SSH server runs a 32-bit shell on 64-bit Windows, which sees only the WOW64 registry view, \
         and the native view could not be read (no %windir%\\Sysnative, no reg.exe /reg:64): run the SSH \
         server as a 64-bit process, or install the Sysnative hotfix (KB942589)"
    )]
    NativeViewHidden,
}

/// How a section's command ended: its own exit code (probe version 2 prints it after the
/// command), or the `ok`/`fail` marker of probe version 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionStatus {
    /// The command's `%errorlevel%`, printed in-band.
    Exit(i64),
    Ok,
    Failed,
    /// No status marker arrived before the next section.
    Unclosed,
}

impl SectionStatus {
    /// The exit code, where it was printed.
    pub fn code(self) -> Option<i64> {
        match self {
            SectionStatus::Exit(code) => Some(code),
            _ => None,
        }
    }

    /// The command succeeded (exit code 0, or `ok`).
    pub fn succeeded(self) -> bool {
        matches!(self, SectionStatus::Exit(0) | SectionStatus::Ok)
    }
}

/// One section of probe output: its marker name, an optional argument (`service:W3SVC`), and
/// its lines with line endings removed.
#[derive(Clone, Debug)]
pub struct Section {
    pub name: String,
    pub arg: String,
    pub status: SectionStatus,
    /// How the section's command was run, when it says (`::wsusfix:via:sysnative`).
    pub via: Option<String>,
    pub lines: Vec<String>,
    /// Lines beyond the section's cap were counted, not kept.
    pub dropped: u64,
    /// Log sections fold their lines into a tally instead of keeping them.
    tally: Option<(u64, Option<String>)>,
}

impl Section {
    pub fn new(name: &str, arg: &str) -> Section {
        let tally = matches!(name, "server-log" | "client-log").then_some((0, None));
        Section {
            name: name.to_string(),
            arg: arg.to_string(),
            status: SectionStatus::Unclosed,
            via: None,
            lines: Vec::new(),
            dropped: 0,
            tally,
        }
    }

    /// A section built from text, for tests and for parsers' callers.
    pub fn from_text(name: &str, status: SectionStatus, text: &str) -> Section {
        let mut s = Section::new(name, "");
        for line in text.split('\n') {
            s.push_line(line.trim_end_matches('\r'), usize::MAX);
        }
        s.status = status;
        s
    }

    pub fn push_line(&mut self, line: &str, max_lines: usize) {
        if let Some((count, last)) = &mut self.tally {
            if line.trim().is_empty() {
                return;
            }
            // Error lines of findstr are kept for the parser; matches are only counted.
            if findstr::is_findstr_message(line) {
                if self.lines.len() < max_lines {
                    self.lines.push(line.to_string());
                }
                return;
            }
            *count += 1;
            *last = Some(line.to_string());
            return;
        }
        if self.lines.len() < max_lines {
            self.lines.push(line.to_string());
        } else {
            self.dropped += 1;
        }
    }

    /// The lines that carry text.
    pub fn text_lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty())
    }

    /// The first line that reports an error: a known error prefix in any language, or any line
    /// of a command cmd.exe could not find (exit 9009, whatever the language says).
    fn first_error(&self) -> Option<ParseError> {
        let missing = self.status.code() == Some(9009);
        self.text_lines()
            .find(|l| {
                missing
                    || wording::is_error_line(l)
                    || l.contains("is not recognized as an internal or external command")
            })
            .map(|l| ParseError::ErrorOutput { line: l.to_string() })
    }
}
