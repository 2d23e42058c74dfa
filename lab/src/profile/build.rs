//! Turns a merged profile into a fresh [`HostState`]: default environment and folders for
//! the OS and architecture, then WSUS, registry values, files and services from the profile.

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::{FileSpec, Profile, ProfileError, RegEntry};
use crate::host::{clock, fs::FileEntry, Arch, Content, FileSystem, HostState, Os, RegData, Registry, Token};
use crate::{cmdline, wsus};

impl Profile {
    /// A new host named `host_name` in this profile's initial state.
    pub fn instantiate(&self, host_name: &str) -> Result<HostState, ProfileError> {
        let d = &self.doc;
        let invalid = |message: String| ProfileError::Invalid { origin: self.origin.clone(), message };
        let os = d.os.ok_or_else(|| invalid("`os` is required (w2003 or w2008)".into()))?;
        let arch = d.arch.unwrap_or(Arch::X86);
        let user = d.user.clone().unwrap_or_else(|| "admin".into());
        let clock_text = d.clock.clone().unwrap_or_else(|| "2008-08-14 09:00:00".into());
        let now = clock::parse(&clock_text).ok_or_else(|| invalid(format!("bad clock `{clock_text}`")))?;
        let mut env = default_env(os, arch, &computer_name(host_name), &user);
        env.extend(d.env.clone());
        let cwd = env.get("USERPROFILE").cloned().unwrap_or_else(|| "C:\\".into());
        let mut host = HostState {
            name: host_name.to_string(),
            profile: self.name.clone(),
            os,
            os_version: d.os_version.clone().unwrap_or_else(|| default_version(os).into()),
            caption: d.caption.clone().unwrap_or_default(),
            arch,
            token: if os == Os::W2003 { Token::Elevated } else { d.token.unwrap_or(Token::Filtered) },
            whoami: d.whoami.unwrap_or(os == Os::W2008),
            user,
            cwd,
            env,
            registry: Registry::default(),
            fs: FileSystem::default(),
            services: Vec::new(),
            tasks: Vec::new(),
            installer: d.installer.clone().unwrap_or_default(),
            kept_database: None,
            shutdowns: Vec::new(),
            task_run_lines: d.task_run_lines.unwrap_or(1),
            clock: now,
            lines_run: 0,
            language: d.language.unwrap_or_default(),
            ssh_server: d.ssh_server.unwrap_or_default(),
            free_bytes: d.free_bytes.unwrap_or(crate::host::DEFAULT_FREE_BYTES),
        };
        for var in ["windir", "TEMP", "USERPROFILE", "ProgramFiles"] {
            if let Some(dir) = host.env_var(var).map(str::to_string) {
                host.fs.mkdir_all(&dir);
            }
        }
        let windir = host.windir();
        host.fs.mkdir_all(&format!("{windir}\\system32"));
        host.fs.mkdir_all(&format!("{windir}\\Temp"));
        if let Some(spec) = &d.wsus {
            wsus::install(&mut host, spec, None);
        }
        for entry in &d.registry {
            let data = reg_data(entry).map_err(|m| invalid(format!("registry {}\\{}: {m}", entry.key, entry.name)))?;
            host.registry.set(&expand(&host, &entry.key), &entry.name, data);
        }
        for dir in &d.dirs {
            let path = host.path(&expand(&host, dir));
            host.fs.mkdir_all(&path);
        }
        for spec in &d.files {
            let entry = file_entry(&host, spec).map_err(|m| invalid(format!("file {}: {m}", spec.path)))?;
            host.fs.put(entry);
        }
        crate::host::sql_tools::install(&mut host, d.sql_tool.unwrap_or_default());
        for &record in &d.pending_reboot {
            host.set_pending_reboot(record);
        }
        for svc in &d.services {
            host.services.retain(|s| !s.name.eq_ignore_ascii_case(&svc.name));
            host.services.push(svc.clone());
        }
        Ok(host)
    }
}

fn default_version(os: Os) -> &'static str {
    match os {
        Os::W2003 => "5.2.3790",
        Os::W2008 => "6.0.6001",
    }
}

/// `COMPUTERNAME` from a host name: upper case, at most 15 characters, `-` for the rest.
pub fn computer_name(host: &str) -> String {
    let name: String = host
        .split('.')
        .next()
        .unwrap_or(host)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_uppercase() } else { '-' })
        .take(15)
        .collect();
    if name.is_empty() {
        "WSUS".into()
    } else {
        name
    }
}

