//! Upload support: the sink side of the classic SCP protocol (`scp -t PATH`), which OpenSSH's
//! `scp -O` (legacy mode) and libssh2's `scp_send` speak. The client sends `C<mode> <size>
//! <name>\n`, the bytes, and a `\0`; the sink answers `\0` to each step. `D`/`E` (recursive)
//! and `T` (times, `-p`) records are accepted. Paths may use `/` and a leading `/C:` as
//! Win32-OpenSSH writes them. SFTP is not offered.

use crate::host::fs::{file_name, FileEntry};
use crate::host::{Content, HostState};

/// A file the client finished sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Directories entered with `D` records, outermost first.
    pub dirs: Vec<String>,
    pub name: String,
    pub data: Vec<u8>,
}

#[derive(Debug)]
enum State {
    Header,
    Data { name: String, remaining: u64, data: Vec<u8> },
    Trailer { name: String, data: Vec<u8> },
}

/// One `scp -t` session.
#[derive(Debug)]
pub struct ScpSink {
    /// The target given on the command line, as a Windows path.
    pub target: String,
    line: Vec<u8>,
    dirs: Vec<String>,
    state: State,
}

/// What the sink answers after a chunk of input.
#[derive(Debug, Default)]
pub struct Step {
    pub reply: Vec<u8>,
    pub received: Vec<Received>,
    /// The client ended the session or the protocol failed: close the channel.
    pub finished: bool,
}

/// Largest upload accepted (a WSUS package is tens of MB).
const MAX_FILE: u64 = 512 * 1024 * 1024;

impl ScpSink {
    /// Recognises `scp [-v] [-r] [-p] [-d] -t [--] PATH`.
    pub fn from_command(command: &str) -> Option<ScpSink> {
        let words = shell_words(command);
        let (program, rest) = words.split_first()?;
        if file_name(program).trim_end_matches(".exe") != "scp" {
            return None;
        }
        let mut sink = false;
        let mut target = None;
        for w in rest {
            match w.as_str() {
                "--" => {}
                w if w.starts_with('-') => sink |= w.contains('t'),
                w => target = Some(w.to_string()),
            }
        }
        if !sink {
            return None;
        }
        Some(ScpSink {
            target: windows_path(&target.unwrap_or_else(|| ".".into())),
            line: Vec::new(),
            dirs: Vec::new(),
            state: State::Header,
        })
    }

    /// Feeds bytes from the client.
    pub fn feed(&mut self, mut input: &[u8]) -> Step {
        let mut step = Step::default();
        while !input.is_empty() && !step.finished {
            match &mut self.state {
                State::Header => {
                    let Some(pos) = input.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(input);
                        break;
                    };
                    self.line.extend_from_slice(&input[..pos]);
                    input = &input[pos + 1..];
                    let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                    self.header(&line, &mut step);
                }
                State::Data { name, remaining, data } => {
                    let take = (*remaining).min(input.len() as u64) as usize;
                    data.extend_from_slice(&input[..take]);
                    *remaining -= take as u64;
                    input = &input[take..];
                    if *remaining == 0 {
                        let (name, data) = (std::mem::take(name), std::mem::take(data));
                        self.state = State::Trailer { name, data };
                    }
                }
                State::Trailer { name, data } => {
                    let status = input[0];
                    input = &input[1..];
                    let (name, data) = (std::mem::take(name), std::mem::take(data));
                    self.state = State::Header;
                    if status == 0 {
                        step.received.push(Received { dirs: self.dirs.clone(), name, data });
                        step.reply.push(0);
                    } else {
                        step.finished = true;
                    }
                }
            }
        }
        step
    }

    /// At the client's EOF: a file whose bytes all arrived counts even without the final
    /// `\0` (libssh2's `scp_send` never sends it).
    pub fn finish(&mut self) -> Option<Received> {
        match std::mem::replace(&mut self.state, State::Header) {
            State::Trailer { name, data } => Some(Received { dirs: self.dirs.clone(), name, data }),
            _ => None,
        }
    }

    fn header(&mut self, line: &str, step: &mut Step) {
        let (kind, rest) = line.split_at(line.len().min(1));
        match kind {
            "C" | "D" => {
                let mut parts = rest.splitn(3, ' ');
                let (_mode, size, name) = (parts.next(), parts.next(), parts.next());
                let (Some(size), Some(name)) = (size.and_then(|s| s.parse::<u64>().ok()), name) else {
                    return fail(step, "scp: protocol error: bad header");
                };
                if name.contains(['/', '\\']) || name == ".." {
                    return fail(step, &format!("scp: {name}: invalid name"));
                }
                if kind == "D" {
                    self.dirs.push(name.to_string());
                } else if size > MAX_FILE {
                    return fail(step, &format!("scp: {name}: file too large"));
                } else {
                    self.state = if size == 0 {
                        State::Trailer { name: name.to_string(), data: Vec::new() }
                    } else {
                        State::Data { name: name.to_string(), remaining: size, data: Vec::new() }
                    };
                }
                step.reply.push(0);
            }
            "E" => {
                self.dirs.pop();
                step.reply.push(0);
            }
            "T" => step.reply.push(0),
            "" => {}
            _ => fail(step, "scp: protocol error: unexpected record"),
        }
    }
}

