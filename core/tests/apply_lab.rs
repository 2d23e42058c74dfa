//! Applying plans to a simulated fleet over real SSH: the affected hosts end remediated (and a
//! rescan agrees), the fault hosts fail with their real reasons, nothing else is touched, a
//! second run installs nothing, a failing canary stops the run, and a direct install that
//! needs elevation goes through the SYSTEM task.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use wsusfix_core::advisory::Advisory;
use wsusfix_core::apply::journal::{self, Entry, RunOptions};
use wsusfix_core::apply::{ApplyRequest, ApplyResult, ApplyTools, Session};
use wsusfix_core::assess::Verdict;
use wsusfix_core::connector::SshConnector;
use wsusfix_core::facts::Elevation;

use wsusfix_core::inventory::{Host, Inventory};
use wsusfix_core::outcome::{HostOutcome, Judged, Outcome};
use wsusfix_core::plan::{self, BatchPolicy, PackageFiles, Plan, PlanRequest, RtmChoice};
use wsusfix_core::scan::{self, ScanReport, ScanRequest, ScanTools};
use wsusfix_core::templates::Templates;
use wsusfix_core::time::UtcTime;
use wsusfix_lab::{HostSpec, Lab, LabConfig, RunningLab};

mod common;

struct Fixture {
    lab: RunningLab,
    dir: tempfile::TempDir,
    hosts: Vec<Host>,
    advisory: Advisory,
    templates: Templates,
    connector: SshConnector,
}

impl Fixture {
    fn start(specs: &[(&str, &str)]) -> Fixture {
        let hosts = specs.iter().map(|(name, profile)| HostSpec::new(name, profile).unwrap()).collect();
        let lab = Lab::start(LabConfig { hosts, ..LabConfig::default() }).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let artifacts = lab.write_artifacts(&dir.path().join("lab")).unwrap();
        let inventory = Inventory::load(&artifacts.inventory).unwrap();
        let advisory = Advisory::embedded();
        common::write_packages(&dir.path().join("packages"), &advisory);
        let connector = common::lab_connector(Duration::from_secs(5));
        Fixture {
            lab,
            dir,
            hosts: inventory.hosts.clone(),
            advisory,
            templates: Templates::embedded().unwrap(),
            connector,
        }
    }

    fn scan(&self) -> ScanReport {
        let request = ScanRequest {
            hosts: self.hosts.clone(),
            forks: NonZeroUsize::new(16).unwrap(),
            probe_timeout: Duration::from_secs(3),
            save_facts: None,
        };
        let tools =
            ScanTools { connector: &self.connector, advisory: &self.advisory, templates: &self.templates, audit: None };
        scan::scan(&request, tools, &AtomicBool::new(false), &mut |_| {})
    }

    fn plan(&self, scan: &ScanReport, serial: &str, max_fail_percent: u8) -> Plan {
        self.plan_rtm(scan, serial, max_fail_percent, RtmChoice::Workaround)
    }

    fn plan_rtm(&self, scan: &ScanReport, serial: &str, max_fail_percent: u8, rtm: RtmChoice) -> Plan {
        let request = PlanRequest {
            created_from: "apply_lab".into(),
            created_at: UtcTime(1_795_637_700),
            rtm,
            packages: PackageFiles::from_dir(&self.dir.path().join("packages"), &self.advisory),
            batches: BatchPolicy {
                serial: BatchPolicy::parse_serial(serial).unwrap(),
                max_fail_percent,
                pause_between_secs: 0,
            },
            hosts: BTreeMap::new(),
            default_staging_dir: r"C:\Windows\Temp\wsusfix".into(),
            known_packages: BTreeMap::new(),
            allow_aliases: false,
            susdb_backup: true,
        };
        plan::build(scan, &request, &self.advisory, &self.templates).unwrap()
    }

    /// Applies with short retry and poll pauses; returns the result and the journal.
    fn apply(&self, plan: &Plan, run: &str) -> (ApplyResult, Vec<Entry>) {
        self.apply_with(plan, run, |_| {})
    }

    /// [`Fixture::apply`], with the request adjusted first (`--backout`, `--limit`).
    fn apply_with(&self, plan: &Plan, run: &str, adjust: impl FnOnce(&mut ApplyRequest)) -> (ApplyResult, Vec<Entry>) {
        let mut request = ApplyRequest::new(plan.clone(), self.hosts.clone());
        request.forks = NonZeroUsize::new(8).unwrap();
        request.probe_timeout = Duration::from_secs(3);
        request.retry_delay = Duration::from_millis(10);
        request.poll_interval = Some(Duration::from_millis(20));
        adjust(&mut request);
        let run_dir = self.dir.path().join(run);
        let options = RunOptions::of(&request, None);
        let session = Session::start(&run_dir, plan, &plan.to_yaml(), "plan.yaml", options).unwrap();
        let tools = ApplyTools { connector: &self.connector, advisory: &self.advisory, templates: &self.templates };
        let result = session.run(&request, tools, &AtomicBool::new(false), &mut |_| {}).unwrap();
        session.finish(&result).unwrap();
        session.finish(&result).unwrap();
        (result, journal::Journal::read(&run_dir.join(journal::JOURNAL_FILE)).unwrap())
    }

