//! One test per row of the advisory's "who is affected" table (`docs/kb954960.md`), and the edges around them.

use super::*;
use crate::facts::{ProbeProblem, RegistryView};
use crate::time::UtcTime;

const DIR: &str = "C:\\Program Files\\Update Services";

fn installed(install_type: u32, version: &str) -> WsusInstall {
    WsusInstall::Installed {
        install_type: Some(install_type),
        version: Some(version.parse().unwrap()),
        target_dir: Some(DIR.into()),
        view: RegistryView::Native,
    }
}

fn facts(wsus: WsusInstall, dll: Option<&str>) -> Facts {
    Facts {
        wsus,
        probed_wsus_dir: DIR.into(),
        dll: match dll {
            Some(v) => DllState::Present {
                version: v.parse().unwrap(),
                modified: UtcTime::parse_log_prefix("2008-08-12 09:00:00"),
            },
            None => DllState::Missing,
        },
        ..Facts::default()
    }
}

fn verdict(f: &Facts) -> Verdict {
    assess(f, &Advisory::embedded()).verdict
}

#[test]
fn sp1_without_the_update_is_affected() {
    let a = assess(&facts(installed(1, "3.1.6001.65"), Some("3.1.6001.65")), &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Affected);
    assert_eq!(a.release, Some(WsusRelease::Sp1));
    assert!(a.reason.contains("3.1.6001.65"), "{}", a.reason);
}

#[test]
fn rtm_is_affected_rtm() {
    assert_eq!(verdict(&facts(installed(1, "3.0.6000.273"), Some("3.0.6000.273"))), Verdict::AffectedRtm);
}

#[test]
fn sp1_with_the_fixed_dll_is_remediated() {
    assert_eq!(verdict(&facts(installed(1, "3.1.6001.65"), Some("3.1.6001.66"))), Verdict::Remediated);
    assert_eq!(
        verdict(&facts(installed(1, "3.1.6001.65"), Some("3.1.6001.100"))),
        Verdict::Remediated,
        "later builds count"
    );
}

#[test]
fn version_string_alone_never_proves_the_fix() {
    // The hotfix does not reliably move VersionString: only the DLL counts.
    assert_eq!(verdict(&facts(installed(1, "3.1.6001.66"), Some("3.1.6001.65"))), Verdict::Affected);
}

#[test]
fn sp2_and_later_are_not_affected() {
    assert_eq!(verdict(&facts(installed(1, "3.2.7600.226"), Some("3.2.7600.226"))), Verdict::NotAffected);
    assert_eq!(verdict(&facts(installed(1, "6.2.9200.16384"), None)), Verdict::NotAffected);
}

#[test]
fn wsus2_is_not_affected() {
    assert_eq!(verdict(&facts(installed(32, "2.0.0.2620"), None)), Verdict::NotAffected);
    let a = assess(&facts(installed(1, "2.0.0.2620"), None), &Advisory::embedded());
    assert_eq!((a.verdict, a.release), (Verdict::NotAffected, Some(WsusRelease::Wsus2)));
}

#[test]
fn sbs2003_upgraded_to_3_0_follows_its_wsus_version() {
    assert_eq!(verdict(&facts(installed(1, "3.1.6001.65"), Some("3.1.6001.65"))), Verdict::Affected);
}

#[test]
fn console_only_and_no_wsus_are_not_affected() {
    assert_eq!(verdict(&facts(installed(2, "3.1.6001.65"), None)), Verdict::NotAffected);
    let a = assess(&facts(WsusInstall::NotInstalled, None), &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::NotAffected);
    assert!(a.reason.contains("no WSUS server role"));
}

#[test]
fn what_cannot_be_decided_is_unknown_with_a_reason() {
    let a = assess(&facts(installed(1, "3.1.6001.65"), None), &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Unknown);
    assert!(a.reason.contains("was not found"), "{}", a.reason);

    let mut f = facts(
        WsusInstall::Installed {
            install_type: Some(1),
            version: Some("3.1.6001.65".parse().unwrap()),
            target_dir: Some("D:\\WSUS".into()),
            view: RegistryView::Wow64,
        },
        None,
    );
    let a = assess(&f, &Advisory::embedded());
    assert!(a.reason.contains("set the host's wsus_dir to it"), "{}", a.reason);

    f.wsus = WsusInstall::Unknown;
    f.problems.push(ProbeProblem {
        section: "reg-native".into(),
        message: "the command reported an error: \"ERROR: Access is denied.\"".into(),
    });
    let a = assess(&f, &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Unknown);
    assert!(a.reason.contains("Access is denied"), "{}", a.reason);

    assert_eq!(verdict(&facts(installed(7, "3.1.6001.65"), None)), Verdict::Unknown);
    assert_eq!(verdict(&facts(installed(1, "1.0.0.0"), None)), Verdict::Unknown);
    let mut f = facts(installed(1, "3.1.6001.65"), None);
    f.dll = DllState::Unknown;
    assert_eq!(verdict(&f), Verdict::Unknown);
}

