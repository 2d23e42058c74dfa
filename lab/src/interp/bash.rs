//! A model of the login shell behind Cygwin's (or Copssh's) sshd: bash, reduced to what the
//! lab needs. It is a model, not bash: the line is split crudely on `;`, `&`, `&&`, `||`, `|`
//! and parentheses (quotes respected); `cmd`/`cmd.exe` (any case, any path) runs cmd.exe
//! with the rest as its Windows command line (`/c LINE`, or `/q /d` reading the channel's
//! stdin); `echo` prints its words literally (bash does not expand `%COMSPEC%`); `exit N`
//! ends; anything else is `bash: NAME: command not found` (exit 127). Redirections: `2>&1`,
//! `>`/`2>` to `/dev/null`, `<` from `/dev/null` (another file: no such file). The status of
//! a Windows program is its exit code's low byte, as Cygwin's `wait` reports it, so 3010
//! arrives as 194.

use super::{is_cmd_program, run_line_stdin, Output};
use crate::host::{HostState, Principal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Then,
    And,
    Or,
}

/// Runs an exec line through the bash model.
pub(super) fn run(host: &mut HostState, line: &str, principal: Principal, stdin: Option<Vec<u8>>) -> Output {
    let mut out = Output::default();
    let mut stdin = stdin;
    let mut status = 0i32;
    for (op, text) in split(line) {
        let run = match op {
            Op::Then => true,
            Op::And => status == 0,
            Op::Or => status != 0,
        };
        if !run {
            continue;
        }
        match simple(host, &text, principal, &mut stdin, &mut out) {
            Step::Status(code) => status = code,
            Step::Exit(code) => {
                status = code;
                break;
            }
            Step::Empty => {}
        }
    }
    out.exit_code = status & 0xFF;
    out
}

enum Step {
    Status(i32),
    Exit(i32),
    Empty,
}

/// Splits a line into commands with the operator before each (quotes respected).
fn split(line: &str) -> Vec<(Op, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut op = Op::Then;
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if single {
            single = c != '\'';
            current.push(c);
        } else if double {
            if c == '\\' && next.is_some() {
                current.push(c);
                current.push(chars[i + 1]);
                i += 1;
            } else {
                double = c != '"';
                current.push(c);
            }
        } else {
            match c {
                '\'' => {
                    single = true;
                    current.push(c);
                }
                '"' => {
                    double = true;
                    current.push(c);
                }
                '\\' if next.is_some() => {
                    current.push(c);
                    current.push(chars[i + 1]);
                    i += 1;
                }
                '&' if current.ends_with('>') || current.ends_with("<") => current.push(c),
                '&' | '|' if next == Some(c) => {
                    parts.push((op, std::mem::take(&mut current)));
                    op = if c == '&' { Op::And } else { Op::Or };
                    i += 1;
                }
                ';' | '&' | '|' | '(' | ')' | '\n' => {
                    parts.push((op, std::mem::take(&mut current)));
                    op = Op::Then;
                }
                _ => current.push(c),
            }
        }
        i += 1;
    }
    parts.push((op, current));
    parts
}

/// Where a stream goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum To {
    Out,
    Err,
    Null,
}

/// Splits one command into words the way bash does (quotes removed, backslash escapes
/// applied) and collects its redirections.
fn words(text: &str) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut redirects = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let (mut single, mut double) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => {
                single = !single;
                in_word = true;
            }
            '"' if !single => {
                double = !double;
                in_word = true;
            }
            '\\' if !single => {
                if let Some(&n) = chars.peek() {
                    if !double || matches!(n, '"' | '\\' | '$' | '`') {
                        current.push(n);
                        chars.next();
                    } else {
                        current.push(c);
                    }
                    in_word = true;
                }
            }
            ' ' | '\t' if !single && !double => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    // Redirection words: `2>&1`, `>x`, `2>x`, `<x`, or the operator alone then its target.
    let mut plain = Vec::new();
    let mut it = words.into_iter().peekable();
    while let Some(w) = it.next() {
        let is_redirect = w.starts_with('>') || w.starts_with('<') || w.starts_with("1>") || w.starts_with("2>");
        if is_redirect {
            let mut r = w.clone();
            if matches!(r.as_str(), ">" | "<" | "1>" | "2>" | ">>" | "2>>") {
                if let Some(target) = it.next() {
                    r.push_str(&target);
                }
            }
            redirects.push(r);
        } else {
            plain.push(w);
        }
    }
    (plain, redirects)
}

