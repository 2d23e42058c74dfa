//! `ver`: a blank line, then `Microsoft Windows [Version 5.2.3790]` (`[version 5.2.3790]` in
//! French, `[版本 6.0.6001]` in Chinese): the number is the last word between the brackets.

use super::{ParseError, Section};
use crate::version::WindowsVersion;

pub fn parse(section: &Section) -> Result<WindowsVersion, ParseError> {
    if let Some(e) = section.first_error() {
        return Err(e);
    }
    let line = section.text_lines().next().ok_or(ParseError::Empty)?;
    let unrecognised = || ParseError::Unrecognised { line: line.to_string() };
    let start = line.find('[').ok_or_else(unrecognised)? + 1;
    let end = line[start..].find(']').ok_or_else(unrecognised)? + start;
    let number = line[start..end].split_whitespace().next_back().ok_or_else(unrecognised)?;
    // Some builds print four parts (6.1.7601.17514): keep the first three.
    let version: Vec<&str> = number.splitn(4, '.').take(3).collect();
    version.join(".").parse().map_err(|_| unrecognised())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus::Ok as Done;

    #[test]
    fn both_generations() {
        let s = Section::from_text("ver", Done, "\r\nMicrosoft Windows [Version 5.2.3790]\r\n");
        assert_eq!(parse(&s).unwrap().to_string(), "5.2.3790");
        let s = Section::from_text("ver", Done, "\nMicrosoft Windows [Version 6.0.6002]\n");
        assert_eq!(parse(&s).unwrap().to_string(), "6.0.6002");
        let s = Section::from_text("ver", Done, "Microsoft Windows [Version 6.1.7601.17514]");
        assert_eq!(parse(&s).unwrap().to_string(), "6.1.7601");
    }

    #[test]
    fn every_language() {
        for (line, version) in [
            ("Microsoft Windows [版本 6.0.6001]", "6.0.6001"),
            ("Microsoft Windows [version 5.2.3790]", "5.2.3790"),
            ("Microsoft Windows [Version 6.0.6002]", "6.0.6002"),
        ] {
            assert_eq!(parse(&Section::from_text("ver", Done, line)).unwrap().to_string(), version, "{line}");
        }
    }

    #[test]
    fn garbage_and_missing() {
        assert_eq!(parse(&Section::from_text("ver", Done, "\r\n")), Err(ParseError::Empty));
        assert!(matches!(
            parse(&Section::from_text("ver", Done, "Microsoft Windows [Version 5.2")),
            Err(ParseError::Unrecognised { .. })
        ));
        assert!(matches!(
            parse(&Section::from_text("ver", Done, "\u{fffd}\u{1}[Version x.y.z]")),
            Err(ParseError::Unrecognised { .. })
        ));
    }
}
