//! `echo %PROCESSOR_ARCHITECTURE% %PROCESSOR_ARCHITEW6432%`: the shell's architecture, and
//! the OS's when the shell is a 32-bit process on 64-bit Windows. cmd.exe leaves an undefined
//! variable as its literal `%NAME%`.

use super::{ParseError, Section};
use crate::facts::Arch;

/// Whether the shell is a 32-bit process on 64-bit Windows: `%PROCESSOR_ARCHITEW6432%` is set
/// only there (elsewhere cmd.exe prints the name unexpanded).
pub fn is_wow64(section: &Section) -> bool {
    let line = section.text_lines().next().unwrap_or_default();
    line.split_whitespace().nth(1).is_some_and(|w| !w.starts_with('%'))
}

pub fn parse(section: &Section) -> Result<Arch, ParseError> {
    let line = section.text_lines().next().ok_or(ParseError::Empty)?;
    let mut words = line.split_whitespace();
    let shell = words.next().ok_or(ParseError::Empty)?;
    let os = words.next().filter(|w| !w.starts_with('%'));
    let name = os.unwrap_or(shell);
    match name.to_ascii_uppercase().as_str() {
        "X86" => Ok(Arch::X86),
        "AMD64" | "EM64T" => Ok(Arch::X64),
        "IA64" => Ok(Arch::Ia64),
        _ => Err(ParseError::Unrecognised { line: line.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::parse::SectionStatus::Ok as Done;

    fn arch(text: &str) -> Result<Arch, ParseError> {
        parse(&Section::from_text("arch", Done, text))
    }

    #[test]
    fn shells_and_oses() {
        assert_eq!(arch("x86 %PROCESSOR_ARCHITEW6432%\r"), Ok(Arch::X86));
        assert_eq!(arch("AMD64 %PROCESSOR_ARCHITEW6432%"), Ok(Arch::X64));
        assert_eq!(arch("x86 AMD64"), Ok(Arch::X64), "a 32-bit shell on 64-bit Windows");
        assert_eq!(arch("IA64 "), Ok(Arch::Ia64));
        assert!(arch("%PROCESSOR_ARCHITECTURE% %PROCESSOR_ARCHITEW6432%").is_err());
        assert_eq!(arch(""), Err(ParseError::Empty));
    }
}
