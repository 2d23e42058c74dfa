use super::*;
use crate::advisory::Advisory;

fn with(expect: &Expect, code: Option<i32>, text: &str) -> Judgement {
    let advisory = Advisory::embedded();
    let ctx = JudgeContext { exit_codes: &advisory.exit_codes, install_started: None };
    judge(expect, &Observed { exit_code: code, text, newest_log_time: None }, &ctx)
}

const DIR: &str = " Volume in drive C has no label.\r\n Volume Serial Number is 1C2D-3E4F\r\n\r\n Directory of C:\\\r\n\r\n08/14/2008  09:00 AM    <DIR>          WINDOWS\r\n               0 File(s)              0 bytes\r\n               3 Dir(s)     21474836480 bytes free\r\n";

#[test]
fn free_bytes_with_and_without_separators() {
    assert_eq!(parse_free_bytes(DIR), Some(21_474_836_480));
    assert_eq!(parse_free_bytes("               3 Dir(s)  21,474,836,480 bytes free\r\n"), Some(21_474_836_480));
    assert_eq!(parse_free_bytes("               3 Dir(s)  21.474.836.480 bytes free\r\n"), Some(21_474_836_480));
    assert_eq!(parse_free_bytes("               3 Dir(s)  21 474 836 480 bytes free\r\n"), Some(21_474_836_480));
    assert_eq!(parse_free_bytes("The system cannot find the path specified.\r\n"), None);
    let e = Expect::FreeBytes { at_least: 209_715_200 };
    assert_eq!(with(&e, Some(0), DIR).judged, Judged::Ok);
    let small = DIR.replace("21474836480", "1048576");
    let j = with(&e, Some(0), &small);
    assert_eq!(j.judged, Judged::Failed);
    assert!(j.detail.contains("only 1048576 bytes free"), "{}", j.detail);
}

const SC_RUNNING: &str = "\r\nSERVICE_NAME: WsusService\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 4  RUNNING\r\n                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n";

#[test]
fn services_in_concatenated_sc_output() {
    let e = Expect::ServicesRunning { services: vec!["WsusService".into(), "W3SVC".into()] };
    let both = format!(
        "{SC_RUNNING}{}",
        SC_RUNNING.replace("WsusService", "W3SVC").replace("10  WIN32_OWN", "20  WIN32_SHARE")
    );
    assert_eq!(with(&e, Some(0), &both).judged, Judged::Ok);
    let stopped =
        format!("{SC_RUNNING}{}", SC_RUNNING.replace("WsusService", "W3SVC").replace("4  RUNNING", "1  STOPPED"));
    let j = with(&e, Some(0), &stopped);
    assert_eq!((j.judged, j.detail.as_str()), (Judged::Failed, "W3SVC is Stopped"));
    let missing = format!("{SC_RUNNING}[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n");
    let j = with(&e, Some(1060), &missing);
    assert!(j.detail.contains("W3SVC is not installed"), "{}", j.detail);
}

#[test]
fn certutil_hash_old_and_new_formats() {
    let old = "SHA1 hash of file C:\\Windows\\Temp\\wsusfix\\x.exe:\r\nac 2a f4 f1 eb 81 82 0b e8 ee aa 4d 42 09 53 8e 63 9e 1f e9\r\nCertUtil: -hashfile command completed successfully.\r\n";
    let e = Expect::Hash { algorithm: "SHA1".into(), value: "AC2AF4F1EB81820BE8EEAA4D4209538E639E1FE9".into() };
    assert_eq!(with(&e, Some(0), old).judged, Judged::Ok);
    let new = "SHA1 hash of C:\\x.exe:\r\nac2af4f1eb81820be8eeaa4d4209538e639e1fe9\r\nCertUtil: -hashfile command completed successfully.\r\n";
    assert_eq!(with(&e, Some(0), new).judged, Judged::Ok);
    let other = old.replace("ac 2a", "ff 2a");
    assert!(with(&e, Some(0), &other).detail.contains("corrupt"));
    let missing = "CertUtil: -hashfile command FAILED: 0x80070002 (WIN32: 2)\r\nCertUtil: The system cannot find the file specified.\r\n";
    let j = with(&e, Some(-2_147_024_894), missing);
    assert_eq!(j.judged, Judged::Failed);
    assert!(j.detail.contains("0x80070002"), "{}", j.detail);
}

