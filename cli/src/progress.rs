//! Turns core's fleet events into an indicatif progress bar on a terminal, and into nothing
//! on a pipe or with `--no-progress`.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wsusfix_core::assess::Verdict;
use wsusfix_core::fleet::FleetEvent;

/// A progress display for one fleet operation.
pub struct FleetProgress {
    bar: ProgressBar,
    counts: BTreeMap<Verdict, usize>,
}

impl FleetProgress {
    /// `label` prefixes the bar (`scan`, `batch 2/4`).
    pub fn new(label: &str, enabled: bool) -> FleetProgress {
        let bar = if enabled && std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} hosts  {msg}  (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        FleetProgress { bar, counts: BTreeMap::new() }
    }

    pub fn event(&mut self, event: FleetEvent) {
        match event {
            FleetEvent::Started { total } => {
                self.bar.set_length(total as u64);
                self.bar.enable_steady_tick(std::time::Duration::from_millis(200));
            }
            FleetEvent::HostDone { verdict, .. } => {
                *self.counts.entry(verdict).or_default() += 1;
                let msg: Vec<String> = self.counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
                self.bar.set_message(msg.join(", "));
                self.bar.inc(1);
            }
            FleetEvent::Finished { .. } => self.bar.finish_and_clear(),
        }
    }
}
