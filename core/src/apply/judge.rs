//! Judging a step: the plan's [`Expect`] against what the command printed and how it exited.
//! Pure: no I/O, no clock. Each judge reads one documented output format
//! (`docs/windows-commands.md`) and tolerates the variations it lists between releases.

use crate::outcome::Judged;

use crate::advisory::{ExitCodes, ExitMeaning};
use crate::facts::{DllState, ServiceState};
use crate::plan::Expect;
use crate::probe::parse::{reg, sc, wmic, RegLookup, Section, SectionStatus};
use crate::time::UtcTime;
use crate::version::FileVersion;

/// `SCHED_S_TASK_HAS_NOT_RUN`: a task's Last Result before it ever ran.
const TASK_HAS_NOT_RUN: i64 = 0x41303;

/// The verdict on one run of a step's command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub judged: Judged,
    /// Why, in a sentence (empty when there is nothing to say).
    pub detail: String,
    /// An installer answered "success, restart required".
    pub reboot_pending: bool,
    /// The decisive DLL's version read back (DllAtLeast only).
    pub dll_version: Option<FileVersion>,
}

impl Judgement {
    pub fn new(judged: Judged, detail: impl Into<String>) -> Judgement {
        Judgement { judged, detail: detail.into(), reboot_pending: false, dll_version: None }
    }

    pub fn ok(detail: impl Into<String>) -> Judgement {
        Judgement::new(Judged::Ok, detail)
    }

    pub fn failed(detail: impl Into<String>) -> Judgement {
        Judgement::new(Judged::Failed, detail)
    }
}

/// What a command produced, as far as judging needs it.
#[derive(Clone, Debug, Default)]
pub struct Observed<'a> {
    /// `None` when the command was killed by a signal.
    pub exit_code: Option<i32>,
    /// Standard output then standard error (the kept parts), lossily decoded.
    pub text: &'a str,
    /// The newest `yyyy-mm-dd hh:mm:ss` that began an output line (for log searches).
    pub newest_log_time: Option<UtcTime>,
}

/// What judging needs besides the output.
#[derive(Clone, Copy, Debug)]
pub struct JudgeContext<'a> {
    pub exit_codes: &'a ExitCodes,
    /// When the install step started (UTC, the control machine's clock).
    pub install_started: Option<UtcTime>,
}

/// Judges one run of a step's command against its expectation.
pub fn judge(expect: &Expect, seen: &Observed<'_>, ctx: &JudgeContext<'_>) -> Judgement {
    match expect {
        Expect::Success | Expect::TaskCreated => exit_zero(seen),
        Expect::Anything => Judgement::ok(""),
        Expect::FreeBytes { at_least } => free_bytes(seen.text, *at_least),
        Expect::ServicesRunning { services } => services_running(seen.text, services),
        Expect::OutputContains { text } => match seen.text.contains(text.as_str()) {
            true => Judgement::ok(format!("the output says {text:?}")),
            false => Judgement::failed(format!("the output does not say {text:?}{}", first_line_hint(seen.text))),
        },
        Expect::Hash { algorithm, value } => hash(seen.text, algorithm, value),
        Expect::Installer => match seen.exit_code {
            Some(code) => installer(code, ctx.exit_codes),
            None => Judgement::failed("the installer was killed before it exited"),
        },
        Expect::TaskFinished { .. } => task_finished(seen.text, ctx.exit_codes),
        Expect::DllAtLeast { version } => dll_at_least(seen.text, *version),
        Expect::WsusVersionAtLeast { version } => wsus_version_at_least(seen.text, *version),
        Expect::NoNewSymptoms => no_new_symptoms(seen.newest_log_time, ctx.install_started),
    }
}

fn exit_zero(seen: &Observed<'_>) -> Judgement {
    match seen.exit_code {
        Some(0) => Judgement::ok("exit code 0"),
        Some(code) => Judgement::failed(format!("exit code {code}{}", first_line_hint(seen.text))),
        None => Judgement::failed("the command was killed before it exited"),
    }
}

/// ` ("first line of output")`, to say what a failing command complained about.
fn first_line_hint(text: &str) -> String {
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => format!(" ({:?})", truncate(line, 160)),
        None => String::new(),
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// An installer's exit code by the advisory's table.
pub fn installer(code: i32, exit_codes: &ExitCodes) -> Judgement {
    let described = exit_codes.describe(code);
    match exit_codes.classify(code) {
        ExitMeaning::Success => Judgement::ok(format!("installer exit code {described}")),
        ExitMeaning::SuccessReboot => Judgement {
            reboot_pending: true,
            ..Judgement::ok(format!(
                "installer exit code {described}: a restart is pending (wsusfix restarts only with --reboot)"
            ))
        },
        ExitMeaning::Retry => Judgement::new(Judged::Retry, format!("installer exit code {described}")),
        ExitMeaning::ElevationRequired => Judgement::new(Judged::Fallback, format!("installer exit code {described}")),
        ExitMeaning::Failure => Judgement::failed(format!("installer exit code {described}")),
    }
}

/// The free bytes a check reported: `FreeSpace=N` from wmic, or (plans made before) `dir`'s
/// `N Dir(s)  123456789 bytes free`, whose digits may carry separators.
pub fn parse_free_bytes(text: &str) -> Option<u64> {
    // `wmic logicaldisk ... get FreeSpace /value`: the property name never changes language.
    if let Some(free) = text.lines().find_map(|l| l.trim().strip_prefix("FreeSpace=")) {
        return free.trim().parse().ok();
    }
    // A plan made before: `dir`'s summary line, in English.
    let line = text.lines().rev().find(|l| l.contains("bytes free"))?;
    let before = &line[..line.find("bytes free")?];
    let before = before.rsplit_once("Dir(s)").map_or(before, |(_, after)| after);
    let number: String = before
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '\'' | ' ' | '\u{a0}' | '\u{202f}'))
        .filter(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    number.parse().ok()
}

