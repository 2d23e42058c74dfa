//! Options several commands share: which advisory definition and templates to use, which
//! hosts, and how to reach them (with OpenSSH's client configuration).

use std::path::PathBuf;

use anyhow::Context;
use wsusfix_core::about::InventoryRef;
use wsusfix_core::advisory::Advisory;
use wsusfix_core::connector::{ConnectSettings, SshConnector};
use wsusfix_core::inventory::Host;
use wsusfix_core::ssh_config;
use wsusfix_core::templates::Templates;

/// Where wsusfix's knowledge comes from.
#[derive(clap::Args, Debug, Clone)]
pub struct KnowledgeArgs {
    /// Use this advisory definition instead of the embedded one (package names, switches,
    /// fixed version, log signatures). `wsusfix advisory` prints the embedded one to start from.
    #[arg(long, value_name = "FILE", global = true)]
    pub advisory: Option<PathBuf>,
    /// Use templates from this folder where a file of the same name exists.
    #[arg(long, value_name = "DIR", global = true)]
    pub template_dir: Option<PathBuf>,
}

impl KnowledgeArgs {
    pub fn advisory(&self) -> anyhow::Result<Advisory> {
        match &self.advisory {
            Some(path) => Advisory::load(path).context("the --advisory file cannot be used"),
            None => Ok(Advisory::embedded()),
        }
    }

    pub fn templates(&self) -> anyhow::Result<Templates> {
        match &self.template_dir {
            Some(dir) => Templates::with_overrides(dir)
                .with_context(|| format!("the templates in {} cannot be used", dir.display())),
            None => Ok(Templates::embedded()?),
        }
    }
}

/// Which hosts to work on.
#[derive(clap::Args, Debug, Clone)]
pub struct TargetArgs {
    /// The inventory, as Ansible reads it. A file (YAML or INI) or a folder, with the group_vars/ and host_vars/ beside it; repeat -i to combine several, later ones winning, as Ansible does.
    #[arg(short, long, value_name = "SOURCE", env = "WSUSFIX_INVENTORY", required = true)]
    pub inventory: Vec<PathBuf>,
    /// Only hosts matching this pattern: `web*`, `group`, `a:b`, `a:&b`, `a:!b`, `@retry-file`.
    #[arg(short, long, value_name = "PATTERN")]
    pub limit: Option<String>,
}

impl TargetArgs {
    /// Loads the inventory and selects the hosts, printing its warnings; also names the
    /// inventory exactly (path and SHA-256) for the results to say where they came from.
    pub fn select(&self) -> anyhow::Result<(Vec<wsusfix_core::inventory::Host>, InventoryRef)> {
        let inventory = wsusfix_core::inventory::Inventory::load_all(&self.inventory)?;
        for warning in &inventory.warnings {
            eprintln!("warning: {warning}");
        }
        let hosts = inventory.select(self.limit.as_deref())?;
        Ok((hosts.into_iter().cloned().collect(), inventory.named()))
    }
}

/// How a command that runs a plan (`apply`, `lab rehearse`) reports to standard output: a
/// table for people, or JSON lines for machines (see `events`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    Text,
    Json,
}

