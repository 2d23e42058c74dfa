//! The schedule a plan will run on: its batch policy turned into batch sizes for the hosts to
//! change, with an estimate of the change window and, given the maintenance window, when each
//! batch starts and ends in it and whether the run fits.

use serde::Serialize;

use super::messages::Catalogue;
use crate::change::Window;
use crate::plan::BatchPolicy;

/// The batches of a run and how long it should take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// `1, 10%, 100%`.
    pub serial: String,
    pub hosts: usize,
    pub batches: Vec<Batch>,
    pub max_fail_percent: u8,
    pub pause_between: String,
    /// When the run stops, in words: `as soon as one server has failed`, or `when more than 10%
    /// of the servers done have failed`.
    pub stop_rule: String,
    /// Why the policy cannot be used, when it cannot.
    pub error: Option<String>,
    /// The longest typical time of one host's steps.
    pub per_host_typical: String,
    /// Every step reaching its timeout.
    pub per_host_longest: String,
    /// Batches one after another, the hosts of a batch at the same time, pauses between.
    pub window_typical: String,
    pub window_longest: String,
    /// Seconds, for placing the batches in a window.
    #[serde(skip)]
    per_host_secs: (u64, u64),
    #[serde(skip)]
    pause_secs: u64,
    /// Set by [`Schedule::fit_into`]: the run placed in the maintenance window.
    pub in_window: Option<InWindow>,
}

/// The run placed in the maintenance window, batch by batch (typical durations), and whether
/// it ends inside it typically and at worst.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InWindow {
    pub batches: Vec<BatchTimes>,
    pub ends_typical: String,
    pub ends_longest: String,
    pub fits_typical: bool,
    pub fits_longest: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchTimes {
    pub number: usize,
    pub start: String,
    pub end: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub number: usize,
    pub size: usize,
    /// Hosts done once this batch is done.
    pub through: usize,
}

impl Schedule {
    /// `per_host` is the (typical, longest) duration of the slowest host, in seconds; the
    /// words are those of `msg`.
    pub fn new(policy: &BatchPolicy, hosts: usize, per_host: (u64, u64), msg: &Catalogue) -> Schedule {
        let (sizes, error) = match policy.batch_sizes(hosts) {
            Ok(sizes) => (sizes, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let mut through = 0;
        let batches: Vec<Batch> = sizes
            .iter()
            .enumerate()
            .map(|(i, size)| {
                through += size;
                Batch { number: i + 1, size: *size, through }
            })
            .collect();
        let n = batches.len() as u64;
        let pauses = n.saturating_sub(1) * policy.pause_between_secs;
        Schedule {
            serial: policy.serial.join(", "),
            hosts,
            batches,
            max_fail_percent: policy.max_fail_percent,
            pause_between: match policy.pause_between_secs {
                0 => msg.text("schedule.no_pause", &[]),
                secs => msg.text("schedule.pause", &[("duration", &msg.duration(secs))]),
            },
            stop_rule: match policy.max_fail_percent {
                0 => msg.text("schedule.stop_first", &[]),
                p => msg.text("schedule.stop_percent", &[("percent", &p)]),
            },
            error,
            per_host_typical: msg.duration(per_host.0),
            per_host_longest: msg.duration(per_host.1),
            window_typical: msg.duration(n * per_host.0 + pauses),
            window_longest: msg.duration(n * per_host.1 + pauses),
            per_host_secs: per_host,
            pause_secs: policy.pause_between_secs,
            in_window: None,
        }
    }

    /// Places the batches in `window`, from its start: each batch takes the slowest host's
    /// typical time, with the pause between batches.
    pub fn fit_into(&mut self, window: &Window) {
        let mut at = 0u64;
        let mut batches = Vec::with_capacity(self.batches.len());
        for (i, batch) in self.batches.iter().enumerate() {
            if i > 0 {
                at += self.pause_secs;
            }
            let start = window.start.plus(at).local_text();
            at += self.per_host_secs.0;
            batches.push(BatchTimes { number: batch.number, start, end: window.start.plus(at).local_text() });
        }
        let n = self.batches.len() as u64;
        let pauses = n.saturating_sub(1) * self.pause_secs;
        let (typical, longest) = (n * self.per_host_secs.0 + pauses, n * self.per_host_secs.1 + pauses);
        let length = u64::try_from(window.end.utc.0 - window.start.utc.0).unwrap_or(0);
        self.in_window = Some(InWindow {
            batches,
            ends_typical: window.start.plus(typical).local_text(),
            ends_longest: window.start.plus(longest).local_text(),
            fits_typical: typical <= length,
            fits_longest: longest <= length,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canary_then_the_rest_with_pauses() {
        let policy = BatchPolicy { pause_between_secs: 300, ..BatchPolicy::default() };
        let s = Schedule::new(&policy, 30, (600, 3600), Catalogue::english());
        let sizes: Vec<(usize, usize)> = s.batches.iter().map(|b| (b.size, b.through)).collect();
        assert_eq!(sizes, [(1, 1), (3, 4), (26, 30)]);
        assert_eq!(s.window_typical, "40 min", "3 x 10 min + 2 x 5 min");
        assert_eq!(s.error, None);
    }

    #[test]
    fn batches_are_placed_in_the_window_and_the_fit_is_judged() {
        let policy = BatchPolicy { pause_between_secs: 300, ..BatchPolicy::default() };
        let mut s = Schedule::new(&policy, 30, (600, 3600), Catalogue::english());
        let window: Window =
            serde_yaml::from_str("{start: '2026-12-12T22:00+08:00', end: '2026-12-13T00:00+08:00'}").unwrap();
        s.fit_into(&window);
        let w = s.in_window.unwrap();
        let times: Vec<(&str, &str)> = w.batches.iter().map(|b| (b.start.as_str(), b.end.as_str())).collect();
        assert_eq!(times[0], ("2026-12-12 22:00 UTC+08:00", "2026-12-12 22:10 UTC+08:00"));
        assert_eq!(times[1], ("2026-12-12 22:15 UTC+08:00", "2026-12-12 22:25 UTC+08:00"));
        assert_eq!(w.ends_typical, "2026-12-12 22:40 UTC+08:00");
        assert!(w.fits_typical, "40 min in a 2 h window");
        assert!(!w.fits_longest, "3 x 1 h + 10 min does not fit 2 h");
    }
}
