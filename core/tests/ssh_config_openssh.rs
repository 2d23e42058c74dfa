//! wsusfix's reading of an OpenSSH client configuration against OpenSSH's own: for a set of
//! host names and a configuration with patterns, negation, `Match`, `Include` globs, repeated
//! directives (the first value wins) and `%` tokens, what `ssh -G -F FILE NAME` prints is what
//! wsusfix resolves, directive by directive.
//!
//! Without `/usr/bin/ssh` this test prints why and passes, except under CI (`CI` set), where a
//! missing client is a failure (`.ci/run` installs `openssh-client`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use wsusfix_core::connector::{ConnectSettings, SshConnector};
use wsusfix_core::inventory::Inventory;
use wsusfix_core::ssh_config::{
    expand_path, literal_path, HostConfig, LocalUser, ProxyJump, Source, SshConfig, StrictHostKeyChecking, Tokens,
};

const SSH: &str = "/usr/bin/ssh";

fn prerequisites() -> bool {
    if Path::new(SSH).exists() {
        return true;
    }
    let reason = format!("{SSH} not installed (apt-get install openssh-client)");
    assert!(std::env::var_os("CI").is_none(), "CI must compare with OpenSSH's ssh -G: {reason}");
    eprintln!("skipping ssh -G comparison: {reason}");
    false
}

/// The configuration, its includes written beside it (absolute: a relative `Include` is under
/// `~/.ssh`, which a test does not touch).
fn write_config(dir: &Path) -> std::path::PathBuf {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(
        dir.join("conf.d/10-db.conf"),
        "Host db*\n  ConnectTimeout 33\n  HostName %h.db.example\nHost *\n  IdentityFile ~/.ssh/included_%r\n",
    )
    .unwrap();
    std::fs::write(dir.join("conf.d/20-db1.conf"), "Host db1\n  StrictHostKeyChecking no\n  User=db1user\n").unwrap();
    std::fs::write(dir.join("conf.d/.hidden.conf"), "Port 9999\n").unwrap();
    let text = format!(
        "# before any Host: for every host\n\
         ServerAliveInterval 1m30s\n\
         Host web* !web-test*\n\
         \x20 HostName %h.corp.example\n\
         \x20 User webadmin\n\
         \x20 IdentityFile ~/.ssh/id_%r_%h\n\
         \x20 IdentityFile \"{d}/with space/id_%u\"\n\
         Host web-test* db?\n\
         \x20 Port 2201\n\
         \x20 User = tester\n\
         \x20 ProxyJump jumper@bastion:2022\n\
         Host Web01\n\
         \x20 Port 2299\n\
         Include {d}/conf.d/*.conf {d}/absent.conf\n\
         Host bastion\n\
         \x20 HostName 10.0.0.1\n\
         \x20 Port 2022\n\
         \x20 ProxyJump none\n\
         Match host *.corp.example\n\
         \x20 Port 2202\n\
         \x20 StrictHostKeyChecking accept-new\n\
         \x20 UserKnownHostsFile %d/.ssh/kh_%h_%r_%u_%n_%p {d}/kh2\n\
         Match originalhost db1 !user root\n\
         \x20 ConnectTimeout 44\n\
         Host *\n\
         \x20 Port 22\n\
         \x20 User fallback\n\
         \x20 StrictHostKeyChecking yes\n\
         \x20 ServerAliveInterval 15\n\
         \x20 GlobalKnownHostsFile {d}/global_known_hosts {d}/global2\n\
         \x20 IdentityFile ~/.ssh/id_%r_%h\n\
         \x20 ConnectTimeout 7\n"
    );
    let path = dir.join("ssh_config");
    std::fs::write(&path, text).unwrap();
    path
}

/// `ssh -G`'s answer, keyword to value(s).
fn openssh(config: &Path, name: &str) -> BTreeMap<String, Vec<String>> {
    let out = Command::new(SSH).arg("-G").arg("-F").arg(config).arg(name).output().expect("ssh runs");
    assert!(out.status.success(), "ssh -G {name}: {}", String::from_utf8_lossy(&out.stderr));
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if let Some((key, value)) = line.split_once(' ') {
            map.entry(key.to_owned()).or_default().push(value.to_owned());
        }
    }
    map
}

