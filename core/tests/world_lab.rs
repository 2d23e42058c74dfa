//! The world as it is found, over real SSH: every profile × every host language (and its code
//! page) × every kind of SSH server. A scan gives each host the verdict its profile implies, or
//! `unknown` with a reason that says what to set, and never a wrong all-clear; plan, apply and
//! a rescan end every remediable host `remediated` through every server, a 3010 behind an 8-bit
//! server included.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use wsusfix_core::advisory::Advisory;
use wsusfix_core::apply::journal::{self, Entry, RunOptions};
use wsusfix_core::apply::{ApplyRequest, ApplyTools, Session};
use wsusfix_core::assess::Verdict;
use wsusfix_core::connector::SshConnector;
use wsusfix_core::inventory::{Host, Inventory};
use wsusfix_core::outcome::Outcome;
use wsusfix_core::plan::{self, BatchPolicy, PackageFiles, PlanRequest, RtmChoice, DEFAULT_STAGING_DIR};
use wsusfix_core::scan::{self, ScanReport, ScanRequest, ScanTools};
use wsusfix_core::shell::ShellType;
use wsusfix_core::templates::Templates;
use wsusfix_core::time::UtcTime;
use wsusfix_lab::{HostSpec, Lab, LabConfig, Language, RunningLab, SshServer};

mod common;

/// The profiles whose verdict a probe decides, and that verdict.
const PROFILES: &[(&str, Verdict)] = &[
    ("w2003-sp1-unpatched", Verdict::Affected),
    ("w2008-sp1-unpatched", Verdict::Affected),
    ("w2008-sp1-unpatched-elevated", Verdict::Affected),
    ("w2008-sp1-patched", Verdict::Remediated),
    ("w2003-rtm", Verdict::AffectedRtm),
    ("w2003-sp2", Verdict::NotAffected),
    ("sbs2003-wsus2", Verdict::NotAffected),
    ("w2008-console-only", Verdict::NotAffected),
    ("w2003-no-wsus", Verdict::NotAffected),
];

struct World {
    lab: RunningLab,
    dir: tempfile::TempDir,
    hosts: Vec<Host>,
    expected: BTreeMap<String, (Verdict, SshServer)>,
    advisory: Advisory,
    templates: Templates,
    connector: SshConnector,
}

impl World {
    fn start(profiles: &[(&str, Verdict)]) -> World {
        let mut specs = Vec::new();
        let mut expected = BTreeMap::new();
        for (p, (profile, verdict)) in profiles.iter().enumerate() {
            for language in Language::ALL {
                for server in SshServer::ALL {
                    let name = format!("p{p}-{}-{}", language.tag().to_ascii_lowercase(), server.name());
                    specs.push(
                        HostSpec::new(&name, &format!("{profile}@{}+{}", language.tag(), server.name())).unwrap(),
                    );
                    expected.insert(name, (*verdict, server));
                }
            }
        }
        let lab = Lab::start(LabConfig { hosts: specs, ..LabConfig::default() }).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let artifacts = lab.write_artifacts(&dir.path().join("lab")).unwrap();
        let hosts = Inventory::load(&artifacts.inventory).unwrap().hosts;
        let advisory = Advisory::embedded();
        common::write_packages(&dir.path().join("packages"), &advisory);
        let connector = common::lab_connector(Duration::from_secs(10));
        World { lab, dir, hosts, expected, advisory, templates: Templates::embedded().unwrap(), connector }
    }

    fn scan(&self, hosts: &[Host]) -> ScanReport {
        let request = ScanRequest {
            hosts: hosts.to_vec(),
            forks: NonZeroUsize::new(16).unwrap(),
            probe_timeout: Duration::from_secs(10),
            save_facts: None,
        };
        let tools =
            ScanTools { connector: &self.connector, advisory: &self.advisory, templates: &self.templates, audit: None };
        scan::scan(&request, tools, &AtomicBool::new(false), &mut |_| {})
    }
}

