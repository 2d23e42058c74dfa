//! The installers: the KB954960 package (any program whose name contains `KB954960`) and WSUS
//! setup (`WSUSSetup.exe` and the release downloads named after it, e.g. WSUS 3.0 SP1's
//! `WSUSSetup_30SP1_x86.exe`, or a `WSUS30*`/`KB972455` package) with `/u` to uninstall.
//!
//! The package, in the order a real one fails: on 2008 without a full token it cannot start
//! (740); a busy installer exits 1618; a host whose installer is broken exits 1603; a package
//! for the wrong architecture or a host that is not WSUS 3.0 SP1 exits 1642; otherwise it sets
//! the client web service DLL to 3.1.6001.66 and exits 0, or 3010 (success, restart required)
//! when the host's `installer.reboot_required` fault is set. Every run appends a line to
//! `%windir%\<package name>.log`. Setup logs to `%windir%\WSUSSetup.log`.

use super::{Ctx, Io, Status};
use crate::host::fs::{file_name, FileEntry};
use crate::host::{clock, Arch, Content, Os, RegData};
use crate::wsus::{self, Removal, WsusSpec};

/// `ERROR_ELEVATION_REQUIRED`.
const ELEVATION_REQUIRED: i32 = 740;
const INSTALL_FAILURE: i32 = 1603;
const INSTALL_ALREADY_RUNNING: i32 = 1618;
const PATCH_TARGET_NOT_FOUND: i32 = 1642;
/// `ERROR_SUCCESS_REBOOT_REQUIRED`.
const SUCCESS_REBOOT_REQUIRED: i32 = 3010;
/// WSUS setup: prerequisite check failed.
const SETUP_PREREQUISITE_FAILED: i32 = 0x1460;

/// Which installer a program name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Installer {
    Kb954960,
    WsusSetup,
}

impl Installer {
    /// Recognises an installer from the program's file stem (lower case).
    pub fn recognise(stem: &str) -> Option<Installer> {
        if stem.contains("kb954960") {
            Some(Installer::Kb954960)
        } else if stem.starts_with("wsussetup") || stem.starts_with("wsus30") || stem.contains("kb972455") {
            Some(Installer::WsusSetup)
        } else {
            None
        }
    }
}

pub(super) fn run(ctx: &mut Ctx, io: &Io, kind: Installer, path: &str, args: &[String]) -> Status {
    if ctx.host.os == Os::W2008 && !ctx.principal.elevated() {
        let text = ctx.lang().elevation_required();
        ctx.eprint(io, text);
        return Status::code(ELEVATION_REQUIRED);
    }
    let code = match kind {
        Installer::Kb954960 => package(ctx, path),
        Installer::WsusSetup => setup(ctx, args),
    };
    Status::code(code)
}

fn log(ctx: &mut Ctx, file: &str, message: &str) {
    let path = format!("{}\\{file}", ctx.host.windir());
    let line = format!("{} {message}\r\n", clock::log_stamp(ctx.host.clock, 0));
    let now = ctx.host.clock;
    match ctx.host.fs.file_mut(&path) {
        Some(f) => {
            f.content.append(line.as_bytes());
            f.modified = now;
        }
        None => ctx.host.fs.put(FileEntry { path, version: None, modified: now, content: Content::Text(line) }),
    }
}

fn package(ctx: &mut Ctx, path: &str) -> i32 {
    let name = file_name(path).to_string();
    let stem = name.strip_suffix(".exe").unwrap_or(&name).to_string();
    let log_file = format!("{stem}.log");
    let code = package_outcome(ctx, &name);
    let message = match code {
        0 => "KB954960: update applied (Microsoft.UpdateServices.WebServices.Client.dll 3.1.6001.66)".to_string(),
        SUCCESS_REBOOT_REQUIRED => {
            "KB954960: update applied (Microsoft.UpdateServices.WebServices.Client.dll 3.1.6001.66); a restart is required to complete it".to_string()
        }
        INSTALL_ALREADY_RUNNING => "KB954960: another installation is in progress".to_string(),
        INSTALL_FAILURE => "KB954960: fatal error during installation".to_string(),
        _ => "KB954960: the upgrade patch cannot be installed: the program to be upgraded may be missing, or the patch may update a different version".to_string(),
    };
    log(ctx, &log_file, &format!("{message} (exit code {code})"));
    code
}