fn free_bytes(text: &str, at_least: u64) -> Judgement {
    match parse_free_bytes(text) {
        Some(free) if free >= at_least => Judgement::ok(format!("{free} bytes free (at least {at_least} needed)")),
        Some(free) => Judgement::failed(format!("only {free} bytes free, {at_least} needed")),
        None => Judgement::failed(format!("no free space was reported{}", first_line_hint(text))),
    }
}

/// The state of each service in concatenated `sc query` outputs. A `FAILED 1060` block names
/// no service: a service with no block of its own is taken as not installed when one appears.
pub fn parse_services(text: &str) -> (Vec<(String, ServiceState)>, bool) {
    let mut blocks: Vec<String> = Vec::new();
    let mut missing = false;
    for line in text.lines() {
        // `[SC] EnumQueryServicesStatus:OpenService FAILED 1060:`, `失败 1060`: the number holds.
        if line.trim_start().starts_with("[SC]") && line.split(|c: char| !c.is_ascii_digit()).any(|n| n == "1060") {
            missing = true;
        }
        if line.trim_start().starts_with("SERVICE_NAME:") {
            blocks.push(String::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    let states = blocks
        .iter()
        .filter_map(|b| sc::parse(&Section::from_text("service", SectionStatus::Ok, b)).ok())
        .map(|s| (s.name, s.state))
        .collect();
    (states, missing)
}

fn services_running(text: &str, services: &[String]) -> Judgement {
    let (states, missing) = parse_services(text);
    let mut problems = Vec::new();
    for wanted in services {
        match states.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted)) {
            Some((_, ServiceState::Running)) => {}
            Some((_, state)) => problems.push(format!("{wanted} is {state:?}")),
            None if missing => problems.push(format!("{wanted} is not installed (sc: 1060)")),
            None => problems.push(format!("{wanted} was not reported by sc")),
        }
    }
    match problems.is_empty() {
        true => Judgement::ok(format!("{} running", services.join(" and "))),
        false => Judgement::failed(problems.join("; ")),
    }
}

/// certutil prints `SHA1 hash of file X:` (or `SHA1 hash of X:`), then the hex bytes, spaced.
pub fn parse_certutil_hash(text: &str, algorithm: &str) -> Option<String> {
    // The header (`SHA1 hash of file X:`, `SHA1-Hash von Datei X:`) is worded in the host's
    // language; the digest line is not: hex digits, spaced on older builds, of the algorithm's
    // length.
    let digits = match algorithm.to_ascii_uppercase().as_str() {
        "MD5" => 32,
        "SHA1" => 40,
        "SHA256" => 64,
        "SHA384" => 96,
        "SHA512" => 128,
        _ => return None,
    };
    text.lines().find_map(|line| {
        let hex: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        (hex.len() == digits && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| hex.to_ascii_lowercase())
    })
}

fn hash(text: &str, algorithm: &str, value: &str) -> Judgement {
    match parse_certutil_hash(text, algorithm) {
        Some(seen) if seen.eq_ignore_ascii_case(value) => Judgement::ok(format!("{algorithm} {seen} as planned")),
        Some(seen) => Judgement::failed(format!(
            "{algorithm} on the host is {seen}, the plan expects {value}: the copy is corrupt"
        )),
        None => Judgement::failed(format!("certutil printed no {algorithm} hash{}", first_line_hint(text))),
    }
}

/// What `schtasks /query /fo LIST /v` says of a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskStatus {
    pub running: bool,
    pub has_run: bool,
    pub last_result: Option<i64>,
}

/// `SCHED_S_TASK_RUNNING`: a task's Last Result while it runs.
const TASK_RUNNING: i64 = 0x41301;

