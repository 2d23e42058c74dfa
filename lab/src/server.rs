//! The SSH side of one simulated host (russh on tokio): public-key authentication against the
//! lab's client key, exec requests run through the interpreter (stdout as data, stderr as
//! extended data 1, then EOF, exit-status and close), `scp -t` uploads, and the connection
//! faults of the host's profile. No shell, PTY shell or subsystem (SFTP) is offered.
//!
//! The host's SSH server flavour decides the identification string, how the exec line runs
//! ([`interp::run_session`]: bash behind `cygwin`, cmd.exe elsewhere) and the exit status
//! (none at all behind `freesshd`). An exec of cmd.exe without `/c` (`cmd.exe /q /d`) reads
//! its commands from the channel: the data is collected until EOF, or until a line `exit` /
//! `exit N`, and then run.
//!
//! A host with a network round-trip time (`--latency`, a profile's `connection.rtt_ms`) is
//! served through [`crate::wan`]: every byte it sends reaches the client one round trip later.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Config, Handle, Msg, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::host::{HostState, SshServer};
use crate::interp::{self, Output};
use crate::profile::{Connection, ConnectionFault};
use crate::scp::{self, ScpSink};

/// Everything a connection to one host needs.
pub(crate) struct HostRuntime {
    pub user: String,
    pub state: Arc<Mutex<HostState>>,
    pub connection: Connection,
    pub client_key: PublicKey,
    /// Where the state is saved after every change (`--state DIR`).
    pub state_file: Option<PathBuf>,
    pub noise_seed: u64,
    /// The network round-trip time between the client and this host (zero: loopback).
    pub rtt: Duration,
}

impl HostRuntime {
    pub fn lock(&self) -> MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Saves the state while the caller holds the lock, so saves cannot reorder.
    fn save(&self, state: &HostState) {
        if let Some(path) = &self.state_file {
            // A failed save must not fail the command; the next save retries.
            let _ = crate::persist::save_host(path, state);
        }
    }

    /// Runs an exec line as the SSH session's user (through the host's SSH server's shell),
    /// with `stdin` as the channel's input, and saves the result.
    pub fn run(&self, line: &str, stdin: Option<Vec<u8>>) -> Output {
        let mut state = self.lock();
        let out = interp::run_session(&mut state, line, stdin);
        self.save(&state);
        out
    }

    fn ssh_server(&self) -> SshServer {
        self.lock().ssh_server
    }
}

/// The russh configuration of a host presenting `host_key`, identifying as `ssh_server`.
pub(crate) fn config(host_key: PrivateKey, ssh_server: SshServer) -> Arc<Config> {
    Arc::new(Config {
        server_id: russh::SshId::Standard(ssh_server.ident().into()),
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        auth_rejection_time: Duration::from_millis(20),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        inactivity_timeout: Some(Duration::from_secs(600)),
        nodelay: true,
        ..Config::default()
    })
}

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    config: Arc<Config>,
    host: Arc<HostRuntime>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else { return };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(stream, config.clone(), host.clone()));
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

async fn connection(stream: TcpStream, config: Arc<Config>, host: Arc<HostRuntime>) {
    if !host.rtt.is_zero() {
        let _ = stream.set_nodelay(true);
        let (stream, cut) = crate::wan::delay(stream, host.rtt);
        let handler = Conn::new(host, Some(Killer::Wan(cut)));
        if let Ok(session) = russh::server::run_stream(config, stream, handler).await {
            let _ = session.await;
        }
        return;
    }
    // A second descriptor of the socket lets the `drop` fault cut the connection under russh.
    let Ok(std_stream) = stream.into_std() else { return };
    let killer = std_stream.try_clone().ok().map(Killer::Socket);
    let Ok(stream) = TcpStream::from_std(std_stream) else { return };
    let handler = Conn::new(host, killer);
    if let Ok(session) = russh::server::run_stream(config, stream, handler).await {
        let _ = session.await;
    }
}

