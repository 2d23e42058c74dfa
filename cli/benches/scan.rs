//! Scan benchmark: wsusfix against OpenSSH's client doing the same probe, on the same lab.
//!
//! ```text
//! cargo bench -p wsusfix --bench scan                      # 100 and 1,000 hosts, 64 forks
//! cargo bench -p wsusfix --bench scan -- --hosts 200 --forks 32
//! cargo bench -p wsusfix --bench scan -- --hosts 1000 --bin OTHER/wsusfix   # another build
//! ```
//!
//! A `wsusfix lab serve` child process serves the hosts (healthy profiles only: a fault host
//! measures its timeout, not the scanner). Then, one after the other on the same hosts:
//! `wsusfix scan --forks F` as a child process, and the baseline
//! `xargs -P F ssh ... PROBE`, each timed by wall clock with its peak resident memory read
//! from the kernel (`wait4`'s `ru_maxrss`: for the baseline, the largest single process of
//! its tree, as each ssh is its own process) and its CPU time (user and system, its reaped
//! children included: every ssh of the baseline), per host.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HEALTHY_MIX: &str = "w2003-sp1-unpatched=4,w2008-sp1-unpatched=3,w2008-sp1-unpatched-elevated=1,w2008-sp1-patched=2,w2003-rtm=1,w2003-sp2=1,sbs2003-wsus2=1,w2008-console-only=1,w2003-no-wsus=1";

struct Measure {
    wall: Duration,
    /// User and system CPU time of the process and its reaped children.
    cpu: Duration,
    max_rss_kib: i64,
    exit: Option<i32>,
    ok: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> = match flag("--hosts") {
        Some(list) => list.split(',').filter_map(|n| n.parse().ok()).collect(),
        None => vec![100, 1000],
    };
    let forks: usize = flag("--forks").and_then(|f| f.parse().ok()).unwrap_or(64);
    let bin = flag("--bin").unwrap_or_else(|| env!("CARGO_BIN_EXE_wsusfix").to_string());
    let bin = bin.as_str();
    if which("ssh").is_none() || which("xargs").is_none() {
        eprintln!("the baseline needs OpenSSH's ssh and xargs on PATH");
        std::process::exit(1);
    }
    println!("| hosts | forks | tool | wall (s) | hosts/s | CPU per host (ms) | peak RSS (MiB) | all probed |");
    println!("|---:|---:|---|---:|---:|---:|---:|---|");
    for n in sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut lab = start_lab(bin, n, dir.path());
        let ours = scan_with_wsusfix(bin, dir.path(), forks, n);
        let theirs = scan_with_openssh(bin, dir.path(), forks);
        for (tool, m) in [("wsusfix scan", &ours), ("OpenSSH ssh (xargs -P)", &theirs)] {
            println!(
                "| {n} | {forks} | {tool} | {:.2} | {:.0} | {:.2} | {:.1} | {} |",
                m.wall.as_secs_f64(),
                n as f64 / m.wall.as_secs_f64(),
                m.cpu.as_secs_f64() * 1000.0 / n as f64,
                m.max_rss_kib as f64 / 1024.0,
                if m.ok { "yes" } else { "NO" }
            );
        }
        println!(
            "|  |  | ratio wsusfix / OpenSSH | {:.2} |  |  |  |  |",
            ours.wall.as_secs_f64() / theirs.wall.as_secs_f64()
        );
        let _ = Command::new("kill").arg("-TERM").arg(lab.id().to_string()).status();
        let _ = lab.wait();
    }
}

fn start_lab(bin: &str, n: usize, out: &Path) -> Child {
    let mut lab = Command::new(bin)
        .args(["lab", "serve", "--hosts", &n.to_string(), "--mix", HEALTHY_MIX, "--out"])
        .arg(out)
        .stdout(Stdio::piped())
        .spawn()
        .expect("wsusfix lab serve starts");
    let mut line = String::new();
    BufReader::new(lab.stdout.take().expect("lab stdout")).read_line(&mut line).expect("the lab's ready line");
    assert!(line.starts_with("lab ready"), "lab said {line:?}");
    lab
}

fn scan_with_wsusfix(bin: &str, dir: &Path, forks: usize, n: usize) -> Measure {
    let out = dir.join("scan.json");
    let mut cmd = Command::new(bin);
    cmd.args(["scan", "--no-progress", "--format", "json", "--forks", &forks.to_string(), "-i"])
        .arg(dir.join("inventory.yaml"))
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::null());
    let mut m = timed(cmd);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap_or_default()).unwrap_or_default();
    let assessed = json["hosts"]
        .as_array()
        .map(|h| h.iter().filter(|h| h["verdict"] != "unknown" && h["verdict"] != "unreachable").count());
    m.ok = assessed == Some(n);
    m
}

fn scan_with_openssh(bin: &str, dir: &Path, forks: usize) -> Measure {
    let probe = Command::new(bin).arg("probe-script").output().expect("probe-script");
    let probe = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let inventory = std::fs::read_to_string(dir.join("inventory.yaml")).expect("lab inventory");
    let ports: Vec<&str> = inventory.lines().filter_map(|l| l.trim().strip_prefix("ansible_port: ")).collect();
    let ports_file = dir.join("ports");
    std::fs::File::create(&ports_file).and_then(|mut f| f.write_all(ports.join("\n").as_bytes())).expect("ports file");
    let mut cmd = Command::new("xargs");
    cmd.args(["-P", &forks.to_string(), "-I{}", "-a"])
        .arg(&ports_file)
        .args(["ssh", "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", dir.join("known_hosts").display()))
        .arg("-i")
        .arg(dir.join("id_ed25519"))
        .args(["-p", "{}", "admin@127.0.0.1", &probe])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut m = timed(cmd);
    // The probe's own exit code is the last errorlevel set (echo sets none), so xargs may say
    // 123; 124 means an ssh exited 255: a connection or authentication failure.
    m.ok = matches!(m.exit, Some(0) | Some(123));
    m
}

/// Runs a command to its end: wall time, and the peak RSS Linux's wait4 reports for it, which is
/// the larger of its own and that of its largest reaped descendant.
// The child is reaped by wait4 (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn timed(mut cmd: Command) -> Measure {
    let started = Instant::now();
    let child = cmd.spawn().expect("the measured command starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let exit = (waited == pid && libc::WIFEXITED(status)).then(|| libc::WEXITSTATUS(status));
    let time = |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000);
    let cpu = time(usage.ru_utime) + time(usage.ru_stime);
    Measure { wall, cpu, max_rss_kib: usage.ru_maxrss.max(0), exit, ok: exit == Some(0) }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(program)).find(|p| p.is_file()))
}
