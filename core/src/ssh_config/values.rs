//! The values of the directives wsusfix applies, read as OpenSSH reads them and checked with
//! the inventory's validators (`inventory::validate`): what reaches a connection from
//! ssh_config passes the same gate as what comes from an inventory.

use std::time::Duration;

use crate::inventory::validate;

/// `StrictHostKeyChecking`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrictHostKeyChecking {
    /// `yes`: an unknown key is refused.
    Yes,
    /// `ask`: ssh would ask; wsusfix cannot, so an unknown key is refused as with `yes`.
    Ask,
    /// `accept-new`: an unknown key is recorded and trusted; a changed one is refused.
    AcceptNew,
    /// `no` / `off`: ssh would accept any key. wsusfix treats it as `accept-new`, and warns.
    No,
}

impl StrictHostKeyChecking {
    /// Whether a key seen for the first time is accepted.
    pub fn accepts_new(self) -> bool {
        matches!(self, StrictHostKeyChecking::AcceptNew | StrictHostKeyChecking::No)
    }
}

/// `ProxyJump`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyJump {
    /// `none`: no jump host, whatever a later line says.
    None,
    /// `[user@]host[:port]` (or `ssh://[user@]host[:port]`); `host` may itself be a `Host`
    /// alias of the configuration.
    Via { user: Option<String>, host: String, port: Option<u16> },
}

/// An algorithm list (`KexAlgorithms`), as ssh_config writes it: a list that replaces the
/// defaults, or one that changes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmList {
    pub change: ListChange,
    /// Names, or patterns with `*` and `?`.
    pub names: Vec<String>,
}

/// How an [`AlgorithmList`] applies to the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListChange {
    /// `a,b`: these, in this order, instead of the defaults.
    Replace,
    /// `+a,b`: the defaults, then these.
    Append,
    /// `-a,b`: the defaults without these.
    Remove,
    /// `^a,b`: these, then the rest of the defaults.
    Prepend,
}

impl AlgorithmList {
    /// The list applied to `defaults` (in their order of preference); every name must be one
    /// of `offered` (what the SSH library implements), or the reason it is not.
    pub fn apply(&self, defaults: &[&str], offered: &[&str]) -> Result<Vec<String>, String> {
        let matching = |name: &str| -> Vec<&str> {
            let found =
                offered.iter().copied().filter(|o| crate::wildcard::matches(o.as_bytes(), name.as_bytes(), b'*', b'?'));
            found.collect()
        };
        let mut named = Vec::new();
        for name in &self.names {
            let found = matching(name);
            if found.is_empty() && self.change != ListChange::Remove {
                return Err(format!(
                    "{name:?} is not a key exchange wsusfix's SSH library offers ({})",
                    offered.join(", ")
                ));
            }
            for f in found {
                if !named.contains(&f) {
                    named.push(f);
                }
            }
        }
        let rest = defaults.iter().copied().filter(|d| !named.contains(d));
        let list: Vec<&str> = match self.change {
            ListChange::Replace => named,
            ListChange::Append => {
                defaults.iter().copied().chain(named.iter().copied().filter(|n| !defaults.contains(n))).collect()
            }
            ListChange::Remove => rest.collect(),
            ListChange::Prepend => named.iter().copied().chain(rest).collect(),
        };
        if list.is_empty() {
            return Err("leaves no key exchange to offer".to_owned());
        }
        Ok(list.into_iter().map(str::to_owned).collect())
    }
}

/// An algorithm list's text: `[+-^]name,name,...`, names of letters, digits and `-_.@*?`.
pub(super) fn algorithms(text: &str) -> Result<AlgorithmList, String> {
    let (change, rest) = match text.chars().next() {
        Some('+') => (ListChange::Append, &text[1..]),
        Some('-') => (ListChange::Remove, &text[1..]),
        Some('^') => (ListChange::Prepend, &text[1..]),
        _ => (ListChange::Replace, text),
    };
    let names: Vec<String> = rest.split(',').map(str::to_owned).collect();
    let valid = |n: &String| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@*?".contains(c));
    match names.iter().find(|n| !valid(n)) {
        Some(bad) => Err(format!("{bad:?} in {text:?} is not an algorithm name (a comma-separated list of names)")),
        None => Ok(AlgorithmList { change, names }),
    }
}

