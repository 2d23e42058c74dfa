//! Change metadata: what a change advisory board needs to know about a change that the plan
//! cannot know (its ID, type and priority, who asks, who does it and who approves, the
//! maintenance window, how people are told, and when to back out and who decides).
//!
//! It is written by people in a small YAML file (`plan --meta FILE`; `inventory/change.example.yaml`
//! documents every field), checked when read (unknown fields, control characters, a window that
//! ends before it starts or has no time zone are errors naming the file and line), and then
//! carried in the plan, where the plan's digest binds it to what runs. Every field may be left
//! out while a change is being prepared: the change request lists what is missing on its first
//! page, as "to complete", never as a silent blank.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::time::UtcTime;

/// The most characters one text field may hold.
const MAX_TEXT: usize = 2_000;

/// Change metadata, as written in `--meta FILE`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Who is told what, when (before, during, after the change).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communication: Vec<String>,
    #[serde(default, skip_serializing_if = "Backout::is_empty")]
    pub backout: Backout,
}

/// ITIL's kinds of change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    Standard,
    Normal,
    Emergency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    Critical,
}

/// The maintenance window, both ends with their time zone offset as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: WindowTime,
    pub end: WindowTime,
}

/// A moment written as `2026-12-12T22:00+01:00` (RFC 3339, seconds optional, `Z` for UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WindowTime {
    /// As written, for the document.
    pub text: String,
    pub utc: UtcTime,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
}

/// When to back out, and who decides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backout {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

impl Backout {
    fn is_empty(&self) -> bool {
        self.triggers.is_empty() && self.decided_by.is_none()
    }
}

/// Why a metadata file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeMetaError {
    #[error("cannot read change metadata {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid { path: PathBuf, line: Option<usize>, message: String },
}

impl ChangeMeta {
    /// Reads and checks `--meta FILE`.
    pub fn load(path: &Path) -> Result<ChangeMeta, ChangeMetaError> {
        let text = crate::files::read_input(path, crate::files::INPUT_LIMIT)
            .map_err(|source| ChangeMetaError::Io { path: path.to_path_buf(), source })?;
        ChangeMeta::parse(&text, path)
    }

    /// Checks metadata `text`; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ChangeMeta, ChangeMetaError> {
        let invalid = |line, message| ChangeMetaError::Invalid { path: path.to_path_buf(), line, message };
        if let Some(line) = crate::files::flow_too_deep(text, crate::files::MAX_FLOW_DEPTH) {
            return Err(invalid(Some(line), "`[`/`{` nest too deep".into()));
        }
        let meta: ChangeMeta = serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            let message = e.to_string();
            let message = match message.find(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            invalid(line, message)
        })?;
        let line_of =
            |field: &str| text.lines().position(|l| l.trim_start().starts_with(&format!("{field}:"))).map(|i| i + 1);
        for (field, value) in meta.texts() {
            check_text(value).map_err(|why| invalid(line_of(field), format!("`{field}` {why}")))?;
        }
        if let Some(window) = &meta.window {
            if window.end.utc <= window.start.utc {
                return Err(invalid(line_of("window"), "the window ends before it starts".into()));
            }
            if window.end.utc.0 - window.start.utc.0 > 14 * 86_400 {
                return Err(invalid(line_of("window"), "the window is longer than 14 days".into()));
            }
        }
        Ok(meta)
    }

    /// Every text field with its name, for checks.
    fn texts(&self) -> Vec<(&'static str, &str)> {
        fn one<'a>(name: &'static str, v: &'a Option<String>) -> Option<(&'static str, &'a str)> {
            v.as_deref().map(|v| (name, v))
        }
        let mut out = Vec::new();
        out.extend(one("change_id", &self.change_id));
        out.extend(one("requester", &self.requester));
        out.extend(one("implementer", &self.implementer));
        out.extend(self.approvers.iter().map(|a| ("approvers", a.as_str())));
        out.extend(self.communication.iter().map(|c| ("communication", c.as_str())));
        out.extend(self.backout.triggers.iter().map(|t| ("triggers", t.as_str())));
        out.extend(one("decided_by", &self.backout.decided_by));
        out
    }

    /// The fields a board expects that are not given yet, by their names in the file.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        let mut need = |name, absent: bool| {
            if absent {
                missing.push(name);
            }
        };
        need("change_id", self.change_id.is_none());
        need("type", self.change_type.is_none());
        need("priority", self.priority.is_none());
        need("requester", self.requester.is_none());
        need("implementer", self.implementer.is_none());
        need("approvers", self.approvers.is_empty());
        need("window", self.window.is_none());
        need("communication", self.communication.is_empty());
        need("backout.triggers", self.backout.triggers.is_empty());
        need("backout.decided_by", self.backout.decided_by.is_none());
        missing
    }
}

fn check_text(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("is empty; leave it out until it is known".into());
    }
    if value.chars().count() > MAX_TEXT {
        return Err(format!("is longer than {MAX_TEXT} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err("holds a control character".into());
    }
    Ok(())
}

impl fmt::Display for ChangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeType::Standard => "standard",
            ChangeType::Normal => "normal",
            ChangeType::Emergency => "emergency",
        })
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Critical => "critical",
        })
    }
}

