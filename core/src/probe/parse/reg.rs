//! `reg query "KEY"`: Server 2003's reg.exe 3.0 opens with a `! REG.EXE VERSION 3.0` banner,
//! 2008's does not. Then the key's path and one line per value: name, type, data, separated
//! by runs of spaces (or tabs). Names may contain spaces, so lines are split on the `REG_*`
//! type token, not on whitespace.

use super::{wording, ParseError, Section, SectionStatus};

/// The result of looking a key up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegLookup {
    Found(RegKey),
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegKey {
    pub path: String,
    pub values: Vec<RegValue>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegValue {
    pub name: String,
    pub kind: String,
    pub data: String,
}

const TYPES: &[&str] = &[
    "REG_SZ",
    "REG_EXPAND_SZ",
    "REG_DWORD",
    "REG_QWORD",
    "REG_MULTI_SZ",
    "REG_BINARY",
    "REG_NONE",
    "REG_DWORD_BIG_ENDIAN",
    "REG_LINK",
];

impl RegKey {
    /// A value by name, ignoring case as Windows does.
    pub fn value(&self, name: &str) -> Option<&RegValue> {
        self.values.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }
}

impl RegValue {
    /// REG_DWORD data is printed in hex (`0x1`).
    pub fn as_dword(&self) -> Result<u32, ParseError> {
        let bad = || ParseError::BadValue { name: self.name.clone(), value: self.data.clone() };
        let hex = self.data.strip_prefix("0x").or_else(|| self.data.strip_prefix("0X")).ok_or_else(bad)?;
        u32::from_str_radix(hex, 16).map_err(|_| bad())
    }
}

pub fn parse(section: &Section) -> Result<RegLookup, ParseError> {
    let mut key: Option<RegKey> = None;
    for line in section.text_lines() {
        if line.starts_with("! REG.EXE VERSION") {
            continue;
        }
        // reg.exe exits 1 for a missing key and for a refusal alike: only the words differ.
        if wording::is_error_line(line) {
            if wording::says(line, wording::REG_NOT_FOUND) {
                return Ok(RegLookup::NotFound);
            }
            return Err(ParseError::ErrorOutput { line: line.to_string() });
        }
        if line.starts_with("HKEY_") {
            match &key {
                // A subkey listing follows the values; it is not ours to read.
                Some(_) => break,
                None => key = Some(RegKey { path: line.to_string(), values: Vec::new() }),
            }
            continue;
        }
        let Some(current) = key.as_mut() else {
            return Err(ParseError::Unrecognised { line: line.to_string() });
        };
        current.values.push(split_value(line)?);
    }
    match key {
        Some(key) => Ok(RegLookup::Found(key)),
        None if section.status == SectionStatus::Failed || section.status.code().is_some_and(|c| c != 0) => {
            Err(ParseError::Empty)
        }
        None => Err(ParseError::Unrecognised { line: section.text_lines().next().unwrap_or_default().to_string() }),
    }
}

fn split_value(line: &str) -> Result<RegValue, ParseError> {
    let words: Vec<(usize, &str)> = word_offsets(line);
    for (i, &(offset, word)) in words.iter().enumerate() {
        if i > 0 && TYPES.contains(&word) {
            let name = line[..offset].trim();
            let data_start = offset + word.len();
            let data = line[data_start..].trim();
            return Ok(RegValue { name: normalise_name(name), kind: word.to_string(), data: data.to_string() });
        }
    }
    // A value with an empty name prints only a type and data on some builds.
    if let Some(&(offset, word)) = words.first() {
        if TYPES.contains(&word) {
            return Ok(RegValue {
                name: String::new(),
                kind: word.to_string(),
                data: line[offset + word.len()..].trim().to_string(),
            });
        }
    }
    Err(ParseError::Unrecognised { line: line.to_string() })
}

fn normalise_name(name: &str) -> String {
    match name {
        "<NO NAME>" | "(Default)" => String::new(),
        other => other.to_string(),
    }
}

fn word_offsets(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus::{Failed, Ok as Done};

    const KEY: &str = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup";

    fn found(text: &str) -> RegKey {
        match parse(&Section::from_text("reg", Done, text)).unwrap() {
            RegLookup::Found(k) => k,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn server_2008_layout() {
        let text = format!("\r\n{KEY}\r\n    VersionString    REG_SZ    3.1.6001.65\r\n    InstallType    REG_DWORD    0x1\r\n    TargetDir    REG_SZ    C:\\Program Files\\Update Services\\\r\n    Sql Server Name    REG_SZ    MYHOST\\MICROSOFT##SSEE\r\n\r\n");
        let key = found(&text);
        assert_eq!(key.path, KEY);
        assert_eq!(key.value("versionstring").unwrap().data, "3.1.6001.65");
        assert_eq!(key.value("InstallType").unwrap().as_dword(), Ok(1));
        assert_eq!(key.value("TargetDir").unwrap().data, "C:\\Program Files\\Update Services\\");
        assert_eq!(key.value("Sql Server Name").unwrap().data, "MYHOST\\MICROSOFT##SSEE", "names with spaces");
    }

    #[test]
    fn server_2003_banner_and_tabs() {
        let text = format!("\r\n! REG.EXE VERSION 3.0\r\n\r\n{KEY}\r\n    VersionString\tREG_SZ\t3.0.6000.273\r\n    InstallType\tREG_DWORD\t0x1\r\n    <NO NAME>\tREG_SZ\t\r\n");
        let key = found(&text);
        assert_eq!(key.value("VersionString").unwrap().data, "3.0.6000.273");
        assert_eq!(key.value("").unwrap().kind, "REG_SZ");
    }

    #[test]
    fn missing_key_and_errors() {
        let text = "ERROR: The system was unable to find the specified registry key or value.\r\n";
        assert_eq!(parse(&Section::from_text("reg", Failed, text)), Ok(RegLookup::NotFound));
        let text = "ERROR: Access is denied.\r\n";
        assert!(matches!(parse(&Section::from_text("reg", Failed, text)), Err(ParseError::ErrorOutput { .. })));
        assert_eq!(parse(&Section::from_text("reg", Failed, "")), Err(ParseError::Empty));
        let text = format!("{KEY}\r\n    no type here at all\r\n");
        assert!(matches!(parse(&Section::from_text("reg", Done, &text)), Err(ParseError::Unrecognised { .. })));
        let bad_dword = RegValue { name: "InstallType".into(), kind: "REG_DWORD".into(), data: "1".into() };
        assert!(bad_dword.as_dword().is_err());
    }

    #[test]
    fn not_found_in_every_language_and_refusals_stay_errors() {
        for line in [
            "Error:  The system was unable to find the specified registry key or value",
            "错误: 系统找不到指定的注册表项或值。",
            "FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.",
            "ERREUR : Le système n'a pas trouvé la clé ou la valeur de Registre spécifiée.",
            "エラー: 指定されたレジストリ キーまたは値が見つかりませんでした。",
        ] {
            let s = Section::from_text("reg-native", SectionStatus::Exit(1), line);
            assert_eq!(parse(&s), Ok(RegLookup::NotFound), "{line}");
        }
        let denied = Section::from_text("reg-native", SectionStatus::Exit(1), "错误: 拒绝访问。");
        assert!(matches!(parse(&denied), Err(ParseError::ErrorOutput { .. })));
    }
}