#[test]
fn every_language_and_ssh_server_gets_the_right_verdict_or_says_what_to_set() {
    let world = World::start(PROFILES);
    assert_eq!(world.hosts.len(), PROFILES.len() * 5 * 4);
    for host in &world.hosts {
        let bash = world.expected[&host.name].1 == SshServer::Cygwin;
        assert_eq!(host.shell_type() == ShellType::Sh, bash, "{}: the lab's inventory names the shell", host.name);
    }

    // As an inventory that does not say which servers run bash: those hosts are unknown, with the fix.
    let unset: Vec<Host> = world
        .hosts
        .iter()
        .cloned()
        .map(|mut h| {
            h.vars.shell_type = None;
            h
        })
        .collect();
    let report = world.scan(&unset);
    for result in &report.hosts {
        let (verdict, server) = world.expected[&result.host];
        if server == SshServer::Cygwin {
            assert_eq!(result.verdict, Verdict::Unknown, "{}: {}", result.host, result.reason);
            assert!(result.reason.contains("set `ansible_shell_type: sh`"), "{}: {}", result.host, result.reason);
        } else {
            assert_eq!(result.verdict, verdict, "{}: {}", result.host, result.reason);
        }
    }

    // As the lab writes it (`ansible_shell_type: sh` where the server runs bash): every verdict right.
    let report = world.scan(&world.hosts);
    for result in &report.hosts {
        let (verdict, _) = world.expected[&result.host];
        assert_eq!(result.verdict, verdict, "{}: {}", result.host, result.reason);
        assert!(result.warnings.is_empty(), "{}: {:?}", result.host, result.warnings);
        let facts = result.facts.as_ref().unwrap();
        assert!(facts.code_page.is_some(), "{}: the code page was read", result.host);
        if result.host.contains("zh-cn") {
            assert_eq!(facts.code_page, Some(936), "{}", result.host);
        }
        if result.host.contains("freesshd") && facts.arch == Some(wsusfix_core::facts::Arch::X64) {
            assert!(facts.session_wow64, "{}: freeSSHd's shell is 32-bit on x64", result.host);
        }
        // Through `shell_type: sh` the probe travels on cmd.exe's standard input, which cmd.exe
        // reads in the console's code page: the zh-CN wording, sent as UTF-8, is not found there.
        let stdin_zh = result.host.contains("zh-cn") && result.host.contains("cygwin");
        if result.host.starts_with("p0-") && !stdin_zh {
            assert!(result.evidence.symptomatic, "{}: the symptom is found in every language", result.host);
        }
    }
    world.lab.shutdown();
}

#[test]
fn every_ssh_server_and_language_is_remediated_end_to_end() {
    let world = World::start(&PROFILES[..3]);
    for host in ["p0-zh-cn-cygwin", "p1-ja-jp-cygwin", "p2-de-de-freesshd"] {
        world.lab.host_state(host).unwrap().with(|h| h.installer.reboot_required = true);
    }
    let scan = world.scan(&world.hosts);
    assert!(scan.hosts.iter().all(|h| h.verdict == Verdict::Affected), "{:#?}", scan.hosts);
    let request = PlanRequest {
        created_from: "world_lab".into(),
        created_at: UtcTime(1_795_637_700),
        rtm: RtmChoice::Workaround,
        packages: PackageFiles::from_dir(&world.dir.path().join("packages"), &world.advisory),
        batches: BatchPolicy { serial: vec!["100%".into()], max_fail_percent: 100, pause_between_secs: 0 },
        hosts: BTreeMap::new(),
        default_staging_dir: DEFAULT_STAGING_DIR.into(),
        known_packages: BTreeMap::new(),
        allow_aliases: false,
        susdb_backup: true,
    };
    let plan = plan::build(&scan, &request, &world.advisory, &world.templates).unwrap();
    let mut apply = ApplyRequest::new(plan.clone(), world.hosts.clone());
    apply.forks = NonZeroUsize::new(16).unwrap();
    apply.probe_timeout = Duration::from_secs(10);
    apply.retry_delay = Duration::from_millis(10);
    apply.poll_interval = Some(Duration::from_millis(20));
    let run_dir = world.dir.path().join("run");
    let session = Session::start(&run_dir, &plan, &plan.to_yaml(), "plan.yaml", RunOptions::of(&apply, None)).unwrap();
    let tools = ApplyTools { connector: &world.connector, advisory: &world.advisory, templates: &world.templates };
    let result = session.run(&apply, tools, &AtomicBool::new(false), &mut |_| {}).unwrap();
    session.finish(&result).unwrap();
    for h in &result.hosts {
        assert_eq!(h.outcome, Outcome::Remediated, "{}: {}", h.host, h.reason);
        assert_eq!(h.dll_version_after.map(|v| v.to_string()).as_deref(), Some("3.1.6001.66"), "{}", h.host);
    }

    // 3010 behind Cygwin's 8-bit exit status: judged by the in-band code, the 194 recorded.
    let entries = journal::Journal::read(&run_dir.join(journal::JOURNAL_FILE)).unwrap();
    let install = |host: &str| {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::Step(s) if s.host == host && (s.step == "install" || s.step == "install-task-wait") => Some(s),
                _ => None,
            })
            .next_back()
            .unwrap_or_else(|| panic!("{host} has no install step"))
    };
    let cygwin = install("p0-zh-cn-cygwin");
    assert_eq!((cygwin.exit_code, cygwin.ssh_exit_status), (Some(3010), Some(194)), "{cygwin:#?}");
    // Through a SYSTEM task (a UAC-filtered 2008 session): the task's Last Result says 3010.
    let task = install("p1-ja-jp-cygwin");
    assert!(task.detail.contains("3010"), "{task:#?}");
    // freeSSHd sends no exit status at all: the in-band code is all there is.
    let freesshd = install("p2-de-de-freesshd");
    assert_eq!(freesshd.exit_code, Some(3010), "{freesshd:#?}");
    for host in ["p0-zh-cn-cygwin", "p1-ja-jp-cygwin", "p2-de-de-freesshd"] {
        assert!(outcome_of(&result.hosts, host).reboot_pending, "{host}");
    }

    let rescan = world.scan(&world.hosts);
    assert!(rescan.hosts.iter().all(|h| h.verdict == Verdict::Remediated), "{:#?}", rescan.hosts);
    world.lab.shutdown();
}

