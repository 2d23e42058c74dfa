//! The gate between data and command lines.
//!
//! `cmd.exe` quoting cannot be made safe for arbitrary text (`%`, `^`, `&`, `|`, `<`, `>` and
//! `"` all mean something), so nothing reaches a rendered command unless it passed one of
//! these checks, each a conservative character set for one kind of value.

use std::fmt;

/// Why a value may not be placed on a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeText {
    pub value: String,
    pub kind: &'static str,
    pub reason: String,
}

impl fmt::Display for UnsafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "is not a safe {} ({:?}): {}", self.kind, self.value, self.reason)
    }
}

impl std::error::Error for UnsafeText {}

type Check = Result<(), UnsafeText>;

fn only(value: &str, kind: &'static str, allowed: impl Fn(char) -> bool, allowed_text: &str) -> Check {
    if value.is_empty() {
        return Err(UnsafeText { value: value.into(), kind, reason: "it is empty".into() });
    }
    match value.chars().find(|c| !allowed(*c)) {
        None => Ok(()),
        Some(c) => Err(UnsafeText {
            value: value.into(),
            kind,
            reason: format!("`{}` is not allowed; use only {allowed_text}", c.escape_default()),
        }),
    }
}

fn no_parent_dirs(value: &str, kind: &'static str) -> Check {
    if value.split('\\').any(|part| part == "..") {
        return Err(UnsafeText { value: value.into(), kind, reason: "`..` is not allowed in a path".into() });
    }
    Ok(())
}

fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " _.-\\()".contains(c)
}

const PATH_CHARS: &str = "letters, digits, space and _ . - \\ ( )";

/// An absolute Windows path such as `C:\Program Files\Update Services`.
pub fn windows_path(value: &str) -> Check {
    let kind = "Windows path";
    let b = value.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_alphabetic() || b[1] != b':' || b[2] != b'\\' {
        return Err(UnsafeText { value: value.into(), kind, reason: "it must be absolute, like C:\\Folder".into() });
    }
    only(&value[2..], kind, path_char, PATH_CHARS).map_err(|e| UnsafeText { value: value.into(), ..e })?;
    no_parent_dirs(value, kind)
}

/// A path relative to a known folder, such as `LogFiles\SoftwareDistribution.log`.
pub fn relative_path(value: &str) -> Check {
    let kind = "relative path";
    only(value, kind, path_char, PATH_CHARS)?;
    if value.starts_with('\\') {
        return Err(UnsafeText { value: value.into(), kind, reason: "it must not start with \\".into() });
    }
    no_parent_dirs(value, kind)
}

/// A path that may begin with environment variables, such as `%windir%\WindowsUpdate.log`.
pub fn env_path(value: &str) -> Check {
    let kind = "path";
    let mut rest = value;
    // Each %NAME% must be a plain variable name; the text between follows path rules.
    let mut plain = String::new();
    while let Some(start) = rest.find('%') {
        plain.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else {
            return Err(UnsafeText { value: value.into(), kind, reason: "an unmatched `%`".into() });
        };
        only(&after[..end], kind, |c| c.is_ascii_alphanumeric() || c == '_', "letters, digits and _ in a %VARIABLE%")?;
        known_variable(value, kind, &after[..end])?;
        plain.push('X');
        rest = &after[end + 1..];
    }
    plain.push_str(rest);
    if plain.len() >= 3 && plain.as_bytes()[1] == b':' { windows_path(&plain) } else { relative_path(&plain) }
        .map_err(|e| UnsafeText { value: value.into(), ..e })
}

/// The environment variables a value may name: where Windows keeps things, and the computer's
/// name. Others (`%CMDCMDLINE%`, `%PATH%`, a user's own) carry text no check has seen.
pub const KNOWN_VARIABLES: [&str; 8] = [
    "windir",
    "SystemRoot",
    "SystemDrive",
    "ProgramFiles",
    "CommonProgramFiles",
    "ProgramData",
    "ALLUSERSPROFILE",
    "COMPUTERNAME",
];

fn known_variable(value: &str, kind: &'static str, name: &str) -> Check {
    if KNOWN_VARIABLES.iter().any(|k| k.eq_ignore_ascii_case(name)) {
        return Ok(());
    }
    Err(UnsafeText {
        value: value.into(),
        kind,
        reason: format!("%{name}% is not a variable wsusfix lets through (only {})", KNOWN_VARIABLES.join(", ")),
    })
}

