//! `wsusfix lab ...`: the simulated fleet. `serve` runs many simulated WSUS servers behind a
//! real SSH server on loopback; `exec` runs one command line against a simulated host kept in
//! a state folder (for OpenSSH's sshd with a `ForceCommand`); `profiles` lists the profiles.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use wsusfix_lab::{parse_mix, HostSpec, Lab, LabConfig, Profile};

#[derive(clap::Subcommand)]
pub enum LabCommand {
    /// Serve simulated hosts over SSH on 127.0.0.1 until SIGINT or SIGTERM.
    ///
    /// Writes DIR/inventory.yaml (each host with a `lab_profile` variable), DIR/known_hosts,
    /// the client key DIR/id_ed25519 and simulated packages in DIR/packages/ (for `plan
    /// --packages`), then prints one `lab ready` line.
    ///
    /// Exit status: 0 stopped by SIGINT or SIGTERM; 1 usage error, or the lab could not start.
    Serve(ServeArgs),
    Rehearse(super::rehearse::Args),
    /// Run one cmd.exe command line on a simulated host whose state lives in a folder.
    ///
    /// For OpenSSH's sshd: `ForceCommand wsusfix lab exec --profile P --state DIR --
    /// "$SSH_ORIGINAL_COMMAND"`. Prints the command's stdout and stderr and exits with its
    /// exit code.
    Exec(ExecArgs),
    /// List the shipped host profiles.
    Profiles,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Number of hosts.
    #[arg(long, default_value_t = 20)]
    pub hosts: usize,
    /// `default` (every profile), or weights such as `w2003-rtm=3,w2008-sp1-unpatched=5`. A
    /// profile may carry its host language and SSH server: `w2008-sp1-unpatched@zh-CN+cygwin=2`
    /// (`default@ja-JP` sets them for the whole default mix).
    #[arg(long, default_value = "default", conflicts_with = "profile")]
    pub mix: String,
    /// Give every host this profile (a shipped name, or the name of a --profile-file), with
    /// optional `@LANGUAGE` and `+SSH_SERVER` suffixes.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The Windows display language of every host: en-US (code page 437), zh-CN (936), de-DE
    /// (850), fr-FR (850) or ja-JP (932). Default: each profile's own (en-US).
    #[arg(long, value_name = "LANGUAGE")]
    pub language: Option<wsusfix_lab::Language>,
    /// The SSH server every host runs: win32-openssh (cmd.exe, full exit status), bitvise
    /// (cmd.exe), cygwin (bash runs the command; exit status & 0xFF) or freesshd (a 32-bit
    /// process: WOW64 registry view on x64; no exit status). Default: each profile's own.
    #[arg(long, value_name = "SERVER")]
    pub ssh_server: Option<wsusfix_lab::SshServer>,
    /// Load a profile from a YAML file (usable by its file name in --mix and --profile).
    #[arg(long, value_name = "FILE")]
    pub profile_file: Vec<PathBuf>,
    /// Where to write inventory.yaml, known_hosts and id_ed25519.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Keep host state, keys and ports here so the lab can be restarted.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// First port (hosts get consecutive ports); default: ports the system picks.
    #[arg(long)]
    pub base_port: Option<u16>,
    /// Fixed key seed for reproducible keys.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Put every host a network round trip of MS milliseconds away, as over a WAN: each byte
    /// a host sends reaches the client MS later, so every exchange of the SSH handshake, the
    /// authentication and each command pays a round trip (a profile's `connection.rtt_ms`
    /// wins). Bandwidth, loss and jitter are not simulated.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
}