    /// How many times the KB954960 package ran to success on a host (its own log says).
    fn installs(&self, host: &str) -> usize {
        let state = self.lab.host_state(host).unwrap().snapshot();
        let windir = state.windir();
        state
            .fs
            .file(&format!("{windir}\\{}", self.advisory.package.x86.replace(".exe", ".log")))
            .or_else(|| state.fs.file(&format!("{windir}\\{}", self.advisory.package.x64.replace(".exe", ".log"))))
            .map(|f| String::from_utf8_lossy(&f.content.bytes()).matches("update applied").count())
            .unwrap_or(0)
    }
}

fn outcome<'a>(result: &'a ApplyResult, host: &str) -> &'a HostOutcome {
    result.hosts.iter().find(|h| h.host == host).unwrap_or_else(|| panic!("{host} missing from the result"))
}

fn steps_of<'a>(entries: &'a [Entry], host: &str) -> Vec<&'a journal::StepEntry> {
    entries
        .iter()
        .filter_map(|e| if let Entry::Step(s) = e { Some(s).filter(|s| s.host == host) } else { None })
        .collect()
}

const FLEET: &[(&str, &str)] = &[
    ("w03-unpatched", "w2003-sp1-unpatched"),
    ("w08-filtered", "w2008-sp1-unpatched"),
    ("w08-elevated", "w2008-sp1-unpatched-elevated"),
    ("w08-patched", "w2008-sp1-patched"),
    ("w03-rtm", "w2003-rtm"),
    ("w03-sp2", "w2003-sp2"),
    ("sbs-wsus2", "sbs2003-wsus2"),
    ("w08-console", "w2008-console-only"),
    ("w03-no-wsus", "w2003-no-wsus"),
    ("busy", "installer-busy"),
    ("broken", "install-fails"),
    ("slowpoke", "slow"),
    ("gone", "unreachable"),
    ("noise", "garbage"),
];

#[test]
fn a_fleet_of_every_kind_is_remediated_and_a_second_apply_changes_nothing() {
    let f = Fixture::start(FLEET);
    let plan = f.plan(&f.scan(), "100%", 100);
    let before: BTreeMap<&str, _> =
        FLEET.iter().map(|(h, _)| (*h, f.lab.host_state(h).map(|s| s.snapshot()))).collect();

    let (result, journal) = f.apply(&plan, "run1");
    for host in ["w03-unpatched", "w08-filtered", "w08-elevated", "busy", "slowpoke"] {
        let h = outcome(&result, host);
        assert_eq!(h.outcome, Outcome::Remediated, "{host}: {h:?}");
        assert_eq!(h.dll_version_after.map(|v| v.to_string()).as_deref(), Some("3.1.6001.66"), "{host}");
        assert_eq!(f.installs(host), 1, "{host} installed once");
        let state = f.lab.host_state(host).unwrap().snapshot();
        assert!(state.tasks.is_empty(), "{host}: the one-off task is deleted");
        assert!(
            state.fs.file(r"C:\Windows\Temp\wsusfix\WSUS3.0SP1-KB954960-x86.exe").is_none(),
            "{host}: package removed"
        );
        assert!(
            state.fs.file(r"C:\Windows\Temp\wsusfix\WSUS3.0SP1-KB954960-x64.exe").is_none(),
            "{host}: package removed"
        );
    }
    let broken = outcome(&result, "broken");
    assert_eq!(broken.outcome, Outcome::Failed);
    assert!(broken.reason.contains("1603 (fatal error during installation)"), "{}", broken.reason);
    assert_eq!(outcome(&result, "w03-rtm").outcome, Outcome::ManualAction);
    for host in ["w08-patched", "w03-sp2", "sbs-wsus2", "w08-console", "w03-no-wsus"] {
        assert_eq!(outcome(&result, host).outcome, Outcome::NotNeeded, "{host}");
        assert_eq!(f.lab.host_state(host).map(|s| s.snapshot()), before[host], "{host} untouched");
    }
    for host in ["gone", "noise"] {
        assert_eq!(outcome(&result, host).outcome, Outcome::NeedsAttention, "{host}");
    }
    assert_eq!(f.lab.host_state("noise").map(|s| s.snapshot()), before["noise"], "noise untouched");
    assert_eq!(result.exit_code(), 4, "a failed host and a manual one");

    // The busy installer was tried again; the filtered 2008 host went through the task.
    let busy = steps_of(&journal, "busy");
    assert!(
        busy.iter().any(|s| s.step == "install" && s.judged == Judged::Retry && s.exit_code == Some(1618)),
        "{busy:#?}"
    );
    let task = steps_of(&journal, "w08-filtered");
    assert!(task.iter().any(|s| s.step == "install-task-wait" && s.judged == Judged::Ok));
    assert!(task.iter().any(|s| s.step == "install-task-delete"));
    assert!(steps_of(&journal, "broken")
        .iter()
        .any(|s| s.step == "install:on-failure" && s.judged == Judged::Diagnostic));
    let results = journal::finished_hosts(&journal);
    assert_eq!(results.len(), FLEET.len(), "a host-result per host");
    assert!(matches!(journal.last(), Some(Entry::RunEnd { .. })));

    // A rescan agrees.
    let rescan = f.scan();
    for host in ["w03-unpatched", "w08-filtered", "w08-elevated", "busy", "slowpoke"] {
        let h = rescan.hosts.iter().find(|h| h.host == host).unwrap();
        assert_eq!(h.verdict, Verdict::Remediated, "{host}");
    }

    // Again: nothing is installed, and the result says why.
    let (again, journal) = f.apply(&plan, "run2");
    for host in ["w03-unpatched", "w08-filtered", "w08-elevated", "busy", "slowpoke"] {
        let h = outcome(&again, host);
        assert_eq!(h.outcome, Outcome::AlreadyRemediated, "{host}: {h:?}");
        assert!(h.reason.contains("already fixed, nothing done"), "{}", h.reason);
        assert_eq!(f.installs(host), 1, "{host} not installed twice");
        assert_eq!(steps_of(&journal, host).iter().map(|s| s.step.as_str()).collect::<Vec<_>>(), ["re-probe"]);
    }
    let outcome_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.dir.path().join("run2/outcome.json")).unwrap()).unwrap();
    assert_eq!(outcome_json["hosts"].as_array().unwrap().len(), FLEET.len());
    let reported = outcome_json["hosts"].as_array().unwrap().iter().find(|h| h["host"] == "w03-unpatched").unwrap();
    assert_eq!(reported["outcome"], "already-remediated", "the result report gets apply's outcome as it is");
    assert_eq!(reported["dll_version_after"], "3.1.6001.66", "and the DLL that proves it");
    // The retry file, as Ansible's: the failed host, and those not reachable or assessable when
    // planned; `failures` only the failed one.
    let failed = std::fs::read_to_string(f.dir.path().join("run1/failed-hosts")).unwrap();
    assert_eq!(failed, "broken\ngone\nnoise\n");
    let failures = std::fs::read_to_string(f.dir.path().join("run1/failures")).unwrap();
    assert_eq!(failures, "broken\n");
}

