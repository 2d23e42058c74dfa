//! `wsusfix scan` against the lab: time bounds that fit a read-only probe.

use std::process::Command;
use std::time::{Duration, Instant};

use wsusfix_lab::{Artifacts, HostSpec, Lab, LabConfig, RunningLab};

fn wsusfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wsusfix"))
}

/// A lab of one host per profile, each named after its profile, and its files.
fn lab(profiles: &[&str]) -> (RunningLab, tempfile::TempDir, Artifacts) {
    let hosts = profiles.iter().map(|p| HostSpec::new(p, p).unwrap()).collect();
    let lab = Lab::start(LabConfig { hosts, ..LabConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = lab.write_artifacts(dir.path()).unwrap();
    (lab, dir, files)
}

/// A host that accepts the probe and never answers is given up on after the probe's own
/// timeout (`--probe-timeout`, or the host's `probe_timeout`), not after minutes; the other
/// hosts are judged, and the scan says it is incomplete (3).
#[test]
fn a_hung_host_is_given_up_after_the_probe_timeout() {
    let (lab, _dir, files) = lab(&["hang", "w2003-sp1-unpatched"]);
    let inventory = files.inventory;

    let help = wsusfix().args(["scan", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--probe-timeout <SECS>") && help.contains("[default: 30]"), "{help}");

    let started = Instant::now();
    let out = wsusfix()
        .args(["scan", "--no-progress", "--format", "json", "--probe-timeout", "2", "-i"])
        .arg(&inventory)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The JSON says what wrote it, when, and from exactly which inventory.
    let about = &json["about"];
    assert_eq!(about["format_version"], 1, "{about}");
    assert_eq!(about["tool"], format!("wsusfix {}", env!("CARGO_PKG_VERSION")), "{about}");
    assert!(about["written_at"].as_str().is_some_and(|t| t.starts_with("20") && t.ends_with('Z')), "{about}");
    assert_eq!(about["inventory"]["path"], inventory.display().to_string(), "{about}");
    let sha256 = wsusfix_core::inventory::Inventory::load(&inventory).unwrap().sha256;
    assert_eq!(sha256.len(), 64);
    assert_eq!(about["inventory"]["sha256"], sha256, "{about}");
    let hosts = json["hosts"].as_array().unwrap();
    let hung = hosts.iter().find(|h| h["host"] == "hang").unwrap();
    assert_eq!(hung["verdict"], "unknown", "{hung}");
    assert!(hung["reason"].as_str().unwrap().contains("timed out"), "{hung}");
    let other = hosts.iter().find(|h| h["host"] == "w2003-sp1-unpatched").unwrap();
    assert_eq!(other["verdict"], "affected", "{other}");
    assert!(took < Duration::from_secs(20), "the scan took {took:?} for a 2 s probe timeout");
    // On a pipe, a line per host as it is judged; one that needs attention says why.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scan: 2 hosts\n") && stderr.contains("w2003-sp1-unpatched: affected ("), "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("hang: unknown (") && l.contains("timed out")), "{stderr}");

    // The host's own `probe_timeout` wins over the command line's.
    let text = std::fs::read_to_string(&inventory)
        .unwrap()
        .replace("lab_profile: hang", "lab_profile: hang\n      probe_timeout: 1");
    std::fs::write(&inventory, text).unwrap();
    let started = Instant::now();
    let out = wsusfix()
        .args(["scan", "--no-progress", "--probe-timeout", "600", "--limit", "hang", "-i"])
        .arg(&inventory)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() < Duration::from_secs(20), "probe_timeout: 1 was not applied");
    lab.shutdown();
}

/// The first Ctrl-C stops a scan at once: probes only read, so nothing waits for the hosts in
/// flight. The result holds every host judged before the stop, the others are `unknown`
/// (interrupted), the JSON is whole, and the exit status is 130.
#[test]
fn ctrl_c_stops_a_scan_at_once_and_writes_what_was_judged() {
    let (lab, dir, files) = lab(&["hang", "w2003-sp1-unpatched"]);
    let inventory = files.inventory;
    let out = dir.path().join("scan.json");
    let mut scan = wsusfix()
        .args(["scan", "--no-progress", "--format", "json", "--probe-timeout", "600", "-i"])
        .arg(&inventory)
        .arg("-o")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The healthy host answers within a second; the hung one never does.
    std::thread::sleep(Duration::from_secs(3));
    let signalled = Instant::now();
    let kill = Command::new("kill").args(["-INT", &scan.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(status) = scan.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(20) {
            let _ = scan.kill();
            panic!("the scan did not stop within 20 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut scan.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: stopping now"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).expect("whole JSON");
    let hosts = json["hosts"].as_array().unwrap();
    let hung = hosts.iter().find(|h| h["host"] == "hang").unwrap();
    assert_eq!(hung["verdict"], "unknown", "{hung}");
    assert!(hung["reason"].as_str().unwrap().starts_with("interrupted"), "{hung}");
    let judged = hosts.iter().find(|h| h["host"] == "w2003-sp1-unpatched").unwrap();
    assert_eq!(judged["verdict"], "affected", "judged before the stop: {judged}");
    lab.shutdown();
}

/// `--accept-new-host-keys` records a first-seen key and says so as OpenSSH does ("Permanently
/// added ... to the list of known hosts"), naming the file; the scan JSON keeps the notice.
#[test]
fn a_key_accepted_on_first_use_is_announced_as_openssh_does() {
    let (lab, _dir, files) = lab(&["w2003-sp1-unpatched"]);
    std::fs::write(&files.known_hosts, "").unwrap();
    let out = wsusfix()
        .args(["scan", "--no-progress", "--format", "json", "--accept-new-host-keys", "-i"])
        .arg(&files.inventory)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let port = lab.host("w2003-sp1-unpatched").unwrap().addr.port();
    let said = format!("Warning: Permanently added '[127.0.0.1]:{port}' (ED25519) to the list of known hosts (");
    assert!(stderr.contains(&said) && stderr.contains(&files.known_hosts.display().to_string()), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["hosts"][0]["notices"][0].as_str().unwrap().starts_with("Permanently added"), "{json}");
    assert!(std::fs::read_to_string(&files.known_hosts).unwrap().contains(&format!("[127.0.0.1]:{port} ssh-ed25519")));

    // The second time the key is known: nothing to say.
    let out = wsusfix()
        .args(["scan", "--no-progress", "--accept-new-host-keys", "-i"])
        .arg(&files.inventory)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Permanently added"));
    lab.shutdown();
}

/// `-q` leaves only the result (no per-host lines); `-vv` adds the structured log: each line in
/// its host's span, the connection, the command's end and the verdict; `-vvv` the SSH detail.
#[test]
fn quiet_and_verbose_say_less_and_more() {
    let (lab, _dir, files) = lab(&["w2003-sp1-unpatched"]);
    let scan = |flags: &[&str]| {
        let out = wsusfix().args(["scan", "-i"]).arg(&files.inventory).args(flags).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (stdout, stderr) = scan(&[]);
    assert!(stderr.contains("w2003-sp1-unpatched: affected"), "{stderr}");
    assert!(!stderr.contains("DEBUG") && !stderr.contains("INFO"), "{stderr}");
    assert!(stdout.contains("w2003-sp1-unpatched"), "{stdout}");

    let (quiet_stdout, quiet_stderr) = scan(&["-q"]);
    assert_eq!(quiet_stderr, "", "-q prints nothing on standard error for a clean scan");
    assert_eq!(quiet_stdout, stdout, "-q changes nothing on standard output");

    let (_, verbose) = scan(&["-vv"]);
    let in_span =
        |text: &str| verbose.lines().any(|l| l.contains("host{host=w2003-sp1-unpatched}") && l.contains(text));
    assert!(in_span("DEBUG") && in_span("connecting") && in_span("host key verified"), "{verbose}");
    assert!(in_span("command ended exit=Some(") && in_span("INFO") && in_span("judged verdict=affected"), "{verbose}");
    assert!(!verbose.contains("TRACE"), "{verbose}");
    assert!(verbose.contains("w2003-sp1-unpatched: affected"), "plain lines beside the log: {verbose}");

    let (_, trace) = scan(&["-vvv"]);
    assert!(trace.contains("SSH handshake done kex=") && trace.contains("exec command=\"echo ::wsusfix."), "{trace}");

    let out = wsusfix().args(["scan", "-q", "-v", "-i"]).arg(&files.inventory).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "-q and -v together are a usage error");
    lab.shutdown();
}
