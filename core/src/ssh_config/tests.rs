//! Resolution against real files: blocks, first-wins, `Match`, `Include`, warnings, errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files { dir: tempfile::tempdir().unwrap() }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn local(&self) -> LocalUser {
        LocalUser { home: Some(self.dir.path().to_path_buf()), name: "op".into(), uid: Some(1000) }
    }

    fn config(&self, path: &Path) -> SshConfig {
        SshConfig::read_file(path, &self.local()).unwrap()
    }
}

#[test]
fn first_value_wins_across_blocks() {
    let f = Files::new();
    let path = f.write(
        "config",
        "Port 2000\nHost wsus*\n  Port 3000\n  User first\nHost *\n  User second\n  HostName %h.corp\n  HostName ignored\n",
    );
    let host = f.config(&path).host("wsus01").unwrap();
    assert_eq!(host.port.as_ref().unwrap().value, 2000);
    assert_eq!(host.port.unwrap().at, Location::new(&path, 1));
    assert_eq!(host.user.unwrap().value, "first");
    assert_eq!(host.host_name.as_ref().unwrap().value, "wsus01.corp");
    assert_eq!(host.host_name.unwrap().at.line, 7);
    assert!(host.warnings.is_empty());
}

#[test]
fn host_patterns_negation_and_case() {
    let f = Files::new();
    let path = f.write("config", "Host web* !web-test?\n  User web\nHost Mixed\n  User mixed\nHost *\n  User other\n");
    let config = f.config(&path);
    assert_eq!(config.host("web01").unwrap().user.unwrap().value, "web");
    assert_eq!(config.host("web-test1").unwrap().user.unwrap().value, "other");
    assert_eq!(config.host("Mixed").unwrap().user.unwrap().value, "mixed");
    assert_eq!(config.host("mixed").unwrap().user.unwrap().value, "other", "Host is case-sensitive, as in ssh");
}

#[test]
fn match_criteria() {
    let f = Files::new();
    let path = f.write(
        "config",
        "Host a\n  HostName a.corp.example\n\
         Match host *.corp.example\n  Port 1\n\
         Match originalhost=b !localuser root\n  Port 2\n\
         Match user op\n  Port 3\n\
         Match exec \"test -e /x\" host c\n  Port 4\n\
         Match all\n  Port 5\n",
    );
    let config = f.config(&path);
    assert_eq!(config.host("a").unwrap().port.unwrap().value, 1);
    assert_eq!(config.host("B").unwrap().port.unwrap().value, 2, "Match originalhost ignores case");
    assert_eq!(config.host("c").unwrap().port.unwrap().value, 3, "the local user when no User is set");
    let d = config.host("d").unwrap();
    assert_eq!(d.port.unwrap().value, 3);
    assert_eq!(d.warnings.len(), 1);
    let warning = d.warnings[0].to_string();
    assert!(warning.contains(":9: Match: wsusfix cannot decide `exec`"), "{warning}");
}

#[test]
fn includes_apply_only_inside_matching_blocks() {
    let f = Files::new();
    f.write(".ssh/conf.d/a.conf", "User included\nHost *\n  Port 7\n");
    let path = f.write(
        "config",
        "Host other\n  Include conf.d/*.conf\nHost wsus01\n  Include conf.d/*.conf\n  Port 8\nHost *\n  Port 9\n",
    );
    let config = f.config(&path);
    let wsus = config.host("wsus01").unwrap();
    assert_eq!((wsus.user.unwrap().value.as_str(), wsus.port.unwrap().value), ("included", 7));
    let other = config.host("x").unwrap();
    assert_eq!((other.user, other.port.unwrap().value), (None, 9));
}

