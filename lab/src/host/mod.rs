//! The state of one simulated Windows host: operating system, environment, registry, files,
//! services, scheduled tasks, the session's token, and the fault switches of its installer.
//! Everything a command can observe or change lives here, and it serialises to JSON so a
//! host survives a restart of the lab (`--state DIR`).

pub mod clock;
pub mod fs;
pub mod reboot;
pub mod registry;
pub mod sql_tools;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::locale::Language;
pub use clock::Timestamp;
pub use fs::{Content, FileEntry, FileSystem};
pub use reboot::PendingReboot;
pub use registry::{RegData, Registry};

/// Windows release family; decides output formats and which options exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Windows Server 2003 (5.2): no UAC, reg.exe 3.0, schtasks without `/rl` and `/f`.
    W2003,
    /// Windows Server 2008 (6.0/6.1): UAC, newer tools.
    W2008,
}

/// Processor architecture of the OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    X86,
    X64,
}

/// Which SSH server a host runs, each modelled on its documented behaviour (see
/// `lab/README.md`, "Languages and SSH servers").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SshServer {
    /// Win32-OpenSSH: the exec line runs as `cmd.exe /c LINE`; the exit status is the full
    /// 32-bit code.
    #[default]
    #[serde(rename = "win32-openssh")]
    Win32OpenSsh,
    /// Bitvise SSH Server (WinSSHD): cmd.exe and the full exit status, as Win32-OpenSSH; only
    /// its identification string differs.
    #[serde(rename = "bitvise")]
    Bitvise,
    /// Cygwin's (or Copssh's) OpenSSH: the exec line runs in the user's login shell, bash,
    /// and the exit status is the low byte of the code (3010 arrives as 194).
    #[serde(rename = "cygwin")]
    Cygwin,
    /// freeSSHd: a 32-bit service, so on x64 its cmd.exe and reg.exe are the WOW64 ones;
    /// it sends no exit status at all.
    #[serde(rename = "freesshd")]
    Freesshd,
}

impl SshServer {
    /// Every flavour the lab models.
    pub const ALL: [SshServer; 4] =
        [SshServer::Win32OpenSsh, SshServer::Bitvise, SshServer::Cygwin, SshServer::Freesshd];

    /// `win32-openssh` (or `openssh`), `bitvise` (or `winsshd`), `cygwin` (or `copssh`),
    /// `freesshd`; case-insensitive.
    pub fn parse(text: &str) -> Option<SshServer> {
        match text.trim().to_ascii_lowercase().as_str() {
            "win32-openssh" | "openssh" | "win32openssh" => Some(SshServer::Win32OpenSsh),
            "bitvise" | "winsshd" => Some(SshServer::Bitvise),
            "cygwin" | "copssh" => Some(SshServer::Cygwin),
            "freesshd" => Some(SshServer::Freesshd),
            _ => None,
        }
    }

    /// The name profiles and host specs use.
    pub fn name(self) -> &'static str {
        match self {
            SshServer::Win32OpenSsh => "win32-openssh",
            SshServer::Bitvise => "bitvise",
            SshServer::Cygwin => "cygwin",
            SshServer::Freesshd => "freesshd",
        }
    }

    /// The SSH identification string the server sends.
    pub fn ident(self) -> &'static str {
        match self {
            SshServer::Win32OpenSsh => "SSH-2.0-OpenSSH_for_Windows_7.7",
            SshServer::Bitvise => "SSH-2.0-5.22 FlowSsh: Bitvise SSH Server (WinSSHD) 5.22",
            SshServer::Cygwin => "SSH-2.0-OpenSSH_5.1",
            SshServer::Freesshd => "SSH-2.0-WeOnlyDo 2.1.3",
        }
    }

    /// True when the server's processes are 32-bit (WOW64 on an x64 host).
    pub fn is_32bit(self) -> bool {
        self == SshServer::Freesshd
    }

    /// True when the server sends an `exit-status` request when a command ends.
    pub fn sends_exit_status(self) -> bool {
        self != SshServer::Freesshd
    }

    /// True when exec lines go to bash instead of cmd.exe.
    pub fn runs_bash(self) -> bool {
        self == SshServer::Cygwin
    }
}

impl std::fmt::Display for SshServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SshServer {
    type Err = String;