fn outcome_of<'a>(
    hosts: &'a [wsusfix_core::outcome::HostOutcome],
    name: &str,
) -> &'a wsusfix_core::outcome::HostOutcome {
    hosts.iter().find(|h| h.host == name).unwrap()
}

#[test]
fn awkward_text_and_exit_codes_survive_both_shell_types() {
    let specs = vec![
        HostSpec::new("via-cmd", "w2008-sp1-unpatched@zh-CN+win32-openssh").unwrap(),
        HostSpec::new("via-sh", "w2008-sp1-unpatched@zh-CN+cygwin").unwrap(),
        HostSpec::new("via-32bit", "w2008-sp1-unpatched@de-DE+freesshd").unwrap(),
    ];
    let lab = Lab::start(LabConfig { hosts: specs, ..LabConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hosts = Inventory::load(lab.write_artifacts(dir.path()).unwrap().inventory).unwrap().hosts;
    let connector = common::lab_connector(Duration::from_secs(10));
    let text = r#"echo "C:\Program Files (x86)\a & b ^ c %d% (e) 'f'""#;
    let mut outputs = Vec::new();
    for host in &hosts {
        use wsusfix_core::connector::Connector;
        let mut shell = connector.connect(host).unwrap();
        let mut out = wsusfix_core::transport::CollectSink::new(4096);
        let ended = wsusfix_core::shell::run_with_exit_code(
            &mut *shell,
            host.shell_type(),
            text,
            Duration::from_secs(10),
            &mut out,
        )
        .unwrap();
        assert_eq!(ended.in_band, Some(0), "{}", host.name);
        outputs.push(String::from_utf8_lossy(out.stdout_bytes()).into_owned());
        let mut out = wsusfix_core::transport::CollectSink::new(4096);
        let ended = wsusfix_core::shell::run_with_exit_code(
            &mut *shell,
            host.shell_type(),
            "cmd /c exit 3010",
            Duration::from_secs(10),
            &mut out,
        )
        .unwrap();
        assert_eq!(ended.code(), Some(3010), "{}: {ended:?}", host.name);
    }
    assert_eq!(outputs[0], "\"C:\\Program Files (x86)\\a & b ^ c %d% (e) 'f'\"\r\n", "the line as cmd.exe echoes it");
    assert!(outputs.iter().all(|o| *o == outputs[0]), "{outputs:#?}");
    lab.shutdown();
}
