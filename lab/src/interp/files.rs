//! File commands built into cmd.exe: `type`, `copy`, `del`, `mkdir`, `dir`.

use super::{Ctx, Io, Status};
use crate::host::clock;
use crate::host::fs::{file_name, parent};

fn operands(args: &[String]) -> Vec<&String> {
    args.iter().filter(|a| !a.starts_with('/')).collect()
}

pub(super) fn type_file(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let names = operands(args);
    if names.is_empty() {
        ctx.eprint(io, "The syntax of the command is incorrect.\r\n");
        return Status::code(1);
    }
    let mut code = 0;
    for name in names {
        let path = ctx.path(name);
        if ctx.host.fs.dir_exists(&path) {
            ctx.eprint(io, "Access is denied.\r\n");
            code = 1;
            continue;
        }
        match ctx.host.fs.file(&path).map(|f| f.content.bytes()) {
            Some(bytes) => ctx.write(&io.stdout, &bytes),
            None => {
                ctx.eprint(io, "The system cannot find the file specified.\r\n");
                code = 1;
            }
        }
    }
    Status::code(code)
}

pub(super) fn copy(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let names = operands(args);
    let (Some(src), Some(dst)) = (names.first(), names.get(1)) else {
        ctx.eprint(io, "The syntax of the command is incorrect.\r\n");
        return Status::code(1);
    };
    let src = ctx.path(src);
    let mut dst = ctx.path(dst);
    let Some(entry) = ctx.host.fs.file(&src).cloned() else {
        ctx.eprint(io, "The system cannot find the file specified.\r\n");
        ctx.print(io, "        0 file(s) copied.\r\n");
        return Status::code(1);
    };
    if ctx.host.fs.dir_exists(&dst) {
        dst = format!("{}\\{}", dst.trim_end_matches('\\'), file_name(&entry.path));
    }
    if parent(&dst).is_none_or(|d| !ctx.host.fs.dir_exists(d)) {
        ctx.eprint(io, "The system cannot find the path specified.\r\n");
        ctx.print(io, "        0 file(s) copied.\r\n");
        return Status::code(1);
    }
    ctx.host.fs.put(crate::host::FileEntry { path: dst, ..entry });
    ctx.print(io, "        1 file(s) copied.\r\n");
    Status::ok()
}

pub(super) fn del(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    for name in operands(args) {
        let path = ctx.path(name);
        if !ctx.host.fs.remove(&path) {
            ctx.eprint(io, &format!("Could Not Find {path}\r\n"));
        }
    }
    // del reports success even when nothing was found.
    Status::ok()
}

pub(super) fn mkdir(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let mut code = 0;
    for name in operands(args) {
        let path = ctx.path(name);
        if ctx.host.fs.exists(&path) {
            ctx.eprint(io, &format!("A subdirectory or file {name} already exists.\r\n"));
            code = 1;
        } else {
            ctx.host.fs.mkdir_all(&path);
        }
    }
    Status::code(code)
}

/// Bytes free on C:, as a `dir` listing reports them.
const FREE_BYTES: u64 = 10_737_418_240;

pub(super) fn dir(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let target = operands(args).first().map(|s| ctx.path(s)).unwrap_or_else(|| ctx.cwd.clone());
    let mut text = String::from(" Volume in drive C has no label.\r\n Volume Serial Number is 1C2D-3E4F\r\n\r\n");
    let (dir, only) = if ctx.host.fs.dir_exists(&target) {
        (target.clone(), None)
    } else if ctx.host.fs.file(&target).is_some() {
        (parent(&target).unwrap_or("C:\\").to_string(), Some(file_name(&target).to_ascii_lowercase()))
    } else {
        ctx.print(io, &text);
        ctx.print(io, &format!(" Directory of {}\r\n\r\n", parent(&target).unwrap_or(&target)));
        ctx.eprint(io, "File Not Found\r\n");
        return Status::code(1);
    };
    text.push_str(&format!(" Directory of {dir}\r\n\r\n"));
    let stamp = clock::dir_stamp(ctx.host.clock);
    let (mut files, mut dirs, mut bytes) = (0u64, 0u64, 0u64);
    if only.is_none() {
        text.push_str(&format!("{stamp}    <DIR>          .\r\n{stamp}    <DIR>          ..\r\n"));
        dirs += 2;
    }
    for (name, entry) in ctx.host.fs.list(&dir) {
        if only.as_deref().is_some_and(|o| o != name.to_ascii_lowercase()) {
            continue;
        }
        match entry {
            Some(f) => {
                let size = f.content.len();
                files += 1;
                bytes += size;
                text.push_str(&format!("{}    {:>14} {name}\r\n", clock::dir_stamp(f.modified), group(size)));
            }
            None => {
                dirs += 1;
                text.push_str(&format!("{stamp}    <DIR>          {name}\r\n"));
            }
        }
    }
    text.push_str(&format!("{files:>16} File(s) {:>14} bytes\r\n", group(bytes)));
    text.push_str(&format!("{dirs:>16} Dir(s) {:>15} bytes free\r\n", group(FREE_BYTES)));
    ctx.print(io, &text);
    Status::ok()
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
