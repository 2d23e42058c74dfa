//! Starting a lab of many hosts in one process, and what it writes for clients: an Ansible
//! YAML inventory, `known_hosts` and the client key. The lab owns its tokio runtime, so sync
//! code and tests use it without being async.
//!
//! ```no_run
//! use wsusfix_lab::{mix, Lab, LabConfig};
//! let lab = Lab::start(LabConfig { hosts: mix(40)?, ..LabConfig::default() })?;
//! let files = lab.write_artifacts(std::path::Path::new("/tmp/lab"))?;
//! println!("{} hosts, inventory {}", lab.hosts().len(), files.inventory.display());
//! lab.shutdown();
//! # Ok::<(), wsusfix_lab::LabError>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::keys::PrivateKey;
use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::error::io_at;
use crate::host::{HostState, SshServer};
use crate::interp::Output;
use crate::keys::{self, MasterSeed};
use crate::locale::Language;
use crate::persist;
use crate::profile::{ConnectionFault, Profile};
use crate::server::{self, HostRuntime};
use crate::LabError;

/// One host to start. Its language and SSH server are the profile's
/// ([`Profile::language`], [`Profile::ssh_server`]).
#[derive(Debug, Clone)]
pub struct HostSpec {
    pub name: String,
    pub profile: Profile,
}

impl HostSpec {
    /// A host with a shipped profile, or a host spec `PROFILE[@LANG][+SERVER]`
    /// (`w2008-sp1-unpatched@zh-CN+cygwin`; see [`Profile::from_spec`]).
    pub fn new(name: &str, profile: &str) -> Result<HostSpec, LabError> {
        Ok(HostSpec { name: name.to_string(), profile: Profile::from_spec(profile, &[])? })
    }

    /// This host in another language.
    pub fn with_language(mut self, language: Language) -> HostSpec {
        self.profile = self.profile.with_language(language);
        self
    }

    /// This host behind another SSH server.
    pub fn with_ssh_server(mut self, ssh_server: SshServer) -> HostSpec {
        self.profile = self.profile.with_ssh_server(ssh_server);
        self
    }

    /// The host's language.
    pub fn language(&self) -> Language {
        self.profile.language()
    }

    /// The host's SSH server.
    pub fn ssh_server(&self) -> SshServer {
        self.profile.ssh_server()
    }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct LabConfig {
    pub hosts: Vec<HostSpec>,
    /// Keep host state, keys and ports here so a restarted lab continues where it stopped.
    pub state_dir: Option<PathBuf>,
    /// Fixed key seed (reproducible runs); random when `None` (stored in `state_dir`).
    pub seed: Option<u64>,
    pub bind: IpAddr,
    /// First port; hosts get consecutive ports. `None`: ports the OS picks.
    pub base_port: Option<u16>,
    pub worker_threads: usize,
    /// The network round-trip time to every host whose profile sets none
    /// (`connection.rtt_ms`): each byte a host sends reaches the client this much later, as
    /// over a WAN. Zero (the default): loopback.
    pub latency: Duration,
}

impl Default for LabConfig {
    fn default() -> LabConfig {
        LabConfig {
            hosts: Vec::new(),
            state_dir: None,
            seed: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: None,
            worker_threads: 2,
            latency: Duration::ZERO,
        }
    }
}

/// A running host as clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabHost {
    pub name: String,
    pub addr: SocketAddr,
    pub profile: String,
    pub fault: ConnectionFault,
    pub language: Language,
    pub ssh_server: SshServer,
    /// The network round-trip time to the host (zero: loopback).
    pub rtt: Duration,
}

/// Files written by [`RunningLab::write_artifacts`].
#[derive(Debug, Clone)]
pub struct Artifacts {
    pub inventory: PathBuf,
    pub known_hosts: PathBuf,
    pub private_key: PathBuf,
    pub public_key: PathBuf,
}

/// Starts labs.
pub struct Lab;

/// A lab serving its hosts until [`RunningLab::shutdown`] (or drop).
pub struct RunningLab {
    runtime: Option<Runtime>,
    hosts: Vec<LabHost>,
    runtimes: HashMap<String, Arc<HostRuntime>>,
    known_keys: Vec<russh::keys::PublicKey>,
    client_key: PrivateKey,
    shutdown: watch::Sender<bool>,
    /// Bound but not listening: the `unreachable` hosts' ports, held so nobody else takes them.
    _reserved: Vec<tokio::net::TcpSocket>,
}

