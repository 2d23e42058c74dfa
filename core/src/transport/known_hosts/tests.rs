//! known_hosts parsing and matching, on lines as OpenSSH writes them.

use super::*;

const ED_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIEx7sVzz4u0Ess6ufNx9Ma8+JLzP/iTrnf7u0QHzpsrm";
const ED_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIDoV0dB6t2U7VmTpTqfwfVbAvxdqWiRo2bPrbGzEf0Xb";
const ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBF0zVgeLCwZ9YGFlgDc6U7TrsSPJtp1uvEpxGonv25NELrh4Er/EY+Mw0hfaH6fpzlM3eGHnWrmKSSnfENK9X78=";
// `ssh-keygen -H` of "[127.0.0.1]:2222 ssh-ed25519 ED_A".
const HASHED_2222: &str = "|1|w1GCdSFCbO+VDwTR3d6amhp82iM=|DBWFjR/yY+aHth5Bfh9HGc8e+YQ=";

fn key(b64: &str) -> HostKey {
    HostKey::from_base64(b64).expect("test key")
}

fn store(text: &str) -> KnownHostsStore {
    let mut store = KnownHostsStore::default();
    store.add_text(Path::new("known_hosts"), text);
    store
}

#[test]
fn names_hosts_as_openssh_does() {
    assert_eq!(known_host_name("wsus01.corp", 22), "wsus01.corp");
    assert_eq!(known_host_name("10.0.0.5", 2222), "[10.0.0.5]:2222");
    assert_eq!(known_host_name("::1", 2222), "[::1]:2222");
}

#[test]
fn plain_names_match_exactly_per_port() {
    let s = store(&format!("wsus01,10.0.0.5 ssh-ed25519 {ED_A}\n[10.0.0.5]:2222 ssh-ed25519 {ED_B}\n"));
    assert!(matches!(s.check("10.0.0.5", &key(ED_A)), HostKeyCheck::Known));
    assert!(matches!(s.check("WSUS01", &key(ED_A)), HostKeyCheck::Known));
    assert!(matches!(s.check("[10.0.0.5]:2222", &key(ED_B)), HostKeyCheck::Known));
    // A key recorded for port 22 says nothing about port 2223, and the reverse.
    assert!(matches!(s.check("[10.0.0.5]:2223", &key(ED_A)), HostKeyCheck::Unknown { .. }));
    match s.check("[10.0.0.5]:2222", &key(ED_A)) {
        HostKeyCheck::Changed(entry) => {
            assert_eq!(entry.location(), "known_hosts:2");
            assert_eq!(entry.key().to_base64(), ED_B);
        }
        other => panic!("expected a changed key, got {other:?}"),
    }
}

#[test]
fn hashed_names_are_matched() {
    let s = store(&format!("{HASHED_2222} ssh-ed25519 {ED_A}\n"));
    assert!(matches!(s.check("[127.0.0.1]:2222", &key(ED_A)), HostKeyCheck::Known));
    assert!(matches!(s.check("[127.0.0.1]:2222", &key(ED_B)), HostKeyCheck::Changed(_)));
    assert!(matches!(s.check("127.0.0.1", &key(ED_A)), HostKeyCheck::Unknown { .. }));
}

#[test]
fn patterns_wildcards_and_negation() {
    let s = store(&format!("*.corp,!bad.corp,10.0.0.? ssh-ed25519 {ED_A}\n"));
    assert!(matches!(s.check("wsus01.corp", &key(ED_A)), HostKeyCheck::Known));
    assert!(matches!(s.check("10.0.0.7", &key(ED_A)), HostKeyCheck::Known));
    assert!(matches!(s.check("10.0.0.17", &key(ED_A)), HostKeyCheck::Unknown { .. }));
    assert!(matches!(s.check("bad.corp", &key(ED_A)), HostKeyCheck::Unknown { .. }));
    assert!(wildcard_matches(b"a*b*c", b"axxbyyc"));
    assert!(!wildcard_matches(b"a*b", b"axxbyy"));
    assert!(wildcard_matches(b"*", b""));
}

#[test]
fn another_key_type_is_unknown_not_changed() {
    let s = store(&format!("wsus01 ecdsa-sha2-nistp256 {ECDSA}\n"));
    match s.check("wsus01", &key(ED_A)) {
        HostKeyCheck::Unknown { other_types } => assert_eq!(other_types, ["ecdsa-sha2-nistp256"]),
        other => panic!("expected unknown, got {other:?}"),
    }
    assert_eq!(s.key_types_for("wsus01"), ["ecdsa-sha2-nistp256"]);
}

#[test]
fn revoked_keys_are_refused_and_markers_skipped() {
    let text = format!(
        "# comment\n\n@revoked * ssh-ed25519 {ED_B}\n@cert-authority *.corp ssh-ed25519 {ED_A}\nwsus01 ssh-ed25519 {ED_B}\n"
    );
    let s = store(&text);
    assert!(matches!(s.check("wsus01", &key(ED_B)), HostKeyCheck::Revoked(e) if e.location() == "known_hosts:3"));
    assert!(matches!(s.check("wsus02.corp", &key(ED_A)), HostKeyCheck::Unknown { .. }));
}

#[test]
fn malformed_lines_are_reported_not_fatal() {
    let s =
        store(&format!("wsus01 ssh-ed25519\nwsus01 ssh-ed25519 not*base64\n@weird x y z\nwsus02 ssh-ed25519 {ED_A}\n"));
    assert_eq!(s.malformed().len(), 3);
    assert!(s.malformed()[0].starts_with("known_hosts:1: "));
    assert!(matches!(s.check("wsus02", &key(ED_A)), HostKeyCheck::Known));
}

#[test]
fn appends_to_the_first_writable_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocked = dir.path().join("not-a-dir");
    fs::write(&blocked, "").expect("write");
    let unwritable = blocked.join("known_hosts");
    let target = dir.path().join("ssh").join("known_hosts");
    fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
    fs::write(&target, format!("old ssh-ed25519 {ED_B}")).expect("seed without final newline");

    let files = [unwritable, target.clone()];
    let written = append_key(&files, "[127.0.0.1]:2222", &key(ED_A)).expect("appended");
    assert_eq!(written, target);
    let text = fs::read_to_string(&target).expect("read");
    assert_eq!(text, format!("old ssh-ed25519 {ED_B}\n[127.0.0.1]:2222 ssh-ed25519 {ED_A}\n"));

    let reloaded = KnownHostsStore::load(&files).expect("load");
    assert!(matches!(reloaded.check("[127.0.0.1]:2222", &key(ED_A)), HostKeyCheck::Known));
    assert!(append_key(&[], "x", &key(ED_A)).is_err());
}
