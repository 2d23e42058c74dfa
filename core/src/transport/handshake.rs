//! Opening a connection: resolving the address and connecting within the timeout, then
//! the SSH handshake, the host-key check and authentication over the stream.

use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use ssh2::Session;

use super::auth::{authenticate, Login};
use super::error::{code, is_disconnect, ssh_code, ConnectStage, TransportError};
use super::known_hosts::{known_host_name, KnownHostsStore};
use super::target::{Endpoint, SshOptions};
use super::trust::{prefer_known_key_types, verify_host_key};
use super::wait::Deadline;

/// Resolves the address and opens a TCP connection, all within `timeout`.
pub(crate) fn tcp_connect(ep: &Endpoint<'_>, timeout: Duration) -> Result<TcpStream, TransportError> {
    let deadline = Deadline::after(timeout);
    let addrs = resolve(ep, timeout)?;
    let mut last = None;
    for addr in addrs {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, remaining) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => TransportError::ConnectionRefused {
            host: ep.host.to_owned(),
            address: ep.address.to_owned(),
            port: ep.port,
        },
        Some(e) if !matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {
            TransportError::Io {
                host: ep.host.to_owned(),
                context: format!("connecting to {}:{}", ep.address, ep.port),
                source: e,
            }
        }
        _ => ep.timeout(ConnectStage::Tcp, timeout),
    })
}

/// Name resolution has no timeout of its own, so a lookup runs on a short-lived thread.
fn resolve(ep: &Endpoint<'_>, timeout: Duration) -> Result<Vec<SocketAddr>, TransportError> {
    if let Ok(ip) = ep.address.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, ep.port)]);
    }
    let dns = |reason: String| TransportError::Dns { host: ep.host.to_owned(), address: ep.address.to_owned(), reason };
    let (tx, rx) = mpsc::channel();
    let query = (ep.address.to_owned(), ep.port);
    std::thread::Builder::new()
        .name("wsusfix-dns".into())
        .spawn(move || {
            let _ = tx.send(query.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        })
        .map_err(|e| dns(format!("cannot start the lookup: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(dns("no address found".into())),
        Ok(Err(e)) => Err(dns(e.to_string())),
        Err(_) => Err(dns(format!("no answer within {}s", timeout.as_secs_f64()))),
    }
}

/// The SSH layer over a connected stream: handshake, host key, authentication, keepalive.
/// Returns the session, a clone of its socket (for waiting on it) and, when a host key was
/// recorded on first use, the notice that says so.
pub(crate) fn establish(
    ep: &Endpoint<'_>,
    stream: TcpStream,
    options: &SshOptions,
) -> Result<(Session, TcpStream, Option<String>), TransportError> {
    let io =
        |context: &str, source| TransportError::Io { host: ep.host.to_owned(), context: context.to_owned(), source };
    let socket = stream.try_clone().map_err(|e| io("cloning the socket", e))?;
    let searched: Vec<std::path::PathBuf> =
        options.known_hosts.iter().chain(&options.global_known_hosts).cloned().collect();
    let store = KnownHostsStore::shared(&searched).map_err(|(path, e)| TransportError::KnownHosts {
        host: ep.host.to_owned(),
        path,
        reason: e.to_string(),
    })?;
    let known_as = known_host_name(ep.address, ep.port);
    super::crypto::configure_once();
    let mut session = Session::new().map_err(|e| handshake_error(ep, &e, options.auth_timeout))?;
    session.set_timeout(u32::try_from(options.auth_timeout.as_millis()).unwrap_or(u32::MAX).max(1));
    let record = store.record_of(&known_as);
    prefer_known_key_types(&session, &record.key_types());
    if let Some(list) = &options.kex_algorithms {
        session
            .method_pref(ssh2::MethodType::Kex, &list.join(","))
            .map_err(|e| handshake_error(ep, &e, options.auth_timeout))?;
    }
    session.set_tcp_stream(stream);
    session.handshake().map_err(|e| handshake_error(ep, &e, options.auth_timeout))?;
    if tracing::enabled!(tracing::Level::TRACE) {
        let method = |kind| session.methods(kind).unwrap_or("?").to_string();
        tracing::trace!(
            kex = %method(ssh2::MethodType::Kex),
            host_key = %method(ssh2::MethodType::HostKey),
            cipher = %method(ssh2::MethodType::CryptCs),
            mac = %method(ssh2::MethodType::MacCs),
            server = %session.banner().unwrap_or("?"),
            "SSH handshake done"
        );
    }
    let added = verify_host_key(ep, &session, &record, &known_as, options)?;
    tracing::debug!(known_as = %known_as, newly_added = added.is_some(), "host key verified");
    let login = Login {
        host: ep.host,
        user: ep.user,
        auth: ep.auth,
        timeout: options.auth_timeout,
        address: ep.address,
        port: ep.port,
    };
    authenticate(&session, &login)?;
    // A zero interval (ssh_config's `ServerAliveInterval 0`) turns keepalives off, as in ssh.
    let interval = match options.keepalive_interval {
        d if d.is_zero() => 0,
        d => u32::try_from(d.as_secs()).unwrap_or(u32::MAX).max(1),
    };
    session.set_keepalive(interval > 0, interval);
    Ok((session, socket, added))
}

fn handshake_error(ep: &Endpoint<'_>, e: &ssh2::Error, timeout: Duration) -> TransportError {
    let code = ssh_code(e);
    if code == code::TIMEOUT {
        return ep.timeout(ConnectStage::Handshake, timeout);
    }
    let reason = if is_disconnect(code) {
        format!("the server closed the connection ({})", e.message())
    } else {
        e.message().to_owned()
    };
    TransportError::Handshake { host: ep.host.to_owned(), address: ep.address.to_owned(), port: ep.port, reason }
}