#[test]
fn a_failing_canary_stops_the_run_before_the_next_batch() {
    let f = Fixture::start(&[
        ("a-canary", "install-fails"),
        ("b-host", "w2003-sp1-unpatched"),
        ("c-host", "w2003-sp1-unpatched"),
    ]);
    let plan = f.plan(&f.scan(), "1,100%", 0);
    let (result, journal) = f.apply(&plan, "run");
    assert_eq!(outcome(&result, "a-canary").outcome, Outcome::Failed);
    for host in ["b-host", "c-host"] {
        let h = outcome(&result, host);
        assert_eq!(h.outcome, Outcome::NotRun, "{host}");
        assert!(h.reason.contains("max-fail-percent"), "{}", h.reason);
        assert_eq!(f.installs(host), 0);
        assert!(steps_of(&journal, host).is_empty(), "{host} never touched");
    }
    assert_eq!(result.exit_code(), 5);
    let batches = journal.iter().filter(|e| matches!(e, Entry::BatchStart { .. })).count();
    assert_eq!(batches, 1);
}

#[test]
fn a_direct_install_that_needs_elevation_goes_through_the_system_task() {
    let f = Fixture::start(&[("w08", "w2008-sp1-unpatched")]);
    let mut scan = f.scan();
    // The session's token is filtered, but plan as if whoami had said elevated: a direct
    // install with the task as its fallback. The fingerprint stays the host's real one.
    let real = plan::fingerprint(scan.hosts[0].facts.as_ref().unwrap());
    scan.hosts[0].facts.as_mut().unwrap().elevation = Elevation::Elevated;
    // No SQL tool: a direct SUSDB backup in that filtered session would fail to log in (Msg
    // 18456) before the install could answer 740; this test is about the install's fallback.
    scan.hosts[0].facts.as_mut().unwrap().sql_tool = Some(wsusfix_core::facts::SqlToolSearch::NoneFound);
    let mut plan = f.plan(&scan, "100%", 0);
    assert_eq!(plan.hosts[0].route, plan::Route::Direct);
    assert!(!plan.hosts[0].elevation_fallback.is_empty());
    plan.hosts[0].fingerprint = Some(real);

    let (result, journal) = f.apply(&plan, "run");
    assert_eq!(outcome(&result, "w08").outcome, Outcome::Remediated, "{:?}", result.hosts);
    let steps = steps_of(&journal, "w08");
    let install = steps.iter().find(|s| s.step == "install").unwrap();
    assert_eq!((install.exit_code, install.judged), (Some(740), Judged::Fallback));
    assert!(steps.iter().any(|s| s.step == "install-task-wait" && s.judged == Judged::Ok));
    assert!(steps.iter().any(|s| s.step == "install-task-delete"), "the task is deleted");
    assert!(f.lab.host_state("w08").unwrap().snapshot().tasks.is_empty());
    assert_eq!(f.installs("w08"), 1);
}

#[test]
fn a_host_that_changed_since_the_plan_is_refused() {
    let f = Fixture::start(&[("w03", "w2003-sp1-unpatched")]);
    let mut plan = f.plan(&f.scan(), "100%", 0);
    plan.hosts[0].fingerprint = Some("sha256:0000000000000000".into());
    let (result, _) = f.apply(&plan, "run");
    let h = outcome(&result, "w03");
    assert_eq!(h.outcome, Outcome::RefusedDrift);
    assert!(h.reason.contains("sha256:0000000000000000") && h.reason.contains("--replan"), "{}", h.reason);
    assert_eq!(f.installs("w03"), 0);
    assert_eq!(result.exit_code(), 4);
}

