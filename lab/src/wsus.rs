//! What installing and removing WSUS does to a host: the setup registry key, the client web
//! service DLL, the log folder and the three services. Profiles describe a WSUS install with a
//! [`WsusSpec`]; the simulated `WSUSSetup.exe` uses the same functions, so a reinstall looks
//! exactly like a profile's fresh install.

use serde::{Deserialize, Serialize};

use crate::host::fs::{normalize, FileEntry};
use crate::host::{
    clock, Content, HostState, KeptDatabase, RegData, Service, ServiceState, Timestamp, SETUP_KEY, SETUP_KEY_WOW64,
    WSUS_DLL,
};

/// Version strings of the releases that matter (see docs/kb954960.md section 3).
pub const RTM: &str = "3.0.6000.273";
pub const SP1: &str = "3.1.6001.65";
pub const FIXED_DLL: &str = "3.1.6001.66";
pub const SP2: &str = "3.2.7600.226";

/// Which registry view the WSUS build wrote its setup key to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryView {
    #[default]
    Native,
    Wow64,
}

/// A WSUS install as a profile describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsusSpec {
    /// 1 server, 2 console only; WSUS 2.0 used 32/64/128.
    #[serde(default = "server_install")]
    pub install_type: u32,
    pub version: String,
    /// Version of the client web service DLL; `null` for no DLL (2.0, console only).
    #[serde(default)]
    pub dll_version: Option<String>,
    /// When the DLL was last written (`2008-02-20 10:00:00`).
    #[serde(default = "default_dll_modified")]
    pub dll_modified: String,
    #[serde(default)]
    pub view: RegistryView,
    #[serde(default = "default_target_dir")]
    pub target_dir: String,
    #[serde(default = "default_content_dir")]
    pub content_dir: String,
    /// `SqlServerName`; `%COMPUTERNAME%` is replaced.
    #[serde(default = "default_sql")]
    pub sql_server_name: String,
    #[serde(default = "one")]
    pub wyukon_installed: u32,
    /// Whether the server services (WsusService, W3SVC, the internal database) exist.
    #[serde(default = "yes")]
    pub services: bool,
}

fn server_install() -> u32 {
    1
}
fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn default_dll_modified() -> String {
    "2008-02-20 10:00:00".into()
}
fn default_target_dir() -> String {
    r"C:\Program Files\Update Services\".into()
}
fn default_content_dir() -> String {
    r"C:\WSUS".into()
}
fn default_sql() -> String {
    r"%COMPUTERNAME%\MICROSOFT##SSEE".into()
}

impl WsusSpec {
    /// WSUS 3.0 SP1 as its setup installs it, against the given directories.
    pub fn sp1(target_dir: &str, content_dir: &str, sql_server_name: &str) -> WsusSpec {
        WsusSpec {
            install_type: 1,
            version: SP1.into(),
            dll_version: Some(SP1.into()),
            dll_modified: default_dll_modified(),
            view: RegistryView::Native,
            target_dir: target_dir.into(),
            content_dir: content_dir.into(),
            sql_server_name: sql_server_name.into(),
            wyukon_installed: 1,
            services: true,
        }
    }
}

/// The server log, relative to `TargetDir`.
pub const SERVER_LOG: &str = r"LogFiles\SoftwareDistribution.log";

const SERVICES: [(&str, &str, u32); 3] = [
    ("WsusService", "Update Services", 0x10),
    ("W3SVC", "World Wide Web Publishing Service", 0x20),
    ("MSSQL$MICROSOFT##SSEE", "Windows Internal Database (MICROSOFT##SSEE)", 0x10),
];

