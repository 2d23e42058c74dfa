//! One command on an established session: the session goes non-blocking, stdout and stderr
//! are read as they come into the sink, the socket is polled between reads, keepalives are
//! sent while waiting, and the deadline is checked on every wait.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

use ssh2::{Channel, Session};

use super::error::{code, session_error, ssh_code, TransportError};
use super::sink::OutputSink;
use super::wait::{wait_ready, Deadline, Interest};
use super::ExitStatus;

/// Longest single sleep, so keepalives go out while a command runs quietly.
const TICK: Duration = Duration::from_secs(1);
const CHUNK: usize = 32 * 1024;

/// An established session and its socket, named by the host it reaches.
pub(crate) struct Link<'a> {
    pub host: &'a str,
    pub session: &'a Session,
    pub socket: &'a TcpStream,
}

/// How long an operation may take, and what to call it when it does not finish.
#[derive(Clone, Copy)]
pub(crate) struct Budget {
    pub what: &'static str,
    pub timeout: Duration,
    pub deadline: Deadline,
}

impl Budget {
    pub fn new(what: &'static str, timeout: Duration) -> Self {
        Budget { what, timeout, deadline: Deadline::after(timeout) }
    }

    pub fn exceeded(&self, host: &str) -> TransportError {
        TransportError::CommandTimeout { host: host.to_owned(), what: self.what.to_owned(), timeout: self.timeout }
    }
}

/// Keeps the session non-blocking while alive.
pub(crate) struct NonBlocking<'a>(&'a Session);

impl<'a> NonBlocking<'a> {
    pub fn new(session: &'a Session) -> Self {
        session.set_blocking(false);
        NonBlocking(session)
    }
}

impl Drop for NonBlocking<'_> {
    fn drop(&mut self) {
        self.0.set_blocking(true);
    }
}

impl Link<'_> {
    /// Sleeps until the socket is ready for what the session waits on, or the budget ends.
    pub fn wait(&self, budget: &Budget) -> Result<(), TransportError> {
        if budget.deadline.passed() {
            return Err(budget.exceeded(self.host));
        }
        // A failure to send shows up on the next read or write, with a better message.
        let _ = self.session.keepalive_send();
        let interest = [Interest::session(self.session, self.socket)];
        wait_ready(&interest, budget.deadline.remaining().min(TICK)).map_err(|source| TransportError::Io {
            host: self.host.to_owned(),
            context: "waiting for the connection".into(),
            source,
        })
    }

    /// Repeats a non-blocking libssh2 call until it no longer says "would block".
    pub fn retry<T>(
        &self,
        budget: &Budget,
        context: &str,
        mut op: impl FnMut() -> Result<T, ssh2::Error>,
    ) -> Result<T, TransportError> {
        loop {
            match op() {
                Ok(value) => return Ok(value),
                Err(e) if ssh_code(&e) == code::EAGAIN => self.wait(budget)?,
                Err(e) => return Err(session_error(self.host, context, &e)),
            }
        }
    }

    /// Classifies an I/O error of a channel by the session's last libssh2 error.
    pub fn io_error(&self, context: &str, err: std::io::Error) -> TransportError {
        match ssh2::Error::last_session_error(self.session) {
            Some(e) if ssh_code(&e) != 0 => session_error(self.host, context, &e),
            _ => TransportError::Disconnected { host: self.host.to_owned(), reason: format!("{context}: {err}") },
        }
    }
}

enum Chunk {
    Data(usize),
    Blocked,
    End,
}

fn read_chunk(link: &Link<'_>, stream: &mut impl Read, buf: &mut [u8], context: &str) -> Result<Chunk, TransportError> {
    match stream.read(buf) {
        Ok(0) => Ok(Chunk::End),
        Ok(n) => Ok(Chunk::Data(n)),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Chunk::Blocked),
        Err(e) if e.kind() == ErrorKind::Interrupted => Ok(Chunk::Blocked),
        Err(e) => Err(link.io_error(context, e)),
    }
}

/// Runs `command`, streaming its output to `sink`; `bytes_out` counts what arrived even when
/// the command fails.
pub(crate) fn run(
    link: &Link<'_>,
    command: &str,
    input: &[u8],
    budget: &Budget,
    sink: &mut dyn OutputSink,
    bytes_out: &mut u64,
) -> Result<ExitStatus, TransportError> {
    let _mode = NonBlocking::new(link.session);
    let mut channel = link.retry(budget, "opening a channel", || link.session.channel_session())?;
    link.retry(budget, "starting the command", || channel.exec(command))?;
    if !input.is_empty() {
        if let Err(e) = send_input(link, &mut channel, input, budget) {
            let _ = channel.close();
            return Err(e);
        }
    }
    match stream_output(link, &mut channel, budget, sink, bytes_out) {
        Ok(()) => finish(link, &mut channel, budget),
        Err(e) => {
            let _ = channel.close();
            Err(e)
        }
    }
}

/// Writes the command's standard input, then its end. The input is small (a script), so it
/// is written whole before the output is read.
fn send_input(link: &Link<'_>, channel: &mut Channel, input: &[u8], budget: &Budget) -> Result<(), TransportError> {
    let mut rest = input;
    while !rest.is_empty() {
        match std::io::Write::write(channel, rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => link.wait(budget)?,
            Err(e) => return Err(link.io_error("writing the command's input", e)),
        }
    }
    link.retry(budget, "ending the command's input", || channel.send_eof())
}

fn stream_output(
    link: &Link<'_>,
    channel: &mut Channel,
    budget: &Budget,
    sink: &mut dyn OutputSink,
    bytes_out: &mut u64,
) -> Result<(), TransportError> {
    let mut buf = vec![0u8; CHUNK];
    let (mut out_done, mut err_done) = (false, false);
    while !(out_done && err_done) {
        let mut progress = false;
        if !out_done {
            match read_chunk(link, channel, &mut buf, "reading the output")? {
                Chunk::Data(n) => {
                    sink.stdout(&buf[..n]);
                    *bytes_out += n as u64;
                    progress = true;
                }
                Chunk::End => out_done = true,
                Chunk::Blocked => {}
            }
        }
        if !err_done {
            match read_chunk(link, &mut channel.stderr(), &mut buf, "reading the error output")? {
                Chunk::Data(n) => {
                    sink.stderr(&buf[..n]);
                    *bytes_out += n as u64;
                    progress = true;
                }
                Chunk::End => err_done = true,
                Chunk::Blocked => {}
            }
        }
        if !(progress || out_done && err_done) {
            link.wait(budget)?;
        }
    }
    Ok(())
}

fn finish(link: &Link<'_>, channel: &mut Channel, budget: &Budget) -> Result<ExitStatus, TransportError> {
    link.retry(budget, "closing the channel", || channel.close())?;
    link.retry(budget, "closing the channel", || channel.wait_close())?;
    if let Some(signal) = channel.exit_signal().ok().and_then(|s| s.exit_signal) {
        return Ok(ExitStatus::Signal(signal));
    }
    let code = channel.exit_status().map_err(|e| session_error(link.host, "reading the exit status", &e))?;
    Ok(ExitStatus::Code(code))
}
