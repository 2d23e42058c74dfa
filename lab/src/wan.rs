//! A WAN between the client and a simulated host: every byte the server writes reaches the
//! client one full round-trip time (`rtt`) after it was written, so each request/response
//! exchange of SSH (key exchange, service request, each authentication attempt, channel open,
//! exec, the command's answer) costs one round trip, as it would over a WAN.
//!
//! The model puts the whole round trip on the server→client direction: the client's bytes
//! reach the server at once, the server's answer reaches the client `rtt` later. For a
//! protocol in which the client speaks and the server answers (SSH after the banners) that is
//! the same as half the round trip each way. The TCP handshake's round trip, which a loopback
//! `connect` does not pay, is charged to the server's first bytes: nothing reaches the client
//! before two round trips after the connection was accepted (SYN/SYN-ACK, then the server's
//! banner), as a client `rtt` away sees it.
//!
//! Not modelled: bandwidth (beyond a window of [`WINDOW`] bytes in flight per connection, so
//! memory stays bounded), loss, jitter, reordering.
//!
//! Delays never serialize: a connection keeps a queue of `(due, bytes)` and a byte written at
//! `t` leaves at `t + rtt` however many others are in flight, on this connection or any other.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Bytes of the server's output a connection holds in flight at most: the server waits (as
/// behind a full TCP window) until older bytes leave. Caps the memory of a connection, and
/// its throughput at `WINDOW / rtt` (10 MB/s at 100 ms).
pub(crate) const WINDOW: usize = 1024 * 1024;

/// What the SSH server reads from and writes to in-process, per connection.
const PIPE: usize = 64 * 1024;

/// One read from the server side of the pipe.
const CHUNK: usize = 16 * 1024;

/// Cuts a delayed connection in order: what the server wrote before the cut still arrives,
/// `rtt` after it was written, and then the client sees the connection go away.
#[derive(Clone)]
pub(crate) struct Cut(Arc<Notify>);

impl Cut {
    pub fn cut(&self) {
        self.0.notify_one();
    }
}

/// Puts a WAN of round-trip time `rtt` in front of `tcp`: returns the stream the SSH server
/// speaks over and the handle that cuts the connection. The relay runs as its own task until
/// both sides are done.
pub(crate) fn delay(tcp: TcpStream, rtt: Duration) -> (DuplexStream, Cut) {
    let (server_side, relay_side) = tokio::io::duplex(PIPE);
    let cut = Cut(Arc::new(Notify::new()));
    let (tcp_read, tcp_write) = tcp.into_split();
    tokio::spawn(relay(tcp_read, tcp_write, relay_side, rtt, cut.0.clone()));
    (server_side, cut)
}

/// Client bytes go straight to the server; the server's bytes wait their round trip. Ends when
/// the server side has closed and everything it wrote has been delivered (or the client is
/// gone, or the connection was cut).
async fn relay<R, W>(mut client_in: R, mut client_out: W, server: DuplexStream, rtt: Duration, cut: Arc<Notify>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (mut from_server, mut to_server) = tokio::io::split(server);
    let upstream = async {
        let _ = tokio::io::copy(&mut client_in, &mut to_server).await;
        let _ = to_server.shutdown().await;
        // The connection lives on until the server has finished answering.
        std::future::pending::<()>().await
    };
    let downstream = downstream(&mut from_server, &mut client_out, rtt, &cut);
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}

/// What travels toward the client.
enum Item {
    Bytes(Vec<u8>),
    /// The end of the connection: a FIN after a normal close, both directions after a cut.
    End {
        cut: bool,
    },
}

