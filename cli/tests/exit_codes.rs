//! Exit statuses a wrapper script relies on: a usage error is 1 for every command (never 2,
//! which `scan` and `assess` give for "affected hosts found"), `--help` and `--version` are 0,
//! and every command's `--help` states its exit statuses. The codes of real runs (2, 3, 4, 5,
//! 6, 130) are asserted where those runs happen: assess_cli, apply_cli, demo_cli.

use std::process::{Command, Output};

fn wsusfix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsusfix")).args(args).output().expect("wsusfix runs")
}

/// Every command a user types, as its words.
const COMMANDS: &[&[&str]] = &[
    &["scan"],
    &["assess"],
    &["plan"],
    &["show"],
    &["apply"],
    &["report"],
    &["inventory", "check"],
    &["inventory", "list"],
    &["probe-script"],
    &["lab", "serve"],
    &["lab", "rehearse"],
    &["demo"],
    &["completions"],
    &["man"],
];

#[test]
fn a_usage_error_exits_1_for_every_command_never_2() {
    for words in COMMANDS {
        let mut args = words.to_vec();
        args.push("--no-such-option");
        let out = wsusfix(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("--no-such-option"), "{args:?}: the error names the option: {stderr}");
    }
    for args in [&["no-such-command"][..], &[][..], &["scan", "--forks", "many"][..]] {
        let out = wsusfix(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn help_and_version_exit_0_and_every_command_documents_its_exit_statuses() {
    let out = wsusfix(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("wsusfix "));
    for words in COMMANDS {
        let mut args = words.to_vec();
        args.push("--help");
        let out = wsusfix(&args);
        let help = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(help.contains("Exit status"), "{args:?} --help does not state its exit statuses:\n{help}");
    }
    let scan = String::from_utf8_lossy(&wsusfix(&["scan", "--help"]).stdout).into_owned();
    assert!(scan.contains("2 affected hosts found") && scan.contains("1 usage or input error"), "{scan}");
}
