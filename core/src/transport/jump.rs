//! Reaching a host through a bastion, as OpenSSH's `ProxyJump` does: an SSH session to the
//! bastion opens a `direct-tcpip` channel to the target, and one pump thread per tunnel
//! copies bytes between that channel and a loopback socket, which the target's own SSH
//! session then uses like any TCP connection.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ssh2::{Channel, Session};

use super::error::{session_error, TransportError};
use super::handshake::{establish, tcp_connect};
use super::target::{Endpoint, JumpHost, SshOptions, SshTarget};
use super::wait::{wait_ready, Interest};

/// Longest sleep of the pump, so that it notices a stop request and sends keepalives.
const TICK: Duration = Duration::from_millis(200);
const CHUNK: usize = 32 * 1024;
/// Connections to accept on the loopback listener before giving up on finding our own.
const ACCEPT_ATTEMPTS: usize = 8;

/// A running tunnel; dropping it stops the pump and closes the bastion session.
pub(crate) struct JumpTunnel {
    stop: Arc<AtomicBool>,
    pump: Option<JoinHandle<()>>,
}

impl JumpTunnel {
    /// Connects to the bastion and opens the tunnel to `target`; returns the local end.
    pub fn open(
        target: &SshTarget,
        jump: &JumpHost,
        options: &SshOptions,
    ) -> Result<(Self, TcpStream), TransportError> {
        let wrap = |source: TransportError| TransportError::Jump {
            host: target.name.clone(),
            jump: jump.name.clone(),
            source: Box::new(source),
        };
        let bastion = Endpoint::of_jump(jump);
        let stream = tcp_connect(&bastion, options.connect_timeout).map_err(wrap)?;
        let (session, socket, _) = establish(&bastion, stream, options).map_err(wrap)?;
        let context = format!("opening a tunnel to {}:{}", target.address, target.port);
        let channel = session
            .channel_direct_tcpip(&target.address, target.port, None)
            .map_err(|e| wrap(session_error(&jump.name, &context, &e)))?;
        let (local, inner) = loopback_pair().map_err(|source| {
            wrap(TransportError::Io { host: jump.name.clone(), context: "creating the loopback tunnel".into(), source })
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let pump = Pump { session, socket, channel, local, stop: Arc::clone(&stop) };
        let handle = std::thread::Builder::new()
            .name(format!("wsusfix-jump-{}", target.name))
            .spawn(move || pump.run())
            .map_err(|source| {
                wrap(TransportError::Io { host: jump.name.clone(), context: "starting the tunnel".into(), source })
            })?;
        Ok((JumpTunnel { stop, pump: Some(handle) }, inner))
    }
}

impl Drop for JumpTunnel {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.pump.take() {
            let _ = handle.join();
        }
    }
}

/// Two connected loopback sockets. Another local process could connect to the listener
/// first, so the accepted peer must be our own client end.
fn loopback_pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let expected = client.local_addr()?;
    for _ in 0..ACCEPT_ATTEMPTS {
        let (server, peer) = listener.accept()?;
        if peer == expected {
            let _ = server.set_nodelay(true);
            let _ = client.set_nodelay(true);
            return Ok((server, client));
        }
    }
    Err(std::io::Error::new(ErrorKind::AddrInUse, "the loopback listener was taken by another process"))
}

/// Bytes read from one side, waiting to be written to the other.
#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    done: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.done >= self.buf.len()
    }

    fn rest(&self) -> &[u8] {
        &self.buf[self.done..]
    }

    fn fill(&mut self, data: &[u8]) {
        self.buf.clear();
        self.buf.extend_from_slice(data);
        self.done = 0;
    }
}

struct Pump {
    session: Session,
    socket: TcpStream,
    channel: Channel,
    local: TcpStream,
    stop: Arc<AtomicBool>,
}

/// What one pass of the pump did.
enum Step {
    Progress,
    Idle,
    Finished,
}

impl Pump {
    fn run(mut self) {
        self.session.set_blocking(false);
        if self.local.set_nonblocking(true).is_err() {
            return self.close();
        }
        let mut to_remote = Pending::default();
        let mut to_local = Pending::default();
        let mut buf = vec![0u8; CHUNK];
        while !self.stop.load(Ordering::Relaxed) {
            match self.step(&mut to_remote, &mut to_local, &mut buf) {
                Step::Progress => {}
                Step::Finished => break,
                Step::Idle => {
                    let _ = self.session.keepalive_send();
                    let interest = [
                        Interest::session(&self.session, &self.socket),
                        Interest { socket: &self.local, read: to_remote.is_empty(), write: !to_local.is_empty() },
                    ];
                    if wait_ready(&interest, TICK).is_err() {
                        break;
                    }
                }
            }
        }
        self.close();
    }

    /// Moves what it can in both directions without blocking.
    fn step(&mut self, to_remote: &mut Pending, to_local: &mut Pending, buf: &mut [u8]) -> Step {
        let mut progress = false;
        if to_remote.is_empty() {
            match (&self.local).read(buf) {
                // The target's session closed its end: the tunnel has no more use.
                Ok(0) => return Step::Finished,
                Ok(n) => to_remote.fill(&buf[..n]),
                Err(e) if is_transient(&e) => {}
                Err(_) => return Step::Finished,
            }
        }
        if !to_remote.is_empty() {
            match self.channel.write(to_remote.rest()) {
                Ok(n) => {
                    to_remote.done += n;
                    progress |= n > 0;
                }
                Err(e) if is_transient(&e) => {}
                Err(_) => return Step::Finished,
            }
        }
        if to_local.is_empty() {
            match self.channel.read(buf) {
                Ok(0) => return Step::Finished,
                Ok(n) => to_local.fill(&buf[..n]),
                Err(e) if is_transient(&e) => {}
                Err(_) => return Step::Finished,
            }
        }
        if !to_local.is_empty() {
            match (&self.local).write(to_local.rest()) {
                Ok(n) => {
                    to_local.done += n;
                    progress |= n > 0;
                }
                Err(e) if is_transient(&e) => {}
                Err(_) => return Step::Finished,
            }
        }
        if progress {
            Step::Progress
        } else {
            Step::Idle
        }
    }

    fn close(self) {
        let _ = self.local.shutdown(Shutdown::Both);
        let mut channel = self.channel;
        self.session.set_blocking(true);
        self.session.set_timeout(1000);
        let _ = channel.close();
        let _ = self.session.disconnect(None, "tunnel closed", None);
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
}
