//! `sc query SERVICE`: `SERVICE_NAME:` then `STATE : 4  RUNNING` among other fields. A
//! missing service exits 1060 and prints `[SC] EnumQueryServicesStatus:OpenService FAILED
//! 1060:` (`失败 1060` on a zh-CN server): the number is what does not vary. The state is read
//! from its number and the SDK's name beside it (`4  RUNNING`), whatever the field is called.

use super::{ParseError, Section};
use crate::facts::{ServiceState, ServiceStatus};

pub fn parse(section: &Section) -> Result<ServiceStatus, ParseError> {
    let mut name = section.arg.clone();
    let mut state = None;
    if section.status.code() == Some(1060) {
        return Ok(ServiceStatus { name, state: ServiceState::NotInstalled });
    }
    for line in section.text_lines() {
        if line.starts_with("[SC]") {
            if line.split(|c: char| !c.is_ascii_digit()).any(|n| n == "1060") {
                return Ok(ServiceStatus { name, state: ServiceState::NotInstalled });
            }
            return Err(ParseError::ErrorOutput { line: line.to_string() });
        }
        if let Some(n) = line.strip_prefix("SERVICE_NAME:") {
            name = n.trim().to_string();
        } else if let Some(rest) = field(line, "STATE").or_else(|| state_value(line)) {
            let code = rest.split_whitespace().next().unwrap_or_default();
            state = Some(match code {
                "1" => ServiceState::Stopped,
                "2" => ServiceState::StartPending,
                "3" => ServiceState::StopPending,
                "4" => ServiceState::Running,
                "5" => ServiceState::ContinuePending,
                "6" => ServiceState::PausePending,
                "7" => ServiceState::Paused,
                _ => return Err(ParseError::BadValue { name: "STATE".into(), value: rest.to_string() }),
            });
        }
    }
    match state {
        Some(state) if !name.is_empty() => Ok(ServiceStatus { name, state }),
        _ => Err(section
            .text_lines()
            .next()
            .map(|l| ParseError::Unrecognised { line: l.to_string() })
            .unwrap_or(ParseError::Empty)),
    }
}

/// The state's value on a line whose label may be localized: `: 4  RUNNING`.
fn state_value(line: &str) -> Option<&str> {
    const STATES: [&str; 7] =
        ["STOPPED", "START_PENDING", "STOP_PENDING", "RUNNING", "CONTINUE_PENDING", "PAUSE_PENDING", "PAUSED"];
    let (_, value) = line.split_once(':')?;
    let mut words = value.split_whitespace();
    let (number, word) = (words.next()?, words.next()?);
    (number.len() == 1 && STATES.contains(&word)).then(|| value.trim())
}

/// `        STATE              : 4  RUNNING` → `4  RUNNING`.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (label, value) = line.split_once(':')?;
    (label.trim() == name).then(|| value.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus::{Failed, Ok as Done};

    const RUNNING: &str = "\r\nSERVICE_NAME: WsusService\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 4  RUNNING\r\n                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n";

    #[test]
    fn running_stopped_missing() {
        let s = Section::from_text("service", Done, RUNNING);
        assert_eq!(parse(&s), Ok(ServiceStatus { name: "WsusService".into(), state: ServiceState::Running }));
        let s = Section::from_text("service", Done, &RUNNING.replace("4  RUNNING", "1  STOPPED"));
        assert_eq!(parse(&s).unwrap().state, ServiceState::Stopped);
        let mut s = Section::from_text("service", Failed, "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n");
        s.arg = "W3SVC".into();
        assert_eq!(parse(&s), Ok(ServiceStatus { name: "W3SVC".into(), state: ServiceState::NotInstalled }));
    }

    #[test]
    fn odd_output() {
        let s = Section::from_text("service", Failed, "[SC] OpenSCManager FAILED 5:\r\n\r\nAccess is denied.\r\n");
        assert!(matches!(parse(&s), Err(ParseError::ErrorOutput { .. })));
        let s = Section::from_text("service", Done, &RUNNING.replace("4  RUNNING", "9  WEIRD"));
        assert!(matches!(parse(&s), Err(ParseError::BadValue { .. })));
        assert_eq!(parse(&Section::from_text("service", Done, "")), Err(ParseError::Empty));
    }

    #[test]
    fn localized_output_is_read_by_its_numbers() {
        let missing = Section::from_text(
            "service",
            crate::probe::parse::SectionStatus::Exit(1060),
            "[SC] EnumQueryServicesStatus:OpenService 失败 1060:\r\n\r\n指定的服务未安装。",
        );
        assert_eq!(parse(&missing).unwrap().state, ServiceState::NotInstalled);
        let label = Section::from_text(
            "service",
            crate::probe::parse::SectionStatus::Exit(0),
            "SERVICE_NAME: WsusService\r\n        类型               : 20  WIN32_SHARE_PROCESS\r\n        状态               : 4  RUNNING\r\n",
        );
        assert_eq!(parse(&label).unwrap().state, ServiceState::Running);
    }
}
