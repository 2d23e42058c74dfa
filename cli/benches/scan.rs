//! Scan benchmark: wsusfix against OpenSSH's client doing the same probe, on the same lab.
//!
//! ```text
//! cargo bench -p wsusfix --bench scan                      # 100 and 1,000 hosts, 64 forks
//! cargo bench -p wsusfix --bench scan -- --hosts 200 --forks 32
//! cargo bench -p wsusfix --bench scan -- --hosts 1000 --bin OTHER/wsusfix   # another build
//! cargo bench -p wsusfix --bench scan -- --hosts 1000 --forks 256 --latency 100 --no-baseline
//! cargo bench -p wsusfix --bench scan -- --hosts 1000 --known-hosts 50000 --no-baseline
//! cargo bench -p wsusfix --bench scan -- --hosts 1000 --kex curve25519-sha256 --runs 5
//! ```
//!
//! A `wsusfix lab serve` child process serves the hosts (healthy profiles only: a fault host
//! measures its timeout, not the scanner). Then, one after the other on the same hosts:
//! `wsusfix scan --forks F` as a child process, and the baseline
//! `xargs -P F ssh ... PROBE`, each timed by wall clock with its peak resident memory read
//! from the kernel (`wait4`'s `ru_maxrss`: for the baseline, the largest single process of
//! its tree, as each ssh is its own process) and its CPU time (user and system, its reaped
//! children included: every ssh of the baseline), per host.
//!
//! On a two-core machine shared with the lab's servers, one run's CPU figure moves by a tenth
//! from run to run, so wsusfix's scan runs `--runs N` times (3 unless told) on the same lab and
//! the run with the median CPU time is reported, every run's figure printed beside the table.
//! `--kex LIST` has both tools offer those key exchanges (`KexAlgorithms` in an ssh_config
//! given with `-F`, and `-o KexAlgorithms=` for ssh); without it each offers its default.
//!
//! `--latency MS` serves the hosts a WAN round trip away (`lab serve --latency MS`). The
//! benchmark then first measures the probe's round trips: it scans one host at the latency and
//! at twice the latency (best of three each) and divides the difference by the latency. It reports
//! the ideal wall time, hosts ÷ forks × round trips × latency (every fork busy all the time,
//! nothing but the network costing time), and the ratio of the measured wall time to it.
//! Beside it, the CPU floor: the scan's and the lab's CPU time over the machine's cores, a wall
//! time no number of forks beats (here the lab's SSH servers share the cores with the scanner).
//! `--no-baseline` skips OpenSSH (hundreds of `ssh` processes at once are slow and heavy).
//!
//! `--known-hosts N` pads the known_hosts file the scan checks against to N lines with the
//! keys of other machines (plain `10.x.y.z` entries), as a large estate's or a generated global
//! file would be: the cost of a lookup should not grow with it. `--hashed N` makes N of them
//! hashed (`|1|salt|hash`, as `ssh-keygen -H` writes), which every lookup must try in turn.

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
    /// CPU time the lab spent serving the run.
    lab_cpu: Duration,
    ok: bool,
    /// The scan's counts per verdict, to compare runs of different sizes.
    verdicts: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> = match flag("--hosts") {
        Some(list) => list.split(',').filter_map(|n| n.parse().ok()).collect(),
        None => vec![100, 1000],
    };
    let forks: usize = flag("--forks").and_then(|f| f.parse().ok()).unwrap_or(64);
    let latency = Duration::from_millis(flag("--latency").and_then(|l| l.parse().ok()).unwrap_or(0));
    let baseline = !args.iter().any(|a| a == "--no-baseline");
    let known_hosts: Option<usize> = flag("--known-hosts").and_then(|n| n.parse().ok());
    let hashed: usize = flag("--hashed").and_then(|n| n.parse().ok()).unwrap_or(0);
    let runs: usize = flag("--runs").and_then(|n| n.parse().ok()).unwrap_or(3).max(1);
    let kex = flag("--kex");
    let bin = flag("--bin").unwrap_or_else(|| env!("CARGO_BIN_EXE_wsusfix").to_string());
    let bin = bin.as_str();
    if baseline && (which("ssh").is_none() || which("xargs").is_none()) {
        eprintln!("the baseline needs OpenSSH's ssh and xargs on PATH (or pass --no-baseline)");
        std::process::exit(1);
    }
    // The ideal: hosts / forks x the probe's round trips x the latency.
    let round_trips = (!latency.is_zero()).then(|| probe_round_trips(bin, latency));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let wan = if latency.is_zero() {
        String::new()
    } else {
        " | latency (ms) | ideal (s) | CPU floor (s) | wall / ideal".to_string()
    };
    let wan_rule = if latency.is_zero() { "" } else { "---:|---:|---:|---:|" };
    println!("| hosts | forks | tool | wall (s) | hosts/s | CPU per host (ms) | peak RSS (MiB) | all probed{wan} |");
    println!("|---:|---:|---|---:|---:|---:|---:|---|{wan_rule}");
    let mut verdict_lines = Vec::new();
    let mut run_lines = Vec::new();
    for n in sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut lab = start_lab(bin, n, dir.path(), latency);
        if let Some(lines) = known_hosts {
            pad_known_hosts(&dir.path().join("known_hosts"), lines, hashed);
        }
        let lab_cpu = || cpu_time(lab.id());
        let mut ours: Vec<Measure> = (0..runs)
            .map(|_| {
                let before = lab_cpu();
                let mut m = scan_with_wsusfix(bin, dir.path(), forks, n, kex.as_deref());
                m.lab_cpu = lab_cpu().saturating_sub(before);
                m
            })
            .collect();
        ours.sort_by_key(|m| m.cpu);
        let per_host = |m: &Measure| {
            format!("{:.2} ms ({:.1} MiB)", m.cpu.as_secs_f64() * 1000.0 / n as f64, m.max_rss_kib as f64 / 1024.0)
        };
        run_lines.push(format!("{n} hosts: {}", ours.iter().map(per_host).collect::<Vec<_>>().join(", ")));
        let all_probed = ours.iter().all(|m| m.ok);
        let mut ours = ours.swap_remove(runs / 2);
        ours.ok = all_probed;
        let theirs = baseline.then(|| {
            let before = lab_cpu();
            let mut m = scan_with_openssh(bin, dir.path(), forks, kex.as_deref());
            m.lab_cpu = lab_cpu().saturating_sub(before);
            m
        });
        let rows = std::iter::once(("wsusfix scan", &ours)).chain(theirs.iter().map(|m| ("OpenSSH ssh (xargs -P)", m)));
        for (tool, m) in rows {
            let wan = match round_trips {
                Some(trips) => {
                    let ideal = n as f64 / forks as f64 * trips as f64 * latency.as_secs_f64();
                    // Both processes share the machine's cores: their CPU time over the cores is a
                    // wall time no scheduling beats, whatever the forks.
                    let floor = (m.cpu + m.lab_cpu).as_secs_f64() / cores;
                    format!(
                        " | {} | {ideal:.2} | {floor:.2} | {:.2}",
                        latency.as_millis(),
                        m.wall.as_secs_f64() / ideal
                    )
                }
                None => String::new(),
            };
            println!(
                "| {n} | {forks} | {tool} | {:.2} | {:.0} | {:.2} | {:.1} | {}{wan} |",
                m.wall.as_secs_f64(),
                n as f64 / m.wall.as_secs_f64(),
                m.cpu.as_secs_f64() * 1000.0 / n as f64,
                m.max_rss_kib as f64 / 1024.0,
                if m.ok { "yes" } else { "NO" }
            );
        }
        if let Some(theirs) = &theirs {
            println!(
                "|  |  | ratio wsusfix / OpenSSH | {:.2} |  |  |  |  |",
                ours.wall.as_secs_f64() / theirs.wall.as_secs_f64()
            );
        }
        stop_lab(lab.id());
        let _ = lab.wait();
        verdict_lines.push(format!("{n} hosts: {}", ours.verdicts));
    }
    println!(
        "\nwsusfix's CPU per host (and peak RSS) in each of its {runs} runs, lowest CPU first (the median is in the table):"
    );
    for line in run_lines {
        println!("- {line}");
    }
    if let Some(kex) = &kex {
        println!("\nKey exchange offered by both tools: {kex}");
    }
    println!("\nVerdicts (the lab's mix, in fixed proportions of 15):");
    for line in verdict_lines {
        println!("- {line}");
    }
}

