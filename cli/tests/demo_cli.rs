//! The README's first command, end to end: `wsusfix demo` on an embedded fleet of every
//! profile, then `wsusfix lab rehearse` on the plan the demo wrote.

use std::process::Command;

fn wsusfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wsusfix"))
}

#[test]
fn the_demo_runs_the_whole_job_and_every_host_ends_as_its_profile_implies() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = wsusfix().args(["demo", "--hosts", "18", "--out"]).arg(&out).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "demo failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    // 18 of the default mix, and 6 as found in the field (zh-CN, ja-JP, Cygwin, freeSSHd).
    assert!(stdout.contains("Check passed: all 24 hosts ended as their profiles imply"), "{stdout}");
    assert!(stdout.contains("w2008-sp1-unpatched@zh-CN+cygwin"), "{stdout}");
    for artefact in [
        "scan.json",
        "scan.md",
        "plan.yaml",
        "change-request.md",
        "change-request.html",
        "run/journal.jsonl",
        "run/outcome.json",
        "run/failed-hosts",
        "rescan.json",
        "result.md",
        "result.html",
        "lab/inventory.yaml",
    ] {
        assert!(out.join(artefact).is_file(), "the demo did not write {artefact}");
    }
    // The retry file, as Ansible's: the failing installer's host and the hosts that could not
    // be reached or assessed when planned; `failures` only the failing installer's.
    let failed = std::fs::read_to_string(out.join("run/failed-hosts")).unwrap();
    let outcome: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run/outcome.json")).unwrap()).unwrap();
    let retry: Vec<&str> = outcome["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| ["failed", "needs-attention"].contains(&h["outcome"].as_str().unwrap()))
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(failed.lines().collect::<Vec<_>>(), retry, "{failed}");
    let failures = std::fs::read_to_string(out.join("run/failures")).unwrap();
    assert_eq!(failures.lines().count(), 1, "{failures}");

    // A second demo into the same folder is refused rather than mixing runs.
    let again = wsusfix().args(["demo", "--hosts", "18", "--out"]).arg(&out).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists and is not empty"));

    // The plan rehearses cleanly on twins built from its recorded facts.
    let rehearse = wsusfix()
        .args(["lab", "rehearse"])
        .arg(out.join("plan.yaml"))
        .arg("--out")
        .arg(dir.path().join("twins"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&rehearse.stdout);
    assert!(rehearse.status.success(), "{text}\n{}", String::from_utf8_lossy(&rehearse.stderr));
    assert!(text.contains("rehearsal: 11 of 11 twins ended remediated or at a manual step"), "{text}");
    assert!(dir.path().join("twins/run/journal.jsonl").is_file());

    // The same rehearsal for a machine: JSON lines, the result marked simulated.
    let rehearse = wsusfix().args(["lab", "rehearse", "--format", "json"]).arg(out.join("plan.yaml")).output().unwrap();
    assert!(rehearse.status.success(), "{}", String::from_utf8_lossy(&rehearse.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&rehearse.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.first().map(|l| l["type"].clone()), Some("version".into()));
    assert_eq!(lines.iter().filter(|l| l["type"] == "host_done").count(), 11, "{lines:?}");
    let result = lines.last().unwrap();
    assert_eq!(
        (result["type"].as_str(), result["simulated"].as_bool(), result["exit_code"].as_u64()),
        (Some("result"), Some(true), Some(0))
    );
    assert!(String::from_utf8_lossy(&rehearse.stderr).contains("rehearsal: 11 of 11 twins"));
}