#[test]
fn installer_codes_by_the_advisory() {
    let e = Expect::Installer;
    assert_eq!(with(&e, Some(0), "").judged, Judged::Ok);
    let reboot = with(&e, Some(3010), "");
    assert!(reboot.reboot_pending && reboot.judged == Judged::Ok);
    assert_eq!(with(&e, Some(1618), "").judged, Judged::Retry);
    assert_eq!(with(&e, Some(740), "").judged, Judged::Fallback);
    let failed = with(&e, Some(1603), "");
    assert_eq!(
        (failed.judged, failed.detail.as_str()),
        (Judged::Failed, "installer exit code 1603 (fatal error during installation)")
    );
    assert_eq!(with(&e, None, "").judged, Judged::Failed);
}

const TASK_2008: &str = "\r\nFolder: \\\r\nHostName:                             WSUS02\r\nTaskName:                             \\wsusfix-kb954960\r\nNext Run Time:                        8/14/2008 11:59:00 PM\r\nStatus:                               Ready\r\nLogon Mode:                           Interactive/Background\r\nLast Run Time:                        8/14/2008 9:00:05 AM\r\nLast Result:                          0\r\nTask To Run:                          C:\\Windows\\Temp\\wsusfix\\WSUS3.0SP1-KB954960-x64.exe /quiet /norestart\r\n";

#[test]
fn task_status_is_read_tolerantly() {
    let e = Expect::TaskFinished { poll_secs: 5 };
    assert_eq!(with(&e, Some(0), TASK_2008).judged, Judged::Ok);
    let running = TASK_2008.replace("Ready", "Running");
    assert_eq!(with(&e, Some(0), &running).judged, Judged::Pending);
    let not_run =
        TASK_2008.replace("Last Result:                          0", "Last Result:                          267011");
    assert_eq!(with(&e, Some(0), &not_run).judged, Judged::Pending);
    let hex =
        TASK_2008.replace("Last Result:                          0", "Last Run Result:                      0x643");
    let j = with(&e, Some(0), &hex);
    assert_eq!(j.judged, Judged::Failed);
    assert!(j.detail.contains("1603"), "{}", j.detail);
    let busy =
        TASK_2008.replace("Last Result:                          0", "Last Result:                          1618");
    assert_eq!(with(&e, Some(0), &busy).judged, Judged::Retry);
    let never = TASK_2008.replace("8/14/2008 9:00:05 AM", "Never");
    assert_eq!(with(&e, Some(0), &never).judged, Judged::Pending);
    assert_eq!(with(&e, Some(1), "ERROR: The system cannot find the file specified.\r\n").judged, Judged::Pending);
    assert_eq!(parse_task_status("Last Result: 0x80070005").last_result, Some(0x8007_0005));
}

#[test]
fn dll_version_is_the_proof() {
    let e = Expect::DllAtLeast { version: FileVersion::new(3, 1, 6001, 66) };
    let fixed = with(&e, Some(0), "\r\r\n\r\r\nVersion=3.1.6001.66\r\r\n\r\r\n");
    assert_eq!((fixed.judged, fixed.dll_version), (Judged::Ok, Some(FileVersion::new(3, 1, 6001, 66))));
    let old = with(&e, Some(0), "\r\r\n\r\r\nVersion=3.1.6001.65\r\r\n\r\r\n");
    assert_eq!(old.judged, Judged::Failed);
    assert!(old.detail.contains("still 3.1.6001.65"));
    assert_eq!(with(&e, Some(0), "No Instance(s) Available.\r\r\n").judged, Judged::Failed);
}

