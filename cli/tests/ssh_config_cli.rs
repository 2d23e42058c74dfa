//! OpenSSH's client configuration, end to end: an alias that only `~/.ssh/config` (here passed
//! with `-F`, `WSUSFIX_SSH_CONFIG` or the inventory's `ssh_config_file`) maps to a lab host's
//! address, port, user, key and known_hosts is reached by a scan through the CLI; the
//! inventory wins over the file; a bad value stops the command naming file and line; and
//! `StrictHostKeyChecking no` is taken as `accept-new`, with a warning.

use std::path::Path;
use std::process::{Command, Output};

use wsusfix_lab::{Artifacts, HostSpec, Lab, LabConfig, RunningLab};

const PROFILE: &str = "w2003-sp1-unpatched";

fn wsusfix() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsusfix"));
    cmd.env_remove("WSUSFIX_SSH_CONFIG").env_remove("WSUSFIX_USER").env_remove("WSUSFIX_KNOWN_HOSTS");
    cmd
}

fn lab() -> (RunningLab, tempfile::TempDir, Artifacts) {
    let lab = Lab::start(LabConfig { hosts: vec![HostSpec::new(PROFILE, PROFILE).unwrap()], ..LabConfig::default() })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = lab.write_artifacts(dir.path()).unwrap();
    (lab, dir, files)
}

