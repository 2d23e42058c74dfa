//! `apply --ack-manual HOST --note TEXT`: a person records that they did a host's manual step
//! (the WSUS 3.0 RTM console workaround). The acknowledgement is a `manual-ack` entry of the
//! run's journal (who, when, which step, the note) and the host's `manual_ack` in
//! `outcome.json`; the run, its `--resume` and later runs of the same plan (the same plan text,
//! in run folders beside this one) then take the host's manual step as done, so `apply` no
//! longer exits 4 for it. Only the person's word backs it: the host stays `manual-action`,
//! never `remediated`, which only the DLL read back proves.
//!
//! The note and the name are outside input: bounded in length, one line of text without
//! control characters (they land in the journal, tables and reports).

use std::collections::BTreeMap;
use std::path::Path;

use super::journal::{Entry, Journal, JOURNAL_FILE};
use crate::outcome::{HostOutcome, ManualAck, Outcome};
use crate::plan::{Action, Plan};
use crate::time::UtcTime;

/// The shape of a `manual-ack` journal entry; a reader refuses a newer one it cannot know.
pub const MANUAL_ACK_VERSION: u32 = 1;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;
/// Longest name of who did it, in characters.
pub const MAX_BY_CHARS: usize = 64;
/// Largest journal of an earlier run read for its acknowledgements.
const MAX_EARLIER_JOURNAL: u64 = 64 * 1024 * 1024;

/// Why an acknowledgement is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("--{field} is empty: {why}")]
    Empty { field: &'static str, why: &'static str },
    #[error("--{field} is {chars} characters long; at most {max} are kept")]
    TooLong { field: &'static str, chars: usize, max: usize },
    #[error("--{field} holds a control character ({found}) at character {at}: write one line of plain text")]
    Control { field: &'static str, found: String, at: usize },
    #[error("--ack-manual {host}: not a host of this plan")]
    UnknownHost { host: String },
    #[error(
        "--ack-manual {host}: the plan gives {host} no manual step (route {route}): there is nothing to acknowledge"
    )]
    NoManualStep { host: String, route: String },
    #[error("the local user's name is unknown: say who did the step with --by NAME")]
    NoUser,
}

/// An acknowledgement, checked: the host, and what the journal will hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    pub host: String,
    pub ack: ManualAck,
}

/// Checks one line of outside text: not blank, at most `max` characters, no control character.
fn checked(field: &'static str, text: &str, max: usize, why: &'static str) -> Result<String, AckError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AckError::Empty { field, why });
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(AckError::TooLong { field, chars, max });
    }
    if let Some((at, c)) = text.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(AckError::Control { field, found: c.escape_default().to_string(), at: at + 1 });
    }
    Ok(text.to_string())
}

impl Acknowledgement {
    /// `host`'s manual step in `plan`, done by `by` (else the local user `local_user`) with
    /// `note`, at `at`. Refused: a host the plan lacks, a host without a manual step, a bad
    /// note or name.
    pub fn new(
        plan: &Plan,
        host: &str,
        note: &str,
        by: Option<&str>,
        local_user: &str,
        at: UtcTime,
    ) -> Result<Acknowledgement, AckError> {
        let note = checked("note", note, MAX_NOTE_CHARS, "say what was done")?;
        let by = match by {
            Some(name) => checked("by", name, MAX_BY_CHARS, "name who did the step")?,
            None if local_user.trim().is_empty() => return Err(AckError::NoUser),
            None => checked("by", local_user, MAX_BY_CHARS, "name who did the step")?,
        };
        let Some(planned) = plan.hosts.iter().find(|h| h.host == host) else {
            return Err(AckError::UnknownHost { host: host.to_string() });
        };
        let Some(step) = planned.steps.iter().find(|s| matches!(s.action, Action::Manual { .. })) else {
            return Err(AckError::NoManualStep { host: host.to_string(), route: planned.route.to_string() });
        };
        Ok(Acknowledgement {
            host: host.to_string(),
            ack: ManualAck { step: step.id.clone(), by, at, note, from_run: None },
        })
    }

    /// The journal entry that records it.
    pub fn entry(&self) -> Entry {
        Entry::ManualAck {
            at: self.ack.at,
            version: MANUAL_ACK_VERSION,
            host: self.host.clone(),
            step: self.ack.step.clone(),
            by: self.ack.by.clone(),
            note: self.ack.note.clone(),
            from_run: self.ack.from_run.clone(),
        }
    }
}

/// The acknowledgements a journal holds, by host (the last one wins).
pub fn acks_in(entries: &[Entry]) -> BTreeMap<String, ManualAck> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::ManualAck { at, host, step, by, note, from_run, .. } => Some((
                host.clone(),
                ManualAck {
                    step: step.clone(),
                    by: by.clone(),
                    at: *at,
                    note: note.clone(),
                    from_run: from_run.clone(),
                },
            )),
            _ => None,
        })
        .collect()
}

