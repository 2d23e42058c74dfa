//! `wsusfix assess` and `wsusfix probe-script` as a user runs them.

use std::path::PathBuf;
use std::process::Command;

fn wsusfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wsusfix"))
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data/probe").join(format!("{name}.txt"))
}

#[test]
fn assess_saved_probes_as_json_with_documented_exit_codes() {
    let out = wsusfix()
        .arg("assess")
        .arg("--format")
        .arg("json")
        .arg(sample("w2003-sp1-unpatched"))
        .arg(sample("w2003-sp2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "affected found: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["hosts"][0]["host"], "w2003-sp1-unpatched");
    assert_eq!(json["hosts"][0]["verdict"], "affected");
    assert_eq!(json["hosts"][0]["evidence"]["symptomatic"], true);
    assert_eq!(json["hosts"][0]["facts"]["dll"]["version"], "3.1.6001.65");
    assert_eq!(json["hosts"][1]["verdict"], "not-affected");
    assert_eq!(json["summary"]["total"], 2);

    let out = wsusfix().arg("assess").arg(sample("w2003-sp2")).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn truncated_or_garbage_output_is_unknown_never_a_crash() {
    let out = wsusfix()
        .arg("assess")
        .arg(sample("truncated"))
        .arg(sample("garbage"))
        .arg(sample("w2003-rtm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "incomplete wins over affected");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("truncated: it stops inside the `dll` section"), "{text}");
    assert!(text.contains("unparseable output"), "{text}");
    assert!(text.contains("3 hosts: 1 affected-rtm, 2 unknown"), "{text}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = wsusfix().args(["assess", "/nonexistent/probe-x.txt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: cannot open /nonexistent/probe-x.txt"), "{err}");
}

#[test]
fn probe_script_is_one_line_and_refuses_unsafe_paths() {
    let out = wsusfix().arg("probe-script").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    let version = format!(":probe:{} & echo ::wsusfix.", wsusfix_core::probe::PROBE_VERSION);
    assert!(text.starts_with("echo ::wsusfix.") && text.contains(&version), "{text}");
    // cmd.exe reads at most 8,191 characters of a command line once its %variables% are
    // expanded: the probe keeps a margin for long WSUS folders and expansions.
    assert!(text.len() < 7_000, "the probe is {} characters long", text.len());

    let out = wsusfix().args(["probe-script", "--wsus-dir", "C:\\x & format c:"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wsus_dir is not a safe Windows path"));
}

#[test]
fn a_broken_advisory_override_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.yaml");
    std::fs::write(&file, "id: KB954960\ndefinition_version: [\n").unwrap();
    let out = wsusfix().arg("assess").arg("--advisory").arg(&file).arg(sample("w2003-sp2")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mine.yaml, line 2, column 21: definition_version: invalid type"), "{err}");
}
