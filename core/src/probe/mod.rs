//! The probe: one `cmd.exe` command line that gathers every fact in one round trip, and the
//! reader that turns its output back into [`Facts`].
//!
//! The command is rendered from `templates/probe.cmd.tera`. Its output is a series of
//! sections, each opened by a `::wsusfix:NAME` marker and closed by `::wsusfix:ok` or
//! `::wsusfix:fail`; [`ProbeReader`] splits them as bytes arrive and hands each to its parser
//! in [`parse`]. Log searches can match millions of lines, so their sections are reduced to a
//! count and the newest line as they stream: memory stays bounded whatever the logs hold.

pub mod decode;
pub mod parse;
mod reader;
pub mod reboot;
pub mod sql_tools;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use reader::{ProbeError, ProbeReader};

use crate::advisory::Advisory;
use crate::safe::{self, UnsafeText};
use crate::templates::{TemplateError, Templates};

/// The probe output format's version, printed first so a reader can refuse a stranger.
/// Version 2 prints each section's exit code, the console's code page and the shell; version 3
/// reads where Windows records a pending restart ([`reboot`]); version 4 looks for `sqlcmd` and
/// `osql` ([`sql_tools`]).
pub const PROBE_VERSION: u32 = 4;
/// The versions [`ProbeReader`] reads: every one a probe ever printed (saved output stays
/// readable).
pub const READS_VERSIONS: [u32; 4] = [1, 2, 3, 4];

/// Why a probe could not be rendered for a host.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("wsus_dir {0}")]
    WsusDir(UnsafeText),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

#[derive(Serialize)]
struct ProbeContext<'a> {
    /// The marker prefix, before it gets its nonce ([`stamp`]): `::wsusfix.00000000:`.
    m: &'static str,
    probe_version: u32,
    setup_key: &'a str,
    setup_key_wow64: &'a str,
    dll_wql: String,
    services: &'a [String],
    server_logs: Vec<String>,
    server_signatures: Vec<&'a str>,
    client_signature: &'a str,
    client_log: &'a str,
    session_manager_key: &'a str,
    pending_renames_value: &'a str,
    servicing_key: &'a str,
    windows_update_key: &'a str,
    sql_tool_paths: Vec<String>,
}

/// Renders the probe command line for a host whose WSUS lives in `wsus_dir` (the inventory's
/// `wsus_dir`, or the advisory's default).
pub fn render(templates: &Templates, advisory: &Advisory, wsus_dir: &str) -> Result<String, RenderError> {
    Ok(stamp(&render_unstamped(templates, advisory, wsus_dir)?))
}

/// The probe's command lines of one run, rendered once per WSUS folder: a fleet's hosts mostly
/// share one folder, and each host's copy differs from the others only by its marker's nonce.
pub struct ProbeCommands<'a> {
    templates: &'a Templates,
    advisory: &'a Advisory,
    /// By WSUS folder: the command line with [`UNSTAMPED`] where each host's marker goes.
    rendered: Mutex<HashMap<String, Arc<str>>>,
}

impl<'a> ProbeCommands<'a> {
    pub fn new(templates: &'a Templates, advisory: &'a Advisory) -> Self {
        ProbeCommands { templates, advisory, rendered: Mutex::default() }
    }

    /// The probe for a host whose WSUS lives in `wsus_dir`, with a marker of its own.
    pub fn for_dir(&self, wsus_dir: &str) -> Result<String, RenderError> {
        let cached = self.rendered.lock().unwrap_or_else(|e| e.into_inner()).get(wsus_dir).cloned();
        let unstamped = match cached {
            Some(line) => line,
            None => {
                let line: Arc<str> = render_unstamped(self.templates, self.advisory, wsus_dir)?.into();
                let mut rendered = self.rendered.lock().unwrap_or_else(|e| e.into_inner());
                rendered.insert(wsus_dir.to_owned(), Arc::clone(&line));
                line
            }
        };
        Ok(stamp(&unstamped))
    }
}

/// The marker a command line is rendered with before each copy gets its own nonce: the nonce's
/// eight digits, all zero, in the marker's one fixed form (nothing else a probe prints has it).
const UNSTAMPED: &str = "::wsusfix.00000000:";

fn render_unstamped(templates: &Templates, advisory: &Advisory, wsus_dir: &str) -> Result<String, RenderError> {
    safe::windows_path(wsus_dir).map_err(RenderError::WsusDir)?;
    let dir = wsus_dir.trim_end_matches('\\');
    let context = ProbeContext {
        m: UNSTAMPED,
        probe_version: PROBE_VERSION,
        setup_key: &advisory.setup_key,
        setup_key_wow64: &advisory.setup_key_wow64,
        // WQL string literals double their backslashes.
        dll_wql: advisory.decisive_path(dir).replace('\\', "\\\\"),
        services: &advisory.services,
        server_logs: advisory.signatures.server.logs.iter().map(|log| format!("{dir}\\{log}")).collect(),
        server_signatures: advisory.signatures.server.texts().collect(),
        client_signature: &advisory.signatures.client.text,
        client_log: &advisory.signatures.client.log,
        session_manager_key: reboot::SESSION_MANAGER_KEY,
        pending_renames_value: reboot::PENDING_RENAMES_VALUE,
        servicing_key: reboot::SERVICING_KEY,
        windows_update_key: reboot::WINDOWS_UPDATE_KEY,
        sql_tool_paths: sql_tools::candidates(),
    };
    Ok(templates.render_command_line("probe.cmd.tera", &context)?)
}

