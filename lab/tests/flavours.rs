//! Languages and SSH server flavours over real SSH: the bytes of a zh-CN host, Cygwin's
//! masked exit status and its bash, `cmd.exe /q /d` fed on stdin, freeSSHd's missing exit
//! status and WOW64 views, and each server's identification string.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use common::{text, tool, TestLab};
use wsusfix_lab::host::{Content, FileEntry};

const SETUP: &str = r"HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup";
const PACKAGE: &str = r"C:\Windows\Temp\WSUS3.0SP1-KB954960-x64.exe";

fn session(lab: &TestLab, host: &str) -> ssh2::Session {
    let tcp = TcpStream::connect(("127.0.0.1", lab.port(host))).expect("connect");
    let mut sess = ssh2::Session::new().expect("session");
    sess.set_tcp_stream(tcp);
    sess.set_timeout(10_000);
    sess.handshake().expect("handshake");
    sess.userauth_pubkey_file("admin", None, &lab.files.private_key, None).expect("auth");
    sess
}

/// Runs `command`, writing `stdin` (then EOF) when given; returns stdout, stderr, status.
fn exec(sess: &ssh2::Session, command: &str, stdin: Option<&[u8]>) -> (Vec<u8>, Vec<u8>, i32) {
    let mut channel = sess.channel_session().expect("channel");
    channel.exec(command).expect("exec");
    if let Some(input) = stdin {
        channel.write_all(input).expect("stdin");
        channel.send_eof().expect("eof");
    }
    let mut out = Vec::new();
    channel.read_to_end(&mut out).expect("stdout");
    let mut err = Vec::new();
    channel.stderr().read_to_end(&mut err).expect("stderr");
    channel.wait_close().expect("close");
    (out, err, channel.exit_status().expect("exit status"))
}

fn put_package(lab: &TestLab, host: &str) {
    lab.lab.host_state(host).unwrap().with(|h| {
        h.installer.reboot_required = true;
        h.fs.put(FileEntry {
            path: PACKAGE.into(),
            version: None,
            modified: h.clock,
            content: Content::Text("MZ".into()),
        });
    });
}

#[test]
fn a_chinese_host_answers_in_gbk() {
    let lab = TestLab::start(&[("zh", "w2008-sp1-unpatched@zh-CN")]);
    let sess = session(&lab, "zh");
    let (out, _, code) = exec(&sess, "ver", None);
    assert_eq!((out.as_slice(), code), (&b"\r\nMicrosoft Windows [\xB0\xE6\xB1\xBE 6.0.6001]\r\n"[..], 0));
    let (out, _, _) = exec(&sess, "chcp", None);
    assert_eq!(out, b"\xBB\xEE\xB6\xAF\xB4\xFA\xC2\xEB\xD2\xB3: 936\r\n", "活动代码页 in GBK");
    let (_, err, code) = exec(&sess, r"reg query HKLM\SOFTWARE\Nope", None);
    assert_eq!(code, 1);
    assert!(err.starts_with(b"\xB4\xED\xCE\xF3: "), "错误 in GBK: {err:?}");
    assert_eq!(lab.lab.host("zh").unwrap().language, wsusfix_lab::Language::ZhCn);
}

