//! `where.exe` (Server 2003 and 2008): each pattern looked for in the current directory, then
//! in each folder of `PATH`, every match printed as a full path, one a line, as the file system
//! spells it. Nothing found: the localized "could not find" line on standard error, exit 1.
//! `/q` prints nothing and only sets the exit code. Wildcards and `/r` are not simulated.

use super::{Ctx, Io, Status};

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let quiet = args.iter().any(|a| a.eq_ignore_ascii_case("/q"));
    let patterns: Vec<&String> = args.iter().filter(|a| !a.starts_with('/')).collect();
    let mut folders = vec![ctx.cwd.clone()];
    folders.extend(
        ctx.var("PATH").unwrap_or_default().split(';').filter(|d| !d.trim().is_empty()).map(|d| d.trim().to_string()),
    );
    let mut found = Vec::new();
    let mut every = true;
    for pattern in &patterns {
        let hits: Vec<String> = folders
            .iter()
            .filter_map(|dir| {
                let path = crate::host::fs::normalize(dir, &format!("{}\\{pattern}", dir.trim_end_matches('\\')));
                ctx.host.fs.file(&path).map(|f| f.path.clone())
            })
            .collect();
        every &= !hits.is_empty();
        found.extend(hits);
    }
    if found.is_empty() {
        if !quiet {
            let text = ctx.lang().where_not_found();
            ctx.eprint(io, text);
        }
        return Status::code(1);
    }
    if !quiet {
        let text: String = found.iter().map(|p| format!("{p}\r\n")).collect();
        ctx.print(io, &text);
    }
    Status::code(i32::from(!every))
}