#[test]
fn wsus_version_from_reg_query_2003_and_2008() {
    let e = Expect::WsusVersionAtLeast { version: FileVersion::new(3, 1, 0, 0) };
    let w2008 = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\r\n    VersionString    REG_SZ    3.1.6001.65\r\n\r\n";
    assert_eq!(with(&e, Some(0), w2008).judged, Judged::Ok);
    let w2003 = "\r\n! REG.EXE VERSION 3.0\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\r\n    VersionString\tREG_SZ\t3.0.6000.273\r\n\r\n";
    assert_eq!(with(&e, Some(0), w2003).judged, Judged::Failed);
    let gone = "ERROR: The system was unable to find the specified registry key or value.\r\n";
    assert_eq!(with(&e, Some(1), gone).detail, "the WSUS Setup key is gone");
}

#[test]
fn new_symptoms_are_a_warning() {
    let line = "2008-08-14 09:10:00.123 UTC\tError\tw3wp.8\tClientImplementation.SyncUpdates\tSystem.ArgumentException: Item has already been added.";
    let newest = log_line_time(line);
    assert_eq!(log_line_time(&format!("C:\\x\\SoftwareDistribution.log:{line}")), newest);
    let advisory = Advisory::embedded();
    let at = |s| UtcTime::parse_log_prefix(s);
    let judge_at = |start| {
        let ctx = JudgeContext { exit_codes: &advisory.exit_codes, install_started: at(start) };
        judge(&Expect::NoNewSymptoms, &Observed { exit_code: Some(0), text: line, newest_log_time: newest }, &ctx)
            .judged
    };
    assert_eq!(judge_at("2008-08-14 09:00:00"), Judged::Warning);
    assert_eq!(judge_at("2008-08-14 09:20:00"), Judged::Ok);
}

#[test]
fn output_contains_and_exit_zero() {
    let e = Expect::OutputContains { text: "staged".into() };
    assert_eq!(with(&e, Some(0), "staged\r\n").judged, Judged::Ok);
    assert_eq!(with(&e, Some(0), "missing\r\n").judged, Judged::Failed);
    let j = with(&Expect::Success, Some(1), "ERROR: Access is denied.\r\n");
    assert_eq!(j.detail, "exit code 1 (\"ERROR: Access is denied.\")");
    assert_eq!(with(&Expect::Anything, Some(5), "").judged, Judged::Ok);
}

#[test]
fn task_state_from_csv_in_any_language() {
    let codes = crate::advisory::Advisory::embedded().exit_codes;
    let line = |status: &str, result: &str| {
        format!("\"WSUS01\",\"\\\\wsusfix-install\",\"N/A\",\"{status}\",\"交互方式/后台\",\"2008/8/14 9:00:00\",\"{result}\",\"SYSTEM\",\"C:\\\\x.exe /quiet\"\r\n")
    };
    let ctx = JudgeContext { exit_codes: &codes, install_started: None };
    let judge_line = |text: &str| {
        judge(
            &Expect::TaskFinished { poll_secs: 5 },
            &Observed { exit_code: Some(0), text, newest_log_time: None },
            &ctx,
        )
    };
    assert_eq!(judge_line(&line("正在运行", "267009")).judged, Judged::Pending);
    assert_eq!(judge_line(&line("就绪", "267011")).judged, Judged::Pending);
    assert_eq!(judge_line(&line("就绪", "0")).judged, Judged::Ok);
    assert_eq!(judge_line(&line("Bereit", "3010")).judged, Judged::Ok);
    assert_eq!(judge_line(&line("Prêt", "1603")).judged, Judged::Failed);
}

#[test]
fn free_space_from_wmic_in_any_language() {
    assert_eq!(parse_free_bytes("\r\r\n\r\r\nFreeSpace=52428800000\r\r\n\r\r\n"), Some(52_428_800_000));
    assert_eq!(parse_free_bytes("              3 Dir(s)  52,428,800,000 bytes free"), Some(52_428_800_000));
}
