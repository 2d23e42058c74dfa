//! `wmic ... get A,B /value`: `Name=value` lines among blank lines, each line ending in
//! `\r\r\n`; property names are never translated. A query that finds nothing prints `No
//! Instance(s) Available.` in the host's language (see [`wording::NO_INSTANCES`]).

use std::collections::BTreeMap;

use super::{wording, ParseError, Section};
use crate::facts::DllState;
use crate::time::UtcTime;

/// Reads `Name=value` pairs.
pub fn parse(section: &Section) -> Result<BTreeMap<String, String>, ParseError> {
    let mut values = BTreeMap::new();
    for line in section.text_lines() {
        let line = line.trim_end_matches('\r');
        if wording::says(line, wording::NO_INSTANCES) {
            continue;
        }
        match line.split_once('=') {
            Some((name, value)) if !name.is_empty() && !name.contains(' ') => {
                values.insert(name.to_string(), value.trim().to_string());
            }
            _ => return Err(ParseError::Unrecognised { line: line.to_string() }),
        }
    }
    Ok(values)
}

/// Reads the decisive DLL's `LastModified` and `Version`.
pub fn parse_datafile(section: &Section) -> Result<DllState, ParseError> {
    if section.text_lines().any(|l| wording::says(l, wording::NO_INSTANCES)) {
        return Ok(DllState::Missing);
    }
    if let Some(e) = section.first_error() {
        return Err(e);
    }
    let values = parse(section)?;
    let raw = values.get("Version").ok_or(ParseError::Empty)?;
    let version = raw.parse().map_err(|_| ParseError::BadValue { name: "Version".into(), value: raw.clone() })?;
    let modified = values.get("LastModified").and_then(|m| UtcTime::parse_cim_datetime(m));
    Ok(DllState::Present { version, modified })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus::{Failed, Ok as Done};
    use crate::version::FileVersion;

    #[test]
    fn datafile_with_doubled_carriage_returns() {
        let text = "\r\r\n\r\r\nLastModified=20080801120000.000000+000\r\r\nVersion=3.1.6001.66\r\r\n\r\r\n\r\r\n";
        let s = Section::from_text("dll", Done, text);
        assert_eq!(
            parse_datafile(&s),
            Ok(DllState::Present {
                version: FileVersion::new(3, 1, 6001, 66),
                modified: UtcTime::parse_log_prefix("2008-08-01 12:00:00")
            })
        );
    }

    #[test]
    fn missing_file_and_bad_values() {
        let s = Section::from_text("dll", Failed, "No Instance(s) Available.\r\r\n");
        assert_eq!(parse_datafile(&s), Ok(DllState::Missing));
        let s = Section::from_text("dll", Done, "\r\r\nVersion=\r\r\n");
        assert!(matches!(parse_datafile(&s), Err(ParseError::BadValue { .. })));
        let s = Section::from_text("dll", Failed, "ERROR:\r\nDescription = Invalid query\r\n");
        assert!(matches!(parse_datafile(&s), Err(ParseError::ErrorOutput { .. })));
        let s = Section::from_text("dll", Done, "\u{fffd}\u{fffd}garbage");
        assert!(matches!(parse_datafile(&s), Err(ParseError::Unrecognised { .. })));
    }

    #[test]
    fn os_values() {
        let text = "\r\r\n\r\r\nCaption=Microsoft(R) Windows(R) Server 2003, Standard Edition\r\r\nVersion=5.2.3790\r\r\n\r\r\n";
        let v = parse(&Section::from_text("os", Done, text)).unwrap();
        assert_eq!(v["Caption"], "Microsoft(R) Windows(R) Server 2003, Standard Edition");
        assert_eq!(v["Version"], "5.2.3790");
    }

    #[test]
    fn no_instance_in_every_language() {
        for text in [
            "没有可用实例。\r\r\n",
            "Keine Instanz(en) verfügbar.\r\r\n",
            "Aucune instance disponible.\r\r\n",
            "利用できるインスタンスがありません。\r\r\n",
        ] {
            let s = Section::from_text("dll", crate::probe::parse::SectionStatus::Exit(0), text);
            assert_eq!(parse_datafile(&s), Ok(DllState::Missing), "{text}");
        }
    }
}
