//! The SUSDB backup's tool and what the plan says where there is none. The backup runs the
//! tool the probe found (`sqlcmd`, else `osql`: both take `-S -E -b -Q` alike) by its full
//! path; a host with neither gets no backup step and a note saying so. A host probed before
//! version 4 (nobody looked) keeps what plans did then: the back-out and the RTM upgrade call
//! `sqlcmd` by name, and there is no backup before the install.

use crate::facts::SqlToolSearch;

/// The note of a plan made with `--no-susdb-backup`.
pub(super) const OFF: &str =
    "no SUSDB backup before the install: the plan was made with --no-susdb-backup; back it up by other means \
     before the window";
/// The note of a host with neither tool, where a backup would come before a change.
pub(super) const NONE_FOUND: &str = "no sqlcmd or osql on the host: SUSDB is not backed up by the plan; back it up \
     by other means before the window";
/// The note of a host with neither tool, for its back-out.
pub(super) const NONE_FOUND_BACKOUT: &str = "no sqlcmd or osql on the host: the back-out does not back SUSDB up \
     before it uninstalls WSUS; back it up by other means first";
/// The note of a host whose probe did not look for a tool.
pub(super) const NOT_PROBED: &str = "the probe (older than version 4) did not look for sqlcmd or osql: no SUSDB \
     backup before the install; rescan the host to plan one";

/// The backup file of the backup before the install.
pub(super) const BEFORE_FILE: &str = "SUSDB-wsusfix-before.bak";
/// The backup file of the back-out and of the RTM upgrade (as plans before probe 4 named it).
pub(super) const FILE: &str = "SUSDB-wsusfix.bak";

/// Which backup: it decides the file, the note where there is no tool, and whether a host
/// probed before the search gets `sqlcmd` by name (as plans made then did).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum When {
    /// Before the install (on unless `--no-susdb-backup`).
    BeforeInstall,
    /// Before an RTM server's upgrade to SP1.
    BeforeUpgrade,
    /// The back-out's, before WSUS is uninstalled.
    Backout,
}

impl When {
    pub(super) fn file(self) -> &'static str {
        match self {
            When::BeforeInstall => BEFORE_FILE,
            When::BeforeUpgrade | When::Backout => FILE,
        }
    }

    /// A host probed before the search: `sqlcmd` by name, as plans before probe 4 had.
    pub(super) fn legacy(self) -> bool {
        self != When::BeforeInstall
    }

    pub(super) fn none_note(self) -> &'static str {
        match self {
            When::BeforeInstall | When::BeforeUpgrade => NONE_FOUND,
            When::Backout => NONE_FOUND_BACKOUT,
        }
    }
}

/// What the backup command starts with on this host, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Tool {
    /// The command's first word: a found tool's quoted path, or `sqlcmd`.
    Run(String),
    /// The host has neither tool.
    NoneFound,
    /// The probe did not look.
    NotProbed,
}

/// The tool for a host's recorded search.
pub(super) fn tool(search: Option<&SqlToolSearch>) -> Tool {
    match search {
        Some(SqlToolSearch::Found(tool)) => Tool::Run(format!("\"{}\"", tool.path)),
        Some(SqlToolSearch::NoneFound) => Tool::NoneFound,
        None => Tool::NotProbed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{SqlTool, SqlToolKind};

    #[test]
    fn a_found_tool_runs_by_its_quoted_path() {
        let found = SqlToolSearch::Found(SqlTool { kind: SqlToolKind::Osql, path: r"C:\P (x86)\osql.exe".into() });
        assert_eq!(tool(Some(&found)), Tool::Run(r#""C:\P (x86)\osql.exe""#.into()));
        assert_eq!(tool(Some(&SqlToolSearch::NoneFound)), Tool::NoneFound);
        assert_eq!(tool(None), Tool::NotProbed);
    }
}
