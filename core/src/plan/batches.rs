//! Rolling batches as Ansible's `serial` spells them: `1,10%,100%` is a canary of one host,
//! then batches of a tenth of the hosts, then the rest; the last size repeats until every host
//! is taken.

use super::BatchPolicy;

/// Why a batch policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("serial item {item:?} is neither a count (5) nor a percentage (10%) above zero")]
    BadItem { item: String },
    #[error("serial is empty")]
    Empty,
    #[error("max fail percent {0} is over 100")]
    BadPercent(u8),
}

impl BatchPolicy {
    /// Parses `1,10%,100%`.
    pub fn parse_serial(text: &str) -> Result<Vec<String>, BatchError> {
        let items: Vec<String> = text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if items.is_empty() {
            return Err(BatchError::Empty);
        }
        for item in &items {
            parse_item(item)?;
        }
        Ok(items)
    }

    pub fn validate(&self) -> Result<(), BatchError> {
        if self.max_fail_percent > 100 {
            return Err(BatchError::BadPercent(self.max_fail_percent));
        }
        if self.serial.is_empty() {
            return Err(BatchError::Empty);
        }
        self.serial.iter().try_for_each(|item| parse_item(item).map(|_| ()))
    }

    /// The sizes of the batches for `total` hosts. Percentages round down but never to zero.
    pub fn batch_sizes(&self, total: usize) -> Result<Vec<usize>, BatchError> {
        self.validate()?;
        let items = self.serial.iter().map(|i| parse_item(i)).collect::<Result<Vec<_>, _>>()?;
        let mut sizes = Vec::new();
        let mut left = total;
        for index in 0.. {
            if left == 0 {
                break;
            }
            // Past the end, the last size repeats.
            let size = match items[index.min(items.len() - 1)] {
                Size::Count(n) => n,
                Size::Percent(p) => (total * p / 100).max(1),
            }
            .min(left);
            sizes.push(size);
            left -= size;
        }
        Ok(sizes)
    }

    /// Whether the failures so far stop the run before the next batch.
    pub fn exceeded(&self, failed: usize, done: usize) -> bool {
        done > 0 && failed * 100 > usize::from(self.max_fail_percent) * done
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Size {
    Count(usize),
    Percent(usize),
}

fn parse_item(item: &str) -> Result<Size, BatchError> {
    let bad = || BatchError::BadItem { item: item.to_string() };
    let size = match item.strip_suffix('%') {
        Some(p) => Size::Percent(p.parse().map_err(|_| bad())?),
        None => Size::Count(item.parse().map_err(|_| bad())?),
    };
    match size {
        Size::Count(0) | Size::Percent(0) => Err(bad()),
        Size::Percent(p) if p > 100 => Err(bad()),
        s => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(serial: &str, total: usize) -> Vec<usize> {
        let policy = BatchPolicy { serial: BatchPolicy::parse_serial(serial).unwrap(), ..BatchPolicy::default() };
        policy.batch_sizes(total).unwrap()
    }

    #[test]
    fn canary_then_growing_batches() {
        assert_eq!(sizes("1,10%,100%", 50), [1, 5, 44]);
        assert_eq!(sizes("1,10%,100%", 3), [1, 1, 1]);
        assert_eq!(sizes("2", 5), [2, 2, 1], "the last size repeats");
        assert_eq!(sizes("1,25%", 9), [1, 2, 2, 2, 2]);
        assert_eq!(sizes("100%", 0), Vec::<usize>::new());
    }

    #[test]
    fn bad_items_are_named() {
        assert_eq!(BatchPolicy::parse_serial("1,ten"), Err(BatchError::BadItem { item: "ten".into() }));
        assert!(BatchPolicy::parse_serial("0").is_err());
        assert!(BatchPolicy::parse_serial("150%").is_err());
        assert_eq!(BatchPolicy::parse_serial(" , "), Err(BatchError::Empty));
    }

    #[test]
    fn failure_threshold() {
        let p = BatchPolicy { max_fail_percent: 0, ..BatchPolicy::default() };
        assert!(p.exceeded(1, 1));
        assert!(!p.exceeded(0, 10));
        let p = BatchPolicy { max_fail_percent: 20, ..BatchPolicy::default() };
        assert!(!p.exceeded(2, 10));
        assert!(p.exceeded(3, 10));
    }
}
