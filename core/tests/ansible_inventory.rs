//! wsusfix reads inventories as Ansible does, proved against Ansible itself.
//!
//! Each folder under `tests/data/ansible/` is a case: inventory files (YAML, INI, folders,
//! `group_vars/`, `host_vars/`), a `sources` file listing the `-i` arguments one a line, and
//! `expected.json`, the output of `ansible-inventory -i … --list` recorded from ansible-core.
//! `every_case_reads_as_ansible_reads_it` loads each case with wsusfix and compares the groups,
//! their hosts and children, and every host's merged connection variables with that record.
//! A case with an `expected-error` file is one wsusfix refuses: the file holds text its error
//! must contain (the record shows what Ansible made of it).
//!
//! `the_records_are_what_ansible_prints` runs the real `ansible-inventory` (on `PATH`, or
//! `WSUSFIX_ANSIBLE_INVENTORY`) and checks the records are still what it prints; with
//! `WSUSFIX_BLESS=1` it rewrites them. Without Ansible it skips, saying so, except under `CI`,
//! where `.ci/run` installs ansible-core.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wsusfix_core::inventory::{Host, Inventory};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ansible");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/data/ansible")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("sources").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "cases: {cases:?}");
    cases
}

fn sources(case: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(case.join("sources")).expect("a sources file");
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

fn name(case: &Path) -> String {
    case.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string()
}

/// wsusfix's variable for each Ansible variable the cases set.
fn canonical(ansible_name: &str) -> Option<&'static str> {
    Some(match ansible_name {
        "ansible_host" | "ansible_ssh_host" | "host" => "address",
        "ansible_port" | "ansible_ssh_port" | "port" => "port",
        "ansible_user" | "ansible_ssh_user" | "user" => "user",
        "ansible_ssh_private_key_file" | "ansible_private_key_file" | "ssh_key_file" => "ssh_key_file",
        "ansible_shell_type" | "shell_type" => "shell_type",
        "wsus_dir" => "wsus_dir",
        "temp_dir" => "temp_dir",
        "connect_timeout" => "connect_timeout",
        "probe_timeout" => "probe_timeout",
        "known_hosts_file" => "known_hosts_file",
        "jump_host" => "jump_host",
        _ => return None,
    })
}

/// What Ansible's record says of one host, in wsusfix's names and words.
fn ansible_view(host: &str, vars: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in vars {
        let Some(name) = canonical(key) else { continue };
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) if name.ends_with("_timeout") => format!("{}s", n.as_f64().unwrap_or_default()),
            other => other.to_string(),
        };
        let previous = out.insert(name.to_string(), text);
        assert!(previous.is_none(), "{host}: the case sets two aliases of `{name}`; keep one per case");
    }
    out.entry("address".into()).or_insert_with(|| host.to_string());
    out.entry("port".into()).or_insert_with(|| "22".into());
    out
}

fn wsusfix_view(host: &Host) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("address".to_string(), host.address.clone());
    out.insert("port".to_string(), host.port.to_string());
    if let Some(user) = &host.user {
        out.insert("user".to_string(), user.clone());
    }
    for (name, value) in host.vars.entries() {
        out.insert(name.to_string(), value);
    }
    out
}

fn names(value: Option<&Value>) -> BTreeSet<String> {
    value.and_then(Value::as_array).into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect()
}