/// Where the plan stages files and backs SUSDB up (the fixture's default staging folder).
const SUSDB_BACKUP: &str = r"C:\Windows\Temp\wsusfix\SUSDB-wsusfix.bak";

fn file_text(f: &Fixture, host: &str, path: &str) -> Option<String> {
    let state = f.lab.host_state(host).unwrap().snapshot();
    state.fs.file(path).map(|file| String::from_utf8_lossy(&file.content.bytes()).into_owned())
}

fn setup_log(f: &Fixture, host: &str) -> String {
    let windir = f.lab.host_state(host).unwrap().snapshot().windir();
    file_text(f, host, &format!(r"{windir}\WSUSSetup.log")).unwrap_or_default()
}

fn step<'a>(steps: &[&'a journal::StepEntry], id: &str) -> &'a journal::StepEntry {
    steps.iter().rev().find(|s| s.step == id).copied().unwrap_or_else(|| panic!("no step {id}: {steps:#?}"))
}

#[test]
fn an_rtm_server_is_upgraded_to_sp1_and_then_fixed() {
    let f = Fixture::start(&[("w03-rtm", "w2003-rtm")]);
    let plan = f.plan_rtm(&f.scan(), "100%", 0, RtmChoice::Upgrade);
    assert_eq!(plan.hosts[0].route, plan::Route::RtmUpgrade);

    let (result, journal) = f.apply(&plan, "run");
    let h = outcome(&result, "w03-rtm");
    assert_eq!(h.outcome, Outcome::Remediated, "{h:?}");
    assert_eq!(h.dll_version_after.map(|v| v.to_string()).as_deref(), Some("3.1.6001.66"));
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);

    let steps = steps_of(&journal, "w03-rtm");
    for id in ["upload-sp1", "verify-hash-sp1", "backup-susdb", "upgrade-sp1", "verify-wsus", "install", "verify-dll"] {
        assert_eq!(step(&steps, id).judged, Judged::Ok, "{id}: {:#?}", step(&steps, id));
    }
    assert!(step(&steps, "backup-susdb").output_tail.contains("BACKUP DATABASE successfully processed"));
    assert_eq!(step(&steps, "upgrade-sp1").exit_code, Some(0));
    assert!(file_text(&f, "w03-rtm", SUSDB_BACKUP).is_some(), "SUSDB backed up before the upgrade");

    let state = f.lab.host_state("w03-rtm").unwrap().snapshot();
    let version = state.wsus_setting("VersionString").unwrap().as_text();
    assert!(version.starts_with("3.1."), "WSUS is SP1 now: {version}");
    let dll = state.wsus_dll_path().unwrap();
    assert_eq!(state.fs.file(&dll).unwrap().version.as_deref(), Some("3.1.6001.66"));
    assert_eq!(f.installs("w03-rtm"), 1);
    assert!(setup_log(&f, "w03-rtm").contains("return code 0x0"), "{}", setup_log(&f, "w03-rtm"));
    for package in [&f.advisory.reinstall.x86, &f.advisory.package.x86] {
        assert!(state.fs.file(&format!(r"C:\Windows\Temp\wsusfix\{package}")).is_none(), "{package} removed");
    }

    let rescan = f.scan();
    assert_eq!(rescan.hosts[0].verdict, Verdict::Remediated, "{}", rescan.hosts[0].reason);
}

