//! `wsusfix inventory check` and `list` as a user runs them.

use std::path::PathBuf;
use std::process::{Command, Output};

fn wsusfix(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_wsusfix")).args(args).output();
    out.unwrap_or_else(|e| panic!("cannot run wsusfix: {e}"))
}

fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path).display().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_lists_the_example_hosts_with_merged_variables() {
    let example = repo("inventory/example.yaml");
    let out = wsusfix(&["inventory", "check", "-i", &example]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "no warnings expected: {stderr}");
    let header = stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("HOST ") && header.contains("ADDRESS") && header.contains("GROUPS"), "{stdout}");
    let berlin = stdout.lines().find(|l| l.starts_with("wsus-berlin ")).unwrap_or_default();
    assert!(berlin.contains("172.16.30.5:2222") && berlin.contains("CORP\\svc-wsus"), "{berlin}");
    assert!(berlin.ends_with("branch_eu, branch_offices, wsus_servers"), "{berlin}");
    assert!(stdout.contains("\nwsus-dc-a2\n"), "{stdout}");
    assert!(stdout.contains("  wsus_dir                D:\\WSUS\n"), "{stdout}");
    assert!(stdout.contains("  jump_host               ops@bastion.corp.example:2222\n"), "{stdout}");
    assert!(stdout.ends_with("is valid: 6 of 6 hosts selected, 8 groups, 0 warnings.\n"), "{stdout}");
}

