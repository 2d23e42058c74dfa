//! How long loading an inventory and selecting hosts with `--limit` take as the fleet grows.
//!
//! ```sh
//! cargo bench -p wsusfix-core --bench inventory                 # 1,000, 10,000 and 100,000 hosts
//! cargo bench -p wsusfix-core --bench inventory -- --hosts 40000
//! ```
//!
//! Each inventory is written as `wsusfix lab serve` and a CMDB export write them: hosts in sites
//! (`site00` ... `site19`, as groups with their own variables), each host with an address, a port
//! and a user. Timed, best of five: `Inventory::load` (read, YAML, groups, variables, checks) and
//! `select` with a pattern that intersects and excludes groups, as `--limit` does.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use wsusfix_core::inventory::Inventory;

const SITES: usize = 20;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = match args.iter().position(|a| a == "--hosts").and_then(|i| args.get(i + 1)) {
        Some(list) => list.split(',').filter_map(|n| n.parse().ok()).collect(),
        None => vec![1_000, 10_000, 100_000],
    };
    println!("| hosts | file (KiB) | load (ms) | --limit select (ms) | selected |");
    println!("|---:|---:|---:|---:|---:|");
    for hosts in sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("inventory.yaml");
        std::fs::write(&path, inventory(hosts)).expect("the inventory is written");
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let (load, inventory) = best_of(5, || Inventory::load(&path).expect("the inventory loads"));
        let pattern = "site0*:!site00:&linux_ssh";
        let (select, selected) = best_of(5, || inventory.select(Some(pattern)).expect("the pattern selects").len());
        println!(
            "| {hosts} | {} | {:.1} | {:.1} | {selected} |",
            size / 1024,
            load.as_secs_f64() * 1000.0,
            select.as_secs_f64() * 1000.0
        );
    }
}

/// The fastest of `runs` runs of `f`, and the last run's result.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let value = f();
        best = best.min(started.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

/// An inventory of `hosts` hosts spread over sites, one group of all of them for the transport.
fn inventory(hosts: usize) -> String {
    let mut text = String::from("all:\n  vars:\n    ansible_user: admin\n  children:\n    linux_ssh:\n      hosts:\n");
    for i in 0..hosts {
        let _ = writeln!(text, "        wsus{i:06}:");
    }
    for site in 0..SITES {
        let _ = write!(
            text,
            "    site{site:02}:\n      vars:\n        wsus_dir: 'C:\\Program Files\\Update Services'\n      hosts:\n"
        );
        for i in (site..hosts).step_by(SITES) {
            let _ = write!(
                text,
                "        wsus{i:06}:\n          ansible_host: 10.{}.{}.{}\n          ansible_port: {}\n",
                site,
                i / 250 % 250,
                i % 250 + 1,
                22 + i % 3
            );
        }
    }
    text
}
