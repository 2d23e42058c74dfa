//! Steps as a reader sees them: numbered, with the exact command (or the upload, or the
//! instructions for a person), what is expected of it, and how long it may take.

use serde::Serialize;

use super::messages::Catalogue;
use super::text::Escape;
use crate::plan::{Action, Expect, Step};

/// A step prepared for a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepView {
    pub number: usize,
    pub id: String,
    pub description: String,
    /// `run`, `upload` or `manual`.
    pub kind: &'static str,
    /// The exact cmd.exe line of a `run` step.
    pub command: Option<String>,
    pub upload: Option<UploadView>,
    /// What a person does in a `manual` step.
    pub instructions: Option<String>,
    pub expect: String,
    pub timeout_secs: u64,
    pub timeout: String,
    /// Runs even after an earlier step failed.
    pub cleanup: bool,
    /// Runs when this step fails, to gather what explains it (an installer's log).
    pub on_failure: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadView {
    /// The package's file name: the folder it sits in on the operator's machine is not the
    /// board's business (and may name a person).
    pub local: String,
    pub remote: String,
    pub sha256: String,
}

impl StepView {
    /// Step number `number`, its words in the language of `msg` (the plan's own description
    /// and instructions are shown as the plan records them).
    pub fn new(number: usize, step: &Step, esc: Escape, msg: &Catalogue) -> StepView {
        let (kind, command, upload, instructions) = match &step.action {
            Action::Run { command } => ("run", Some(esc.code(command)), None, None),
            Action::Upload { local, remote, sha256 } => {
                let upload = UploadView {
                    local: esc.code(
                        &local
                            .file_name()
                            .map_or_else(|| local.display().to_string(), |f| f.to_string_lossy().into_owned()),
                    ),
                    remote: esc.code(remote),
                    sha256: esc.code(sha256),
                };
                ("upload", None, Some(upload), None)
            }
            Action::Manual { instructions } => ("manual", None, None, Some(esc.text(instructions))),
        };
        StepView {
            number,
            id: esc.text(&step.id),
            description: esc.text(&step.description),
            kind,
            command,
            upload,
            instructions,
            expect: esc.text(&expect_words(&step.expect, msg)),
            timeout_secs: step.timeout_secs,
            timeout: msg.duration(step.timeout_secs),
            cleanup: step.cleanup,
            on_failure: step.on_failure.as_deref().map(|c| esc.code(c)),
        }
    }

    /// Steps numbered from 1.
    pub fn list(steps: &[Step], esc: Escape, msg: &Catalogue) -> Vec<StepView> {
        steps.iter().enumerate().map(|(i, s)| StepView::new(i + 1, s, esc, msg)).collect()
    }
}

/// What a step's result must be, in words (English, as `show` prints it).
pub fn expect_text(expect: &Expect) -> String {
    expect.to_string()
}

/// What a step's result must be, in the words of `msg`.
pub fn expect_words(expect: &Expect, msg: &Catalogue) -> String {
    match expect {
        Expect::Success => msg.text("expect.success", &[]),
        Expect::FreeBytes { at_least } => msg.text("expect.free_bytes", &[("mb", &(at_least / (1024 * 1024)))]),
        Expect::ServicesRunning { services } => {
            msg.text("expect.services_running", &[("services", &services.join(&msg.text("sep.and", &[])))])
        }
        Expect::OutputContains { text } => msg.text("expect.output_contains", &[("text", text)]),
        Expect::Hash { algorithm, value } => msg.text("expect.hash", &[("algorithm", algorithm), ("value", value)]),
        Expect::Installer => msg.text("expect.installer", &[]),
        Expect::TaskCreated => msg.text("expect.task_created", &[]),
        Expect::TaskFinished { poll_secs } => msg.text("expect.task_finished", &[("poll", poll_secs)]),
        Expect::DllAtLeast { version } => msg.text("expect.dll_at_least", &[("version", version)]),
        Expect::WsusVersionAtLeast { version } => msg.text("expect.wsus_version_at_least", &[("version", version)]),
        Expect::NoNewSymptoms => msg.text("expect.no_new_symptoms", &[]),
        Expect::Anything => msg.text("expect.anything", &[]),
    }
}

/// A typical duration for a step: a fifth of its timeout, at least 5 s and at most 10 min.
/// Manual steps take a person's time, which is not estimated (0).
pub fn typical_secs(step: &Step) -> u64 {
    match step.action {
        Action::Manual { .. } => 0,
        _ => (step.timeout_secs / 5).clamp(5, 600),
    }
}

/// The typical and the longest (every timeout reached) duration of a list of steps.
pub fn durations(steps: &[Step]) -> (u64, u64) {
    let typical = steps.iter().map(typical_secs).sum();
    let longest = steps.iter().map(|s| s.timeout_secs).sum();
    (typical, longest)
}

/// `45 s`, `12 min`, `1 h 05 min`, in English (`show`); documents use
/// [`Catalogue::duration`].
pub fn duration_text(secs: u64) -> String {
    if secs < 60 {
        return format!("{secs} s");
    }
    let minutes = secs.div_ceil(60);
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(45), "45 s");
        assert_eq!(duration_text(61), "2 min");
        assert_eq!(duration_text(3900), "1 h 05 min");
    }

    #[test]
    fn expectations_in_english_read_as_show_prints_them_and_exist_in_every_language() {
        let version: crate::version::FileVersion = "3.1.6001.66".parse().unwrap();
        let every = [
            Expect::Success,
            Expect::FreeBytes { at_least: 200 * 1024 * 1024 },
            Expect::ServicesRunning { services: vec!["WsusService".into(), "W3SVC".into()] },
            Expect::OutputContains { text: "staged".into() },
            Expect::Hash { algorithm: "SHA1".into(), value: "ab".into() },
            Expect::Installer,
            Expect::TaskCreated,
            Expect::TaskFinished { poll_secs: 10 },
            Expect::DllAtLeast { version },
            Expect::WsusVersionAtLeast { version },
            Expect::NoNewSymptoms,
            Expect::Anything,
        ];
        let chinese = Catalogue::embedded(super::super::Lang::ZhCn);
        for expect in &every {
            assert_eq!(expect_words(expect, Catalogue::english()), expect.to_string());
            let words = expect_words(expect, chinese);
            assert!(
                !words.starts_with('[') && words.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{words}"
            );
        }
        assert_eq!(expect_words(&every[2], chinese), "WsusService 和 W3SVC 正在运行");
    }

    #[test]
    fn typical_is_a_fifth_of_the_timeout_within_bounds() {
        let step = |timeout_secs, action| Step {
            id: "s".into(),
            description: "d".into(),
            action,
            expect: Expect::Success,
            timeout_secs,
            cleanup: false,
            on_failure: None,
        };
        let run = || Action::Run { command: "dir".into() };
        assert_eq!(typical_secs(&step(10, run())), 5);
        assert_eq!(typical_secs(&step(1800, run())), 360);
        assert_eq!(typical_secs(&step(86400, run())), 600);
        assert_eq!(typical_secs(&step(600, Action::Manual { instructions: "x".into() })), 0);
    }
}
