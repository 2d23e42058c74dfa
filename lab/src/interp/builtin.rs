//! cmd.exe's own commands that are not about files: `echo`, `ver`, `cmd /c`, `exit`, `rem`,
//! `set`, `cd`, `cls`. The file commands are in `files.rs`.

use super::{files, Ctx, Io, Status};

/// `echo` is recognised on its raw text: `echo.` and `echo:` print a blank line, and the text
/// after the first delimiter is printed verbatim (a space before `&` stays in the output).
pub(super) fn echo(ctx: &mut Ctx, io: &Io, text: &str) -> Option<Status> {
    let head = text.get(..4)?;
    if !head.eq_ignore_ascii_case("echo") {
        return None;
    }
    let rest = &text[4..];
    let mut chars = rest.chars();
    let message = match chars.next() {
        None => None,
        Some(c) if c == ' ' || c == '\t' => {
            let msg = chars.as_str();
            (!msg.trim().is_empty()).then_some(msg)
        }
        Some(c) if ".:;,=(/+[]\\".contains(c) => Some(chars.as_str()),
        Some(_) => return None,
    };
    match message {
        None => ctx.print(io, "ECHO is on.\r\n"),
        Some(m) if ["on", "off"].iter().any(|w| m.trim().eq_ignore_ascii_case(w)) => {}
        Some(m) => ctx.print(io, &format!("{m}\r\n")),
    }
    Some(Status::neutral())
}

/// Dispatches the other built-ins; `None` when `program` is not one.
pub(super) fn run(ctx: &mut Ctx, io: &Io, program: &str, args: &[String], text: &str) -> Option<Status> {
    let status = match program.to_ascii_lowercase().as_str() {
        "ver" => {
            let version = ctx.host.os_version.clone();
            ctx.print(io, &format!("\r\nMicrosoft Windows [Version {version}]\r\n"));
            Status::neutral()
        }
        "rem" | "cls" => Status::neutral(),
        "cmd" | "cmd.exe" => cmd(ctx, io, text),
        "exit" => exit(ctx, args),
        "set" => set(ctx, io, args),
        "cd" | "chdir" => {
            let cwd = ctx.cwd.clone();
            ctx.print(io, &format!("{cwd}\r\n"));
            Status::ok()
        }
        "type" => files::type_file(ctx, io, args),
        "copy" => files::copy(ctx, io, args),
        "del" | "erase" => files::del(ctx, io, args),
        "mkdir" | "md" => files::mkdir(ctx, io, args),
        "dir" => files::dir(ctx, io, args),
        _ => return None,
    };
    Some(status)
}

/// `cmd [/s] [/q] [/d] /c LINE`: runs LINE with fresh `%VAR%` expansion.
fn cmd(ctx: &mut Ctx, io: &Io, text: &str) -> Status {
    let lower = text.to_ascii_lowercase();
    let Some(pos) = lower.find("/c").or_else(|| lower.find("/k")) else {
        ctx.print(io, "Microsoft Windows [Version]\r\n");
        return Status::ok();
    };
    let mut line = text[pos + 2..].trim_start();
    // cmd /c "..." strips the first and the last quote when the line starts with one.
    let stripped;
    if line.starts_with('"') {
        if let Some(end) = line.rfind('"').filter(|&e| e > 0) {
            stripped = format!("{}{}", &line[1..end], &line[end + 1..]);
            line = &stripped;
        }
    }
    let code = ctx.nested(line, io);
    Status::code(code)
}

fn exit(ctx: &mut Ctx, args: &[String]) -> Status {
    let code =
        args.iter().find(|a| !a.eq_ignore_ascii_case("/b")).and_then(|a| a.parse().ok()).unwrap_or(ctx.errorlevel);
    ctx.exited = true;
    Status::code(code)
}

fn set(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let joined = args.join(" ");
    if let Some((name, value)) = joined.split_once('=') {
        ctx.env.insert(name.to_string(), value.to_string());
        return Status::ok();
    }
    let prefix = joined.to_ascii_lowercase();
    let lines: Vec<String> = ctx
        .env
        .iter()
        .filter(|(k, _)| k.to_ascii_lowercase().starts_with(&prefix))
        .map(|(k, v)| format!("{k}={v}\r\n"))
        .collect();
    if lines.is_empty() {
        ctx.eprint(io, &format!("Environment variable {prefix} not defined\r\n"));
        return Status::code(1);
    }
    for line in lines {
        ctx.print(io, &line);
    }
    Status::ok()
}
