//! The advisory definition: everything wsusfix knows about KB954960 as one YAML document.
//!
//! Knowledge is data: the fixed version, the decisive file, package names, switches, exit
//! code meanings and log signatures live here and nowhere else. The embedded default can be
//! replaced by an operator's own file (`--advisory FILE`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::safe::{self, UnsafeText};
use crate::version::FileVersion;

/// The embedded default definition.
pub const EMBEDDED: &str = include_str!("kb954960.yaml");

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advisory {
    pub id: String,
    pub definition_version: u32,
    pub title: String,
    pub url: String,
    pub setup_key: String,
    pub setup_key_wow64: String,
    pub default_wsus_dir: String,
    pub decisive_file: String,
    pub fixed_file_version: FileVersion,
    pub install_types: InstallTypes,
    pub releases: Releases,
    pub package: Package,
    pub exit_codes: ExitCodes,
    pub signatures: Signatures,
    pub services: Vec<String>,
    pub uninstall: Uninstall,
    pub reinstall: Reinstall,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallTypes {
    pub server: Vec<u32>,
    pub console_only: Vec<u32>,
    pub wsus2: Vec<u32>,
}

/// A half-open range of `VersionString` values: `from <= v < below`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRange {
    pub from: FileVersion,
    #[serde(default)]
    pub below: Option<FileVersion>,
    /// The version a stock install of this release reports (for simulated twins and docs).
    pub example: FileVersion,
}

