//! Scanning a simulated fleet over real SSH: every host of every profile gets the verdict its
//! profile implies, in one run, and the fault hosts say what went wrong.

use std::num::NonZeroUsize;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use wsusfix_core::advisory::Advisory;
use wsusfix_core::assess::Verdict;
use wsusfix_core::inventory::Inventory;
use wsusfix_core::scan::{self, ScanEvent, ScanRequest, ScanTools};
use wsusfix_core::templates::Templates;
use wsusfix_lab::{mix, Lab, LabConfig};

mod common;

/// What each shipped profile must be found to be, and a word its reason must hold.
fn expected(profile: &str) -> (Verdict, &'static str) {
    match profile {
        "w2003-sp1-unpatched"
        | "w2008-sp1-unpatched"
        | "w2008-sp1-unpatched-elevated"
        | "installer-busy"
        | "install-fails"
        | "slow" => (Verdict::Affected, "older than the fixed 3.1.6001.66"),
        "w2003-rtm" => (Verdict::AffectedRtm, "RTM"),
        "w2008-sp1-patched" => (Verdict::Remediated, "3.1.6001.66"),
        "w2003-sp2" => (Verdict::NotAffected, "SP2 or later"),
        "sbs2003-wsus2" => (Verdict::NotAffected, "WSUS 2.0"),
        "w2008-console-only" => (Verdict::NotAffected, "console-only"),
        "w2003-no-wsus" => (Verdict::NotAffected, "no WSUS server role"),
        "unreachable" => (Verdict::Unreachable, "connection refused"),
        "auth-fail" => (Verdict::Unreachable, "authentication"),
        "hostkey-changed" => (Verdict::Unreachable, "host key has CHANGED"),
        "hang" => (Verdict::Unknown, "timed out"),
        "drop" => (Verdict::Unknown, "connection lost"),
        "garbage" => (Verdict::Unknown, "unparseable output"),
        other => panic!("no expectation for profile {other}"),
    }
}

