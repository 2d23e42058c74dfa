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
        "change-request.zh-CN.md",
        "run/journal.jsonl",
        "run/outcome.json",
        "run/failed-hosts",
        "rescan.json",
        "result.md",
        "result.html",
        "lab/inventory.yaml",
        "change.yaml",
    ] {
        assert!(out.join(artefact).is_file(), "the demo did not write {artefact}");
    }
    // The change request names the change; the result report closes it: the same change, the
    // plan's digest, who ran it, the run's history and what to do next.
    let cr = std::fs::read_to_string(out.join("change-request.md")).unwrap();
    assert!(cr.starts_with("# Change request CHG0031337: "), "{cr}");
    let zh = std::fs::read_to_string(out.join("change-request.zh-CN.md")).unwrap();
    assert!(zh.starts_with("# 变更请求 CHG0031337：") && zh.contains("## 1. 摘要"), "{zh}");
    let result = std::fs::read_to_string(out.join("result.md")).unwrap();
    let digest = cr.split("**Plan digest `").nth(1).and_then(|r| r.split('`').next()).unwrap_or_default();
    assert!(
        result.contains("| Change | CHG0031337 |") && result.contains(&format!("| Plan | `{digest}` |")),
        "{result}"
    );
    assert!(result.contains("| Operators | ") && result.contains("## History"), "{result}");
    assert!(result.contains("started by ") && result.contains(": batch 1 of 3: 1 host"), "{result}");
    assert!(
        result.contains("## Next steps") && result.contains("--limit @"),
        "a failed host gets its retry command: {result}"
    );

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

    // The same rehearsal for a machine: JSON lines, the result marked simulated; without --out
    // its run folder is kept under rehearsals/ in the current folder.
    let rehearse = wsusfix()
        .args(["lab", "rehearse", "--format", "json"])
        .arg(out.join("plan.yaml"))
        .current_dir(dir.path())
        .output()
        .unwrap();
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
    let said = String::from_utf8_lossy(&rehearse.stderr).into_owned();
    assert!(said.contains("rehearsal: 11 of 11 twins"), "{said}");
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("rehearsals")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let run = kept[0].join("run");
    assert!(said.contains("run folder (kept, marked simulated): rehearsals/"), "{said}");
    let outcome: serde_json::Value = serde_json::from_slice(&std::fs::read(run.join("outcome.json")).unwrap()).unwrap();
    assert_eq!(outcome["simulated"], true);

    // Its result report says SIMULATED; the change request cites it as test evidence; a real
    // run cannot be cited as a rehearsal.
    let report = wsusfix().args(["report", "result"]).arg(&run).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(text.starts_with("# SIMULATED: rehearsal ") && text.contains("> **SIMULATED.**"), "{text}");
    let cr = wsusfix()
        .args(["report", "change-request"])
        .arg(out.join("plan.yaml"))
        .arg("--rehearsal")
        .arg(&run)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&cr.stdout);
    assert!(cr.status.success(), "{}", String::from_utf8_lossy(&cr.stderr));
    assert!(text.contains("The plan was rehearsed on 11 simulated twins"), "{text}");
    assert!(text.contains("**11 of 11 ended remediated or at a manual step** (11 remediated)"), "{text}");
    let real = wsusfix()
        .args(["report", "change-request"])
        .arg(out.join("plan.yaml"))
        .arg("--rehearsal")
        .arg(out.join("run"))
        .output()
        .unwrap();
    assert_eq!(real.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&real.stderr).contains("is not a rehearsal"),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
}
