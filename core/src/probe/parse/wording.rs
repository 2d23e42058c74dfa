//! The few localized wordings the parsers fall back on, where Windows gives nothing that does
//! not vary with the language (an exit code, a number, a SID, a property name). Each list holds
//! one entry per language wsusfix knows (en-US, zh-CN, de-DE, fr-FR, ja-JP; see
//! `docs/windows-commands.md`), matched case-insensitively as a fragment of the line.

/// How reg.exe, wmic and others begin an error line (`ERROR:`, Server 2003's reg.exe 3.0
/// `Error:`, `错误:`, `FEHLER:`, `ERREUR :`, `エラー:`).
pub const ERROR_PREFIXES: &[&str] = &["error:", "错误:", "错误：", "fehler:", "erreur :", "erreur:", "エラー:"];

/// reg.exe: the key does not exist (exit 1, which "access denied" shares).
pub const REG_NOT_FOUND: &[&str] = &[
    "unable to find the specified registry key",
    "系统找不到指定的注册表项",
    "wurde nicht gefunden",
    "pas trouvé la clé",
    "見つかりませんでした",
];

/// wmic: the query matched nothing.
pub const NO_INSTANCES: &[&str] = &[
    "no instance(s) available",
    "没有可用实例",
    "keine instanz(en) verfügbar",
    "aucune instance disponible",
    "利用できるインスタンスがありません",
];

/// Whether `line` begins like an error message in a known language.
pub fn is_error_line(line: &str) -> bool {
    let lower = line.trim_start().to_lowercase();
    ERROR_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// Whether `line` holds one of `fragments`.
pub fn says(line: &str, fragments: &[&str]) -> bool {
    let lower = line.to_lowercase();
    fragments.iter().any(|f| lower.contains(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_not_found_in_each_language() {
        for line in [
            "ERROR: The system was unable to find the specified registry key or value.",
            "Error:  The system was unable to find the specified registry key or value",
            "错误: 系统找不到指定的注册表项或值。",
            "FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.",
            "ERREUR : Le système n'a pas trouvé la clé ou la valeur de Registre spécifiée.",
            "エラー: 指定されたレジストリ キーまたは値が見つかりませんでした。",
        ] {
            assert!(is_error_line(line), "{line}");
            assert!(says(line, REG_NOT_FOUND), "{line}");
        }
        assert!(is_error_line("ERROR: Access is denied."));
        assert!(!says("ERROR: Access is denied.", REG_NOT_FOUND));
        assert!(!is_error_line("HKEY_LOCAL_MACHINE\\SOFTWARE"));
        assert!(says("没有可用实例。", NO_INSTANCES));
    }
}