    fn from_str(s: &str) -> Result<SshServer, String> {
        SshServer::parse(s).ok_or_else(|| {
            let known: Vec<&str> = SshServer::ALL.iter().map(|f| f.name()).collect();
            format!("unknown SSH server `{s}` (known: {})", known.join(", "))
        })
    }
}

/// The token an SSH session gets on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Token {
    /// Full administrator token (2003 administrators, 2008 elevated sessions).
    Elevated,
    /// UAC-filtered token: installers exit 740.
    Filtered,
}

/// Who runs a command: the SSH user, or SYSTEM through a scheduled task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    User(Token),
    System,
}

impl Principal {
    /// True when the principal holds a full token.
    pub fn elevated(self) -> bool {
        !matches!(self, Principal::User(Token::Filtered))
    }
}

/// Service states as `sc query` numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Stopped,
    StartPending,
    StopPending,
    Running,
}

impl ServiceState {
    /// The number `sc query` prints before the state name.
    pub fn code(self) -> u32 {
        match self {
            ServiceState::Stopped => 1,
            ServiceState::StartPending => 2,
            ServiceState::StopPending => 3,
            ServiceState::Running => 4,
        }
    }

    /// The state name `sc query` prints.
    pub fn label(self) -> &'static str {
        match self {
            ServiceState::Stopped => "STOPPED",
            ServiceState::StartPending => "START_PENDING",
            ServiceState::StopPending => "STOP_PENDING",
            ServiceState::Running => "RUNNING",
        }
    }
}

/// An installed service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub display_name: String,
    /// 0x10 own process, 0x20 shared process.
    #[serde(default = "own_process")]
    pub kind: u32,
    pub state: ServiceState,
}

fn own_process() -> u32 {
    0x10
}

/// A scheduled task created with `schtasks /create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub name: String,
    pub run: String,
    pub run_as: String,
    pub start_time: String,
    pub created: Timestamp,
    #[serde(default)]
    pub last_run: Option<Timestamp>,
    #[serde(default)]
    pub last_result: Option<i32>,
    /// Command lines still to run on the host before a started task finishes.
    #[serde(default)]
    pub running_for: Option<u32>,
}

/// Fault switches of the host's installers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallerFaults {
    /// The next this-many package runs exit 1618 (another installation is in progress).
    #[serde(default)]
    pub busy_runs: u32,
    /// Package runs exit 1603 and change nothing.
    #[serde(default)]
    pub fails: bool,
    /// A package run that succeeds exits 3010 (success, restart required) instead of 0.
    #[serde(default)]
    pub reboot_required: bool,
}

/// A restart or shutdown `shutdown /r` or `/s` scheduled. The lab never goes down: the record
/// is what a test (or `lab exec`) looks at. It is due `delay_secs` after `requested` (host
/// clock); until then it is pending, and `shutdown /a` can abort it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledShutdown {
    /// `/r`: a restart; otherwise a shutdown (`/s`).
    pub restart: bool,
    pub requested: Timestamp,
    pub delay_secs: u64,
    /// The `/c` comment.
    #[serde(default)]
    pub comment: String,
    /// Who asked: the session's user, or `SYSTEM` (a scheduled task).
    pub by: String,
    /// `shutdown /a` aborted it before it was due.
    #[serde(default)]
    pub aborted: bool,
    /// It fell due and the host restarted (what a restart clears is cleared).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub happened: bool,
}

impl ScheduledShutdown {
    /// When it takes effect (host clock).
    pub fn due(&self) -> Timestamp {
        self.requested.saturating_add(self.delay_secs)
    }
}

/// A WSUS database kept by an uninstall with `DELETE_DATABASE=0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptDatabase {
    pub sql_server_name: String,
    pub content_dir: String,
    pub target_dir: String,
}