#[test]
fn applied_values() {
    let f = Files::new();
    let path = f.write(
        "config",
        "Host *\n  IdentityFile ~/.ssh/id_%r\n  IdentityFile %d/k\n  IdentityFile ~/.ssh/id_%r\n\
         ProxyJump ops@bastion:2200\n  UserKnownHostsFile none\n  GlobalKnownHostsFile /a %d/b\n\
         StrictHostKeyChecking accept-new\n  ConnectTimeout 1m\n  ServerAliveInterval 0\n",
    );
    let host = f.config(&path).host("wsus01").unwrap();
    let ids: Vec<&str> = host.identity_files.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(ids, ["~/.ssh/id_%r", "%d/k"]);
    assert_eq!(
        host.proxy_jump.unwrap().value,
        ProxyJump::Via { user: Some("ops".into()), host: "bastion".into(), port: Some(2200) }
    );
    assert_eq!(host.user_known_hosts.unwrap().value, Vec::<String>::new());
    assert_eq!(host.global_known_hosts.unwrap().value, ["/a", "%d/b"]);
    assert_eq!(host.strict_host_key_checking.unwrap().value, StrictHostKeyChecking::AcceptNew);
    assert_eq!(host.connect_timeout.unwrap().value, Duration::from_secs(60));
    assert_eq!(host.server_alive_interval.unwrap().value, Duration::ZERO);
    let tokens = Tokens {
        home: Some("/home/op".into()),
        local_user: "op".into(),
        remote_user: "admin".into(),
        ..Tokens::default()
    };
    let first = &host.identity_files[0];
    assert_eq!(
        expand_path(&first.value, &first.at, "IdentityFile", &tokens).unwrap(),
        Path::new("/home/op/.ssh/id_admin")
    );
}

#[test]
fn what_is_warned_and_what_is_not() {
    let f = Files::new();
    let path = f.write(
        "config",
        "Host github.com\n  ProxyCommand nc %h %p\nHost *\n  SendEnv LANG\n  ProxyCommand ssh -W %h:%p gw\n\
         StrictHostKeyChecking no\n  Frobnicate yes\n  IgnoreUnknown Quux*\n  QuuxOption 1\n",
    );
    let host = f.config(&path).host("wsus01").unwrap();
    let warnings: Vec<String> = host.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(warnings[0]
        .ends_with(":5: ProxyCommand: is not run: wsusfix connects directly, or through ProxyJump / jump_host"));
    assert!(warnings[1].contains(":6: StrictHostKeyChecking: `no` would let ssh trust any key"), "{}", warnings[1]);
    assert!(warnings[2].contains(":7: frobnicate: is not an OpenSSH option"), "{}", warnings[2]);
    assert_eq!(host.strict_host_key_checking.unwrap().value, StrictHostKeyChecking::No);
}

#[test]
fn bad_values_name_file_line_and_directive() {
    let f = Files::new();
    let path = f.write("config", "Host unrelated\n  Port x\nHost wsus*\n  User \"a b\"\n");
    let config = f.config(&path);
    assert!(config.host("other").is_ok(), "a bad value in a block that does not apply is not an error");
    let err = config.host("wsus01").unwrap_err().to_string();
    assert_eq!(
        err,
        format!("ssh_config {}:4: User: ` ` is not allowed; use only letters, digits and . _ - \\ @", path.display())
    );
    let err = config.host("unrelated").unwrap_err().to_string();
    assert!(err.contains(":2: Port: \"x\" is not a port number"), "{err}");
    for (line, expected) in [
        ("HostName -oProxyCommand=x", "HostName: "),
        ("HostName %r.corp", "`%r` is not a token"),
        ("ProxyJump a,b", "several jump hosts"),
        ("StrictHostKeyChecking maybe", "StrictHostKeyChecking"),
        ("Port 1 2", "extra arguments"),
    ] {
        let path = f.write("bad", &format!("{line}\n"));
        let err = f.config(&path).host("h").unwrap_err().to_string();
        assert!(err.contains(expected) && err.contains("bad:1:"), "{line}: {err}");
    }
}

#[test]
fn sources() {
    let f = Files::new();
    assert_eq!(Source::from_arg(Path::new("none")), Source::None);
    let none = SshConfig::load(&Source::None, &f.local()).unwrap();
    assert_eq!(none.host("x").unwrap(), HostConfig::default());
    let err = SshConfig::load(&Source::File(f.dir.path().join("missing")), &f.local()).unwrap_err();
    assert!(matches!(err, SshConfigError::Io { .. }));
    // Without -F: the user's file first, then the system's; both may be absent.
    f.write(".ssh/config", "Port 1\n");
    let system = f.write("system", "Port 2\nUser sys\n");
    let both = SshConfig::read(Some(&f.dir.path().join(".ssh/config")), Some(&system), &f.local()).unwrap();
    let host = both.host("x").unwrap();
    assert_eq!((host.port.unwrap().value, host.user.unwrap().value.as_str()), (1, "sys"));
    assert!(SshConfig::read(Some(&f.dir.path().join("nope")), None, &f.local()).is_ok());
}