/// Reads a task's state: from `schtasks /query /fo csv /nh /v` by column position (Last Result
/// is the seventh column, a number in every language: 0x41301 while running, 0x41303 before
/// it ran), or from a `/fo LIST /v` listing of an older plan by its English labels.
pub fn parse_task_status(text: &str) -> TaskStatus {
    if let Some(fields) = text.lines().map(str::trim).find(|l| l.starts_with('"')).map(csv_fields) {
        let last_result = fields.get(6).and_then(|v| parse_code(v));
        let status = fields.get(3).map(String::as_str).unwrap_or_default();
        return TaskStatus {
            running: last_result == Some(TASK_RUNNING) || status.eq_ignore_ascii_case("running"),
            has_run: last_result != Some(TASK_HAS_NOT_RUN),
            last_result,
        };
    }
    let mut status = TaskStatus { running: false, has_run: true, last_result: None };
    for line in text.lines() {
        let Some((label, value)) = line.split_once(':') else { continue };
        let label = label.trim().to_ascii_lowercase();
        let value = value.trim();
        if label == "status" {
            status.running = value.eq_ignore_ascii_case("running");
        } else if label.starts_with("last result") || label == "last run result" {
            status.last_result = parse_code(value);
        } else if label == "last run time" {
            status.has_run = !(value.eq_ignore_ascii_case("never") || value.eq_ignore_ascii_case("n/a"));
        }
    }
    status
}

/// The fields of one CSV line as schtasks writes it: every field quoted, quotes doubled inside.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// `1603`, `-2147024891`, `0x41303`.
fn parse_code(value: &str) -> Option<i64> {
    let value = value.split_whitespace().next()?;
    match value.strip_prefix("0x").or_else(|| value.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    }
}

fn task_finished(text: &str, exit_codes: &ExitCodes) -> Judgement {
    let status = parse_task_status(text);
    match status.last_result {
        _ if status.running => Judgement::new(Judged::Pending, "the task is running"),
        Some(TASK_RUNNING) => Judgement::new(Judged::Pending, "the task is running (0x41301)"),
        None => Judgement::new(Judged::Pending, format!("no Last Result yet{}", first_line_hint(text))),
        Some(TASK_HAS_NOT_RUN) => Judgement::new(Judged::Pending, "the task has not run yet (0x41303)"),
        Some(_) if !status.has_run => Judgement::new(Judged::Pending, "the task has not run yet"),
        Some(code) => {
            // A 32-bit Windows code printed unsigned (0x80070005) is the same i32.
            let code = i32::try_from(code).unwrap_or(code as u32 as i32);
            let mut judgement = installer(code, exit_codes);
            if judgement.judged == Judged::Fallback {
                judgement.judged = Judged::Failed;
                judgement.detail.push_str(" even as SYSTEM");
            }
            judgement.detail = format!("task finished: {}", judgement.detail);
            judgement
        }
    }
}

fn dll_at_least(text: &str, wanted: FileVersion) -> Judgement {
    let section = Section::from_text("dll", SectionStatus::Ok, text);
    match wmic::parse_datafile(&section) {
        Ok(DllState::Present { version, .. }) if version >= wanted => Judgement {
            dll_version: Some(version),
            ..Judgement::ok(format!("the DLL is {version} (the fix is {wanted} or later)"))
        },
        Ok(DllState::Present { version, .. }) => Judgement {
            dll_version: Some(version),
            ..Judgement::failed(format!("the DLL is still {version}, older than the fixed {wanted}"))
        },
        Ok(_) => Judgement::failed("wmic found no DLL at the planned path"),
        Err(e) => Judgement::failed(format!("wmic's answer cannot be read: {e}")),
    }
}

fn wsus_version_at_least(text: &str, wanted: FileVersion) -> Judgement {
    let section = Section::from_text("reg", SectionStatus::Ok, text);
    let key = match reg::parse(&section) {
        Ok(RegLookup::Found(key)) => key,
        Ok(RegLookup::NotFound) => return Judgement::failed("the WSUS Setup key is gone"),
        Err(e) => return Judgement::failed(format!("reg query's answer cannot be read: {e}")),
    };
    let Some(value) = key.value("VersionString") else {
        return Judgement::failed("no VersionString in the WSUS Setup key");
    };
    match value.data.parse::<FileVersion>() {
        Ok(v) if v >= wanted => Judgement::ok(format!("WSUS VersionString {v}")),
        Ok(v) => Judgement::failed(format!("WSUS VersionString is {v}, below {wanted}")),
        Err(_) => Judgement::failed(format!("VersionString {:?} is not a version", value.data)),
    }
}

/// The time at the start of a log line (a findstr line may carry a `FILE:` prefix).
pub fn log_line_time(line: &str) -> Option<UtcTime> {
    UtcTime::parse_log_prefix(line).or_else(|| {
        let at = line.to_ascii_lowercase().find(".log:")?;
        UtcTime::parse_log_prefix(&line[at + 5..])
    })
}

fn no_new_symptoms(newest: Option<UtcTime>, install_started: Option<UtcTime>) -> Judgement {
    match (newest, install_started) {
        (Some(line), Some(start)) if line > start => Judgement::new(
            Judged::Warning,
            format!("a duplicate-key error was logged at {line}, after the install started at {start}"),
        ),
        (Some(line), Some(_)) => Judgement::ok(format!("no new duplicate-key error (newest at {line})")),
        (None, _) => Judgement::ok("no duplicate-key error in the server log"),
        (Some(line), None) => {
            Judgement::ok(format!("newest duplicate-key error at {line}; no install time to compare"))
        }
    }
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
