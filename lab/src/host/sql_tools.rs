//! The SQL command-line tools a host may have besides its Windows Internal Database, which
//! ships neither: `sqlcmd.exe` (with `osql.exe`) from SQL Server 2005's tools, in their folder
//! on the `PATH` as SQL Server's setup leaves it; or only SQL Server 2000's `osql.exe`, off the
//! `PATH` (32-bit tools: under `Program Files (x86)` on x64). A profile says which
//! (`sql_tool: sqlcmd | osql | none`, none by default).

use serde::{Deserialize, Serialize};

use super::fs::FileEntry;
use super::{Arch, Content, HostState};

/// Which tools a profile's host has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SqlTools {
    /// SQL Server 2005's tools: `SQLCMD.EXE` and `OSQL.EXE`, on the `PATH`.
    Sqlcmd,
    /// SQL Server 2000's `osql.exe` only, not on the `PATH`.
    Osql,
    /// Neither, as on a Windows Internal Database install.
    #[default]
    None,
}

/// SQL Server 2005's tools folder (64-bit tools on x64).
pub const SQL2005_BINN: &str = r"C:\Program Files\Microsoft SQL Server\90\Tools\Binn";

/// SQL Server 2000's tools folder: 32-bit, so under `Program Files (x86)` on x64.
pub fn sql2000_binn(arch: Arch) -> &'static str {
    match arch {
        Arch::X64 => r"C:\Program Files (x86)\Microsoft SQL Server\80\Tools\BINN",
        Arch::X86 => r"C:\Program Files\Microsoft SQL Server\80\Tools\BINN",
    }
}

/// Puts the tools in the host's file system (and SQL Server 2005's folder on its `PATH`).
pub fn install(host: &mut HostState, tools: SqlTools) {
    let files: Vec<(String, &str)> = match tools {
        SqlTools::None => return,
        SqlTools::Sqlcmd => {
            let path = host.env_var("Path").unwrap_or_default().to_string();
            host.env.insert("Path".into(), format!("{path};{SQL2005_BINN}\\"));
            vec![
                (format!(r"{SQL2005_BINN}\SQLCMD.EXE"), "2005.90.1399.0"),
                (format!(r"{SQL2005_BINN}\OSQL.EXE"), "2005.90.1399.0"),
            ]
        }
        SqlTools::Osql => vec![(format!(r"{}\osql.exe", sql2000_binn(host.arch)), "2000.80.194.0")],
    };
    for (path, version) in files {
        host.fs.put(FileEntry {
            path,
            version: Some(version.into()),
            modified: host.clock,
            content: Content::Text(String::new()),
        });
    }
}