/// The acknowledgements recorded by earlier runs of the same plan text (`plan_sha256`) in the
/// run folders beside `run_dir`, each naming the run it came from. Folders that are not run
/// folders, runs of other plans and journals that do not read are passed over: they are not
/// this run's to judge.
pub fn acks_of_earlier_runs(run_dir: &Path, plan_sha256: &str) -> BTreeMap<String, ManualAck> {
    let mut found: BTreeMap<String, ManualAck> = BTreeMap::new();
    let parent = match run_dir.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => return found,
    };
    let Ok(listing) = std::fs::read_dir(parent) else { return found };
    let own = std::fs::canonicalize(run_dir).ok();
    let mut folders: Vec<_> = listing.filter_map(Result::ok).map(|e| e.path()).collect();
    // Run ids are UTC times: in name order, a later run's acknowledgement wins.
    folders.sort();
    for folder in folders {
        if own.is_some() && std::fs::canonicalize(&folder).ok() == own {
            continue;
        }
        let journal = folder.join(JOURNAL_FILE);
        let small = std::fs::symlink_metadata(&journal).is_ok_and(|m| m.is_file() && m.len() <= MAX_EARLIER_JOURNAL);
        let Some(entries) = small.then(|| Journal::read(&journal).ok()).flatten() else { continue };
        let Some(run_id) = entries.iter().find_map(|e| match e {
            Entry::RunStart { run_id, plan_sha256: sha, .. } if sha == plan_sha256 => Some(run_id.clone()),
            _ => None,
        }) else {
            continue;
        };
        for (host, mut ack) in acks_in(&entries) {
            ack.from_run.get_or_insert_with(|| run_id.clone());
            found.insert(host, ack);
        }
    }
    found
}

/// A host's result once its manual step is acknowledged: still `manual-action` (the person's
/// word, not the DLL), with who did it and when.
pub fn acknowledged(host: &str, ack: &ManualAck) -> HostOutcome {
    let mut outcome = HostOutcome::new(host, Outcome::ManualAction, ack.to_string());
    outcome.manual_ack = Some(ack.clone());
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/plan/every-kind.plan.yaml"))
                .expect("the golden plan");
        let mut plan = Plan::parse(&text, Path::new("every-kind.plan.yaml")).expect("a plan");
        // An RTM server planned for the console workaround: its one step is a person's.
        let rtm = plan.hosts.iter_mut().find(|h| h.route == crate::plan::Route::RtmUpgrade).expect("an RTM host");
        rtm.route = crate::plan::Route::RtmWorkaround;
        rtm.steps = vec![crate::plan::Step {
            id: "rtm-workaround".into(),
            description: "the console workaround".into(),
            action: Action::Manual { instructions: "decline, approve, decline".into() },
            expect: crate::plan::Expect::Anything,
            timeout_secs: 0,
            cleanup: false,
            on_failure: None,
        }];
        plan
    }

    #[test]
    fn a_manual_step_is_acknowledged_by_name_and_bad_input_is_refused() {
        let plan = plan();
        let rtm =
            plan.hosts.iter().find(|h| h.steps.iter().any(|s| matches!(s.action, Action::Manual { .. }))).unwrap();
        let other =
            plan.hosts.iter().find(|h| !h.steps.iter().any(|s| matches!(s.action, Action::Manual { .. }))).unwrap();
        let at = UtcTime(1_795_637_700);
        let ack = Acknowledgement::new(&plan, &rtm.host, " declined, approved, declined ", None, "alice", at).unwrap();
        assert_eq!((ack.ack.by.as_str(), ack.ack.note.as_str()), ("alice", "declined, approved, declined"));
        assert_eq!(ack.ack.step, "rtm-workaround");
        let by = Acknowledgement::new(&plan, &rtm.host, "done", Some("bob@site"), "alice", at).unwrap();
        assert_eq!(by.ack.by, "bob@site");
        let refused =
            |note: &str, by: Option<&str>, user: &str| Acknowledgement::new(&plan, &rtm.host, note, by, user, at);
        assert!(matches!(refused("", None, "alice"), Err(AckError::Empty { field: "note", .. })));
        assert!(matches!(refused(&"x".repeat(501), None, "alice"), Err(AckError::TooLong { chars: 501, .. })));
        let e = refused("done\x1b[2J", None, "alice").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--note holds a control character (\\u{1b}) at character 5: write one line of plain text"
        );
        assert!(matches!(refused("two\nlines", None, "alice"), Err(AckError::Control { .. })));
        assert_eq!(refused("done", None, ""), Err(AckError::NoUser));
        assert!(matches!(refused("done", Some("a\tb"), "alice"), Err(AckError::Control { field: "by", .. })));
        let e = Acknowledgement::new(&plan, &other.host, "done", None, "alice", at).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("--ack-manual {}: the plan gives {} no manual step", other.host, other.host)),
            "{e}"
        );
        assert_eq!(
            Acknowledgement::new(&plan, "nope", "done", None, "alice", at),
            Err(AckError::UnknownHost { host: "nope".into() })
        );
        let entries = vec![ack.entry(), by.entry()];
        assert_eq!(acks_in(&entries)[&rtm.host].by, "bob@site", "the last one wins");
        let line = serde_json::to_string(&ack.entry()).unwrap();
        assert!(line.starts_with("{\"entry\":\"manual-ack\",\"at\":\"2026-11-25T20:15:00Z\",\"version\":1,"), "{line}");
    }
}
