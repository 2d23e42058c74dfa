//! Loading as a whole: precedence, nesting, aliases, duplicates, and errors with lines.

use std::time::Duration;

use super::*;

fn parse(text: &str) -> Inventory {
    match Inventory::parse(text, "inv.yaml") {
        Ok(inv) => inv,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn error(text: &str) -> String {
    match Inventory::parse(text, "inv.yaml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn host<'a>(inv: &'a Inventory, name: &str) -> &'a Host {
    inv.host(name).unwrap_or_else(|| panic!("no host {name}"))
}

const NESTED: &str = "
all:
  vars:
    port: 1001
    user: from-all
    connect_timeout: 5
    command_timeout: 60
  children:
    wsus_servers:
      vars:
        port: 1002
        user: from-wsus
        temp_dir: C:\\Temp
      children:
        datacenter_a:
          vars:
            port: 1003
          hosts:
            wsus-a1:
            wsus-a2:
              port: 2222
        branch_offices:
          vars:
            port: 1004
            connect_timeout: 30
          children:
            branch_eu:
              vars:
                port: 1005
              hosts:
                wsus-b1:
";

#[test]
fn precedence_host_over_child_over_parent_over_all() {
    let inv = parse(NESTED);
    let a1 = host(&inv, "wsus-a1");
    assert_eq!(a1.port, 1003, "child group beats parent group");
    assert_eq!(a1.user.as_deref(), Some("from-wsus"), "parent group beats all");
    assert_eq!(a1.vars.connect_timeout, Some(Duration::from_secs(5)), "all applies");
    assert_eq!(a1.vars.temp_dir.as_ref().map(|p| p.as_str()), Some("C:\\Temp"));
    assert_eq!(host(&inv, "wsus-a2").port, 2222, "host beats groups");
    let b1 = host(&inv, "wsus-b1");
    assert_eq!(b1.port, 1005, "deepest group wins, at any depth");
    assert_eq!(b1.vars.connect_timeout, Some(Duration::from_secs(30)));
    assert_eq!(b1.groups, ["branch_eu", "branch_offices", "wsus_servers"]);
    assert_eq!(inv.groups["branch_eu"].depth, 3);
    assert_eq!(inv.groups["wsus_servers"].children, ["datacenter_a", "branch_offices"]);
    assert_eq!(inv.groups["branch_offices"].parents, ["wsus_servers"]);
}

#[test]
fn sibling_groups_at_the_same_depth_later_name_wins() {
    let inv = parse(
        "
all:
  children:
    zulu: { vars: { port: 26 }, hosts: { h1: } }
    alpha: { vars: { port: 1, user: alpha }, hosts: { h1: } }
    mid: { vars: { user: mid }, children: { deep: { vars: { port: 99 } } } }
",
    );
    let h1 = host(&inv, "h1");
    assert_eq!(h1.port, 26, "zulu sorts after alpha");
    assert_eq!(h1.user.as_deref(), Some("alpha"));
    assert_eq!(h1.groups, ["alpha", "zulu"]);
}

#[test]
fn duplicate_hosts_merge_into_one() {
    let inv = parse(
        "
all:
  hosts:
    wsus01: { user: first, port: 2201 }
  children:
    patch_tuesday:
      hosts:
        wsus02:
        wsus01: { user: second }
    datacenter_a:
      vars: { port: 2299, connect_timeout: 9 }
      hosts:
        wsus01:
",
    );
    let names: Vec<_> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["wsus01", "wsus02"], "one host, in order of first appearance");
    let h = host(&inv, "wsus01");
    assert_eq!(h.groups, ["datacenter_a", "patch_tuesday"]);
    assert_eq!(h.user.as_deref(), Some("second"), "the later listing wins");
    assert_eq!(h.port, 2201, "host vars beat group vars");
    assert_eq!(h.vars.connect_timeout, Some(Duration::from_secs(9)));
    assert!(inv.groups["ungrouped"].hosts.is_empty());
}

#[test]
fn a_group_defined_twice_is_one_group() {
    let inv = parse(
        "
all:
  children:
    a: { children: { shared: { vars: { port: 10 }, hosts: { h1: } } } }
    b: { children: { shared: { vars: { user: bob }, hosts: { h2: } } } }
",
    );
    let shared = &inv.groups["shared"];
    assert_eq!(shared.parents, ["a", "b"]);
    assert_eq!(shared.hosts, ["h1", "h2"]);
    assert_eq!((host(&inv, "h2").port, host(&inv, "h2").user.as_deref()), (10, Some("bob")));
    assert_eq!(host(&inv, "h1").groups, ["a", "b", "shared"]);
}

#[test]
fn ansible_aliases_and_defaults() {
    let inv = parse(
        "
all:
  hosts:
    wsus01:
      ansible_host: 192.0.2.10
      ansible_port: '2222'
      ansible_user: CORP\\svc-wsus
      ansible_ssh_private_key_file: /keys/wsus
    wsus02:
      host: '[2001:db8::5]'
    wsus03:
",
    );
    let h = host(&inv, "wsus01");
    assert_eq!((h.address.as_str(), h.port, h.user.as_deref()), ("192.0.2.10", 2222, Some("CORP\\svc-wsus")));
    assert_eq!(h.vars.ssh_key_file.as_deref(), Some(std::path::Path::new("/keys/wsus")));
    assert_eq!(host(&inv, "wsus02").endpoint(), "[2001:db8::5]:22");
    let plain = host(&inv, "wsus03");
    assert_eq!((plain.address.as_str(), plain.port, plain.user.as_deref()), ("wsus03", DEFAULT_PORT, None));
    assert!(h.address_set && h.port_set);
    assert!(!plain.address_set && !plain.port_set, "the name and 22 stand in: ssh_config may say otherwise");
    let advisory = crate::advisory::Advisory::embedded();
    assert_eq!(plain.wsus_dir(&advisory), r"C:\Program Files\Update Services");
    assert_eq!(plain.groups, ["ungrouped"]);
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
}

#[test]
fn every_variable_is_typed() {
    let sha = "a".repeat(64);
    let text = format!(
        "
all:
  hosts:
    wsus01:
      ssh_key_passphrase_env: WSUS_KEY_PASS
      ssh_password_env: WSUS_PW
      known_hosts_file: /etc/wsusfix/known_hosts
      jump_host: ops@bastion.corp.example:2200
      command_timeout: 1.5
      wsus_dir: D:\\WSUS
      package_x86: pkgs/WSUS30-KB954960-x86.exe
      package_x64: pkgs/WSUS30-KB954960-x64.exe
      package_sha256_x86: {sha}
      package_sha256_x64: {upper}
      lab_profile: sp1-affected
",
        upper = sha.to_uppercase()
    );
    let inv = parse(&text);
    let v = &host(&inv, "wsus01").vars;
    assert_eq!(v.ssh_password_env.as_ref().map(|e| e.as_str()), Some("WSUS_PW"));
    assert_eq!(v.jump_host.as_ref().map(|j| j.to_string()).as_deref(), Some("ops@bastion.corp.example:2200"));
    assert_eq!(v.probe_timeout, Some(Duration::from_millis(1500)), "command_timeout is probe_timeout's earlier name");
    assert_eq!(v.wsus_dir.as_ref().map(|d| d.as_str()), Some("D:\\WSUS"));
    assert_eq!(v.package_sha256_x64.as_ref().map(|s| s.as_str()), Some(sha.as_str()));
    assert_eq!(v.lab_profile.as_ref().map(|p| p.as_str()), Some("sp1-affected"));
    let names: Vec<_> = v.entries().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    let json = serde_json::to_value(&inv).unwrap();
    assert_eq!(json["hosts"][0]["vars"]["probe_timeout"], 1.5);
    assert_eq!(json["hosts"][0]["vars"]["jump_host"], "ops@bastion.corp.example:2200");
}

#[test]
fn unknown_and_unsupported_variables_are_warnings_with_lines() {
    let inv = parse(
        "
all:
  vars:
    owner: ops-team
  hosts:
    wsus01:
      ansible_connection: ssh
      ansible_ssh_common_args: -J bastion
",
    );
    let shown: Vec<String> = inv.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert_eq!(shown[0], "inv.yaml:4:5: group `all`: variable `owner` is not a wsusfix variable (ignored)");
    assert!(shown[1].starts_with("inv.yaml:7:7: host `wsus01`: variable `ansible_connection` is ignored"));
    assert!(shown[2].starts_with("inv.yaml:8:7: host `wsus01`: variable `ansible_ssh_common_args` is not supported"));
    assert!(shown[2].contains("jump_host"));
}

#[test]
fn secrets_are_refused_with_file_line_and_host() {
    let err = error("all:\n  hosts:\n    wsus01:\n      ansible_password: hunter2\n");
    assert_eq!(
        err,
        "inv.yaml:4:7: host `wsus01`: variable `ansible_password` holds a secret; \
         secrets must not be stored in the inventory; use ssh_password_env"
    );
    for name in ["ansible_ssh_pass", "password", "ssh_password", "ansible_become_pass"] {
        let err = error(&format!("all:\n  vars:\n    {name}: x\n"));
        assert!(err.starts_with(&format!("inv.yaml:3:5: group `all`: variable `{name}` holds a secret")), "{err}");
        assert!(!err.contains(": x"), "the secret itself is not repeated: {err}");
    }
    let err = error("all:\n  hosts:\n    h:\n      ssh_key_passphrase: s3cret\n");
    assert!(err.ends_with("use ssh_key_passphrase_env"), "{err}");
    let inv = parse("all:\n  hosts:\n    h:\n      ansible_password:\n");
    assert!(inv.warnings[0].message.contains("secrets are never read"));
}

#[test]
fn bad_values_name_line_host_and_variable() {
    let text = "all:\n  children:\n    dc:\n      hosts:\n        wsus01:\n          port: 70000\n";
    assert_eq!(error(text), "inv.yaml:6:11: host `wsus01`: variable `port`: 70000 is not a port (1 to 65535)");
    let text = "all:\n  vars:\n    wsus_dir: C:\\WSUS & del\n  hosts:\n    h:\n";
    assert_eq!(
        error(text),
        "inv.yaml:3:5: group `all`: variable `wsus_dir`: `C:\\WSUS & del` is not a safe Windows path: \
         `&` is not allowed; use only letters, digits, space and _ . - \\ ( )"
    );
    assert!(error("all:\n  vars:\n    temp_dir: Temp\n").contains("it must be absolute"));
    assert!(error("all:\n  vars:\n    user: a b\n").contains("` ` is not allowed"));
    assert!(error("all:\n  vars:\n    lab_profile: sp1/x\n").contains("letters, digits and - @ +"));
    assert!(error("all:\n  vars:\n    host: -oProxyCommand\n").contains("must not start with `-`"));
    assert!(error("all:\n  vars:\n    ssh_password_env: my-pw\n").contains("not an environment variable name"));
    assert!(error("all:\n  vars:\n    port: [1]\n").contains("expected a whole number, found a list"));
}

#[test]
fn bad_names_and_structure() {
    let err = error("all:\n  hosts:\n    wsus&01:\n");
    assert_eq!(
        err,
        "inv.yaml:3:5: host name `wsus&01` is not allowed: `&` is not allowed; use only letters, digits and . _ -"
    );
    let err = error("all:\n  children:\n    bad group:\n");
    assert!(err.starts_with("inv.yaml:3:5: group name `bad group`"), "{err}");
    let err = error("all:\n  children:\n    dc:\n      host:\n        wsus01:\n");
    assert_eq!(
        err,
        "inv.yaml:4:7: group `dc` has an unknown key `host`; a group may only have `hosts`, `children` and `vars`"
    );
    assert!(error("hosts:\n  wsus01:\n").contains("`hosts` at the top level"));
    assert!(error("- wsus01\n").contains("found a list"));
    assert!(error("all:\n  hosts:\n    wsus01: yes\n").contains("host `wsus01` must have a mapping"));
    assert!(error("all:\n  hosts: [wsus01]\n").contains("`hosts` must be a mapping"));
    let err = error("all:\n  hosts:\n    h: { host: a, ansible_host: b }\n");
    assert!(err.contains("both `host` and its alias `ansible_host` are set"), "{err}");
}

#[test]
fn several_problems_are_reported_together() {
    let err = Inventory::parse("all:\n  hosts:\n    a&b:\n    c:\n      port: 0\n", "inv.yaml").unwrap_err();
    assert_eq!(err.problems().len(), 2);
    let text = err.to_string();
    assert!(text.starts_with("2 problems in the inventory:\n  - inv.yaml:3:5:"), "{text}");
    assert!(text.contains("\n  - inv.yaml:5:7: host `c`: variable `port`"), "{text}");
}

#[test]
fn yaml_errors_have_line_and_column() {
    let err = Inventory::parse("all:\n  hosts:\n    wsus01:\n   bad: 1\n", "inv.yaml").unwrap_err();
    let location = err.location().cloned();
    assert!(matches!(err, InventoryError::Yaml { .. }), "{err}");
    assert_eq!(location, Some(Location::new("inv.yaml", Some(4), Some(4))), "{err}");
    let err = error("all:\n  hosts:\n    a:\n    b:\n    a:\n");
    assert_eq!(err, "inv.yaml:5:5: invalid YAML: all.hosts: duplicate entry with key \"a\"");
}

#[test]
fn group_loops_are_errors() {
    let err = error("all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n");
    assert_eq!(err, "inv.yaml:3:5: group `a` contains itself (a > b > a)");
}

#[test]
fn empty_and_merge_keys() {
    let inv = parse("");
    assert!(inv.hosts.is_empty());
    assert!(inv.groups.contains_key("all") && inv.groups.contains_key("ungrouped"));
    let inv = parse(
        "
all:
  hosts:
    a: &common { port: 2200, user: ops }
    b:
      <<: *common
      user: other
",
    );
    assert_eq!((host(&inv, "b").port, host(&inv, "b").user.as_deref()), (2200, Some("other")));
}

#[test]
fn shell_type_as_ansible_names_it() {
    let inv = parse("all:\n  hosts:\n    cyg:\n      ansible_shell_type: sh\n    plain:\n");
    assert_eq!(host(&inv, "cyg").shell_type(), crate::shell::ShellType::Sh);
    assert_eq!(host(&inv, "plain").shell_type(), crate::shell::ShellType::Cmd);
    let err =
        Inventory::parse("all:\n  hosts:\n    ps:\n      ansible_shell_type: powershell\n", "inv.yaml").unwrap_err();
    assert!(err.to_string().contains("inv.yaml:4:7: host `ps`: variable `ansible_shell_type`"), "{err}");
    assert!(err.to_string().contains("wsusfix runs cmd.exe command lines"), "{err}");
}
