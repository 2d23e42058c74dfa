//! The `cmd.exe` interpreter: runs a parsed command line against a [`HostState`].
//!
//! [`run_line`] is the entry point: it expands `%VAR%` once, parses, runs the tree with
//! cmd.exe's rules (`&&`/`||` test the command's result, redirections apply left to right,
//! `echo`/`ver`/`if` leave `%errorlevel%` alone) and returns stdout, stderr and the exit code
//! `cmd /c` would return, which is the final `%errorlevel%`. One module per command family.
//!
//! ```
//! use wsusfix_lab::{interp, profile::Profile};
//! let mut host = Profile::builtin("w2003-sp1-unpatched").unwrap().instantiate("wsus01").unwrap();
//! let who = host.session_principal();
//! let out = interp::run_line(&mut host, "ver", who);
//! assert_eq!(out.stdout, b"\r\nMicrosoft Windows [Version 5.2.3790]\r\n");
//! ```

mod bash;
mod builtin;
mod certutil;
mod files;
mod findstr;
mod installers;
mod reg;
mod schtasks;
mod services;
mod shutdown;
mod sqlcmd;
mod where_cmd;
mod whoami;
mod wmic;

use std::collections::BTreeMap;

use crate::cmdline::{self, Condition, Node, Redirect};
use crate::host::fs::{file_name, parent};
use crate::host::{Arch, Content, FileEntry, HostState, Os, Principal};
use crate::locale::Language;

/// What a command line produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: i32,
}

/// Runs one command line on a host as `principal`, the way `cmd /c LINE` would. A user's
/// line runs in the SSH server's process bitness (32-bit on x64 behind `freesshd`).
pub fn run_line(host: &mut HostState, line: &str, principal: Principal) -> Output {
    run_line_stdin(host, line, principal, None)
}

/// As [`run_line`], with bytes on the command's standard input (what the SSH client sent on
/// the channel); `cmd /q /d` without `/c` reads its commands from there.
pub fn run_line_stdin(host: &mut HostState, line: &str, principal: Principal, stdin: Option<Vec<u8>>) -> Output {
    tick(host);
    let mut ctx = Ctx::session(host, principal);
    let io = Io { stdout: Sink::Out, stderr: Sink::Err, stdin };
    ctx.run_text(line, &io);
    Output { stdout: ctx.out, stderr: ctx.err, exit_code: ctx.errorlevel }
}

/// Runs an SSH exec request's command as the host's SSH server does: through bash behind
/// `cygwin` (exit status masked to its low byte), else as `cmd.exe /c LINE`, as the
/// session's user. `stdin` is what the client sent on the channel before EOF.
pub fn run_session(host: &mut HostState, line: &str, stdin: Option<Vec<u8>>) -> Output {
    let principal = host.session_principal();
    if host.ssh_server.runs_bash() {
        bash::run(host, line, principal, stdin)
    } else {
        run_line_stdin(host, line, principal, stdin)
    }
}

/// True when an exec line is cmd.exe started without `/c` or `/k` (`cmd.exe /q /d`, `cmd /d
/// /q`, any case, any path): it reads its commands from the channel, so the server must
/// collect the client's data until EOF (or an `exit` line) before running it.
pub fn reads_stdin(line: &str) -> bool {
    let args = cmdline::split_args(line.trim());
    let Some(program) = args.first() else { return false };
    is_cmd_program(program) && args[1..].iter().all(|a| a.starts_with('/')) && stdin_switches(&args[1..]).is_some()
}

/// True when `line` (of channel input) ends a stdin script: `exit` or `exit N`.
pub fn is_exit_line(line: &str) -> bool {
    let words: Vec<&str> = line.trim().trim_start_matches('@').split_whitespace().collect();
    match words.as_slice() {
        [w] => w.eq_ignore_ascii_case("exit"),
        [w, rest @ ..] => {
            w.eq_ignore_ascii_case("exit")
                && rest.iter().all(|a| a.eq_ignore_ascii_case("/b") || a.parse::<i64>().is_ok())
        }
        _ => false,
    }
}