/// The probe's round trips: one host scanned `latency` away and `2 x latency` away (best of
/// three each); the difference, divided by the latency, leaves out every fixed cost (process
/// start, CPU) and counts the exchanges that wait for the network. Printed, and rounded.
fn probe_round_trips(bin: &str, latency: Duration) -> u32 {
    let best = |latency: Duration| -> Duration {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut lab = start_lab(bin, 1, dir.path(), latency);
        let best = (0..3)
            .map(|_| scan_with_wsusfix(bin, dir.path(), 1, 1, None))
            .inspect(|m| assert!(m.ok, "the one-host scan failed"))
            .map(|m| m.wall)
            .min();
        stop_lab(lab.id());
        let _ = lab.wait();
        best.unwrap_or_default()
    };
    let (near, far) = (best(latency), best(latency * 2));
    let trips = far.saturating_sub(near).as_secs_f64() / latency.as_secs_f64();
    println!(
        "One host: {:.3} s at {} ms, {:.3} s at {} ms: the probe waits {trips:.2} round trips ({}).\n",
        near.as_secs_f64(),
        latency.as_millis(),
        far.as_secs_f64(),
        (latency * 2).as_millis(),
        trips.round()
    );
    (trips.round() as u32).max(1)
}

/// Pads a known_hosts file to `lines` lines with other machines' entries: plain addresses, the
/// first `hashed` of them hashed as `ssh-keygen -H` writes them (the salt and hash are made up:
/// such a line matches no host, and is still tried for every host).
fn pad_known_hosts(path: &Path, lines: usize, hashed: usize) {
    let text = std::fs::read_to_string(path).expect("the lab's known_hosts");
    let key = text.lines().next().and_then(|l| l.split_once(' ')).map(|(_, key)| key.to_string()).expect("a key");
    let mut out = std::fs::OpenOptions::new().append(true).open(path).expect("known_hosts opens");
    let mut pad = String::new();
    for (n, i) in (text.lines().count()..lines).enumerate() {
        if n < hashed {
            let salt = format!("{:0>27}=", format!("{i:x}"));
            pad.push_str(&format!("|1|{salt}|{salt} {key}\n"));
        } else {
            pad.push_str(&format!("10.{}.{}.{} {key}\n", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff));
        }
    }
    out.write_all(pad.as_bytes()).expect("known_hosts is written");
    println!("known_hosts: {lines} lines, {hashed} of them hashed\n");
}

