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

#[test]
fn language_ssh_server_and_free_space_from_yaml_and_specs() {
    use crate::host::SshServer;
    use crate::locale::Language;
    let yaml = "extends: w2008-sp1-unpatched\nlanguage: ja-JP\nssh_server: freesshd\nfree_bytes: 1048576\n";
    let p = Profile::from_yaml("mine", "mine.yaml", yaml).unwrap();
    assert_eq!((p.language(), p.ssh_server(), p.name.as_str()), (Language::JaJp, SshServer::Freesshd, "mine"));
    let host = p.instantiate("h").unwrap();
    assert_eq!((host.language, host.ssh_server, host.free_bytes), (Language::JaJp, SshServer::Freesshd, 1_048_576));
    assert!(host.session_is_wow64());
    let p = p.with_language(Language::DeDe).with_ssh_server(SshServer::Freesshd);
    assert_eq!(p.name, "mine@de-DE", "only what differs from the profile's own shows");
    assert!(Profile::from_yaml("bad", "bad.yaml", "extends: w2003-rtm\nlanguage: klingon\n").is_err());
    assert!(Profile::from_yaml("bad", "bad.yaml", "extends: w2003-rtm\nssh_server: telnetd\n").is_err());

    let spec = split_spec("w2003-sp2+cygwin@fr-FR").unwrap();
    assert_eq!(spec.name, "w2003-sp2");
    assert_eq!((spec.language, spec.ssh_server), (Some(Language::FrFr), Some(SshServer::Cygwin)));
    assert!(split_spec("w2003-sp2@fr-FR@de-DE").is_err());
    assert!(split_spec("@fr-FR").is_err());
    assert!(matches!(Profile::from_spec("w2003-sp2@xx", &[]), Err(ProfileError::Invalid { .. })));
    let p = Profile::from_spec("w2003-sp2@zh-CN", &[]).unwrap();
    assert_eq!(
        (p.name.as_str(), p.language(), p.ssh_server()),
        ("w2003-sp2@zh-CN", Language::ZhCn, SshServer::Win32OpenSsh)
    );
}

#[test]
fn every_profile_combines_with_every_language_and_ssh_server() {
    use crate::host::SshServer;
    use crate::locale::Language;
    for name in Profile::builtin_names() {
        for language in Language::ALL {
            for server in SshServer::ALL {
                let p = Profile::builtin(name).unwrap().with_language(language).with_ssh_server(server);
                let host = p.instantiate("h").unwrap_or_else(|e| panic!("{}: {e}", p.name));
                assert_eq!(
                    (host.language, host.ssh_server, host.profile.as_str()),
                    (language, server, p.name.as_str())
                );
            }
        }
    }
    // The default stays what it was: English, Win32-OpenSSH, and no suffix.
    let p = Profile::builtin("w2003-sp2").unwrap();
    assert_eq!((p.language(), p.ssh_server(), p.name.as_str()), (Language::EnUs, SshServer::Win32OpenSsh, "w2003-sp2"));
}

#[test]
fn state_saved_before_languages_loads_as_english_openssh() {
    let host = Profile::builtin("w2003-sp2").unwrap().instantiate("h").unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&host).unwrap();
    let map = json.as_object_mut().unwrap();
    for key in ["language", "ssh_server", "free_bytes"] {
        assert!(map.remove(key).is_some(), "{key} is saved");
    }
    let back: crate::host::HostState = serde_json::from_value(json).unwrap();
    assert_eq!(back, host);
}