/// `cmd`, `cmd.exe`, `CMD.EXE`, `C:\Windows\system32\cmd.exe`, `/cygdrive/c/.../cmd`.
pub(crate) fn is_cmd_program(program: &str) -> bool {
    let base = file_name(&cmdline::unquote(program)).to_ascii_lowercase();
    base == "cmd" || base == "cmd.exe"
}

/// For cmd's switches without `/c` or `/k`: `Some(echo_on)` when they only hold switches
/// that leave cmd reading stdin (`/q` turns echo off; `/d`, `/a`, `/u`, `/e:..`, `/f:..`,
/// `/v:..` change nothing here); `None` when a `/c` or `/k` is there.
pub(crate) fn stdin_switches(args: &[String]) -> Option<bool> {
    let mut echo = true;
    for a in args {
        let lower = a.to_ascii_lowercase();
        match lower.as_str() {
            "/c" | "/k" => return None,
            "/q" => echo = false,
            "/d" | "/a" | "/u" | "/s" => {}
            other if other.starts_with("/e:") || other.starts_with("/f:") || other.starts_with("/v:") => {}
            _ => return None,
        }
    }
    Some(echo)
}

/// One command line's worth of host time: due tasks finish, the clock moves.
pub(crate) fn tick(host: &mut HostState) {
    schtasks::finish_due_tasks(host);
    host.settle_restart();
    host.clock += 1;
    host.lines_run += 1;
}

/// Where a stream goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sink {
    Out,
    Err,
    Null,
    File(String),
    Capture(usize),
}

/// The streams of one command.
#[derive(Debug, Clone)]
pub(crate) struct Io {
    pub stdout: Sink,
    pub stderr: Sink,
    /// `None`: the session's stdin (empty); `Some`: redirected or piped bytes.
    pub stdin: Option<Vec<u8>>,
}

/// A command's result: its exit code and whether it updates `%errorlevel%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status {
    pub code: i32,
    pub sets_errorlevel: bool,
}

impl Status {
    pub fn code(code: i32) -> Status {
        Status { code, sets_errorlevel: true }
    }
    pub fn ok() -> Status {
        Status::code(0)
    }
    /// Success that leaves `%errorlevel%` as it was (echo, ver, rem).
    pub fn neutral() -> Status {
        Status { code: 0, sets_errorlevel: false }
    }
}

/// Execution context of one line (and of nested `cmd /c` lines).
pub(crate) struct Ctx<'h> {
    pub host: &'h mut HostState,
    pub principal: Principal,
    pub errorlevel: i32,
    pub env: BTreeMap<String, String>,
    pub cwd: String,
    /// The process is 32-bit on a 64-bit host: registry and file-system redirection apply.
    pub wow64: bool,
    /// The console code page output is encoded in (`chcp` changes it).
    pub code_page: u16,
    out: Vec<u8>,
    err: Vec<u8>,
    captures: Vec<Vec<u8>>,
    exited: bool,
    depth: u32,
}