fn simple(
    host: &mut HostState,
    text: &str,
    principal: Principal,
    stdin: &mut Option<Vec<u8>>,
    out: &mut Output,
) -> Step {
    let (args, redirects) = words(text);
    let (mut stdout, mut stderr) = (To::Out, To::Err);
    let mut own_stdin: Option<Vec<u8>> = None;
    for r in &redirects {
        let r = r.as_str();
        if r == "2>&1" {
            stderr = stdout;
        } else if let Some(target) = r.strip_prefix("2>>").or_else(|| r.strip_prefix("2>")) {
            stderr = if target == "&1" { stdout } else { To::Null };
        } else if let Some(target) = r.strip_prefix('<') {
            if target != "/dev/null" {
                out.stderr.extend_from_slice(format!("bash: {target}: No such file or directory\n").as_bytes());
                return Step::Status(1);
            }
            own_stdin = Some(Vec::new());
        } else if r.strip_prefix("1>").or_else(|| r.strip_prefix('>')).is_some() {
            stdout = To::Null;
        }
    }
    let Some(name) = args.first() else { return Step::Empty };
    let mut write = |to: To, bytes: &[u8]| match to {
        To::Out => out.stdout.extend_from_slice(bytes),
        To::Err => out.stderr.extend_from_slice(bytes),
        To::Null => {}
    };
    if name == "echo" {
        let mut text = args[1..].join(" ");
        text.push('\n');
        write(stdout, text.as_bytes());
        return Step::Status(0);
    }
    if name == "exit" {
        let code = args.get(1).and_then(|a| a.parse::<i64>().ok()).unwrap_or(0);
        return Step::Exit((code & 0xFF) as i32);
    }
    if is_cmd_program(name) {
        // Cygwin hands cmd.exe a Windows command line built from the words, quoting those
        // with blanks or quotes.
        let line = std::iter::once("cmd".to_string())
            .chain(args[1..].iter().map(|a| windows_quote(a)))
            .collect::<Vec<_>>()
            .join(" ");
        let input = own_stdin.or_else(|| stdin.take());
        let result = run_line_stdin(host, &line, principal, input);
        write(stdout, &result.stdout);
        write(stderr, &result.stderr);
        return Step::Status(((result.exit_code as u32) & 0xFF) as i32);
    }
    write(stderr, format!("bash: {name}: command not found\n").as_bytes());
    Step::Status(127)
}

/// Quotes one argument for a Windows command line (the C runtime's rules).
fn windows_quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        return arg.to_string();
    }
    format!("\"{}\"", arg.replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_redirections() {
        let parts = split(r#"echo a & cmd /c "ver & echo x" 2>&1 && exit 3; (echo b)"#);
        let texts: Vec<&str> = parts.iter().map(|(_, t)| t.trim()).filter(|t| !t.is_empty()).collect();
        assert_eq!(texts, vec!["echo a", r#"cmd /c "ver & echo x" 2>&1"#, "exit 3", "echo b"]);
        assert_eq!(parts[2].0, Op::And);
    }

    #[test]
    fn words_unquote_and_eat_backslashes() {
        let (w, r) = words(r#"reg query HKLM\SOFTWARE "a b" 'c\d' 2>&1"#);
        assert_eq!(w, vec!["reg", "query", "HKLMSOFTWARE", "a b", r"c\d"]);
        assert_eq!(r, vec!["2>&1"]);
    }
}
