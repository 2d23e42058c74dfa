//! File commands built into cmd.exe: `type`, `copy`, `del`, `mkdir`, `rmdir`, `dir`.

use super::{Ctx, Io, Status};
use crate::host::fs::{file_name, parent};

fn operands(args: &[String]) -> Vec<&String> {
    args.iter().filter(|a| !a.starts_with('/')).collect()
}

pub(super) fn type_file(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let lang = ctx.lang();
    let names = operands(args);
    if names.is_empty() {
        ctx.eprint(io, lang.syntax_incorrect());
        return Status::code(1);
    }
    let mut code = 0;
    for name in names {
        let path = ctx.path(name);
        if ctx.host.fs.dir_exists(&path) {
            ctx.eprint(io, lang.access_denied());
            code = 1;
            continue;
        }
        match ctx.host.fs.file(&path).map(|f| f.content.bytes()) {
            Some(bytes) => ctx.write(&io.stdout, &bytes),
            None => {
                ctx.eprint(io, lang.file_not_found());
                code = 1;
            }
        }
    }
    Status::code(code)
}

pub(super) fn copy(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let lang = ctx.lang();
    let names = operands(args);
    let (Some(src), Some(dst)) = (names.first(), names.get(1)) else {
        ctx.eprint(io, lang.syntax_incorrect());
        return Status::code(1);
    };
    let src = ctx.path(src);
    let mut dst = ctx.path(dst);
    let Some(entry) = ctx.host.fs.file(&src).cloned() else {
        ctx.eprint(io, lang.file_not_found());
        ctx.print(io, &lang.files_copied(0));
        return Status::code(1);
    };
    if ctx.host.fs.dir_exists(&dst) {
        dst = format!("{}\\{}", dst.trim_end_matches('\\'), file_name(&entry.path));
    }
    if parent(&dst).is_none_or(|d| !ctx.host.fs.dir_exists(d)) {
        ctx.eprint(io, lang.path_not_found());
        ctx.print(io, &lang.files_copied(0));
        return Status::code(1);
    }
    ctx.host.fs.put(crate::host::FileEntry { path: dst, ..entry });
    ctx.print(io, &lang.files_copied(1));
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

/// `rmdir [/s] [/q] DIR`: an empty folder, or with `/s` the whole tree. A folder with
/// something in it is refused without `/s`.
pub(super) fn rmdir(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let lang = ctx.lang();
    let tree = args.iter().any(|a| a.eq_ignore_ascii_case("/s"));
    let mut code = 0;
    for name in operands(args) {
        let path = ctx.path(name);
        if !ctx.host.fs.dir_exists(&path) {
            ctx.eprint(io, lang.file_not_found());
            code = 2;
        } else if !tree && !ctx.host.fs.list(&path).is_empty() {
            ctx.eprint(io, lang.dir_not_empty());
            code = 145;
        } else {
            ctx.host.fs.remove_tree(&path, |_| false);
        }
    }
    Status::code(code)
}

pub(super) fn dir(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let lang = ctx.lang();
    // `/-c` leaves out the thousands separators.
    let grouped = !args.iter().any(|a| a.eq_ignore_ascii_case("/-c"));
    let number = |n: u64| if grouped { lang.group_digits(n) } else { n.to_string() };
    let target = operands(args).first().map(|s| ctx.path(s)).unwrap_or_else(|| ctx.cwd.clone());
    let mut text = lang.dir_volume("1C2D-3E4F");
    let (dir, only) = if ctx.host.fs.dir_exists(&target) {
        (target.clone(), None)
    } else if ctx.host.fs.file(&target).is_some() {
        (parent(&target).unwrap_or("C:\\").to_string(), Some(file_name(&target).to_ascii_lowercase()))
    } else {
        ctx.print(io, &text);
        ctx.print(io, &lang.dir_of(parent(&target).unwrap_or(&target)));
        ctx.eprint(io, lang.dir_not_found());
        return Status::code(1);
    };
    text.push_str(&lang.dir_of(&dir));
    let stamp = lang.dir_stamp(ctx.host.clock);
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
                text.push_str(&format!("{}    {:>14} {name}\r\n", lang.dir_stamp(f.modified), number(size)));
            }
            None => {
                dirs += 1;
                text.push_str(&format!("{stamp}    <DIR>          {name}\r\n"));
            }
        }
    }
    text.push_str(&lang.dir_summary(files, bytes, dirs, ctx.host.free_bytes, grouped));
    ctx.print(io, &text);
    Status::ok()
}