/// The whole state of a simulated host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostState {
    pub name: String,
    pub profile: String,
    pub os: Os,
    /// `5.2.3790`, `6.0.6001`, ...
    pub os_version: String,
    /// `wmic os get Caption`.
    pub caption: String,
    pub arch: Arch,
    pub token: Token,
    /// Whether `whoami.exe` exists (2003 without support tools: no).
    pub whoami: bool,
    pub user: String,
    pub cwd: String,
    pub env: BTreeMap<String, String>,
    pub registry: Registry,
    pub fs: FileSystem,
    pub services: Vec<Service>,
    #[serde(default)]
    pub tasks: Vec<Task>,
    #[serde(default)]
    pub installer: InstallerFaults,
    #[serde(default)]
    pub kept_database: Option<KeptDatabase>,
    /// Every restart and shutdown `shutdown` accepted, oldest first (aborted ones included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shutdowns: Vec<ScheduledShutdown>,
    /// Command lines before a started scheduled task finishes (0: finishes at once).
    #[serde(default)]
    pub task_run_lines: u32,
    pub clock: Timestamp,
    /// Command lines run so far; seeds the noise of some outputs.
    #[serde(default)]
    pub lines_run: u64,
    /// The display language: decides every message's wording and the console code page.
    #[serde(default)]
    pub language: Language,
    /// The SSH server in front of the host.
    #[serde(default)]
    pub ssh_server: SshServer,
    /// Free bytes on drive C: (`dir`, `wmic logicaldisk`).
    #[serde(default = "default_free_bytes")]
    pub free_bytes: u64,
}

/// 10 GiB free on C: unless a profile says otherwise.
pub const DEFAULT_FREE_BYTES: u64 = 10_737_418_240;

fn default_free_bytes() -> u64 {
    DEFAULT_FREE_BYTES
}

impl HostState {
    /// True when an SSH session's processes are 32-bit on a 64-bit host (WOW64): the SSH
    /// server is a 32-bit program, so its cmd.exe and everything it starts are too.
    pub fn session_is_wow64(&self) -> bool {
        self.arch == Arch::X64 && self.ssh_server.is_32bit()
    }

    /// The principal of an SSH session on this host (its profile's token).
    pub fn session_principal(&self) -> Principal {
        Principal::User(self.token)
    }

    /// An environment variable, looked up case-insensitively.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The restart or shutdown still waiting for its time, if any (not aborted, not yet due).
    pub fn pending_shutdown(&self) -> Option<&ScheduledShutdown> {
        self.shutdowns.last().filter(|s| !s.aborted && s.due() > self.clock)
    }

    /// How many restarts were scheduled and not aborted (due or still pending).
    pub fn restarts(&self) -> usize {
        self.shutdowns.iter().filter(|s| s.restart && !s.aborted).count()
    }

    /// A service by name or display name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.eq_ignore_ascii_case(name) || s.display_name.eq_ignore_ascii_case(name))
    }

    /// Mutable access to a service by name or display name.
    pub fn service_mut(&mut self, name: &str) -> Option<&mut Service> {
        self.services
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(name) || s.display_name.eq_ignore_ascii_case(name))
    }

    /// Normalises a path relative to the session's directory.
    pub fn path(&self, raw: &str) -> String {
        fs::normalize(&self.cwd, raw)
    }

    /// `%windir%` as the host spells it.
    pub fn windir(&self) -> String {
        self.env_var("windir").unwrap_or("C:\\WINDOWS").to_string()
    }

    /// The WSUS server setup key that exists on this host (native view first).
    pub fn wsus_setup_key(&self) -> Option<String> {
        [SETUP_KEY, SETUP_KEY_WOW64].into_iter().find(|k| self.registry.key(k).is_some()).map(str::to_string)
    }

    /// A value of the WSUS setup key, from whichever view holds it.
    pub fn wsus_setting(&self, name: &str) -> Option<RegData> {
        let key = self.wsus_setup_key()?;
        self.registry.value(&key, name).map(|v| v.data.clone())
    }

    /// The client web service DLL's path under the WSUS install directory.
    pub fn wsus_dll_path(&self) -> Option<String> {
        let target = self.wsus_setting("TargetDir")?.as_text();
        Some(self.path(&format!("{}\\{WSUS_DLL}", target.trim_end_matches('\\'))))
    }
}

/// The WSUS server setup key (native view).
pub const SETUP_KEY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup";
/// The same key in the 32-bit view of a 64-bit machine.
pub const SETUP_KEY_WOW64: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node\Microsoft\Update Services\Server\Setup";
/// The DLL whose version proves the fix, relative to `TargetDir`.
pub const WSUS_DLL: &str = r"WebServices\ClientWebService\bin\Microsoft.UpdateServices.WebServices.Client.dll";
