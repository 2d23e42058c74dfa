//! Inventories as data: each `tests/data/inventory/CASE.yaml` is loaded and what comes out
//! (the hosts and warnings, or the error) is compared with `CASE.expected`.
//!
//! To accept new output after a deliberate change, run with `WSUSFIX_BLESS=1` and review
//! the diff of the `.expected` files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use wsusfix_core::inventory::{Inventory, InventoryError};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/inventory")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/example.yaml")
}

/// What a case's `.expected` file holds: the hosts and warnings, or the error.
fn render(result: Result<Inventory, InventoryError>) -> String {
    let inventory = match result {
        Ok(inventory) => inventory,
        Err(err) => return format!("error: {err}\n"),
    };
    let mut out = String::new();
    for host in &inventory.hosts {
        let user = host.user.as_deref().unwrap_or("-");
        let _ = writeln!(out, "host {} {} user={} groups={}", host.name, host.endpoint(), user, host.groups.join(","));
        for (name, value) in host.vars.entries() {
            let _ = writeln!(out, "  {name}={value}");
        }
    }
    for warning in &inventory.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

#[test]
fn inventory_cases() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("the data folder")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "cases: {cases:?}");
    let bless = std::env::var_os("WSUSFIX_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(case).expect("a readable case");
        let actual = render(Inventory::parse(&text, &name));
        let expected_path = case.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &actual).expect("writable expected file");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!("{name}:\n--- expected\n{expected}--- actual\n{actual}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_point_at_file_line_and_column() {
    let cases = [
        ("bad-indent.yaml", 8, 8),
        ("unknown-group-key.yaml", 5, 7),
        ("bad-port.yaml", 9, 11),
        ("host-ampersand.yaml", 3, 5),
        ("secret-password.yaml", 7, 11),
    ];
    for (name, line, column) in cases {
        let path = data_dir().join(name);
        let err = Inventory::load(&path).expect_err(name);
        let location = err.location().unwrap_or_else(|| panic!("{name}: no location in {err}"));
        assert_eq!(location.file, path.display().to_string(), "{name}");
        assert_eq!((location.line, location.column), (Some(line), Some(column)), "{name}: {err}");
        assert!(err.to_string().starts_with(&format!("{}:{line}:{column}: ", path.display())), "{err}");
    }
}

#[test]
fn the_example_inventory_is_valid_and_documents_every_variable() {
    let inventory = Inventory::load(example()).expect("inventory/example.yaml loads");
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
    let names: Vec<&str> = inventory.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["wsus-dc-a1", "wsus-dc-a2", "wsus-dc-a3.corp.example", "wsus-lyon", "wsus-berlin", "wsus-denver"]
    );
    let limited: Vec<&str> =
        inventory.select(Some("wsus_servers:!branch_offices")).unwrap().iter().map(|h| h.name.as_str()).collect();
    assert_eq!(limited, ["wsus-dc-a1", "wsus-dc-a2", "wsus-dc-a3.corp.example"]);

    let berlin = inventory.host("wsus-berlin").unwrap();
    assert_eq!(berlin.endpoint(), "172.16.30.5:2222");
    assert_eq!(
        berlin.vars.jump_host.as_ref().map(ToString::to_string).as_deref(),
        Some("ops@bastion.corp.example:2222")
    );
    assert_eq!(berlin.groups, ["branch_eu", "branch_offices", "wsus_servers"]);
    let denver = inventory.host("wsus-denver").unwrap();
    assert_eq!(denver.user.as_deref(), Some("DENVER\\wsus-admin"));
    assert_eq!(denver.groups, ["branch_offices", "branch_us", "patch_window_sunday", "wsus_servers"]);
    assert_eq!(inventory.host("wsus-dc-a2").unwrap().vars.wsus_dir.as_ref().map(|d| d.as_str()), Some("D:\\WSUS"));

    let text = std::fs::read_to_string(example()).unwrap();
    for variable in [
        "host",
        "port",
        "user",
        "ssh_key_file",
        "ssh_key_passphrase_env",
        "ssh_password_env",
        "known_hosts_file",
        "jump_host",
        "connect_timeout",
        "command_timeout",
        "wsus_dir",
        "temp_dir",
        "package_x86",
        "package_x64",
        "package_sha256_x86",
        "package_sha256_x64",
        "lab_profile",
    ] {
        let documented = text
            .lines()
            .filter(|line| line.trim_start().starts_with('#'))
            .any(|line| line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| word == variable));
        assert!(documented, "`{variable}` is not documented in inventory/example.yaml");
    }
}

#[test]
fn json_output_has_hosts_groups_and_warnings() {
    let text = std::fs::read_to_string(data_dir().join("ansible-compat.yaml")).unwrap();
    let inventory = Inventory::parse(&text, "ansible-compat.yaml").unwrap();
    let json = serde_json::to_value(&inventory).unwrap();
    assert_eq!(json["hosts"][0]["name"], "wsus01");
    assert_eq!(json["hosts"][0]["address"], "192.0.2.10");
    assert_eq!(json["hosts"][0]["port"], 2222);
    assert_eq!(json["groups"]["windows"]["hosts"], serde_json::json!(["wsus01", "wsus02"]));
    assert_eq!(json["warnings"][0]["location"]["line"], 4);
    assert_eq!(json["warnings"][0]["variable"], "ansible_connection");
}
