//! Splits streamed probe output into sections and assembles [`Facts`] from them.

use crate::advisory::Advisory;
use crate::facts::{Elevation, Facts, LogEvidence, ProbeProblem, RegistryView, WsusInstall};

use super::{reboot, sql_tools};

use super::decode::{chcp_page, decode};
use super::parse::{self, LogTally, RegLookup, Section, SectionStatus};
use super::{PROBE_VERSION, READS_VERSIONS};

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
    #[error("the probe output is version {found}, this wsusfix reads versions 1 to {expected}")]
    WrongVersion { found: String, expected: u32 },
    #[error(
        "this host's SSH server runs commands with a POSIX shell, not cmd.exe (it printed %COMSPEC% \
         unexpanded): set `ansible_shell_type: sh` for the host"
    )]
    PosixShell,
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
    /// The console's code page, once the `chcp` section told it.
    code_page: Option<u16>,
    /// What `%COMSPEC%` expanded to.
    shell: Option<String>,
    /// What `%COMPUTERNAME%` expanded to.
    computer_name: Option<String>,
    /// The marker prefix this probe uses: `::wsusfix:`, or with its nonce `::wsusfix.NONCE:`
    /// (learnt from the first line), after which no other prefix is a marker.
    marker: Option<String>,
    /// The probe version the output names (set when it is accepted).
    version: String,
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
            code_page: None,
            shell: None,
            computer_name: None,
            marker: None,
            version: String::new(),
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
        let text = decode(raw, self.code_page);
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
        if self.marker.is_none() {
            self.marker = marker_prefix(trimmed);
        }
        if let Some(marker) = self.marker.as_deref().and_then(|m| trimmed.strip_prefix(m)) {
            let marker = marker.trim().to_string();
            self.marker(&marker);
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
                let status = if marker == "ok" { SectionStatus::Ok } else { SectionStatus::Failed };
                self.close_with(status);
            }
            m if m.starts_with("rc:") => match m["rc:".len()..].trim().parse::<i64>() {
                Ok(code) => self.close_with(SectionStatus::Exit(code)),
                // `call` did not expand it: the line did not go through cmd.exe as written.
                Err(_) => self.close_with(SectionStatus::Unclosed),
            },
            m if m.starts_with("via:") => {
                if let Some(section) = &mut self.current {
                    section.via = Some(m["via:".len()..].to_string());
                }
            }
            m if m.starts_with("shell:") => self.shell = Some(m["shell:".len()..].to_string()),
            m if m.starts_with("name:") => {
                let name = m["name:".len()..].trim();
                self.computer_name = (!name.is_empty() && !name.starts_with('%')).then(|| name.to_string());
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

    fn close_with(&mut self, status: SectionStatus) {
        if let Some(mut section) = self.current.take() {
            section.status = status;
            if section.name == "chcp" {
                self.code_page = section.text_lines().find_map(chcp_page).filter(|&p| super::decode::is_known(p));
            }
            self.sections.push(section);
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
        if !READS_VERSIONS.iter().any(|v| version == v.to_string()) {
            return Err(ProbeError::WrongVersion { found: version, expected: PROBE_VERSION });
        }
        if self.shell.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("%COMSPEC%")) {
            return Err(ProbeError::PosixShell);
        }
        if !self.ended {
            let where_ = match (&self.current, self.sections.last()) {
                (Some(s), _) => format!("inside the `{}` section", s.name),
                (None, Some(s)) => format!("after the `{}` section", s.name),
                (None, None) => "right after its first line".to_string(),
            };
            return Err(ProbeError::Truncated { where_ });
        }
        self.version = version;
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
        let mut server = LogTally::new(self.advisory.signatures.server.texts());
        let mut client = LogTally::new([self.advisory.signatures.client.text.as_str()]);
        facts.code_page = self.code_page;
        facts.computer_name = self.computer_name.clone();
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
                "chcp" => {}
                "os" => match parse::wmic::parse(section) {
                    Ok(values) => facts.os_caption = values.get("Caption").filter(|c| !c.is_empty()).cloned(),
                    Err(e) => note("os", e),
                },
                "whoami" => whoami = Some(parse::whoami::parse(section)),
                "reg-native" => {
                    facts.session_wow64 = self.sections.iter().any(|s| s.name == "arch" && parse::arch::is_wow64(s));
                    reg_native = Some(native_view(section, facts.session_wow64));
                }
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
                name if reboot::is_reboot_section(name) => {}
                sql_tools::SECTION => facts.sql_tool = Some(sql_tools::read(section)),
                other => note(other, parse::ParseError::UnknownSection),
            }
        }
        let session_wow64 = self.sections.iter().any(|s| s.name == "arch" && parse::arch::is_wow64(s));
        let mut pending = Vec::new();
        for (name, source) in reboot::SECTIONS {
            let Some(section) = reboot::section_of(&self.sections, source) else { continue };
            let lookup = match source {
                // SYSTEM is not redirected; SOFTWARE is, so those keys are read in the native view.
                crate::facts::RebootSource::PendingFileRenameOperations => parse::reg::parse(section),
                _ => native_view(section, session_wow64),
            };
            match reboot::says_pending(source, lookup) {
                Ok(true) => pending.push(source),
                Ok(false) => {}
                Err(e) => note(name, e),
            }
        }
        facts.reboot_pending = reboot::pending(pending);
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
        // Version 2 is known by its exit codes (a version-2 line may lack its version).
        let version = match self.version.parse::<u32>().unwrap_or(0) {
            v if v >= 3 => v,
            _ if self.sections.iter().any(|s| s.status.code().is_some()) => 2,
            _ => 1,
        };
        let expected = EXPECTED_SECTIONS.iter().filter(|(_, since)| *since <= version).map(|(name, _)| *name);
        for expected in expected {
            if !self.sections.iter().any(|s| s.name == expected) {
                note(expected, parse::ParseError::MissingSection);
            }
        }
        facts.problems = problems;
        facts
    }
}