fn package_outcome(ctx: &mut Ctx, name: &str) -> i32 {
    let faults = &mut ctx.host.installer;
    if faults.busy_runs > 0 {
        faults.busy_runs -= 1;
        return INSTALL_ALREADY_RUNNING;
    }
    if faults.fails {
        return INSTALL_FAILURE;
    }
    let lower = name.to_ascii_lowercase();
    let package_x64 = lower.contains("x64") || lower.contains("amd64");
    if package_x64 != (ctx.host.arch == Arch::X64) {
        return PATCH_TARGET_NOT_FOUND;
    }
    let is_sp1_server = ctx.host.wsus_setting("InstallType") == Some(RegData::Dword(1))
        && ctx.host.wsus_setting("VersionString").is_some_and(|v| v.as_text().starts_with("3.1.6001."));
    let Some(dll) = ctx.host.wsus_dll_path().filter(|_| is_sp1_server) else {
        return PATCH_TARGET_NOT_FOUND;
    };
    let now = ctx.host.clock;
    let Some(file) = ctx.host.fs.file_mut(&dll) else { return PATCH_TARGET_NOT_FOUND };
    let revision = file.version.as_deref().and_then(|v| v.rsplit('.').next()?.parse::<u32>().ok()).unwrap_or(0);
    if revision < 66 {
        file.version = Some(wsus::FIXED_DLL.to_string());
        file.modified = now;
        file.content =
            Content::Text(format!("MZ simulated Microsoft.UpdateServices.WebServices.Client {}", wsus::FIXED_DLL));
    }
    if ctx.host.installer.reboot_required {
        // The DLL was in use: Windows Installer leaves its replacement for the next boot.
        ctx.host.add_file_rename(&format!("\\??\\{dll}.new"), &format!("!\\??\\{dll}"));
        SUCCESS_REBOOT_REQUIRED
    } else {
        0
    }
}

/// `NAME=VALUE` properties of a setup command line.
fn property<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().find_map(|a| {
        let (k, v) = a.split_once('=')?;
        k.eq_ignore_ascii_case(name).then_some(v)
    })
}

fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a.eq_ignore_ascii_case(name))
}

fn setup(ctx: &mut Ctx, args: &[String]) -> i32 {
    let code = setup_outcome(ctx, args);
    log(ctx, "WSUSSetup.log", &format!("WSUS setup {} finished with return code 0x{code:x}", args.join(" ")));
    code
}

fn setup_outcome(ctx: &mut Ctx, args: &[String]) -> i32 {
    if flag(args, "/p") {
        return 0;
    }
    if flag(args, "/u") {
        let remove = |name| property(args, name) == Some("1");
        let removal = Removal {
            database: remove("DELETE_DATABASE"),
            content: remove("DELETE_CONTENT"),
            logs: remove("DELETE_LOGS"),
        };
        wsus::uninstall(ctx.host, removal);
        return 0;
    }
    if ctx.host.installer.fails {
        return INSTALL_FAILURE;
    }
    let now = ctx.host.clock;
    if let Some(version) = ctx.host.wsus_setting("VersionString").map(|v| v.as_text()) {
        if version.starts_with("2.") && !flag(args, "/g") {
            return SETUP_PREREQUISITE_FAILED;
        }
        if version.as_str() < wsus::SP1 {
            let target = setting(ctx, "TargetDir", r"C:\Program Files\Update Services\");
            let content = setting(ctx, "ContentDir", r"C:\WSUS");
            let sql = setting(ctx, "SqlServerName", r"%COMPUTERNAME%\MICROSOFT##SSEE");
            ctx.host.registry.delete_tree(r"HKLM\SOFTWARE\Microsoft\Update Services");
            ctx.host.registry.delete_tree(r"HKLM\SOFTWARE\Wow6432Node\Microsoft\Update Services");
            wsus::install(ctx.host, &WsusSpec::sp1(&target, &content, &sql), Some(now));
        }
        return 0;
    }
    let create_db = property(args, "CREATE_DATABASE") != Some("0");
    let db_files = format!("{}\\SYSMSI\\SSEE", ctx.host.windir());
    let leftover = ctx.host.fs.dir_exists(&db_files);
    let kept = ctx.host.kept_database.clone();
    let spec = match (create_db, kept) {
        (true, _) if leftover => return SETUP_PREREQUISITE_FAILED,
        (true, _) => WsusSpec::sp1(
            r"C:\Program Files\Update Services\",
            property(args, "CONTENT_DIR").unwrap_or(r"C:\WSUS"),
            r"%COMPUTERNAME%\MICROSOFT##SSEE",
        ),
        (false, Some(db)) => WsusSpec::sp1(
            &db.target_dir,
            property(args, "CONTENT_DIR").unwrap_or(&db.content_dir),
            property(args, "SQLINSTANCE_NAME").unwrap_or(&db.sql_server_name),
        ),
        (false, None) => return SETUP_PREREQUISITE_FAILED,
    };
    wsus::install(ctx.host, &spec, Some(now));
    ctx.host.kept_database = None;
    0
}

fn setting(ctx: &Ctx, name: &str, default: &str) -> String {
    ctx.host.wsus_setting(name).map(|v| v.as_text()).unwrap_or_else(|| default.to_string())
}