impl WindowTime {
    /// `2026-12-12 22:00 UTC+01:00`: the local time as written, and its zone.
    pub fn local_text(&self) -> String {
        let local = UtcTime(self.utc.0 + i64::from(self.offset_minutes) * 60);
        let stamp = local.to_string(); // 2026-12-12T22:00:00Z
        let (date, time) = stamp.split_once('T').unwrap_or((&stamp, ""));
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.unsigned_abs();
        format!("{date} {} UTC{sign}{:02}:{:02}", time.get(..5).unwrap_or(time), off / 60, off % 60)
    }

    /// This moment plus `secs`, in the same zone.
    pub fn plus(&self, secs: u64) -> WindowTime {
        let utc = UtcTime(self.utc.0.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX / 2)));
        let mut at = WindowTime { text: String::new(), utc, offset_minutes: self.offset_minutes };
        at.text = at.local_text();
        at
    }
}

impl TryFrom<String> for WindowTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let (utc, offset_minutes) = parse_rfc3339(&text).ok_or_else(|| {
            format!("`{text}` is not a time with its time zone; write it as 2026-12-12T22:00+01:00 (or …Z for UTC)")
        })?;
        Ok(WindowTime { text, utc, offset_minutes })
    }
}

impl From<WindowTime> for String {
    fn from(t: WindowTime) -> String {
        t.text
    }
}

/// `yyyy-mm-ddThh:mm[:ss](Z|±hh:mm)` → (UTC, offset in minutes).
fn parse_rfc3339(text: &str) -> Option<(UtcTime, i32)> {
    let t = text.trim();
    let (date, rest) = (t.get(..10)?, t.get(10..)?);
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = rest.split_at(zone_at);
    let num = |s: &str| -> Option<u32> { s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok())? };
    let d: Vec<&str> = date.split('-').collect();
    let c: Vec<&str> = clock.split(':').collect();
    let [y, mo, da] = d[..] else { return None };
    let (h, mi, s) = match c[..] {
        [h, m] => (h, m, "0"),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    if y.len() != 4 || mo.len() != 2 || da.len() != 2 || h.len() != 2 || mi.len() != 2 {
        return None;
    }
    let local = UtcTime::from_fields(i64::from(num(y)?), num(mo)?, num(da)?, num(h)?, num(mi)?, num(s)?)?;
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (oh, om) = zone.get(1..)?.split_once(':')?;
            if oh.len() != 2 || om.len() != 2 || num(oh)? > 14 || num(om)? > 59 {
                return None;
            }
            sign * (num(oh)? as i32 * 60 + num(om)? as i32)
        }
    };
    Some((UtcTime(local.0 - i64::from(offset) * 60), offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "\
change_id: CHG0031337
type: normal
priority: high
requester: Li Wei (IT operations)
implementer: Anna Schmidt (Windows team)
approvers: [Change Advisory Board, Security Officer]
window:
  start: 2026-12-12T22:00+08:00
  end: 2026-12-13T02:00+08:00
communication:
  - Service desk told 3 days before
backout:
  triggers: [a server fails its verification]
  decided_by: Duty manager
";

    #[test]
    fn a_complete_file_misses_nothing() {
        let meta = ChangeMeta::parse(FULL, Path::new("change.yaml")).unwrap();
        assert_eq!(meta.missing(), Vec::<&str>::new());
        let window = meta.window.unwrap();
        assert_eq!(window.start.utc.to_string(), "2026-12-12T14:00:00Z");
        assert_eq!(window.start.local_text(), "2026-12-12 22:00 UTC+08:00");
        assert_eq!(window.start.plus(5400).local_text(), "2026-12-12 23:30 UTC+08:00");
        assert_eq!(meta.change_type, Some(ChangeType::Normal));
    }

    #[test]
    fn missing_fields_are_listed_and_bad_ones_refused_with_their_line() {
        let meta = ChangeMeta::parse("change_id: CHG1\n", Path::new("m.yaml")).unwrap();
        assert_eq!(meta.missing()[0], "type");
        assert!(meta.missing().contains(&"backout.decided_by"));
        let err = |text: &str| ChangeMeta::parse(text, Path::new("m.yaml")).unwrap_err().to_string();
        assert!(
            err("change_id: CHG1\nchnage: x\n").starts_with("m.yaml:2: unknown field `chnage`"),
            "{}",
            err("chnage: x\n")
        );
        assert!(err("type: urgent\n").contains("unknown variant `urgent`"));
        let no_zone = err("window: {start: 2026-12-12T22:00, end: 2026-12-13T02:00}\n");
        assert!(no_zone.contains("not a time with its time zone"), "{no_zone}");
        let backwards = err("window:\n  start: 2026-12-13T02:00Z\n  end: 2026-12-12T22:00Z\n");
        assert!(backwards.starts_with("m.yaml:1: the window ends before it starts"), "{backwards}");
        assert!(err("requester: \"a\\u0007b\"\n").starts_with("m.yaml:1: `requester` holds a control character"));
    }
}
