//! The conservative character sets every inventory value must pass.
//!
//! Nothing read from an inventory reaches a command line unchecked: names, addresses, users
//! and remote paths are refused unless every character is in a small, known-safe set, and a
//! leading `-` (which a program could read as an option) is refused everywhere.

use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::error::quoted;
use super::model::{EnvVarName, JumpHost, LabProfile, Sha256Digest, WindowsPath};

/// Why a value was refused, in words for the user.
pub type Reason = String;

const NAME_CHARS: &str = "letters, digits and . _ -";

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-".contains(c)
}

fn only(value: &str, allowed: impl Fn(char) -> bool, allowed_text: &str) -> Result<(), Reason> {
    if value.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = value.chars().find(|c| !allowed(*c)) {
        return Err(format!("`{}` is not allowed; use only {allowed_text}", c.escape_default()));
    }
    if value.starts_with('-') {
        return Err("it must not start with `-`".into());
    }
    Ok(())
}

/// A host name as written under `hosts:`: also its address when `host` is not set.
pub fn host_name(name: &str) -> Result<(), Reason> {
    if name.contains(':') {
        return Err("an IPv6 address cannot be a host's name; name the host and set `host` to the address".into());
    }
    only(name, name_char, NAME_CHARS)
}

/// A group name.
pub fn group_name(name: &str) -> Result<(), Reason> {
    only(name, name_char, NAME_CHARS)
}

/// A DNS name, IPv4 address, or IPv6 address (with or without brackets), without brackets.
pub fn address(value: &str) -> Result<String, Reason> {
    if value.contains(':') || value.starts_with('[') {
        let bare = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(value);
        return match Ipv6Addr::from_str(bare) {
            Ok(_) => Ok(bare.to_string()),
            Err(_) => Err(format!("{} is not an IPv6 address (a port goes in `port`)", quoted(value))),
        };
    }
    only(value, name_char, "letters, digits and . _ - (or an IPv6 address)")?;
    Ok(value.to_string())
}

/// A login name such as `admin`, `CORP\svc-wsus` or `svc-wsus@corp.example`.
pub fn user(value: &str) -> Result<String, Reason> {
    only(value, |c| name_char(c) || c == '\\' || c == '@', "letters, digits and . _ - \\ @")?;
    Ok(value.to_string())
}

/// A TCP port, 1 to 65535.
pub fn port(value: i128) -> Result<u16, Reason> {
    match u16::try_from(value) {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(format!("{value} is not a port (1 to 65535)")),
    }
}

/// A positive number of seconds, up to a week.
pub fn seconds(value: f64) -> Result<Duration, Reason> {
    const WEEK: f64 = 7.0 * 24.0 * 3600.0;
    if value.is_finite() && value > 0.0 && value <= WEEK {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!("{value} is not a number of seconds between 0 and {WEEK} (a week)"))
    }
}

/// A path on this machine, as written, with a leading `~/` expanded from `$HOME`.
pub fn local_path(value: &str) -> Result<PathBuf, Reason> {
    if value.trim().is_empty() {
        return Err("it is empty".into());
    }
    if value.chars().any(char::is_control) {
        return Err("it contains a control character".into());
    }
    match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Ok(PathBuf::from(home).join(rest)),
        _ => Ok(PathBuf::from(value)),
    }
}

impl FromStr for WindowsPath {
    type Err = Reason;

    /// An absolute path such as `C:\Program Files\Update Services`, by `safe`'s rules.
    fn from_str(value: &str) -> Result<Self, Reason> {
        crate::safe::windows_path(value)
            .map_err(|e| format!("{} is not a safe Windows path: {}", quoted(value), e.reason))?;
        Ok(WindowsPath(value.to_string()))
    }
}

impl FromStr for EnvVarName {
    type Err = Reason;

    fn from_str(value: &str) -> Result<Self, Reason> {
        let first_ok = value.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "{} is not an environment variable name (letters, digits and _, not starting with a digit)",
                quoted(value)
            ));
        }
        Ok(EnvVarName(value.to_string()))
    }
}

impl FromStr for Sha256Digest {
    type Err = Reason;

    fn from_str(value: &str) -> Result<Self, Reason> {
        if value.len() != 64 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("{} is not a SHA-256 digest (64 hexadecimal digits)", quoted(value)));
        }
        Ok(Sha256Digest(value.to_ascii_lowercase()))
    }
}

impl FromStr for LabProfile {
    type Err = Reason;

    fn from_str(value: &str) -> Result<Self, Reason> {
        // A shipped profile (`w2008-sp1-unpatched`), with the lab's language and SSH server
        // suffixes (`@zh-CN+cygwin`).
        only(value, |c| c.is_ascii_alphanumeric() || "-@+".contains(c), "letters, digits and - @ +")
            .map_err(|e| format!("{}: {e}", quoted(value)))?;
        Ok(LabProfile(value.to_string()))
    }
}

