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

// ---- Languages and SSH servers -------------------------------------------------------

use crate::host::SshServer;
use crate::locale::{encode, Language};

fn host_in(profile: &str, language: Language, server: SshServer) -> HostState {
    Profile::builtin(profile).unwrap().with_language(language).with_ssh_server(server).instantiate("wsus01").unwrap()
}

fn lang_host(profile: &str, language: Language) -> HostState {
    host_in(profile, language, SshServer::Win32OpenSsh)
}

const SETUP: &str = r"HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup";

#[test]
fn ver_bytes_are_in_the_oem_code_page() {
    let mut zh = lang_host("w2008-sp1-unpatched", Language::ZhCn);
    let o = run(&mut zh, "ver");
    assert_eq!(o.stdout, b"\r\nMicrosoft Windows [\xB0\xE6\xB1\xBE 6.0.6001]\r\n", "GBK for 版本");
    let mut fr = lang_host("w2003-sp2", Language::FrFr);
    assert_eq!(run(&mut fr, "ver").stdout, b"\r\nMicrosoft Windows [version 5.2.3790]\r\n");
    let mut de = lang_host("w2008-sp1-unpatched", Language::DeDe);
    assert_eq!(run(&mut de, "ver").stdout, b"\r\nMicrosoft Windows [Version 6.0.6001]\r\n");
    let mut ja = lang_host("w2008-sp1-unpatched", Language::JaJp);
    assert_eq!(run(&mut ja, "ver").stdout, b"\r\nMicrosoft Windows [Version 6.0.6001]\r\n");
    // Japanese text is Shift_JIS: エラー is 83 47 83 89 81 5B.
    let o = run(&mut ja, r"reg query HKLM\SOFTWARE\Nope");
    assert!(o.stderr.starts_with(b"\x83\x47\x83\x89\x81\x5B: "), "{:?}", o.stderr);
    assert_eq!(o.stderr, encode("エラー: 指定されたレジストリ キーまたは値が見つかりませんでした。\r\n", 932));
}

#[test]
fn chcp_in_every_language() {
    let cases = [
        (Language::EnUs, "Active code page: 437\r\n", 437),
        (Language::ZhCn, "活动代码页: 936\r\n", 936),
        (Language::DeDe, "Aktive Codepage: 850.\r\n", 850),
        (Language::FrFr, "Page de codes active : 850\r\n", 850),
        (Language::JaJp, "現在のコード ページ: 932\r\n", 932),
    ];
    for (language, text, cp) in cases {
        let mut h = lang_host("w2008-sp1-unpatched", language);
        let o = run(&mut h, "chcp");
        assert_eq!(o.stdout, encode(text, cp), "{language}");
        assert_eq!(o.exit_code, 0);
    }
    // chcp switches the session's code page: later output is encoded in the new one.
    let mut h = lang_host("w2008-sp1-unpatched", Language::ZhCn);
    let o = run(&mut h, "chcp 65001 >nul & ver");
    assert_eq!(o.stdout, "\r\nMicrosoft Windows [版本 6.0.6001]\r\n".as_bytes());
    let o = run(&mut h, "chcp 1234");
    assert_eq!((o.exit_code, o.stderr), (1, encode("无效代码页\r\n", 936)));
}

