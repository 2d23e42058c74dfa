//! The SSH transport against OpenSSH's own sshd, started privately on 127.0.0.1 for each
//! test with its own host key, an authorized client key, and a `ForceCommand` that stands in
//! for the remote shell (a small script here; the lab's interpreter later).
//!
//! Without `/usr/sbin/sshd` these tests print why and pass, except under CI (`CI` set),
//! where a missing sshd is a failure.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wsusfix_core::transport::{
    Auth, CollectSink, CommandKind, ConnectStage, ExitStatus, JumpHost, OutputSink, RemoteShell, Secret, SshOptions,
    SshTarget, SshTransport, TransportError,
};

const SSHD: &str = "/usr/sbin/sshd";
const TIMEOUT: Duration = Duration::from_secs(20);

/// Emulates a few remote commands; `scp -t` is handed to the real scp.
const EMULATOR: &str = r#"#!/bin/sh
cmd="$SSH_ORIGINAL_COMMAND"
sshd_pid() {
    p=$PPID
    while [ "$p" -gt 1 ]; do
        case "$(cat /proc/$p/comm)" in sshd*) echo "$p"; return;; esac
        p=$(cut -d' ' -f4 /proc/$p/stat)
    done
}
case "$cmd" in
    "scp -t "*) eval "exec $cmd" ;;
    ver) printf '\r\nMicrosoft Windows [Version 6.0.6002]\r\n' ;;
    both) printf 'to stdout\n'; printf 'to stderr\n' >&2; exit 3 ;;
    "sleep "*) sleep "${cmd#sleep }" ;;
    "big "*) head -c "${cmd#big }" /dev/zero | tr '\0' 'x' ;;
    "hash "*) f="${cmd#hash }"; printf '%s ' "$(wc -c < "$f")"; sha256sum "$f" | cut -d' ' -f1 ;;
    drop) printf 'partial'; sleep 0.3; kill -9 "$(sshd_pid)"; sleep 5 ;;
    freeze) p="$(sshd_pid)"; echo "$p" > "$WSUSFIX_TEST_DIR/frozen.pid"; printf 'partial'; sleep 0.3; kill -STOP "$p"; sleep 5 ;;
    *) echo "unknown command: $cmd" >&2; exit 127 ;;
esac
"#;

/// A private sshd; killed when dropped.
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    user: String,
    host_key_line: String,
    client_key: PathBuf,
}

/// True when the tests can run; panics under CI when they cannot.
fn prerequisites() -> bool {
    let missing: Vec<&str> = [SSHD, "/usr/bin/ssh-keygen"].into_iter().filter(|p| !Path::new(p).exists()).collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!("{} not installed (apt-get install openssh-server)", missing.join(" and "));
    assert!(std::env::var_os("CI").is_none(), "CI must run the sshd tests: {reason}");
    eprintln!("skipping sshd test: {reason}");
    false
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", "wsusfix-test", "-f"]).arg(path));
}

fn fingerprint(pub_key: &Path) -> String {
    let line = run(Command::new("ssh-keygen").arg("-lf").arg(pub_key));
    line.split_whitespace().nth(1).expect("fingerprint field").to_owned()
}

impl Sshd {
    /// Starts sshd with the emulator script as its ForceCommand.
    fn start() -> Option<Sshd> {
        Sshd::start_with(|dir| {
            let script = dir.join("emulator.sh");
            fs::write(&script, EMULATOR).expect("write script");
            run(Command::new("chmod").arg("755").arg(&script));
            format!("env WSUSFIX_TEST_DIR={} {}", dir.display(), script.display())
        })
    }