#[test]
fn a_backout_reinstalls_sp1_against_the_kept_database() {
    let f = Fixture::start(&[("w03", "w2003-sp1-unpatched"), ("w08", "w2008-sp1-unpatched")]);
    let plan = f.plan(&f.scan(), "100%", 0);
    let (fixed, _) = f.apply(&plan, "fix");
    for host in ["w03", "w08"] {
        assert_eq!(outcome(&fixed, host).outcome, Outcome::Remediated, "{host}");
    }

    let (result, journal) = f.apply_with(&plan, "backout", |request| {
        request.backout = true;
        request.selected = Some(["w03".to_string(), "w08".to_string()].into());
    });
    for host in ["w03", "w08"] {
        let h = outcome(&result, host);
        assert_eq!(h.outcome, Outcome::BackedOut, "{host}: {h:?}");
        let steps = steps_of(&journal, host);
        // A filtered 2008 session cannot log in to the internal database: there the backup
        // runs as SYSTEM from a one-off task.
        let backup = if host == "w08" { "backup-susdb-task-wait" } else { "backup-susdb" };
        assert_eq!(step(&steps, backup).judged, Judged::Ok, "{host}");
        assert_eq!(step(&steps, "verify-wsus").judged, Judged::Ok, "{host}");
        assert_eq!(step(&steps, "verify-services").judged, Judged::Ok, "{host}");

        let backup = file_text(&f, host, SUSDB_BACKUP).unwrap_or_else(|| panic!("{host}: no SUSDB backup"));
        assert!(backup.contains("database SUSDB"), "{backup}");

        // Uninstalled keeping the database, then reinstalled as SP1 against it.
        let log = setup_log(&f, host);
        let uninstall = log.find("/u").unwrap_or_else(|| panic!("{host}: no uninstall in {log}"));
        let reinstall = log.rfind("CREATE_DATABASE=0").unwrap_or_else(|| panic!("{host}: no reinstall in {log}"));
        assert!(uninstall < reinstall, "{log}");
        assert!(log.contains("DELETE_DATABASE=0") && log.matches("return code 0x0").count() == 2, "{log}");
        let state = f.lab.host_state(host).unwrap().snapshot();
        assert!(state.kept_database.is_none(), "{host}: the reinstall took the kept database over");
        let mdf = format!(r"{}\SYSMSI\SSEE\MSSQL.2005\MSSQL\Data\SUSDB.mdf", state.windir());
        assert!(state.fs.file(&mdf).is_some(), "{host}: the database files were kept");
        assert_eq!(state.wsus_setting("VersionString").unwrap().as_text(), "3.1.6001.65", "{host}");
        let dll = state.wsus_dll_path().unwrap();
        assert_eq!(state.fs.file(&dll).unwrap().version.as_deref(), Some("3.1.6001.65"), "{host}: DLL back");
        assert!(state.service("WsusService").is_some(), "{host}: WsusService is back");
        assert!(state.tasks.is_empty(), "{host}: no task left");
        let setup = format!(r"C:\Windows\Temp\wsusfix\{}", f.advisory.reinstall.x64);
        assert!(state.fs.file(&setup).is_none(), "{host}: setup removed");
    }

    // The 2008 session's token is filtered: both setup runs went through SYSTEM tasks, deleted after.
    let w08 = steps_of(&journal, "w08");
    for id in ["uninstall-wsus", "reinstall-sp1"] {
        assert!(w08.iter().all(|s| s.step != id), "{id} did not run directly");
        assert!(step(&w08, &format!("{id}-task-create")).command.contains("/ru SYSTEM"), "{id}");
        assert_eq!(step(&w08, &format!("{id}-task-wait")).judged, Judged::Ok, "{id}");
        assert_eq!(step(&w08, &format!("{id}-task-delete")).judged, Judged::Ok, "{id}");
    }
    let w03 = steps_of(&journal, "w03");
    assert_eq!(step(&w03, "uninstall-wsus").exit_code, Some(0));
    assert_eq!(step(&w03, "reinstall-sp1").exit_code, Some(0));

    let outcome_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.dir.path().join("backout/outcome.json")).unwrap()).unwrap();
    for h in outcome_json["hosts"].as_array().unwrap() {
        assert_eq!(h["outcome"], "backed-out", "{h}");
    }

    let rescan = f.scan();
    for h in &rescan.hosts {
        assert_eq!(h.verdict, Verdict::Affected, "{}: {}", h.host, h.reason);
    }
}

#[test]
fn replan_rebuilds_the_plan_of_a_host_that_changed() {
    // Planned while the session's token was filtered (the SYSTEM-task route) ...
    let f = Fixture::start(&[("w08", "w2008-sp1-unpatched")]);
    let plan = f.plan(&f.scan(), "100%", 0);
    assert_eq!(plan.hosts[0].route, plan::Route::SystemTask);
    // ... then an administrator set LocalAccountTokenFilterPolicy: sessions are elevated now.
    f.lab.host_state("w08").unwrap().with(|h| h.token = wsusfix_lab::host::Token::Elevated);

    let (refused, _) = f.apply(&plan, "refused");
    assert_eq!(outcome(&refused, "w08").outcome, Outcome::RefusedDrift);
    assert_eq!(f.installs("w08"), 0, "a drifted host is not touched without --replan");

    let (result, journal) = f.apply_with(&plan, "replanned", |request| request.replan = true);
    let h = outcome(&result, "w08");
    assert_eq!(h.outcome, Outcome::Remediated, "{h:?}");
    assert_eq!(h.dll_version_after.map(|v| v.to_string()).as_deref(), Some("3.1.6001.66"));
    let steps = steps_of(&journal, "w08");
    assert!(step(&steps, "re-plan").detail.contains("route direct"), "{:#?}", step(&steps, "re-plan"));
    assert_eq!(step(&steps, "install").judged, Judged::Ok, "the fresh plan installs directly");
    assert!(steps.iter().all(|s| !s.step.contains("task")), "no task on the re-planned route");
    assert_eq!(f.installs("w08"), 1);
}

/// Makes a lab host's KB954960 package exit 3010 (success, restart required) on success.
fn needs_restart(f: &Fixture, host: &str) {
    f.lab.host_state(host).unwrap().with(|h| h.installer.reboot_required = true);
}

fn ids<'a>(steps: &[&'a journal::StepEntry]) -> Vec<&'a str> {
    steps.iter().map(|s| s.step.as_str()).collect()
}

