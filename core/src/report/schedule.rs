//! The schedule a plan will run on: its batch policy turned into batch sizes for the hosts to
//! change, with an estimate of the change window.

use serde::Serialize;

use super::steps::duration_text;
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
    /// Why the policy cannot be used, when it cannot.
    pub error: Option<String>,
    /// The longest typical time of one host's steps.
    pub per_host_typical: String,
    /// Every step reaching its timeout.
    pub per_host_longest: String,
    /// Batches one after another, the hosts of a batch at the same time, pauses between.
    pub window_typical: String,
    pub window_longest: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub number: usize,
    pub size: usize,
    /// Hosts done once this batch is done.
    pub through: usize,
}

impl Schedule {
    /// `per_host` is the (typical, longest) duration of the slowest host, in seconds.
    pub fn new(policy: &BatchPolicy, hosts: usize, per_host: (u64, u64)) -> Schedule {
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
            pause_between: duration_text(policy.pause_between_secs),
            error,
            per_host_typical: duration_text(per_host.0),
            per_host_longest: duration_text(per_host.1),
            window_typical: duration_text(n * per_host.0 + pauses),
            window_longest: duration_text(n * per_host.1 + pauses),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canary_then_the_rest_with_pauses() {
        let policy = BatchPolicy { pause_between_secs: 300, ..BatchPolicy::default() };
        let s = Schedule::new(&policy, 30, (600, 3600));
        let sizes: Vec<(usize, usize)> = s.batches.iter().map(|b| (b.size, b.through)).collect();
        assert_eq!(sizes, [(1, 1), (3, 4), (26, 30)]);
        assert_eq!(s.window_typical, "40 min", "3 x 10 min + 2 x 5 min");
        assert_eq!(s.error, None);
    }
}