fn default_env(os: Os, arch: Arch, computer: &str, user: &str) -> BTreeMap<String, String> {
    let (windir, profile, temp) = match os {
        Os::W2003 => (
            "C:\\WINDOWS".to_string(),
            format!("C:\\Documents and Settings\\{user}"),
            format!("C:\\DOCUME~1\\{user}\\LOCALS~1\\Temp"),
        ),
        Os::W2008 => (
            "C:\\Windows".to_string(),
            format!("C:\\Users\\{user}"),
            format!("C:\\Users\\{user}\\AppData\\Local\\Temp"),
        ),
    };
    let mut env: BTreeMap<String, String> = [
        ("COMPUTERNAME", computer.to_string()),
        ("ComSpec", format!("{windir}\\system32\\cmd.exe")),
        ("OS", "Windows_NT".into()),
        ("Path", format!("{windir}\\system32;{windir};{windir}\\System32\\Wbem")),
        ("PATHEXT", ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH".into()),
        ("ProgramFiles", "C:\\Program Files".into()),
        ("SystemDrive", "C:".into()),
        ("SystemRoot", windir.clone()),
        ("TEMP", temp.clone()),
        ("TMP", temp),
        ("USERNAME", user.to_string()),
        ("USERPROFILE", profile),
        ("windir", windir),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let processor = match arch {
        Arch::X86 => "x86",
        Arch::X64 => "AMD64",
    };
    env.insert("PROCESSOR_ARCHITECTURE".into(), processor.into());
    env.insert("NUMBER_OF_PROCESSORS".into(), "2".into());
    if arch == Arch::X64 {
        env.insert("ProgramFiles(x86)".into(), "C:\\Program Files (x86)".into());
        env.insert("ProgramW6432".into(), "C:\\Program Files".into());
        env.insert("CommonProgramFiles(x86)".into(), "C:\\Program Files (x86)\\Common Files".into());
    }
    env
}

fn expand(host: &HostState, text: &str) -> String {
    cmdline::expand(text, |name| host.env_var(name).map(str::to_string))
}

fn reg_data(entry: &RegEntry) -> Result<RegData, String> {
    let text = || match &entry.data {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("expected text, found {other:?}")),
    };
    Ok(match entry.kind.to_ascii_uppercase().as_str() {
        "REG_SZ" => RegData::Sz(text()?),
        "REG_EXPAND_SZ" => RegData::ExpandSz(text()?),
        "REG_DWORD" => {
            let t = text()?;
            let n = match t.strip_prefix("0x") {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => t.parse(),
            };
            RegData::Dword(n.map_err(|e| format!("bad REG_DWORD `{t}`: {e}"))?)
        }
        "REG_MULTI_SZ" => match &entry.data {
            Value::Sequence(items) => {
                RegData::MultiSz(items.iter().map(|i| i.as_str().unwrap_or_default().to_string()).collect())
            }
            _ => RegData::MultiSz(vec![text()?]),
        },
        "REG_BINARY" => RegData::Binary(text()?),
        other => return Err(format!("unknown type `{other}`")),
    })
}

fn file_entry(host: &HostState, spec: &FileSpec) -> Result<FileEntry, String> {
    let path = host.path(&expand(host, &spec.path));
    let modified = match &spec.modified {
        Some(t) => clock::parse(t).ok_or_else(|| format!("bad modified time `{t}`"))?,
        None => host.clock,
    };
    // Log lines carry .NET messages in the host's language.
    let lang = host.language;
    let local = |lines: &[String]| -> Vec<String> { lines.iter().map(|l| lang.localize_log_line(l)).collect() };
    let content = match (&spec.text, &spec.lines, &spec.filler) {
        (Some(t), None, None) => Content::Text(t.split_inclusive('\n').map(|l| lang.localize_log_line(l)).collect()),
        (None, Some(lines), None) => Content::Text(local(lines).iter().map(|l| format!("{l}\r\n")).collect()),
        (None, None, Some(filler)) => {
            Content::Generated { filler: filler.clone(), filler_lines: spec.filler_lines, tail: local(&spec.tail) }
        }
        (None, None, None) if !spec.tail.is_empty() => {
            Content::Generated { filler: String::new(), filler_lines: 0, tail: local(&spec.tail) }
        }
        (None, None, None) => Content::Text(String::new()),
        _ => return Err("give only one of `text`, `lines` or `filler`".into()),
    };
    Ok(FileEntry { path, version: spec.version.clone(), modified, content })
}