#[test]
fn symptoms_mark_the_host_symptomatic() {
    let mut f = facts(installed(1, "3.1.6001.65"), Some("3.1.6001.65"));
    f.server_log = LogEvidence {
        log_found: true,
        matches: 42,
        last_line: Some("...".into()),
        last_time: UtcTime::parse_log_prefix("2008-07-02 10:15:31"),
    };
    let a = assess(&f, &Advisory::embedded());
    assert!(a.evidence.symptomatic);
    assert_eq!(a.evidence.server_log.matches, 42);
    assert!(a.warnings.is_empty());
}

#[test]
fn symptoms_after_the_fix_warn_without_changing_the_verdict() {
    let mut f = facts(installed(1, "3.1.6001.65"), Some("3.1.6001.66"));
    f.server_log = LogEvidence {
        log_found: true,
        matches: 3,
        last_line: None,
        last_time: UtcTime::parse_log_prefix("2008-09-01 00:00:00"),
    };
    let a = assess(&f, &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Remediated);
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
    assert!(a.warnings[0].contains("after the fixed DLL was written"));

    f.server_log.last_time = UtcTime::parse_log_prefix("2008-07-01 00:00:00");
    assert!(assess(&f, &Advisory::embedded()).warnings.is_empty(), "old symptoms before the fix are history");
}

#[test]
fn verdicts_serialise_in_kebab_case() {
    let names: Vec<String> = Verdict::ALL.iter().map(|v| serde_json::to_string(v).unwrap()).collect();
    assert_eq!(
        names,
        ["\"affected\"", "\"affected-rtm\"", "\"unknown\"", "\"unreachable\"", "\"remediated\"", "\"not-affected\""]
    );
}

/// A host whose registry shows no WSUS: each piece of contrary evidence forbids `not-affected`.
#[test]
fn no_setup_key_but_the_dll_is_there_is_unknown_never_not_affected() {
    let a = assess(&facts(WsusInstall::NotInstalled, Some("3.1.6001.65")), &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Unknown);
    assert!(a.reason.contains("client web service DLL is there (version 3.1.6001.65, older than"), "{}", a.reason);
}

#[test]
fn no_setup_key_but_wsusservice_installed_is_unknown() {
    let mut f = facts(WsusInstall::NotInstalled, None);
    f.services
        .push(crate::facts::ServiceStatus { name: "WsusService".into(), state: crate::facts::ServiceState::Running });
    let a = assess(&f, &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Unknown);
    assert!(a.reason.contains("WsusService service is installed"), "{}", a.reason);
}

#[test]
fn no_setup_key_but_the_symptom_logged_is_unknown() {
    let mut f = facts(WsusInstall::NotInstalled, None);
    f.server_log.matches = 3;
    let a = assess(&f, &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Unknown);
    assert!(a.reason.contains("server log holds the symptom"), "{}", a.reason);
}

#[test]
fn a_32_bit_session_says_what_to_change() {
    let mut f = facts(WsusInstall::NotInstalled, Some("3.1.6001.65"));
    f.session_wow64 = true;
    let a = assess(&f, &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Unknown);
    assert!(a.reason.contains("32-bit shell on 64-bit Windows"), "{}", a.reason);
}

#[test]
fn no_setup_key_and_nothing_else_is_not_affected() {
    let mut f = facts(WsusInstall::NotInstalled, None);
    f.services.push(crate::facts::ServiceStatus {
        name: "WsusService".into(),
        state: crate::facts::ServiceState::NotInstalled,
    });
    assert_eq!(verdict(&f), Verdict::NotAffected);
}

#[test]
fn a_pending_restart_is_a_warning_never_a_verdict() {
    use crate::facts::{RebootPending, RebootSource};
    let pending = RebootPending { sources: vec![RebootSource::PendingFileRenameOperations] };
    let mut fixed = facts(installed(1, "3.1.6001.65"), Some("3.1.6001.66"));
    fixed.reboot_pending = Some(pending.clone());
    let a = assess(&fixed, &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Remediated);
    assert!(
        a.warnings.iter().any(|w| w.contains("a restart is pending (PendingFileRenameOperations)")),
        "{:?}",
        a.warnings
    );
    let mut unfixed = facts(installed(1, "3.1.6001.65"), Some("3.1.6001.65"));
    unfixed.reboot_pending = Some(pending.clone());
    let a = assess(&unfixed, &Advisory::embedded());
    assert_eq!(a.verdict, Verdict::Affected, "a pending restart does not make a host fixed");
    assert!(a.warnings.iter().any(|w| w.contains("restart the host before installing")), "{:?}", a.warnings);
    let mut none = facts(WsusInstall::NotInstalled, None);
    none.reboot_pending = Some(pending);
    assert!(assess(&none, &Advisory::embedded()).warnings.is_empty());
}
