//! `findstr [/i] [/n] [/v] [/m] /c:"literal" [/c:"literal2" ...] FILE...` (a line matches
//! when it holds any of the literals; or words to match, or stdin from a pipe). Exit 0 when a line matched, 1 when none did; an unreadable file prints
//! `FINDSTR: Cannot open FILE` on stderr. Generated logs are searched line by line in one pass.

use super::{Ctx, Io, Status};
use crate::host::Content;

struct Options {
    ignore_case: bool,
    numbers: bool,
    invert: bool,
    names_only: bool,
    needles: Vec<Vec<u8>>,
    files: Vec<String>,
}

fn parse(args: &[String], ansi: u16) -> Option<Options> {
    let mut o = Options {
        ignore_case: false,
        numbers: false,
        invert: false,
        names_only: false,
        needles: vec![],
        files: vec![],
    };
    let mut literals: Vec<String> = Vec::new();
    let mut words = None;
    for arg in args {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("/c:") {
            literals.push(arg[3..].to_string());
        } else if lower.starts_with('/') && lower.len() >= 2 {
            for flag in lower[1..].chars() {
                match flag {
                    'i' => o.ignore_case = true,
                    'n' => o.numbers = true,
                    'v' => o.invert = true,
                    'm' => o.names_only = true,
                    _ => {}
                }
            }
        } else if literals.is_empty() && words.is_none() {
            words = Some(arg.clone());
        } else {
            o.files.push(arg.clone());
        }
    }
    let literals: Vec<Vec<u8>> = literals.iter().map(|l| crate::locale::encode(l, ansi)).collect();
    o.needles = match (literals.is_empty(), words) {
        (false, Some(first_file)) => {
            o.files.insert(0, first_file);
            literals
        }
        (false, None) => literals,
        (true, Some(w)) => w.split_whitespace().map(|s| crate::locale::encode(s, ansi)).collect(),
        (true, None) => return None,
    };
    if o.ignore_case {
        o.needles.iter_mut().for_each(|n| n.make_ascii_lowercase());
    }
    Some(o)
}

fn contains(hay: &[u8], needle: &[u8], ignore_case: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    hay.windows(needle.len()).any(|w| if ignore_case { w.eq_ignore_ascii_case(needle) } else { w == needle })
}

/// Matching lines of one input, formatted, and whether anything matched.
/// `ansi`: the code page a file's text is kept in on the host (the lab holds its files as
/// UTF-8 and gives them out in that page); `None` for bytes taken as they are (a pipe).
fn search(o: &Options, content: &Content, prefix: Option<&str>, ansi: Option<u16>) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut matched = false;
    let mut n = 0u64;
    content.for_each_line(|line| {
        n += 1;
        let transcoded;
        let line = match ansi {
            Some(page) if !line.is_ascii() => {
                transcoded = crate::locale::encode(&String::from_utf8_lossy(line), page);
                transcoded.as_slice()
            }
            _ => line,
        };
        let hit = o.needles.iter().any(|needle| contains(line, needle, o.ignore_case)) != o.invert;
        if !hit {
            return;
        }
        matched = true;
        if o.names_only {
            return;
        }
        if let Some(p) = prefix {
            out.extend_from_slice(p.as_bytes());
            out.push(b':');
        }
        if o.numbers {
            out.extend_from_slice(format!("{n}:").as_bytes());
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    });
    if o.names_only && matched {
        out.extend_from_slice(prefix.unwrap_or("").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    (out, matched)
}

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    // findstr takes its command line as bytes in the ANSI code page; the logs it searches are
    // kept in that page too (a guess: the WSUS log's encoding is unconfirmed), so a localized
    // search string matches a localized log line, and the line goes out in that page.
    let ansi = ctx.lang().ansi_code_page();
    let Some(o) = parse(args, ansi) else {
        ctx.eprint(io, "FINDSTR: Bad command line\r\n");
        return Status::code(2);
    };
    let mut any = false;
    if o.files.is_empty() {
        let input = Content::Bytes(io.stdin.clone().unwrap_or_default());
        let (out, matched) = search(&o, &input, None, None);
        ctx.write(&io.stdout, &out);
        return Status::code(if matched { 0 } else { 1 });
    }
    let many = o.files.len() > 1;
    for name in &o.files {
        let path = ctx.path(name);
        let Some(file) = ctx.host.fs.file(&path) else {
            let text = ctx.lang().findstr_cannot_open(name);
            ctx.eprint(io, &text);
            continue;
        };
        let prefix = (many || o.names_only).then_some(name.as_str());
        let (out, matched) = search(&o, &file.content, prefix, Some(ansi));
        any |= matched;
        ctx.write(&io.stdout, &out);
    }
    Status::code(if any { 0 } else { 1 })
}