/// The sections every probe prints, with the version that began printing each.
const EXPECTED_SECTIONS: [(&str, u32); 11] = [
    ("chcp", 2),
    ("ver", 1),
    ("arch", 1),
    ("whoami", 1),
    ("reg-native", 1),
    ("reg-wow64", 1),
    ("dll", 1),
    ("reboot-renames", 3),
    ("reboot-servicing", 3),
    ("reboot-wu", 3),
    (sql_tools::SECTION, 4),
];

fn finish_tally(tally: LogTally, section: &str, note: &mut impl FnMut(&str, parse::ParseError)) -> LogEvidence {
    let (evidence, errors) = tally.finish();
    for e in errors {
        note(section, e);
    }
    evidence
}

type SectionResult<T> = Result<T, (&'static str, parse::ParseError)>;

/// The marker prefix of a probe's first line: `::wsusfix:probe:2` (no nonce, earlier probes) or
/// `::wsusfix.3f9c02ab:probe:2`.
fn marker_prefix(line: &str) -> Option<String> {
    let rest = line.strip_prefix("::wsusfix")?;
    if rest.starts_with(":probe:") {
        return Some(MARKER.to_string());
    }
    let nonce = rest.strip_prefix('.')?.split(':').next()?;
    (nonce.len() <= 32
        && nonce.chars().all(|c| c.is_ascii_alphanumeric())
        && rest[1 + nonce.len()..].starts_with(":probe:"))
    .then(|| format!("::wsusfix.{nonce}:"))
}

/// The native registry view's answer, trusted only where the session could see that view: a
/// 32-bit shell on 64-bit Windows (`session_wow64`) sees it through `%windir%\Sysnative` or
/// reg.exe's `/reg:64`; a plain `reg query` there reads the WOW64 view, so its "not found"
/// proves nothing.
fn native_view(section: &Section, session_wow64: bool) -> Result<RegLookup, parse::ParseError> {
    let via = section.via.as_deref();
    match parse::reg::parse(section) {
        Ok(RegLookup::NotFound) if session_wow64 && !matches!(via, Some("sysnative" | "reg64")) => {
            Err(parse::ParseError::NativeViewHidden)
        }
        // A reg.exe without /reg:64 refuses the switch: the native view stayed out of sight.
        Err(_) if session_wow64 && via == Some("reg64") => Err(parse::ParseError::NativeViewHidden),
        other => other,
    }
}

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
