//! `reg query "KEY" [/v NAME]`: reg.exe 3.0 on Server 2003 prints a `! REG.EXE VERSION 3.0`
//! banner first; Server 2008 does not. Values are `    name    TYPE    data`.

use super::{option_value, Ctx, Io, Status};
use crate::host::{registry::RegValue, Os};

const NOT_FOUND: &str = "ERROR: The system was unable to find the specified registry key or value.\r\n";

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let Some(op) = args.first() else {
        ctx.eprint(io, "ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n");
        return Status::code(1);
    };
    if !op.eq_ignore_ascii_case("query") {
        ctx.eprint(
            io,
            &format!("ERROR: Invalid syntax.\r\nType \"REG {} /?\" for usage.\r\n", op.to_ascii_uppercase()),
        );
        return Status::code(1);
    }
    let Some(key_arg) = args.get(1) else {
        ctx.eprint(io, "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n");
        return Status::code(1);
    };
    let registry = &ctx.host.registry;
    let Some(key) = registry.key(key_arg).cloned().or_else(|| {
        registry.key_exists(key_arg).then(|| crate::host::registry::RegKey {
            path: crate::host::registry::canonical_key(key_arg),
            values: Vec::new(),
        })
    }) else {
        ctx.eprint(io, NOT_FOUND);
        return Status::code(1);
    };
    let mut text = String::new();
    if ctx.host.os == Os::W2003 {
        text.push_str("\r\n! REG.EXE VERSION 3.0\r\n");
    }
    text.push_str(&format!("\r\n{}\r\n", key.path));
    if let Some(name) = option_value(args, "/v") {
        match key.values.iter().find(|v| v.name.eq_ignore_ascii_case(name)) {
            Some(value) => text.push_str(&value_line(value)),
            None => {
                ctx.eprint(io, NOT_FOUND);
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
            text.push_str(&format!("{sub}\r\n"));
        }
    }
    ctx.print(io, &text);
    Status::ok()
}

fn value_line(value: &RegValue) -> String {
    format!("    {}    {}    {}\r\n", value.name, value.data.type_name(), value.data.display())
}