/// Access to one host's state from tests and tools.
#[derive(Clone)]
pub struct HostHandle(Arc<HostRuntime>);

impl HostHandle {
    /// Reads or changes the state under the host's lock (saved afterwards with `--state`).
    pub fn with<R>(&self, f: impl FnOnce(&mut HostState) -> R) -> R {
        let mut state = self.0.lock();
        let r = f(&mut state);
        if let Some(path) = &self.0.state_file {
            let _ = persist::save_host(path, &state);
        }
        r
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> HostState {
        self.0.lock().clone()
    }

    /// Runs a command line as an SSH session would, without SSH (through bash behind a
    /// `cygwin` server, whose exit status is then the code's low byte).
    pub fn run(&self, line: &str) -> Output {
        self.0.run(line, None)
    }

    /// As [`HostHandle::run`], with `stdin` as what the client sent on the channel (the
    /// commands of `cmd.exe /q /d`).
    pub fn run_with_stdin(&self, line: &str, stdin: &[u8]) -> Output {
        self.0.run(line, Some(stdin.to_vec()))
    }
}

impl Lab {
    /// Binds every host's port and starts serving. Returns once all hosts accept connections.
    pub fn start(config: LabConfig) -> Result<RunningLab, LabError> {
        let mut names = std::collections::HashSet::new();
        if let Some(dup) = config.hosts.iter().find(|h| !names.insert(h.name.to_ascii_lowercase())) {
            return Err(LabError::Config(format!("host `{}` is listed twice", dup.name)));
        }
        let seed = match &config.state_dir {
            Some(dir) => persist::seed(dir, config.seed)?,
            None => config.seed.map(MasterSeed::from_number).map_or_else(MasterSeed::random, Ok)?,
        };
        raise_fd_limit(config.hosts.len() as u64 * 4 + 256);
        let old_ports = config.state_dir.as_deref().map(persist::load_ports).unwrap_or_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("wsusfix-lab")
            .enable_all()
            .build()
            .map_err(LabError::Runtime)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let client_key = seed.key("client");
        let mut lab = RunningLab {
            runtime: None,
            hosts: Vec::with_capacity(config.hosts.len()),
            runtimes: HashMap::with_capacity(config.hosts.len()),
            known_keys: Vec::with_capacity(config.hosts.len()),
            client_key: client_key.clone(),
            shutdown,
            _reserved: Vec::new(),
        };
        let mut ports = BTreeMap::new();
        for (i, spec) in config.hosts.iter().enumerate() {
            let wanted = old_ports.get(&spec.name).copied().or(config.base_port.map(|b| b.saturating_add(i as u16)));
            let state = match &config.state_dir {
                Some(dir) => persist::load_or_create(dir, &spec.name, &spec.profile)?,
                None => spec.profile.instantiate(&spec.name)?,
            };
            let fault = spec.profile.connection.fault;
            let rtt = spec.profile.connection.rtt_ms.map_or(config.latency, Duration::from_millis);
            let host_key = seed.key(&format!("host:{}", spec.name));
            let presented = if fault == ConnectionFault::HostkeyChanged {
                seed.key(&format!("alternate:{}", spec.name))
            } else {
                host_key.clone()
            };
            let addr = if fault == ConnectionFault::Unreachable {
                let socket = reserve(config.bind, wanted)?;
                let addr =
                    socket.local_addr().map_err(|e| LabError::Bind { addr: config.bind.to_string(), source: e })?;
                lab._reserved.push(socket);
                addr
            } else {
                let listener = bind(config.bind, wanted)?;
                let addr =
                    listener.local_addr().map_err(|e| LabError::Bind { addr: config.bind.to_string(), source: e })?;
                let runtime_host = Arc::new(HostRuntime {
                    user: state.user.clone(),
                    state: Arc::new(Mutex::new(state)),
                    connection: spec.profile.connection.clone(),
                    client_key: client_key.public_key().clone(),
                    state_file: config.state_dir.as_deref().map(|d| persist::host_file(d, &spec.name)),
                    noise_seed: seed.number(&spec.name),
                    rtt,
                });
                let _guard = runtime.enter();
                let ssh_server = runtime_host.lock().ssh_server;
                runtime.spawn(server::serve(
                    listener,
                    server::config(presented, ssh_server),
                    runtime_host.clone(),
                    shutdown_rx.clone(),
                ));
                lab.runtimes.insert(spec.name.to_ascii_lowercase(), runtime_host);
                addr
            };
            ports.insert(spec.name.clone(), addr.port());
            lab.known_keys.push(host_key.public_key().clone());
            lab.hosts.push(LabHost {
                name: spec.name.clone(),
                addr,
                profile: spec.profile.name.clone(),
                fault,
                language: spec.profile.language(),
                ssh_server: spec.profile.ssh_server(),
                rtt,
            });
        }
        if let Some(dir) = &config.state_dir {
            persist::save_ports(dir, &ports)?;
        }
        lab.runtime = Some(runtime);
        Ok(lab)
    }
}

/// Every host holds a listener and its connections a socket each: raise the soft limit on
/// open files toward the hard limit (a default soft limit of 1024 stops near 1,000 hosts).
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not on every Unix
fn raise_fd_limit(wanted: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && (limit.rlim_cur as u64) < wanted {
            limit.rlim_cur = (wanted as libc::rlim_t).min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(not(unix))]
fn raise_fd_limit(_wanted: u64) {}

fn bind(ip: IpAddr, port: Option<u16>) -> Result<std::net::TcpListener, LabError> {
    let attempt = |p: u16| std::net::TcpListener::bind(SocketAddr::new(ip, p));
    let listener = match port {
        Some(p) => attempt(p).or_else(|_| attempt(0)),
        None => attempt(0),
    }
    .map_err(|e| LabError::Bind { addr: ip.to_string(), source: e })?;
    listener.set_nonblocking(true).map_err(|e| LabError::Bind { addr: ip.to_string(), source: e })?;
    Ok(listener)
}

fn reserve(ip: IpAddr, port: Option<u16>) -> Result<tokio::net::TcpSocket, LabError> {
    let err = |e| LabError::Bind { addr: ip.to_string(), source: e };
    let make = |p: u16| -> std::io::Result<tokio::net::TcpSocket> {
        let socket = if ip.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.bind(SocketAddr::new(ip, p))?;
        Ok(socket)
    };
    match port {
        Some(p) => make(p).or_else(|_| make(0)).map_err(err),
        None => make(0).map_err(err),
    }
}

impl RunningLab {
    /// The hosts, in the order they were configured.
    pub fn hosts(&self) -> &[LabHost] {
        &self.hosts
    }

    /// One host by name.
    pub fn host(&self, name: &str) -> Option<&LabHost> {
        self.hosts.iter().find(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// The state of a served host (`None` for unknown and `unreachable` hosts).
    pub fn host_state(&self, name: &str) -> Option<HostHandle> {
        self.runtimes.get(&name.to_ascii_lowercase()).cloned().map(HostHandle)
    }

    /// The client private key in OpenSSH format.
    pub fn client_key_openssh(&self) -> Result<String, LabError> {
        keys::private_openssh(&self.client_key)
    }

    /// Writes `inventory.yaml`, `known_hosts`, `id_ed25519` (0600) and `id_ed25519.pub`.
    pub fn write_artifacts(&self, out_dir: &Path) -> Result<Artifacts, LabError> {
        std::fs::create_dir_all(out_dir).map_err(io_at(out_dir))?;
        let out_dir = out_dir.canonicalize().map_err(io_at(out_dir))?;
        let files = Artifacts {
            inventory: out_dir.join("inventory.yaml"),
            known_hosts: out_dir.join("known_hosts"),
            private_key: out_dir.join("id_ed25519"),
            public_key: out_dir.join("id_ed25519.pub"),
        };
        write_private(&files.private_key, &self.client_key_openssh()?)?;
        let public = format!("{} wsusfix-lab\n", keys::public_openssh(self.client_key.public_key())?);
        std::fs::write(&files.public_key, public).map_err(io_at(&files.public_key))?;
        let mut known = String::new();
        for (host, key) in self.hosts.iter().zip(&self.known_keys) {
            known.push_str(&keys::known_hosts_line(host.addr, key)?);
            known.push('\n');
        }
        std::fs::write(&files.known_hosts, known).map_err(io_at(&files.known_hosts))?;
        std::fs::write(&files.inventory, self.inventory_yaml(&files)).map_err(io_at(&files.inventory))?;
        Ok(files)
    }

    fn inventory_yaml(&self, files: &Artifacts) -> String {
        let mut text = String::from("# Written by `wsusfix lab serve`: simulated hosts on loopback.\nall:\n  vars:\n");
        text.push_str(&format!("    ssh_key_file: {}\n", yaml_string(&files.private_key.display().to_string())));
        text.push_str(&format!("    known_hosts_file: {}\n", yaml_string(&files.known_hosts.display().to_string())));
        text.push_str("  hosts:\n");
        for h in &self.hosts {
            let user = self
                .runtimes
                .get(&h.name.to_ascii_lowercase())
                .map(|r| r.user.clone())
                .unwrap_or_else(|| "admin".into());
            text.push_str(&format!(
                "    {}:\n      ansible_host: {}\n      ansible_port: {}\n      ansible_user: {}\n      lab_profile: {}\n",
                h.name,
                h.addr.ip(),
                h.addr.port(),
                yaml_string(&user),
                h.profile
            ));
            // What an operator writes for a server whose exec runs bash (Ansible's variable).
            if h.ssh_server.runs_bash() {
                text.push_str("      ansible_shell_type: sh\n");
            }
        }
        text
    }

    /// Blocks until SIGINT or SIGTERM.
    pub fn wait_for_shutdown_signal(&self) -> Result<(), LabError> {
        let Some(rt) = &self.runtime else { return Ok(()) };
        rt.block_on(async {
            #[cfg(unix)]
            {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .map_err(LabError::Runtime)?;
                tokio::select! {
                    r = tokio::signal::ctrl_c() => r.map_err(LabError::Runtime),
                    _ = term.recv() => Ok(()),
                }
            }
            #[cfg(not(unix))]
            {
                tokio::signal::ctrl_c().await.map_err(LabError::Runtime)
            }
        })
    }

    /// Stops every listener and connection.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_millis(500));
        }
    }
}

impl Drop for RunningLab {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), LabError> {
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_at(path))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io_at(path))
}

