//! `wsusfix show` and `wsusfix report` as a user runs them, on the golden plan of every kind of
//! host (`core/tests/data/plan/every-kind.plan.yaml`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn wsusfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wsusfix"))
}

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data").join(path)
}

fn plan() -> PathBuf {
    data("plan/every-kind.plan.yaml")
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } = cmd.output().unwrap();
    (status.code(), String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}

#[test]
fn show_reviews_the_whole_plan() {
    let (code, out, err) = run(wsusfix().arg("show").arg(plan()));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("advisory   KB954960 (definition 1): fixed when the client web service DLL is 3.1.6001.66"),
        "{out}"
    );
    assert!(out.contains("serial 1, 10%, 100% (batches of 1, 1, 1 for 3 hosts to change)"), "{out}");
    assert!(
        out.contains("update-x86     tests/data/packages/WSUS3.0SP1-KB954960-x86.exe (67 bytes) sha256 bc843fbe"),
        "{out}"
    );
    assert!(out.contains("Summary: 12 hosts, 3 to change"), "{out}");
    assert!(out.contains("Windows Server 2003 x86: 6 hosts"), "{out}");
    assert!(
        out.contains("== w2008-sp1-unpatched-x64-filtered ==\n  verdict      affected\n  route        system-task"),
        "{out}"
    );
    assert!(out.contains("back-out: run only with --backout"), "{out}");
    assert!(!out.contains('\u{1b}'), "no terminal escape reaches the terminal");
}