impl FromStr for JumpHost {
    type Err = Reason;

    /// `[user@]host[:port]`; an IPv6 host goes in brackets: `admin@[fd00::1]:22`.
    fn from_str(value: &str) -> Result<Self, Reason> {
        jump_host(value).map_err(|e| format!("{} is not a jump host ([user@]host[:port]): {e}", quoted(value)))
    }
}

fn jump_host(value: &str) -> Result<JumpHost, Reason> {
    let (user_part, rest) = match value.rsplit_once('@') {
        Some((u, rest)) => (Some(user(u)?), rest),
        None => (None, value),
    };
    let (host_part, port_part) = if let Some(inner) = rest.strip_prefix('[') {
        let (inside, after) = inner.split_once(']').ok_or("an unclosed `[`")?;
        match after.strip_prefix(':') {
            Some(p) => (inside, Some(p)),
            None if after.is_empty() => (inside, None),
            None => return Err(format!("unexpected {} after the IPv6 address", quoted(after))),
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let port = match port_part {
        Some(p) => port(p.parse::<i128>().map_err(|_| format!("{} is not a port", quoted(p)))?)?,
        None => super::model::DEFAULT_PORT,
    };
    let address = address(host_part)?;
    Ok(JumpHost { user: user_part, address, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_shell_and_option_characters() {
        for good in ["wsus01", "wsus-01.corp.example", "10.0.0.5", "WSUS_A"] {
            assert!(host_name(good).is_ok(), "{good}");
        }
        for bad in ["wsus&01", "a b", "-oProxyCommand=x", "", "web[01:10]", "a;b", "a|b", "wsus:2222", "é"] {
            assert!(host_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(host_name("fe80::1").unwrap_err().contains("IPv6"));
        assert!(group_name("branch offices").is_err());
    }

    #[test]
    fn addresses_accept_ipv6_and_strip_brackets() {
        assert_eq!(address("[fd00::5]").unwrap(), "fd00::5");
        assert_eq!(address("fd00::5").unwrap(), "fd00::5");
        assert!(address("fd00::5:22:x").is_err());
        assert!(address("host:22").is_err());
    }

    #[test]
    fn users_allow_domains() {
        assert!(user("CORP\\svc-wsus").is_ok());
        assert!(user("svc@corp.example").is_ok());
        assert!(user("a b").is_err());
        assert!(user("x%y").is_err());
    }

    #[test]
    fn ports_and_seconds_have_ranges() {
        assert_eq!(port(22), Ok(22));
        assert!(port(0).is_err());
        assert!(port(65536).is_err());
        assert!(port(-1).is_err());
        assert_eq!(seconds(1.5), Ok(Duration::from_millis(1500)));
        assert!(seconds(0.0).is_err());
        assert!(seconds(f64::NAN).is_err());
        assert!(seconds(1e30).is_err());
    }

    #[test]
    fn windows_paths_are_absolute_and_plain() {
        assert!("C:\\Program Files\\Update Services".parse::<WindowsPath>().is_ok());
        assert!("D:\\WSUS (x86)\\Temp".parse::<WindowsPath>().is_ok());
        assert!("C:\\".parse::<WindowsPath>().is_ok());
        for bad in ["relative\\x", "C:\\a&b", "C:\\50%", "C:\\..\\x", "C:\\a:b", "\\\\server\\share", "C:\\a\"b"] {
            assert!(bad.parse::<WindowsPath>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn jump_hosts_parse() {
        let j: JumpHost = "ops@bastion.corp.example:2222".parse().unwrap();
        assert_eq!((j.user.as_deref(), j.address.as_str(), j.port), (Some("ops"), "bastion.corp.example", 2222));
        let j: JumpHost = "bastion".parse().unwrap();
        assert_eq!((j.user, j.port), (None, 22));
        let j: JumpHost = "ops@[fd00::1]:22".parse().unwrap();
        assert_eq!(j.to_string(), "ops@[fd00::1]:22");
        for bad in ["ops@bastion:0", "ops@bas tion", "-J@x", "a@b:c", "ops@[fd00::1"] {
            assert!(bad.parse::<JumpHost>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn small_types() {
        assert!("WSUS_PW".parse::<EnvVarName>().is_ok());
        assert!("1PW".parse::<EnvVarName>().is_err());
        assert!("PW-X".parse::<EnvVarName>().is_err());
        let d: Sha256Digest = "AB".repeat(32).parse().unwrap();
        assert_eq!(d.as_str(), "ab".repeat(32));
        assert!("ab".parse::<Sha256Digest>().is_err());
        assert!("sp1-affected".parse::<LabProfile>().is_ok());
        assert!("SP1 x".parse::<LabProfile>().is_err());
        assert!("w2008-sp1-unpatched@zh-CN+cygwin".parse::<LabProfile>().is_ok());
    }
}
