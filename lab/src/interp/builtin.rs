//! cmd.exe's own commands that are not about files: `echo`, `ver`, `cmd /c` (and `cmd /q /d`
//! reading its commands from stdin), `call`, `exit`, `rem`, `set`, `cd`, `cls`; and `chcp`
//! (chcp.com). The file commands are in `files.rs`.

use super::{files, stdin_switches, tick, Ctx, Io, Status};
use crate::cmdline;

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
        None => {
            let text = ctx.lang().echo_is_on();
            ctx.print(io, text);
        }
        Some(m) if ["on", "off"].iter().any(|w| m.trim().eq_ignore_ascii_case(w)) => {}
        Some(m) => ctx.print(io, &format!("{m}\r\n")),
    }
    Some(Status::neutral())
}

/// Dispatches the other built-ins; `None` when `program` is not one.
pub(super) fn run(ctx: &mut Ctx, io: &Io, program: &str, args: &[String], text: &str) -> Option<Status> {
    let status = match program.to_ascii_lowercase().as_str() {
        "ver" => {
            let line = ctx.lang().ver_line(&ctx.host.os_version);
            ctx.print(io, &format!("\r\n{line}\r\n"));
            Status::neutral()
        }
        "rem" | "cls" => Status::neutral(),
        "cmd" | "cmd.exe" => cmd(ctx, io, text),
        "call" => call(ctx, io, text),
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
        "rmdir" | "rd" => files::rmdir(ctx, io, args),
        "dir" => files::dir(ctx, io, args),
        _ => return None,
    };
    Some(status)
}

/// Where the `/c` (or `/k`) switch starts in cmd's raw text, if there is one.
fn run_switch(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (1..bytes.len()).find(|&i| {
        matches!(bytes[i - 1], b' ' | b'\t')
            && bytes[i] == b'/'
            && matches!(bytes.get(i + 1), Some(b'c' | b'C' | b'k' | b'K'))
            && bytes.get(i + 2).is_none_or(|b| matches!(b, b' ' | b'\t' | b'"'))
    })
}

/// `cmd [/s] [/q] [/d] /c LINE`: runs LINE with fresh `%VAR%` expansion. Without `/c` or
/// `/k`, cmd prints its banner and runs the lines of its stdin (see [`script`]).
pub(super) fn cmd(ctx: &mut Ctx, io: &Io, text: &str) -> Status {
    let Some(pos) = run_switch(text) else {
        let args = cmdline::split_args(text);
        let echo_on = stdin_switches(args.get(1..).unwrap_or_default()).unwrap_or(true);
        return script(ctx, io, echo_on);
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

/// cmd.exe reading its commands from stdin (`cmd /q /d < script`, or an SSH exec of `cmd.exe
/// /q /d` fed on the channel): the banner, then each line (CRLF or LF) read, expanded and run
/// in turn, in the console code page. With echo on (no `/q`) each line is echoed after the
/// prompt; with `/q` nothing but the commands' output appears. `exit [N]` ends it; at the
/// end of the input it ends with the last `%errorlevel%`.
fn script(ctx: &mut Ctx, io: &Io, echo_on: bool) -> Status {
    let banner = ctx.lang().cmd_banner(ctx.host.os, &ctx.host.os_version);
    ctx.print(io, &banner);
    let input = io.stdin.clone().unwrap_or_default();
    // Each command gets an empty stdin; the script's lines are cmd's own input.
    let inner = Io { stdin: Some(Vec::new()), ..io.clone() };
    let saved_exit = ctx.exited;
    ctx.exited = false;
    let mut pieces: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    for raw in pieces {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = crate::locale::decode(raw, ctx.code_page);
        if echo_on {
            let prompt = format!("{}>{line}\r\n", ctx.cwd);
            ctx.print(io, &prompt);
        }
        tick(ctx.host);
        ctx.run_text(&line, &inner);
        if ctx.exited {
            break;
        }
        if echo_on {
            ctx.print(io, "\r\n");
        }
    }
    if echo_on && !ctx.exited {
        let prompt = format!("{}>", ctx.cwd);
        ctx.print(io, &prompt);
    }
    ctx.exited = saved_exit;
    Status::code(ctx.errorlevel)
}

/// `call COMMAND`: expands `%VAR%` in COMMAND a second time, when it runs, then runs it. So
/// `call echo %^errorlevel%` prints the `%errorlevel%` of that moment (the first pass leaves
/// the undefined `%^errorlevel%` as written and the caret goes; call expands the rest). Like
/// the command it runs, it leaves `%errorlevel%` alone when that command does.
fn call(ctx: &mut Ctx, io: &Io, text: &str) -> Status {
    let rest = text.get(4..).unwrap_or_default();
    let rest = rest.strip_prefix([' ', '\t']).unwrap_or(rest);
    if rest.trim().is_empty() {
        return Status::neutral();
    }
    if rest.trim_start().starts_with(':') {
        ctx.eprint(io, "Invalid attempt to call batch label outside of batch script.\r\n");
        return Status::code(1);
    }
    let expanded = cmdline::expand(rest, |name| ctx.var(name));
    match cmdline::parse(&expanded) {
        Ok(node) => {
            let ok = ctx.exec(&node, io);
            let code = if ok {
                0
            } else if ctx.errorlevel != 0 {
                ctx.errorlevel
            } else {
                1
            };
            Status { code, sets_errorlevel: false }
        }
        Err(e) => {
            ctx.eprint(io, &format!("{e}\r\n"));
            Status::code(255)
        }
    }
}

/// `chcp [NNN]` (chcp.com): prints the console code page, or switches it; later output of the
/// session is encoded in the new one.
pub(super) fn chcp(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    match args.first() {
        None => {
            let text = ctx.lang().chcp(ctx.code_page);
            ctx.print(io, &text);
            Status::ok()
        }
        Some(arg) => match arg.parse::<u16>() {
            Ok(cp) if crate::locale::CODE_PAGES.contains(&cp) => {
                ctx.code_page = cp;
                let text = ctx.lang().chcp(cp);
                ctx.print(io, &text);
                Status::ok()
            }
            _ => {
                let text = ctx.lang().chcp_invalid();
                ctx.eprint(io, text);
                Status::code(1)
            }
        },
    }
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