/// A file name without a folder.
pub fn file_name(value: &str) -> Check {
    only(
        value,
        "file name",
        |c| c.is_ascii_alphanumeric() || " _.-()".contains(c),
        "letters, digits, space and _ . - ( )",
    )?;
    no_parent_dirs(value, "file name")
}

/// Installer switches such as `/quiet /norestart`.
pub fn arguments(value: &str) -> Check {
    only(
        value,
        "argument list",
        |c| c.is_ascii_alphanumeric() || " _.-/=:".contains(c),
        "letters, digits, space and _ . - / = :",
    )
}

/// A literal that `findstr /c:"..."` searches for (a backslash is findstr's escape).
pub fn search_text(value: &str) -> Check {
    only(
        value,
        "search text",
        |c| c.is_alphanumeric() || " _.,-=:'".contains(c),
        "letters (of any script), digits, space and _ . , - = : '",
    )
}

/// A registry key path under HKEY_LOCAL_MACHINE.
pub fn registry_key(value: &str) -> Check {
    only(value, "registry key", path_char, PATH_CHARS)?;
    if !(value.starts_with("HKEY_LOCAL_MACHINE\\") || value.starts_with("HKLM\\")) {
        return Err(UnsafeText {
            value: value.into(),
            kind: "registry key",
            reason: "it must be under HKEY_LOCAL_MACHINE".into(),
        });
    }
    Ok(())
}

/// A Windows service name such as `WsusService` or `MSSQL$MICROSOFT##SSEE`.
pub fn service_name(value: &str) -> Check {
    only(value, "service name", |c| c.is_ascii_alphanumeric() || "_-$#".contains(c), "letters, digits and _ - $ #")
}

/// A scheduled task name such as `wsusfix-3f2a`.
pub fn task_name(value: &str) -> Check {
    only(value, "task name", |c| c.is_ascii_alphanumeric() || "_-".contains(c), "letters, digits, _ and -")
}

/// A setup property `NAME=value`.
pub fn property(name: &str, value: &str) -> Check {
    only(name, "property name", |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_', "A-Z, 0-9 and _")?;
    only(
        value,
        "property value",
        |c| c.is_ascii_alphanumeric() || "_.-\\:#%".contains(c),
        "letters, digits and _ . - \\ : # %",
    )?;
    // `%` only around a variable wsusfix lets through.
    let parts: Vec<&str> = value.split('%').collect();
    if parts.len() % 2 == 0 {
        return Err(UnsafeText { value: value.into(), kind: "property value", reason: "an unmatched `%`".into() });
    }
    parts.iter().skip(1).step_by(2).try_for_each(|name| known_variable(value, "property value", name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_wsus_needs() {
        windows_path("C:\\Program Files\\Update Services").unwrap();
        windows_path("D:\\WSUS (x86)\\x").unwrap();
        relative_path("Log Files\\SoftwareDistribution.log").unwrap();
        env_path("%windir%\\WindowsUpdate.log").unwrap();
        env_path("%ProgramFiles%\\Update Services").unwrap();
        search_text("SyncUpdates failure, error = 0x8024400E").unwrap();
        service_name("MSSQL$MICROSOFT##SSEE").unwrap();
        property("SQLINSTANCE_NAME", "%COMPUTERNAME%\\MICROSOFT##SSEE").unwrap();
    }

    #[test]
    fn refuses_what_cmd_would_interpret() {
        for bad in
            ["C:\\x & del C:\\y", "C:\\a\"b", "C:\\50%", "C:\\a|b", "C:\\a^b", "C:\\a>b", "relative", "C:\\..\\x"]
        {
            assert!(windows_path(bad).is_err(), "{bad:?} accepted");
        }
        assert!(env_path("%windir\\x").is_err());
        assert!(env_path("%win&dir%\\x").is_err());
        let err = env_path("%CMDCMDLINE%\\x").unwrap_err().to_string();
        assert!(err.contains("%CMDCMDLINE% is not a variable wsusfix lets through"), "{err}");
        assert!(property("SQLINSTANCE_NAME", "%PATH%\\x").is_err());
        assert!(property("SQLINSTANCE_NAME", "50%").is_err());
        assert!(search_text("a\"b").is_err());
        assert!(search_text("a\\b").is_err());
        assert!(task_name("x y").is_err());
        let err = windows_path("C:\\x&y").unwrap_err().to_string();
        assert!(err.contains("`&` is not allowed"), "{err}");
    }
}
