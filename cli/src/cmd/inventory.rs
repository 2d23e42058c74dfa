//! `wsusfix inventory check` and `wsusfix inventory list`: load and validate an inventory,
//! and show what wsusfix would use for each selected host.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;
use wsusfix_core::inventory::{Group, Host, Inventory, Warning};

use super::common::TargetArgs;
use crate::output::{emit, table};

const CHECK_EXAMPLES: &str = "\
Examples:
  wsusfix inventory check -i inventory/example.yaml
  wsusfix inventory check -i inventory.yaml --limit 'wsus_servers:!branch_offices'
  wsusfix inventory check -i inventory.yaml --limit @failed.txt --format json

Host patterns (--limit): a host or group name, a glob (`wsus-*`, `dc?`), `a:b` (either),
`a:&b` (both), `a:!b` (a but not b), `,` as well as `:` between terms, and `@FILE` for the
names listed in FILE, one a line (an Ansible retry file). Unions are taken first, then
intersections, then exclusions. A term that matches nothing is an error.";

const LIST_EXAMPLES: &str = "\
Examples:
  wsusfix inventory list -i inventory.yaml
  wsusfix inventory list -i inventory.yaml --limit 'branch_*' --names > wave1.txt
  wsusfix scan -i inventory.yaml --limit @wave1.txt";

#[derive(clap::Subcommand)]
pub enum InventoryCommand {
    /// Load and validate an inventory; list the selected hosts with their merged variables.
    ///
    /// The inventory is Ansible's YAML format (`all:` with `hosts:`, `children:` and `vars:`);
    /// `ansible_host`, `ansible_port`, `ansible_user` and `ansible_ssh_private_key_file` work as
    /// they do in Ansible. Variables merge as in Ansible: host over child group over parent group
    /// over `all`. inventory/example.yaml documents every variable.
    ///
    /// Every value is checked, because it may end up on a command line; a password in the file
    /// is refused (name an environment variable with `ssh_password_env`). Errors give the file,
    /// line and column; unknown variables are warnings (on standard error).
    ///
    /// Exit status: 0 the inventory is valid (even with warnings); 1 it is not, or --limit
    /// selects nothing.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// List the selected hosts of an inventory: name, address, user and groups.
    ///
    /// With --names, only the names, one a line: a list that --limit @FILE reads back.
    ///
    /// Exit status: 0 listed; 1 the inventory is not valid, or --limit selects nothing.
    #[command(after_help = LIST_EXAMPLES)]
    List(ListArgs),
}

#[derive(clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Output format: a table for people, JSON or YAML for programs.
    #[arg(long, value_enum, default_value = "table")]
    format: InventoryFormat,
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Print only the host names, one a line.
    #[arg(long)]
    names: bool,
}

/// The output formats of `inventory check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InventoryFormat {
    Table,
    Json,
    Yaml,
}

/// The version of the shape of `check --format json|yaml`.
const INVENTORY_FORMAT_VERSION: u32 = 1;

/// What `check --format json|yaml` prints: the selected hosts, every group, the warnings.
#[derive(Serialize)]
struct Report<'a> {
    about: wsusfix_core::about::About,
    source: &'a str,
    hosts: Vec<&'a Host>,
    groups: &'a BTreeMap<String, Group>,
    warnings: &'a [Warning],
}

pub fn run(cmd: InventoryCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        InventoryCommand::Check(args) => check(&args),
        InventoryCommand::List(args) => list(&args),
    }
}

fn load(target: &TargetArgs) -> anyhow::Result<Inventory> {
    let inventory = Inventory::load_all(&target.inventory)?;
    for warning in &inventory.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(inventory)
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let inventory = load(&args.target)?;
    let hosts = inventory.select(args.target.limit.as_deref())?;
    let text = match args.format {
        InventoryFormat::Table => check_table(&inventory, &hosts),
        InventoryFormat::Json | InventoryFormat::Yaml => {
            let about = wsusfix_core::about::About::now(INVENTORY_FORMAT_VERSION, Some(inventory.named()));
            let (source, groups, warnings) = (&inventory.source, &inventory.groups, &inventory.warnings);
            let report = Report { about, source, hosts, groups, warnings };
            if args.format == InventoryFormat::Json {
                serde_json::to_string_pretty(&report)? + "\n"
            } else {
                serde_yaml::to_string(&report)?
            }
        }
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let inventory = load(&args.target)?;
    let hosts = inventory.select(args.target.limit.as_deref())?;
    let text = if args.names { hosts.iter().map(|h| format!("{}\n", h.name)).collect() } else { host_table(&hosts) };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn host_table(hosts: &[&Host]) -> String {
    let rows: Vec<Vec<String>> = hosts
        .iter()
        .map(|h| {
            let user = h.user.clone().unwrap_or_else(|| "-".into());
            vec![h.name.clone(), h.endpoint(), user, h.groups.join(", ")]
        })
        .collect();
    table(&["HOST", "ADDRESS", "USER", "GROUPS"], &rows)
}

/// The host table, then each host's merged variables, then a one-line verdict.
fn check_table(inventory: &Inventory, hosts: &[&Host]) -> String {
    let mut out = host_table(hosts);
    for host in hosts {
        out.push('\n');
        out.push_str(&host.name);
        out.push('\n');
        let entries = host.vars.entries();
        let width = entries.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        for (name, value) in entries {
            out.push_str(&format!("  {name:<width$}  {value}\n"));
        }
    }
    let warnings = match inventory.warnings.len() {
        1 => "1 warning".to_string(),
        n => format!("{n} warnings"),
    };
    out.push_str(&format!(
        "\n{} is valid: {} of {} hosts selected, {} groups, {warnings}.\n",
        inventory.source,
        hosts.len(),
        inventory.hosts.len(),
        inventory.groups.len(),
    ));
    out
}
