//! Interpreter tests with realistic outputs, one host profile at a time.

use super::*;
use crate::host::Token;
use crate::profile::Profile;

fn host(profile: &str) -> HostState {
    Profile::builtin(profile).unwrap().instantiate("wsus01").unwrap()
}

fn run(h: &mut HostState, line: &str) -> Output {
    let token = h.token;
    run_line(h, line, Principal::User(token))
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn ver_and_echo_spacing() {
    let mut h = host("w2003-sp1-unpatched");
    let o = run(&mut h, "echo x& ver");
    assert_eq!(out(&o), "x\r\n\r\nMicrosoft Windows [Version 5.2.3790]\r\n");
    let o = run(&mut h, "echo x & echo.& echo");
    assert_eq!(out(&o), "x \r\n\r\nECHO is on.\r\n");
    let mut h = host("w2008-sp1-unpatched");
    assert_eq!(out(&run(&mut h, "ver")), "\r\nMicrosoft Windows [Version 6.0.6001]\r\n");
}

#[test]
fn variables_expand_once_and_undefined_stay_literal() {
    let mut h = host("w2003-sp1-unpatched");
    let o = run(&mut h, "echo %PROCESSOR_ARCHITECTURE% %PROCESSOR_ARCHITEW6432% 2>&1 && echo ok");
    assert_eq!(out(&o), "x86 %PROCESSOR_ARCHITEW6432% \r\nok\r\n");
    let o = run(&mut h, "findstr x nofile.txt & echo %errorlevel%");
    assert_eq!(out(&o), "0\r\n", "errorlevel expands before the line runs");
    assert_eq!(o.exit_code, 1, "echo leaves errorlevel alone; cmd /c returns it");
    let mut h = host("w2008-sp1-unpatched");
    assert_eq!(out(&run(&mut h, "echo %windir%;%ProgramW6432%")), "C:\\Windows;C:\\Program Files\r\n");
}

#[test]
fn unknown_command() {
    let mut h = host("w2003-no-wsus");
    let o = run(&mut h, "powershell -c 1");
    assert_eq!(
        err(&o),
        "'powershell' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
    );
    assert_eq!(o.exit_code, 9009);
    let o = run(&mut h, "whoami /groups");
    assert_eq!(o.exit_code, 9009, "no support tools on this 2003 profile");
}

#[test]
fn reg_query_2003_banner_and_2008_layout() {
    let mut h = host("w2003-sp1-unpatched");
    let o = run(&mut h, r#"reg query "HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup" /v VersionString"#);
    assert_eq!(
        out(&o),
        "\r\n! REG.EXE VERSION 3.0\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\r\n    VersionString    REG_SZ    3.1.6001.65\r\n\r\n"
    );
    let mut h = host("w2008-sp1-unpatched");
    let o = run(&mut h, r#"reg query "HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup""#);
    let text = out(&o);
    assert!(text.starts_with("\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\r\n    InstallType    REG_DWORD    0x1\r\n"), "{text}");
    assert!(text.contains("    TargetDir    REG_SZ    C:\\Program Files\\Update Services\\\r\n"));
    assert!(text.contains("    wYukonInstalled    REG_DWORD    0x1\r\n"));
    let o = run(&mut h, r#"reg query "HKLM\SOFTWARE\Wow6432Node\Microsoft\Update Services\Server\Setup" 2>&1"#);
    assert_eq!(out(&o), "ERROR: The system was unable to find the specified registry key or value.\r\n");
    assert_eq!(o.exit_code, 1);
}

#[test]
fn wmic_datafile_and_os() {
    let mut h = host("w2003-sp1-unpatched");
    let dll = r"C:\\Program Files\\Update Services\\WebServices\\ClientWebService\\bin\\Microsoft.UpdateServices.WebServices.Client.dll";
    let o = run(&mut h, &format!(r#"wmic datafile where "name='{dll}'" get Version /value < nul"#));
    assert_eq!(out(&o), "\r\r\n\r\r\nVersion=3.1.6001.65\r\r\n\r\r\n\r\r\n\r\r\n");
    let o = run(&mut h, &format!(r#"wmic datafile where "name='{dll}'" get Version,LastModified /value < nul"#));
    assert_eq!(
        out(&o),
        "\r\r\n\r\r\nLastModified=20080220100000.000000+000\r\r\nVersion=3.1.6001.65\r\r\n\r\r\n\r\r\n\r\r\n"
    );
    let o = run(&mut h, r#"wmic datafile where "name='C:\\nope.dll'" get Version /value < nul"#);
    assert_eq!(out(&o), "No Instance(s) Available.\r\n");
    let o = run(&mut h, "wmic os get Caption,Version /value < nul");
    assert!(
        out(&o).contains("Caption=Microsoft(R) Windows(R) Server 2003, Standard Edition\r\r\nVersion=5.2.3790\r\r\n")
    );
    let o = run(&mut h, "wmic os get Caption,OSArchitecture /value < nul");
    assert_ne!(o.exit_code, 0);
    assert!(err(&o).contains("Invalid query"));
    let mut h = host("w2008-sp1-unpatched");
    let o = run(&mut h, "wmic os get Caption,OSArchitecture,Version /value < nul");
    assert_eq!(o.stdout, b"\r\r\n\r\r\nCaption=Microsoft\xA9 Windows Server\xA9 2008 Enterprise \r\r\nOSArchitecture=64-bit\r\r\nVersion=6.0.6001\r\r\n\r\r\n\r\r\n\r\r\n");
}

#[test]
fn sc_query_formats() {
    let mut h = host("w2003-sp1-unpatched");
    let o = run(&mut h, "sc query WsusService");
    assert_eq!(
        out(&o),
        "\r\nSERVICE_NAME: WsusService\r\n        TYPE               : 10  WIN32_OWN_PROCESS  \r\n        STATE              : 4  RUNNING \r\n                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n\r\n"
    );
    let o = run(&mut h, "net stop WsusService & sc query WsusService");
    assert!(out(&o).starts_with(
        "The Update Services service is stopping.\r\nThe Update Services service was stopped successfully.\r\n"
    ));
    assert!(out(&o).contains("STATE              : 1  STOPPED \r\n        WIN32_EXIT_CODE"));
    let mut h = host("w2003-no-wsus");
    let o = run(&mut h, "sc query WsusService");
    assert!(out(&o).starts_with("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n"));
    assert_eq!(o.exit_code, 1060);
}

#[test]
fn findstr_counts_signature_lines() {
    let mut h = host("w2003-sp1-unpatched");
    let log = r"C:\Program Files\Update Services\LogFiles\SoftwareDistribution.log";
    let o = run(&mut h, &format!(r#"findstr /i /c:"item has already been added" "{log}""#));
    assert_eq!(o.exit_code, 0);
    assert_eq!(out(&o).lines().count(), 3);
    assert!(out(&o).starts_with("2008-07-02 10:15:31.123 UTC\tError\tw3wp.8\tClientImplementation.SyncUpdates\tSystem.ArgumentException: Item has already been added. Key in dictionary: '1234'  Key being added: '1234'\r\n"));
    let o = run(&mut h, r#"findstr /n /c:"0x8024400E" "%windir%\WindowsUpdate.log""#);
    assert!(out(&o).starts_with("401:2008-08-14\t08:30:12:345"), "{}", out(&o));
    let o = run(&mut h, r#"findstr /i /c:"nothing like this" "C:\nope.log" 2>&1"#);
    assert_eq!(out(&o), "FINDSTR: Cannot open C:\\nope.log\r\n");
    assert_eq!(o.exit_code, 1);
    let mut clean = host("w2003-sp2");
    let o = run(&mut clean, &format!(r#"findstr /i /c:"item has already been added" "{log}""#));
    assert_eq!((o.exit_code, o.stdout.len()), (1, 0));
}

#[test]
fn whoami_labels() {
    let mut h = host("w2008-sp1-unpatched");
    let o = run(&mut h, "whoami /groups");
    assert!(out(&o).contains("Mandatory Label\\Medium Mandatory Level"));
    assert!(out(&o).contains("S-1-16-8192"));
    let mut h = host("w2008-sp1-unpatched-elevated");
    let o = run(&mut h, "whoami /groups");
    assert!(out(&o).contains("Mandatory Label\\High Mandatory Level       Label            S-1-16-12288 "));
}

#[test]
fn files_copy_type_del_if_exist() {
    let mut h = host("w2003-no-wsus");
    let o = run(
        &mut h,
        r#"mkdir C:\wsusfix & echo hello> C:\wsusfix\a.txt & copy /y C:\wsusfix\a.txt C:\wsusfix\b.txt & type C:\wsusfix\b.txt"#,
    );
    assert_eq!(out(&o), "        1 file(s) copied.\r\nhello\r\n");
    let o = run(&mut h, r#"if exist "C:\wsusfix\b.txt" (echo yes) else (echo no)"#);
    assert_eq!(out(&o), "yes\r\n");
    let o = run(&mut h, r#"del /q C:\wsusfix\b.txt & if exist "C:\wsusfix\b.txt" (echo yes) else (echo no)"#);
    assert_eq!(out(&o), "no\r\n");
    let o = run(&mut h, r#"echo more>> C:\wsusfix\a.txt & type C:\wsusfix\a.txt | findstr more"#);
    assert_eq!(out(&o), "more\r\n");
    let o = run(&mut h, r#"certutil -hashfile C:\wsusfix\a.txt SHA1"#);
    assert!(out(&o).starts_with("SHA1 hash of file C:\\wsusfix\\a.txt:\r\n"), "{}", out(&o));
    let o = run(&mut h, "dir C:\\wsusfix");
    assert!(out(&o).contains("bytes free\r\n"), "{}", out(&o));
    let o = run(&mut h, "type C:\\nope.txt");
    assert_eq!((err(&o).as_str(), o.exit_code), ("The system cannot find the file specified.\r\n", 1));
}

#[test]
fn probe_section_runs_like_cmd() {
    let mut h = host("w2008-sp1-unpatched");
    let line = "echo ::wsusfix:probe:1 & (echo ::wsusfix:ver& ver 2>&1 && echo ::wsusfix:ok|| echo ::wsusfix:fail) & (echo ::wsusfix:reg& reg query \"HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\Update Services\\Server\\Setup\" 2>&1 && echo ::wsusfix:ok|| echo ::wsusfix:fail) & echo ::wsusfix:end";
    let o = run(&mut h, line);
    assert_eq!(
        out(&o),
        "::wsusfix:probe:1 \r\n::wsusfix:ver\r\n\r\nMicrosoft Windows [Version 6.0.6001]\r\n::wsusfix:ok\r\n::wsusfix:reg\r\nERROR: The system was unable to find the specified registry key or value.\r\n::wsusfix:fail\r\n::wsusfix:end\r\n"
    );
    assert!(o.stderr.is_empty());
}

fn dll_version(h: &mut HostState) -> String {
    let dll = h.wsus_dll_path().unwrap();
    h.fs.file(&dll).unwrap().version.clone().unwrap_or_default()
}

#[test]
fn package_needs_elevation_on_2008_and_runs_as_system_task() {
    let mut h = host("w2008-sp1-unpatched");
    run(&mut h, r#"echo MZ> "%TEMP%\WSUS3.0SP1-KB954960-x64.exe""#);
    let o = run(&mut h, r#""%TEMP%\WSUS3.0SP1-KB954960-x64.exe" /quiet /norestart"#);
    assert_eq!(o.exit_code, 740);
    assert_eq!(err(&o), "The requested operation requires elevation.\r\n");
    let create = r#"schtasks /create /tn wsusfix-1 /tr "cmd /c C:\Users\admin\AppData\Local\Temp\WSUS3.0SP1-KB954960-x64.exe /quiet /norestart > C:\Windows\Temp\kb.log 2>&1" /sc once /st 23:59 /ru SYSTEM /rl HIGHEST /f"#;
    let o = run(&mut h, create);
    assert_eq!(out(&o), "SUCCESS: The scheduled task \"wsusfix-1\" has successfully been created.\r\n");
    let o = run(&mut h, "schtasks /run /tn wsusfix-1 & schtasks /query /tn wsusfix-1 /fo LIST /v");
    assert!(out(&o).contains("Status:                               Running\r\n"), "{}", out(&o));
    assert!(out(&o).contains("Last Result:                          267011\r\n"));
    let o = run(&mut h, "schtasks /query /tn wsusfix-1 /fo LIST /v");
    assert!(out(&o).contains("Status:                               Ready\r\n"), "{}", out(&o));
    assert!(out(&o).contains("Last Result:                          0\r\n"));
    assert_eq!(dll_version(&mut h), "3.1.6001.66");
    let o = run(&mut h, "schtasks /delete /tn wsusfix-1 /f & schtasks /query /tn wsusfix-1");
    assert_eq!(o.exit_code, 1);
    assert_eq!(h.token, Token::Filtered);
}

#[test]
fn schtasks_2003_rejects_rl_and_f() {
    let mut h = host("w2003-sp1-unpatched");
    let o = run(&mut h, r#"schtasks /create /tn t /tr "cmd /c ver" /sc once /st 23:59 /ru SYSTEM /rl HIGHEST /f"#);
    assert_eq!(o.exit_code, 1);
    assert!(err(&o).starts_with("ERROR: Invalid argument/option - '/rl'."));
    let o = run(&mut h, r#"schtasks /create /tn t /tr "cmd /c ver" /sc once /st 23:59 /ru SYSTEM"#);
    assert_eq!(o.exit_code, 0);
}

#[test]
fn package_outcomes_by_profile() {
    let cases = [
        ("w2003-sp1-unpatched", "WSUS3.0SP1-KB954960-x86.exe", vec![0]),
        ("w2003-rtm", "WSUS3.0SP1-KB954960-x86.exe", vec![1642]),
        ("w2003-sp1-unpatched", "WSUS3.0SP1-KB954960-x64.exe", vec![1642]),
        ("installer-busy", "WSUS3.0SP1-KB954960-x86.exe", vec![1618, 0]),
        ("install-fails", "WSUS3.0SP1-KB954960-x86.exe", vec![1603, 1603]),
        ("w2008-sp1-unpatched-elevated", "WSUS3.0SP1-KB954960-x64.exe", vec![0, 0]),
    ];
    for (profile, package, codes) in cases {
        let mut h = host(profile);
        let before = dll_version(&mut h);
        run(&mut h, &format!(r"echo MZ> C:\{package}"));
        for want in &codes {
            let o = run(&mut h, &format!(r"C:\{package} /quiet /norestart"));
            assert_eq!(o.exit_code, *want, "{profile}");
        }
        let after = dll_version(&mut h);
        if codes.last() == Some(&0) {
            assert_eq!(after, "3.1.6001.66", "{profile}");
        } else {
            assert_eq!(after, before, "{profile}");
        }
        let log = format!(r"{}\{}.log", h.windir(), package.trim_end_matches(".exe"));
        assert!(h.fs.file(&log).is_some(), "{profile}: no package log");
    }
}

#[test]
fn a_package_that_needs_a_restart_exits_3010_from_a_profile_or_a_switch() {
    let yaml = "extends: w2003-sp1-unpatched\ninstaller: { reboot_required: true }\n";
    let mut from_profile =
        Profile::from_yaml("needs-restart", "needs-restart.yaml", yaml).unwrap().instantiate("w").unwrap();
    let mut switched = host("w2008-sp1-unpatched-elevated");
    switched.installer.reboot_required = true;
    for (h, package) in
        [(&mut from_profile, "WSUS3.0SP1-KB954960-x86.exe"), (&mut switched, "WSUS3.0SP1-KB954960-x64.exe")]
    {
        assert!(h.installer.reboot_required);
        run(h, &format!(r"echo MZ> C:\{package}"));
        let o = run(h, &format!(r"C:\{package} /quiet /norestart"));
        assert_eq!(o.exit_code, 3010, "success, restart required");
        assert_eq!(dll_version(h), "3.1.6001.66", "the DLL is replaced all the same");
        let log = format!(r"{}\{}.log", h.windir(), package.trim_end_matches(".exe"));
        let text = String::from_utf8_lossy(&h.fs.file(&log).unwrap().content.bytes()).into_owned();
        assert!(text.contains("update applied") && text.contains("restart is required"), "{text}");
        assert!(h.shutdowns.is_empty(), "the installer asks for a restart; it does not restart");
    }
}

#[test]
fn uninstall_keeping_data_then_reinstall_sp1() {
    let mut h = host("w2003-sp1-unpatched");
    run(
        &mut h,
        r"echo MZ> C:\WSUSSetup.exe & echo MZ> C:\WSUS3.0SP1-KB954960-x86.exe & C:\WSUS3.0SP1-KB954960-x86.exe /quiet",
    );
    assert_eq!(dll_version(&mut h), "3.1.6001.66");
    let o = run(&mut h, r"C:\WSUSSetup.exe /q /u DELETE_DATABASE=0 DELETE_CONTENT=0 DELETE_LOGS=0");
    assert_eq!(o.exit_code, 0);
    assert!(h.wsus_setup_key().is_none());
    assert!(h.service("WsusService").is_none());
    assert!(h.fs.file(r"C:\Program Files\Update Services\LogFiles\SoftwareDistribution.log").is_some());
    let o = run(&mut h, r"C:\WSUSSetup.exe /q CREATE_DATABASE=0 CONTENT_LOCAL=1 CONTENT_DIR=C:\WSUS");
    assert_eq!(o.exit_code, 0);
    assert_eq!(dll_version(&mut h), "3.1.6001.65", "a reinstall brings back the unpatched DLL");
    let mut rtm = host("w2003-rtm");
    run(&mut rtm, r"echo MZ> C:\WSUS30-KB972455-x86.exe & C:\WSUS30-KB972455-x86.exe /q");
    assert_eq!(rtm.wsus_setting("VersionString").unwrap().as_text(), "3.1.6001.65");
}

#[test]
fn the_sp1_setup_download_is_wsus_setup() {
    // WSUS 3.0 SP1's download is named after WSUSSetup.exe; the plan runs it by that name.
    let mut rtm = host("w2003-rtm");
    let o = run(
        &mut rtm,
        r"echo MZ> C:\WSUSSetup_30SP1_x86.exe & C:\WSUSSetup_30SP1_x86.exe /q CREATE_DATABASE=0 SQLINSTANCE_NAME=%COMPUTERNAME%\MICROSOFT##SSEE",
    );
    assert_eq!(o.exit_code, 0, "{}", err(&o));
    assert_eq!(rtm.wsus_setting("VersionString").unwrap().as_text(), "3.1.6001.65");
    let mut h = host("w2003-sp1-unpatched");
    let setup = r"C:\WSUSSetup_30SP1_x86.exe";
    run(&mut h, &format!("echo MZ> {setup}"));
    let o = run(&mut h, &format!("{setup} /q /u DELETE_CONTENT=0 DELETE_DATABASE=0 DELETE_LOGS=0"));
    assert_eq!(o.exit_code, 0, "{}", err(&o));
    assert!(h.wsus_setup_key().is_none() && h.kept_database.is_some());
    let o = run(&mut h, &format!(r"{setup} /q CREATE_DATABASE=0 SQLINSTANCE_NAME=%COMPUTERNAME%\MICROSOFT##SSEE"));
    assert_eq!(o.exit_code, 0, "{}", err(&o));
    assert_eq!(dll_version(&mut h), "3.1.6001.65");
    assert_eq!(h.wsus_setting("SqlServerName").unwrap().as_text(), r"WSUS01\MICROSOFT##SSEE");
}