#[test]
fn check_limits_and_prints_json() {
    let example = repo("inventory/example.yaml");
    let out =
        wsusfix(&["inventory", "check", "-i", &example, "--limit", "wsus_servers:!branch_offices", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    assert_eq!(json["about"]["format_version"], 1, "{}", json["about"]);
    assert!(json["about"]["inventory"]["sha256"].as_str().is_some_and(|h| h.len() == 64), "{}", json["about"]);
    let names: Vec<&str> = json["hosts"].as_array().unwrap().iter().filter_map(|h| h["name"].as_str()).collect();
    assert_eq!(names, ["wsus-dc-a1", "wsus-dc-a2", "wsus-dc-a3.corp.example"]);
    assert_eq!(json["hosts"][0]["port"], 22);
    assert_eq!(json["hosts"][0]["vars"]["probe_timeout"], 90);
    assert_eq!(json["groups"]["datacenter_a"]["parents"][0], "wsus_servers");

    let out = wsusfix(&["inventory", "check", "-i", &example, "-l", "wsus-berlin", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("- name: wsus-berlin\n"), "{}", text(&out.stdout));
}

#[test]
fn list_names_round_trip_through_an_at_file() {
    let example = repo("inventory/example.yaml");
    let out = wsusfix(&["inventory", "list", "-i", &example, "--limit", "branch_*", "--names"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "wsus-lyon\nwsus-berlin\nwsus-denver\n");
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("wave1.txt");
    std::fs::write(&list, &out.stdout).unwrap();
    let at = format!("@{}:!wsus-berlin", list.display());
    let out = wsusfix(&["inventory", "list", "-i", &example, "--limit", &at]);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "header and two hosts: {stdout}");
    assert!(stdout.contains("wsus-lyon ") && stdout.contains("wsus-denver ") && !stdout.contains("wsus-berlin"));
}

#[test]
fn a_broken_inventory_fails_with_file_line_and_column() {
    let broken = repo("core/tests/data/inventory/bad-indent.yaml");
    let out = wsusfix(&["inventory", "check", "-i", &broken]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with(&format!("error: {broken}:8:8: invalid YAML: did not find expected key")), "{stderr}");
    assert!(stderr.contains("check the indentation"), "{stderr}");

    let secret = repo("core/tests/data/inventory/secret-password.yaml");
    let stderr = text(&wsusfix(&["inventory", "check", "-i", &secret]).stderr);
    assert!(stderr.contains(":7:11: host `wsus-lyon`: variable `ansible_password` holds a secret"), "{stderr}");
    assert!(!stderr.contains("Winter2008"), "the secret is never echoed: {stderr}");
}

#[test]
fn warnings_go_to_standard_error_and_bad_patterns_fail() {
    let compat = repo("core/tests/data/inventory/ansible-compat.yaml");
    let out = wsusfix(&["inventory", "check", "-i", &compat]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(":10:9: group `windows`: variable `ansible_ssh_common_args` is not supported"), "{stderr}");
    // `ansible_shell_type` is read, not warned about: three warnings remain.
    assert!(text(&out.stdout).contains("3 warnings."), "{}", text(&out.stdout));

    let example = repo("inventory/example.yaml");
    let out = wsusfix(&["inventory", "check", "-i", &example, "--limit", "wsus_servers:!branch_ofices"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "error: host pattern `!branch_ofices` matches no host or group\n");
}

#[test]
fn help_shows_examples() {
    let out = wsusfix(&["inventory", "check", "--help"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("wsusfix inventory check -i inventory/example.yaml"), "{stdout}");
    assert!(stdout.contains("--limit <PATTERN>") && stdout.contains("--format <FORMAT>"), "{stdout}");
}

#[test]
fn a_fifo_or_dev_zero_is_refused_and_a_closed_pipe_ends_quietly() {
    let out = wsusfix(&["inventory", "check", "-i", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/dev/zero: it is not a regular file"), "{}", text(&out.stderr));

    // `wsusfix inventory list | head -1`: the reader goes away; no panic, no error message.
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("big.yaml");
    let hosts: String = (0..20_000).map(|i| format!("    wsus{i:05}:\n")).collect();
    std::fs::write(&inventory, format!("all:\n  hosts:\n{hosts}")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wsusfix"))
        .args(["inventory", "list", "-i"])
        .arg(&inventory)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    assert_ne!(out.status.code(), Some(101), "a panic's exit status");
}

#[test]
fn an_unwritable_output_is_refused_before_any_host_and_a_fifo_key_file_blocks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inv.yaml");
    // A host nobody answers at: were it contacted, the scan would wait out its timeout.
    std::fs::write(&inventory, "all:\n  hosts:\n    ghost:\n      ansible_host: 192.0.2.1\n").unwrap();
    let started = std::time::Instant::now();
    let out = wsusfix(&[
        "scan",
        "-i",
        inventory.to_str().unwrap(),
        "--connect-timeout",
        "30",
        "-o",
        dir.path().join("no/such/folder/scan.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("-o") && text(&out.stderr).contains("cannot be written"),
        "{}",
        text(&out.stderr)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "refused before contacting the host");

    let fifo = dir.path().join("key.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let keyed = dir.path().join("keyed.yaml");
    std::fs::write(
        &keyed,
        format!("all:\n  hosts:\n    h:\n      ansible_host: 127.0.0.1\n      ssh_key_file: {}\n", fifo.display()),
    )
    .unwrap();
    let out = wsusfix(&["scan", "-i", keyed.to_str().unwrap(), "--format", "json", "--connect-timeout", "3"]);
    assert!(text(&out.stdout).contains("is not a regular file"), "{}", text(&out.stdout));
}

#[test]
fn several_sources_a_folder_and_group_vars_read_as_ansible_does() {
    let data = repo("core/tests/data/ansible");
    let (site, other) = (format!("{data}/several/site"), format!("{data}/several/other/hosts"));
    let out = wsusfix(&["inventory", "check", "-i", &site, "-i", &other, "-l", "branch", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    let names: Vec<&str> = json["hosts"].as_array().unwrap().iter().filter_map(|h| h["name"].as_str()).collect();
    assert_eq!(names, ["br1", "br2", "br3", "edge01", "br4"]);
    // The later source's group variable and group_vars/ win; the port after the name is kept.
    assert_eq!(json["hosts"][3]["user"], "other-source");
    assert_eq!(json["hosts"][3]["port"], 2022);
    assert_eq!(json["hosts"][3]["vars"]["temp_dir"], "O:\\Temp");
    assert_eq!(json["hosts"][3]["vars"]["wsus_dir"], "S:\\WSUS");
    let path = json["about"]["inventory"]["path"].as_str().unwrap_or_default();
    assert!(path.contains("several/site, ") && path.ends_with("several/other/hosts"), "{path}");

    // What Ansible would not read, or wsusfix does not use, is said on standard error.
    let out = wsusfix(&["inventory", "check", "-i", &format!("{data}/group-vars/hosts.ini")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("group_vars/dc.yml: group `dc`: is not read:"), "{stderr}");
    assert!(
        stderr.contains("group_vars/all.yml:5:1: group `all`: 1 variable wsusfix does not use (ignored): ntp_server"),
        "{stderr}"
    );
}

#[test]
fn an_ini_path_that_lost_its_backslash_is_refused_with_the_reason() {
    let hosts = repo("core/tests/data/ansible/ini-backslash/hosts");
    let out = wsusfix(&["inventory", "check", "-i", &hosts]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("hosts:2:8: host `wsus01`: variable `wsus_dir`: `D:WSUS` is not a safe Windows path"),
        "{stderr}"
    );
    assert!(stderr.contains("write wsus_dir='…' in single quotes"), "{stderr}");
}