fn yaml_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The default mix, in the order hosts are assigned: every profile once, then extra weight on
/// the common cases. Host `i` gets entry `i % len`.
const DEFAULT_MIX: &[&str] = &[
    "w2003-sp1-unpatched",
    "w2008-sp1-unpatched",
    "w2008-sp1-patched",
    "w2003-rtm",
    "w2008-sp1-unpatched-elevated",
    "w2003-sp2",
    "sbs2003-wsus2",
    "w2008-console-only",
    "w2003-no-wsus",
    "installer-busy",
    "install-fails",
    "slow",
    "unreachable",
    "hang",
    "drop",
    "auth-fail",
    "hostkey-changed",
    "garbage",
    "w2003-sp1-unpatched",
    "w2008-sp1-unpatched",
    "w2008-sp1-patched",
    "w2003-sp1-unpatched",
    "w2008-sp1-unpatched-elevated",
    "w2008-sp1-patched",
    "w2003-rtm",
    "w2008-sp1-unpatched",
    "w2003-sp2",
    "w2003-sp1-unpatched",
];

/// The host name of the `i`-th lab host (`wsus-lab-0001`; a valid 15-character COMPUTERNAME).
pub fn host_name(i: usize) -> String {
    format!("wsus-lab-{:04}", i + 1)
}

