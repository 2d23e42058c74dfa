//! Splits streamed probe output into sections and assembles [`Facts`] from them.

use crate::advisory::Advisory;
use crate::facts::{Elevation, Facts, LogEvidence, ProbeProblem, RegistryView, WsusInstall};

use super::parse::{self, LogTally, RegLookup, Section, SectionStatus};
use super::PROBE_VERSION;

/// Longest line kept whole; longer lines are cut (logs can hold very long lines).
const MAX_LINE: usize = 8 * 1024;
/// Most lines kept for one non-log section; a sane section has a dozen.
const MAX_SECTION_LINES: usize = 500;
const MARKER: &str = "::wsusfix:";

/// Why a probe output could not be read at all. Each becomes an `unknown` verdict's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("the output is not a wsusfix probe's (unparseable output; it begins {preview:?})")]
    NotAProbe { preview: String },
    #[error("the output is empty: the host answered nothing")]
    Empty,
    #[error("the probe output is version {found}, this wsusfix reads version {expected}")]
    WrongVersion { found: String, expected: u32 },
    #[error("the probe output is truncated: it stops {where_}")]
    Truncated { where_: String },
}

/// Consumes probe output as it arrives and produces facts at the end.
pub struct ProbeReader<'a> {
    advisory: &'a Advisory,
    wsus_dir: String,
    partial: Vec<u8>,
    began: Option<String>,
    ended: bool,
    preview: String,
    current: Option<Section>,
    sections: Vec<Section>,
}

impl<'a> ProbeReader<'a> {
    pub fn new(advisory: &'a Advisory, wsus_dir: &str) -> ProbeReader<'a> {
        ProbeReader {
            advisory,
            wsus_dir: wsus_dir.trim_end_matches('\\').to_string(),
            partial: Vec::new(),
            began: None,
            ended: false,
            preview: String::new(),
            current: None,
            sections: Vec::new(),
        }
    }

    /// Feeds the next bytes of output, in chunks of any size.
    pub fn push(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            self.extend_partial(&rest[..pos]);
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
            rest = &rest[pos + 1..];
        }
        self.extend_partial(rest);
    }

