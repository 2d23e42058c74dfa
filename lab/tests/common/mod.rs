//! Shared helpers of the lab's integration tests: start a lab, drive it with OpenSSH's `ssh`
//! and `scp`. A test that needs the binaries skips (with a printed reason) when they are
//! missing, and fails instead when the `CI` environment variable is set.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wsusfix_lab::{Artifacts, HostSpec, Lab, LabConfig, RunningLab};

/// A lab with its client files written to a temporary folder.
pub struct TestLab {
    pub lab: RunningLab,
    pub files: Artifacts,
    pub dir: tempfile::TempDir,
}

impl TestLab {
    /// Starts one host per `(name, profile)`.
    pub fn start(hosts: &[(&str, &str)]) -> TestLab {
        TestLab::start_config(hosts, LabConfig::default())
    }

    /// Starts one host per `(name, profile)` with the rest of `config` (latency, ...).
    pub fn start_config(hosts: &[(&str, &str)], config: LabConfig) -> TestLab {
        let hosts = hosts.iter().map(|(n, p)| HostSpec::new(n, p).expect("profile")).collect();
        let lab = Lab::start(LabConfig { hosts, seed: Some(42), ..config }).expect("lab starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let files = lab.write_artifacts(dir.path()).expect("artifacts");
        TestLab { lab, files, dir }
    }

    pub fn port(&self, host: &str) -> u16 {
        self.lab.host(host).expect("host").addr.port()
    }

    fn common_options(&self) -> Vec<String> {
        [
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "LogLevel=ERROR",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(["-i".into(), self.files.private_key.display().to_string()])
        .chain(["-o".into(), format!("UserKnownHostsFile={}", self.files.known_hosts.display())])
        .collect()
    }

    /// `ssh -p PORT admin@127.0.0.1 COMMAND`, spawned.
    pub fn ssh_spawn(&self, ssh: &Path, host: &str, command: &str) -> Child {
        Command::new(ssh)
            .args(self.common_options())
            .args(["-p", &self.port(host).to_string(), "admin@127.0.0.1", command])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ssh runs")
    }

    /// Runs `ssh` and waits (at most 20 s).
    pub fn ssh(&self, ssh: &Path, host: &str, command: &str) -> Output {
        let child = self.ssh_spawn(ssh, host, command);
        wait(child, Duration::from_secs(20)).expect("ssh finished in time")
    }

    /// `scp -O FILE admin@127.0.0.1:TARGET` (legacy SCP protocol).
    pub fn scp(&self, scp: &Path, host: &str, file: &Path, target: &str) -> Output {
        let child = Command::new(scp)
            .args(self.common_options())
            .args(["-O", "-P", &self.port(host).to_string()])
            .arg(file)
            .arg(format!("admin@127.0.0.1:{target}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("scp runs");
        wait(child, Duration::from_secs(20)).expect("scp finished in time")
    }
}

/// Waits for a child up to `limit`; `None` (child killed) when it is still running.
pub fn wait(mut child: Child, limit: Duration) -> Option<Output> {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().ok();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The path of an OpenSSH client binary, or `None` (skip) when absent outside CI.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("`{name}` is required in CI but was not found on PATH");
        }
        eprintln!("skipping: `{name}` not found on PATH");
    }
    found
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
