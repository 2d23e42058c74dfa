//! Fuzzes the inventory loader: text, as an operator, a CMDB export or a colleague might write
//! an Ansible YAML inventory, through `Inventory::parse` (the flow-depth bound, the YAML reader,
//! the tree walk, variable merging and every validation), then what the commands do with a
//! loaded inventory: select hosts by group, show each host's endpoint and variables.
//!
//! The loader reads files through `read_to_string`, so only UTF-8 text reaches it; other bytes
//! are skipped here too. `--limit` patterns are made only from the inventory's own group names
//! (never `@FILE`, which would read a file).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wsusfix_core::advisory::Advisory;
use wsusfix_core::inventory::Inventory;

fn advisory() -> &'static Advisory {
    static ADVISORY: OnceLock<Advisory> = OnceLock::new();
    ADVISORY.get_or_init(Advisory::embedded)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let inventory = match Inventory::parse(text, "fuzz.yaml") {
        Ok(inventory) => inventory,
        Err(e) => {
            // Every refusal must still render as a message.
            std::hint::black_box(e.to_string());
            return;
        }
    };

    let everyone = inventory.select(None).unwrap_or_default();
    assert_eq!(everyone.len(), inventory.hosts.len(), "no pattern selects every host");
    for host in &inventory.hosts {
        assert!(inventory.host(&host.name).is_some(), "host {:?} cannot be found by its name", host.name);
        std::hint::black_box((host.endpoint(), host.vars.entries(), host.wsus_dir(advisory()), host.shell_type()));
    }
    for group in inventory.groups.keys().filter(|g| !g.contains('@')).take(16) {
        for pattern in [group.clone(), format!("all:!{group}"), format!("all:&{group}")] {
            match inventory.select(Some(&pattern)) {
                Ok(hosts) => std::hint::black_box(hosts.len()),
                Err(e) => std::hint::black_box(e.to_string().len()),
            };
        }
    }
    for warning in &inventory.warnings {
        std::hint::black_box(format!("{warning:?}"));
    }
});