#[test]
fn show_one_host_with_its_commands_and_backout_apart() {
    let (code, out, err) = run(wsusfix().arg("show").arg(plan()).args(["--host", "w2003-sp1-unpatched"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains("Summary:") && !out.contains("== w2003-rtm =="), "{out}");
    assert!(out.contains("fingerprint  sha256:"), "{out}");
    assert!(out.contains("     6. install: Install KB954960\n        run     \"C:\\Windows\\Temp\\wsusfix\\WSUS3.0SP1-KB954960-x86.exe\" /quiet /norestart"), "{out}");
    let (steps, backout) = out.split_once("back-out: run only with --backout").unwrap();
    assert!(!steps.contains("uninstall-wsus") && backout.contains("uninstall-wsus"), "{out}");
    let (steps, reboot) =
        steps.split_once("reboot: run only with --reboot when the installer asks for a restart").unwrap();
    assert!(!steps.contains("shutdown /r") && !backout.contains("shutdown /r"), "{out}");
    assert!(
        reboot.contains("1. reboot: Restart to finish the update\n        run     shutdown /r /t 60 /c \"wsusfix: KB954960 installed; restarting to finish\""),
        "{out}"
    );

    let (code, out, _) =
        run(wsusfix().arg("show").arg(plan()).args(["--host", "w2003-sp1-unpatched", "--format", "json"]));
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["hosts"][0]["route"], "direct");
    assert_eq!(json["summary"]["total"], 12);
    assert_eq!(json["about"]["format_version"], 1, "{}", json["about"]);
}

#[test]
fn show_and_the_change_request_say_which_tool_backs_susdb_up_and_where_none_does() {
    let plan = data("plan/sql-tools.plan.yaml");
    let (code, out, err) = run(wsusfix().arg("show").arg(&plan).args(["--host", "v4-w2003-sqlcmd"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("SUSDB backup sqlcmd (C:\\Program Files\\Microsoft SQL Server\\90\\Tools\\Binn\\SQLCMD.EXE)"),
        "{out}"
    );
    assert!(out.contains("backup-susdb: Back up SUSDB before the install"), "{out}");
    assert!(!out.contains("  note "), "{out}");
    let (code, out, err) = run(wsusfix().arg("show").arg(&plan).args(["--host", "v4-w2008-no-sql-tool"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("SUSDB backup none found (no sqlcmd or osql)"), "{out}");
    assert!(
        out.contains("  note         no sqlcmd or osql on the host: SUSDB is not backed up by the plan; back it up by other means before the window"),
        "{out}"
    );
    assert!(!out.contains("backup-susdb"), "{out}");
    let (code, out, err) = run(wsusfix().args(["report", "change-request"]).arg(&plan));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("- **v4-w2008-no-sql-tool**: no sqlcmd or osql on the host: SUSDB is not backed up by the plan"),
        "{out}"
    );
}

#[test]
fn show_an_unknown_host_names_some_known_ones() {
    let (code, _, err) = run(wsusfix().arg("show").arg(plan()).args(["--host", "w2003"]));
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: host \"w2003\" is not in the plan "), "{err}");
    assert!(
        err.contains("it has w2003-no-wsus, w2003-rtm, w2003-sp1-unpatched, w2003-sp2,") && err.contains("and 7 more"),
        "{err}"
    );
}

#[test]
fn report_change_request_in_markdown_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("cr.md");
    let (code, _, err) = run(wsusfix().args(["report", "change-request"]).arg(plan()).arg("-o").arg(&md));
    assert_eq!(code, Some(0), "{err}");
    let golden = std::fs::read_to_string(data("report/change-request.md.golden")).unwrap();
    let written = std::fs::read_to_string(&md).unwrap();
    assert!(written == golden, "the CLI must write the golden document (re-bless with WSUSFIX_BLESS=1 cargo test -p wsusfix-core --test report_golden)");

    let (code, html, err) = run(wsusfix().args(["report", "change-request", "--format", "html"]).arg(plan()));
    assert_eq!(code, Some(0), "{err}");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<h2>6. Back-out</h2>"), "{html}");
}

/// `--lang zh-CN` writes the same document in Simplified Chinese (the golden file of
/// `report_golden.rs`); an unknown language is a usage error naming the known ones.
#[test]
fn report_change_request_in_chinese_and_an_unknown_language_refused() {
    let (code, html, err) =
        run(wsusfix().args(["report", "change-request"]).arg(plan()).args(["--lang", "zh-CN", "--format", "html"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"), "{html}");
    assert!(html.contains("<title>变更请求：在 3 台 WSUS 服务器上安装 KB954960 修复</title>"), "{html}");
    for heading in ["<h2>1. 摘要</h2>", "<h2>4. 风险</h2>", "<h2>6. 回退</h2>", "<h2>8. 审批</h2>"] {
        assert!(html.contains(heading), "{heading} missing");
    }
    assert!(!html.contains("<h2>1. Summary</h2>"), "no English heading");
    let golden = std::fs::read_to_string(data("report/change-request.zh-CN.html.golden")).unwrap();
    assert!(html == golden, "the CLI writes the golden document");

    let (code, out, err) = run(wsusfix().args(["report", "change-request"]).arg(plan()).args(["--lang", "xx"]));
    assert_eq!(code, Some(1), "a usage error: {err}");
    assert!(out.is_empty(), "nothing written: {out}");
    assert!(err.contains("unknown language `xx`") && err.contains("en, zh-CN"), "{err}");
}

/// An organisation's own catalogue (`--template-dir DIR` with `docs/messages/zh-CN.yaml`)
/// changes the words; one that lacks a message is refused, naming the file and the message.
#[test]
fn an_organisations_catalogue_is_used_and_an_incomplete_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/messages")).unwrap();
    let ours = dir.path().join("docs/messages/zh-CN.yaml");
    let text = std::fs::read_to_string(data("../../../templates/docs/messages/zh-CN.yaml")).unwrap();
    std::fs::write(&ours, text.replace("heading: \"4. 风险\"", "heading: \"4. 风险评估\"")).unwrap();
    let (code, md, err) = run(wsusfix()
        .args(["report", "change-request", "--lang", "zh-CN"])
        .arg(plan())
        .arg("--template-dir")
        .arg(dir.path()));
    assert_eq!(code, Some(0), "{err}");
    assert!(md.contains("## 4. 风险评估"), "{md}");

    std::fs::write(&ours, text.replace("  twin: ", "  twins: ")).unwrap();
    let (code, _, err) = run(wsusfix()
        .args(["report", "change-request", "--lang", "zh-CN"])
        .arg(plan())
        .arg("--template-dir")
        .arg(dir.path()));
    assert_eq!(code, Some(1));
    assert!(err.contains("zh-CN.yaml") && err.contains("change_request.evidence.twin is missing"), "{err}");
}

/// The change metadata travels in the plan (`plan --meta`), where the digest binds it, and the
/// change request shows it; metadata given to `report` for a plan without any is shown as not
/// bound; a plan edited after it was made gets no change request at all.
#[test]
fn change_metadata_is_bound_by_the_plan_and_a_tampered_plan_gets_no_change_request() {
    let dir = tempfile::tempdir().unwrap();
    let meta = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../inventory/change.example.yaml");
    let scan = dir.path().join("scan.json");
    let probes = ["w2003-sp1-unpatched", "w2008-sp1-unpatched-x64-filtered"].map(|n| data(&format!("probe/{n}.txt")));
    let (_, json, _) = run(wsusfix().args(["assess", "--format", "json"]).args(&probes));
    std::fs::write(&scan, json).unwrap();
    let planned = dir.path().join("plan.yaml");
    let (code, _, err) = run(wsusfix()
        .args(["plan", "--from-scan"])
        .arg(&scan)
        .arg("--packages")
        .arg(data("packages"))
        .arg("--meta")
        .arg(&meta)
        .arg("-o")
        .arg(&planned));
    assert_eq!(code, Some(0), "{err}");
    let digest = err
        .lines()
        .find_map(|l| l.strip_prefix("digest "))
        .unwrap_or_default()
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(digest.starts_with("sha256:"), "{err}");
    let (code, doc, err) = run(wsusfix().args(["report", "change-request"]).arg(&planned));
    assert_eq!(code, Some(0), "{err}");
    assert!(doc.starts_with("# Change request CHG0031337: KB954960 fix on 2 WSUS servers"), "{doc}");
    assert!(
        doc.contains(&format!("`wsusfix apply --expect-digest {digest}`")),
        "the printed digest is the document's: {doc}"
    );
    assert!(!doc.contains("To complete") && !doc.contains("not bind"), "{doc}");

    // The plan's own metadata cannot be swapped at report time.
    let (code, _, err) = run(wsusfix().args(["report", "change-request", "--meta"]).arg(&meta).arg(&planned));
    assert_eq!(code, Some(1));
    assert!(err.contains("carries its change metadata, bound by its digest"), "{err}");

    // A plan without metadata: the document takes it from --meta, and says it is not bound.
    let (code, doc, err) = run(wsusfix().args(["report", "change-request", "--meta"]).arg(&meta).arg(plan()));
    assert_eq!(code, Some(0), "{err}");
    assert!(doc.contains("come from `change.example.yaml`, given to `wsusfix report`"), "{doc}");

    // One command changed by hand: refused, naming the host and step.
    let text = std::fs::read_to_string(&planned).unwrap();
    let tampered = dir.path().join("tampered.yaml");
    std::fs::write(&tampered, text.replacen("/quiet /norestart", "/quiet /norestart & del C:\\x", 1)).unwrap();
    let cr = dir.path().join("cr.md");
    let (code, _, err) = run(wsusfix().args(["report", "change-request"]).arg(&tampered).arg("-o").arg(&cr));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("fails its integrity check") && err.contains("the plan was changed after it was made"),
        "{err}"
    );
    assert!(!cr.exists(), "nothing is written");
}

#[test]
fn report_scan_and_result_from_their_json() {
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("scan.json");
    let probes = ["w2003-sp1-unpatched", "w2003-rtm", "garbage"].map(|n| data(&format!("probe/{n}.txt")));
    let (_, json, _) = run(wsusfix().args(["assess", "--format", "json"]).args(&probes));
    std::fs::write(&scan, json).unwrap();
    let (code, out, err) = run(wsusfix().args(["report", "scan"]).arg(&scan));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("# Scan report: KB954960 on 3 hosts") && out.contains("| w2003-rtm | affected-rtm |"),
        "{out}"
    );

    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    std::fs::copy(data("report/run.outcome.json"), run_dir.join("outcome.json")).unwrap();
    let (code, out, err) = run(wsusfix().args(["report", "result", "--format", "html"]).arg(&run_dir));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Not proven:"), "{out}");

    let (code, _, err) = run(wsusfix().args(["report", "scan"]).arg(plan()));
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a scan report (wsusfix scan --format json): line 1"), "{err}");
}

/// Sites scanned from their own control machines, then a rescan of the host one site could not
/// read: one report, each host once, the rescan's result kept and the overlap named.
#[test]
fn report_scan_combines_several_scans_and_names_the_hosts_they_share() {
    let dir = tempfile::tempdir().unwrap();
    let assess = |name: &str, probes: &[PathBuf]| -> PathBuf {
        let (code, json, err) = run(wsusfix().args(["assess", "--format", "json"]).args(probes));
        assert!(matches!(code, Some(0 | 2 | 3)), "{err}");
        let path = dir.path().join(name);
        std::fs::write(&path, json).unwrap();
        path
    };
    let east = assess("east.json", &[data("probe/w2003-sp1-unpatched.txt"), data("probe/garbage.txt")]);
    let west = assess("west.json", &[data("probe/w2008-sp1-patched.txt")]);
    // The rescan reads the host `garbage` whole this time.
    let again = dir.path().join("again");
    std::fs::create_dir(&again).unwrap();
    std::fs::copy(data("probe/w2003-sp2.txt"), again.join("garbage.txt")).unwrap();
    let rescan = assess("rescan.json", &[again.join("garbage.txt")]);

    let (code, out, err) = run(wsusfix().args(["report", "scan"]).args([&east, &west, &rescan]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("# Scan report: KB954960 on 3 hosts"), "{out}");
    assert!(!out.contains("| unknown |"), "the rescan's result replaced the unreadable one: {out}");
    assert!(
        err.contains("warning: host garbage is in")
            && err.contains("east.json")
            && err.contains("the result from")
            && err.contains("rescan.json is kept"),
        "{err}"
    );

    let (code, _, err) = run(wsusfix().args(["report", "change-request"]).arg(plan()).arg(plan()));
    assert_eq!(code, Some(1));
    assert!(err.contains("only a scan report combines several"), "{err}");
}

#[test]
fn an_organisations_broken_template_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/change-request.md.tera"), "# Our change request\n\n{{ scope.total }\n")
        .unwrap();
    let (code, _, err) =
        run(wsusfix().args(["report", "change-request"]).arg(plan()).arg("--template-dir").arg(dir.path()));
    assert_eq!(code, Some(1));
    assert!(err.contains("template docs/change-request.md.tera:") && err.contains("--> 3:"), "{err}");

    std::fs::write(
        dir.path().join("docs/change-request.md.tera"),
        "# Our change request for {{ scope.total }} hosts\n",
    )
    .unwrap();
    let (code, out, err) =
        run(wsusfix().args(["report", "change-request"]).arg(plan()).arg("--template-dir").arg(dir.path()));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "# Our change request for 12 hosts\n");
}

/// Renders the HTML change request to a PNG with headless Chromium, to look at. Chromium is
/// optional: without /usr/bin/chromium (e.g. in CI) the test prints why and passes, CI or not.
/// The screenshot is kept at `target/tmp/change-request.png`.
#[test]
fn the_html_change_request_renders_in_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!("skipped: /usr/bin/chromium is not installed (optional: apt-get install chromium)");
        return;
    }
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let html = out_dir.join("change-request.html");
    let png = out_dir.join("change-request.png");
    let _ = std::fs::remove_file(&png);
    let (code, _, err) =
        run(wsusfix().args(["report", "change-request", "--format", "html"]).arg(plan()).arg("-o").arg(&html));
    assert_eq!(code, Some(0), "{err}");
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,1600")
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let bytes = std::fs::read(&png).unwrap_or_default();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "no screenshot at {}", png.display());
    eprintln!("screenshot: {}", png.display());
}
