//! Two SSH servers, one set of tests: the lab's own (russh) and OpenSSH's sshd whose
//! `ForceCommand` runs the lab's interpreter (`wsusfix lab exec`, SCP uploads included). The
//! transport suite (exec, exit codes, stderr, a package upload checked with certutil, the
//! audit record, a changed host key, an unknown client key) runs the same against both, and
//! the scan reads byte-identical probe output through both: proof that the transport and
//! parsers work against the most common real server, not only against our own.
//!
//! Needs /usr/sbin/sshd and ssh-keygen: skipped with a reason when absent, failed under CI.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wsusfix_core::connector::{ConnectError, ConnectSettings, Connector, SshConnector};
use wsusfix_core::transport::{CollectSink, ExitStatus, RemoteShell, TransportError};

const SSHD: &str = "/usr/sbin/sshd";
const PROFILE: &str = "w2008-sp1-unpatched";

fn wsusfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wsusfix"))
}

fn available() -> bool {
    let present = Path::new(SSHD).exists() && Command::new("ssh-keygen").arg("-?").output().is_ok();
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but OpenSSH's sshd/ssh-keygen is missing: .ci/run must install openssh-server"
        );
        eprintln!("skipped: {SSHD} or ssh-keygen is not installed (apt-get install openssh-server)");
    }
    present
}