#[test]
fn a_restart_the_installer_asks_for_is_recorded_and_scheduled_only_with_reboot() {
    let f = Fixture::start(&[
        ("w03-no-flag", "w2003-sp1-unpatched"),
        ("w03-reboot", "w2003-sp1-unpatched"),
        ("w03-clean", "w2003-sp1-unpatched"),
        ("w08-filtered", "w2008-sp1-unpatched"),
    ]);
    for host in ["w03-no-flag", "w03-reboot", "w08-filtered"] {
        needs_restart(&f, host);
    }
    let plan = f.plan(&f.scan(), "100%", 0);
    for h in &plan.hosts {
        assert!(!h.reboot.is_empty(), "{}: every host that installs has a reboot step", h.host);
    }

    // Without --reboot: the pending restart is recorded, nothing restarts.
    let (result, journal) = f.apply_with(&plan, "no-reboot", |r| r.selected = Some(["w03-no-flag".to_string()].into()));
    let h = outcome(&result, "w03-no-flag");
    assert_eq!(h.outcome, Outcome::Remediated, "{h:?}");
    assert!(h.reboot_pending && !h.reboot_scheduled, "{h:?}");
    assert!(!h.reason.contains("reboot"), "{}", h.reason);
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    let steps = steps_of(&journal, "w03-no-flag");
    assert_eq!((step(&steps, "install").exit_code, step(&steps, "install").judged), (Some(3010), Judged::Ok));
    assert!(steps.iter().all(|s| !s.step.starts_with("reboot")), "{:?}", ids(&steps));
    let state = f.lab.host_state("w03-no-flag").unwrap().snapshot();
    assert_eq!(state.restarts(), 0, "no restart without --reboot");
    assert!(state.shutdowns.is_empty());

    // With --reboot: the planned reboot step runs last, and the lab records one restart.
    let selected = ["w03-reboot", "w03-clean", "w08-filtered"].map(String::from);
    let (result, journal) = f.apply_with(&plan, "reboot", |r| {
        r.reboot = true;
        r.selected = Some(selected.into());
    });
    let h = outcome(&result, "w03-reboot");
    assert_eq!(h.outcome, Outcome::Remediated, "{h:?}");
    assert_eq!(h.dll_version_after.map(|v| v.to_string()).as_deref(), Some("3.1.6001.66"));
    assert!(h.reboot_pending && h.reboot_scheduled, "the restart has not happened yet: {h:?}");
    assert!(h.reason.contains("reboot scheduled"), "{}", h.reason);
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    let steps = steps_of(&journal, "w03-reboot");
    let reboot = step(&steps, "reboot");
    assert_eq!((reboot.exit_code, reboot.judged), (Some(0), Judged::Ok), "{reboot:#?}");
    assert_eq!(reboot.command, r#"shutdown /r /t 60 /c "wsusfix: KB954960 installed; restarting to finish""#);
    let order = ids(&steps);
    assert_eq!(order[order.len() - 2..], ["reboot", "release-host"], "last of all, then the run's mark removed");
    let state = f.lab.host_state("w03-reboot").unwrap().snapshot();
    assert_eq!(state.restarts(), 1);
    let pending = state.pending_shutdown().expect("a restart is scheduled");
    assert_eq!((pending.delay_secs, pending.by.as_str()), (60, state.user.as_str()));
    assert_eq!(pending.comment, "wsusfix: KB954960 installed; restarting to finish");
    assert_eq!(f.installs("w03-reboot"), 1);

    // An install that needs no restart gets none, --reboot or not.
    let h = outcome(&result, "w03-clean");
    assert_eq!(h.outcome, Outcome::Remediated, "{h:?}");
    assert!(!h.reboot_pending && !h.reboot_scheduled, "{h:?}");
    assert!(steps_of(&journal, "w03-clean").iter().all(|s| !s.step.starts_with("reboot")));
    assert_eq!(f.lab.host_state("w03-clean").unwrap().snapshot().restarts(), 0);

    // A filtered 2008 session may not restart the host: the restart goes through a SYSTEM
    // task, deleted after.
    let h = outcome(&result, "w08-filtered");
    assert_eq!(h.outcome, Outcome::Remediated, "{h:?}");
    assert!(h.reboot_pending && h.reboot_scheduled, "{h:?}");
    let steps = steps_of(&journal, "w08-filtered");
    assert!(steps.iter().all(|s| s.step != "reboot"), "no direct shutdown on a filtered session");
    assert!(step(&steps, "reboot-task-create").command.contains("/ru SYSTEM"));
    for id in ["reboot-task-create", "reboot-task-run", "reboot-task-wait", "reboot-task-delete"] {
        assert_eq!(step(&steps, id).judged, Judged::Ok, "{id}: {:#?}", step(&steps, id));
    }
    let order = ids(&steps);
    let at = |id: &str| order.iter().rposition(|s| *s == id).unwrap();
    assert!(at("cleanup-update") < at("reboot-task-create"), "after the cleanups: {order:?}");
    assert!(at("install-task-delete") < at("reboot-task-create"), "{order:?}");
    assert_eq!(order[order.len() - 2..], ["reboot-task-delete", "release-host"], "{order:?}");
    let state = f.lab.host_state("w08-filtered").unwrap().snapshot();
    assert_eq!(state.restarts(), 1);
    assert_eq!(state.pending_shutdown().map(|s| s.by.as_str()), Some("SYSTEM"));
    assert!(state.tasks.is_empty(), "the reboot task is deleted");

    let outcome_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.dir.path().join("reboot/outcome.json")).unwrap()).unwrap();
    let reported = outcome_json["hosts"].as_array().unwrap().iter().find(|h| h["host"] == "w03-reboot").unwrap();
    assert_eq!(reported["reboot_pending"], true);
    assert!(reported["reason"].as_str().unwrap().contains("reboot scheduled"), "{reported}");
}

