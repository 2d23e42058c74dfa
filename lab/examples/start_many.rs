//! Measures starting and serving many hosts:
//!
//! ```text
//! cargo run --release -p wsusfix-lab --example start_many -- 1000 100
//! ```
//!
//! Starts N hosts (default 1000) in the default mix, prints the time to start and the
//! process's resident memory, then runs `ver` over SSH (libssh2) on M reachable, well-behaved
//! hosts (default 100) from 8 client threads and prints the time and memory again.

use std::io::Read;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wsusfix_lab::{mix, ConnectionFault, Lab, LabConfig};

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let m: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let before = rss_mb();
    let start = Instant::now();
    let lab = Lab::start(LabConfig { hosts: mix(n)?, seed: Some(1), ..LabConfig::default() })?;
    let dir = std::env::temp_dir().join(format!("wsusfix-lab-bench-{}", std::process::id()));
    let files = lab.write_artifacts(&dir)?;
    println!("started {n} hosts in {:.2?}; RSS {:.1} MB (was {before:.1} MB)", start.elapsed(), rss_mb());

    let targets: Vec<u16> = lab
        .hosts()
        .iter()
        .filter(|h| h.fault == ConnectionFault::None && h.profile != "slow")
        .take(m)
        .map(|h| h.addr.port())
        .collect();
    let queue = Arc::new(Mutex::new(targets.clone()));
    let start = Instant::now();
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let queue = queue.clone();
            let key = files.private_key.clone();
            std::thread::spawn(move || -> usize {
                let mut ok = 0;
                while let Some(port) = queue.lock().ok().and_then(|mut q| q.pop()) {
                    let run = || -> Result<Vec<u8>, Box<dyn std::error::Error>> {
                        let tcp = TcpStream::connect(("127.0.0.1", port))?;
                        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
                        let mut sess = ssh2::Session::new()?;
                        sess.set_tcp_stream(tcp);
                        sess.handshake()?;
                        sess.userauth_pubkey_file("admin", None, &key, None)?;
                        let mut ch = sess.channel_session()?;
                        ch.exec("ver")?;
                        let mut out = Vec::new();
                        ch.read_to_end(&mut out)?;
                        ch.wait_close()?;
                        Ok(out)
                    };
                    if run().map(|o| o.starts_with(b"\r\nMicrosoft Windows")).unwrap_or(false) {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let ok: usize = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    println!("{ok}/{} SSH execs answered in {:.2?}; RSS {:.1} MB", targets.len(), start.elapsed(), rss_mb());
    let start = Instant::now();
    lab.shutdown();
    println!("shut down in {:.2?}", start.elapsed());
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