/// `n` hosts in the default mix of every profile (all kinds appear from 18 hosts on).
pub fn mix(n: usize) -> Result<Vec<HostSpec>, LabError> {
    let profiles: Vec<Profile> = DEFAULT_MIX.iter().map(|p| Profile::builtin(p)).collect::<Result<_, _>>()?;
    Ok((0..n).map(|i| HostSpec { name: host_name(i), profile: profiles[i % profiles.len()].clone() }).collect())
}

/// `n` hosts from `default` or weights like `w2003-rtm=3,hang=1` (shared out in proportion,
/// interleaved). `extra` resolves names that are not shipped profiles (user files).
///
/// Each entry is a host spec, `PROFILE[@LANG][+SERVER][=WEIGHT]`: `@LANG` sets the host
/// language (`en-US`, `zh-CN`, `de-DE`, `fr-FR`, `ja-JP`) and `+SERVER` the SSH server
/// (`win32-openssh`, `bitvise`, `cygwin`, `freesshd`), e.g.
/// `w2008-sp1-unpatched@zh-CN+cygwin=3,w2003-sp2@de-DE=1`. `default@LANG+SERVER` is the
/// default mix with every host in that language and behind that server.
pub fn parse_mix(text: &str, n: usize, extra: &[Profile]) -> Result<Vec<HostSpec>, LabError> {
    let trimmed = text.trim();
    if trimmed.len() >= 7 && trimmed[..7].eq_ignore_ascii_case("default") && !trimmed.contains([',', '=']) {
        let spec = crate::profile::split_spec(trimmed)?;
        if spec.name.eq_ignore_ascii_case("default") {
            return Ok(mix(n)?.into_iter().map(|h| HostSpec { profile: spec.apply(h.profile), ..h }).collect());
        }
    }
    let bad = |message: String| LabError::Mix { text: text.to_string(), message };
    let mut weights = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part.rsplit_once('=').unwrap_or((part, "1"));
        let weight: usize = weight.trim().parse().map_err(|_| bad(format!("`{weight}` is not a count")))?;
        let profile = Profile::from_spec(name.trim(), extra)?;
        weights.push((profile, weight));
    }
    let total: usize = weights.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return Err(bad("no hosts".into()));
    }
    // Largest-remainder shares of n, then interleaved so that ranges of hosts are mixed.
    let mut shares: Vec<usize> = weights.iter().map(|(_, w)| n * w / total).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((n * weights[i].1) % total));
    for &i in order.iter().cycle().take(n - shares.iter().sum::<usize>()) {
        shares[i] += 1;
    }
    let mut specs = Vec::with_capacity(n);
    while specs.len() < n {
        for (i, (profile, _)) in weights.iter().enumerate() {
            if shares[i] > 0 {
                shares[i] -= 1;
                specs.push(HostSpec { name: host_name(specs.len()), profile: profile.clone() });
            }
        }
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mix_covers_every_profile() {
        let specs = mix(40).unwrap();
        for name in Profile::builtin_names() {
            assert!(specs.iter().any(|s| s.profile.name == name), "{name} missing");
        }
        assert_eq!(specs[0].name, "wsus-lab-0001");
    }

    #[test]
    fn weighted_mix_shares_in_proportion() {
        let specs = parse_mix("w2003-rtm=1, hang=3", 8, &[]).unwrap();
        assert_eq!(specs.iter().filter(|s| s.profile.name == "hang").count(), 6);
        assert_eq!(specs[0].profile.name, "w2003-rtm");
        assert!(parse_mix("w2003-rtm=x", 3, &[]).is_err());
        assert!(parse_mix("nope=1", 3, &[]).is_err());
    }

    #[test]
    fn host_specs_carry_language_and_ssh_server() {
        let specs =
            parse_mix("w2008-sp1-unpatched@zh-CN+cygwin=1,w2003-sp2+freesshd@ja-JP=1,w2003-rtm", 6, &[]).unwrap();
        assert_eq!(specs[0].profile.name, "w2008-sp1-unpatched@zh-CN+cygwin");
        assert_eq!((specs[0].language(), specs[0].ssh_server()), (Language::ZhCn, SshServer::Cygwin));
        assert_eq!((specs[1].language(), specs[1].ssh_server()), (Language::JaJp, SshServer::Freesshd));
        assert_eq!(specs[2].profile.name, "w2003-rtm");
        assert_eq!((specs[2].language(), specs[2].ssh_server()), (Language::EnUs, SshServer::Win32OpenSsh));
        assert!(parse_mix("w2003-rtm@xx-YY", 1, &[]).is_err());
        assert!(parse_mix("w2003-rtm+telnet", 1, &[]).is_err());
        let all = parse_mix("default@de-DE+bitvise", 20, &[]).unwrap();
        assert!(all.iter().all(|h| h.language() == Language::DeDe && h.ssh_server() == SshServer::Bitvise));
        assert_eq!(all[0].profile.name, "w2003-sp1-unpatched@de-DE+bitvise");
        let host = HostSpec::new("h", "w2008-sp1-unpatched").unwrap().with_language(Language::FrFr);
        assert_eq!(host.profile.name, "w2008-sp1-unpatched@fr-FR");
        let host = host.with_language(Language::EnUs);
        assert_eq!(host.profile.name, "w2008-sp1-unpatched", "back to the profile's own setting, no suffix");
    }
}