fn keygen(path: &Path) {
    let ok =
        Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(path).status().unwrap().success();
    assert!(ok, "ssh-keygen failed");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private sshd whose every session runs `wsusfix lab exec` against one simulated host.
struct Sshd {
    child: Child,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sshd(dir: &Path) -> Sshd {
    keygen(&dir.join("host_ed25519"));
    keygen(&dir.join("id_ed25519"));
    fs::copy(dir.join("id_ed25519.pub"), dir.join("authorized_keys")).unwrap();
    fs::create_dir_all("/run/sshd").ok();
    let state = dir.join("state");
    fs::create_dir_all(&state).unwrap();
    let force = format!(
        "{} lab exec --profile {PROFILE} --state {} --host wsus-lab-0001 -- \"$SSH_ORIGINAL_COMMAND\"",
        env!("CARGO_BIN_EXE_wsusfix"),
        state.display()
    );
    let d = dir.display();
    let config = format!(
        "ListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
         StrictModes no\nUsePAM no\nPermitRootLogin yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         MaxStartups 50\nForceCommand {force}\n"
    );
    fs::write(dir.join("sshd_config"), config).unwrap();
    let port = free_port();
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .args(["-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(dir.join("sshd.log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "sshd did not listen: {}",
            fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let host_key = fs::read_to_string(dir.join("host_ed25519.pub")).unwrap();
    let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
    fs::write(dir.join("known_hosts"), format!("[127.0.0.1]:{port} {}\n", host_key.join(" "))).unwrap();
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    fs::write(
        dir.join("inventory.yaml"),
        format!(
            "all:\n  vars:\n    ssh_key_file: {d}/id_ed25519\n    known_hosts_file: {d}/known_hosts\n  hosts:\n    wsus-lab-0001:\n      ansible_host: 127.0.0.1\n      ansible_port: {port}\n      ansible_user: {}\n",
            user.trim()
        ),
    )
    .unwrap();
    Sshd { child }
}

/// Starts `wsusfix lab serve` with one host of the profile; returns the child and its folder.
fn start_lab(dir: &Path) -> Child {
    let mut child = wsusfix()
        .args(["lab", "serve", "--hosts", "1", "--profile", PROFILE, "--out"])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    assert!(line.starts_with("lab ready"), "{line}");
    child
}

fn scan(inventory: &Path, facts: &Path) -> serde_json::Value {
    let out = wsusfix()
        .args(["scan", "--no-progress", "--format", "json", "-i"])
        .arg(inventory)
        .arg("--save-facts")
        .arg(facts)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "affected expected: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_probe_reads_the_same_through_openssh_sshd_as_through_the_lab_server() {
    if !available() {
        return;
    }
    let sshd_dir = tempfile::tempdir().unwrap();
    let sshd = start_sshd(sshd_dir.path());
    let lab_dir = tempfile::tempdir().unwrap();
    let mut lab = start_lab(lab_dir.path());

    let through_sshd = scan(&sshd_dir.path().join("inventory.yaml"), &sshd_dir.path().join("facts"));
    let through_lab = scan(&lab_dir.path().join("inventory.yaml"), &lab_dir.path().join("facts"));
    let _ = lab.kill();
    let _ = lab.wait();

    let host = |v: &serde_json::Value| v["hosts"][0].clone();
    let (a, b) = (host(&through_sshd), host(&through_lab));
    assert_eq!(a["verdict"], "affected", "{a}");
    assert_eq!(a["verdict"], b["verdict"]);
    for fact in ["os", "arch", "elevation", "wsus", "dll", "services", "server_log", "client_log"] {
        assert_eq!(a["facts"][fact], b["facts"][fact], "fact {fact} differs between sshd and the lab server");
    }
    assert_eq!(a["facts"]["elevation"], "filtered");
    assert_eq!(a["facts"]["dll"]["version"], "3.1.6001.65");

    // Byte for byte, the raw probe output is the same through both servers, but for the nonce
    // each probe draws for its markers.
    let raw = |dir: &Path| -> String {
        let path: PathBuf = fs::read_dir(dir.join("facts")).unwrap().next().unwrap().unwrap().path();
        let text = String::from_utf8_lossy(&fs::read(path).unwrap()).to_string();
        let nonce = text.split("::wsusfix.").nth(1).and_then(|rest| rest.split(':').next()).unwrap_or("").to_string();
        assert_eq!(nonce.len(), 8, "{text}");
        text.replace(&format!("::wsusfix.{nonce}:"), "::wsusfix.NONCE:")
    };
    assert_eq!(raw(sshd_dir.path()), raw(lab_dir.path()), "probe output differs");
    drop(sshd);
}

/// One server under test: the inventory that reaches its host, and where its keys are.
struct Server {
    name: &'static str,
    dir: PathBuf,
}

impl Server {
    fn host(&self, extra_vars: &str) -> wsusfix_core::inventory::Host {
        let text = fs::read_to_string(self.dir.join("inventory.yaml")).unwrap();
        let text = format!("{text}{extra_vars}");
        let inventory = wsusfix_core::inventory::Inventory::parse(&text, "inventory.yaml").unwrap();
        inventory.hosts.into_iter().find(|h| h.name == "wsus-lab-0001").unwrap()
    }

    fn connect(&self, host: &wsusfix_core::inventory::Host) -> Result<Box<dyn RemoteShell>, ConnectError> {
        let connector = SshConnector::new(ConnectSettings {
            connect_timeout: Some(Duration::from_secs(5)),
            default_user: Some("admin".into()),
            ssh_config: Some(wsusfix_core::ssh_config::Source::None),
            ..ConnectSettings::default()
        });
        connector.connect(host)
    }
}

fn digest(tool: &str, file: &Path) -> String {
    let out = Command::new(tool).arg(file).output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// The transport's behaviour a user relies on, run the same way against each server.
fn transport_suite(server: &Server) {
    let who = server.name;
    let host = server.host("");
    let mut shell = server.connect(&host).unwrap_or_else(|e| panic!("{who}: {e}"));

    let mut out = CollectSink::new(64 * 1024);
    let status = shell.exec("ver", Duration::from_secs(10), &mut out).unwrap();
    assert_eq!(status, ExitStatus::Code(0), "{who}");
    assert!(String::from_utf8_lossy(out.stdout_bytes()).contains("Microsoft Windows [Version 6.0.6001]"), "{who}");

    let mut out = CollectSink::new(64 * 1024);
    let status = shell.exec(r#"reg query "HKLM\SOFTWARE\Nope""#, Duration::from_secs(10), &mut out).unwrap();
    assert_eq!(status, ExitStatus::Code(1), "{who}: a failing command's exit code arrives");
    assert!(
        String::from_utf8_lossy(out.stderr_bytes()).contains("unable to find the specified registry key"),
        "{who}: stderr arrives apart: {:?}",
        String::from_utf8_lossy(out.stderr_bytes())
    );

    // A package-sized upload by SCP, checked on the host with certutil as the plan does.
    let local = server.dir.join("package.bin");
    let bytes: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    fs::write(&local, &bytes).unwrap();
    let remote = r"C:\Windows\Temp\package.bin";
    let sent = shell.upload(&local, remote, Duration::from_secs(30)).unwrap_or_else(|e| panic!("{who}: {e}"));
    assert_eq!(sent.size, bytes.len() as u64, "{who}");
    assert_eq!(sent.sha256, digest("sha256sum", &local), "{who}");
    let mut out = CollectSink::new(64 * 1024);
    shell.exec(&format!(r#"certutil -hashfile "{remote}" SHA1"#), Duration::from_secs(10), &mut out).unwrap();
    let printed: String = String::from_utf8_lossy(out.stdout_bytes()).split_whitespace().collect::<Vec<_>>().join("");
    assert!(printed.to_ascii_lowercase().contains(&digest("sha1sum", &local)), "{who}: the host holds the same bytes");

    let records = shell.records();
    assert_eq!(records.len(), 4, "{who}: every command and upload is recorded");
    assert!(records.iter().all(|r| r.error.is_none()), "{who}");

    // Another key in known_hosts for this address: refused before authentication.
    let other = server.dir.join("other_host_key");
    let _ = fs::remove_file(&other);
    keygen(&other);
    let line = fs::read_to_string(server.dir.join("known_hosts")).unwrap();
    let address = line.split_whitespace().next().unwrap().to_string();
    let other_key: Vec<String> =
        fs::read_to_string(other.with_extension("pub")).unwrap().split_whitespace().take(2).map(String::from).collect();
    let wrong_known_hosts = server.dir.join("known_hosts.wrong");
    fs::write(&wrong_known_hosts, format!("{address} {}\n", other_key.join(" "))).unwrap();
    let mut changed = host.clone();
    changed.vars.known_hosts_file = Some(wrong_known_hosts);
    match server.connect(&changed) {
        Err(ConnectError::Transport(e)) => assert!(matches!(*e, TransportError::HostKeyChanged { .. }), "{who}: {e}"),
        Err(e) => panic!("{who}: {e}"),
        Ok(_) => panic!("{who}: a changed host key was accepted"),
    }

    // A client key the server does not know: authentication fails, with the user named.
    let mut stranger = host.clone();
    stranger.vars.ssh_key_file = Some(other);
    match server.connect(&stranger) {
        Err(ConnectError::Transport(e)) => assert!(matches!(*e, TransportError::AuthFailed { .. }), "{who}: {e}"),
        Err(e) => panic!("{who}: {e}"),
        Ok(_) => panic!("{who}: an unknown client key was accepted"),
    }
}

#[test]
fn the_transport_behaves_the_same_against_openssh_sshd_and_the_lab_server() {
    if !available() {
        return;
    }
    let sshd_dir = tempfile::tempdir().unwrap();
    let _sshd = start_sshd(sshd_dir.path());
    transport_suite(&Server { name: "OpenSSH sshd + lab exec", dir: sshd_dir.path().to_path_buf() });

    let lab_dir = tempfile::tempdir().unwrap();
    let mut lab = start_lab(lab_dir.path());
    transport_suite(&Server { name: "the lab's server", dir: lab_dir.path().to_path_buf() });
    let _ = lab.kill();
    let _ = lab.wait();
}