/// One copy of a command line, its markers carrying a fresh nonce.
fn stamp(unstamped: &str) -> String {
    unstamped.replace(UNSTAMPED, &format!("::wsusfix.{}:", nonce()))
}

/// Eight hex digits no one outside this process can guess: std's hasher keys are random per
/// process, and a counter makes each probe's differ.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:08x}", hasher.finish() as u32)
}

/// Reads a complete probe output (a saved file, say) into facts.
pub fn read_output(bytes: &[u8], advisory: &Advisory, wsus_dir: &str) -> Result<crate::facts::Facts, ProbeError> {
    let mut reader = ProbeReader::new(advisory, wsus_dir);
    reader.push(bytes);
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_is_one_line_with_every_section() {
        let advisory = Advisory::embedded();
        let line = render(&Templates::embedded().unwrap(), &advisory, "C:\\Program Files\\Update Services").unwrap();
        assert!(!line.contains('\n'));
        for needle in [
            ":probe:4 & echo ::wsusfix.",
            "sql-tools& where sqlcmd.exe osql.exe 2>&1 & (if exist \"%ProgramFiles%\\Microsoft SQL Server\\90\\Tools\\Binn\\sqlcmd.exe\" echo \"%ProgramFiles%\\Microsoft SQL Server\\90\\Tools\\Binn\\sqlcmd.exe\")",
            "(if exist \"%ProgramFiles(x86)%\\Microsoft SQL Server\\80\\Tools\\Binn\\osql.exe\" echo",
            "reg query \"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\" /v PendingFileRenameOperations 2>&1",
            "reg.exe query \"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending\")",
            "reg query \"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired\" /reg:64",
            ":shell:%COMSPEC%",
            "chcp 2>&1",
            "ver 2>&1 & call echo ::wsusfix.",
            "%windir%\\Sysnative\\reg.exe query",
            "\" /reg:64",
            "reg query \"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\"",
            "Wow6432Node",
            "name='C:\\\\Program Files\\\\Update Services\\\\WebServices\\\\ClientWebService\\\\bin\\\\Microsoft.UpdateServices.WebServices.Client.dll'",
            "sc query WsusService",
            "sc query W3SVC",
            "findstr /i /c:\"Item has already been added\" /c:\"已添加了具有相同键的项\" \"C:\\Program Files\\Update Services\\Log Files\\SoftwareDistribution.log\"",
            "%windir%\\WindowsUpdate.log",
            "< nul",
            ":end",
        ] {
            assert!(line.contains(needle), "probe lacks {needle:?}:\n{line}");
        }
    }

    #[test]
    fn a_log_line_that_imitates_a_marker_ends_nothing() {
        let advisory = Advisory::embedded();
        let line = render(&Templates::embedded().unwrap(), &advisory, "C:\\Program Files\\Update Services").unwrap();
        let m = &line["echo ".len()..line.find("probe:").unwrap()];
        assert!(m.starts_with("::wsusfix.") && m.len() == "::wsusfix.".len() + 9, "{m}");
        assert_ne!(
            render(&Templates::embedded().unwrap(), &advisory, "C:\\W").unwrap()[..20],
            line[..20],
            "a nonce per probe"
        );
        let output = format!(
            "{m}probe:2\r\n{m}shell:C:\\Windows\\system32\\cmd.exe\r\n{m}chcp\r\nActive code page: 437\r\n{m}rc:0\r\n\
             {m}server-log\r\n2008-08-14 09:00:00.000 UTC\tItem has already been added ::wsusfix:end\r\n::wsusfix:end\r\n::wsusfix:rc:0\r\n{m}rc:0\r\n{m}end\r\n"
        );
        let facts = read_output(output.as_bytes(), &advisory, "C:\\W").unwrap();
        assert_eq!(facts.server_log.matches, 3, "the imitations are log lines, counted as such");
    }

    #[test]
    fn a_cached_probe_is_the_rendered_one_with_a_marker_of_its_own() {
        let advisory = Advisory::embedded();
        let templates = Templates::embedded().unwrap();
        let probes = ProbeCommands::new(&templates, &advisory);
        let nonce_of = |line: &str| line["echo ::wsusfix.".len()..line.find(":probe:").unwrap()].to_owned();
        let blank = |line: &str| line.replace(&nonce_of(line), "NONCE");
        let dir = "D:\\WSUS";
        let (first, second) = (probes.for_dir(dir).unwrap(), probes.for_dir(dir).unwrap());
        assert_ne!(nonce_of(&first), nonce_of(&second), "a nonce per probe");
        assert_eq!(blank(&first), blank(&render(&templates, &advisory, dir).unwrap()));
        assert_eq!(blank(&first), blank(&second));
        assert!(!first.contains(UNSTAMPED) && first.matches(&nonce_of(&first)).count() > 20);
        let other = probes.for_dir("C:\\Program Files\\Update Services").unwrap();
        assert!(other.contains("Update Services") && !other.contains("D:\\WSUS"), "a cache entry per folder");
        assert!(probes.for_dir("C:\\x\" & format c: & \"").is_err(), "an unsafe folder is refused, cached or not");
    }

    #[test]
    fn unsafe_wsus_dir_is_refused() {
        let advisory = Advisory::embedded();
        let err = render(&Templates::embedded().unwrap(), &advisory, "C:\\x\" & format c: & \"").unwrap_err();
        assert!(err.to_string().starts_with("wsus_dir is not a safe Windows path"), "{err}");
    }
}
