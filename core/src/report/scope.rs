//! Who a document is about: hosts counted by verdict, by operating system and by inventory
//! group, each bucket with its host names, in a stable order.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::assess::Verdict;
use crate::facts::Arch;
use crate::plan::HostPlan;
use crate::version::WindowsVersion;

/// One bucket of hosts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub label: String,
    pub count: usize,
    pub hosts: Vec<String>,
}

/// The label of a host whose operating system is not known, in English.
pub const OS_UNKNOWN: &str = "OS unknown";

/// The group of a host the inventory puts in none, in English.
pub const NO_GROUP: &str = "(no group)";

/// `Windows Server 2003 x86`, `Windows Server 2008 (6.0.6001) x64`, or `OS unknown`.
pub fn os_label(os: Option<WindowsVersion>, arch: Option<Arch>) -> String {
    let name = match os {
        Some(v) => match v.release() {
            crate::version::WindowsRelease::Other => format!("Windows {v}"),
            release => release.to_string(),
        },
        None => OS_UNKNOWN.to_string(),
    };
    match arch {
        Some(arch) => format!("{name} {arch}"),
        None => name,
    }
}

/// As [`os_label`], with an unknown OS in the words of `msg` (Windows' names stay as they are).
pub fn os_text(os: Option<WindowsVersion>, arch: Option<Arch>, msg: &super::messages::Catalogue) -> String {
    match os {
        Some(_) => os_label(os, arch),
        None => {
            let unknown = msg.text("common.os_unknown", &[]);
            match arch {
                Some(arch) => format!("{unknown} {arch}"),
                None => unknown,
            }
        }
    }
}

/// Buckets of `(label, host)` pairs, sorted by label, hosts sorted by name.
pub fn buckets(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Bucket> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (label, host) in pairs {
        map.entry(label).or_default().push(host);
    }
    map.into_iter()
        .map(|(label, mut hosts)| {
            hosts.sort();
            Bucket { label, count: hosts.len(), hosts }
        })
        .collect()
}

/// Buckets by verdict, in the order of [`Verdict::ALL`] (affected first), empty ones left out.
pub fn by_verdict<'a>(pairs: impl IntoIterator<Item = (Verdict, &'a str)>) -> Vec<Bucket> {
    let mut map: BTreeMap<Verdict, Vec<String>> = BTreeMap::new();
    for (verdict, host) in pairs {
        map.entry(verdict).or_default().push(host.to_string());
    }
    Verdict::ALL
        .iter()
        .filter_map(|v| {
            let mut hosts = map.remove(v)?;
            hosts.sort();
            Some(Bucket { label: v.to_string(), count: hosts.len(), hosts })
        })
        .collect()
}

/// The scope of a plan: its hosts by verdict, by OS and by group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanScope {
    pub total: usize,
    /// Hosts with steps to run.
    pub to_change: usize,
    pub by_verdict: Vec<Bucket>,
    pub by_os: Vec<Bucket>,
    pub by_group: Vec<Bucket>,
}

impl PlanScope {
    pub fn of(hosts: &[HostPlan]) -> PlanScope {
        let groups = hosts.iter().flat_map(|h| match h.groups.as_deref() {
            Some(groups) if !groups.is_empty() => {
                groups.iter().map(|g| (g.clone(), h.host.clone())).collect::<Vec<_>>()
            }
            _ => vec![(NO_GROUP.to_string(), h.host.clone())],
        });
        PlanScope {
            total: hosts.len(),
            to_change: hosts.iter().filter(|h| !h.steps.is_empty()).count(),
            by_verdict: by_verdict(hosts.iter().map(|h| (h.verdict, h.host.as_str()))),
            by_os: buckets(hosts.iter().map(|h| (os_label(h.os, h.arch), h.host.clone()))),
            by_group: buckets(groups),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_labels() {
        assert_eq!(os_label(Some(WindowsVersion::new(5, 2, 3790)), Some(Arch::X86)), "Windows Server 2003 x86");
        assert_eq!(os_label(Some(WindowsVersion::new(10, 0, 17763)), None), "Windows 10.0.17763");
        assert_eq!(os_label(None, None), "OS unknown");
    }

    #[test]
    fn verdict_buckets_keep_the_verdict_order() {
        let b = by_verdict([(Verdict::NotAffected, "z"), (Verdict::Affected, "b"), (Verdict::Affected, "a")]);
        assert_eq!(b[0], Bucket { label: "affected".into(), count: 2, hosts: vec!["a".into(), "b".into()] });
        assert_eq!(b[1].label, "not-affected");
    }
}