#[test]
fn a_restart_that_cannot_be_scheduled_is_a_warning_on_a_fixed_host() {
    // Planned as elevated (a direct install and a direct restart), but the session is
    // filtered: the install goes through the SYSTEM-task fallback and answers 3010, and the
    // direct `shutdown` is denied. The DLL proves the fix; the restart is left to a person.
    let f = Fixture::start(&[("w08", "w2008-sp1-unpatched")]);
    needs_restart(&f, "w08");
    let mut scan = f.scan();
    let real = plan::fingerprint(scan.hosts[0].facts.as_ref().unwrap());
    scan.hosts[0].facts.as_mut().unwrap().elevation = Elevation::Elevated;
    // No SQL tool: a direct SUSDB backup in that filtered session would fail to log in (Msg
    // 18456) before the install could answer 740; this test is about the install's fallback.
    scan.hosts[0].facts.as_mut().unwrap().sql_tool = Some(wsusfix_core::facts::SqlToolSearch::NoneFound);
    let mut plan = f.plan(&scan, "100%", 0);
    plan.hosts[0].fingerprint = Some(real);
    assert_eq!(plan.hosts[0].reboot.len(), 1, "a direct restart on an elevated session");

    let (result, journal) = f.apply_with(&plan, "run", |r| r.reboot = true);
    let h = outcome(&result, "w08");
    assert_eq!(h.outcome, Outcome::Remediated, "{h:?}");
    assert!(h.reboot_pending && !h.reboot_scheduled, "{h:?}");
    assert!(!h.reason.contains("reboot scheduled"), "{}", h.reason);
    assert!(
        h.warnings.iter().any(|w| w.contains("reboot not scheduled") && w.contains("exit code 5")),
        "{:?}",
        h.warnings
    );
    let steps = steps_of(&journal, "w08");
    assert_eq!((step(&steps, "reboot").exit_code, step(&steps, "reboot").judged), (Some(5), Judged::Failed));
    assert_eq!(result.exit_code(), 0, "a remediated host with a warning is no failure");
    assert_eq!(f.lab.host_state("w08").unwrap().snapshot().restarts(), 0);
}