/// How to reach hosts over SSH.
///
/// Each connection setting is taken from the first place that gives it: the inventory (a
/// host's or its groups' variables), then the command line (`--user`, `--connect-timeout`:
/// the values for hosts whose inventory sets none; `-F`, `--accept-new-host-keys` and
/// `--known-hosts` apply to every host), then OpenSSH's client configuration, then the built-in
/// default. ssh_config's `Host` patterns match the inventory name.
#[derive(clap::Args, Debug, Clone)]
pub struct ConnectArgs {
    /// Hosts worked on at once.
    ///
    /// Over a WAN a host in flight mostly waits for the network: a scan's probe takes 8 round
    /// trips (connect, key exchange, authentication, the probe), so a scan lasts about
    /// hosts / forks x 8 x the round-trip time. For a scan to end within T, choose forks of about
    /// hosts x 8 x RTT / T: 1,000 hosts 100 ms away scan in about 4 s with 256 forks. Each
    /// host in flight costs about 0.16 MiB of memory and up to 4 open files (the soft limit is
    /// raised to fit); on a LAN, a few dozen keep the cores busy.
    #[arg(short, long, value_name = "N", default_value_t = wsusfix_core::fleet::default_forks(), env = "WSUSFIX_FORKS")]
    pub forks: std::num::NonZeroUsize,
    /// Trust and record the host key of a host seen for the first time (a changed key is
    /// always refused). ssh_config's `StrictHostKeyChecking accept-new` does the same for the
    /// hosts it applies to (and `no` is taken as `accept-new`, never as "any key").
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// Read this OpenSSH client configuration instead of ~/.ssh/config and
    /// /etc/ssh/ssh_config, as `ssh -F` (`none`: read none). Wins over the inventory's
    /// `ssh_config_file`; the inventory's own settings win over what it says.
    #[arg(short = 'F', long = "ssh-config", value_name = "FILE", env = "WSUSFIX_SSH_CONFIG",
          long_help = CONNECT_PRECEDENCE)]
    pub ssh_config: Option<PathBuf>,
    /// An extra known_hosts file to check host keys against (besides ~/.ssh/known_hosts and
    /// each host's `known_hosts_file`).
    #[arg(long, value_name = "FILE", env = "WSUSFIX_KNOWN_HOSTS")]
    pub known_hosts: Vec<PathBuf>,
    /// Seconds to wait for a connection and its authentication, for hosts whose inventory sets
    /// no `connect_timeout` (before ssh_config's `ConnectTimeout`) [default: 10].
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<u64>,
    /// Seconds the read-only probe may run once connected (a host's `probe_timeout` wins): a
    /// hung host is given up on after this. The probe takes about a second on a healthy
    /// server; `wmic`'s first run on Server 2003 can take several. The steps `apply` runs
    /// (installers, tasks) have their own timeouts, in the plan.
    #[arg(long, value_name = "SECS", default_value_t = 30, alias = "command-timeout")]
    pub probe_timeout: u64,
    /// The user for hosts whose inventory names none (before ssh_config's `User`)
    /// [default: Administrator].
    #[arg(long, value_name = "USER", env = "WSUSFIX_USER")]
    pub user: Option<String>,
    /// Show no progress bar (none is shown when standard error is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

impl ConnectArgs {
    pub fn probe_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.probe_timeout)
    }

    /// The SSH connector for these settings, checked against every host it will reach: an
    /// OpenSSH configuration that cannot be used stops the command before any host is
    /// contacted, and its warnings are printed once each. Also raises the soft limit on open
    /// files so that `--forks` hosts in flight fit in it (see [`raise_open_file_limit`]).
    pub fn connector(&self, hosts: &[Host]) -> anyhow::Result<SshConnector> {
        raise_open_file_limit(self.forks.get());
        let connector = SshConnector::new(ConnectSettings {
            accept_new_host_keys: self.accept_new_host_keys,
            extra_known_hosts: self.known_hosts.clone(),
            connect_timeout: self.connect_timeout.map(std::time::Duration::from_secs),
            default_user: self.user.clone(),
            ssh_config: self.ssh_config.as_deref().map(ssh_config::Source::from_arg),
        });
        for warning in connector.check(hosts)? {
            eprintln!("warning: {warning}");
        }
        Ok(connector)
    }
}

/// The precedence of connection settings, under each connecting command's `--help`.
const CONNECT_PRECEDENCE: &str = concat!(
    "Read this OpenSSH client configuration instead of ~/.ssh/config and /etc/ssh/ssh_config, as ",
    "`ssh -F` (`none`: read none).\n\n",
    "Connection settings, first found wins: the inventory > the command line > OpenSSH's client ",
    "configuration (-F FILE, else the host's `ssh_config_file`, else ~/.ssh/config then ",
    "/etc/ssh/ssh_config) > built-in defaults. --user and --connect-timeout are for hosts whose ",
    "inventory sets none. ssh_config's `Host` patterns match the inventory name.\n\n",
    "Applied from ssh_config: HostName, Port, User, IdentityFile, ProxyJump, UserKnownHostsFile, ",
    "GlobalKnownHostsFile, StrictHostKeyChecking (`no` is taken as `accept-new`), ConnectTimeout, ",
    "ServerAliveInterval. What would make ssh connect otherwise (ProxyCommand, HostKeyAlias, ...) ",
    "is named in a warning."
);

