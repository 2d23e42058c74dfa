//! Which SQL command-line tool the host has to back up SUSDB with: `sqlcmd.exe` (SQL Server
//! 2005's tools), `osql.exe` (older), or neither, as on a Windows Internal Database install
//! without SQL Server's tools (version 4 of the probe).
//!
//! The probe runs `where sqlcmd.exe osql.exe` (the `PATH`) and `if exist` on each tools folder
//! SQL Server installs them in ([`CANDIDATES`]), echoing the path it finds. What is read is what
//! no language changes: lines that are absolute paths ending in `\sqlcmd.exe` or `\osql.exe`
//! (any case, quotes around them or not). where.exe's "could not find" message is localized and
//! is never read; its exit code says nothing the paths do not.

use crate::facts::{SqlTool, SqlToolKind, SqlToolSearch};
use crate::safe;

use super::parse::Section;

/// The probe's section name.
pub const SECTION: &str = "sql-tools";

/// The folders SQL Server's command-line tools live in (SQL Server 2005, 2008, 2000), under
/// `%ProgramFiles%` and, on 64-bit Windows, `%ProgramFiles(x86)%` (undefined on 32-bit
/// Windows, where cmd.exe leaves the name as written and `if exist` finds nothing).
const TOOLS_FOLDERS: [&str; 3] = ["90", "100", "80"];
const ROOTS: [&str; 2] = ["%ProgramFiles%", "%ProgramFiles(x86)%"];

/// The files the probe tests with `if exist`, `sqlcmd.exe` first; each is quoted in the
/// probe, which keeps `(x86)`'s parentheses out of cmd.exe's `( … )` grouping.
pub fn candidates() -> Vec<String> {
    let mut paths = Vec::new();
    for kind in [SqlToolKind::Sqlcmd, SqlToolKind::Osql] {
        for root in ROOTS {
            for version in TOOLS_FOLDERS {
                paths.push(format!(r"{root}\Microsoft SQL Server\{version}\Tools\Binn\{}", kind.file_name()));
            }
        }
    }
    paths
}

/// The tool the backup will use: the first `sqlcmd.exe` listed, else the first `osql.exe`;
/// [`SqlToolSearch::NoneFound`] when no line names either. A path with characters the plan
/// would not put on a command line is passed over.
pub fn read(section: &Section) -> SqlToolSearch {
    let found: Vec<SqlTool> = section.text_lines().filter_map(tool_path).collect();
    [SqlToolKind::Sqlcmd, SqlToolKind::Osql]
        .into_iter()
        .find_map(|kind| found.iter().find(|t| t.kind == kind).cloned())
        .map_or(SqlToolSearch::NoneFound, SqlToolSearch::Found)
}

/// A line that is an absolute path to one of the tools.
fn tool_path(line: &str) -> Option<SqlTool> {
    let path = line.trim().trim_matches('"').trim();
    let lower = path.to_ascii_lowercase();
    let kind = [SqlToolKind::Sqlcmd, SqlToolKind::Osql]
        .into_iter()
        .find(|k| lower.ends_with(&format!("\\{}", k.file_name())))?;
    safe::windows_path(path).ok()?;
    Some(SqlTool { kind, path: path.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus;

    fn search(status: SectionStatus, text: &str) -> SqlToolSearch {
        read(&Section::from_text(SECTION, status, text))
    }

    #[test]
    fn sqlcmd_is_preferred_wherever_it_is_listed() {
        let text = "C:\\Program Files\\Microsoft SQL Server\\80\\Tools\\Binn\\osql.exe\r\n\
                    \"C:\\Program Files (x86)\\Microsoft SQL Server\\90\\Tools\\Binn\\SQLCMD.EXE\"\r\n";
        assert_eq!(
            search(SectionStatus::Exit(0), text),
            SqlToolSearch::Found(SqlTool {
                kind: SqlToolKind::Sqlcmd,
                path: "C:\\Program Files (x86)\\Microsoft SQL Server\\90\\Tools\\Binn\\SQLCMD.EXE".into()
            })
        );
        let osql = search(SectionStatus::Exit(1), "INFO: Could not find files for the given pattern(s).\r\n\"C:\\Program Files\\Microsoft SQL Server\\80\\Tools\\Binn\\osql.exe\"\r\n");
        assert_eq!(osql.tool().map(|t| t.kind), Some(SqlToolKind::Osql));
    }

    #[test]
    fn the_localized_not_found_is_never_read() {
        for text in [
            "INFO: Could not find files for the given pattern(s).",
            "信息: 用提供的模式无法找到文件。",
            "",
            // Not a path, not a tool, a relative name, a path the plan would not quote.
            "sqlcmd.exe\r\nC:\\tools\\sqlcmd.exe.bak\r\nC:\\a&b\\sqlcmd.exe\r\nC:\\x\\sqlcmd.exe\\",
        ] {
            assert_eq!(search(SectionStatus::Exit(1), text), SqlToolSearch::NoneFound, "{text}");
        }
    }

    #[test]
    fn candidates_cover_both_tools_three_versions_and_both_roots() {
        let all = candidates();
        assert_eq!(all.len(), 12);
        assert!(all[0].starts_with("%ProgramFiles%\\Microsoft SQL Server\\90\\") && all[0].ends_with("sqlcmd.exe"));
        assert!(all.iter().any(|p| p == "%ProgramFiles(x86)%\\Microsoft SQL Server\\80\\Tools\\Binn\\osql.exe"));
    }
}
