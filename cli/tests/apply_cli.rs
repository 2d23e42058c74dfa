//! `wsusfix apply` as a user runs it, against a simulated fleet served over real SSH: a dry
//! run touches nothing, a pipe without --yes is refused, back-out wants its confirmation, and a
//! run killed with SIGKILL in its second batch is finished by `--resume` with no host
//! installed twice and a journal that tells the whole story.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wsusfix_core::advisory::Advisory;
use wsusfix_core::apply::journal::{Entry, Journal, JOURNAL_FILE};
use wsusfix_lab::{HostSpec, Lab, LabConfig, RunningLab};

fn wsusfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wsusfix"))
}

struct Setup {
    lab: RunningLab,
    dir: tempfile::TempDir,
    inventory: PathBuf,
    plan: PathBuf,
}

/// A lab, its inventory, and a plan made by `wsusfix plan` with the given serial.
fn setup(hosts: &[(&str, &str)], serial: &str) -> Setup {
    let specs = hosts.iter().map(|(n, p)| HostSpec::new(n, p).unwrap()).collect();
    let lab = Lab::start(LabConfig { hosts: specs, ..LabConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inventory = lab.write_artifacts(&dir.path().join("lab")).unwrap().inventory;
    let packages = dir.path().join("packages");
    std::fs::create_dir_all(&packages).unwrap();
    let advisory = Advisory::embedded();
    for name in [&advisory.package.x86, &advisory.package.x64, &advisory.reinstall.x86, &advisory.reinstall.x64] {
        std::fs::write(packages.join(name), format!("MZ simulated {name}\n")).unwrap();
    }
    let plan = dir.path().join("plan.yaml");
    let out = wsusfix()
        .args(["plan", "--no-progress", "--serial", serial, "--probe-timeout", "5"])
        .arg("-i")
        .arg(&inventory)
        .arg("--packages")
        .arg(&packages)
        .arg("-o")
        .arg(&plan)
        .output()
        .unwrap();
    assert!(out.status.success(), "plan: {}", String::from_utf8_lossy(&out.stderr));
    Setup { lab, dir, inventory, plan }
}

impl Setup {
    fn apply(&self, extra: &[&str]) -> Command {
        let mut cmd = wsusfix();
        cmd.arg("apply").arg("-i").arg(&self.inventory).args([
            "--no-progress",
            "--retry-delay",
            "0s",
            "--poll-interval",
            "1s",
        ]);
        cmd.args(extra).stdin(Stdio::null());
        cmd
    }

    fn installs(&self, host: &str) -> usize {
        let state = self.lab.host_state(host).unwrap().snapshot();
        let log = format!("{}\\WSUS3.0SP1-KB954960-x86.log", state.windir());
        state
            .fs
            .file(&log)
            .map(|f| String::from_utf8_lossy(&f.content.bytes()).matches("update applied").count())
            .unwrap_or(0)
    }
}

fn text(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn help_documents_reboot() {
    let out = wsusfix().args(["apply", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("--reboot"), "{stdout}");
    assert!(stdout.contains("shutdown /r /t 60"), "{stdout}");
    assert!(!stdout.contains("there is no --reboot"), "{stdout}");
    let out = wsusfix()
        .args(["apply", "plan.yaml", "-i", "inv.yaml", "--reboot", "--backout", "--limit", "w03"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"), "{}", text(&out));
}

#[test]
fn a_dry_run_runs_nothing_and_a_pipe_without_yes_is_refused() {
    let s = setup(&[("w03", "w2003-sp1-unpatched"), ("w08", "w2008-sp1-unpatched"), ("sp2", "w2003-sp2")], "1,100%");
    let before: Vec<_> = ["w03", "w08", "sp2"].iter().map(|h| s.lab.host_state(h).unwrap().snapshot()).collect();

    let out = s.apply(&["--dry-run"]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("w03  batch 1  route direct"), "{stdout}");
    assert!(stdout.contains("w08  batch 2  route system-task"), "{stdout}");
    assert!(
        stdout.contains(r#"install: "C:\Windows\Temp\wsusfix\WSUS3.0SP1-KB954960-x86.exe" /quiet /norestart"#),
        "{stdout}"
    );
    assert!(stdout.contains("schtasks /delete /tn wsusfix-kb954960 /f"), "{stdout}");
    assert!(!stdout.contains("shutdown /r"), "no restart without --reboot: {stdout}");

    let out = s.apply(&["--dry-run", "--reboot"]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            r#"if a restart is pending: reboot: shutdown /r /t 60 /c "wsusfix: KB954960 installed; restarting to finish""#
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("if a restart is pending: reboot-task-delete (cleanup, always runs): schtasks /delete /tn wsusfix-reboot /f"),
        "{stdout}"
    );

    let out = s.apply(&[]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to apply without --yes"), "{}", text(&out));

    let out = s.apply(&["--backout", "--limit", "w03"]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--confirm-backout w03"), "{}", text(&out));
    let out = s.apply(&["--backout", "--limit", "w03", "--confirm-backout", "w08"]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let after: Vec<_> = ["w03", "w08", "sp2"].iter().map(|h| s.lab.host_state(h).unwrap().snapshot()).collect();
    assert!(before == after, "the lab's state is unchanged");
}

#[test]
fn a_run_killed_in_its_second_batch_is_finished_by_resume() {
    let hosts = [
        ("a-canary", "w2003-sp1-unpatched"),
        ("b-slow", "slow"),
        ("c-slow", "slow"),
        ("d-patched", "w2008-sp1-patched"),
    ];
    let s = setup(&hosts, "1,100%");
    let run = s.dir.path().join("run");
    let mut child = s
        .apply(&["--yes", "--run-dir"])
        .arg(&run)
        .arg(&s.plan)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait for a host of the second batch to start, let it get into its steps, then kill.
    let journal = run.join(JOURNAL_FILE);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "no host-start in batch 2 within 30 s");
        let entries = Journal::read(&journal).unwrap_or_default();
        if entries.iter().any(|e| matches!(e, Entry::HostStart { batch: 2, .. })) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(2500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let killed = Journal::read(&journal).unwrap();
    assert!(!killed.iter().any(|e| matches!(e, Entry::RunEnd { .. })), "killed before the end");
    let in_flight = |host: &str| {
        killed.iter().any(|e| matches!(e, Entry::HostStart { host: h, .. } if h == host))
            && !killed.iter().any(|e| matches!(e, Entry::HostResult { result, .. } if result.host == host))
    };
    assert!(in_flight("b-slow") || in_flight("c-slow"), "killed in the middle of a host: {killed:#?}");

    let out = s.apply(&["--yes", "--resume"]).arg(&run).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("run folder: {}", run.display())), "{stdout}");

    for host in ["a-canary", "b-slow", "c-slow"] {
        assert_eq!(s.installs(host), 1, "{host} installed exactly once");
    }
    let entries = Journal::read(&journal).unwrap();
    assert!(matches!(entries.first(), Some(Entry::RunStart { .. })));
    assert_eq!(entries.iter().filter(|e| matches!(e, Entry::Resume { .. })).count(), 1);
    assert!(matches!(entries.last(), Some(Entry::RunEnd { .. })));
    for host in ["a-canary", "b-slow", "c-slow", "d-patched"] {
        let results: Vec<_> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::HostResult { result, .. } if result.host == host => Some(result.outcome.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(results.len(), 1, "{host}: one host-result, got {results:?}");
        let ok = ["remediated", "already-remediated", "not-needed"];
        assert!(ok.contains(&results[0]), "{host}: {results:?}");
    }
    let outcome: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("outcome.json")).unwrap()).unwrap();
    assert_eq!(outcome["hosts"].as_array().unwrap().len(), 4);
    assert_eq!(std::fs::read_to_string(run.join("failed-hosts")).unwrap(), "");

    // And once more from the same plan: nothing to do, and it says so.
    let out = s.apply(&["--yes", "--run-dir"]).arg(s.dir.path().join("run2")).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("nothing to do: no host needed a change, and none was changed"), "{stdout}");
    assert!(stdout.contains("already-remediated"), "{stdout}");
}

#[test]
fn ctrl_c_finishes_the_host_in_flight_and_leaves_a_consistent_run() {
    let hosts = [("a-canary", "w2003-sp1-unpatched"), ("b-slow", "slow"), ("c-slow", "slow"), ("d-slow", "slow")];
    let s = setup(&hosts, "1");
    let run = s.dir.path().join("run");
    let child = s
        .apply(&["--yes", "--run-dir"])
        .arg(&run)
        .arg(&s.plan)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let journal = run.join(JOURNAL_FILE);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !Journal::read(&journal).unwrap_or_default().iter().any(|e| matches!(e, Entry::HostStart { batch: 2, .. })) {
        assert!(Instant::now() < deadline, "no host-start in batch 2 within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));

    let entries = Journal::read(&journal).unwrap();
    let results: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::HostResult { result, .. } => Some(result.host.as_str()),
            _ => None,
        })
        .collect();
    assert!(results.contains(&"a-canary") && results.contains(&"b-slow"), "the host in flight finished: {results:?}");
    assert!(entries.iter().any(|e| matches!(e, Entry::RunEnd { .. })), "the journal is closed");
    assert!(run.join("outcome.json").is_file());
    assert_eq!(s.installs("d-slow"), 0, "no host started after Ctrl-C");
}

#[test]
fn a_tampered_plan_or_another_digest_is_refused_before_any_host_and_a_held_run_folder_too() {
    let s = setup(&[("w03", "w2003-sp1-unpatched")], "100%");
    let before = s.lab.host_state("w03").unwrap().snapshot();
    let plan_text = std::fs::read_to_string(&s.plan).unwrap();

    // The digest `plan` printed is the one `show` prints and `apply --expect-digest` checks.
    let show = wsusfix().arg("show").arg(&s.plan).output().unwrap();
    let shown = String::from_utf8_lossy(&show.stdout);
    let digest = shown.lines().find_map(|l| l.trim().strip_prefix("digest     ")).unwrap().split(' ').next().unwrap();
    assert!(shown.contains("integrity  every step re-makes"), "{shown}");
    let out = s.apply(&["--dry-run", "--expect-digest", digest]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let other = format!("sha256:{}", "0".repeat(64));
    let out = s.apply(&["--dry-run", "--expect-digest", &other]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the approved plan"), "{}", text(&out));

    // An install step edited by hand: refused by apply (dry run too), flagged by show.
    let install = r#""C:\Windows\Temp\wsusfix\WSUS3.0SP1-KB954960-x86.exe" /quiet /norestart"#;
    let tampered = plan_text.replacen(&format!("command: '{install}'"), "command: echo TAMPERED", 1);
    assert_ne!(tampered, plan_text);
    let path = s.dir.path().join("tampered.yaml");
    std::fs::write(&path, tampered).unwrap();
    for extra in [&["--dry-run"][..], &["--yes"][..]] {
        let out = s.apply(extra).arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("host w03, step install") && err.contains("echo TAMPERED") && err.contains(install),
            "{err}"
        );
    }
    let show = wsusfix().arg("show").arg(&path).output().unwrap();
    assert!(String::from_utf8_lossy(&show.stdout).contains("INTEGRITY  CHANGED"), "{}", text(&show));

    // A run folder another process holds is refused, naming the holder.
    let run = s.dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let mut holder = std::process::Command::new("flock")
        .arg(run.join("lock"))
        .args(["sleep", "30"])
        .spawn()
        .expect("util-linux flock");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = s.apply(&["--yes", "--run-dir"]).arg(&run).arg(&s.plan).output().unwrap();
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is in use by"), "{}", text(&out));
    assert!(s.lab.host_state("w03").unwrap().snapshot() == before, "no host was touched");
}

#[test]
fn one_server_under_two_inventory_names_is_planned_and_applied_once_unless_allowed() {
    let s = setup(&[("w03", "w2003-sp1-unpatched")], "100%");
    // A second name for the same server: the same address and port.
    let original = std::fs::read_to_string(&s.inventory).unwrap();
    let entry = original.split("    w03:\n").nth(1).unwrap();
    let vars: String = entry.lines().take_while(|l| l.starts_with("      ")).map(|l| format!("{l}\n")).collect();
    let aliased = s.dir.path().join("aliased.yaml");
    std::fs::write(&aliased, original.replacen("    w03:\n", &format!("    wsus03.corp:\n{vars}    w03:\n"), 1))
        .unwrap();
    let packages = s.dir.path().join("packages");
    let plan = |extra: &[&str], out: &str| {
        wsusfix()
            .args(["plan", "--no-progress", "--probe-timeout", "5", "-i"])
            .arg(&aliased)
            .arg("--packages")
            .arg(&packages)
            .arg("-o")
            .arg(s.dir.path().join(out))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = plan(&[], "refused.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("w03, wsus03.corp are one server (all reached at 127.0.0.1:"), "{err}");
    let out = plan(&["--allow-aliases"], "aliased-plan.yaml");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = wsusfix()
        .args(["apply", "--dry-run", "-i"])
        .arg(&aliased)
        .arg(s.dir.path().join("aliased-plan.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("are one server"), "{}", text(&out));
}

/// A disk that fills in the middle of a run: the hosts' work goes on, the journal cannot keep
/// up. The table still prints from memory, the exit status is the full disk's own (6) and names
/// it, `outcome.json` is whole or absent (never torn), and once there is room again the run
/// resumes from what its journal kept without installing anything twice.
#[test]
fn a_disk_that_fills_during_apply_still_prints_the_result_and_the_run_resumes() {
    let names: Vec<String> = (1..=6).map(|i| format!("w{i:02}")).collect();
    let hosts: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "w2003-sp1-unpatched")).collect();
    let s = setup(&hosts, "100%");
    let disk = s.dir.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    // A small tmpfs of its own, in a private mount namespace: room for the plan's copy and the
    // first entries of the journal, not for the whole run.
    let fits = Command::new("unshare")
        .args(["-rm", "sh", "-c", r#"mount -t tmpfs -o size=4k tmpfs "$0""#])
        .arg(&disk)
        .output();
    if !fits.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: this machine cannot mount a tmpfs in a private namespace (unshare -rm): {fits:?}");
        return;
    }
    let page = 4096;
    let plan_len = std::fs::metadata(&s.plan).unwrap().len() as usize;
    let size = (plan_len / page + 1) * page + 2 * page;
    let kept = s.dir.path().join("kept");
    let mut apply = s.apply(&["--yes", "--run-dir"]);
    apply.arg(disk.join("run")).arg(&s.plan);
    // The tmpfs goes with the namespace: the run folder is copied out before it does.
    let script = r#"mount -t tmpfs -o size="$0" tmpfs "$1" || exit 99
        kept="$2"; disk="$1"; shift 2
        "$@"; rc=$?
        cp -a "$disk/run" "$kept"
        exit $rc"#;
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", script])
        .arg(size.to_string())
        .arg(&disk)
        .arg(&kept)
        .arg(apply.get_program())
        .args(apply.get_args())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(stderr.contains("disk is full") && stderr.contains("the printed result is the only record"), "{stderr}");
    for name in &names {
        assert_eq!(s.installs(name), 1, "{name} installed once: {}", text(&out));
        assert!(stdout.lines().any(|l| l.contains(name.as_str()) && l.contains("remediated")), "{name}: {stdout}");
    }
    let journal_len = std::fs::metadata(kept.join(JOURNAL_FILE)).unwrap().len();
    assert!(journal_len > 0, "the journal kept what fitted");
    match std::fs::read(kept.join("outcome.json")) {
        Ok(bytes) => {
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("outcome.json is whole JSON");
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
    }

    // Room again: the run resumes from its journal; nothing is installed twice.
    let out = s.apply(&["--yes", "--resume"]).arg(&kept).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for name in &names {
        assert_eq!(s.installs(name), 1, "{name} installed once after the resume: {}", text(&out));
    }
    let outcome: serde_json::Value =
        serde_json::from_slice(&std::fs::read(kept.join("outcome.json")).unwrap()).expect("outcome.json");
    assert!(outcome.to_string().contains("remediated"), "{outcome}");
}

/// Hosts `--limit` leaves out are one line under the table, not a row each, and untouched.
#[test]
fn hosts_left_out_by_limit_are_summed_up_in_one_line() {
    let s = setup(
        &[("w03a", "w2003-sp1-unpatched"), ("w03b", "w2003-sp1-unpatched"), ("w03c", "w2003-sp1-unpatched")],
        "100%",
    );
    let run = s.dir.path().join("run");
    let out = s.apply(&["--yes", "--limit", "w03a", "--run-dir"]).arg(&run).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 planned hosts not selected by --limit: w03b, w03c\n"), "{stdout}");
    assert!(!stdout.lines().any(|l| l.starts_with("w03b") || l.starts_with("w03c")), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("w03a") && l.contains("remediated")), "{stdout}");
    assert_eq!((s.installs("w03a"), s.installs("w03b"), s.installs("w03c")), (1, 0, 0));
    // On a pipe, standard error tells the run as it goes, a line per event.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in ["batch 1/1: 1 hosts\n", "w03a: working\n", "w03a: install ok (exit 0, ", "w03a: remediated ("] {
        assert!(stderr.contains(line), "{line:?} in:\n{stderr}");
    }
}

/// `--format json`: standard output is JSON lines only, a version line first, an object per
/// event as it happens, and the result last, with the outcome and the exit status.
#[test]
fn apply_format_json_streams_one_object_per_event_and_the_result_last() {
    let s = setup(&[("w03", "w2003-sp1-unpatched"), ("w08", "w2008-sp1-unpatched")], "1,100%");
    let parse = |out: &Output| -> Vec<serde_json::Value> {
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    };
    let out = s.apply(&["--dry-run", "--format", "json"]).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = parse(&out);
    assert_eq!(lines[0]["type"], "version");
    assert_eq!(lines[0]["format_version"], 1);
    assert!(lines[0]["tool"].as_str().unwrap().starts_with("wsusfix "));
    let planned: Vec<&serde_json::Value> = lines.iter().filter(|l| l["type"] == "planned_host").collect();
    assert_eq!(planned.len(), 2, "{lines:?}");
    assert!(planned.iter().all(|h| h["commands"].as_array().is_some_and(|c| !c.is_empty())), "{planned:?}");

    let run = s.dir.path().join("run");
    let out = s.apply(&["--yes", "--format", "json", "--run-dir"]).arg(&run).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = parse(&out);
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"version"));
    assert_eq!(kinds.last(), Some(&"result"));
    assert_eq!(kinds.iter().filter(|k| **k == "batch_started").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "host_done").count(), 2, "{kinds:?}");
    assert!(lines.iter().all(|l| l["@timestamp"].as_str().is_some_and(|t| t.ends_with('Z'))), "{lines:?}");
    let install = lines.iter().find(|l| l["type"] == "step_done" && l["host"] == "w03" && l["step"] == "install");
    let install = install.unwrap_or_else(|| panic!("no step_done for w03's install: {kinds:?}"));
    assert_eq!((install["judged"].as_str(), install["exit_code"].as_i64()), (Some("ok"), Some(0)), "{install}");
    // Each step says it is under way before it ends: what a host in flight waits on.
    let position =
        |kind: &str| lines.iter().position(|l| l["type"] == kind && l["host"] == "w03" && l["step"] == "install");
    let (started, ended) = (position("step_progress"), position("step_done"));
    assert!(started.is_some_and(|s| Some(s) < ended), "{kinds:?}");
    assert_eq!(lines[started.unwrap_or_default()]["doing"], "running");
    let done = lines.iter().find(|l| l["type"] == "host_done" && l["host"] == "w03").unwrap();
    assert_eq!(done["outcome"], "remediated", "{done}");
    let result = lines.last().unwrap();
    assert_eq!(result["exit_code"], 0);
    assert_eq!(result["run_folder"], run.display().to_string());
    let hosts = result["outcome"]["hosts"].as_array().unwrap();
    assert!(hosts.iter().all(|h| h["outcome"] == "remediated"), "{result}");
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(run.join("outcome.json")).unwrap()).unwrap();
    assert_eq!(written["about"]["format_version"], 1, "outcome.json says what it is: {}", written["about"]);
    assert!(written["about"]["tool"].as_str().unwrap().starts_with("wsusfix "));
}

/// `plan --format json`: the live scan's hosts as they are judged, each planned host, and the
/// plan file with its digest last.
#[test]
fn plan_format_json_streams_the_scan_and_names_the_plan_and_its_digest() {
    let s = setup(&[("w03", "w2003-sp1-unpatched"), ("w08p", "w2008-sp1-patched")], "100%");
    let plan = s.dir.path().join("again.yaml");
    let out = wsusfix()
        .args(["plan", "--no-progress", "--format", "json", "-i"])
        .arg(&s.inventory)
        .arg("--packages")
        .arg(s.dir.path().join("packages"))
        .arg("-o")
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["version", "host_judged", "host_judged", "planned_host", "planned_host", "result"], "{lines:?}");
    let judged = lines.iter().find(|l| l["type"] == "host_judged" && l["host"] == "w08p").unwrap();
    assert_eq!(judged["verdict"], "remediated", "{judged}");
    let planned = lines.iter().find(|l| l["type"] == "planned_host" && l["host"] == "w03").unwrap();
    assert!(planned["steps"].as_u64().is_some_and(|n| n > 0), "{planned}");
    let result = lines.last().unwrap();
    assert_eq!(result["plan"], plan.display().to_string());
    let digest = result["digest"].as_str().unwrap();
    let shown = wsusfix().arg("show").arg(&plan).output().unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains(&digest["sha256:".len()..]), "{digest}");
}

/// A host whose installer fails shows the installer log's last lines under the table and in
/// outcome.json, and the result report carries them: nobody has to dig in the journal.
#[test]
fn a_failed_installers_log_tail_is_in_the_table_the_outcome_and_the_report() {
    let s = setup(&[("bad", "install-fails")], "100%");
    let run = s.dir.path().join("run");
    let out = s.apply(&["--yes", "--run-dir"]).arg(&run).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tail = "KB954960: fatal error during installation (exit code 1603)";
    assert!(stdout.contains("bad: the failing step's log, last lines:") && stdout.contains(tail), "{stdout}");
    let outcome: serde_json::Value = serde_json::from_slice(&std::fs::read(run.join("outcome.json")).unwrap()).unwrap();
    let log = outcome["hosts"][0]["failure_log"].as_array().unwrap();
    assert!(log.iter().any(|l| l.as_str().unwrap().contains(tail)), "{outcome}");
    let report = wsusfix().args(["report", "result"]).arg(&run).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("The failing step's log, last lines:") && report.contains(tail), "{report}");
}

fn journal_of(run: &std::path::Path) -> Vec<Entry> {
    Journal::read(&run.join(JOURNAL_FILE)).unwrap()
}

fn outcome_json(run: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("outcome.json")).unwrap()).unwrap()
}

fn host_json<'a>(outcome: &'a serde_json::Value, host: &str) -> &'a serde_json::Value {
    outcome["hosts"].as_array().unwrap().iter().find(|h| h["host"] == host).unwrap()
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn reboot_only_runs_the_planned_restart_later_and_only_where_one_is_still_pending() {
    let hosts = [
        ("w03", "w2003-sp1-unpatched"),
        ("w08", "w2008-sp1-unpatched"),
        ("clean", "w2003-sp1-unpatched"),
        ("later", "w2003-sp1-unpatched"),
    ];
    let s = setup(&hosts, "100%");
    for host in ["w03", "w08"] {
        s.lab.host_state(host).unwrap().with(|h| h.installer.reboot_required = true);
    }
    // The fix, without --reboot: the installers' 3010 leaves a restart pending, recorded.
    let out = s
        .apply(&["--yes", "--limit", "!later", "--run-dir"])
        .arg(s.dir.path().join("fix"))
        .arg(&s.plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout_of(&out).contains("[reboot pending]"), "{}", text(&out));

    // A scan says so: the registry's record, a warning, the fact in the JSON.
    let out = wsusfix().args(["scan", "--no-progress", "--format", "json", "-i"]).arg(&s.inventory).output().unwrap();
    let scan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w03 = scan["hosts"].as_array().unwrap().iter().find(|h| h["host"] == "w03").unwrap();
    assert_eq!(w03["verdict"], "remediated");
    assert_eq!(w03["facts"]["reboot_pending"]["sources"], serde_json::json!(["pending-file-rename-operations"]));
    assert!(w03["warnings"].to_string().contains("a restart is pending (PendingFileRenameOperations)"), "{w03}");
    let clean = scan["hosts"].as_array().unwrap().iter().find(|h| h["host"] == "clean").unwrap();
    assert!(clean["facts"].get("reboot_pending").is_none(), "{clean}");

    // --reboot on a host fixed earlier runs nothing, and names the command that closes the loop.
    let out = s
        .apply(&["--yes", "--reboot", "--limit", "w03", "--run-dir"])
        .arg(s.dir.path().join("reboot"))
        .arg(&s.plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout_of(&out).contains("apply --reboot-only runs the plan's restart"), "{}", text(&out));
    assert_eq!(s.lab.host_state("w03").unwrap().snapshot().restarts(), 0);

    // --reboot-only: the planned restart on the fixed hosts still pending; the others skipped.
    let run = s.dir.path().join("reboot-only");
    let out = s.apply(&["--yes", "--reboot-only", "--run-dir"]).arg(&run).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = stdout_of(&out);
    for expected in [
        "already fixed (DLL 3.1.6001.66); a restart is pending (PendingFileRenameOperations): reboot scheduled",
        "--reboot-only: no restart pending",
        "--reboot-only: not fixed (affected",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    for host in ["w03", "w08"] {
        assert_eq!(s.lab.host_state(host).unwrap().snapshot().restarts(), 1, "{host} restarted once");
    }
    for host in ["clean", "later"] {
        assert_eq!(s.lab.host_state(host).unwrap().snapshot().restarts(), 0, "{host} left alone");
    }
    let outcome = outcome_json(&run);
    let w03 = host_json(&outcome, "w03");
    assert_eq!((w03["outcome"].as_str(), w03["reboot_scheduled"].as_bool()), (Some("already-remediated"), Some(true)));
    assert_eq!(host_json(&outcome, "clean")["outcome"], "skipped");
    let entries = journal_of(&run);
    assert!(matches!(&entries[0], Entry::RunStart { options, .. } if options.reboot_only));
    let steps: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Step(step) if step.host == "w08" => Some(step.step.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        [
            "re-probe",
            "claim-host",
            "reboot-task-create",
            "reboot-task-run",
            "reboot-task-wait",
            "reboot-task-delete",
            "release-host"
        ],
        "nothing but the plan's restart, as SYSTEM on a filtered session"
    );
    assert_eq!(s.installs("w03"), 1, "nothing installed again");

    // Once the restart has happened, a second --reboot-only finds nothing pending.
    for host in ["w03", "w08"] {
        s.lab.host_state(host).unwrap().with(|h| h.clock += 600);
    }
    let again = s.dir.path().join("reboot-only-again");
    let out = s
        .apply(&["--yes", "--reboot-only", "--limit", "w03,w08", "--run-dir"])
        .arg(&again)
        .arg(&s.plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout_of(&out).matches("--reboot-only: no restart pending").count(), 2, "{}", text(&out));
    assert_eq!(s.lab.host_state("w03").unwrap().snapshot().restarts(), 1);
}

#[test]
fn a_manual_step_acknowledged_is_journaled_and_no_run_exits_4_for_it_again() {
    let s = setup(&[("rtm", "w2003-rtm"), ("w03", "w2003-sp1-unpatched")], "100%");
    let runs = s.dir.path().join("runs");
    let first = runs.join("20261202T100000Z");
    let out = s.apply(&["--yes", "--run-dir"]).arg(&first).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "the RTM server waits for its manual step: {}", text(&out));
    assert_eq!(host_json(&outcome_json(&first), "rtm")["outcome"], "manual-action");

    // Refusals change nothing: a host without a manual step, a note with a control character.
    let out = s.apply(&["--yes", "--ack-manual", "w03", "--note", "done", "--resume"]).arg(&first).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("--ack-manual w03: the plan gives w03 no manual step (route direct)"),
        "{}",
        text(&out)
    );
    let out =
        s.apply(&["--yes", "--ack-manual", "rtm", "--note", "done\u{1b}[2J", "--resume"]).arg(&first).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--note holds a control character"), "{}", text(&out));
    let out = s
        .apply(&["--yes", "--ack-manual", "rtm", "--note", &"x".repeat(501), "--resume"])
        .arg(&first)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!journal_of(&first).iter().any(|e| matches!(e, Entry::ManualAck { .. })));

    // The acknowledgement: who, when, the note, in the journal and outcome.json; exit 0.
    let note = "Office 2003 SP1 declined, approved, declined in the console; wuauclt /detectnow clean";
    let out = s
        .apply(&["--yes", "--ack-manual", "rtm", "--note", note, "--by", "alice", "--resume"])
        .arg(&first)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("rtm: manual step rtm-workaround done by alice at "), "{}", text(&out));
    let ack = journal_of(&first)
        .into_iter()
        .find_map(|e| match e {
            Entry::ManualAck { version, host, step, by, note, from_run, .. } => {
                Some((version, host, step, by, note, from_run))
            }
            _ => None,
        })
        .expect("a manual-ack entry");
    assert_eq!(ack, (1, "rtm".into(), "rtm-workaround".into(), "alice".into(), note.into(), None));
    let rtm = host_json(&outcome_json(&first), "rtm").clone();
    assert_eq!(rtm["outcome"], "manual-action", "the person's word, not a proven fix");
    assert_eq!((rtm["manual_ack"]["by"].as_str(), rtm["manual_ack"]["note"].as_str()), (Some("alice"), Some(note)));
    assert!(!std::fs::read_to_string(first.join("failed-hosts")).unwrap().contains("rtm"));

    // A later run of the same plan takes it over from the earlier run, and says so. The run id is
    // the time the first run started, whatever its folder is called.
    let first_id = journal_of(&first)
        .into_iter()
        .find_map(|e| match e {
            Entry::RunStart { run_id, .. } => Some(run_id),
            _ => None,
        })
        .expect("a run-start entry");
    let later = runs.join("20261202T110000Z");
    let out = s.apply(&["--yes", "--run-dir"]).arg(&later).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(&format!("(recorded by run {first_id})")), "{}", text(&out));
    let rtm = host_json(&outcome_json(&later), "rtm").clone();
    assert_eq!(rtm["manual_ack"]["by"], "alice");
    assert_eq!(rtm["manual_ack"]["from_run"].as_str(), Some(first_id.as_str()), "{rtm}");
    assert!(journal_of(&later).iter().any(|e| matches!(e, Entry::ManualAck { host, .. } if host == "rtm")));
}