impl VersionRange {
    pub fn contains(&self, v: FileVersion) -> bool {
        v >= self.from && self.below.is_none_or(|b| v < b)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Releases {
    pub wsus2: VersionRange,
    pub rtm: VersionRange,
    pub sp1: VersionRange,
    pub fixed_release: VersionRange,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub x86: String,
    pub x64: String,
    pub install_args: String,
    pub log_file: String,
}

/// The meaning of an installer's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExitMeaning {
    Success,
    SuccessReboot,
    Retry,
    ElevationRequired,
    Failure,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitCodes {
    pub success: Vec<i32>,
    pub success_reboot: Vec<i32>,
    pub retry: Vec<i32>,
    pub elevation_required: Vec<i32>,
    pub meanings: BTreeMap<i32, String>,
}

impl ExitCodes {
    pub fn classify(&self, code: i32) -> ExitMeaning {
        if self.success.contains(&code) {
            ExitMeaning::Success
        } else if self.success_reboot.contains(&code) {
            ExitMeaning::SuccessReboot
        } else if self.retry.contains(&code) {
            ExitMeaning::Retry
        } else if self.elevation_required.contains(&code) {
            ExitMeaning::ElevationRequired
        } else {
            ExitMeaning::Failure
        }
    }

    /// A human description: `1603 (fatal error during installation)`.
    pub fn describe(&self, code: i32) -> String {
        match self.meanings.get(&code) {
            Some(m) => format!("{code} ({m})"),
            None => format!("{code}"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatures {
    pub server: ServerSignature,
    pub client: ClientSignature,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSignature {
    pub text: String,
    /// The same message as localized .NET Frameworks write it (the zh-CN wording first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<String>,
    /// Log files relative to the WSUS install folder.
    pub logs: Vec<String>,
}

impl ServerSignature {
    /// Every wording of the symptom, English first.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text.as_str()).chain(self.translations.iter().map(String::as_str))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSignature {
    pub text: String,
    pub log: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uninstall {
    pub args: String,
    pub properties: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reinstall {
    pub x86: String,
    pub x64: String,
    pub args: String,
    pub properties: BTreeMap<String, String>,
}

/// Why an advisory definition could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    #[error("cannot read advisory definition {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("advisory definition {source_name}{}: {message}", location_suffix(*.line, *.column))]
    Parse { source_name: String, line: Option<usize>, column: Option<usize>, message: String },
    #[error("advisory definition {source_name}: field `{field}` {problem}")]
    Unsafe { source_name: String, field: &'static str, problem: UnsafeText },
    #[error("advisory definition {source_name}: {message}")]
    Invalid { source_name: String, message: String },
}

/// serde_yaml ends its messages with ` at line L column C`, which our own prefix already says.
pub(crate) fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_string(),
        _ => message.to_string(),
    }
}

fn location_suffix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(", line {l}, column {c}"),
        (Some(l), None) => format!(", line {l}"),
        _ => String::new(),
    }
}

impl Advisory {
    /// The definition shipped with wsusfix.
    pub fn embedded() -> Advisory {
        // The embedded text is tested below; failing here is a build defect, not user input.
        Advisory::parse(EMBEDDED, "(embedded)").expect("the embedded advisory definition is valid")
    }

    /// Reads an operator's definition file.
    pub fn load(path: &Path) -> Result<Advisory, AdvisoryError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| AdvisoryError::Read { path: path.to_path_buf(), source })?;
        Advisory::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a definition; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Advisory, AdvisoryError> {
        let advisory: Advisory = serde_yaml::from_str(text).map_err(|e| {
            let loc = e.location();
            AdvisoryError::Parse {
                source_name: source_name.to_string(),
                line: loc.as_ref().map(|l| l.line()),
                column: loc.as_ref().map(|l| l.column()),
                message: strip_location(&e.to_string()),
            }
        })?;
        advisory.validate(source_name)?;
        Ok(advisory)
    }

    /// Everything that reaches a command line must be plain: see [`crate::safe`].
    fn validate(&self, source_name: &str) -> Result<(), AdvisoryError> {
        let unsafe_field = |field: &'static str| {
            move |problem| AdvisoryError::Unsafe { source_name: source_name.to_string(), field, problem }
        };
        safe::registry_key(&self.setup_key).map_err(unsafe_field("setup_key"))?;
        safe::registry_key(&self.setup_key_wow64).map_err(unsafe_field("setup_key_wow64"))?;
        safe::windows_path(&self.default_wsus_dir).map_err(unsafe_field("default_wsus_dir"))?;
        safe::relative_path(&self.decisive_file).map_err(unsafe_field("decisive_file"))?;
        safe::file_name(&self.package.x86).map_err(unsafe_field("package.x86"))?;
        safe::file_name(&self.package.x64).map_err(unsafe_field("package.x64"))?;
        safe::file_name(&self.package.log_file.replace("{package}", "x")).map_err(unsafe_field("package.log_file"))?;
        safe::arguments(&self.package.install_args).map_err(unsafe_field("package.install_args"))?;
        safe::search_text(&self.signatures.server.text).map_err(unsafe_field("signatures.server.text"))?;
        for text in &self.signatures.server.translations {
            safe::search_text(text).map_err(unsafe_field("signatures.server.translations"))?;
        }
        safe::search_text(&self.signatures.client.text).map_err(unsafe_field("signatures.client.text"))?;
        for log in &self.signatures.server.logs {
            safe::relative_path(log).map_err(unsafe_field("signatures.server.logs"))?;
        }
        safe::env_path(&self.signatures.client.log).map_err(unsafe_field("signatures.client.log"))?;
        for service in &self.services {
            safe::service_name(service).map_err(unsafe_field("services"))?;
        }
        safe::arguments(&self.uninstall.args).map_err(unsafe_field("uninstall.args"))?;
        safe::file_name(&self.reinstall.x86).map_err(unsafe_field("reinstall.x86"))?;
        safe::file_name(&self.reinstall.x64).map_err(unsafe_field("reinstall.x64"))?;
        safe::arguments(&self.reinstall.args).map_err(unsafe_field("reinstall.args"))?;
        for (k, v) in self.uninstall.properties.iter().chain(&self.reinstall.properties) {
            safe::property(k, v).map_err(unsafe_field("properties"))?;
        }
        if self.signatures.server.logs.is_empty() {
            return Err(AdvisoryError::Invalid {
                source_name: source_name.to_string(),
                message: "signatures.server.logs is empty".into(),
            });
        }
        let r = &self.releases;
        if !r.sp1.contains(r.sp1.example)
            || !r.rtm.contains(r.rtm.example)
            || !r.fixed_release.contains(r.fixed_release.example)
        {
            return Err(AdvisoryError::Invalid {
                source_name: source_name.to_string(),
                message: "a release's example version lies outside its own range".into(),
            });
        }
        Ok(())
    }

    /// The full Windows path of the decisive DLL under a WSUS install folder.
    pub fn decisive_path(&self, wsus_dir: &str) -> String {
        format!("{}\\{}", wsus_dir.trim_end_matches('\\'), self.decisive_file)
    }

    /// The installer log's file name (in %windir%) for a package file name.
    pub fn install_log_for(&self, package_file: &str) -> String {
        let stem = package_file.strip_suffix(".exe").unwrap_or(package_file);
        self.package.log_file.replace("{package}", stem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_definition_loads_and_knows_the_fix() {
        let a = Advisory::embedded();
        assert_eq!(a.fixed_file_version, FileVersion::new(3, 1, 6001, 66));
        assert!(a.releases.sp1.contains("3.1.6001.65".parse().unwrap()));
        assert!(!a.releases.sp1.contains("3.2.7600.226".parse().unwrap()));
        assert_eq!(a.exit_codes.classify(740), ExitMeaning::ElevationRequired);
        assert_eq!(a.exit_codes.classify(3010), ExitMeaning::SuccessReboot);
        assert_eq!(a.exit_codes.classify(1618), ExitMeaning::Retry);
        assert_eq!(a.exit_codes.classify(1603), ExitMeaning::Failure);
        assert_eq!(a.exit_codes.describe(1603), "1603 (fatal error during installation)");
    }

    #[test]
    fn broken_override_reports_line_and_column() {
        let broken = EMBEDDED.replace("fixed_file_version: 3.1.6001.66", "fixed_file_version: [oops");
        let err = Advisory::parse(&broken, "mine.yaml").unwrap_err().to_string();
        assert!(err.starts_with("advisory definition mine.yaml, line "), "{err}");
        assert!(err.contains("column"), "{err}");
    }

    #[test]
    fn unknown_field_is_named() {
        let text = format!("{EMBEDDED}\nfixed_version_typo: 1\n");
        let err = Advisory::parse(&text, "mine.yaml").unwrap_err().to_string();
        assert!(err.contains("fixed_version_typo"), "{err}");
    }

    #[test]
    fn override_cannot_smuggle_shell_syntax() {
        let text = EMBEDDED.replace("install_args: '/quiet /norestart'", "install_args: '/quiet & del C:\\x'");
        let err = Advisory::parse(&text, "mine.yaml").unwrap_err().to_string();
        assert!(err.contains("package.install_args") && err.contains('&'), "{err}");
    }
}
