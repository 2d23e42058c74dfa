//! The lab driven by OpenSSH's `ssh` and `scp`: banners and formats, the 2008 elevation path,
//! and every fault profile.

mod common;

use std::time::{Duration, Instant};

use common::{text, tool, wait, TestLab};

const SETUP_KEY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup";
const DLL_WQL: &str = r"C:\\Program Files\\Update Services\\WebServices\\ClientWebService\\bin\\Microsoft.UpdateServices.WebServices.Client.dll";

#[test]
fn ver_reg_wmic_sc_answer_in_the_documented_formats() {
    let Some(ssh) = tool("ssh") else { return };
    let lab = TestLab::start(&[("w03", "w2003-sp1-unpatched"), ("w08", "w2008-sp1-unpatched")]);
    let out = lab.ssh(&ssh, "w03", "ver");
    assert_eq!(out.stdout, b"\r\nMicrosoft Windows [Version 5.2.3790]\r\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    let out = lab.ssh(&ssh, "w08", "ver");
    assert_eq!(out.stdout, b"\r\nMicrosoft Windows [Version 6.0.6001]\r\n");

    let out = lab.ssh(&ssh, "w03", &format!(r#"reg query "{SETUP_KEY}" /v VersionString"#));
    assert_eq!(
        text(&out.stdout),
        format!("\r\n! REG.EXE VERSION 3.0\r\n\r\n{SETUP_KEY}\r\n    VersionString    REG_SZ    3.1.6001.65\r\n\r\n")
    );
    let out = lab.ssh(&ssh, "w08", &format!(r#"reg query "{SETUP_KEY}" /v InstallType"#));
    assert_eq!(text(&out.stdout), format!("\r\n{SETUP_KEY}\r\n    InstallType    REG_DWORD    0x1\r\n\r\n"));
    let out = lab.ssh(&ssh, "w08", r#"reg query "HKLM\SOFTWARE\Wow6432Node\Microsoft\Update Services\Server\Setup""#);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "ERROR: The system was unable to find the specified registry key or value.\r\n");

    let out = lab.ssh(
        &ssh,
        "w08",
        &format!(r#"wmic datafile where "name='{DLL_WQL}'" get LastModified,Version /value < nul"#),
    );
    assert_eq!(
        text(&out.stdout),
        "\r\r\n\r\r\nLastModified=20080220100000.000000+000\r\r\nVersion=3.1.6001.65\r\r\n\r\r\n\r\r\n\r\r\n"
    );

    let out = lab.ssh(&ssh, "w03", "sc query WsusService");
    assert!(text(&out.stdout).contains("        STATE              : 4  RUNNING \r\n"));
    let out = lab.ssh(&ssh, "w03", "sc query NoSuchService");
    assert_eq!(out.status.code(), Some(1060 & 0xFF), "OpenSSH's client keeps the low byte");
    assert!(text(&out.stdout).starts_with("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:"));

    let out = lab.ssh(&ssh, "w03", "nosuchtool /x");
    assert_eq!(out.status.code(), Some(9009 & 0xFF));
    assert!(text(&out.stderr).starts_with("'nosuchtool' is not recognized as an internal or external command,\r\n"));
}

#[test]
fn package_on_2008_needs_a_system_task() {
    let (Some(ssh), Some(scp)) = (tool("ssh"), tool("scp")) else { return };
    let lab = TestLab::start(&[("w08", "w2008-sp1-unpatched")]);
    let package = lab.dir.path().join("WSUS3.0SP1-KB954960-x64.exe");
    std::fs::write(&package, b"MZ not really a package").unwrap();
    let out = lab.scp(&scp, "w08", &package, "C:/Windows/Temp/");
    assert_eq!(out.status.code(), Some(0), "scp: {}", text(&out.stderr));

    let pkg = r"C:\Windows\Temp\WSUS3.0SP1-KB954960-x64.exe";
    let out = lab.ssh(&ssh, "w08", &format!("{pkg} /quiet /norestart"));
    assert_eq!(out.status.code(), Some(740 & 0xFF));
    assert_eq!(text(&out.stderr), "The requested operation requires elevation.\r\n");

    let create = format!(
        r#"schtasks /create /tn wsusfix-t1 /tr "cmd /c {pkg} /quiet /norestart > C:\Windows\Temp\kb.log 2>&1" /sc once /st 23:59 /ru SYSTEM /rl HIGHEST /f"#
    );
    let out = lab.ssh(&ssh, "w08", &create);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = lab.ssh(&ssh, "w08", "schtasks /run /tn wsusfix-t1");
    assert_eq!(text(&out.stdout), "SUCCESS: Attempted to run the scheduled task \"wsusfix-t1\".\r\n");
    let out = lab.ssh(&ssh, "w08", "schtasks /query /tn wsusfix-t1 /fo LIST /v");
    let listing = text(&out.stdout);
    assert!(listing.contains("Status:                               Ready\r\n"), "{listing}");
    assert!(listing.contains("Last Result:                          0\r\n"), "{listing}");
    let out = lab.ssh(
        &ssh,
        "w08",
        &format!(
            r#"wmic datafile where "name='{DLL_WQL}'" get Version /value < nul & schtasks /delete /tn wsusfix-t1 /f"#
        ),
    );
    assert!(text(&out.stdout).contains("Version=3.1.6001.66\r\r\n"), "{}", text(&out.stdout));
    let state = lab.lab.host_state("w08").unwrap().snapshot();
    assert!(state.tasks.is_empty());
}

#[test]
fn connection_faults_behave_as_named() {
    let Some(ssh) = tool("ssh") else { return };
    let lab = TestLab::start(&[
        ("unreachable", "unreachable"),
        ("hang", "hang"),
        ("drop", "drop"),
        ("auth", "auth-fail"),
        ("hostkey", "hostkey-changed"),
        ("garbage", "garbage"),
        ("slow", "slow"),
    ]);
    let hang = lab.ssh_spawn(&ssh, "hang", "ver");

    let out = lab.ssh(&ssh, "unreachable", "ver");
    assert_eq!(out.status.code(), Some(255));
    assert!(text(&out.stderr).contains("Connection refused"), "{}", text(&out.stderr));

    let out = lab.ssh(&ssh, "auth", "ver");
    assert_eq!(out.status.code(), Some(255));
    assert!(text(&out.stderr).contains("Permission denied (publickey)"), "{}", text(&out.stderr));

    let out = lab.ssh(&ssh, "hostkey", "ver");
    assert_eq!(out.status.code(), Some(255));
    assert!(text(&out.stderr).contains("REMOTE HOST IDENTIFICATION HAS CHANGED"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());

    let out = lab.ssh(&ssh, "drop", "reg query \"HKLM\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\"");
    assert_eq!(out.status.code(), Some(255), "no exit status arrives");
    assert!(!out.stdout.is_empty() && !text(&out.stdout).contains("wYukonInstalled"), "{:?}", text(&out.stdout));

    let out = lab.ssh(&ssh, "garbage", "ver");
    assert_eq!(out.status.code(), Some(0));
    assert!(std::str::from_utf8(&out.stdout).is_err(), "noise includes invalid UTF-8");
    assert!(!text(&out.stdout).contains("Microsoft Windows"));

    let start = Instant::now();
    let out = lab.ssh(&ssh, "slow", "ver");
    assert!(start.elapsed() >= Duration::from_millis(400));
    assert_eq!(out.status.code(), Some(0));

    assert!(wait(hang, Duration::from_millis(300)).is_none(), "hang never answers");
}

#[test]
fn installer_faults() {
    let (Some(ssh), Some(scp)) = (tool("ssh"), tool("scp")) else { return };
    let lab = TestLab::start(&[("busy", "installer-busy"), ("fails", "install-fails")]);
    let package = lab.dir.path().join("WSUS3.0SP1-KB954960-x86.exe");
    std::fs::write(&package, b"MZ").unwrap();
    for host in ["busy", "fails"] {
        let out = lab.scp(&scp, host, &package, "C:/WINDOWS/Temp");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let run = r"C:\WINDOWS\Temp\WSUS3.0SP1-KB954960-x86.exe /quiet /norestart";
    let codes: Vec<_> = (0..2).map(|_| lab.ssh(&ssh, "busy", run).status.code()).collect();
    assert_eq!(codes, vec![Some(1618 & 0xFF), Some(0)]);
    assert_eq!(lab.ssh(&ssh, "fails", run).status.code(), Some(1603 & 0xFF));
    let state = lab.lab.host_state("fails").unwrap().snapshot();
    let dll = state.wsus_dll_path().unwrap();
    assert_eq!(state.fs.file(&dll).unwrap().version.as_deref(), Some("3.1.6001.65"));
}