/// How the `drop` fault cuts a connection under russh.
enum Killer {
    /// A second descriptor of the socket, shut down in both directions.
    Socket(std::net::TcpStream),
    /// Through the WAN relay, so the bytes sent before the cut still arrive first.
    Wan(crate::wan::Cut),
}

impl Killer {
    fn cut(&self) {
        match self {
            Killer::Socket(socket) => {
                let _ = socket.shutdown(std::net::Shutdown::Both);
            }
            Killer::Wan(cut) => cut.cut(),
        }
    }
}

struct Conn {
    host: Arc<HostRuntime>,
    killer: Option<Arc<Killer>>,
    scp: HashMap<ChannelId, ScpSink>,
    /// Exec requests of cmd.exe reading stdin: the command and the data received so far.
    scripts: HashMap<ChannelId, (String, Vec<u8>)>,
}

/// Input a stdin script may collect before it runs anyway.
const MAX_SCRIPT: usize = 4 * 1024 * 1024;

impl Conn {
    fn new(host: Arc<HostRuntime>, killer: Option<Killer>) -> Conn {
        Conn { host, killer: killer.map(Arc::new), scp: HashMap::new(), scripts: HashMap::new() }
    }

    fn accepts(&self, user: &str, key: &PublicKey) -> Auth {
        let fault = self.host.connection.fault;
        if fault != ConnectionFault::AuthFail
            && user.eq_ignore_ascii_case(&self.host.user)
            && key.key_data() == self.host.client_key.key_data()
        {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }

    /// Runs a collected stdin script if its input is complete (`eof`, or an `exit` line).
    fn script_step(&mut self, channel: ChannelId, eof: bool, handle: Handle) {
        let ready = match self.scripts.get(&channel) {
            Some((_, data)) => eof || data.len() >= MAX_SCRIPT || ends_with_exit(data),
            None => false,
        };
        if ready {
            if let Some((command, data)) = self.scripts.remove(&channel) {
                self.exec(channel, command, Some(data), handle);
            }
        }
    }

    fn exec(&self, channel: ChannelId, command: String, stdin: Option<Vec<u8>>, handle: Handle) {
        let host = self.host.clone();
        let killer = self.killer.clone();
        tokio::spawn(async move {
            let latency = host.connection.latency_ms;
            if latency > 0 {
                tokio::time::sleep(Duration::from_millis(latency)).await;
            }
            match host.connection.fault {
                ConnectionFault::Hang => {}
                ConnectionFault::Garbage => {
                    let count = host.lock().lines_run;
                    let out = Output { stdout: noise(host.noise_seed ^ count), stderr: Vec::new(), exit_code: 0 };
                    host.lock().lines_run += 1;
                    send(&handle, channel, out).await;
                }
                fault => {
                    let runner = host.clone();
                    let Ok((out, server)) =
                        tokio::task::spawn_blocking(move || (runner.run(&command, stdin), runner.ssh_server())).await
                    else {
                        return;
                    };
                    if fault == ConnectionFault::Drop {
                        cut(&handle, channel, out, killer).await;
                    } else if server.sends_exit_status() {
                        send(&handle, channel, out).await;
                    } else {
                        send_without_status(&handle, channel, out).await;
                    }
                }
            }
        });
    }

    fn finish_scp(&mut self, channel: ChannelId, code: u32, session: &mut Session) -> Result<(), russh::Error> {
        self.scp.remove(&channel);
        session.exit_status_request(channel, code)?;
        session.eof(channel)?;
        session.close(channel)
    }
}

/// Sends a command's output and ends the channel the way sshd does.
async fn send(handle: &Handle, channel: ChannelId, out: Output) {
    if !send_streams(handle, channel, &out).await {
        return;
    }
    let _ = handle.eof(channel).await;
    let _ = handle.exit_status_request(channel, out.exit_code as u32).await;
    let _ = handle.close(channel).await;
}

/// As [`send`], but without an `exit-status` request (freeSSHd).
async fn send_without_status(handle: &Handle, channel: ChannelId, out: Output) {
    if !send_streams(handle, channel, &out).await {
        return;
    }
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

async fn send_streams(handle: &Handle, channel: ChannelId, out: &Output) -> bool {
    for chunk in out.stdout.chunks(32 * 1024) {
        if handle.data(channel, chunk.to_vec()).await.is_err() {
            return false;
        }
    }
    for chunk in out.stderr.chunks(32 * 1024) {
        if handle.extended_data(channel, 1, chunk.to_vec()).await.is_err() {
            return false;
        }
    }
    true
}

/// True when the collected input's last complete line is `exit` or `exit N`.
fn ends_with_exit(data: &[u8]) -> bool {
    let Some(body) = data.strip_suffix(b"\n") else { return false };
    let last = body.rsplit(|&b| b == b'\n').next().unwrap_or(body);
    interp::is_exit_line(&String::from_utf8_lossy(last))
}

/// The `drop` fault: half the output, then the TCP connection goes away.
async fn cut(handle: &Handle, channel: ChannelId, out: Output, killer: Option<Arc<Killer>>) {
    let half = out.stdout.len() / 2;
    let _ = handle.data(channel, out.stdout[..half.max(1).min(out.stdout.len())].to_vec()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    if let Some(killer) = killer {
        killer.cut();
    }
}

/// Noise for the `garbage` fault: printable runs, control bytes and invalid UTF-8.
pub(crate) fn noise(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let len = 64 + (next() % 1500) as usize;
    (0..len)
        .map(|_| match next() % 10 {
            0 => 0xFF,
            1 => 0xC3,
            2 => b'\r',
            3 => b'\n',
            4 => (next() % 32) as u8,
            _ => 0x20 + (next() % 95) as u8,
        })
        .collect()
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_publickey_offered(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        Ok(self.accepts(user, key))
    }

    async fn auth_publickey(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        Ok(self.accepts(user, key))
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let command = String::from_utf8_lossy(data).into_owned();
        let fault = self.host.connection.fault;
        if fault == ConnectionFault::None {
            if let Some(sink) = ScpSink::from_command(&command) {
                self.scp.insert(channel, sink);
                return session.data(channel, vec![0u8]);
            }
        }
        if matches!(fault, ConnectionFault::None | ConnectionFault::Drop) && interp::reads_stdin(&command) {
            self.scripts.insert(channel, (command, Vec::new()));
            return Ok(());
        }
        self.exec(channel, command, None, session.handle());
        Ok(())
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], session: &mut Session) -> Result<(), Self::Error> {
        if let Some((_, buffer)) = self.scripts.get_mut(&channel) {
            buffer.extend_from_slice(data);
            self.script_step(channel, false, session.handle());
            return Ok(());
        }
        let Some(sink) = self.scp.get_mut(&channel) else { return Ok(()) };
        let mut step = sink.feed(data);
        let target = sink.target.clone();
        let mut failed = step.reply.first() == Some(&2);
        if !step.received.is_empty() {
            let mut state = self.host.lock();
            for file in step.received.drain(..) {
                if let Err(message) = scp::store(&mut state, &target, file) {
                    step.reply = format!("\x02{message}\n").into_bytes();
                    step.finished = true;
                    failed = true;
                    break;
                }
            }
            self.host.save(&state);
        }
        if !step.reply.is_empty() {
            session.data(channel, step.reply)?;
        }
        if step.finished {
            self.finish_scp(channel, u32::from(failed), session)?;
        }
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        if self.scripts.contains_key(&channel) {
            self.script_step(channel, true, session.handle());
            return Ok(());
        }
        let Some(sink) = self.scp.get_mut(&channel) else { return Ok(()) };
        let mut code = 0;
        if let Some(file) = sink.finish() {
            let target = sink.target.clone();
            let mut state = self.host.lock();
            if let Err(message) = scp::store(&mut state, &target, file) {
                session.data(channel, format!("\x02{message}\n").into_bytes())?;
                code = 1;
            }
            self.host.save(&state);
        }
        self.finish_scp(channel, code, session)
    }
}
