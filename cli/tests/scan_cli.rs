//! `wsusfix scan` against the lab: time bounds that fit a read-only probe.

use std::process::Command;
use std::time::{Duration, Instant};

use wsusfix_lab::{HostSpec, Lab, LabConfig};

fn wsusfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wsusfix"))
}

/// A host that accepts the probe and never answers is given up on after the probe's own
/// timeout (`--probe-timeout`, or the host's `probe_timeout`), not after minutes; the other
/// hosts are judged, and the scan says it is incomplete (3).
#[test]
fn a_hung_host_is_given_up_after_the_probe_timeout() {
    let hosts = ["hang", "w2003-sp1-unpatched"].map(|p| HostSpec::new(p, p).unwrap()).to_vec();
    let lab = Lab::start(LabConfig { hosts, ..LabConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inventory = lab.write_artifacts(dir.path()).unwrap().inventory;

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
    let hosts = json["hosts"].as_array().unwrap();
    let hung = hosts.iter().find(|h| h["host"] == "hang").unwrap();
    assert_eq!(hung["verdict"], "unknown", "{hung}");
    assert!(hung["reason"].as_str().unwrap().contains("timed out"), "{hung}");
    let other = hosts.iter().find(|h| h["host"] == "w2003-sp1-unpatched").unwrap();
    assert_eq!(other["verdict"], "affected", "{other}");
    assert!(took < Duration::from_secs(20), "the scan took {took:?} for a 2 s probe timeout");

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
