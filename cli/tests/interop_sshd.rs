//! The same scan through two SSH servers: the lab's own (russh) and OpenSSH's sshd whose
//! `ForceCommand` runs the lab's interpreter (`wsusfix lab exec`). Both must give the ssh2
//! client the same probe answers, facts and verdict: proof that the transport and parsers
//! work against the most common real server, not only against our own.
//!
//! Needs /usr/sbin/sshd and ssh-keygen: skipped with a reason when absent, failed under CI.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

    // Byte for byte, the raw probe output is the same through both servers.
    let raw = |dir: &Path| -> String {
        let path: PathBuf = fs::read_dir(dir.join("facts")).unwrap().next().unwrap().unwrap().path();
        String::from_utf8_lossy(&fs::read(path).unwrap()).to_string()
    };
    assert_eq!(raw(sshd_dir.path()), raw(lab_dir.path()), "probe output differs");
    drop(sshd);
}