#[test]
fn the_audit_trail_holds_every_remote_command_the_journal_names_and_the_uploads() {
    let f = Fixture::start(&[("w03", "w2003-sp1-unpatched"), ("w08f", "w2008-sp1-unpatched")]);
    let plan = f.plan(&f.scan(), "100%", 100);
    let (result, journal) = f.apply(&plan, "audited");
    assert!(result.hosts.iter().all(|h| h.outcome == Outcome::Remediated), "{:?}", result.hosts);
    let text = std::fs::read_to_string(f.dir.path().join("audited").join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for host in ["w03", "w08f"] {
        let audited: Vec<&serde_json::Value> = lines.iter().filter(|l| l["host"] == host).collect();
        let execs: Vec<&str> =
            audited.iter().filter(|l| l["kind"] == "exec").map(|l| l["command"].as_str().unwrap()).collect();
        let journaled: Vec<&str> = steps_of(&journal, host)
            .iter()
            .map(|s| s.command.as_str())
            .filter(|c| !c.starts_with("upload ") && !c.starts_with("(manual") && !c.starts_with("(no command"))
            .collect();
        assert_eq!(execs.len(), journaled.len(), "{host}: {execs:#?}\n{journaled:#?}");
        for (ran, planned) in execs.iter().zip(&journaled) {
            assert!(ran.contains(planned), "{host}: the audit trail ran {ran:?} where the journal says {planned:?}");
        }
        assert!(execs[0].contains("::wsusfix."), "{host}: the re-probe comes first: {}", execs[0]);
        let upload = audited.iter().find(|l| l["kind"].get("upload").is_some()).expect("the package upload");
        assert_eq!(upload["exit"]["code"], 0, "{host}: {upload}");
        assert!(audited.iter().all(|l| l["duration_ms"].is_u64() && l["started_at"].is_u64()), "{host}");
    }
}

#[test]
fn a_run_cut_short_between_install_and_cleanup_owes_the_cleanup_on_resume() {
    let f = Fixture::start(&[("w03", "w2003-sp1-unpatched")]);
    let plan = f.plan(&f.scan(), "100%", 100);
    let (result, _) = f.apply(&plan, "first");
    assert_eq!(outcome(&result, "w03").outcome, Outcome::Remediated);
    // What a kill between the install and the cleanup leaves: the package still staged, and a
    // journal whose host started and never finished.
    let staged = r"C:\Windows\Temp\wsusfix\WSUS3.0SP1-KB954960-x86.exe";
    f.lab.host_state("w03").unwrap().with(|h| {
        let mut entry = h.fs.file(r"C:\Windows\WindowsUpdate.log").unwrap().clone();
        entry.path = staged.into();
        h.fs.put(entry);
    });
    assert!(f.lab.host_state("w03").unwrap().snapshot().fs.file(staged).is_some());
    let run = f.dir.path().join("cut");
    let (_, journal) = journal::RunDir::start(
        &run,
        &plan.to_yaml(),
        "plan.yaml",
        RunOptions::default(),
        vec!["w03".into()],
        UtcTime(1_795_637_700),
    )
    .unwrap();
    journal.append(&Entry::HostStart { at: UtcTime(1_795_637_701), host: "w03".into(), batch: 1 });
    drop(journal);

    let (session, plan) = Session::resume(&run, RunOptions::default()).unwrap();
    let mut request = ApplyRequest::new(plan, f.hosts.clone());
    request.probe_timeout = Duration::from_secs(3);
    let tools = ApplyTools { connector: &f.connector, advisory: &f.advisory, templates: &f.templates };
    let result = session.run(&request, tools, &AtomicBool::new(false), &mut |_| {}).unwrap();
    let h = outcome(&result, "w03");
    assert_eq!(h.outcome, Outcome::AlreadyRemediated, "{h:?}");
    assert!(h.reason.contains("the cleanup the interrupted run owed was done"), "{}", h.reason);
    assert!(!h.cleanup_pending, "{h:?}");
    assert!(f.lab.host_state("w03").unwrap().snapshot().fs.file(staged).is_none(), "the staged package is gone");
    assert_eq!(f.installs("w03"), 1, "nothing installed twice");
}

#[test]
fn a_host_another_run_holds_is_refused_and_taken_over_only_with_force() {
    let f = Fixture::start(&[("w03", "w2003-sp1-unpatched"), ("w08", "w2008-sp1-unpatched")]);
    let plan = f.plan(&f.scan(), "100%", 100);
    // Another run, from another machine, is working on w03: its mark is in the staging folder.
    let owner_file = r"C:\Windows\Temp\wsusfix\wsusfix-run\owner.txt";
    let theirs = "wsusfix run 20261111T000000Z by ctl02 pid 77";
    f.lab.host_state("w03").unwrap().with(|h| {
        h.fs.put(wsusfix_lab::host::FileEntry {
            path: owner_file.into(),
            version: None,
            modified: 0,
            content: wsusfix_lab::host::Content::Text(format!("{theirs}\r\n")),
        })
    });

    let (result, journal) = f.apply(&plan, "second-run");
    let w03 = outcome(&result, "w03");
    assert_eq!(w03.outcome, Outcome::RefusedBusy, "{w03:?}");
    assert!(w03.reason.contains(theirs) && w03.reason.contains("--force"), "{}", w03.reason);
    assert_eq!(f.installs("w03"), 0, "nothing ran on a host another run holds");
    assert_eq!(ids(&steps_of(&journal, "w03")), ["re-probe", "claim-host"]);
    let owner = f.lab.host_state("w03").unwrap().snapshot().fs.file(owner_file).map(|e| e.content.bytes());
    assert_eq!(owner, Some(format!("{theirs}\r\n").into_bytes()), "the other run's mark is left alone");
    // The other host was claimed, fixed and released.
    let w08 = outcome(&result, "w08");
    assert_eq!(w08.outcome, Outcome::Remediated, "{w08:?}");
    let w08_steps = ids(&steps_of(&journal, "w08"));
    assert_eq!((w08_steps[1], *w08_steps.last().unwrap()), ("claim-host", "release-host"), "{w08_steps:?}");
    assert!(!f.lab.host_state("w08").unwrap().snapshot().fs.exists(r"C:\Windows\Temp\wsusfix\wsusfix-run"));
    assert!(result.hosts.iter().all(|h| h.warnings.is_empty()), "{:?}", result.hosts);

    // That run died and will not be resumed: --force takes the host over and leaves no mark.
    let (result, _) = f.apply_with(&plan, "forced", |r| r.force = true);
    let w03 = outcome(&result, "w03");
    assert_eq!(w03.outcome, Outcome::Remediated, "{w03:?}");
    assert_eq!(f.installs("w03"), 1);
    assert!(!f.lab.host_state("w03").unwrap().snapshot().fs.exists(r"C:\Windows\Temp\wsusfix\wsusfix-run"));
}

/// Where the plan backs SUSDB up before the install.
const SUSDB_BEFORE: &str = r"C:\Windows\Temp\wsusfix\SUSDB-wsusfix-before.bak";

#[test]
fn susdb_is_backed_up_before_the_install_where_a_tool_exists_and_the_plan_says_why_not_elsewhere() {
    let f = Fixture::start(&[("w03", "w2003-sp1-unpatched"), ("w08e", "w2008-sp1-unpatched-elevated")]);
    let plan = f.plan(&f.scan(), "100%", 0);
    let host = |name: &str| plan.hosts.iter().find(|h| h.host == name).unwrap();
    assert!(host("w03").notes.is_empty(), "{:?}", host("w03").notes);
    assert_eq!(
        host("w08e").notes[0],
        "no sqlcmd or osql on the host: SUSDB is not backed up by the plan; back it up by other means before the window"
    );

    let (result, journal) = f.apply(&plan, "run");
    for name in ["w03", "w08e"] {
        assert_eq!(outcome(&result, name).outcome, Outcome::Remediated, "{name}: {:?}", outcome(&result, name));
    }
    // sqlcmd (on the PATH, run by its full path): the backup ran and finished before the install.
    let steps = steps_of(&journal, "w03");
    let position = |id: &str| steps.iter().position(|s| s.step == id).unwrap_or_else(|| panic!("no {id}"));
    assert!(position("backup-susdb") < position("install"));
    assert_eq!(step(&steps, "backup-susdb").judged, Judged::Ok);
    assert!(step(&steps, "backup-susdb").output_tail.contains("BACKUP DATABASE successfully processed"));
    let bak = file_text(&f, "w03", SUSDB_BEFORE).expect("SUSDB backed up before the install");
    assert!(bak.contains("database SUSDB"), "{bak}");

    // Neither tool: no backup step ran, and no backup file exists.
    let steps = steps_of(&journal, "w08e");
    assert!(!steps.iter().any(|s| s.step.starts_with("backup-susdb")), "{steps:#?}");
    assert!(file_text(&f, "w08e", SUSDB_BEFORE).is_none());
}