#[test]
fn a_200_host_fleet_of_every_profile_gets_the_verdicts_its_profiles_imply() {
    let lab = Lab::start(LabConfig { hosts: mix(200).unwrap(), ..LabConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let artifacts = lab.write_artifacts(dir.path()).unwrap();
    let inventory = Inventory::load(&artifacts.inventory).unwrap();
    assert_eq!(inventory.hosts.len(), 200);

    let request = ScanRequest {
        hosts: inventory.hosts.clone(),
        forks: NonZeroUsize::new(32).unwrap(),
        probe_timeout: Duration::from_secs(3),
        save_facts: Some(dir.path().join("facts")),
    };
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    let connector = common::lab_connector(Duration::from_secs(5));
    let advisory = Advisory::embedded();
    let mut done = 0;
    let templates = Templates::embedded().unwrap();
    let tools = ScanTools { connector: &connector, advisory: &advisory, templates: &templates, audit: None };
    let report = scan::scan(&request, tools, &AtomicBool::new(false), &mut |e| {
        if let ScanEvent::HostDone { .. } = e {
            done += 1;
        }
    });
    assert_eq!(done, 200, "one event per host");
    assert_eq!(report.hosts.len(), 200);

    for host in &inventory.hosts {
        let profile = host.vars.lab_profile.as_ref().unwrap().to_string();
        let result = report.hosts.iter().find(|r| r.host == host.name).unwrap();
        let (verdict, word) = expected(&profile);
        assert_eq!(result.verdict, verdict, "{} ({profile}): {}", host.name, result.reason);
        assert!(result.reason.contains(word), "{} ({profile}): reason {:?} lacks {word:?}", host.name, result.reason);
        if profile == "w2003-sp1-unpatched" {
            assert!(result.evidence.symptomatic, "{}: the profile's server log holds the signature", host.name);
        }
        // A changed host key is refused before authentication: nothing was run there.
        if profile == "hostkey-changed" {
            assert_eq!(lab.host_state(&host.name).unwrap().snapshot().lines_run, 0, "{} ran a command", host.name);
        }
    }
    assert_eq!(report.outcome().exit_code(), 3);

    // The saved raw output reads back to the same verdicts offline.
    let affected = report.hosts.iter().find(|r| r.verdict == Verdict::Affected).unwrap();
    let saved = std::fs::read(dir.path().join("facts").join(format!("{}.txt", affected.host))).unwrap();
    let outcome = wsusfix_core::probe::read_output(&saved, &advisory, "C:\\Program Files\\Update Services");
    assert_eq!(wsusfix_core::assess::assess_probe(&outcome, &advisory).verdict, Verdict::Affected);
    lab.shutdown();
}

#[test]
fn scan_audit_records_one_probe_per_reached_host_and_nothing_where_the_key_changed() {
    let hosts = vec![
        wsusfix_lab::HostSpec::new("w03", "w2003-sp1-unpatched").unwrap(),
        wsusfix_lab::HostSpec::new("evil", "hostkey-changed").unwrap(),
        wsusfix_lab::HostSpec::new("gone", "unreachable").unwrap(),
    ];
    let lab = Lab::start(LabConfig { hosts, ..LabConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inventory = Inventory::load(lab.write_artifacts(dir.path()).unwrap().inventory).unwrap();
    let request = ScanRequest {
        hosts: inventory.hosts.clone(),
        forks: NonZeroUsize::new(4).unwrap(),
        probe_timeout: Duration::from_secs(3),
        save_facts: None,
    };
    let connector = common::lab_connector(Duration::from_secs(5));
    let (advisory, templates) = (Advisory::embedded(), Templates::embedded().unwrap());
    let path = dir.path().join("audit.jsonl");
    let audit = wsusfix_core::audit::AuditLog::open(&path).unwrap();
    let tools = ScanTools { connector: &connector, advisory: &advisory, templates: &templates, audit: Some(&audit) };
    let report = scan::scan(&request, tools, &AtomicBool::new(false), &mut |_| {});
    assert_eq!(report.hosts.len(), 3);
    drop(audit);
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["host"], "w03");
    assert_eq!(lines[0]["kind"], "exec");
    assert!(lines[0]["command"].as_str().unwrap().contains("::wsusfix."), "{}", lines[0]);
    assert_eq!(lines[0]["exit"]["code"], 0);
    assert!(lines[0]["bytes_out"].as_u64().unwrap() > 100);
    lab.shutdown();
}

#[test]
fn a_wrong_key_passphrase_is_named_as_such_and_the_right_one_opens_the_key() {
    if std::process::Command::new("ssh-keygen").arg("-?").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must have OpenSSH's ssh-keygen");
        eprintln!("skipped: OpenSSH's ssh-keygen is not installed");
        return;
    }
    let lab = Lab::start(LabConfig {
        hosts: vec![wsusfix_lab::HostSpec::new("w03", "w2003-sp1-unpatched").unwrap()],
        ..LabConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let artifacts = lab.write_artifacts(dir.path()).unwrap();
    // The lab's own key (the server accepts it), now with a passphrase, its `.pub` beside it.
    let key = dir.path().join("encrypted_ed25519");
    std::fs::copy(&artifacts.private_key, &key).unwrap();
    std::fs::copy(&artifacts.public_key, dir.path().join("encrypted_ed25519.pub")).unwrap();
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-p", "-P", "", "-N", "the right one", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let text = std::fs::read_to_string(&artifacts.inventory).unwrap();
    let text: String = text
        .lines()
        .map(|l| match l.trim_start().starts_with("ssh_key_file:") {
            true => format!(
                "    ssh_key_file: {}\n    ssh_key_passphrase_env: WSUSFIX_TEST_WRONG_PASSPHRASE\n",
                key.display()
            ),
            false => format!("{l}\n"),
        })
        .collect();
    std::env::set_var("WSUSFIX_TEST_WRONG_PASSPHRASE", "not the right one");
    let inventory = Inventory::parse(&text, "inventory.yaml").unwrap();
    let request = ScanRequest {
        hosts: inventory.hosts.clone(),
        forks: NonZeroUsize::new(1).unwrap(),
        probe_timeout: Duration::from_secs(3),
        save_facts: None,
    };
    let connector = common::lab_connector(Duration::from_secs(5));
    let (advisory, templates) = (Advisory::embedded(), Templates::embedded().unwrap());
    let tools = ScanTools { connector: &connector, advisory: &advisory, templates: &templates, audit: None };
    let report = scan::scan(&request, tools, &AtomicBool::new(false), &mut |_| {});
    let host = &report.hosts[0];
    assert_eq!(host.verdict, Verdict::Unreachable, "{}", host.reason);
    assert!(
        host.reason.contains("the passphrase given for key file") && host.reason.contains("does not open it"),
        "{}",
        host.reason
    );
    assert!(!host.reason.contains("not the right one"), "the passphrase never prints");
    // Without the `.pub`, libssh2 fails earlier (deriving the public key): the same words.
    std::fs::remove_file(dir.path().join("encrypted_ed25519.pub")).unwrap();
    let report = scan::scan(&request, tools, &AtomicBool::new(false), &mut |_| {});
    let reason = &report.hosts[0].reason;
    assert!(reason.contains("the passphrase given for key file") && reason.contains("does not open it"), "{reason}");
    // The right passphrase opens the key (once per run) and the host is reached.
    std::env::set_var("WSUSFIX_TEST_WRONG_PASSPHRASE", "the right one");
    let report = scan::scan(&request, tools, &AtomicBool::new(false), &mut |_| {});
    assert_eq!(report.hosts[0].verdict, Verdict::Affected, "{}", report.hosts[0].reason);
    lab.shutdown();
}
