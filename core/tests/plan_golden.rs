//! The plan for one host of every kind, held as a golden file. A change to a step, a
//! template or the plan format shows up here as a diff to review.
//!
//! After a deliberate change: `WSUSFIX_BLESS=1 cargo test -p wsusfix-core --test plan_golden`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use wsusfix_core::advisory::Advisory;
use wsusfix_core::plan::{self, BatchPolicy, PackageFiles, Plan, PlanRequest, Route, RtmChoice};
use wsusfix_core::probe;
use wsusfix_core::scan::{HostResult, ScanReport};
use wsusfix_core::templates::Templates;
use wsusfix_core::time::UtcTime;

const DIR: &str = "C:\\Program Files\\Update Services";

fn sample_scan(advisory: &Advisory) -> ScanReport {
    let data = Path::new("tests/data/probe");
    let mut hosts = Vec::new();
    for entry in std::fs::read_dir(data).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let outcome = probe::read_output(&std::fs::read(&path).unwrap(), advisory, DIR);
            hosts.push(HostResult::from_probe(&name, outcome, advisory));
        }
    }
    ScanReport::new(hosts)
}

fn request(rtm: RtmChoice, packages: &str) -> PlanRequest {
    PlanRequest {
        created_from: "tests/data/probe".into(),
        created_at: UtcTime::parse_log_prefix("2026-11-25 12:00:00").unwrap(),
        rtm,
        packages: PackageFiles::from_dir(Path::new(packages), &Advisory::embedded()),
        batches: BatchPolicy::default(),
        hosts: BTreeMap::new(),
        default_staging_dir: "C:\\Windows\\Temp\\wsusfix".into(),
        known_packages: BTreeMap::new(),
        allow_aliases: false,
        susdb_backup: true,
    }
}

fn check_golden(name: &str, text: &str) {
    common::check_golden(&Path::new("tests/data/plan").join(name), text);
}

/// The plan of the sample scan, with the embedded advisory and templates.
fn build_plan(rtm: RtmChoice, packages: &str) -> Result<Plan, plan::PlanError> {
    let advisory = Advisory::embedded();
    plan::build(&sample_scan(&advisory), &request(rtm, packages), &advisory, &Templates::embedded().unwrap())
}

#[test]
fn plan_of_every_kind_of_host_matches_the_golden_file() {
    let plan = build_plan(RtmChoice::Upgrade, "tests/data/packages").unwrap();
    check_golden("every-kind.plan.yaml", &plan.to_yaml());

    let route = |host: &str| plan.hosts.iter().find(|h| h.host == host).unwrap().route;
    assert_eq!(route("w2003-sp1-unpatched"), Route::Direct);
    assert_eq!(route("w2008-sp1-unpatched-x64-filtered"), Route::SystemTask);
    assert_eq!(route("w2003-rtm"), Route::RtmUpgrade);
    assert_eq!(route("w2008-sp1-patched"), Route::NothingToDo);
    assert_eq!(route("w2003-no-wsus"), Route::NothingToDo);
    assert_eq!(route("garbage"), Route::NeedsAttention);

    // What plan writes, apply reads back unchanged.
    let again = Plan::parse(&plan.to_yaml(), Path::new("plan.yaml")).unwrap();
    assert_eq!(again, plan);

    // A plan written before the reboot step existed still loads, with no reboot step.
    let mut old = plan.clone();
    old.hosts.iter_mut().for_each(|h| h.reboot.clear());
    let text = old.to_yaml();
    assert!(!text.contains("reboot:"), "an empty reboot is not written");
    assert_eq!(Plan::parse(&text, Path::new("old.yaml")).unwrap(), old);
}

/// The version 4 samples: a host with sqlcmd, one with only osql (a filtered session: the
/// backup runs as SYSTEM), one with neither.
fn sql_tool_scan(advisory: &Advisory) -> ScanReport {
    let data = Path::new("tests/data/probe/world");
    let hosts = ["v4-w2003-sqlcmd", "v4-w2008-x64-osql", "v4-w2008-no-sql-tool"]
        .iter()
        .map(|name| {
            let outcome = probe::read_output(&std::fs::read(data.join(format!("{name}.txt"))).unwrap(), advisory, DIR);
            HostResult::from_probe(name, outcome, advisory)
        })
        .collect();
    ScanReport::new(hosts)
}

