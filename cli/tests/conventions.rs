//! The conventions a command-line user expects: environment variables for the common options,
//! shell completions and man pages generated from the same definitions that parse the command
//! line.

use std::process::{Command, Output};

fn wsusfix(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsusfix"));
    cmd.args(args).env_remove("WSUSFIX_INVENTORY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("wsusfix runs")
}

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../inventory/example.yaml");

#[test]
fn common_options_come_from_the_environment_and_the_command_line_wins() {
    let out = wsusfix(&["inventory", "list", "--names"], &[("WSUSFIX_INVENTORY", EXAMPLE)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wsus-dc-a1"));

    let out = wsusfix(&["inventory", "list", "--names", "-i", EXAMPLE], &[("WSUSFIX_INVENTORY", "/nonexistent.yaml")]);
    assert_eq!(out.status.code(), Some(0), "-i wins: {}", String::from_utf8_lossy(&out.stderr));

    let out = wsusfix(&["scan"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--inventory"), "a missing inventory is named");

    let help = String::from_utf8_lossy(&wsusfix(&["scan", "--help"], &[]).stdout).into_owned();
    for var in ["WSUSFIX_INVENTORY", "WSUSFIX_FORKS", "WSUSFIX_USER", "WSUSFIX_KNOWN_HOSTS", "WSUSFIX_SSH_CONFIG"] {
        assert!(help.contains(&format!("[env: {var}=")), "scan --help names {var}:\n{help}");
    }
}

#[test]
fn completions_for_every_shell_and_man_pages_for_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = wsusfix(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("probe-timeout") && script.contains("max-fail-percent"), "{shell}:\n{script}");
    }
    let out = wsusfix(&["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(1), "an unknown shell is a usage error");

    let out = wsusfix(&["man"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let roff = String::from_utf8_lossy(&out.stdout);
    assert!(roff.contains(".TH wsusfix 1") && roff.contains(".TH wsusfix-apply 1"), "{roff}");
    assert!(roff.contains("max\\-fail\\-percent"), "the apply page documents its options");

    let dir = tempfile::tempdir().unwrap();
    let out = wsusfix(&["man", "--out", dir.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for page in ["wsusfix.1", "wsusfix-scan.1", "wsusfix-plan.1", "wsusfix-apply.1", "wsusfix-report.1"] {
        assert!(dir.path().join(page).is_file(), "{page}");
    }
}

/// On a terminal a table fits its width (the last column wraps; names stay whole); on a pipe
/// every row is one whole line. The terminal is a real pseudo-terminal (`script`), sized with
/// `stty`.
#[test]
fn tables_fit_the_terminal_and_stay_whole_on_a_pipe() {
    let piped = wsusfix(&["inventory", "check", "-i", EXAMPLE], &[]);
    let piped = String::from_utf8_lossy(&piped.stdout).into_owned();
    let denver = piped.lines().find(|l| l.starts_with("wsus-denver ")).unwrap_or_default();
    assert!(denver.ends_with("branch_offices, branch_us, patch_window_sunday, wsus_servers"), "{denver}");
    assert!(denver.len() > 100, "whole on a pipe: {denver}");

    if Command::new("script").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but `script` (util-linux) is missing");
        eprintln!("skipped the terminal half: `script` (util-linux) is not installed");
        return;
    }
    let line = format!("stty cols 100; {} inventory check -i {EXAMPLE}", env!("CARGO_BIN_EXE_wsusfix"));
    let out =
        Command::new("script").args(["-qec", &line, "/dev/null"]).env_remove("WSUSFIX_INVENTORY").output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    let rows: Vec<&str> = shown.lines().take_while(|l| !l.is_empty()).collect();
    assert!(rows.len() > 7, "a wrapped table has more lines than hosts: {shown}");
    assert!(rows.iter().all(|l| l.chars().count() <= 100), "every line fits 100 columns: {shown}");
    assert!(rows.iter().any(|l| l.starts_with("wsus-denver ") && l.contains("DENVER\\wsus-admin")), "{shown}");
}