/// User and system CPU time a running process has used so far (Linux's /proc; zero elsewhere).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses: state is the first, utime the 12th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = rest.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Duration::from_secs_f64(fields.iter().sum::<u64>() as f64 / ticks)
}

fn stop_lab(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

fn start_lab(bin: &str, n: usize, out: &Path, latency: Duration) -> Child {
    let mut lab = Command::new(bin)
        .args(["lab", "serve", "--hosts", &n.to_string(), "--mix", HEALTHY_MIX, "--out"])
        .arg(out)
        // Only when asked: a `--bin` of an older build knows no --latency.
        .args(
            (!latency.is_zero())
                .then(|| ["--latency".to_string(), latency.as_millis().to_string()])
                .into_iter()
                .flatten(),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("wsusfix lab serve starts");
    let mut line = String::new();
    BufReader::new(lab.stdout.take().expect("lab stdout")).read_line(&mut line).expect("the lab's ready line");
    assert!(line.starts_with("lab ready"), "lab said {line:?}");
    lab
}

/// The parts of a scan's JSON report the benchmark reads; the rest is skipped unread.
#[derive(serde::Deserialize)]
struct ScanFile {
    hosts: Vec<ScannedHost>,
    summary: ScanSummary,
}

#[derive(serde::Deserialize)]
struct ScannedHost {
    verdict: String,
}

#[derive(serde::Deserialize)]
struct ScanSummary {
    verdicts: std::collections::BTreeMap<String, u64>,
}

fn scan_with_wsusfix(bin: &str, dir: &Path, forks: usize, n: usize, kex: Option<&str>) -> Measure {
    let out = dir.join("scan.json");
    let mut cmd = Command::new(bin);
    cmd.args(["scan", "--no-progress", "--format", "json", "--forks", &forks.to_string(), "-i"])
        .arg(dir.join("inventory.yaml"))
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::null());
    if let Some(kex) = kex {
        let config = dir.join("ssh_config");
        std::fs::write(&config, format!("Host *\n  KexAlgorithms {kex}\n")).expect("ssh_config is written");
        cmd.arg("-F").arg(config);
    }
    let mut m = timed(cmd);
    // Only the verdicts are read, as the file streams by: a process started from this one
    // (std spawns with vfork) reports this one's peak memory as its own if that is higher, so
    // holding a 10,000-host report here would inflate the next run's figure.
    let report: Option<ScanFile> =
        std::fs::File::open(&out).ok().and_then(|f| serde_json::from_reader(std::io::BufReader::new(f)).ok());
    let assessed = report
        .as_ref()
        .map(|r| r.hosts.iter().filter(|h| h.verdict != "unknown" && h.verdict != "unreachable").count());
    m.ok = assessed == Some(n);
    m.verdicts = report
        .map(|r| r.summary.verdicts.iter().map(|(verdict, count)| format!("{count} {verdict}")).collect::<Vec<_>>())
        .unwrap_or_default()
        .join(", ");
    m
}

fn scan_with_openssh(bin: &str, dir: &Path, forks: usize, kex: Option<&str>) -> Measure {
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
        .args(kex.map(|k| format!("-oKexAlgorithms={k}")))
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
    Measure {
        wall,
        cpu,
        max_rss_kib: usage.ru_maxrss.max(0),
        exit,
        ok: exit == Some(0),
        lab_cpu: Duration::ZERO,
        verdicts: String::new(),
    }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(program)).find(|p| p.is_file()))
}