pub(super) fn single(args: &[String]) -> Result<&str, String> {
    match args {
        [one] => Ok(one),
        _ => Err(format!("takes one value, found {} (extra arguments at end of line)", args.len())),
    }
}

pub(super) fn port(text: &str) -> Result<u16, String> {
    let n: i128 = text.parse().map_err(|_| format!("{text:?} is not a port number"))?;
    validate::port(n)
}

/// OpenSSH's time format (`convtime`): `90`, `90s`, `1m30s`, `2h`, `1d`, `1w`; case does not
/// matter. Zero is allowed (it means "off" where ssh allows that).
pub(super) fn duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a time (seconds, or like 1m30s)");
    if text.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = total.checked_add(n).ok_or_else(bad)?;
    }
    if total == 0 {
        return Ok(Duration::ZERO);
    }
    // The inventory's bound on any number of seconds (a week).
    #[allow(clippy::cast_precision_loss)]
    validate::seconds(total as f64)
}

pub(super) fn strict(text: &str) -> Result<StrictHostKeyChecking, String> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(StrictHostKeyChecking::Yes),
        "ask" => Ok(StrictHostKeyChecking::Ask),
        "accept-new" => Ok(StrictHostKeyChecking::AcceptNew),
        "no" | "off" | "false" => Ok(StrictHostKeyChecking::No),
        _ => Err(format!("{text:?} is not one of yes, ask, accept-new, no")),
    }
}

/// `none`, or one `[user@]host[:port]`. A chain of several is refused: wsusfix tunnels through
/// one jump host, and connecting otherwise than asked is not an option.
pub(super) fn proxy_jump(text: &str) -> Result<ProxyJump, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(ProxyJump::None);
    }
    if text.contains(',') {
        return Err(format!("{text:?} names several jump hosts; wsusfix tunnels through one"));
    }
    let rest = text.strip_prefix("ssh://").unwrap_or(text);
    let (user, rest) = match rest.rsplit_once('@') {
        Some((u, r)) => (Some(validate::user(u)?), r),
        None => (None, rest),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (inside, after) = inner.split_once(']').ok_or("an unclosed `[`")?;
        match after.strip_prefix(':') {
            Some(p) => (inside, Some(port(p)?)),
            None if after.is_empty() => (inside, None),
            None => return Err(format!("unexpected {after:?} after the address")),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(port(p)?)),
            _ => (rest, None),
        }
    };
    let host = validate::address(host)?;
    Ok(ProxyJump::Via { user, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_openssh_writes_them() {
        assert_eq!(duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("2H"), Ok(Duration::from_secs(7200)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        assert!(duration("10x").is_err());
        assert!(duration("m").is_err());
        assert!(duration("99999999999999999999").is_err());
        assert!(duration("2w").is_err(), "more than a week");
    }

    #[test]
    fn host_key_checking_values() {
        assert_eq!(strict("Accept-New"), Ok(StrictHostKeyChecking::AcceptNew));
        assert!(strict("off").unwrap().accepts_new());
        assert!(!strict("ask").unwrap().accepts_new());
        assert!(strict("maybe").is_err());
    }

    #[test]
    fn jump_hosts() {
        assert_eq!(proxy_jump("None"), Ok(ProxyJump::None));
        assert_eq!(
            proxy_jump("ops@bastion:2222"),
            Ok(ProxyJump::Via { user: Some("ops".into()), host: "bastion".into(), port: Some(2222) })
        );
        assert_eq!(
            proxy_jump("ssh://[fd00::1]:22"),
            Ok(ProxyJump::Via { user: None, host: "fd00::1".into(), port: Some(22) })
        );
        assert_eq!(proxy_jump("bastion"), Ok(ProxyJump::Via { user: None, host: "bastion".into(), port: None }));
        assert!(proxy_jump("a,b").unwrap_err().contains("several"));
        assert!(proxy_jump("ops@bas;tion").is_err());
        assert!(proxy_jump("-oProxyCommand=x").is_err());
        assert!(proxy_jump("b:0").is_err());
    }

    #[test]
    fn one_value_only() {
        assert_eq!(single(&["a".into()]), Ok("a"));
        assert!(single(&["a".into(), "b".into()]).unwrap_err().contains("extra arguments"));
    }
}
