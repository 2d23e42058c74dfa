//! The bounded worker pool every fleet operation runs on: `scan` over all its hosts, `apply`
//! over each batch.
//!
//! `forks` workers take the next item from a shared cursor, so one hanging or dead host never
//! holds the rest; results come back over a bounded channel to the calling thread, which sees
//! them as [`PoolEvent`]s in the order they happen, with whatever progress an item reports
//! while it works (`apply`'s steps). Before taking an item a worker asks `stop`: once it says
//! yes, no new item starts and the items in flight finish.
//!
//! The calling thread collects events every [`COLLECT_EVERY`] rather than being woken for each:
//! a scan reports several events per host, and waking a thread for each of them cost more CPU
//! than a host's whole key exchange. A display still sees them within a hundredth of a second.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

/// How often the calling thread collects the workers' events.
pub const COLLECT_EVERY: Duration = Duration::from_millis(10);

/// The default number of hosts worked on at once.
pub const DEFAULT_FORKS: usize = 32;

/// [`DEFAULT_FORKS`], as a count.
pub fn default_forks() -> NonZeroUsize {
    NonZeroUsize::new(DEFAULT_FORKS).unwrap_or(NonZeroUsize::MIN)
}

/// What the pool tells its caller, on the caller's thread.
#[derive(Debug)]
pub enum PoolEvent<R, P = ()> {
    /// A worker took the item at this index.
    Started { index: usize },
    /// The item at this index reported progress while it works.
    Progress { index: usize, progress: P },
    /// The item at this index is done.
    Done { index: usize, result: R, elapsed: Duration },
}

/// Runs `work` on every item, at most `forks` at once, until done or `stop` says so. `work`
/// gets the item and a reporter for its progress, which reaches `on_event` as it happens. Items
/// never started get no event: the caller decides what they mean (cancelled, not run).
pub fn run<T, R, P, W, S>(items: &[T], forks: NonZeroUsize, stop: S, work: W, on_event: &mut dyn FnMut(PoolEvent<R, P>))
where
    T: Sync,
    R: Send,
    P: Send,
    W: Fn(&T, &dyn Fn(P)) -> R + Sync,
    S: Fn() -> bool + Sync,
{
    let workers = forks.get().min(items.len().max(1));
    let cursor = AtomicUsize::new(0);
    // Bounded: a worker blocks rather than pile results up when the caller is slow. Room for
    // a few events per worker per collection, so a worker seldom waits on the collector.
    let (tx, rx) = mpsc::sync_channel::<PoolEvent<R, P>>(workers.saturating_mul(4).max(64));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (cursor, stop, work) = (&cursor, &stop, &work);
            scope.spawn(move || loop {
                if stop() {
                    break;
                }
                let index = cursor.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(index) else { break };
                if tx.send(PoolEvent::Started { index }).is_err() {
                    break;
                }
                let started = Instant::now();
                let report = |progress: P| {
                    let _ = tx.send(PoolEvent::Progress { index, progress });
                };
                let result = work(item, &report);
                if tx.send(PoolEvent::Done { index, result, elapsed: started.elapsed() }).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        loop {
            std::thread::sleep(COLLECT_EVERY);
            loop {
                match rx.try_recv() {
                    Ok(event) => on_event(event),
                    Err(TryRecvError::Empty) => break,
                    // Every worker is done and every event seen.
                    Err(TryRecvError::Disconnected) => return,
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    #[test]
    fn every_item_once_at_most_forks_at_once() {
        let items: Vec<usize> = (0..50).collect();
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let mut done = vec![0; 50];
        let forks = NonZeroUsize::new(4).unwrap();
        let work = |&i: &usize, _: &dyn Fn(())| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            running.fetch_sub(1, Ordering::SeqCst);
            i * 2
        };
        run(&items, forks, || false, work, &mut |e| {
            if let PoolEvent::Done { index, result, .. } = e {
                assert_eq!(result, index * 2);
                done[index] += 1;
            }
        });
        assert!(done.iter().all(|&n| n == 1), "{done:?}");
        assert!(peak.load(Ordering::SeqCst) <= 4);
    }

    #[test]
    fn a_stop_lets_the_items_in_flight_finish_and_starts_no_more() {
        let items: Vec<usize> = (0..100).collect();
        let stop = AtomicBool::new(false);
        let mut started = 0;
        let mut finished = 0;
        let work = |_: &usize, _: &dyn Fn(())| {
            stop.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
        };
        run(&items, NonZeroUsize::new(2).unwrap(), || stop.load(Ordering::SeqCst), work, &mut |e| match e {
            PoolEvent::Started { .. } => started += 1,
            PoolEvent::Progress { .. } => {}
            PoolEvent::Done { .. } => finished += 1,
        });
        assert_eq!(started, finished);
        assert!(finished <= 2, "{finished} items ran after the stop");
    }

    #[test]
    fn progress_reaches_the_caller_between_start_and_done_in_order() {
        let items: Vec<usize> = (0..6).collect();
        let work = |&i: &usize, report: &dyn Fn(String)| {
            report(format!("{i}: first"));
            report(format!("{i}: second"));
            i
        };
        let mut seen: Vec<Vec<String>> = vec![Vec::new(); 6];
        run(&items, NonZeroUsize::new(3).unwrap(), || false, work, &mut |e| match e {
            PoolEvent::Started { index } => seen[index].push("started".into()),
            PoolEvent::Progress { index, progress } => seen[index].push(progress),
            PoolEvent::Done { index, .. } => seen[index].push("done".into()),
        });
        for (i, events) in seen.iter().enumerate() {
            assert_eq!(events, &["started".to_string(), format!("{i}: first"), format!("{i}: second"), "done".into()]);
        }
    }
}