#[test]
fn a_max_fail_stop_says_how_to_go_on_and_the_printed_command_does() {
    let hosts = [
        ("a-broken", "install-fails"),
        ("b-ok", "w2003-sp1-unpatched"),
        ("c-ok", "w2003-sp1-unpatched"),
        ("d-gone", "unreachable"),
    ];
    let s = setup(&hosts, "1,100%");
    let run = s.dir.path().join("run");
    let out = s.apply(&["--yes", "--run-dir"]).arg(&run).arg(&s.plan).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let stdout = stdout_of(&out);
    let inventory = s.inventory.display().to_string();
    let without =
        format!("wsusfix apply --resume {} -i {inventory} --limit '!@{}/failures' --yes", run.display(), run.display());
    let raised = format!("wsusfix apply --resume {} -i {inventory} --max-fail-percent 100 --yes", run.display());
    assert!(stdout.contains("stopped by max-fail-percent: 1 of 1 hosts failed, more than 0%"), "{stdout}");
    assert!(stdout.contains("To go on without the 1 failed hosts"), "{stdout}");
    assert!(stdout.contains(&format!("\n  {without}\n")), "{stdout}");
    assert!(
        stdout.contains("Or, knowingly, to raise the threshold from 0% to 100%") && stdout.contains(&raised),
        "{stdout}"
    );
    // The retry file lists the failed, the never run and the unreachable, as Ansible's does;
    // `failures` only those that failed.
    assert_eq!(std::fs::read_to_string(run.join("failed-hosts")).unwrap(), "a-broken\nb-ok\nc-ok\nd-gone\n");
    assert_eq!(std::fs::read_to_string(run.join("failures")).unwrap(), "a-broken\n");

    // Resumed unchanged, it stops again, and says so before and after.
    let out = s.apply(&["--yes", "--resume"]).arg(&run).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("resumed unchanged it stops again"), "{}", text(&out));
    assert!(stdout_of(&out).contains(&without), "{}", text(&out));
    let json = s.apply(&["--yes", "--format", "json", "--resume"]).arg(&run).output().unwrap();
    let last = String::from_utf8_lossy(&json.stdout).lines().last().unwrap().to_string();
    assert!(last.contains("\"next_steps\"") && last.contains("--max-fail-percent 100"), "{last}");

    // The printed command, as printed, goes on without the failed host.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_wsusfix")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{without} --no-progress --retry-delay 0s"))
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "the failed host stays failed: {}", text(&out));
    let outcome = outcome_json(&run);
    for host in ["b-ok", "c-ok"] {
        assert_eq!(host_json(&outcome, host)["outcome"], "remediated", "{}", text(&out));
    }
    assert_eq!(host_json(&outcome, "a-broken")["outcome"], "failed");
    assert_eq!(s.installs("a-broken"), 0);
}
