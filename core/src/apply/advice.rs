//! What to do after a run that `--max-fail-percent` stopped: the exact commands to go on,
//! either without the hosts that failed (`--limit '!@RUN/failures'`: they keep their record and
//! no longer count against the threshold) or, knowingly, with a threshold the failures so far
//! stay within. `apply` and `apply --resume` print them whenever the threshold stops a run, so a
//! resumed run that stops again says again how to get past it.

use std::path::Path;

use super::journal::FAILURES_FILE;
use super::run::{ApplyResult, Stop};

/// One way to go on: why (a sentence), and the command line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NextStep {
    pub why: String,
    pub command: String,
}

/// The smallest `--max-fail-percent` the failures so far stay within.
pub fn threshold_that_passes(failed: usize, done: usize) -> u8 {
    if done == 0 {
        return 0;
    }
    let percent = (failed * 100).div_ceil(done);
    u8::try_from(percent.min(100)).unwrap_or(100)
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | ',' | '=' | '@' | '%' | '+'));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The ways to go on after `result`, a run in `run_dir` that read `inventory` and ran with
/// `limit`; empty unless the failure threshold stopped it.
pub fn after_max_fail(
    result: &ApplyResult,
    run_dir: &Path,
    inventory: &[String],
    limit: Option<&str>,
) -> Vec<NextStep> {
    let Some(Stop::MaxFailPercent { failed, done, max }) = &result.stopped else {
        return Vec::new();
    };
    let run = run_dir.display().to_string();
    let mut base = format!("wsusfix apply --resume {}", shell_word(&run));
    for source in inventory {
        base.push_str(&format!(" -i {}", shell_word(source)));
    }
    let failures = format!("!@{}", run_dir.join(FAILURES_FILE).display());
    let without = match limit {
        Some(limit) => format!("{limit}:{failures}"),
        None => failures,
    };
    let keep_limit = limit.map(|l| format!(" --limit {}", shell_word(l))).unwrap_or_default();
    let passes = threshold_that_passes(*failed, *done);
    vec![
        NextStep {
            why: format!(
                "To go on without the {failed} failed hosts (they keep their record, listed in {}; they no longer count against the threshold)",
                run_dir.join(FAILURES_FILE).display()
            ),
            command: format!("{base} --limit {} --yes", shell_word(&without)),
        },
        NextStep {
            why: format!(
                "Or, knowingly, to raise the threshold from {max}% to {passes}% ({failed} of {done} hosts done so far failed)"
            ),
            command: format!("{base}{keep_limit} --max-fail-percent {passes} --yes"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::UtcTime;

    fn stopped(failed: usize, done: usize, max: u8) -> ApplyResult {
        let at = UtcTime(1_795_637_700);
        ApplyResult {
            run_id: "r".into(),
            started_at: at,
            finished_at: at,
            hosts: Vec::new(),
            stopped: Some(Stop::MaxFailPercent { failed, done, max }),
            simulated: false,
        }
    }

    #[test]
    fn the_commands_name_the_run_the_inventory_and_a_threshold_that_passes() {
        let steps = after_max_fail(&stopped(1, 3, 0), Path::new("runs/r 1"), &["inv.yaml".into()], None);
        assert_eq!(
            steps[0].command,
            "wsusfix apply --resume 'runs/r 1' -i inv.yaml --limit '!@runs/r 1/failures' --yes"
        );
        assert_eq!(steps[1].command, "wsusfix apply --resume 'runs/r 1' -i inv.yaml --max-fail-percent 34 --yes");
        let steps = after_max_fail(&stopped(2, 4, 10), Path::new("run"), &["a.yaml".into(), "b".into()], Some("web*"));
        assert_eq!(steps[0].command, "wsusfix apply --resume run -i a.yaml -i b --limit 'web*:!@run/failures' --yes");
        assert_eq!(
            steps[1].command,
            "wsusfix apply --resume run -i a.yaml -i b --limit 'web*' --max-fail-percent 50 --yes"
        );
        assert!(
            after_max_fail(&ApplyResult { stopped: None, ..stopped(0, 0, 0) }, Path::new("r"), &[], None).is_empty()
        );
        assert_eq!(threshold_that_passes(1, 1), 100);
        let policy = crate::plan::BatchPolicy { max_fail_percent: threshold_that_passes(1, 3), ..Default::default() };
        assert!(!policy.exceeded(1, 3));
    }
}
