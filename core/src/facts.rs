//! What a probe learned about one host, as types. Facts are decided from probe output alone
//! and are the only input of the assessment and the plan.

use serde::{Deserialize, Serialize};

use crate::time::UtcTime;
use crate::version::{FileVersion, WindowsVersion};

/// Everything the assessment needs to know about a host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub os: Option<WindowsVersion>,
    /// The OS caption (`Microsoft(R) Windows(R) Server 2003, Standard Edition`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_caption: Option<String>,
    pub arch: Option<Arch>,
    /// The shell is a 32-bit process on 64-bit Windows (a 32-bit SSH server): it sees the
    /// WOW64 registry view unless told otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub session_wow64: bool,
    /// The server's own name (`%COMPUTERNAME%`): one server under several inventory names
    /// shows the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    /// The console's code page, as `chcp` printed it (the probe decoded its output with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_page: Option<u16>,
    pub elevation: Elevation,
    pub wsus: WsusInstall,
    /// The WSUS folder the probe looked in for the decisive DLL.
    pub probed_wsus_dir: String,
    pub dll: DllState,
    pub services: Vec<ServiceStatus>,
    pub server_log: LogEvidence,
    pub client_log: LogEvidence,
    /// A restart Windows is waiting for, and which of its records say so; `None` when none
    /// does (or the probe, older than version 3, did not look, or could not read them: then
    /// `problems` says which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_pending: Option<RebootPending>,
    /// What the host has to back up SUSDB with (`sqlcmd`, else `osql`), or that it has none;
    /// `None` when the probe, older than version 4, did not look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_tool: Option<SqlToolSearch>,
    /// Sections of the probe output that could not be read, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProbeProblem>,
}

/// The processor architecture of the operating system (not of the shell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arch {
    X86,
    X64,
    Ia64,
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
            Arch::Ia64 => "ia64",
        })
    }
}

/// Whether the remote session can run an installer directly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Elevation {
    /// A full administrator token (High Mandatory Level, or SYSTEM).
    Elevated,
    /// A UAC-filtered token (Medium Mandatory Level): installers exit 740.
    Filtered,
    /// Windows without UAC (Server 2003): an administrator runs installers directly.
    NoUac,
    #[default]
    Unknown,
}

/// What the WSUS Setup registry key says.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum WsusInstall {
    /// Neither registry view has the Setup key.
    NotInstalled,
    Installed {
        install_type: Option<u32>,
        version: Option<FileVersion>,
        /// `TargetDir`, the install folder, when recorded.
        target_dir: Option<String>,
        /// Which registry view held the key.
        view: RegistryView,
    },
    /// The registry could not be read (access denied, odd output).
    #[default]
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryView {
    Native,
    Wow64,
}

/// The decisive DLL as read from the host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum DllState {
    Present {
        version: FileVersion,
        /// When the file was last written: for the fixed DLL, when the fix went in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        modified: Option<UtcTime>,
    },
    Missing,
    #[default]
    Unknown,
}

/// A service's name and state as `sc query` reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub name: String,
    pub state: ServiceState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceState {
    Stopped,
    StartPending,
    StopPending,
    Running,
    ContinuePending,
    PausePending,
    Paused,
    NotInstalled,
    Unknown,
}

/// What the log search found: how many lines matched, and the newest one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogEvidence {
    /// Whether any searched log file existed.
    pub log_found: bool,
    pub matches: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_time: Option<UtcTime>,
}

/// A restart Windows is waiting for: the records that say so (at least one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebootPending {
    pub sources: Vec<RebootSource>,
}

/// Where Windows records a restart it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RebootSource {
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager` value
    /// `PendingFileRenameOperations`: files in use that are replaced or deleted at the next boot
    /// (what an installer answering 3010 leaves).
    PendingFileRenameOperations,
    /// The servicing stack's `Component Based Servicing\RebootPending` key (Vista and Server
    /// 2008 on; Server 2003 has no such key).
    ComponentBasedServicing,
    /// Windows Update's `WindowsUpdate\Auto Update\RebootRequired` key.
    WindowsUpdate,
}

impl RebootSource {
    /// The registry name an administrator would look for.
    pub fn as_str(self) -> &'static str {
        match self {
            RebootSource::PendingFileRenameOperations => "PendingFileRenameOperations",
            RebootSource::ComponentBasedServicing => "Component Based Servicing\\RebootPending",
            RebootSource::WindowsUpdate => "WindowsUpdate\\Auto Update\\RebootRequired",
        }
    }
}

impl std::fmt::Display for RebootSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for RebootPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.sources.iter().map(|s| s.as_str()).collect();
        write!(f, "a restart is pending ({})", names.join(", "))
    }
}

/// What the probe's search for a SQL command-line tool found. A Windows Internal Database
/// ships neither `sqlcmd` nor `osql`: they come with SQL Server's tools.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SqlToolSearch {
    /// The tool the backup uses (`sqlcmd` when both are there).
    Found(SqlTool),
    /// Neither `sqlcmd.exe` nor `osql.exe` on the `PATH` or in SQL Server's tools folders.
    NoneFound,
}

impl SqlToolSearch {
    /// The tool found, if any.
    pub fn tool(&self) -> Option<&SqlTool> {
        match self {
            SqlToolSearch::Found(tool) => Some(tool),
            SqlToolSearch::NoneFound => None,
        }
    }
}

/// A SQL command-line tool on the host, by its full path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlTool {
    pub kind: SqlToolKind,
    pub path: String,
}

/// Which SQL command-line tool: both take `-S -E -b -Q` alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SqlToolKind {
    /// SQL Server 2005's `sqlcmd.exe`.
    Sqlcmd,
    /// The older `osql.exe` (SQL Server 2000 and 2005).
    Osql,
}

impl SqlToolKind {
    /// The program's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            SqlToolKind::Sqlcmd => "sqlcmd.exe",
            SqlToolKind::Osql => "osql.exe",
        }
    }
}

impl std::fmt::Display for SqlToolKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SqlToolKind::Sqlcmd => "sqlcmd",
            SqlToolKind::Osql => "osql",
        })
    }
}

/// A section of probe output that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeProblem {
    pub section: String,
    pub message: String,
}

impl Facts {
    pub fn service(&self, name: &str) -> Option<ServiceState> {
        self.services.iter().find(|s| s.name.eq_ignore_ascii_case(name)).map(|s| s.state)
    }
}
