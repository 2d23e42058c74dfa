//! What the configuration says about one host, as `ssh -G NAME` would resolve it: the files
//! in order, `Host` and `Match` blocks deciding which lines apply, and for each directive the
//! first value obtained. Values are checked here; paths keep their tokens until the
//! connection's user, host and port are known (`tokens`).

use std::time::Duration;

use super::error::{Located, Location, SshConfigError, SshConfigWarning};
use super::keywords::{self, Applied, Keyword};
use super::load::{ConfigFile, Item};
use super::values::{self, AlgorithmList, ProxyJump, StrictHostKeyChecking};
use super::{pattern, tokens};
use crate::inventory::validate;

/// What the configuration sets for one host; `None` where it says nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostConfig {
    /// `HostName`, `%h` expanded.
    pub host_name: Option<Located<String>>,
    pub port: Option<Located<u16>>,
    pub user: Option<Located<String>>,
    /// `IdentityFile`s, in order, each once; tokens not yet expanded.
    pub identity_files: Vec<Located<String>>,
    pub proxy_jump: Option<Located<ProxyJump>>,
    /// `UserKnownHostsFile` (empty for `none`); tokens not yet expanded.
    pub user_known_hosts: Option<Located<Vec<String>>>,
    /// `GlobalKnownHostsFile` (empty for `none`); tokens not yet expanded.
    pub global_known_hosts: Option<Located<Vec<String>>>,
    pub strict_host_key_checking: Option<Located<StrictHostKeyChecking>>,
    /// `ConnectTimeout`; zero (ssh's "no timeout") is kept as zero.
    pub connect_timeout: Option<Located<Duration>>,
    /// `ServerAliveInterval`; zero turns keepalives off.
    pub server_alive_interval: Option<Located<Duration>>,
    /// `KexAlgorithms`: the key exchanges to offer, or how to change the defaults.
    pub kex_algorithms: Option<Located<AlgorithmList>>,
    /// What applies to this host and is not done as ssh would do it.
    pub warnings: Vec<SshConfigWarning>,
}

/// Who runs wsusfix, for `Match localuser` and `Match user`.
pub(super) struct Local<'a> {
    pub user: &'a str,
}

pub(super) fn resolve(files: &[ConfigFile], name: &str, local: &Local<'_>) -> Result<HostConfig, SshConfigError> {
    let mut walk = Walk { name, lower: name.to_ascii_lowercase(), local, out: HostConfig::default(), ignore: None };
    for file in files {
        walk.file(file)?;
    }
    Ok(walk.out)
}

struct Walk<'a> {
    /// The name as given (the inventory name): what `Host` matches, case and all.
    name: &'a str,
    /// As ssh lowercases it for `%h` and `Match host`.
    lower: String,
    local: &'a Local<'a>,
    out: HostConfig,
    /// `IgnoreUnknown` patterns, once set.
    ignore: Option<String>,
}

fn set<T>(slot: &mut Option<Located<T>>, value: T, at: &Location) {
    if slot.is_none() {
        *slot = Some(Located { value, at: at.clone() });
    }
}

