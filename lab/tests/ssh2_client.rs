//! The lab driven by libssh2 (the `ssh2` crate, as wsusfix's transport uses it): exec with the
//! full 32-bit exit status, stderr as its own stream, and an SCP upload checked by hash.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use common::TestLab;

fn session(lab: &TestLab, host: &str) -> ssh2::Session {
    let tcp = TcpStream::connect(("127.0.0.1", lab.port(host))).expect("connect");
    let mut sess = ssh2::Session::new().expect("session");
    sess.set_tcp_stream(tcp);
    sess.set_timeout(10_000);
    sess.handshake().expect("handshake");
    let mut known = sess.known_hosts().expect("known hosts");
    known.read_file(&lab.files.known_hosts, ssh2::KnownHostFileKind::OpenSSH).expect("read known_hosts");
    let (key, _) = sess.host_key().expect("host key");
    let check = known.check_port("127.0.0.1", lab.port(host), key);
    assert!(matches!(check, ssh2::CheckResult::Match), "host key check: {check:?}");
    sess.userauth_pubkey_file("admin", None, &lab.files.private_key, None).expect("auth");
    sess
}

fn exec(sess: &ssh2::Session, command: &str) -> (Vec<u8>, Vec<u8>, i32) {
    let mut channel = sess.channel_session().expect("channel");
    channel.exec(command).expect("exec");
    let mut out = Vec::new();
    channel.read_to_end(&mut out).expect("stdout");
    let mut err = Vec::new();
    channel.stderr().read_to_end(&mut err).expect("stderr");
    channel.wait_close().expect("close");
    (out, err, channel.exit_status().expect("exit status"))
}

#[test]
fn exec_returns_streams_and_full_exit_status() {
    let lab = TestLab::start(&[("w03", "w2003-rtm")]);
    let sess = session(&lab, "w03");
    let (out, err, code) = exec(&sess, "ver");
    assert_eq!((out.as_slice(), err.len(), code), (&b"\r\nMicrosoft Windows [Version 5.2.3790]\r\n"[..], 0, 0));
    let (out, err, code) = exec(&sess, "sc query WsusService & nosuch");
    assert!(String::from_utf8_lossy(&out).contains("SERVICE_NAME: WsusService"));
    assert!(String::from_utf8_lossy(&err).starts_with("'nosuch' is not recognized"));
    assert_eq!(code, 9009);
    let (_, _, code) = exec(&sess, "sc query Nope");
    assert_eq!(code, 1060);
}

#[test]
fn scp_send_uploads_a_package_intact() {
    let lab = TestLab::start(&[("w08", "w2008-sp1-unpatched-elevated")]);
    let sess = session(&lab, "w08");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let target = "C:/Windows/Temp/WSUS3.0SP1-KB954960-x64.exe";
    let mut remote = sess.scp_send(Path::new(target), 0o644, data.len() as u64, None).expect("scp_send");
    remote.write_all(&data).expect("write");
    remote.send_eof().expect("eof");
    remote.wait_eof().expect("wait eof");
    remote.close().expect("close");
    remote.wait_close().expect("wait close");

    let digest = ring_sha1(&data);
    let (out, _, code) = exec(&sess, r"certutil -hashfile C:\Windows\Temp\WSUS3.0SP1-KB954960-x64.exe SHA1");
    assert_eq!(code, 0);
    assert!(String::from_utf8_lossy(&out).contains(&digest), "{}", String::from_utf8_lossy(&out));
    let (_, _, code) = exec(&sess, r"C:\Windows\Temp\WSUS3.0SP1-KB954960-x64.exe /quiet /norestart");
    assert_eq!(code, 0, "elevated session installs directly");
}

/// SHA-1 as certutil prints it (bytes separated by spaces), computed with `certutil` semantics
/// by the lab's own host model on a scratch host, so the test needs no hashing crate.
fn ring_sha1(data: &[u8]) -> String {
    let mut host = wsusfix_lab::Profile::builtin("w2003-no-wsus").unwrap().instantiate("scratch").unwrap();
    host.fs.put(wsusfix_lab::host::FileEntry {
        path: r"C:\f.bin".into(),
        version: None,
        modified: 0,
        content: wsusfix_lab::host::Content::Bytes(data.to_vec()),
    });
    let who = host.session_principal();
    let out = wsusfix_lab::interp::run_line(&mut host, r"certutil -hashfile C:\f.bin SHA1", who);
    String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap_or_default().to_string()
}