#[derive(clap::Args)]
pub struct ExecArgs {
    /// The host's profile (a shipped name or a YAML file).
    #[arg(long)]
    pub profile: String,
    /// Folder that keeps the host's state between commands.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// Host name (several hosts can share a state folder).
    #[arg(long, default_value = "wsus-lab")]
    pub host: String,
    /// The command line, as cmd.exe would receive it.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

pub fn run(cmd: LabCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LabCommand::Serve(args) => serve(args),
        LabCommand::Rehearse(args) => super::rehearse::run(args),
        LabCommand::Exec(args) => exec(args),
        LabCommand::Profiles => {
            let mut out = std::io::stdout().lock();
            for name in Profile::builtin_names() {
                let p = Profile::builtin(name)?;
                if writeln!(out, "{name:<30} {}", p.description).is_err() {
                    break;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A profile by name, file or `NAME@LANGUAGE+SERVER` spec.
fn load_profile(spec: &str, extra: &[Profile]) -> anyhow::Result<Profile> {
    Ok(Profile::from_spec(spec, extra)?)
}

/// Simulated package files under the advisory's names, for `plan --packages DIR`: the lab's
/// hosts recognise the installer by its name, not by its bytes.
pub fn write_packages(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let advisory = wsusfix_core::advisory::Advisory::embedded();
    for name in [&advisory.package.x86, &advisory.package.x64, &advisory.reinstall.x86, &advisory.reinstall.x64] {
        std::fs::write(dir.join(name), format!("MZ simulated {name}: a package only the wsusfix lab accepts\n"))?;
    }
    Ok(())
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let extra: Vec<Profile> = args.profile_file.iter().map(|f| Profile::from_file(f)).collect::<Result<_, _>>()?;
    let hosts = match &args.profile {
        Some(name) => {
            let profile = load_profile(name, &extra)?;
            (0..args.hosts).map(|i| HostSpec { name: wsusfix_lab::host_name(i), profile: profile.clone() }).collect()
        }
        None => parse_mix(&args.mix, args.hosts, &extra)?,
    };
    let hosts: Vec<HostSpec> = hosts
        .into_iter()
        .map(|h| {
            let h = match args.language {
                Some(language) => h.with_language(language),
                None => h,
            };
            match args.ssh_server {
                Some(server) => h.with_ssh_server(server),
                None => h,
            }
        })
        .collect();
    let lab = Lab::start(LabConfig {
        hosts,
        state_dir: args.state.clone(),
        seed: args.seed,
        base_port: args.base_port,
        latency: std::time::Duration::from_millis(args.latency),
        ..LabConfig::default()
    })
    .context("cannot start the lab")?;
    let files = lab.write_artifacts(&args.out).context("cannot write the lab's files")?;
    let packages = args.out.join("packages");
    write_packages(&packages)
        .with_context(|| format!("cannot write the simulated packages to {}", packages.display()))?;
    let ports: Vec<u16> = lab.hosts().iter().map(|h| h.addr.port()).collect();
    let (lo, hi) = (ports.iter().min().copied().unwrap_or(0), ports.iter().max().copied().unwrap_or(0));
    let wan = if args.latency > 0 { format!(", {} ms round trip", args.latency) } else { String::new() };
    println!(
        "lab ready: {} hosts on 127.0.0.1 ports {lo}-{hi}{wan}; inventory {}; packages {}",
        lab.hosts().len(),
        files.inventory.display(),
        packages.display()
    );
    std::io::stdout().flush().ok();
    lab.wait_for_shutdown_signal().context("cannot wait for a signal")?;
    lab.shutdown();
    Ok(ExitCode::SUCCESS)
}

fn exec(args: ExecArgs) -> anyhow::Result<ExitCode> {
    let profile = load_profile(&args.profile, &[])?;
    let line = args.command.join(" ");
    // sshd hands an `scp -t PATH` upload to the ForceCommand too: speak SCP on stdin/stdout.
    if let Some(sink) = wsusfix_lab::scp::ScpSink::from_command(&line) {
        let code = wsusfix_lab::persist::scp_once(
            &args.state,
            &args.host,
            &profile,
            sink,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        )
        .with_context(|| format!("cannot upload to the simulated host kept in {}", args.state.display()))?;
        return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
    }
    let out = wsusfix_lab::persist::exec_once(&args.state, &args.host, &profile, &line)
        .with_context(|| format!("cannot run on the simulated host kept in {}", args.state.display()))?;
    std::io::stdout().write_all(&out.stdout).ok();
    std::io::stdout().flush().ok();
    std::io::stderr().write_all(&out.stderr).ok();
    // Exit statuses are one byte on Unix; Windows codes like 9009 or 1603 wrap as sshd's would.
    Ok(ExitCode::from((out.exit_code as u32 & 0xFF) as u8))
}
