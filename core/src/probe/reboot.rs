//! Whether Windows waits for a restart, from the three places it records one: the Session
//! Manager's `PendingFileRenameOperations` value (files in use, replaced or deleted at the next
//! boot: what an installer answering 3010 leaves), the servicing stack's `Component Based
//! Servicing\RebootPending` key and Windows Update's `Auto Update\RebootRequired` key (present
//! or absent). Server 2003 has no servicing key: its absence there is an answer, not an error.
//!
//! Everything read here is what no language changes: the key paths, the value's name and its
//! `REG_MULTI_SZ` type, reg.exe's exit code; "not found" is reg.exe's localized wording,
//! recognised as the Setup key's is (`parse::wording`).

use crate::facts::{RebootPending, RebootSource};

use super::parse::{self, RegLookup, Section};

/// The key whose value lists the file operations left for the next boot.
pub const SESSION_MANAGER_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager";
/// The value of [`SESSION_MANAGER_KEY`] that holds them (`REG_MULTI_SZ`).
pub const PENDING_RENAMES_VALUE: &str = "PendingFileRenameOperations";
/// Present while the servicing stack (Vista, Server 2008 on) waits for a restart.
pub const SERVICING_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
/// Present while Windows Update waits for a restart.
pub const WINDOWS_UPDATE_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";

/// The probe's section names, one per source.
pub const SECTIONS: [(&str, RebootSource); 3] = [
    ("reboot-renames", RebootSource::PendingFileRenameOperations),
    ("reboot-servicing", RebootSource::ComponentBasedServicing),
    ("reboot-wu", RebootSource::WindowsUpdate),
];

/// Whether a section of the probe output is one of these.
pub fn is_reboot_section(name: &str) -> bool {
    SECTIONS.iter().any(|(n, _)| *n == name)
}

/// What one source says: `Ok(true)` a restart is pending, `Ok(false)` it says nothing.
/// `lookup` is the section read as a `reg query` (through the native registry view where the
/// key lives under `SOFTWARE`).
pub fn says_pending(
    source: RebootSource,
    lookup: Result<RegLookup, parse::ParseError>,
) -> Result<bool, parse::ParseError> {
    match (source, lookup?) {
        (_, RegLookup::NotFound) => Ok(false),
        (RebootSource::PendingFileRenameOperations, RegLookup::Found(key)) => {
            match key.value(PENDING_RENAMES_VALUE) {
                None => Ok(false),
                Some(value) if value.kind != "REG_MULTI_SZ" => Err(parse::ParseError::BadValue {
                    name: PENDING_RENAMES_VALUE.into(),
                    value: format!("{} {}", value.kind, value.data),
                }),
                // reg.exe shows the strings joined by `\0`: an empty list is no operation.
                Some(value) => Ok(!value.data.replace("\\0", "").trim().is_empty()),
            }
        }
        (_, RegLookup::Found(_)) => Ok(true),
    }
}

/// The sources that said so, in the order of [`SECTIONS`]; `None` when none did.
pub fn pending(sources: Vec<RebootSource>) -> Option<RebootPending> {
    (!sources.is_empty()).then_some(RebootPending { sources })
}

/// The section for `source`, when the output holds it.
pub fn section_of(sections: &[Section], source: RebootSource) -> Option<&Section> {
    let name = SECTIONS.iter().find(|(_, s)| *s == source).map(|(n, _)| *n)?;
    sections.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus;

    fn read(source: RebootSource, status: SectionStatus, text: &str) -> Result<bool, parse::ParseError> {
        says_pending(source, parse::reg::parse(&Section::from_text("reboot", status, text)))
    }

    #[test]
    fn pending_renames_on_2008_and_2003_and_their_absence_in_any_language() {
        let en = format!(
            "\r\n{SESSION_MANAGER_KEY}\r\n    PendingFileRenameOperations    REG_MULTI_SZ    \\??\\C:\\Program Files\\Update Services\\x.dll.tmp\\0\\0\r\n\r\n"
        );
        assert_eq!(read(RebootSource::PendingFileRenameOperations, SectionStatus::Exit(0), &en), Ok(true));
        let w2003 = format!(
            "\r\n! REG.EXE VERSION 3.0\r\n\r\n{SESSION_MANAGER_KEY}\r\n    PendingFileRenameOperations\tREG_MULTI_SZ\t\\??\\C:\\WINDOWS\\TEMP\\a.tmp\\0\\0\r\n"
        );
        assert_eq!(read(RebootSource::PendingFileRenameOperations, SectionStatus::Exit(0), &w2003), Ok(true));
        let empty = format!("\r\n{SESSION_MANAGER_KEY}\r\n    PendingFileRenameOperations    REG_MULTI_SZ    \r\n");
        assert_eq!(read(RebootSource::PendingFileRenameOperations, SectionStatus::Exit(0), &empty), Ok(false));
        for missing in [
            "ERROR: The system was unable to find the specified registry key or value.",
            "错误: 系统找不到指定的注册表项或值。",
            "Error:  The system was unable to find the specified registry key or value",
        ] {
            for source in [RebootSource::PendingFileRenameOperations, RebootSource::ComponentBasedServicing] {
                assert_eq!(read(source, SectionStatus::Exit(1), missing), Ok(false), "{missing}");
            }
        }
        let odd = format!("\r\n{SESSION_MANAGER_KEY}\r\n    PendingFileRenameOperations    REG_SZ    x\r\n");
        assert!(read(RebootSource::PendingFileRenameOperations, SectionStatus::Exit(0), &odd).is_err());
        let denied = read(RebootSource::WindowsUpdate, SectionStatus::Exit(1), "ERROR: Access is denied.");
        assert!(matches!(denied, Err(parse::ParseError::ErrorOutput { .. })), "{denied:?}");
    }

    #[test]
    fn a_present_key_is_pending_with_or_without_values_or_subkeys() {
        let bare = format!("\r\n{SERVICING_KEY}\r\n\r\n");
        assert_eq!(read(RebootSource::ComponentBasedServicing, SectionStatus::Exit(0), &bare), Ok(true));
        let with = format!(
            "\r\n{WINDOWS_UPDATE_KEY}\r\n    {{7bd1ea55-a2b9-4ec4-a5b9-c1e5c6d5d8c0}}    REG_DWORD    0x1\r\n\r\n{WINDOWS_UPDATE_KEY}\\x\r\n"
        );
        assert_eq!(read(RebootSource::WindowsUpdate, SectionStatus::Exit(0), &with), Ok(true));
        assert_eq!(pending(vec![]), None);
    }
}
