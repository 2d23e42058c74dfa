//! `--state DIR`: a restarted lab keeps its ports, keys and host state.

use wsusfix_lab::{HostSpec, Lab, LabConfig};

fn start(dir: &std::path::Path) -> wsusfix_lab::RunningLab {
    let hosts = vec![
        HostSpec::new("keep-01", "w2008-sp1-unpatched").unwrap(),
        HostSpec::new("keep-02", "unreachable").unwrap(),
    ];
    Lab::start(LabConfig { hosts, state_dir: Some(dir.to_path_buf()), ..LabConfig::default() }).unwrap()
}

#[test]
fn restart_keeps_ports_keys_and_state() {
    let state = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let lab = start(state.path());
    let first = lab.write_artifacts(out.path()).unwrap();
    let known = std::fs::read_to_string(&first.known_hosts).unwrap();
    let key = std::fs::read_to_string(&first.private_key).unwrap();
    let ports: Vec<u16> = lab.hosts().iter().map(|h| h.addr.port()).collect();
    let handle = lab.host_state("keep-01").unwrap();
    assert_eq!(handle.run(r"mkdir C:\wsusfix-backup").exit_code, 0);
    assert!(lab.host_state("keep-02").is_none(), "unreachable hosts have no server");
    lab.shutdown();

    let lab = start(state.path());
    let again = lab.write_artifacts(out.path()).unwrap();
    assert_eq!(lab.hosts().iter().map(|h| h.addr.port()).collect::<Vec<_>>(), ports);
    assert_eq!(std::fs::read_to_string(&again.known_hosts).unwrap(), known);
    assert_eq!(std::fs::read_to_string(&again.private_key).unwrap(), key);
    let out = lab.host_state("keep-01").unwrap().run(r"if exist C:\wsusfix-backup (echo kept) else (echo lost)");
    assert_eq!(out.stdout, b"kept\r\n");
    lab.shutdown();
}