#[test]
fn susdb_is_backed_up_before_the_install_with_the_tool_found_or_the_plan_says_why_not() {
    let advisory = Advisory::embedded();
    let templates = Templates::embedded().unwrap();
    let scan = sql_tool_scan(&advisory);
    let plan =
        plan::build(&scan, &request(RtmChoice::Workaround, "tests/data/packages"), &advisory, &templates).unwrap();
    check_golden("sql-tools.plan.yaml", &plan.to_yaml());
    assert!(plan.header.susdb_backup);
    plan::verify(&plan, &advisory, &templates).unwrap();
    let host = |name: &str| plan.hosts.iter().find(|h| h.host == name).unwrap();
    let ids = |steps: &[plan::Step]| steps.iter().map(|s| s.id.clone()).collect::<Vec<_>>();

    let sqlcmd = host("v4-w2003-sqlcmd");
    let order = ids(&sqlcmd.steps);
    let at = |id: &str| order.iter().position(|s| s == id).unwrap_or_else(|| panic!("{id}: {order:?}"));
    assert!(at("backup-susdb") < at("install"), "{order:?}");
    let command = sqlcmd.steps[at("backup-susdb")].action.to_string();
    assert!(
        command.starts_with(r#""C:\Program Files\Microsoft SQL Server\90\Tools\Binn\SQLCMD.EXE" -S np:\\.\pipe\"#)
            && command.contains(r"TO DISK='C:\Windows\Temp\wsusfix\SUSDB-wsusfix-before.bak' WITH INIT"),
        "{command}"
    );
    assert!(sqlcmd.notes.is_empty(), "{:?}", sqlcmd.notes);
    assert!(ids(&sqlcmd.backout).contains(&"backup-susdb".to_string()));

    // osql, as SYSTEM through a one-off task, before the install's own task.
    let osql = host("v4-w2008-x64-osql");
    let order = ids(&osql.steps);
    let at = |id: &str| order.iter().position(|s| s == id).unwrap_or_else(|| panic!("{id}: {order:?}"));
    assert!(at("backup-susdb-task-delete") < at("install-task-create"), "{order:?}");
    let create = osql.steps[at("backup-susdb-task-create")].action.to_string();
    // cmd.exe reads the path between the task's inner quotes unquoted: its parentheses get carets.
    assert!(
        create.contains(r#"/tr "\"C:\Program Files ^(x86^)\Microsoft SQL Server\80\Tools\Binn\osql.exe\" -S np:"#),
        "{create}"
    );

    // Neither: no backup step anywhere, and the plan says so, for the install and the back-out.
    let none = host("v4-w2008-no-sql-tool");
    for steps in [&none.steps, &none.elevation_fallback, &none.backout] {
        assert!(!ids(steps).iter().any(|id| id.starts_with("backup-susdb")), "{:?}", ids(steps));
    }
    assert_eq!(none.notes.len(), 2, "{:?}", none.notes);
    assert!(none.notes[0].starts_with("no sqlcmd or osql on the host: SUSDB is not backed up by the plan"));
    assert!(none.notes[1].contains("the back-out does not back SUSDB up"));

    // --no-susdb-backup: recorded, re-made, said.
    let off = PlanRequest { susdb_backup: false, ..request(RtmChoice::Workaround, "tests/data/packages") };
    let plan = plan::build(&scan, &off, &advisory, &templates).unwrap();
    assert!(!plan.header.susdb_backup);
    plan::verify(&plan, &advisory, &templates).unwrap();
    let sqlcmd = plan.hosts.iter().find(|h| h.host == "v4-w2003-sqlcmd").unwrap();
    assert!(!ids(&sqlcmd.steps).contains(&"backup-susdb".to_string()));
    assert!(sqlcmd.notes[0].contains("--no-susdb-backup"), "{:?}", sqlcmd.notes);

    // A plan whose header claims the option without it, or whose recorded tool changed, is refused.
    let mut forged = plan.clone();
    forged.header.susdb_backup = true;
    assert!(plan::verify(&forged, &advisory, &templates).is_err());
    let mut forged = plan.clone();
    forged.hosts.iter_mut().for_each(|h| h.notes.clear());
    let err = plan::verify(&forged, &advisory, &templates).unwrap_err().to_string();
    assert!(err.contains("notes"), "{err}");
}

#[test]
fn the_filtered_2008_host_installs_through_a_system_task_that_is_always_deleted() {
    let plan = build_plan(RtmChoice::Workaround, "tests/data/packages").unwrap();
    let host = plan.hosts.iter().find(|h| h.host == "w2008-sp1-unpatched-x64-filtered").unwrap();
    let ids: Vec<&str> = host.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "precheck-disk",
            "precheck-services",
            "stage",
            "upload-update",
            "verify-hash-update",
            "install-task-create",
            "install-task-run",
            "install-task-wait",
            "install-task-delete",
            "verify-dll",
            "verify-services",
            "verify-logs",
            "cleanup-update"
        ]
    );
    assert!(host.steps.iter().find(|s| s.id == "install-task-delete").unwrap().cleanup);
    let create = format!("{:?}", host.steps[5].action);
    assert!(
        create.contains("/ru SYSTEM /rl HIGHEST /f")
            && create.contains("WSUS3.0SP1-KB954960-x64.exe /quiet /norestart"),
        "{create}"
    );

    // The restart of --reboot: as SYSTEM too (a filtered token lacks the shutdown privilege).
    let reboot: Vec<&str> = host.reboot.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(reboot, ["reboot-task-create", "reboot-task-run", "reboot-task-wait", "reboot-task-delete"]);
    assert!(host.reboot[3].cleanup, "the reboot task is always deleted");
    let create = format!("{:?}", host.reboot[0].action);
    assert!(create.contains(r#"/tr \"shutdown /r /t 60 /c \\\"wsusfix: KB954960"#), "{create}");

    let direct_2003 = plan.hosts.iter().find(|h| h.host == "w2003-sp1-unpatched").unwrap();
    assert!(direct_2003.elevation_fallback.is_empty(), "no UAC on 2003: no task fallback");
    assert_eq!(direct_2003.reboot.len(), 1, "{:?}", direct_2003.reboot);
    assert_eq!(
        direct_2003.reboot[0].action,
        plan::Action::Run {
            command: r#"shutdown /r /t 60 /c "wsusfix: KB954960 installed; restarting to finish""#.into()
        }
    );
    assert_eq!(direct_2003.reboot[0].expect, plan::Expect::Success);
    for nothing in plan.hosts.iter().filter(|h| h.steps.is_empty() || h.route == Route::RtmWorkaround) {
        assert!(nothing.reboot.is_empty(), "{}: installs nothing, restarts nothing", nothing.host);
    }
    assert!(!direct_2003.backout.is_empty());
    let rtm = plan.hosts.iter().find(|h| h.host == "w2003-rtm").unwrap();
    assert_eq!(rtm.route, Route::RtmWorkaround);
    assert!(format!("{:?}", rtm.steps[0].action).contains("Office 2003 Service Pack 1"));
}

#[test]
fn a_missing_package_is_named() {
    let err = build_plan(RtmChoice::Workaround, "tests/data/nowhere").unwrap_err();
    assert!(
        err.to_string().contains("needs the KB954960 x86 package")
            && err.to_string().contains("WSUS3.0SP1-KB954960-x86.exe"),
        "{err}"
    );
}

#[test]
fn a_hand_edited_plan_is_refused_with_line_and_reason() {
    let plan = build_plan(RtmChoice::Workaround, "tests/data/packages").unwrap();
    let text = plan.to_yaml();

    let broken = text.replacen("  verdict: affected\n", "  verdict: affectd\n", 1);
    let err = Plan::parse(&broken, Path::new("plan.yaml")).unwrap_err().to_string();
    let line = broken.lines().position(|l| l.contains("verdict: affectd")).unwrap() + 1;
    assert!(
        err.starts_with(&format!("plan plan.yaml, line {line}: ")) && err.contains("unknown variant `affectd`"),
        "{err}"
    );

    let broken = text.replacen("timeout_secs: 60", "timeout_secs: sixty", 1);
    assert!(Plan::parse(&broken, Path::new("plan.yaml")).unwrap_err().to_string().contains("invalid type"));

    let broken = text.replacen("remote: C:\\Windows\\Temp\\wsusfix\\", "remote: C:\\Windows\\Temp\\a&b\\", 1);
    let err = Plan::parse(&broken, Path::new("plan.yaml")).unwrap_err().to_string();
    assert!(err.contains("upload target is not a safe Windows path") && err.contains("`&` is not allowed"), "{err}");
}

#[test]
fn a_plan_changed_after_it_was_made_is_refused_naming_host_step_and_both_commands() {
    let advisory = Advisory::embedded();
    let templates = Templates::embedded().unwrap();
    let plan = build_plan(RtmChoice::Upgrade, "tests/data/packages").unwrap();
    plan::verify(&plan, &advisory, &templates).unwrap();
    let text = plan.to_yaml();

    // A step's command replaced.
    let install = "\"C:\\Windows\\Temp\\wsusfix\\WSUS3.0SP1-KB954960-x86.exe\" /quiet /norestart";
    let tampered = text.replacen(
        &format!("command: '{install}'"),
        "command: echo TAMPERED & del \"C:\\Program Files\\Update Services\\LogFiles\\SoftwareDistribution.log\"",
        1,
    );
    assert_ne!(tampered, text, "the install command is in the plan");
    let tampered = Plan::parse(&tampered, Path::new("plan.yaml")).unwrap();
    let err = plan::verify(&tampered, &advisory, &templates).unwrap_err().to_string();
    assert!(err.contains("step install:") && err.contains("echo TAMPERED") && err.contains(install), "{err}");
    assert_ne!(tampered.digest(), plan.digest());
    assert!(tampered.expect_digest(&plan.digest()).unwrap_err().to_string().contains("not the approved plan"));
    plan.expect_digest(&plan.digest()).unwrap();

    // The version that proves the fix lowered.
    let lowered =
        text.replace("type: dll-at-least\n      version: 3.1.6001.66", "type: dll-at-least\n      version: 1.0.0.0");
    assert_ne!(lowered, text);
    let lowered = Plan::parse(&lowered, Path::new("plan.yaml")).unwrap();
    let err = plan::verify(&lowered, &advisory, &templates).unwrap_err().to_string();
    assert!(err.contains("step verify-dll") && err.contains("1.0.0.0"), "{err}");

    // A plan made under another advisory (a later fixed version).
    let mut other = advisory.clone();
    other.fixed_file_version = "3.1.6001.67".parse().unwrap();
    let err = plan::verify(&plan, &other, &templates).unwrap_err().to_string();
    assert!(err.contains("fixed 3.1.6001.66") && err.contains("fixed 3.1.6001.67"), "{err}");
}

#[test]
fn one_server_under_two_names_is_refused_unless_allowed() {
    let advisory = Advisory::embedded();
    let templates = Templates::embedded().unwrap();
    let mut scan = sample_scan(&advisory);
    let mut first = scan.hosts.iter().find(|h| h.host == "w2003-sp1-unpatched").unwrap().clone();
    first.facts.as_mut().unwrap().computer_name = Some("WSUS01".into());
    let mut alias = first.clone();
    alias.host = "wsus01.corp.example".into();
    alias.facts.as_mut().unwrap().computer_name = Some("wsus01".into());
    scan.hosts.retain(|h| h.host != "w2003-sp1-unpatched");
    scan.hosts.extend([first, alias]);
    let mut request = request(RtmChoice::Workaround, "tests/data/packages");
    let err = plan::build(&scan, &request, &advisory, &templates).unwrap_err().to_string();
    assert!(
        err.contains("w2003-sp1-unpatched, wsus01.corp.example are one server (all named WSUS01)")
            && err.contains("--allow-aliases"),
        "{err}"
    );
    request.allow_aliases = true;
    plan::build(&scan, &request, &advisory, &templates).unwrap();
}