/// The alias's block, then blocks whose values must lose to it (first obtained wins).
fn config(lab: &RunningLab, files: &Artifacts, strict: &str) -> String {
    let port = lab.host(PROFILE).unwrap().addr.port();
    format!(
        "# as in ~/.ssh/config\n\
         Host wsus-alias other-alias\n\
         \x20 HostName 127.0.0.1\n\
         \x20 Port={port}\n\
         \x20 User \"admin\"\n\
         \x20 IdentityFile {key}\n\
         \x20 UserKnownHostsFile {known}\n\
         \x20 StrictHostKeyChecking {strict}\n\
         Host *\n\
         \x20 Port 1\n\
         \x20 User nobody\n\
         \x20 SendEnv LANG\n",
        key = files.private_key.display(),
        known = files.known_hosts.display(),
    )
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn scan(inventory: &Path, extra: &[&str]) -> Output {
    wsusfix()
        .args(["scan", "--no-progress", "--format", "json", "--connect-timeout", "5", "-i"])
        .arg(inventory)
        .args(extra)
        .output()
        .unwrap()
}

fn verdict(out: &Output) -> String {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    json["hosts"][0]["verdict"].as_str().unwrap_or("").to_owned()
}

#[test]
fn an_alias_from_ssh_config_is_reached_by_a_scan() {
    let (lab, dir, files) = lab();
    let ssh_config = dir.path().join("ssh_config");
    write(&ssh_config, &config(&lab, &files, "yes"));
    // The inventory knows the host only by its alias: no address, port, user, key or known_hosts.
    let inventory = dir.path().join("alias.yaml");
    write(&inventory, "all:\n  hosts:\n    wsus-alias:\n");

    let out = scan(&inventory, &["-F", ssh_config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(verdict(&out), "affected", "{}", String::from_utf8_lossy(&out.stdout));
    assert!(!stderr.contains("warning"), "SendEnv does not matter to a connection: {stderr}");

    // The same through the environment, and through the inventory's ssh_config_file.
    let out = wsusfix()
        .args(["scan", "--no-progress", "--format", "json", "-i"])
        .arg(&inventory)
        .env("WSUSFIX_SSH_CONFIG", &ssh_config)
        .output()
        .unwrap();
    assert_eq!(verdict(&out), "affected", "{}", String::from_utf8_lossy(&out.stderr));
    let by_variable = dir.path().join("by-variable.yaml");
    write(&by_variable, &format!("all:\n  hosts:\n    wsus-alias:\n      ssh_config_file: {}\n", ssh_config.display()));
    let out = scan(&by_variable, &[]);
    assert_eq!(verdict(&out), "affected", "{}", String::from_utf8_lossy(&out.stderr));

    // Without the configuration the alias is just a name: -F none reads none, and -F wins over
    // the inventory's ssh_config_file.
    for (inv, label) in [(&inventory, "alias.yaml"), (&by_variable, "by-variable.yaml")] {
        let out = scan(inv, &["-F", "none"]);
        assert_eq!(out.status.code(), Some(3), "{label}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(verdict(&out), "unreachable", "{label}");
    }

    // The inventory wins: its port (a closed one) over the file's.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let port_set = dir.path().join("port.yaml");
    write(&port_set, &format!("all:\n  hosts:\n    wsus-alias:\n      ansible_port: {closed_port}\n"));
    let out = scan(&port_set, &["-F", ssh_config.to_str().unwrap()]);
    assert_eq!(verdict(&out), "unreachable", "{}", String::from_utf8_lossy(&out.stdout));
    lab.shutdown();
}

#[test]
fn a_bad_value_stops_the_command_naming_file_line_and_directive() {
    let (lab, dir, files) = lab();
    let ssh_config = dir.path().join("ssh_config");
    let text = config(&lab, &files, "yes").replace("User \"admin\"", "User \"ad min\"");
    write(&ssh_config, &text);
    let inventory = dir.path().join("alias.yaml");
    write(&inventory, "all:\n  hosts:\n    wsus-alias:\n");
    let out = scan(&inventory, &["-F", ssh_config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("{}:5: User: ", ssh_config.display())), "{stderr}");
    assert!(out.stdout.is_empty(), "no host was contacted");
    // A missing -F file is an input error too.
    let out = scan(&inventory, &["-F", dir.path().join("absent").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    lab.shutdown();
}

#[test]
fn strict_host_key_checking_no_is_accept_new_with_a_warning() {
    let (lab, dir, files) = lab();
    let ssh_config = dir.path().join("ssh_config");
    write(&ssh_config, &config(&lab, &files, "no"));
    let inventory = dir.path().join("alias.yaml");
    write(&inventory, "all:\n  hosts:\n    wsus-alias:\n");
    let real_key = std::fs::read_to_string(&files.known_hosts).unwrap();

    // A first-seen key is recorded, as with accept-new, and the line is named.
    write(&files.known_hosts, "");
    let out = scan(&inventory, &["-F", ssh_config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("warning: ssh_config {}:8: StrictHostKeyChecking: `no`", ssh_config.display())),
        "{stderr}"
    );
    assert!(stderr.contains("Permanently added"), "{stderr}");

    // A changed key is still refused: `no` never means "any key".
    let port = lab.host(PROFILE).unwrap().addr.port();
    let other = "AAAAC3NzaC1lZDI1NTE5AAAAIKRlD7Ygx6gXYzyaJRuZQ1/sbfmVbPkGzzpDGwjE5t1u";
    write(&files.known_hosts, &format!("[127.0.0.1]:{port} ssh-ed25519 {other}\n"));
    let out = scan(&inventory, &["-F", ssh_config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(verdict(&out), "unreachable");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = json["hosts"][0]["reason"].as_str().unwrap_or_default().to_lowercase();
    assert!(reason.contains("changed"), "{reason}");
    assert!(!real_key.is_empty());
    lab.shutdown();
}

#[test]
fn kex_algorithms_chooses_the_key_exchange_and_a_name_libssh2_lacks_is_refused_with_its_line() {
    let (lab, dir, files) = lab();
    let ssh_config = dir.path().join("ssh_config");
    let inventory = dir.path().join("alias.yaml");
    write(&inventory, "all:\n  hosts:\n    wsus-alias:\n");
    let negotiated = |kex_line: &str| {
        let text = config(&lab, &files, "yes").replace("Host *\n", &format!("{kex_line}Host *\n"));
        write(&ssh_config, &text);
        let out = scan(&inventory, &["-F", ssh_config.to_str().unwrap(), "-vvv"]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let kex = stderr.split("kex=").nth(1).and_then(|rest| rest.split_whitespace().next()).map(str::to_owned);
        kex.unwrap_or_else(|| panic!("no kex in the trace: {stderr}"))
    };
    // The default is post-quantum; OpenSSH's list forms replace, remove and reorder it.
    assert_eq!(negotiated(""), "mlkem768x25519-sha256");
    assert_eq!(negotiated("  KexAlgorithms curve25519-sha256\n"), "curve25519-sha256");
    assert_eq!(negotiated("  KexAlgorithms -mlkem*\n"), "curve25519-sha256");
    assert_eq!(negotiated("  KexAlgorithms ^curve25519-sha256,mlkem768x25519-sha256\n"), "curve25519-sha256");

    let text =
        config(&lab, &files, "yes").replace("Host *\n", "  KexAlgorithms sntrup761x25519-sha512@openssh.com\nHost *\n");
    write(&ssh_config, &text);
    let out = scan(&inventory, &["-F", ssh_config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("{}:9: KexAlgorithms: ", ssh_config.display())), "{stderr}");
    assert!(stderr.contains("\"sntrup761x25519-sha512@openssh.com\" is not a key exchange"), "{stderr}");
    assert!(out.stdout.is_empty(), "no host was contacted");
    lab.shutdown();
}