#[test]
fn cygwin_masks_the_exit_status_and_runs_bash() {
    let lab =
        TestLab::start(&[("cyg", "w2008-sp1-unpatched-elevated+cygwin"), ("win", "w2008-sp1-unpatched-elevated")]);
    for host in ["cyg", "win"] {
        put_package(&lab, host);
    }
    let cyg = session(&lab, "cyg");
    let (_, _, code) = exec(&cyg, &format!(r#"cmd /c "{PACKAGE} /quiet /norestart""#), None);
    assert_eq!(code, 194, "3010 & 0xFF");
    let (_, err, code) = exec(&cyg, &format!("cmd /c {PACKAGE} /quiet"), None);
    assert_eq!(code, 9009 & 0xFF, "bash ate the unquoted backslashes: {}", text(&err));
    let (out, err, code) = exec(&cyg, "echo ::wsusfix:shell:%COMSPEC%; ver", None);
    assert_eq!(
        (text(&out), text(&err), code),
        ("::wsusfix:shell:%COMSPEC%\n".into(), "bash: ver: command not found\n".into(), 127)
    );
    let script = b"echo %PROCESSOR_ARCHITECTURE%\r\ncall echo rc:%^errorlevel%\r\nexit 740\r\n";
    let (out, _, code) = exec(&cyg, "cmd.exe /q /d", Some(script));
    assert_eq!(
        text(&out),
        "Microsoft Windows [Version 6.0.6001]\r\nCopyright (c) 2006 Microsoft Corporation.  All rights reserved.\r\n\r\nAMD64\r\nrc:0\r\n"
    );
    assert_eq!(code, 228, "740 & 0xFF");

    let win = session(&lab, "win");
    let (_, _, code) = exec(&win, &format!("{PACKAGE} /quiet /norestart"), None);
    assert_eq!(code, 3010, "Win32-OpenSSH keeps the full code");
    let script = format!("{PACKAGE} /quiet\r\ncall echo ::wsusfix:rc:%^errorlevel%\r\n");
    let (out, _, code) = exec(&win, "cmd /d /q", Some(script.as_bytes()));
    assert!(text(&out).ends_with("\r\n\r\n::wsusfix:rc:3010\r\n"), "{}", text(&out));
    assert_eq!(code, 3010, "the last errorlevel");
}

#[test]
fn an_exit_line_ends_a_script_without_eof() {
    let lab = TestLab::start(&[("w08", "w2008-sp1-unpatched")]);
    let sess = session(&lab, "w08");
    let mut channel = sess.channel_session().expect("channel");
    channel.exec("cmd.exe /q /d").expect("exec");
    channel.write_all(b"echo hi\nexit 7\n").expect("stdin");
    let mut out = Vec::new();
    channel.read_to_end(&mut out).expect("stdout");
    channel.wait_close().expect("close");
    assert!(text(&out).ends_with("\r\n\r\nhi\r\n"), "{}", text(&out));
    assert_eq!(channel.exit_status().unwrap(), 7);
}

#[test]
fn freesshd_is_32bit_and_sends_no_exit_status() {
    let lab = TestLab::start(&[("free", "w2008-sp1-unpatched+freesshd")]);
    let sess = session(&lab, "free");
    let (out, _, _) = exec(&sess, "echo %PROCESSOR_ARCHITECTURE% %PROCESSOR_ARCHITEW6432%", None);
    assert_eq!(text(&out), "x86 AMD64\r\n");
    let (out, err, _) = exec(&sess, &format!(r#"reg query "{SETUP}""#), None);
    assert!(out.is_empty());
    assert_eq!(text(&err), "ERROR: The system was unable to find the specified registry key or value.\r\n");
    let (out, _, _) = exec(&sess, &format!(r#"%windir%\Sysnative\reg.exe query "{SETUP}" /v VersionString"#), None);
    assert!(text(&out).contains("    VersionString    REG_SZ    3.1.6001.65\r\n"), "{}", text(&out));
    let (out, _, _) = exec(&sess, &format!(r#"reg query "{SETUP}" /v VersionString /reg:64"#), None);
    assert!(text(&out).contains("    VersionString    REG_SZ    3.1.6001.65\r\n"), "{}", text(&out));
    let (out, _, _) = exec(&sess, "cmd /c exit 3010 & call echo rc:%^errorlevel%", None);
    assert_eq!(text(&out), "rc:3010\r\n", "the code is there for a line that prints it");

    let Some(ssh) = tool("ssh") else { return };
    let out = lab.ssh(&ssh, "free", "cmd /c exit 0");
    assert_eq!(out.status.code(), Some(255), "OpenSSH's client: no exit-status message");
    let out = lab.ssh(&ssh, "free", "ver");
    assert_eq!(out.stdout, b"\r\nMicrosoft Windows [Version 6.0.6001]\r\n");
}

#[test]
fn each_server_identifies_itself() {
    let lab = TestLab::start(&[
        ("openssh", "w2003-sp2"),
        ("bitvise", "w2003-sp2+bitvise"),
        ("cygwin", "w2003-sp2+cygwin"),
        ("freesshd", "w2003-sp2+freesshd"),
    ]);
    let expected = [
        ("openssh", "SSH-2.0-OpenSSH_for_Windows_7.7"),
        ("bitvise", "SSH-2.0-5.22 FlowSsh: Bitvise SSH Server (WinSSHD) 5.22"),
        ("cygwin", "SSH-2.0-OpenSSH_5.1"),
        ("freesshd", "SSH-2.0-WeOnlyDo 2.1.3"),
    ];
    for (host, ident) in expected {
        let mut stream = TcpStream::connect(("127.0.0.1", lab.port(host))).expect("connect");
        stream.write_all(b"SSH-2.0-probe\r\n").unwrap();
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), ident, "{host}");
    }
    let sess = session(&lab, "bitvise");
    let (out, _, code) = exec(&sess, "cmd /c exit 1603 & ver", None);
    assert_eq!((text(&out).contains("5.2.3790"), code), (true, 1603), "Bitvise: cmd.exe and the full code");
}