/// wsusfix's answer, in `ssh -G`'s words (ssh's own defaults where the configuration says nothing).
fn wsusfix(config: &SshConfig, local: &LocalUser, name: &str) -> BTreeMap<String, Vec<String>> {
    let found: HostConfig = config.host(name).unwrap();
    let host = found.host_name.as_ref().map_or_else(|| name.to_ascii_lowercase(), |h| h.value.clone());
    let port = found.port.as_ref().map_or(22, |p| p.value);
    let user = found.user.as_ref().map_or_else(|| local.name.clone(), |u| u.value.clone());
    let tokens = Tokens {
        home: local.home.as_ref().map(|h| h.display().to_string()),
        local_user: local.name.clone(),
        local_uid: local.uid,
        host: host.clone(),
        original: name.to_owned(),
        port,
        remote_user: user.clone(),
    };
    let mut map = BTreeMap::new();
    let mut put = |key: &str, values: Vec<String>| {
        map.insert(key.to_owned(), values);
    };
    put("hostname", vec![host]);
    put("port", vec![port.to_string()]);
    put("user", vec![user]);
    put("identityfile", found.identity_files.iter().map(|f| f.value.clone()).collect());
    if let Some(jump) = &found.proxy_jump {
        if let ProxyJump::Via { user, host, port } = &jump.value {
            let user = user.as_ref().map(|u| format!("{u}@")).unwrap_or_default();
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            put("proxyjump", vec![format!("{user}{host}{port}")]);
        }
    }
    if let Some(files) = &found.user_known_hosts {
        let paths = files.value.iter().map(|f| expand_path(f, &files.at, "UserKnownHostsFile", &tokens).unwrap());
        put("userknownhostsfile", vec![paths.map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ")]);
    }
    if let Some(files) = &found.global_known_hosts {
        let paths = files.value.iter().map(|f| literal_path(f, &files.at, "GlobalKnownHostsFile").unwrap());
        put("globalknownhostsfile", vec![paths.map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ")]);
    }
    let strict = match found.strict_host_key_checking.as_ref().map(|s| s.value) {
        Some(StrictHostKeyChecking::Yes) => "true",
        Some(StrictHostKeyChecking::No) => "false",
        Some(StrictHostKeyChecking::AcceptNew) => "accept-new",
        Some(StrictHostKeyChecking::Ask) | None => "ask",
    };
    put("stricthostkeychecking", vec![strict.to_owned()]);
    let timeout = found.connect_timeout.as_ref().map_or_else(|| "none".to_owned(), |t| t.value.as_secs().to_string());
    put("connecttimeout", vec![timeout]);
    let alive = found.server_alive_interval.as_ref().map_or(0, |t| t.value.as_secs());
    put("serveraliveinterval", vec![alive.to_string()]);
    map
}

#[test]
fn resolved_values_match_ssh_g() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path());
    let local = LocalUser::current();
    let config = SshConfig::load(&Source::File(path.clone()), &local).unwrap();
    let names = ["web01", "Web01", "web-test1", "webx", "db1", "db2", "db22", "bastion", "other", "WEB01"];
    let mut compared = 0;
    for name in names {
        let ours = wsusfix(&config, &local, name);
        let theirs = openssh(&path, name);
        for (key, value) in &ours {
            // Without an IdentityFile ssh lists its default keys; wsusfix uses the agent then.
            if key == "identityfile" && value.is_empty() {
                continue;
            }
            assert_eq!(Some(value), theirs.get(key), "{name}: {key}\nssh -G: {theirs:#?}");
            compared += 1;
        }
        if !ours.contains_key("proxyjump") {
            assert!(!theirs.contains_key("proxyjump"), "{name}: ssh jumps through {:?}", theirs["proxyjump"]);
        }
    }
    assert!(compared >= names.len() * 8, "{compared} values compared");
}

/// The connector connects where ssh would: the alias's address, port and user, and its
/// bastion resolved through the same file (ssh -G of the bastion's name).
#[test]
fn the_connector_goes_where_ssh_goes() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path());
    let inventory = Inventory::parse("all:\n  hosts:\n    web-test1:\n    web01:\n", "inline.yaml").unwrap();
    let connector = SshConnector::new(ConnectSettings {
        ssh_config: Some(Source::File(path.clone())),
        ..ConnectSettings::default()
    });
    for host in &inventory.hosts {
        let (target, options, warnings) = connector.route(host).unwrap();
        let theirs = openssh(&path, &host.name);
        assert_eq!(target.address, theirs["hostname"][0], "{}", host.name);
        assert_eq!(target.port.to_string(), theirs["port"][0], "{}", host.name);
        assert_eq!(target.user, theirs["user"][0], "{}", host.name);
        assert!(warnings.is_empty(), "{warnings:?}");
        let global: Vec<String> = options.global_known_hosts.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(global.join(" "), theirs["globalknownhostsfile"][0]);
        match target.jump {
            Some(jump) => {
                let bastion = openssh(&path, "bastion");
                assert_eq!(theirs["proxyjump"][0], "jumper@bastion:2022");
                assert_eq!(
                    (jump.address.as_str(), jump.port, jump.user.as_str()),
                    (bastion["hostname"][0].as_str(), 2022, "jumper")
                );
            }
            None => assert!(!theirs.contains_key("proxyjump"), "{}", host.name),
        }
    }
}