impl Walk<'_> {
    fn file(&mut self, file: &ConfigFile) -> Result<(), SshConfigError> {
        // Each file starts with its lines applying, as in OpenSSH; an `Include` inside a block
        // that does not apply is not read for this host at all.
        let mut active = true;
        for item in &file.items {
            match item {
                Item::Include { files } if active => {
                    for f in files {
                        self.file(f)?;
                    }
                }
                Item::Include { .. } => {}
                Item::Directive { keyword, args, .. } if keyword == "host" => {
                    active = pattern::host_line(self.name, args);
                }
                Item::Directive { at, keyword, args } if keyword == "match" => active = self.match_line(at, args)?,
                Item::Directive { at, keyword, args } if active => self.directive(at, keyword, args)?,
                Item::Directive { .. } => {}
            }
        }
        Ok(())
    }

    fn warn(&mut self, at: &Location, keyword: &str, message: impl Into<String>) {
        let warning = SshConfigWarning::new(at, &keywords::spelled(keyword), message);
        if !self.out.warnings.contains(&warning) {
            self.out.warnings.push(warning);
        }
    }

    /// `Match`: every criterion must hold. A criterion wsusfix cannot decide (`exec`,
    /// `canonical`, `final`, `localnetwork`, `tagged`, ...) makes the block not apply, with a
    /// warning.
    fn match_line(&mut self, at: &Location, args: &[String]) -> Result<bool, SshConfigError> {
        let syntax = |message: String| SshConfigError::Syntax { at: at.clone(), message };
        let mut result = true;
        let mut undecided = Vec::new();
        let mut words = args.iter();
        while let Some(word) = words.next() {
            let (negated, word) = match word.strip_prefix('!') {
                Some(w) => (true, w),
                None => (false, word.as_str()),
            };
            let (criterion, inline) = match word.split_once('=') {
                Some((c, v)) => (c.to_ascii_lowercase(), Some(v.to_owned())),
                None => (word.to_ascii_lowercase(), None),
            };
            let holds = match criterion.as_str() {
                "all" => true,
                "canonical" | "final" => {
                    undecided.push(criterion.clone());
                    continue;
                }
                _ => {
                    let value = match inline {
                        Some(v) => v,
                        None => words
                            .next()
                            .cloned()
                            .ok_or_else(|| syntax(format!("Match {criterion} needs an argument")))?,
                    };
                    match criterion.as_str() {
                        "host" => {
                            let host = self.out.host_name.as_ref().map_or(self.lower.as_str(), |h| &h.value);
                            pattern::list(host, &value, true)
                        }
                        "originalhost" => pattern::list(self.name, &value, true),
                        "user" => {
                            let user = self.out.user.as_ref().map_or(self.local.user, |u| &u.value);
                            pattern::list(user, &value, false)
                        }
                        "localuser" => pattern::list(self.local.user, &value, false),
                        _ => {
                            undecided.push(criterion.clone());
                            continue;
                        }
                    }
                }
            };
            result &= holds != negated;
        }
        if !undecided.is_empty() {
            self.warn(
                at,
                "match",
                format!("wsusfix cannot decide `{}`: the lines of this block are not applied", undecided.join("`, `")),
            );
            return Ok(false);
        }
        Ok(result)
    }

    fn directive(&mut self, at: &Location, keyword: &str, args: &[String]) -> Result<(), SshConfigError> {
        let applied = match keywords::classify(keyword) {
            Keyword::Applied(applied) => applied,
            Keyword::Silent => return Ok(()),
            Keyword::Warn(reason) => {
                self.warn(at, keyword, reason);
                return Ok(());
            }
            Keyword::Unknown => {
                if !self.ignore.as_ref().is_some_and(|patterns| pattern::list(keyword, patterns, true)) {
                    self.warn(at, keyword, "is not an OpenSSH option wsusfix knows (ignored)");
                }
                return Ok(());
            }
        };
        let name = keywords::spelled(keyword);
        let bad = |reason: String| SshConfigError::value(at, &name, reason);
        let out = &mut self.out;
        match applied {
            Applied::HostName => {
                if out.host_name.is_none() {
                    let text = values::single(args).map_err(bad)?;
                    let tokens = tokens::Tokens { host: self.lower.clone(), ..Default::default() };
                    let expanded = tokens::expand(text, &tokens, "h").map_err(bad)?;
                    let address = validate::address(&expanded).map_err(bad)?;
                    set(&mut out.host_name, address, at);
                }
            }
            Applied::Port => {
                if out.port.is_none() {
                    let port = values::port(values::single(args).map_err(bad)?).map_err(bad)?;
                    set(&mut out.port, port, at);
                }
            }
            Applied::User => {
                if out.user.is_none() {
                    let user = validate::user(values::single(args).map_err(bad)?).map_err(bad)?;
                    set(&mut out.user, user, at);
                }
            }
            Applied::IdentityFile => {
                let path = values::single(args).map_err(bad)?;
                if !out.identity_files.iter().any(|f| f.value == path) {
                    out.identity_files.push(Located { value: path.to_owned(), at: at.clone() });
                }
            }
            Applied::ProxyJump => {
                if out.proxy_jump.is_none() {
                    let jump = values::proxy_jump(values::single(args).map_err(bad)?).map_err(bad)?;
                    set(&mut out.proxy_jump, jump, at);
                }
            }
            Applied::UserKnownHostsFile => {
                set(&mut out.user_known_hosts, files(args), at);
            }
            Applied::GlobalKnownHostsFile => {
                set(&mut out.global_known_hosts, files(args), at);
            }
            Applied::StrictHostKeyChecking => {
                if out.strict_host_key_checking.is_none() {
                    let value = values::strict(values::single(args).map_err(bad)?).map_err(bad)?;
                    set(&mut out.strict_host_key_checking, value, at);
                    if value == StrictHostKeyChecking::No {
                        let written = args.first().map_or("no", String::as_str);
                        self.warn(
                            at,
                            keyword,
                            format!(
                                "`{written}` would let ssh trust any key: wsusfix treats it as `accept-new` (a key \
                                 seen for the first time is recorded, a changed key is still refused)"
                            ),
                        );
                    }
                }
            }
            Applied::ConnectTimeout => {
                if out.connect_timeout.is_none() {
                    let value = values::duration(values::single(args).map_err(bad)?).map_err(bad)?;
                    set(&mut out.connect_timeout, value, at);
                    if value.is_zero() {
                        self.warn(at, keyword, "0 (no timeout) is not applied: wsusfix always bounds a connection");
                    }
                }
            }
            Applied::ServerAliveInterval => {
                if out.server_alive_interval.is_none() {
                    let value = values::duration(values::single(args).map_err(bad)?).map_err(bad)?;
                    set(&mut out.server_alive_interval, value, at);
                }
            }
            Applied::KexAlgorithms => {
                if out.kex_algorithms.is_none() {
                    let value = values::algorithms(values::single(args).map_err(bad)?).map_err(bad)?;
                    set(&mut out.kex_algorithms, value, at);
                }
            }
            Applied::IgnoreUnknown => {
                if self.ignore.is_none() {
                    self.ignore = Some(args.join(","));
                }
            }
        }
        Ok(())
    }
}

/// A known-hosts directive's files; `none` alone means none.
fn files(args: &[String]) -> Vec<String> {
    match args {
        [one] if one.eq_ignore_ascii_case("none") => Vec::new(),
        _ => args.to_vec(),
    }
}
