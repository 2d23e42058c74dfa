//! WAN latency (`LabConfig::latency`, a profile's `connection.rtt_ms`): a libssh2 client pays
//! a round trip for every exchange of connect, handshake, authentication and exec, and
//! connections in flight at once do not wait for each other.
//!
//! Every time bound here is a lower bound, or an upper bound with a wide margin, so a loaded
//! machine cannot make them fail.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::TestLab;
use wsusfix_lab::{HostSpec, Lab, LabConfig, Profile};

/// Round trips of a libssh2 session that connects, authenticates with a key file, runs one
/// command and reads its answer: 8 counted (the TCP handshake, the banners with both KEXINITs,
/// the ECDH exchange, NEWKEYS with the service request, the key query, the signed
/// authentication, channel open, exec with the command's answer), and measured (8.4 at 100 ms
/// in a debug build). Asserted with a margin against a client that pipelines more.
const AT_LEAST: u32 = 6;

/// Connects, authenticates, runs `ver`; returns the output and how long it all took.
fn ver(port: u16, files: &wsusfix_lab::Artifacts) -> (String, Duration) {
    let started = Instant::now();
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut sess = ssh2::Session::new().expect("session");
    sess.set_tcp_stream(tcp);
    sess.set_timeout(30_000);
    sess.handshake().expect("handshake");
    sess.userauth_pubkey_file("admin", None, &files.private_key, None).expect("auth");
    let mut channel = sess.channel_session().expect("channel");
    channel.exec("ver").expect("exec");
    let mut out = String::new();
    channel.read_to_string(&mut out).expect("stdout");
    channel.wait_close().expect("close");
    (out, started.elapsed())
}

#[test]
fn a_session_pays_a_round_trip_per_exchange() {
    let rtt = Duration::from_millis(100);
    let lab = TestLab::start_config(&[("far", "w2003-rtm")], LabConfig { latency: rtt, ..LabConfig::default() });
    assert_eq!(lab.lab.host("far").expect("host").rtt, rtt);
    let (out, took) = ver(lab.port("far"), &lab.files);
    assert!(out.contains("[Version 5.2.3790]"), "{out}");
    eprintln!("connect + auth + exec at {rtt:?}: {took:?} ({:.1} round trips)", took.as_secs_f64() / 0.1);
    assert!(took >= rtt * AT_LEAST, "{took:?} is fewer than {AT_LEAST} round trips of {rtt:?}");
    assert!(took < rtt * 40, "{took:?}: far more than the session's round trips");
}

#[test]
fn connections_in_flight_do_not_wait_for_each_other() {
    let rtt = Duration::from_millis(200);
    let lab =
        TestLab::start_config(&[("far", "w2008-sp1-unpatched")], LabConfig { latency: rtt, ..LabConfig::default() });
    let port = lab.port("far");
    let (_, one) = ver(port, &lab.files);
    let started = Instant::now();
    std::thread::scope(|s| {
        let clients: Vec<_> = (0..16).map(|_| s.spawn(|| ver(port, &lab.files))).collect();
        for client in clients {
            let (out, took) = client.join().expect("client");
            assert!(out.contains("[Version 6.0.6001]"), "{out}");
            assert!(took >= rtt * AT_LEAST, "{took:?}");
        }
    });
    let sixteen = started.elapsed();
    eprintln!("one session {one:?}, sixteen at once {sixteen:?}");
    assert!(sixteen < one * 2, "16 sessions at once took {sixteen:?}, one alone {one:?}: delays serialize");
}

#[test]
fn a_profile_sets_its_own_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let far = dir.path().join("far.yaml");
    std::fs::write(&far, "extends: w2003-rtm\ndescription: far away\nconnection: { rtt_ms: 150 }\n").expect("write");
    let near = dir.path().join("near.yaml");
    std::fs::write(&near, "extends: w2003-rtm\ndescription: next door\nconnection: { rtt_ms: 0 }\n").expect("write");
    let hosts = vec![
        HostSpec { name: "far".into(), profile: Profile::from_file(&far).expect("far profile") },
        HostSpec { name: "near".into(), profile: Profile::from_file(&near).expect("near profile") },
        HostSpec::new("default", "w2003-rtm").expect("profile"),
    ];
    // The lab's latency applies to the host whose profile names none.
    let lab =
        Lab::start(LabConfig { hosts, seed: Some(7), latency: Duration::from_millis(60), ..LabConfig::default() })
            .expect("lab");
    let files = lab.write_artifacts(dir.path()).expect("artifacts");
    let rtts: Vec<u64> = lab.hosts().iter().map(|h| h.rtt.as_millis() as u64).collect();
    assert_eq!(rtts, [150, 0, 60]);
    let (_, far) = ver(lab.host("far").expect("far").addr.port(), &files);
    assert!(far >= Duration::from_millis(150) * AT_LEAST, "{far:?}");
    let (_, default) = ver(lab.host("default").expect("default").addr.port(), &files);
    assert!(default >= Duration::from_millis(60) * AT_LEAST, "{default:?}");
    assert!(
        Profile::builtin("slow").expect("slow").connection.rtt_ms.is_none(),
        "a slow command is not a slow network"
    );
}

#[test]
fn a_dropped_connection_still_delivers_what_came_before_the_cut() {
    let lab = TestLab::start_config(
        &[("drop", "drop")],
        LabConfig { latency: Duration::from_millis(100), ..LabConfig::default() },
    );
    let tcp = TcpStream::connect(("127.0.0.1", lab.port("drop"))).expect("connect");
    let mut sess = ssh2::Session::new().expect("session");
    sess.set_tcp_stream(tcp);
    sess.set_timeout(30_000);
    sess.handshake().expect("handshake");
    sess.userauth_pubkey_file("admin", None, &lab.files.private_key, None).expect("auth");
    let mut channel = sess.channel_session().expect("channel");
    channel.exec(r#"reg query "HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup""#).expect("exec");
    let mut out = Vec::new();
    let _ = channel.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(!out.is_empty(), "the half sent before the cut arrives");
    assert!(!text.contains("wYukonInstalled"), "{text}");
    let _ = channel.wait_close();
    assert!(channel.exit_status().map_or(true, |code| code == 0), "no exit status arrives");
}