async fn downstream<R, W>(server: &mut R, client: &mut W, rtt: Duration, cut: &Notify)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // The TCP handshake's round trip comes before anything the server sends.
    let first = Instant::now() + rtt * 2;
    let mut queue: VecDeque<(Instant, Item)> = VecDeque::new();
    let mut in_flight = 0usize;
    let mut open = true;
    let mut buf = vec![0u8; CHUNK];
    let timer = tokio::time::sleep_until(first);
    tokio::pin!(timer);
    loop {
        if let Some((due, _)) = queue.front() {
            if timer.deadline() != *due {
                timer.as_mut().reset(*due);
            }
        }
        tokio::select! {
            () = &mut timer, if !queue.is_empty() => {
                let now = Instant::now();
                let mut out = Vec::new();
                let mut end = None;
                while let Some((due, _)) = queue.front() {
                    if *due > now || end.is_some() {
                        break;
                    }
                    match queue.pop_front().map(|(_, item)| item) {
                        Some(Item::Bytes(bytes)) => {
                            in_flight -= bytes.len();
                            out.extend_from_slice(&bytes);
                        }
                        Some(Item::End { cut }) => end = Some(cut),
                        None => {}
                    }
                }
                if !out.is_empty() && client.write_all(&out).await.is_err() {
                    return;
                }
                if let Some(cut) = end {
                    let _ = client.shutdown().await;
                    if cut {
                        return;
                    }
                }
            }
            read = server.read(&mut buf), if open && in_flight < WINDOW => {
                let due = (Instant::now() + rtt).max(first);
                match read {
                    Ok(0) | Err(_) => {
                        open = false;
                        queue.push_back((due, Item::End { cut: false }));
                    }
                    Ok(n) => {
                        in_flight += n;
                        queue.push_back((due, Item::Bytes(buf[..n].to_vec())));
                    }
                }
            }
            () = cut.notified(), if open => {
                open = false;
                queue.push_back(((Instant::now() + rtt).max(first), Item::End { cut: true }));
            }
        }
        if !open && queue.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pair of connected loopback sockets: (client, server).
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (client, server)
    }

    #[tokio::test]
    async fn every_answer_arrives_one_round_trip_after_it_was_written() {
        let rtt = Duration::from_millis(60);
        let (mut client, server) = pair().await;
        let start = Instant::now();
        let (mut inner, _cut) = delay(server, rtt);
        // The first answer also pays the TCP handshake: two round trips.
        inner.write_all(b"banner").await.unwrap();
        let mut buf = [0u8; 6];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"banner");
        assert!(start.elapsed() >= rtt * 2, "{:?}", start.elapsed());
        // Then each request/response pays one.
        for _ in 0..3 {
            let asked = Instant::now();
            client.write_all(b"ping").await.unwrap();
            let mut req = [0u8; 4];
            inner.read_exact(&mut req).await.unwrap();
            assert!(asked.elapsed() < rtt, "the client's bytes are not delayed");
            inner.write_all(b"pong").await.unwrap();
            client.read_exact(&mut req).await.unwrap();
            assert_eq!(&req, b"pong");
            assert!(asked.elapsed() >= rtt, "{:?}", asked.elapsed());
        }
    }

    #[tokio::test]
    async fn bytes_in_flight_do_not_wait_for_each_other() {
        let rtt = Duration::from_millis(200);
        let (mut client, server) = pair().await;
        let (mut inner, _cut) = delay(server, rtt);
        let start = Instant::now();
        // Twenty writes, 10 ms apart: the last arrives about rtt after it was written, not
        // twenty round trips after the first.
        for i in 0..20u8 {
            inner.write_all(&[i]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut got = [0u8; 20];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(got.to_vec(), (0..20).collect::<Vec<u8>>());
        assert!(start.elapsed() < rtt * 6, "serialized: {:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_close_or_a_cut_arrives_after_the_bytes_written_before_it() {
        let rtt = Duration::from_millis(30);
        let (mut client, server) = pair().await;
        let (mut inner, cut) = delay(server, rtt);
        inner.write_all(b"half").await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        cut.cut();
        let mut got = Vec::new();
        let _ = client.read_to_end(&mut got).await;
        assert_eq!(got, b"half");

        let (mut client, server) = pair().await;
        let (mut inner, _cut) = delay(server, rtt);
        inner.write_all(b"all of it").await.unwrap();
        drop(inner);
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"all of it");
    }
}
