//! `reg query "KEY" [/v NAME] [/reg:32|/reg:64]`: reg.exe 3.0 on Server 2003 prints a
//! `! REG.EXE VERSION 3.0` banner first; Server 2008 does not. Values are
//! `    name    TYPE    data`.
//!
//! Registry views: a 32-bit reg.exe on 64-bit Windows (the one a 32-bit shell starts from
//! `%windir%\system32`, which WOW64 redirects to SysWOW64) reads `HKLM\SOFTWARE\...` from
//! `HKLM\SOFTWARE\Wow6432Node\...` and prints the path as asked; `/reg:64` selects the native
//! view and `/reg:32` the WOW64 one on Server 2008. Server 2003's reg.exe 3.0 rejects both
//! switches as invalid syntax (a guess: the switches came with a later reg.exe).

use super::{has_flag, option_value, Ctx, Io, Status};
use crate::host::registry::{canonical_key, RegKey, RegValue};
use crate::host::{Arch, Os};

const WOW64_NODE: &str = "Wow6432Node";

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let lang = ctx.lang();
    let os = ctx.host.os;
    let Some(op) = args.first() else {
        ctx.eprint(io, &lang.reg_invalid_syntax(os, ""));
        return Status::code(1);
    };
    if !op.eq_ignore_ascii_case("query") {
        ctx.eprint(io, &lang.reg_invalid_syntax(os, &op.to_ascii_uppercase()));
        return Status::code(1);
    }
    let Some(key_arg) = args.get(1) else {
        ctx.eprint(io, &lang.reg_invalid_syntax(os, "QUERY"));
        return Status::code(1);
    };
    let (reg64, reg32) = (has_flag(args, "/reg:64"), has_flag(args, "/reg:32"));
    if (reg64 || reg32) && os == Os::W2003 {
        ctx.eprint(io, &lang.reg_invalid_syntax(os, "QUERY"));
        return Status::code(1);
    }
    let wow64_view = ctx.host.arch == Arch::X64 && (reg32 || (ctx.wow64 && !reg64));
    let asked = canonical_key(key_arg);
    let lower = asked.to_ascii_lowercase();
    // Only SYSTEM may read the SAM and SECURITY hives, administrators included.
    let system_only = lower == "hkey_local_machine\\security"
        || lower.starts_with("hkey_local_machine\\security\\")
        || lower.starts_with("hkey_local_machine\\sam\\sam");
    if system_only && ctx.principal != crate::host::Principal::System {
        ctx.eprint(io, lang.reg_access_denied(os));
        return Status::code(1);
    }
    let stored = if wow64_view { redirect(&asked) } else { asked.clone() };
    let registry = &ctx.host.registry;
    let Some(key) = registry
        .key(&stored)
        .cloned()
        .or_else(|| registry.key_exists(&stored).then(|| RegKey { path: canonical_key(&stored), values: Vec::new() }))
    else {
        ctx.eprint(io, lang.reg_not_found(os));
        return Status::code(1);
    };
    let shown = |path: &str| if wow64_view { unredirect(path) } else { path.to_string() };
    let mut text = String::new();
    if os == Os::W2003 {
        text.push_str("\r\n! REG.EXE VERSION 3.0\r\n");
    }
    text.push_str(&format!("\r\n{}\r\n", shown(&key.path)));
    if let Some(name) = option_value(args, "/v") {
        match key.values.iter().find(|v| v.name.eq_ignore_ascii_case(name)) {
            Some(value) => text.push_str(&value_line(value)),
            None => {
                ctx.eprint(io, lang.reg_not_found(os));
                return Status::code(1);
            }
        }
        text.push_str("\r\n");
    } else {
        for value in &key.values {
            text.push_str(&value_line(value));
        }
        text.push_str("\r\n");
        for sub in registry.subkeys(&key.path) {
            let hidden =
                wow64_view && sub.rsplit('\\').next().is_some_and(|last| last.eq_ignore_ascii_case(WOW64_NODE));
            if !hidden {
                text.push_str(&format!("{}\r\n", shown(&sub)));
            }
        }
    }
    ctx.print(io, &text);
    Status::ok()
}

/// The WOW64 view's storage of a key: `HKEY_LOCAL_MACHINE\SOFTWARE\X` lives at
/// `HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node\X` (a key already under Wow6432Node stays).
pub(crate) fn redirect(canonical: &str) -> String {
    let prefix = "hkey_local_machine\\software";
    let lower = canonical.to_ascii_lowercase();
    if lower != prefix && !lower.starts_with(&format!("{prefix}\\")) {
        return canonical.to_string();
    }
    let rest = &canonical[prefix.len()..];
    if rest.to_ascii_lowercase().starts_with(&format!("\\{}", WOW64_NODE.to_ascii_lowercase())) {
        return canonical.to_string();
    }
    format!("{}\\{WOW64_NODE}{rest}", &canonical[..prefix.len()])
}

/// A stored WOW64 key path as a 32-bit program names it (Wow6432Node left out).
fn unredirect(stored: &str) -> String {
    let needle = format!("\\{}", WOW64_NODE.to_ascii_lowercase());
    match stored.to_ascii_lowercase().find(&needle) {
        Some(at) => format!("{}{}", &stored[..at], &stored[at + needle.len()..]),
        None => stored.to_string(),
    }
}

fn value_line(value: &RegValue) -> String {
    format!("    {}    {}    {}\r\n", value.name, value.data.type_name(), value.data.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wow64_redirection_of_software() {
        assert_eq!(
            redirect(r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services"),
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node\Microsoft\Update Services"
        );
        assert_eq!(redirect(r"HKEY_LOCAL_MACHINE\SOFTWARE"), r"HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node");
        assert_eq!(
            redirect(r"HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node\X"),
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node\X"
        );
        assert_eq!(redirect(r"HKEY_LOCAL_MACHINE\SYSTEM\X"), r"HKEY_LOCAL_MACHINE\SYSTEM\X");
        assert_eq!(
            unredirect(r"HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node\Microsoft"),
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft"
        );
    }
}