/// Applies a WSUS install to a host. `dll_modified` overrides the spec's date (reinstalls).
pub fn install(host: &mut HostState, spec: &WsusSpec, dll_modified: Option<Timestamp>) {
    let key = match spec.view {
        RegistryView::Native => SETUP_KEY,
        RegistryView::Wow64 => SETUP_KEY_WOW64,
    };
    let sql = spec.sql_server_name.replace("%COMPUTERNAME%", host.env_var("COMPUTERNAME").unwrap_or("WSUS"));
    let target = spec.target_dir.clone();
    let reg = &mut host.registry;
    reg.set(key, "InstallType", RegData::Dword(spec.install_type));
    reg.set(key, "VersionString", RegData::Sz(spec.version.clone()));
    reg.set(key, "TargetDir", RegData::Sz(target.clone()));
    reg.set(key, "ContentDir", RegData::Sz(spec.content_dir.clone()));
    reg.set(key, "SqlServerName", RegData::Sz(sql));
    reg.set(key, "wYukonInstalled", RegData::Dword(spec.wyukon_installed));
    reg.set(key, "SqlInstanceIsRemote", RegData::Dword(0));
    let target_path = host.path(&target);
    host.fs.mkdir_all(&target_path);
    if let Some(version) = &spec.dll_version {
        let modified = dll_modified.or_else(|| clock::parse(&spec.dll_modified)).unwrap_or(host.clock);
        let path = host.path(&format!("{}\\{WSUS_DLL}", target_path.trim_end_matches('\\')));
        let content = Content::Text(format!("MZ simulated Microsoft.UpdateServices.WebServices.Client {version}"));
        host.fs.put(FileEntry { path, version: Some(version.clone()), modified, content });
    }
    if spec.install_type == 1 || spec.services {
        let log = normalize(&target_path, SERVER_LOG);
        if host.fs.file(&log).is_none() {
            let filler =
                "2008-06-30 02:00:00.000 UTC\tInfo\tWsusService.13\tThreadEntry\tCatalogSyncAgentCore: state {n}";
            let content = Content::Generated { filler: filler.into(), filler_lines: 200, tail: Vec::new() };
            host.fs.put(FileEntry { path: log, version: None, modified: host.clock, content });
        }
        let content_dir = host.path(&spec.content_dir);
        host.fs.mkdir_all(&format!("{content_dir}\\WsusContent"));
    }
    if spec.services {
        for (name, display, kind) in SERVICES {
            if host.service(name).is_none() {
                host.services.push(Service {
                    name: name.into(),
                    display_name: display.into(),
                    kind,
                    state: ServiceState::Running,
                });
            }
        }
    }
}

/// Which parts of WSUS an uninstall removes (`DELETE_*=1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Removal {
    pub database: bool,
    pub content: bool,
    pub logs: bool,
}

/// Uninstalls WSUS; returns false when it was not installed.
pub fn uninstall(host: &mut HostState, removal: Removal) -> bool {
    let Some(key) = host.wsus_setup_key() else { return false };
    let text = |name: &str| host.registry.value(&key, name).map(|v| v.data.as_text()).unwrap_or_default();
    let kept = KeptDatabase {
        sql_server_name: text("SqlServerName"),
        content_dir: text("ContentDir"),
        target_dir: text("TargetDir"),
    };
    host.registry.delete_tree(r"HKLM\SOFTWARE\Microsoft\Update Services");
    host.registry.delete_tree(r"HKLM\SOFTWARE\Wow6432Node\Microsoft\Update Services");
    let target = host.path(&kept.target_dir);
    let logs = format!("{}\\logfiles", target.to_ascii_lowercase());
    host.fs.remove_tree(&target, |p| !removal.logs && p.to_ascii_lowercase().starts_with(&logs));
    if removal.content {
        let content = host.path(&kept.content_dir);
        host.fs.remove_tree(&content, |_| false);
    }
    host.services.retain(|s| !s.name.eq_ignore_ascii_case("WsusService"));
    let db_dir = format!("{}\\SYSMSI\\SSEE", host.windir());
    if removal.database {
        host.services.retain(|s| !s.name.eq_ignore_ascii_case("MSSQL$MICROSOFT##SSEE"));
        host.fs.remove_tree(&db_dir, |_| false);
        host.kept_database = None;
    } else {
        let path = format!("{db_dir}\\MSSQL.2005\\MSSQL\\Data\\SUSDB.mdf");
        let content = Content::Text("simulated SUSDB".into());
        host.fs.put(FileEntry { path, version: None, modified: host.clock, content });
        host.kept_database = Some(kept);
    }
    true
}
