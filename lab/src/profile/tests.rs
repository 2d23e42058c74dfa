use super::*;
use crate::host::{Os, Token};

#[test]
fn every_builtin_profile_loads_and_instantiates() {
    for name in Profile::builtin_names() {
        let p = Profile::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let host = p.instantiate("wsus-lab-001").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!p.description.is_empty(), "{name} has no description");
        assert_eq!(host.env_var("COMPUTERNAME"), Some("WSUS-LAB-001"));
    }
}

#[test]
fn extends_merges_maps_and_appends_lists() {
    let p = Profile::builtin("w2008-sp1-unpatched-elevated").unwrap();
    let host = p.instantiate("h").unwrap();
    assert_eq!(host.os, Os::W2008);
    assert_eq!(host.token, Token::Elevated);
    assert_eq!(host.wsus_setting("VersionString").unwrap().as_text(), "3.1.6001.65");
    assert!(host.service("W3SVC").is_some());
    assert_eq!(Profile::builtin("hang").unwrap().connection.fault, ConnectionFault::Hang);
    assert_eq!(Profile::builtin("slow").unwrap().connection.latency_ms, 400);
}

#[test]
fn user_file_errors_carry_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.yaml");
    std::fs::write(&path, "extends: w2003-rtm\nos: w2003\narch: [x86\n").unwrap();
    let err = Profile::from_file(&path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:4:1: ", path.display())), "{err}");
    std::fs::write(&path, "extends: w2003-rtm\nos: w2099\n").unwrap();
    let err = Profile::from_file(&path).unwrap_err().to_string();
    assert!(err.contains(":2:"), "{err}");
    std::fs::write(&path, "extends: w2003-rtm\nwsus:\n  dll_version: 3.0.6000.274\n").unwrap();
    let host = Profile::from_file(&path).unwrap().instantiate("x").unwrap();
    let dll = host.wsus_dll_path().unwrap();
    assert_eq!(host.fs.file(&dll).unwrap().version.as_deref(), Some("3.0.6000.274"));
    assert!(matches!(Profile::builtin("nope"), Err(ProfileError::Unknown { .. })));
}
