//! Waiting without busy loops: deadlines, and sleeping until a socket is ready for what a
//! non-blocking libssh2 call was blocked on.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use ssh2::{BlockDirections, Session};

/// The moment an operation must be done by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
}

impl Deadline {
    pub fn after(timeout: Duration) -> Self {
        let now = Instant::now();
        Deadline { at: now.checked_add(timeout).unwrap_or(now + Duration::from_secs(86_400 * 365)) }
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }
}

/// What to wait for on one socket.
pub(crate) struct Interest<'a> {
    pub socket: &'a TcpStream,
    pub read: bool,
    pub write: bool,
}

impl<'a> Interest<'a> {
    /// What the session was last blocked on (reading, if it does not say).
    pub fn session(session: &Session, socket: &'a TcpStream) -> Self {
        let (read, write) = match session.block_directions() {
            BlockDirections::Outbound => (false, true),
            BlockDirections::Both => (true, true),
            BlockDirections::Inbound | BlockDirections::None => (true, false),
        };
        Interest { socket, read, write }
    }
}

/// Sleeps until one of the sockets is ready or `timeout` passes. Errors only when the
/// operating system refuses to wait.
#[cfg(unix)]
pub(crate) fn wait_ready(interests: &[Interest<'_>], timeout: Duration) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;

    let mut fds: Vec<libc::pollfd> = interests
        .iter()
        .map(|i| libc::pollfd {
            fd: i.socket.as_raw_fd(),
            events: if i.read { libc::POLLIN } else { 0 } | if i.write { libc::POLLOUT } else { 0 },
            revents: 0,
        })
        .collect();
    // Round up so a sub-millisecond remainder still sleeps instead of spinning.
    let millis = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `fds` is a valid, exclusively borrowed array of `fds.len()` pollfd structs.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
    if rc < 0 {
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    Ok(())
}

/// Without `poll`, sleeps a short while: readiness is re-checked by the caller.
#[cfg(not(unix))]
pub(crate) fn wait_ready(_interests: &[Interest<'_>], timeout: Duration) -> std::io::Result<()> {
    std::thread::sleep(timeout.min(Duration::from_millis(2)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    #[test]
    fn wakes_when_data_arrives_and_times_out_otherwise() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        let interest = [Interest { socket: &server, read: true, write: false }];

        let started = Instant::now();
        wait_ready(&interest, Duration::from_millis(50)).expect("poll");
        assert!(started.elapsed() >= Duration::from_millis(40));

        client.write_all(b"x").expect("write");
        let started = Instant::now();
        wait_ready(&interest, Duration::from_secs(5)).expect("poll");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(!Deadline::after(Duration::from_secs(5)).passed());
        assert!(Deadline::after(Duration::ZERO).passed());
    }
}