    /// Starts sshd; `force_command` writes what it needs into the directory and returns the
    /// ForceCommand line.
    fn start_with(force_command: impl FnOnce(&Path) -> String) -> Option<Sshd> {
        if !prerequisites() {
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        keygen(&d.join("host_ed25519"));
        keygen(&d.join("client"));
        fs::copy(d.join("client.pub"), d.join("authorized_keys")).expect("authorize client");
        let user = run(Command::new("id").arg("-un")).trim().to_owned();
        if user == "root" {
            // Debian's sshd needs its privilege separation directory, made by the service unit.
            fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        }
        let config = format!(
            "ListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n\
             PubkeyAuthentication yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
             AllowTcpForwarding yes\nMaxStartups 100\nMaxSessions 100\nForceCommand {}\n",
            force_command(d),
            d = d.display()
        );
        fs::write(d.join("sshd_config"), config).expect("write config");
        let port = free_port();
        let log = fs::File::create(d.join("sshd.log")).expect("log file");
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .args(["-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start sshd");
        let host_key_line = fs::read_to_string(d.join("host_ed25519.pub")).expect("host key");
        let host_key_line = host_key_line.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        let client_key = d.join("client");
        let sshd = Sshd { dir, port, child, user, host_key_line, client_key };
        sshd.wait_ready();
        Some(sshd)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let mut banner = [0u8; 4];
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                if s.read_exact(&mut banner).is_ok() && &banner == b"SSH-" {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sshd did not start: {}", self.log());
    }

    fn log(&self) -> String {
        fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }

    /// The name the host key is recorded under.
    fn known_as(&self) -> String {
        format!("[127.0.0.1]:{}", self.port)
    }

    /// A known_hosts file holding `text`.
    fn known_hosts(&self, text: &str) -> PathBuf {
        let path = self.path("known_hosts");
        fs::write(&path, text).expect("write known_hosts");
        path
    }

    /// Options that trust exactly this sshd's host key.
    fn trusting(&self) -> SshOptions {
        let file = self.known_hosts(&format!("{} {}\n", self.known_as(), self.host_key_line));
        options(vec![file])
    }

    fn target(&self) -> SshTarget {
        let auth = Auth::KeyFile { path: self.client_key.clone(), passphrase: None };
        SshTarget::new("wsus-test", "127.0.0.1", self.port, self.user.clone(), auth)
    }

    fn host_fingerprint(&self) -> String {
        fingerprint(&self.path("host_ed25519.pub"))
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn options(known_hosts: Vec<PathBuf>) -> SshOptions {
    SshOptions {
        known_hosts,
        global_known_hosts: Vec::new(),
        accept_new_host_keys: false,
        connect_timeout: Duration::from_secs(5),
        auth_timeout: Duration::from_secs(10),
        keepalive_interval: Duration::from_secs(5),
        kex_algorithms: None,
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Named so that `cargo test transport` selects them.
mod transport {
    use super::*;

    #[test]
    fn exec_returns_output_streams_and_exit_code() {
        let Some(sshd) = Sshd::start() else { return };
        let mut shell = SshTransport::connect(&sshd.target(), &sshd.trusting()).expect("connect");
        assert_eq!(shell.host(), "wsus-test");

        let mut out = CollectSink::new(4096);
        let status = shell.exec("both", TIMEOUT, &mut out).expect("exec");
        assert_eq!(status, ExitStatus::Code(3));
        assert_eq!(text(out.stdout_bytes()), "to stdout\n");
        assert_eq!(text(out.stderr_bytes()), "to stderr\n");

        let mut out = CollectSink::new(4096);
        assert!(shell.exec("ver", TIMEOUT, &mut out).expect("exec").success());
        assert_eq!(text(out.stdout_bytes()), "\r\nMicrosoft Windows [Version 6.0.6002]\r\n");

        let records = shell.take_records();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].command, "both");
        assert_eq!(records[0].exit, Some(ExitStatus::Code(3)));
        assert_eq!(records[0].bytes_out, 20);
        assert_eq!(records[0].kind, CommandKind::Exec);
        assert!(records[0].started_at > 1_600_000_000_000);
        assert!(shell.records().is_empty());
    }

    #[test]
    fn a_command_past_its_timeout_is_abandoned() {
        let Some(sshd) = Sshd::start() else { return };
        let mut shell = SshTransport::connect(&sshd.target(), &sshd.trusting()).expect("connect");
        let started = Instant::now();
        let err = shell.exec("sleep 8", Duration::from_secs(1), &mut CollectSink::new(64)).expect_err("times out");
        assert!(matches!(err, TransportError::CommandTimeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
        assert!(shell.records()[0].exit.is_none());
        assert!(shell.records()[0].error.as_deref().is_some_and(|e| e.contains("did not finish within 1s")));
        // The connection is still good for the next command.
        assert!(shell.exec("ver", TIMEOUT, &mut CollectSink::new(64)).expect("exec after timeout").success());
    }

    #[test]
    fn a_hung_server_gives_a_command_timeout() {
        let Some(sshd) = Sshd::start() else { return };
        let mut shell = SshTransport::connect(&sshd.target(), &sshd.trusting()).expect("connect");
        let mut out = CollectSink::new(64);
        let err = shell.exec("freeze", Duration::from_secs(2), &mut out).expect_err("times out");
        if let Ok(pid) = fs::read_to_string(sshd.path("frozen.pid")) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        }
        assert!(matches!(err, TransportError::CommandTimeout { .. }), "{err}");
        assert_eq!(text(out.stdout_bytes()), "partial");
    }

    #[test]
    fn a_dropped_connection_is_reported_as_disconnected() {
        let Some(sshd) = Sshd::start() else { return };
        let mut shell = SshTransport::connect(&sshd.target(), &sshd.trusting()).expect("connect");
        let err = shell.exec("drop", TIMEOUT, &mut CollectSink::new(64)).expect_err("dropped");
        assert!(matches!(err, TransportError::Disconnected { .. }), "{err}");
        let again = shell.exec("ver", TIMEOUT, &mut CollectSink::new(64)).expect_err("still dropped");
        assert!(matches!(again, TransportError::Disconnected { .. }), "{again}");
    }

    #[test]
    fn an_unknown_host_key_is_refused() {
        let Some(sshd) = Sshd::start() else { return };
        let opts = options(vec![sshd.known_hosts("")]);
        let err = SshTransport::connect(&sshd.target(), &opts).err().expect("refused");
        match &err {
            TransportError::HostKeyUnknown { fingerprint, known_as, .. } => {
                assert_eq!(fingerprint, &sshd.host_fingerprint());
                assert_eq!(known_as, &sshd.known_as());
            }
            other => panic!("expected an unknown host key, got {other}"),
        }
        let message = err.to_string();
        assert!(message.contains("--accept-new-host-keys") && message.contains("ssh-keyscan"), "{message}");
    }

    #[test]
    fn accept_new_records_the_key_then_checks_it_strictly() {
        let Some(sshd) = Sshd::start() else { return };
        let file = sshd.known_hosts("# ours\n");
        let mut opts = options(vec![sshd.path("authorized_keys").join("not-writable"), file.clone()]);
        opts.accept_new_host_keys = true;
        drop(SshTransport::connect(&sshd.target(), &opts).expect("first connect accepts"));
        let recorded = fs::read_to_string(&file).expect("read");
        assert!(recorded.contains(&format!("{} {}", sshd.known_as(), sshd.host_key_line)), "{recorded}");

        opts.accept_new_host_keys = false;
        let mut shell = SshTransport::connect(&sshd.target(), &opts).expect("second connect is strict and succeeds");
        assert!(shell.exec("ver", TIMEOUT, &mut CollectSink::new(64)).expect("exec").success());
    }

    /// A key recorded only in the system's file (`/etc/ssh/ssh_known_hosts`, here a stand-in)
    /// is trusted, as OpenSSH's `GlobalKnownHostsFile`; a new key is never written there.
    #[test]
    fn the_global_known_hosts_file_is_read_and_never_written() {
        let Some(sshd) = Sshd::start() else { return };
        let global = sshd.path("ssh_known_hosts");
        fs::write(&global, format!("{} {}\n", sshd.known_as(), sshd.host_key_line)).expect("write");
        let mut opts = options(vec![sshd.known_hosts("")]);
        opts.global_known_hosts = vec![global.clone()];
        let mut shell = SshTransport::connect(&sshd.target(), &opts).expect("trusted through the global file");
        assert!(shell.exec("ver", TIMEOUT, &mut CollectSink::new(64)).expect("exec").success());
        drop(shell);

        // Only the global file, and a key to accept: the global file is left as it was.
        let only_global = sshd.path("only_global");
        fs::write(&only_global, "# the system's\n").expect("write");
        let mut opts = options(Vec::new());
        opts.global_known_hosts = vec![only_global.clone()];
        opts.accept_new_host_keys = true;
        let err = SshTransport::connect(&sshd.target(), &opts).err().expect("nowhere to record the key");
        assert!(matches!(err, TransportError::KnownHosts { .. }), "{err}");
        assert_eq!(fs::read_to_string(&only_global).expect("read"), "# the system's\n");
    }

    #[test]
    fn a_changed_host_key_is_refused_with_both_fingerprints() {
        let Some(sshd) = Sshd::start() else { return };
        keygen(&sshd.path("impostor"));
        let impostor = fs::read_to_string(sshd.path("impostor.pub")).expect("key");
        let impostor: Vec<&str> = impostor.split_whitespace().take(2).collect();
        let mut opts = options(vec![sshd.known_hosts(&format!("{} {}\n", sshd.known_as(), impostor.join(" ")))]);
        opts.accept_new_host_keys = true;
        let err = SshTransport::connect(&sshd.target(), &opts).err().expect("refused");
        let message = err.to_string();
        let (expected, presented) = (fingerprint(&sshd.path("impostor.pub")), sshd.host_fingerprint());
        assert!(matches!(err, TransportError::HostKeyChanged { .. }), "{message}");
        assert!(message.contains(&expected) && message.contains(&presented), "{message}");
        assert!(expected.starts_with("SHA256:") && presented.starts_with("SHA256:"));
        std::thread::sleep(Duration::from_millis(200));
        assert!(!sshd.log().contains("Accepted"), "authenticated despite a changed key: {}", sshd.log());
    }

    #[test]
    fn a_key_the_server_does_not_know_fails_authentication() {
        let Some(sshd) = Sshd::start() else { return };
        keygen(&sshd.path("stranger"));
        let mut target = sshd.target();
        target.auth = Auth::KeyFile { path: sshd.path("stranger"), passphrase: None };
        let err = SshTransport::connect(&target, &sshd.trusting()).err().expect("refused");
        match &err {
            TransportError::AuthFailed { user, tried, reason, .. } => {
                assert_eq!(user, &sshd.user);
                assert!(tried[0].contains("stranger"), "{tried:?}");
                assert!(reason.contains("the server accepts: publickey"), "{reason}");
            }
            other => panic!("expected an authentication failure, got {other}"),
        }
    }

    /// A successful password login needs an account with a known password, which a test should
    /// not create on the machine; this checks the path up to the server's verdict.
    #[test]
    fn a_password_comes_from_the_environment() {
        let Some(sshd) = Sshd::start() else { return };
        let var = "WSUSFIX_TEST_SSH_PASSWORD";
        std::env::set_var(var, "certainly-not-the-password");
        let secret = Secret::from_env(var).expect("set");
        let mut target = sshd.target();
        target.auth = Auth::Password(secret);
        let err = SshTransport::connect(&target, &sshd.trusting()).err().expect("refused");
        let message = err.to_string();
        assert!(matches!(&err, TransportError::AuthFailed { tried, .. } if tried == &["password"]), "{message}");
        assert!(!message.contains("certainly-not"), "{message}");
    }

    #[test]
    fn upload_by_scp_matches_the_remote_size_and_hash() {
        let Some(sshd) = Sshd::start() else { return };
        let local = sshd.path("package.exe");
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        fs::write(&local, &content).expect("write package");
        let remote = sshd.path("uploaded.exe").display().to_string();

        let mut shell = SshTransport::connect(&sshd.target(), &sshd.trusting()).expect("connect");
        let report = shell.upload(&local, &remote, TIMEOUT).expect("upload");
        assert_eq!(report.size, content.len() as u64);
        let mut out = CollectSink::new(1024);
        assert!(shell.exec(&format!("hash {remote}"), TIMEOUT, &mut out).expect("hash").success());
        assert_eq!(text(out.stdout_bytes()).trim(), format!("{} {}", report.size, report.sha256));

        let record = &shell.records()[0];
        assert_eq!(record.command, format!("scp -t {remote}"));
        assert!(
            matches!(&record.kind, CommandKind::Upload { size, sha256: Some(h), .. } if *size == report.size && *h == report.sha256)
        );

        let missing = shell.upload(&local, "/nonexistent-dir/x.exe", TIMEOUT).expect_err("remote refuses");
        assert!(matches!(missing, TransportError::Upload { .. }), "{missing}");
    }

    /// Counts output and remembers the largest chunk, keeping nothing.
    #[derive(Default)]
    struct Meter {
        bytes: u64,
        largest: usize,
    }

    impl OutputSink for Meter {
        fn stdout(&mut self, chunk: &[u8]) {
            assert!(chunk.iter().all(|b| *b == b'x'));
            self.bytes += chunk.len() as u64;
            self.largest = self.largest.max(chunk.len());
        }
        fn stderr(&mut self, chunk: &[u8]) {
            self.bytes += chunk.len() as u64;
        }
    }

    fn peak_rss_kib() -> Option<u64> {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    #[test]
    fn twenty_megabytes_of_output_stream_through_in_bounded_memory() {
        let Some(sshd) = Sshd::start() else { return };
        const SIZE: u64 = 20 * 1024 * 1024;
        let mut shell = SshTransport::connect(&sshd.target(), &sshd.trusting()).expect("connect");
        let before = peak_rss_kib();

        let mut meter = Meter::default();
        assert!(shell.exec(&format!("big {SIZE}"), TIMEOUT, &mut meter).expect("exec").success());
        assert_eq!(meter.bytes, SIZE);
        assert!(meter.largest <= 64 * 1024, "chunk of {} bytes", meter.largest);

        let mut capped = CollectSink::new(64 * 1024);
        assert!(shell.exec(&format!("big {SIZE}"), TIMEOUT, &mut capped).expect("exec").success());
        assert_eq!(capped.stdout_len(), SIZE);
        assert_eq!(capped.stdout_bytes().len(), 64 * 1024);
        assert!(capped.truncated());
        assert_eq!(shell.records()[1].bytes_out, SIZE);

        if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
            // 20 MiB went through twice; buffering it would show here.
            assert!(after.saturating_sub(before) < 12 * 1024, "peak RSS grew by {} KiB", after - before);
        }
    }

    #[test]
    fn a_jump_host_tunnels_to_the_target() {
        let Some(sshd) = Sshd::start() else { return };
        let mut target = sshd.target();
        target.jump = Some(JumpHost {
            name: "bastion".into(),
            address: "127.0.0.1".into(),
            port: sshd.port,
            user: sshd.user.clone(),
            auth: target.auth.clone(),
        });
        let mut shell = SshTransport::connect(&target, &sshd.trusting()).expect("connect through the jump host");
        let mut out = CollectSink::new(4096);
        assert_eq!(shell.exec("both", TIMEOUT, &mut out).expect("exec"), ExitStatus::Code(3));
        assert_eq!(text(out.stdout_bytes()), "to stdout\n");
        let mut meter = Meter::default();
        assert!(shell.exec("big 5000000", TIMEOUT, &mut meter).expect("exec").success());
        assert_eq!(meter.bytes, 5_000_000);
        drop(shell);

        // The bastion cannot reach a closed port.
        target.port = free_port();
        let err = SshTransport::connect(&target, &sshd.trusting()).err().expect("no tunnel");
        assert!(matches!(&err, TransportError::Jump { jump, .. } if jump == "bastion"), "{err}");
    }

    #[test]
    fn a_refused_connection_is_named() {
        if !prerequisites() {
            return;
        }
        let port = free_port();
        let target = SshTarget::new("wsus-test", "127.0.0.1", port, "nobody", Auth::Agent);
        let err = SshTransport::connect(&target, &options(Vec::new())).err().expect("refused");
        assert!(matches!(err, TransportError::ConnectionRefused { port: p, .. } if p == port), "{err}");
    }

    #[test]
    fn a_silent_server_times_out_in_the_handshake() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let holder = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
            let _ = stream.flush();
        });
        let target = SshTarget::new("wsus-test", "127.0.0.1", port, "nobody", Auth::Agent);
        let mut opts = options(Vec::new());
        opts.auth_timeout = Duration::from_secs(1);
        let started = Instant::now();
        let err = SshTransport::connect(&target, &opts).err().expect("times out");
        assert!(matches!(err, TransportError::ConnectTimeout { stage: ConnectStage::Handshake, .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(err);
        let _ = holder.join();
    }
}