fn fail(step: &mut Step, message: &str) {
    step.reply.push(2);
    step.reply.extend_from_slice(message.as_bytes());
    step.reply.push(b'\n');
    step.finished = true;
}

/// Writes a received file under the sink's target; the error is scp's message.
pub fn store(host: &mut HostState, target: &str, file: Received) -> Result<String, String> {
    let base = host.path(target);
    let path = if host.fs.dir_exists(&base) {
        let mut p = base.trim_end_matches('\\').to_string();
        for d in file.dirs.iter().chain(std::iter::once(&file.name)) {
            p.push('\\');
            p.push_str(d);
        }
        p
    } else if file.dirs.is_empty() {
        base.clone()
    } else {
        return Err(format!("scp: {target}: No such file or directory"));
    };
    let parent_ok = crate::host::fs::parent(&path).is_some_and(|d| host.fs.dir_exists(d) || !file.dirs.is_empty());
    if !parent_ok {
        return Err(format!("scp: {target}: No such file or directory"));
    }
    let modified = host.clock;
    host.fs.put(FileEntry { path: path.clone(), version: None, modified, content: Content::Bytes(file.data) });
    Ok(path)
}

/// `/C:/Windows/Temp` or `C:/Windows/Temp` to `C:\Windows\Temp`.
fn windows_path(path: &str) -> String {
    let p = path.strip_prefix('/').filter(|rest| rest.as_bytes().get(1) == Some(&b':')).unwrap_or(path);
    p.replace('/', "\\")
}

/// Splits a POSIX-ish command line: whitespace, single and double quotes, backslash escapes.
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, '\\') if chars.clone().next().is_some_and(|n| n.is_whitespace() || n == '\'' || n == '"') => {
                if let Some(n) = chars.next() {
                    current.push(n);
                }
                in_word = true;
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_sink_commands() {
        let s = ScpSink::from_command("scp -v -t -- '/C:/Windows/Temp/a b.exe'").unwrap();
        assert_eq!(s.target, r"C:\Windows\Temp\a b.exe");
        assert!(ScpSink::from_command("scp -f C:/x").is_none());
        assert!(ScpSink::from_command("ver").is_none());
    }

    #[test]
    fn receives_a_file_in_pieces() {
        let mut s = ScpSink::from_command("scp -t C:/Temp").unwrap();
        let step = s.feed(b"C0644 5 pkg.exe\nhe");
        assert_eq!(step.reply, b"\0");
        let step = s.feed(b"llo\0");
        assert_eq!(step.reply, b"\0");
        assert_eq!(step.received, vec![Received { dirs: vec![], name: "pkg.exe".into(), data: b"hello".to_vec() }]);
        let step = s.feed(b"C0644 1 ../x\n");
        assert!(step.finished);
        assert_eq!(step.reply[0], 2);
    }
}