#[test]
fn every_case_reads_as_ansible_reads_it() {
    let mut failures = Vec::new();
    for case in cases() {
        let case_name = name(&case);
        let record: Value = serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
            .unwrap_or_else(|e| panic!("{case_name}/expected.json: {e}"));
        let paths: Vec<PathBuf> = sources(&case).iter().map(|s| case.join(s)).collect();
        let loaded = Inventory::load_all(&paths);
        if let Ok(expected) = std::fs::read_to_string(case.join("expected-error")) {
            match loaded {
                Ok(_) => failures.push(format!("{case_name}: loaded, but wsusfix should refuse it")),
                Err(err) if !err.to_string().contains(expected.trim()) => {
                    failures.push(format!("{case_name}: the error\n  {err}\ndoes not say `{}`", expected.trim()))
                }
                Err(_) => {}
            }
            continue;
        }
        let inventory = match loaded {
            Ok(inventory) => inventory,
            Err(err) => {
                failures.push(format!("{case_name}: {err}"));
                continue;
            }
        };
        let hostvars = record["_meta"]["hostvars"].as_object().cloned().unwrap_or_default();
        let groups = record.as_object().expect("a JSON object");
        // Groups: the same names, and in each the same direct hosts and children.
        let ansible_groups: BTreeSet<&String> = groups.keys().filter(|k| *k != "_meta").collect();
        let ours: BTreeSet<&String> = inventory
            .groups
            .iter()
            .filter(|(n, g)| *n == "all" || !g.hosts.is_empty() || !g.children.is_empty())
            .map(|(n, _)| n)
            .collect();
        if ansible_groups != ours {
            failures.push(format!("{case_name}: groups: Ansible {ansible_groups:?}, wsusfix {ours:?}"));
        }
        let mut all_hosts = BTreeSet::new();
        for (group_name, body) in groups.iter().filter(|(k, _)| *k != "_meta") {
            let Some(group) = inventory.groups.get(group_name) else { continue };
            let (hosts, children) = (names(body.get("hosts")), names(body.get("children")));
            all_hosts.extend(hosts.iter().cloned());
            let our_hosts: BTreeSet<String> = group.hosts.iter().cloned().collect();
            let our_children: BTreeSet<String> = group.children.iter().cloned().collect();
            if hosts != our_hosts {
                failures
                    .push(format!("{case_name}: group {group_name} hosts: Ansible {hosts:?}, wsusfix {our_hosts:?}"));
            }
            if children != our_children {
                failures.push(format!(
                    "{case_name}: group {group_name} children: Ansible {children:?}, wsusfix {our_children:?}"
                ));
            }
        }
        // Hosts: the same set, and each with the same variables.
        let our_hosts: BTreeSet<String> = inventory.hosts.iter().map(|h| h.name.clone()).collect();
        if all_hosts != our_hosts {
            failures.push(format!("{case_name}: hosts: Ansible {all_hosts:?}, wsusfix {our_hosts:?}"));
        }
        for host in &inventory.hosts {
            let empty = serde_json::Map::new();
            let vars = hostvars.get(&host.name).and_then(Value::as_object).unwrap_or(&empty);
            let (theirs, ours) = (ansible_view(&host.name, vars), wsusfix_view(host));
            if theirs != ours {
                failures.push(format!("{case_name}: host {}:\n  Ansible {theirs:?}\n  wsusfix {ours:?}", host.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The `ansible-inventory` to record with, if there is one.
fn ansible_inventory() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WSUSFIX_ANSIBLE_INVENTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("ansible-inventory")).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|candidate| candidate.is_file())
}

#[test]
fn the_records_are_what_ansible_prints() {
    let Some(program) = ansible_inventory() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but ansible-inventory is not installed (see .ci/run); this test must not skip in CI"
        );
        eprintln!(
            "skipped: ansible-inventory (ansible-core) is not installed; set WSUSFIX_ANSIBLE_INVENTORY to use one"
        );
        return;
    };
    let bless = std::env::var_os("WSUSFIX_BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let mut command = Command::new(&program);
        for source in sources(&case) {
            command.arg("-i").arg(source);
        }
        // A home and configuration of its own: nothing of the machine's Ansible set-up counts.
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("ansible.cfg");
        std::fs::write(&config, "[defaults]\n").unwrap();
        let output = command
            .arg("--list")
            .current_dir(&case)
            .env("HOME", home.path())
            .env("ANSIBLE_LOCAL_TEMP", home.path())
            .env("ANSIBLE_CONFIG", &config)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
        assert!(output.status.success(), "{}: {}", name(&case), String::from_utf8_lossy(&output.stderr));
        let mut printed: Value = serde_json::from_slice(&output.stdout).expect("JSON from ansible-inventory");
        if let Some(meta) = printed.get_mut("_meta").and_then(Value::as_object_mut) {
            meta.remove("profile");
        }
        let path = case.join("expected.json");
        if bless {
            std::fs::write(&path, serde_json::to_string_pretty(&printed).unwrap() + "\n").unwrap();
            continue;
        }
        let recorded: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).unwrap_or_default();
        if recorded != printed {
            failures.push(format!(
                "{}: ansible-inventory now prints something else; rerun with WSUSFIX_BLESS=1",
                name(&case)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
