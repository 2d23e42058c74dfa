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
mod whoami;
mod wmic;

use std::collections::BTreeMap;

use crate::cmdline::{self, Condition, Node, Redirect};
use crate::host::fs::{file_name, parent};
use crate::host::{Content, FileEntry, HostState, Principal};

/// What a command line produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: i32,
}

/// Runs one command line on a host as `principal`, the way `cmd /c LINE` would.
pub fn run_line(host: &mut HostState, line: &str, principal: Principal) -> Output {
    schtasks::finish_due_tasks(host);
    host.clock += 1;
    host.lines_run += 1;
    let mut ctx = Ctx::new(host, principal);
    let io = Io { stdout: Sink::Out, stderr: Sink::Err, stdin: None };
    ctx.run_text(line, &io);
    Output { stdout: ctx.out, stderr: ctx.err, exit_code: ctx.errorlevel }
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
        Ctx {
            host,
            principal,
            errorlevel: 0,
            env,
            cwd,
            out: Vec::new(),
            err: Vec::new(),
            captures: Vec::new(),
            exited: false,
            depth: 0,
        }
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
                                self.write(&io.stderr, b"The system cannot find the file specified.\r\n");
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
                            self.write(&io.stderr, b"The system cannot find the path specified.\r\n");
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

    /// Prints text (OEM-encoded) to stdout.
    pub fn print(&mut self, io: &Io, text: &str) {
        self.write(&io.stdout, &oem(text));
    }

    /// Prints text (OEM-encoded) to stderr.
    pub fn eprint(&mut self, io: &Io, text: &str) {
        self.write(&io.stderr, &oem(text));
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
        let base = file_name(program).to_ascii_lowercase();
        let stem = base.strip_suffix(".exe").unwrap_or(&base).to_string();
        let has_dir = program.contains(['\\', '/']);
        match stem.as_str() {
            "reg" => return reg::run(self, io, args),
            "wmic" => return wmic::run(self, io, args),
            "sc" => return services::sc(self, io, args),
            "net" => return services::net(self, io, args),
            "iisreset" => return services::iisreset(self, io, args),
            "findstr" => return findstr::run(self, io, args),
            "whoami" if self.host.whoami => return whoami::run(self, io, args),
            "certutil" => return certutil::run(self, io, args),
            "schtasks" => return schtasks::run(self, io, args),
            "sqlcmd" => return sqlcmd::run(self, io, args),
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
                self.eprint(io, "The system cannot find the path specified.\r\n");
                return Status::code(3);
            }
        }
        self.eprint(
            io,
            &format!("'{program}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"),
        );
        Status::code(9009)
    }

    /// Finds a program file: as given, or with `.exe`, in the current directory for bare names.
    fn resolve_program(&self, program: &str) -> Option<String> {
        let base = self.path(program);
        [base.clone(), format!("{base}.exe")].into_iter().find(|p| self.host.fs.file(p).is_some())
    }
}

fn is_nul(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    lower == "nul" || lower == "nul:"
}

/// Encodes text for the console's OEM code page (850): the few non-ASCII characters Windows
/// prints here get their byte, anything else becomes `?`.
pub fn oem(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            '®' => 0xA9,
            '©' => 0xB8,
            'é' => 0x82,
            'ü' => 0x81,
            'ä' => 0x84,
            'ö' => 0x94,
            _ => b'?',
        })
        .collect()
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