impl<'h> Ctx<'h> {
    fn new(host: &'h mut HostState, principal: Principal) -> Ctx<'h> {
        let mut env = host.env.clone();
        let cwd = host.cwd.clone();
        if principal == Principal::System {
            let temp = format!("{}\\TEMP", host.windir());
            for (k, v) in [("TEMP", temp.as_str()), ("TMP", temp.as_str()), ("USERNAME", "SYSTEM")] {
                env.retain(|name, _| !name.eq_ignore_ascii_case(k));
                env.insert(k.to_string(), v.to_string());
            }
        }
        let code_page = host.language.oem_code_page();
        Ctx {
            host,
            principal,
            errorlevel: 0,
            env,
            cwd,
            wow64: false,
            code_page,
            out: Vec::new(),
            err: Vec::new(),
            captures: Vec::new(),
            exited: false,
            depth: 0,
        }
    }

    /// The context of an SSH session's line: a user's process has the SSH server's bitness;
    /// a 32-bit one on x64 sees WOW64's environment (`PROCESSOR_ARCHITECTURE=x86`,
    /// `PROCESSOR_ARCHITEW6432=AMD64`, `ProgramFiles` = the `(x86)` folder).
    fn session(host: &'h mut HostState, principal: Principal) -> Ctx<'h> {
        let wow64 = matches!(principal, Principal::User(_)) && host.session_is_wow64();
        let mut ctx = Ctx::new(host, principal);
        if wow64 {
            ctx.wow64 = true;
            let x86_files = ctx.var("ProgramFiles(x86)").unwrap_or_else(|| "C:\\Program Files (x86)".into());
            for (k, v) in [
                ("PROCESSOR_ARCHITECTURE", "x86".to_string()),
                ("PROCESSOR_ARCHITEW6432", "AMD64".to_string()),
                ("ProgramFiles", x86_files),
            ] {
                ctx.env.retain(|name, _| !name.eq_ignore_ascii_case(k));
                ctx.env.insert(k.to_string(), v);
            }
        }
        ctx
    }

    /// The host's language.
    pub fn lang(&self) -> Language {
        self.host.language
    }

    /// True when `%windir%\Sysnative` exists for this process: a 32-bit process on 64-bit
    /// Server 2008 (Vista added the alias; Server 2003 x64 only with a hotfix, modelled absent).
    pub fn sysnative_available(&self) -> bool {
        self.wow64 && self.host.os == Os::W2008
    }

    /// The redirection folder a normalised path lies in, if any: `Some(true)` for
    /// `%windir%\Sysnative\...` (the 64-bit system folder), `Some(false)` for
    /// `%windir%\SysWOW64\...` (the 32-bit one), with the rest of the path.
    fn system_alias(&self, path: &str) -> Option<(bool, String)> {
        let windir = self.host.windir().to_ascii_lowercase();
        let lower = path.to_ascii_lowercase();
        for (name, native) in [("sysnative", true), ("syswow64", false)] {
            let dir = format!("{windir}\\{name}");
            if lower == dir {
                return Some((native, String::new()));
            }
            if let Some(rest) = lower.strip_prefix(&format!("{dir}\\")) {
                return Some((native, rest.to_string()));
            }
        }
        None
    }

    /// Whether a path in a redirection folder exists for this process (`None`: not such a
    /// path). The lab's system folders hold its simulated programs.
    fn alias_exists(&self, path: &str) -> Option<bool> {
        let (native, rest) = self.system_alias(path)?;
        let folder = if native { self.sysnative_available() } else { self.host.arch == Arch::X64 };
        let program = rest.is_empty() || SYSTEM_PROGRAMS.contains(&rest.as_str());
        Some(folder && program)
    }

    /// An environment variable of this session, dynamic ones included.
    pub fn var(&self, name: &str) -> Option<String> {
        if let Some((_, v)) = self.env.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            return Some(v.clone());
        }
        match name.to_ascii_lowercase().as_str() {
            "errorlevel" => Some(self.errorlevel.to_string()),
            "cd" => Some(self.cwd.clone()),
            "random" => Some(((self.host.lines_run * 7919 + 17) % 32768).to_string()),
            "date" => {
                let c = crate::host::clock::civil(self.host.clock);
                Some(format!("{:02}/{:02}/{}", c.month, c.day, c.year))
            }
            "time" => {
                let c = crate::host::clock::civil(self.host.clock);
                Some(format!("{:2}:{:02}:{:02}.00", c.hour, c.minute, c.second))
            }
            _ => None,
        }
    }

    /// Normalises a path against the session's current directory.
    pub fn path(&self, raw: &str) -> String {
        crate::host::fs::normalize(&self.cwd, &cmdline::unquote(raw))
    }

    /// Expands, parses and runs a line with the given streams; returns its exit code.
    pub fn run_text(&mut self, line: &str, io: &Io) -> i32 {
        let expanded = cmdline::expand(line, |name| self.var(name));
        match cmdline::parse(&expanded) {
            Ok(node) => {
                self.exec(&node, io);
            }
            Err(e) => {
                self.write(&io.stderr, format!("{e}\r\n").as_bytes());
                self.errorlevel = 255;
            }
        }
        self.errorlevel
    }

    /// Runs a node; true when it succeeded (for `&&` and `||`).
    fn exec(&mut self, node: &Node, io: &Io) -> bool {
        if self.exited {
            return false;
        }
        match node {
            Node::Empty => true,
            Node::Simple(simple) => match self.redirected(io, &simple.redirects) {
                Some(io) => {
                    let status = self.run_simple(&simple.text, &io);
                    if status.sets_errorlevel {
                        self.errorlevel = status.code;
                    }
                    status.code == 0
                }
                None => false,
            },
            Node::Group(inner, redirects) => match self.redirected(io, redirects) {
                Some(io) => self.exec(inner, &io),
                None => false,
            },
            Node::Seq(items) => items.iter().fold(true, |_, item| self.exec(item, io)),
            Node::And(a, b) => self.exec(a, io) && self.exec(b, io),
            Node::Or(a, b) => self.exec(a, io) || self.exec(b, io),
            Node::Pipe(a, b) => {
                let slot = self.captures.len();
                self.captures.push(Vec::new());
                let left = Io { stdout: Sink::Capture(slot), ..io.clone() };
                self.exec(a, &left);
                let data = std::mem::take(&mut self.captures[slot]);
                let right = Io { stdin: Some(data), ..io.clone() };
                self.exec(b, &right)
            }
            Node::If(cmd) => {
                let holds = self.condition(&cmd.cond) != cmd.negate;
                match (holds, &cmd.otherwise) {
                    (true, _) => self.exec(&cmd.then, io),
                    (false, Some(other)) => self.exec(other, io),
                    (false, None) => true,
                }
            }
        }
    }

    fn condition(&self, cond: &Condition) -> bool {
        match cond {
            Condition::Exist(path) => {
                let p = self.path(path);
                if let Some(exists) = self.alias_exists(&p) {
                    return exists;
                }
                let dir_form = path.ends_with('\\') || path.ends_with("\\\"");
                if dir_form {
                    self.host.fs.dir_exists(&p)
                } else {
                    self.host.fs.exists(&p)
                }
            }
            Condition::ErrorLevel(n) => self.errorlevel >= *n,
            Condition::Defined(name) => self.env.keys().any(|k| k.eq_ignore_ascii_case(name)),
            Condition::Equal { left, right, ignore_case } => {
                if *ignore_case {
                    left.eq_ignore_ascii_case(right)
                } else {
                    left == right
                }
            }
        }
    }

    /// Applies redirections; `None` (after printing cmd's error) when a file cannot be opened.
    fn redirected(&mut self, io: &Io, redirects: &[Redirect]) -> Option<Io> {
        let mut io = io.clone();
        for r in redirects {
            match r {
                Redirect::Dup { fd, to } => {
                    let target = if *to == 2 { io.stderr.clone() } else { io.stdout.clone() };
                    match fd {
                        2 => io.stderr = target,
                        _ => io.stdout = target,
                    }
                }
                Redirect::In { source } => {
                    if is_nul(source) {
                        io.stdin = Some(Vec::new());
                    } else {
                        let path = self.path(source);
                        match self.host.fs.file(&path) {
                            Some(f) => io.stdin = Some(f.content.bytes()),
                            None => {
                                let text = self.lang().file_not_found();
                                self.write_text(&io.stderr, text);
                                self.errorlevel = 1;
                                return None;
                            }
                        }
                    }
                }
                Redirect::Out { fd, target, append } => {
                    let sink = if is_nul(target) {
                        Sink::Null
                    } else {
                        let path = self.path(target);
                        if !self.open_for_write(&path, *append) {
                            let text = self.lang().path_not_found();
                            self.write_text(&io.stderr, text);
                            self.errorlevel = 1;
                            return None;
                        }
                        Sink::File(path)
                    };
                    match fd {
                        2 => io.stderr = sink,
                        _ => io.stdout = sink,
                    }
                }
            }
        }
        Some(io)
    }

    fn open_for_write(&mut self, path: &str, append: bool) -> bool {
        let Some(dir) = parent(path) else { return false };
        if !self.host.fs.dir_exists(dir) || self.host.fs.dir_exists(path) {
            return false;
        }
        let now = self.host.clock;
        match self.host.fs.file_mut(path) {
            Some(f) if append => f.modified = now,
            _ => self.host.fs.put(FileEntry {
                path: path.to_string(),
                version: None,
                modified: now,
                content: Content::Text(String::new()),
            }),
        }
        true
    }

    /// Writes bytes to a sink.
    pub fn write(&mut self, sink: &Sink, data: &[u8]) {
        match sink {
            Sink::Out => self.out.extend_from_slice(data),
            Sink::Err => self.err.extend_from_slice(data),
            Sink::Null => {}
            Sink::Capture(slot) => {
                if let Some(buf) = self.captures.get_mut(*slot) {
                    buf.extend_from_slice(data);
                }
            }
            Sink::File(path) => {
                if let Some(f) = self.host.fs.file_mut(path) {
                    f.content.append(data);
                }
            }
        }
    }

    /// Writes text encoded in the console code page to a sink.
    pub fn write_text(&mut self, sink: &Sink, text: &str) {
        let bytes = crate::locale::encode(text, self.code_page);
        self.write(sink, &bytes);
    }

    /// Prints text (encoded in the console code page) to stdout.
    pub fn print(&mut self, io: &Io, text: &str) {
        let bytes = crate::locale::encode(text, self.code_page);
        self.write(&io.stdout, &bytes);
    }

    /// Prints text (encoded in the console code page) to stderr.
    pub fn eprint(&mut self, io: &Io, text: &str) {
        let bytes = crate::locale::encode(text, self.code_page);
        self.write(&io.stderr, &bytes);
    }

    /// Runs a nested `cmd /c` line with fresh expansion; returns its exit code.
    pub fn nested(&mut self, line: &str, io: &Io) -> i32 {
        if self.depth >= 8 {
            self.eprint(io, "The system cannot execute the specified program.\r\n");
            return 1;
        }
        self.depth += 1;
        let saved_exit = self.exited;
        let code = self.run_text(line, io);
        self.exited = saved_exit;
        self.depth -= 1;
        code
    }

    fn run_simple(&mut self, text: &str, io: &Io) -> Status {
        let trimmed = text.trim_start();
        if let Some(status) = builtin::echo(self, io, trimmed) {
            return status;
        }
        let args = cmdline::split_args(trimmed);
        let Some(program) = args.first() else { return Status::neutral() };
        let rest = &args[1..];
        if let Some(status) = builtin::run(self, io, program, rest, trimmed) {
            return status;
        }
        // A program parses its own command line, by the C runtime's rules.
        let args = cmdline::split_args_crt(trimmed);
        let Some(program) = args.first() else { return Status::neutral() };
        self.external(io, program, &args[1..])
    }

    fn external(&mut self, io: &Io, program: &str, args: &[String]) -> Status {
        let has_dir = program.contains(['\\', '/']);
        if has_dir {
            // %windir%\Sysnative\X runs the 64-bit X from a 32-bit process; SysWOW64\X the
            // 32-bit one. Where the folder does not exist for this process, the path is not found.
            let path = self.path(program);
            if let Some((native, _)) = self.system_alias(&path) {
                if self.alias_exists(&path) != Some(true) {
                    let text = self.lang().path_not_found();
                    self.eprint(io, text);
                    return Status::code(3);
                }
                let saved = self.wow64;
                self.wow64 = !native;
                let status = self.program(io, program, args);
                self.wow64 = saved;
                return status;
            }
        }
        self.program(io, program, args)
    }

    fn program(&mut self, io: &Io, program: &str, args: &[String]) -> Status {
        let base = file_name(program).to_ascii_lowercase();
        let stem = base.strip_suffix(".exe").or_else(|| base.strip_suffix(".com")).unwrap_or(&base).to_string();
        let has_dir = program.contains(['\\', '/']);
        match stem.as_str() {
            "chcp" => return builtin::chcp(self, io, args),
            "cmd" if has_dir => {
                let text = format!("cmd {}", args.join(" "));
                return builtin::cmd(self, io, &text);
            }
            "reg" => return reg::run(self, io, args),
            "wmic" => return wmic::run(self, io, args),
            "sc" => return services::sc(self, io, args),
            "net" => return services::net(self, io, args),
            "iisreset" => return services::iisreset(self, io, args),
            "findstr" => return findstr::run(self, io, args),
            "whoami" if self.host.whoami => return whoami::run(self, io, args),
            "certutil" => return certutil::run(self, io, args),
            "schtasks" => return schtasks::run(self, io, args),
            "sqlcmd" | "osql" => {
                let flavour = if stem == "osql" { sqlcmd::Flavour::Osql } else { sqlcmd::Flavour::Sqlcmd };
                if self.find_program(program).is_some() {
                    return sqlcmd::run(self, io, args, flavour);
                }
            }
            "where" => return where_cmd::run(self, io, args),
            "shutdown" => return shutdown::run(self, io, args),
            "hostname" => {
                let name = self.var("COMPUTERNAME").unwrap_or_default();
                self.print(io, &format!("{name}\r\n"));
                return Status::ok();
            }
            _ => {}
        }
        if let Some(kind) = installers::Installer::recognise(&stem) {
            let path = self.resolve_program(program);
            if let Some(path) = path.filter(|p| self.host.fs.file(p).is_some()) {
                return installers::run(self, io, kind, &path, args);
            }
        }
        if has_dir {
            let path = self.path(program);
            if parent(&path).is_some_and(|d| !self.host.fs.dir_exists(d)) {
                let text = self.lang().path_not_found();
                self.eprint(io, text);
                return Status::code(3);
            }
        }
        let text = self.lang().not_recognized(program);
        self.eprint(io, &text);
        Status::code(9009)
    }

    /// Finds a program that is a file of the host (the SQL tools): by its path, or a bare name
    /// in the current directory or a folder of `PATH`; with `.exe` added when it has none.
    fn find_program(&self, program: &str) -> Option<String> {
        let name = crate::cmdline::unquote(program);
        let names = if name.to_ascii_lowercase().ends_with(".exe") {
            vec![name.clone()]
        } else {
            vec![name.clone(), format!("{name}.exe")]
        };
        let folders: Vec<String> = if name.contains(['\\', '/']) {
            vec![self.cwd.clone()]
        } else {
            std::iter::once(self.cwd.clone())
                .chain(
                    self.var("PATH")
                        .unwrap_or_default()
                        .split(';')
                        .filter(|d| !d.trim().is_empty())
                        .map(str::to_string),
                )
                .collect()
        };
        folders
            .iter()
            .flat_map(|dir| names.iter().map(move |n| crate::host::fs::normalize(dir, n)))
            .find(|p| self.host.fs.file(p).is_some())
    }

    /// Finds a program file: as given, or with `.exe`, in the current directory for bare names.
    fn resolve_program(&self, program: &str) -> Option<String> {
        let base = self.path(program);
        [base.clone(), format!("{base}.exe")].into_iter().find(|p| self.host.fs.file(p).is_some())
    }
}

/// The programs of the lab's system folders (`%windir%\\Sysnative`, `SysWOW64`).
const SYSTEM_PROGRAMS: &[&str] = &[
    "reg.exe",
    "cmd.exe",
    "sc.exe",
    "net.exe",
    "findstr.exe",
    "certutil.exe",
    "schtasks.exe",
    "whoami.exe",
    "hostname.exe",
    "shutdown.exe",
    "chcp.com",
    "iisreset.exe",
    "wbem",
    "wbem\\wmic.exe",
];

fn is_nul(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    lower == "nul" || lower == "nul:"
}

/// Encodes text for an en-US console (code page 437); see [`crate::locale::encode`] for
/// the other code pages.
pub fn oem(text: &str) -> Vec<u8> {
    crate::locale::encode(text, 437)
}

/// The value of `/name` or `/name:value` style options, case-insensitive.
pub(crate) fn has_flag(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a.eq_ignore_ascii_case(flag) || a.eq_ignore_ascii_case(&flag.replace('/', "-")))
}

/// The argument after an option (`/tn NAME`).
pub(crate) fn option_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let alt = flag.replace('/', "-");
    args.iter()
        .position(|a| a.eq_ignore_ascii_case(flag) || a.eq_ignore_ascii_case(&alt))
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[cfg(test)]
mod tests;