#[test]
fn reg_not_found_in_every_language_and_on_2003() {
    let cases = [
        (
            "w2008-sp1-unpatched",
            Language::EnUs,
            "ERROR: The system was unable to find the specified registry key or value.\r\n",
        ),
        ("w2003-sp2", Language::EnUs, "Error:  The system was unable to find the specified registry key or value\r\n"),
        ("w2008-sp1-unpatched", Language::ZhCn, "错误: 系统找不到指定的注册表项或值。\r\n"),
        (
            "w2008-sp1-unpatched",
            Language::DeDe,
            "FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.\r\n",
        ),
        (
            "w2003-sp2",
            Language::FrFr,
            "ERREUR : Le système n'a pas trouvé la clé ou la valeur de Registre spécifiée.\r\n",
        ),
        (
            "w2008-sp1-unpatched",
            Language::JaJp,
            "エラー: 指定されたレジストリ キーまたは値が見つかりませんでした。\r\n",
        ),
    ];
    for (profile, language, text) in cases {
        let mut h = lang_host(profile, language);
        let o = run(&mut h, r#"reg query "HKLM\SOFTWARE\Nope" /v X"#);
        assert_eq!(o.stderr, encode(text, language.oem_code_page()), "{profile} {language}");
        assert_eq!(o.exit_code, 1);
        let o = run(&mut h, &format!(r#"reg query "{SETUP}" /v Nope"#));
        assert_eq!(o.stderr, encode(text, language.oem_code_page()), "{profile} {language}: missing value");
    }
    let mut h = lang_host("w2008-sp1-unpatched", Language::DeDe);
    let o = run(&mut h, r"reg query HKLM\SECURITY");
    assert_eq!((o.exit_code, o.stderr), (1, encode("FEHLER: Zugriff verweigert\r\n", 850)));
}

#[test]
fn localized_messages_of_the_other_commands() {
    let mut zh = lang_host("w2008-sp1-unpatched", Language::ZhCn);
    let gbk = |t: &str| encode(t, 936);
    let o = run(&mut zh, "sc query NoSuch");
    assert_eq!(o.stdout, gbk("[SC] EnumQueryServicesStatus:OpenService 失败 1060:\r\n\r\n指定的服务未安装。\r\n\r\n"));
    assert_eq!(o.exit_code, 1060);
    let o = run(&mut zh, "sc query WsusService");
    assert!(String::from_utf8_lossy(&o.stdout).contains("        STATE              : 4  RUNNING \r\n"));
    let o = run(&mut zh, r#"findstr /c:"x" C:\nope.log"#);
    assert_eq!(o.stderr, gbk("FINDSTR: 无法打开 C:\\nope.log\r\n"));
    let o = run(&mut zh, r#"wmic datafile where "name='C:\\nope.dll'" get Version /value < nul"#);
    assert_eq!(o.stderr, gbk("没有可用实例。\r\n"));
    let o = run(&mut zh, "nosuch /x");
    assert_eq!(o.stderr, gbk("'nosuch' 不是内部或外部命令，也不是可运行的程序\r\n或批处理文件。\r\n"));
    assert_eq!(o.exit_code, 9009);
    let o = run(&mut zh, "dir C:\\");
    let text = crate::locale::decode(&o.stdout, 936);
    assert!(text.contains(" 个目录  10,737,418,240 可用字节\r\n"), "{text}");
    let o = run(&mut zh, "dir /-c C:\\");
    assert!(crate::locale::decode(&o.stdout, 936).contains(" 10737418240 可用字节\r\n"));
    let o = run(&mut zh, "whoami /groups");
    let text = crate::locale::decode(&o.stdout, 936);
    assert!(text.starts_with("\r\n组信息\r\n"), "{text}");
    assert!(
        text.contains("BUILTIN\\Administrators") && text.contains("S-1-5-32-544") && text.contains("仅用于拒绝的组")
    );
    assert!(text.contains("Mandatory Label\\Medium Mandatory Level"), "{text}");
    let o = run(&mut zh, r"echo x> C:\a.txt & certutil -hashfile C:\a.txt SHA1");
    let text = crate::locale::decode(&o.stdout, 936);
    assert!(text.starts_with("C:\\a.txt 的 SHA1 哈希:\r\n"), "{text}");
    assert_eq!(text.lines().nth(1).unwrap().split(' ').count(), 20, "hex line unchanged");
    let o = run(&mut zh, r#"schtasks /create /tn t1 /tr "cmd /c ver" /sc once /st 23:59 /ru SYSTEM /rl HIGHEST /f"#);
    assert_eq!(o.stdout, gbk("成功: 成功创建计划任务 \"t1\"。\r\n"));
    let mut de = lang_host("w2003-sp2", Language::DeDe);
    let o = run(&mut de, r#"findstr /c:"x" C:\nope.log"#);
    assert_eq!(o.stderr, encode("FINDSTR: C:\\nope.log kann nicht geöffnet werden.\r\n", 850));
    let o = run(&mut de, r#"wmic datafile where "name='C:\\nope.dll'" get Version /value < nul"#);
    assert_eq!(o.stdout, encode("Keine Instanz(en) verfügbar.\r\n", 850), "2003 prints it on stdout");
    let mut fr = lang_host("w2008-sp1-unpatched", Language::FrFr);
    let o = run(&mut fr, r#"findstr /c:"x" C:\nope.log"#);
    assert_eq!(o.stderr, encode("FINDSTR : impossible d'ouvrir C:\\nope.log\r\n", 850));
    let mut ja = lang_host("w2008-sp1-unpatched", Language::JaJp);
    let o = run(&mut ja, "wmic os get Caption,Version /value < nul");
    assert!(String::from_utf8_lossy(&o.stdout).contains("Version=6.0.6001\r\r\n"), "property names stay English");
}

#[test]
fn the_server_log_carries_the_dotnet_message_of_the_language() {
    let log = r"C:\Program Files\Update Services\LogFiles\SoftwareDistribution.log";
    let mut zh = lang_host("w2003-sp1-unpatched", Language::ZhCn);
    let o = run(&mut zh, &format!(r#"findstr /c:"System.ArgumentException" "{log}""#));
    // The log is given out in the host's ANSI code page, GBK.
    let text = crate::locale::decode(&o.stdout, 936);
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().all(|l| l.ends_with("System.ArgumentException: 已添加了具有相同键的项。")), "{text}");
    let o = run(&mut zh, &format!(r#"findstr /i /c:"item has already been added" "{log}""#));
    assert_eq!(o.exit_code, 1, "the English signature is not in a Chinese log");
    let o = run(&mut zh, &format!(r#"findstr /i /c:"已添加了具有相同键的项" "{log}""#));
    assert_eq!(o.exit_code, 0, "the Chinese one is");
    let mut de = lang_host("w2003-sp1-unpatched", Language::DeDe);
    let o = run(&mut de, &format!(r#"findstr /i /c:"item has already been added" "{log}""#));
    assert_eq!(o.exit_code, 0, ".NET on a German server logs English (no language pack)");
}

#[test]
fn call_expands_errorlevel_at_run_time() {
    let mut h = host("w2008-sp1-unpatched-elevated");
    h.installer.reboot_required = true;
    run(&mut h, r"echo MZ> C:\WSUS3.0SP1-KB954960-x64.exe");
    let o = run(
        &mut h,
        r"C:\WSUS3.0SP1-KB954960-x64.exe /quiet & echo ::rc:%errorlevel% & call echo ::wsusfix:rc:%^errorlevel%",
    );
    assert_eq!(out(&o), "::rc:0 \r\n::wsusfix:rc:3010\r\n");
    assert_eq!(o.exit_code, 3010, "call echo leaves errorlevel alone");
    let o = run(&mut h, r"certutil -hashfile C:\nope.bin SHA1 2>nul & call echo %^errorlevel%");
    assert_eq!(out(&o), "-2147024894\r\n");
    let o = run(&mut h, r"(certutil -hashfile C:\nope.bin 2>nul >nul & ver >nul & call echo rc:%^errorlevel%)");
    assert_eq!(out(&o), "rc:-2147024894\r\n", "ver does not reset errorlevel");
    let o = run(&mut h, "call");
    assert_eq!(o.stdout, b"");
}

#[test]
fn if_defined_and_if_exist_with_else() {
    let mut h = host("w2008-sp1-unpatched");
    let o = run(&mut h, "if defined PROCESSOR_ARCHITEW6432 (echo wow) else (echo native)");
    assert_eq!(out(&o), "native\r\n");
    let o = run(&mut h, "if defined windir (echo yes) else (echo no)");
    assert_eq!(out(&o), "yes\r\n");
    let o = run(&mut h, r"if exist %windir%\Sysnative\reg.exe (echo yes) else (echo no)");
    assert_eq!(out(&o), "no\r\n", "no Sysnative for a 64-bit process");
    let o = run(&mut h, r"if not exist C:\nope (echo missing)");
    assert_eq!(out(&o), "missing\r\n");
}

#[test]
fn a_32bit_ssh_server_sees_the_wow64_views() {
    let mut h = host_in("w2008-sp1-unpatched", Language::EnUs, SshServer::Freesshd);
    let o = run(&mut h, "echo %PROCESSOR_ARCHITECTURE% %PROCESSOR_ARCHITEW6432% %ProgramFiles%");
    assert_eq!(out(&o), "x86 AMD64 C:\\Program Files (x86)\r\n");
    let o = run(&mut h, &format!(r#"reg query "{SETUP}""#));
    assert_eq!(o.exit_code, 1, "the 32-bit reg.exe reads Wow6432Node, where x64 WSUS wrote nothing");
    let o = run(&mut h, &format!(r#"%windir%\Sysnative\reg.exe query "{SETUP}" /v VersionString"#));
    assert_eq!(o.exit_code, 0, "{}", err(&o));
    assert!(out(&o).contains("    VersionString    REG_SZ    3.1.6001.65\r\n"));
    let o = run(&mut h, &format!(r#"reg query "{SETUP}" /reg:64"#));
    assert_eq!(o.exit_code, 0);
    assert!(out(&o).starts_with("\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\r\n"));
    let o = run(&mut h, r"if exist %windir%\Sysnative\reg.exe (echo yes) else (echo no)");
    assert_eq!(out(&o), "yes\r\n");
    // A WSUS that wrote the 32-bit view is what the 32-bit reg.exe finds, under the plain name.
    let mut wow = Profile::from_yaml(
        "w",
        "w.yaml",
        "extends: w2008-sp1-unpatched\nssh_server: freesshd\nwsus: { view: wow64 }\n",
    )
    .unwrap()
    .instantiate("w")
    .unwrap();
    let o = run(&mut wow, &format!(r#"reg query "{SETUP}" /v InstallType"#));
    assert_eq!(out(&o), format!("\r\n{}\r\n    InstallType    REG_DWORD    0x1\r\n\r\n", crate::host::SETUP_KEY));
    let o = run(&mut wow, &format!(r#"reg query "{SETUP}" /reg:64"#));
    assert_eq!(o.exit_code, 1);
    // The same profile behind Win32-OpenSSH: native process, /reg:32 reads the WOW64 view.
    let mut native = host("w2008-sp1-unpatched");
    assert_eq!(run(&mut native, &format!(r#"reg query "{SETUP}" /reg:32"#)).exit_code, 1);
    assert_eq!(run(&mut native, &format!(r#"reg query "{SETUP}" /reg:64"#)).exit_code, 0);
    let o = run(&mut native, &format!(r#"%windir%\Sysnative\reg.exe query "{SETUP}""#));
    assert_eq!((err(&o).as_str(), o.exit_code), ("The system cannot find the path specified.\r\n", 3));
    // Server 2003's reg.exe 3.0 knows no /reg:64.
    let mut w03 = host("w2003-sp2");
    let o = run(&mut w03, &format!(r#"reg query "{SETUP}" /reg:64"#));
    assert_eq!((o.exit_code, err(&o).starts_with("Error:  Invalid syntax.")), (1, true));
}

#[test]
fn the_probe_reads_the_native_view_from_a_32bit_shell() {
    let line = format!(
        r#"(echo ::reg-native& (if defined PROCESSOR_ARCHITEW6432 (if exist %windir%\Sysnative\reg.exe (echo ::via:sysnative& %windir%\Sysnative\reg.exe query "{SETUP}" /v InstallType) else (echo ::via:reg64& reg query "{SETUP}" /v InstallType /reg:64)) else (echo ::via:native& reg query "{SETUP}" /v InstallType)) 2>&1 & call echo ::rc:%^errorlevel%)"#
    );
    let key = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\r\n    InstallType    REG_DWORD    0x1\r\n\r\n";
    let mut free = host_in("w2008-sp1-unpatched", Language::EnUs, SshServer::Freesshd);
    assert_eq!(out(&run(&mut free, &line)), format!("::reg-native\r\n::via:sysnative\r\n{key}::rc:0\r\n"));
    let mut native = host("w2008-sp1-unpatched");
    assert_eq!(out(&run(&mut native, &line)), format!("::reg-native\r\n::via:native\r\n{key}::rc:0\r\n"));
    let mut w03 = host_in("w2003-sp2", Language::EnUs, SshServer::Freesshd);
    let o = run(&mut w03, &line);
    assert!(out(&o).starts_with("::reg-native\r\n::via:native\r\n\r\n! REG.EXE VERSION 3.0\r\n"), "x86: no WOW64");
}

#[test]
fn wmic_logicaldisk_free_space() {
    let mut h = host("w2003-sp2");
    let o = run(&mut h, r#"wmic logicaldisk where "DeviceID='C:'" get FreeSpace /value < nul"#);
    assert_eq!(out(&o), "\r\r\n\r\r\nFreeSpace=10737418240\r\r\n\r\r\n\r\r\n\r\r\n");
    let mut small = Profile::builtin("w2008-sp1-unpatched").unwrap().with_free_bytes(123_456).instantiate("h").unwrap();
    let o = run(&mut small, r#"wmic logicaldisk where "DeviceID='C:'" get FreeSpace,Size /value"#);
    assert_eq!(out(&o), "\r\r\n\r\r\nFreeSpace=123456\r\r\nSize=42949672960\r\r\n\r\r\n\r\r\n\r\r\n");
    let o = run(&mut small, r#"wmic logicaldisk where "DeviceID='Q:'" get FreeSpace /value"#);
    assert_eq!(err(&o), "No Instance(s) Available.\r\n");
}

#[test]
fn schtasks_query_csv_in_the_vista_column_order() {
    let mut h = lang_host("w2008-sp1-unpatched-elevated", Language::EnUs);
    run(
        &mut h,
        r#"schtasks /create /tn wsusfix-1 /tr "cmd /c exit 3010" /sc once /st 09:00 /ru SYSTEM /rl HIGHEST /f"#,
    );
    let csv = "schtasks /query /tn wsusfix-1 /fo csv /nh /v";
    let fields = |o: &Output| -> Vec<String> {
        let text = out(o);
        assert!(text.ends_with("\r\n") && text.lines().count() == 1, "{text}");
        text.trim_end().trim_matches('"').split("\",\"").map(str::to_string).collect()
    };
    let f = fields(&run(&mut h, csv));
    assert_eq!(f.len(), 28);
    assert_eq!(&f[..4], ["WSUS01", "\\wsusfix-1", "8/14/2008 9:00:00 AM", "Ready"]);
    assert_eq!((f[4].as_str(), f[5].as_str(), f[6].as_str()), ("Interactive/Background", "N/A", "267011"));
    assert_eq!((f[8].as_str(), f[11].as_str()), ("cmd /c exit 3010", "Enabled"));
    let f = fields(&run(&mut h, &format!("schtasks /run /tn wsusfix-1 >nul & {csv}")));
    assert_eq!((f[3].as_str(), f[6].as_str()), ("Running", "267009"));
    let f = fields(&run(&mut h, csv));
    assert_eq!((f[3].as_str(), f[6].as_str()), ("Ready", "3010"));
    let o = run(&mut h, "schtasks /query /tn wsusfix-1 /fo csv");
    assert_eq!(out(&o).lines().next(), Some("\"TaskName\",\"Next Run Time\",\"Status\""));
    let o = run(&mut h, "schtasks /query /tn wsusfix-1 /fo LIST /v");
    assert!(out(&o).contains("Last Result:                          3010\r\n"), "LIST unchanged");
    let dates = [
        (Language::ZhCn, "2008/8/14 9:00:00", "就绪"),
        (Language::DeDe, "14.08.2008 09:00:00", "Bereit"),
        (Language::FrFr, "14/08/2008 09:00:00", "Prêt"),
        (Language::JaJp, "2008/08/14 9:00:00", "準備完了"),
    ];
    for (language, date, ready) in dates {
        let mut h = lang_host("w2008-sp1-unpatched-elevated", language);
        run(&mut h, r#"schtasks /create /tn t /tr "cmd /c ver" /sc once /st 09:00 /ru SYSTEM /rl HIGHEST /f"#);
        let o = run(&mut h, "schtasks /query /tn t /fo csv /nh /v");
        let text = crate::locale::decode(&o.stdout, language.oem_code_page());
        assert!(text.starts_with(&format!("\"WSUS01\",\"\\t\",\"{date}\",\"{ready}\",")), "{language}: {text}");
    }
}

#[test]
fn cmd_reads_a_script_from_stdin() {
    let mut h = host("w2008-sp1-unpatched");
    let who = h.session_principal();
    let script = b"ver\r\nset A=1\r\nfindstr x C:\\nope.txt 2>nul\r\necho rc=%errorlevel%\necho a=%A%\r\n".to_vec();
    let o = run_line_stdin(&mut h, "cmd.exe /q /d", who, Some(script.clone()));
    assert_eq!(
        out(&o),
        "Microsoft Windows [Version 6.0.6001]\r\nCopyright (c) 2006 Microsoft Corporation.  All rights reserved.\r\n\r\n\r\nMicrosoft Windows [Version 6.0.6001]\r\nrc=1\r\na=1\r\n"
    );
    assert_eq!(o.exit_code, 1, "the last errorlevel");
    let o = run_line_stdin(&mut h, "CMD /D /Q", who, Some(b"echo one\r\nexit 3010\r\necho never\r\n".to_vec()));
    assert_eq!(out(&o), "Microsoft Windows [Version 6.0.6001]\r\nCopyright (c) 2006 Microsoft Corporation.  All rights reserved.\r\n\r\none\r\n");
    assert_eq!(o.exit_code, 3010);
    let mut w03 = lang_host("w2003-sp2", Language::ZhCn);
    let o = run_line_stdin(&mut w03, "cmd /q /d", who, Some(b"exit 5".to_vec()));
    assert_eq!(
        o.stdout,
        encode("Microsoft Windows [版本 5.2.3790]\r\n(C) 版权所有 1985-2003 Microsoft Corp.\r\n\r\n", 936)
    );
    assert_eq!(o.exit_code, 5);
    assert!(reads_stdin("cmd.exe /q /d") && reads_stdin("C:\\Windows\\system32\\CMD.EXE /D /Q") && reads_stdin("cmd"));
    assert!(!reads_stdin("cmd /c ver") && !reads_stdin("cmd.exe /q /d /c ver") && !reads_stdin("ver"));
    assert!(is_exit_line("exit") && is_exit_line(" EXIT 3010\r") && !is_exit_line("exit now"));
}

#[test]
fn cygwin_runs_the_line_in_bash() {
    let mut h = host_in("w2008-sp1-unpatched-elevated", Language::EnUs, SshServer::Cygwin);
    h.installer.reboot_required = true;
    run(&mut h, r"echo MZ> C:\WSUS3.0SP1-KB954960-x64.exe");
    let o = run_session(&mut h, r#"cmd /c "C:\WSUS3.0SP1-KB954960-x64.exe /quiet /norestart""#, None);
    assert_eq!(o.exit_code, 194, "3010 & 0xFF");
    let o = run_session(&mut h, "echo ::wsusfix:shell:%COMSPEC% & ver", None);
    assert_eq!(out(&o), "::wsusfix:shell:%COMSPEC%\n");
    assert_eq!(err(&o), "bash: ver: command not found\n");
    assert_eq!(o.exit_code, 127);
    let o = run_session(&mut h, "cmd.exe /c ver 2>&1 && echo ok || echo fail", None);
    assert_eq!(out(&o), "\r\nMicrosoft Windows [Version 6.0.6001]\r\nok\n");
    let o = run_session(&mut h, "cmd /c exit 1603", None);
    assert_eq!(o.exit_code, 67);
    let o = run_session(&mut h, "cmd /c exit 740; exit 3", None);
    assert_eq!(o.exit_code, 3);
    let o = run_session(&mut h, "cmd.exe /q /d", Some(b"echo %COMSPEC%\r\nexit 3010\r\n".to_vec()));
    assert!(out(&o).ends_with("\r\n\r\nC:\\Windows\\system32\\cmd.exe\r\n"), "{}", out(&o));
    assert_eq!(o.exit_code, 194);
    let o = run_session(&mut h, "(echo a; reg query HKLM)", None);
    assert_eq!((out(&o).as_str(), err(&o).as_str(), o.exit_code), ("a\n", "bash: reg: command not found\n", 127));
    // Behind Win32-OpenSSH the same session keeps the full code.
    let mut w = host("w2008-sp1-unpatched");
    assert_eq!(run_session(&mut w, "cmd /c exit 3010", None).exit_code, 3010);
    assert_eq!(out(&run_session(&mut w, "echo %COMSPEC%", None)), "C:\\Windows\\system32\\cmd.exe\r\n");
}

#[test]
fn findstr_matches_any_of_several_literals() {
    let mut host = crate::profile::Profile::builtin("w2003-sp1-unpatched").unwrap().instantiate("w").unwrap();
    let who = host.session_principal();
    let line = r#"findstr /i /c:"no such words" /c:"Item has already been added" "C:\Program Files\Update Services\LogFiles\SoftwareDistribution.log""#;
    let out = run_line(&mut host, line, who);
    assert_eq!(out.exit_code, 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Item has already been added"));
}

#[test]
fn a_folder_made_by_mkdir_is_a_lock_two_runs_cannot_both_take() {
    // The lines `wsusfix apply` sends to claim a host, then to release it.
    let claim = |run: &str| {
        format!(
            r#"(if not exist "C:\stage" mkdir "C:\stage") & mkdir "C:\stage\wsusfix-run" 2>nul && (echo wsusfix run {run} by ctl pid 7)> "C:\stage\wsusfix-run\owner.txt" & type "C:\stage\wsusfix-run\owner.txt""#
        )
    };
    let release = |run: &str| {
        format!(
            r#"findstr /c:"wsusfix run {run} " "C:\stage\wsusfix-run\owner.txt" >nul && (del /q "C:\stage\wsusfix-run\owner.txt" & rmdir "C:\stage\wsusfix-run") & if exist "C:\stage\wsusfix-run" (echo held) else (echo released)"#
        )
    };
    let mut h = host("w2008-sp1-unpatched");
    assert_eq!(out(&run(&mut h, &claim("A"))), "wsusfix run A by ctl pid 7\r\n");
    assert_eq!(out(&run(&mut h, &claim("B"))), "wsusfix run A by ctl pid 7\r\n", "the second run sees the first");
    assert_eq!(out(&run(&mut h, &release("B"))), "held\r\n", "a run releases only its own mark");
    assert_eq!(out(&run(&mut h, &release("A"))), "released\r\n");
    assert_eq!(out(&run(&mut h, &claim("B"))), "wsusfix run B by ctl pid 7\r\n");
    let o = run(&mut h, r"rmdir C:\stage");
    assert_eq!((o.exit_code, err(&o)), (145, "The directory is not empty.\r\n".to_string()));
    assert_eq!(run(&mut h, r"rd /s /q C:\stage").exit_code, 0);
    assert_eq!(run(&mut h, r"rmdir C:\stage").exit_code, 2);
}

#[test]
fn a_pending_restart_is_in_the_registry_from_a_profile_or_a_3010_and_a_restart_clears_it() {
    let pfro = r#"reg query "HKLM\SYSTEM\CurrentControlSet\Control\Session Manager" /v PendingFileRenameOperations"#;
    let cbs = r#"reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending""#;
    let wu = r#"reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired""#;
    let yaml = "extends: w2008-sp1-patched\npending_reboot: [file-renames, servicing, windows-update]\n";
    let mut w2008 = Profile::from_yaml("pending", "pending.yaml", yaml).unwrap().instantiate("w").unwrap();
    let o = run(&mut w2008, pfro);
    assert_eq!(o.exit_code, 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\r\n    PendingFileRenameOperations    REG_MULTI_SZ    \\??\\C:\\Windows\\Temp\\wsusfix-lab.tmp\\0\r\n\r\n"
    );
    assert_eq!(run(&mut w2008, cbs).exit_code, 0);
    assert_eq!(run(&mut w2008, wu).exit_code, 0);

    let yaml = "extends: w2003-sp1-unpatched\npending_reboot: [file-renames, servicing]\n";
    let mut w2003 = Profile::from_yaml("pending", "pending.yaml", yaml).unwrap().instantiate("w").unwrap();
    let o = run(&mut w2003, pfro);
    assert!(out(&o).starts_with("\r\n! REG.EXE VERSION 3.0\r\n"), "{}", out(&o));
    assert!(out(&o).contains("PendingFileRenameOperations    REG_MULTI_SZ    \\??\\C:\\WINDOWS\\Temp"), "{}", out(&o));
    let o = run(&mut w2003, cbs);
    assert_eq!(o.exit_code, 1, "Server 2003 has no servicing stack");
    assert!(err(&o).contains("unable to find"), "{}", err(&o));

    let mut installed = host("w2003-sp1-unpatched");
    assert_eq!(run(&mut installed, pfro).exit_code, 1, "nothing pending");
    installed.installer.reboot_required = true;
    run(&mut installed, r"echo MZ> C:\WSUS3.0SP1-KB954960-x86.exe");
    assert_eq!(run(&mut installed, r"C:\WSUS3.0SP1-KB954960-x86.exe /quiet /norestart").exit_code, 3010);
    let o = run(&mut installed, pfro);
    assert!(out(&o).contains(r"Microsoft.UpdateServices.WebServices.Client.dll.new\0!\??\C:"), "{}", out(&o));
    assert!(installed.reboot_pending());

    for h in [&mut w2008, &mut installed] {
        // As SYSTEM, as the plan's reboot task runs it (a filtered session may not).
        assert_eq!(run_line(h, "shutdown /r /t 60", Principal::System).exit_code, 0);
        run(h, "ver");
        assert!(h.reboot_pending(), "not before the restart is due");
        h.clock += 120;
        run(h, "ver");
        assert!(!h.reboot_pending(), "the restart happened");
        assert_eq!(run(h, pfro).exit_code, 1);
    }
}