    fn extend_partial(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.partial.len());
        self.partial.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn line(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let text = text.trim_end_matches(['\r', '\n']);
        if self.preview.len() < 60 && !text.trim().is_empty() {
            let room = 60 - self.preview.len();
            // Printable ASCII only: the preview lands in reports, tables and terminals.
            self.preview.extend(
                text.chars()
                    .filter(|c| !c.is_control())
                    .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '.' })
                    .take(room),
            );
        }
        let trimmed = text.trim();
        if let Some(marker) = trimmed.strip_prefix(MARKER) {
            self.marker(marker.trim());
            return;
        }
        if self.began.is_none() || self.ended {
            return;
        }
        if let Some(section) = &mut self.current {
            section.push_line(text, MAX_SECTION_LINES);
        }
    }

    fn marker(&mut self, marker: &str) {
        match marker {
            "ok" | "fail" => {
                if let Some(mut section) = self.current.take() {
                    section.status = if marker == "ok" { SectionStatus::Ok } else { SectionStatus::Failed };
                    self.sections.push(section);
                }
            }
            "end" => {
                self.close_current();
                self.ended = true;
            }
            m if m.starts_with("probe:") => self.began = Some(m["probe:".len()..].to_string()),
            name => {
                self.close_current();
                let (name, arg) = name.split_once(':').unwrap_or((name, ""));
                self.current = Some(Section::new(name, arg));
            }
        }
    }

    fn close_current(&mut self) {
        if let Some(section) = self.current.take() {
            self.sections.push(section);
        }
    }

    /// Ends the stream and assembles the facts. Problems in single sections are recorded in
    /// `Facts::problems`; only output that is not a whole probe at all is an error.
    pub fn finish(mut self) -> Result<Facts, ProbeError> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
        let Some(version) = self.began.take() else {
            return Err(if self.preview.is_empty() {
                ProbeError::Empty
            } else {
                ProbeError::NotAProbe { preview: self.preview }
            });
        };
        if version != PROBE_VERSION.to_string() {
            return Err(ProbeError::WrongVersion { found: version, expected: PROBE_VERSION });
        }
        if !self.ended {
            let where_ = match (&self.current, self.sections.last()) {
                (Some(s), _) => format!("inside the `{}` section", s.name),
                (None, Some(s)) => format!("after the `{}` section", s.name),
                (None, None) => "right after its first line".to_string(),
            };
            return Err(ProbeError::Truncated { where_ });
        }
        Ok(self.assemble())
    }

    fn assemble(self) -> Facts {
        let mut facts = Facts { probed_wsus_dir: self.wsus_dir.clone(), ..Facts::default() };
        let mut problems = Vec::new();
        let mut note = |section: &str, err: parse::ParseError| {
            problems.push(ProbeProblem { section: section.to_string(), message: err.to_string() })
        };
        let mut reg_native = None;
        let mut reg_wow64 = None;
        let mut whoami = None;
        let mut server = LogTally::new(&self.advisory.signatures.server.text);
        let mut client = LogTally::new(&self.advisory.signatures.client.text);
        for section in &self.sections {
            match section.name.as_str() {
                "ver" => match parse::ver::parse(section) {
                    Ok(v) => facts.os = Some(v),
                    Err(e) => note("ver", e),
                },
                "arch" => match parse::arch::parse(section) {
                    Ok(a) => facts.arch = Some(a),
                    Err(e) => note("arch", e),
                },
                "os" => match parse::wmic::parse(section) {
                    Ok(values) => facts.os_caption = values.get("Caption").filter(|c| !c.is_empty()).cloned(),
                    Err(e) => note("os", e),
                },
                "whoami" => whoami = Some(parse::whoami::parse(section)),
                "reg-native" => reg_native = Some(parse::reg::parse(section)),
                "reg-wow64" => reg_wow64 = Some(parse::reg::parse(section)),
                "dll" => match parse::wmic::parse_datafile(section) {
                    Ok(dll) => facts.dll = dll,
                    Err(e) => note("dll", e),
                },
                "service" => match parse::sc::parse(section) {
                    Ok(status) => facts.services.push(status),
                    Err(e) => note(&format!("service {}", section.arg), e),
                },
                "server-log" => server.merge(section),
                "client-log" => client.merge(section),
                other => note(other, parse::ParseError::UnknownSection),
            }
        }
        facts.server_log = finish_tally(server, "server-log", &mut note);
        facts.client_log = finish_tally(client, "client-log", &mut note);
        facts.wsus = match wsus_install(reg_native, reg_wow64) {
            Ok(w) => w,
            Err((section, e)) => {
                note(section, e);
                WsusInstall::Unknown
            }
        };
        facts.elevation = match (facts.os, whoami) {
            (Some(os), _) if !os.has_uac() => Elevation::NoUac,
            (_, Some(Ok(e))) => e,
            (_, Some(Err(e))) => {
                note("whoami", e);
                Elevation::Unknown
            }
            (_, None) => Elevation::Unknown,
        };
        for expected in ["ver", "arch", "whoami", "reg-native", "reg-wow64", "dll"] {
            if !self.sections.iter().any(|s| s.name == expected) {
                note(expected, parse::ParseError::MissingSection);
            }
        }
        facts.problems = problems;
        facts
    }
}

fn finish_tally(tally: LogTally, section: &str, note: &mut impl FnMut(&str, parse::ParseError)) -> LogEvidence {
    let (evidence, errors) = tally.finish();
    for e in errors {
        note(section, e);
    }
    evidence
}

type SectionResult<T> = Result<T, (&'static str, parse::ParseError)>;

fn wsus_install(
    native: Option<Result<RegLookup, parse::ParseError>>,
    wow64: Option<Result<RegLookup, parse::ParseError>>,
) -> SectionResult<WsusInstall> {
    let native = native.ok_or(("reg-native", parse::ParseError::MissingSection))?.map_err(|e| ("reg-native", e))?;
    // The Wow6432Node view is only consulted when the native view has no key.
    let (key, view) = match native {
        RegLookup::Found(key) => (key, RegistryView::Native),
        RegLookup::NotFound => {
            match wow64.ok_or(("reg-wow64", parse::ParseError::MissingSection))?.map_err(|e| ("reg-wow64", e))? {
                RegLookup::Found(key) => (key, RegistryView::Wow64),
                RegLookup::NotFound => return Ok(WsusInstall::NotInstalled),
            }
        }
    };
    let install_type = match key.value("InstallType") {
        Some(v) => Some(v.as_dword().map_err(|e| ("reg-native", e))?),
        None => None,
    };
    let version = match key.value("VersionString") {
        Some(v) => Some(v.data.parse().map_err(|_| {
            ("reg-native", parse::ParseError::BadValue { name: "VersionString".into(), value: v.data.clone() })
        })?),
        None => None,
    };
    let target_dir =
        key.value("TargetDir").map(|v| v.data.trim_end_matches('\\').to_string()).filter(|d| !d.is_empty());
    Ok(WsusInstall::Installed { install_type, version, target_dir, view })
}
