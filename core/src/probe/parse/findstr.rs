//! `findstr /i /c:"TEXT" [/c:"TEXT2" ...] "FILE"` results, folded as they stream into a count
//! and the newest matching line. Exit 1 means no match. A `FINDSTR` line naming the log file
//! (`FINDSTR: Cannot open FILE`, `FINDSTR: 无法打开 FILE`, `FINDSTR: FILE kann nicht geöffnet
//! werden.`) means no such log, in any language: the file name is what does not vary.

use super::{ParseError, Section};
use crate::facts::LogEvidence;
use crate::time::UtcTime;

/// Most characters of the newest matching line kept as evidence.
const MAX_EVIDENCE_LINE: usize = 400;

/// Evidence gathered across several log sections (the server log's two folder spellings).
#[derive(Debug)]
pub struct LogTally {
    signatures: Vec<String>,
    evidence: LogEvidence,
    errors: Vec<ParseError>,
}

impl LogTally {
    /// A tally of the lines that hold any of `signatures`.
    pub fn new<'s>(signatures: impl IntoIterator<Item = &'s str>) -> LogTally {
        let signatures = signatures.into_iter().map(str::to_lowercase).collect();
        LogTally { signatures, evidence: LogEvidence::default(), errors: Vec::new() }
    }

    pub fn merge(&mut self, section: &Section) {
        let mut cannot_open = false;
        for line in section.text_lines() {
            if is_findstr_message(line) && line.to_lowercase().contains(".log") {
                cannot_open = true;
            } else if is_findstr_message(line) {
                self.errors.push(ParseError::ErrorOutput { line: line.to_string() });
            }
        }
        if cannot_open {
            return;
        }
        self.evidence.log_found = true;
        let Some((count, last)) = &section.tally else { return };
        self.evidence.matches += count;
        if let Some(last) = last {
            let lower = last.to_lowercase();
            if !self.signatures.iter().any(|s| lower.contains(s.as_str())) {
                self.errors.push(ParseError::Unrecognised { line: last.chars().take(MAX_EVIDENCE_LINE).collect() });
                return;
            }
            let time = UtcTime::parse_log_prefix(last);
            // Of two logs, the newer line is the evidence.
            if self.evidence.last_line.is_none() || time > self.evidence.last_time {
                self.evidence.last_time = time;
                self.evidence.last_line = Some(last.trim().chars().take(MAX_EVIDENCE_LINE).collect());
            }
        }
    }

    pub fn finish(self) -> (LogEvidence, Vec<ParseError>) {
        (self.evidence, self.errors)
    }
}

/// A message of findstr itself (`FINDSTR: ...`, French `FINDSTR : ...`), not a matching line.
pub fn is_findstr_message(line: &str) -> bool {
    line.strip_prefix("FINDSTR").is_some_and(|rest| rest.trim_start().starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus::{Failed, Ok as Done};

    const SIG: &str = "Item has already been added";

    fn line(time: &str, key: u32) -> String {
        format!("{time}.123 UTC\tError\tw3wp.8\tClientImplementation.SyncUpdates\tSystem.ArgumentException: Item has already been added. Key in dictionary: '{key}'  Key being added: '{key}'\r\n")
    }

    #[test]
    fn counts_matches_and_keeps_the_newest() {
        let text: String = (0..1000).map(|i| line(&format!("2008-07-02 10:{:02}:00", i % 60), i)).collect();
        let mut tally = LogTally::new([SIG]);
        tally.merge(&Section::from_text("server-log", Done, &text));
        tally.merge(&Section::from_text(
            "server-log",
            Failed,
            "FINDSTR: Cannot open C:\\Program Files\\Update Services\\Log Files\\SoftwareDistribution.log\r\n",
        ));
        let (evidence, errors) = tally.finish();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(evidence.log_found);
        assert_eq!(evidence.matches, 1000);
        assert_eq!(evidence.last_time.unwrap().to_string(), "2008-07-02T10:39:00Z");
        assert!(evidence.last_line.unwrap().contains("Key in dictionary: '999'"));
    }

    #[test]
    fn no_log_and_no_match() {
        let mut tally = LogTally::new([SIG]);
        tally.merge(&Section::from_text("server-log", Failed, "FINDSTR: Cannot open C:\\x.log\r\n"));
        let (evidence, _) = tally.finish();
        assert_eq!(evidence, LogEvidence::default());
        let mut tally = LogTally::new([SIG]);
        tally.merge(&Section::from_text("server-log", Failed, ""));
        let (evidence, _) = tally.finish();
        assert!(evidence.log_found && evidence.matches == 0);
    }

    #[test]
    fn noise_instead_of_matches_is_an_error() {
        let mut tally = LogTally::new([SIG]);
        tally.merge(&Section::from_text("server-log", Done, "\u{fffd}\u{fffd} random noise\r\n"));
        let (_, errors) = tally.finish();
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn a_log_that_cannot_be_opened_in_every_language() {
        for text in [
            "FINDSTR: 无法打开 C:\\Program Files\\Update Services\\LogFiles\\SoftwareDistribution.log",
            "FINDSTR: C:\\Program Files\\Update Services\\LogFiles\\SoftwareDistribution.log kann nicht geöffnet werden.",
            "FINDSTR : impossible d'ouvrir C:\\Program Files\\Update Services\\LogFiles\\SoftwareDistribution.log",
        ] {
            let mut tally = LogTally::new([SIG]);
            tally.merge(&Section::from_text("server-log", crate::probe::parse::SectionStatus::Exit(1), text));
            let (evidence, errors) = tally.finish();
            assert!(!evidence.log_found && errors.is_empty(), "{text}: {evidence:?} {errors:?}");
        }
    }
}
