//! `whoami /groups`: the session's mandatory integrity label tells whether its token is
//! elevated (High, S-1-16-12288; System, S-1-16-16384) or filtered (Medium, S-1-16-8192).

use super::{wording, ParseError, Section};
use crate::facts::Elevation;

pub fn parse(section: &Section) -> Result<Elevation, ParseError> {
    let mut saw_groups = false;
    if section.status.code() == Some(9009) {
        return Ok(Elevation::Unknown);
    }
    for line in section.text_lines() {
        if line.contains("is not recognized as an internal or external command") {
            // No whoami (Server 2003 without the support tools): no UAC to speak of either.
            return Ok(Elevation::Unknown);
        }
        if line.contains("S-1-16-12288") || line.contains("S-1-16-16384") {
            return Ok(Elevation::Elevated);
        }
        if line.contains("S-1-16-8192") || line.contains("S-1-16-4096") {
            return Ok(Elevation::Filtered);
        }
        if wording::is_error_line(line) {
            return Err(ParseError::ErrorOutput { line: line.to_string() });
        }
        saw_groups |= line.contains("S-1-");
    }
    if saw_groups {
        // Groups but no integrity label: Windows without UAC.
        Ok(Elevation::NoUac)
    } else {
        Err(ParseError::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus::{Failed, Ok as Done};

    const GROUPS_2008: &str = "\r\nGROUP INFORMATION\r\n-----------------\r\n\r\nGroup Name                             Type             SID          Attributes\r\n====================================== ================ ============ ==================================================\r\nEveryone                               Well-known group S-1-1-0      Mandatory group, Enabled by default, Enabled group\r\nBUILTIN\\Administrators                 Alias            S-1-5-32-544 Group used for deny only\r\n";

    #[test]
    fn elevated_and_filtered_tokens() {
        let high = format!("{GROUPS_2008}Mandatory Label\\High Mandatory Level       Label            S-1-16-12288 Mandatory group, Enabled by default, Enabled group\r\n");
        assert_eq!(parse(&Section::from_text("whoami", Done, &high)), Ok(Elevation::Elevated));
        let medium = format!("{GROUPS_2008}Mandatory Label\\Medium Mandatory Level     Label            S-1-16-8192  Mandatory group, Enabled by default, Enabled group\r\n");
        assert_eq!(parse(&Section::from_text("whoami", Done, &medium)), Ok(Elevation::Filtered));
        assert_eq!(parse(&Section::from_text("whoami", Done, GROUPS_2008)), Ok(Elevation::NoUac));
    }

    #[test]
    fn missing_whoami_on_2003() {
        let text =
            "'whoami' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n";
        assert_eq!(parse(&Section::from_text("whoami", Failed, text)), Ok(Elevation::Unknown));
        assert_eq!(parse(&Section::from_text("whoami", Failed, "")), Err(ParseError::Empty));
    }

    #[test]
    fn localized_headers_and_groups_are_read_by_their_sids() {
        let zh = "\r\n组信息\r\n-----------------\r\n\r\n组名                                   类型   SID          属性\r\nMandatory Label\\High Mandatory Level  标签   S-1-16-12288\r\n";
        assert_eq!(
            parse(&Section::from_text("whoami", crate::probe::parse::SectionStatus::Exit(0), zh)),
            Ok(Elevation::Elevated)
        );
        let ja = "\r\nグループ情報\r\n\r\nMandatory Label\\Medium Mandatory Level ラベル S-1-16-8192\r\n";
        assert_eq!(
            parse(&Section::from_text("whoami", crate::probe::parse::SectionStatus::Exit(0), ja)),
            Ok(Elevation::Filtered)
        );
    }
}