/// Open files a host in flight may hold: its socket and the clone the transport waits on, the
/// key file and known_hosts while connecting, a saved-facts file.
const FILES_PER_FORK: u64 = 4;

/// Raises the soft limit on open files toward the hard limit so `forks` hosts in flight fit:
/// the usual soft limit of 1,024 runs out near 250 forks, and a host that cannot open a file
/// fails (its key file "cannot be read"). Warns when even the hard limit is too low.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not on every Unix
pub fn raise_open_file_limit(forks: usize) {
    let wanted = forks as u64 * FILES_PER_FORK + 64;
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    if !ok || limit.rlim_cur as u64 >= wanted {
        return;
    }
    let raised = libc::rlimit { rlim_cur: (wanted as libc::rlim_t).min(limit.rlim_max), rlim_max: limit.rlim_max };
    // SAFETY: as above.
    let _ = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) };
    if (raised.rlim_cur as u64) < wanted {
        eprintln!(
            "warning: --forks {forks} needs about {wanted} open files and the limit is {}: some hosts may fail; \
             lower --forks or raise the hard limit (ulimit -Hn)",
            raised.rlim_cur
        );
    }
}

#[cfg(not(unix))]
pub fn raise_open_file_limit(_forks: usize) {}

/// A flag set by Ctrl-C (or SIGTERM), which prints `first`: fleet operations stop taking new
/// hosts and finish the ones in flight ([`FINISH_IN_FLIGHT`]), so the result stays consistent;
/// a scan stops at once. A second Ctrl-C exits at once, and so does the process [`STOP_GRACE`]
/// after the first, whatever is still in flight: every stop is bounded.
pub fn cancel_on_interrupt(first: &'static str) -> anyhow::Result<&'static std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    static CANCEL: AtomicBool = AtomicBool::new(false);
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    let mut result = Ok(());
    INSTALLED.call_once(|| {
        result = ctrlc::set_handler(move || {
            if CANCEL.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\n{first}");
            std::thread::spawn(|| {
                std::thread::sleep(STOP_GRACE);
                eprintln!("wsusfix: still busy {} s after the interruption: quitting", STOP_GRACE.as_secs());
                std::process::exit(130);
            });
        });
    });
    result.context("cannot install the Ctrl-C handler")?;
    Ok(&CANCEL)
}

/// What the first Ctrl-C says where the hosts in flight are finished (they may be changing).
pub const FINISH_IN_FLIGHT: &str =
    "interrupted: finishing the hosts in flight, for at most 300 s (Ctrl-C again to quit now)";

/// How long an interrupted run may take to finish the hosts in flight.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(300);

/// Reads `30s`, `5m`, `1h` or a plain number of seconds.
pub fn parse_duration(text: &str) -> anyhow::Result<std::time::Duration> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = digits.parse().with_context(|| format!("{text:?} is not a duration like 30s, 5m or 1h"))?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => anyhow::bail!("{text:?} is not a duration like 30s, 5m or 1h"),
    };
    // A week is far beyond any pause or timeout wsusfix takes; more is a typo.
    match secs.filter(|&s| s <= 7 * 24 * 3600) {
        Some(secs) => Ok(std::time::Duration::from_secs(secs)),
        None => anyhow::bail!("{text:?} is longer than a week: give a duration like 30s, 5m or 1h"),
    }
}

/// Fails now, before any host is contacted, if `path` cannot be written: its folder must exist
/// and take a new file.
pub fn check_writable(path: &std::path::Path, what: &str) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".wsusfix-check")
        .tempfile_in(dir)
        .map(drop)
        .with_context(|| format!("{what} {} cannot be written", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_their_limits() {
        assert_eq!(parse_duration("30s").unwrap().as_secs(), 30);
        assert_eq!(parse_duration("5m").unwrap().as_secs(), 300);
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert!(parse_duration("18446744073709551615h").unwrap_err().to_string().contains("longer than a week"));
        assert!(parse_duration("8d").is_err());
    }

    #[test]
    fn the_first_interruption_states_the_grace_it_gets() {
        assert!(FINISH_IN_FLIGHT.contains(&format!("at most {} s", STOP_GRACE.as_secs())), "{FINISH_IN_FLIGHT}");
    }
}
