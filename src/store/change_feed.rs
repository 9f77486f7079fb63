//! Which meters' hours each committed write changed, so that figures computed from the store
//! can be kept and reused until a write touches what they cover (the figures cache of
//! `analysis::figures`). A figure is kept with the feed's version taken before it was read;
//! it is still good while no change after that version names one of its meters within its
//! range.
//!
//! Another process may write to the same store (`xanh import` while the service runs): the
//! store then tells the feed through its `foreign` check, and everything kept is dropped.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::Resolution;
use crate::domain::{MeterId, Step, TimeRange};

/// How many writes the feed remembers; a figure older than all of them is read again.
const REMEMBERED_WRITES: usize = 4_096;
/// How many buckets of figures are kept at most (about 70 bytes each); past it, all are
/// dropped and the cache fills again.
const KEPT_BUCKETS: usize = 200_000;

/// The hours one write changed: each meter's first changed hour and the end of its last
/// (ms since the epoch).
pub type ChangedHours = HashMap<MeterId, (i64, i64)>;

/// What a kept figure is the answer to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FigureKey {
    /// Which kind of figure: the same meters and range can be asked for in more than one form.
    pub figure: &'static str,
    pub meters: Vec<MeterId>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub step: Step,
    pub resolution: Resolution,
    /// What sets this figure apart from others over the same meters and range (a worked-out
    /// answer's department, period and hour); empty for plain consumption figures.
    pub question: String,
}

impl FigureKey {
    pub fn new(
        figure: &'static str,
        meters: Vec<MeterId>,
        range: TimeRange,
        step: Step,
        resolution: Resolution,
    ) -> FigureKey {
        FigureKey {
            figure,
            meters,
            from_ms: range.from_ms(),
            to_ms: range.to_ms(),
            step,
            resolution,
            question: String::new(),
        }
    }

    /// The key of an answer worked out from the use of `meters` over `range`: it is dropped
    /// when a write touches them, like the figures it was made from.
    pub fn answer(figure: &'static str, question: String, meters: Vec<MeterId>, range: TimeRange) -> FigureKey {
        FigureKey { question, ..FigureKey::new(figure, meters, range, Step::Day, Resolution::Day) }
    }

    fn touched_by(&self, change: &ChangedHours) -> bool {
        self.meters.iter().any(|m| change.get(m).is_some_and(|&(first, end)| first < self.to_ms && end > self.from_ms))
    }
}

/// Asks the store whether another process wrote to it since last asked, given the version
/// of the store's series this process last wrote; `Some(version)` with the store's version
/// when one did.
pub type ForeignCheck = Box<dyn Fn(u64) -> Option<u64> + Send + Sync>;

pub struct ChangeFeed {
    state: Mutex<State>,
    foreign: ForeignCheck,
}

struct State {
    /// The number of the latest change this feed knows.
    version: u64,
    /// Figures read before this version may miss a change and are not used.
    floor: u64,
    /// The store's own count of series writes (kept in the file, counted by every process),
    /// as of this process's latest write.
    stored_version: u64,
    log: VecDeque<(u64, ChangedHours)>,
    kept: HashMap<FigureKey, Kept>,
    buckets: usize,
}

struct Kept {
    /// Good as of this version.
    version: u64,
    value: Arc<dyn Any + Send + Sync>,
    buckets: usize,
}

impl ChangeFeed {
    /// A feed for a store whose file counts `stored_version` series writes so far.
    pub fn new(stored_version: u64, foreign: ForeignCheck) -> ChangeFeed {
        let state =
            State { version: 0, floor: 0, stored_version, log: VecDeque::new(), kept: HashMap::new(), buckets: 0 };
        ChangeFeed { state: Mutex::new(state), foreign }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The version to keep a figure with: take it before reading the figure.
    pub fn version(&self) -> u64 {
        self.state().version
    }

    /// The store's count of series writes as of this process's latest write.
    pub fn stored_version(&self) -> u64 {
        self.state().stored_version
    }

    /// A committed write changed these hours, and brought the store's count to
    /// `stored_version`; `foreign`: the write found that another process had written before
    /// it.
    pub fn record(&self, changed: ChangedHours, stored_version: u64, foreign: bool) {
        let mut state = self.state();
        state.version += 1;
        state.stored_version = stored_version;
        if foreign {
            state.forget_all();
        }
        if !changed.is_empty() {
            let version = state.version;
            state.log.push_back((version, changed));
        }
        while state.log.len() > REMEMBERED_WRITES {
            if let Some((version, _)) = state.log.pop_front() {
                state.floor = state.floor.max(version);
            }
        }
    }

    /// The figure kept for `key`, if no write since it was read touched its meters and range.
    pub fn get<T: Any + Send + Sync>(&self, key: &FigureKey) -> Option<Arc<T>> {
        let mut state = self.state();
        if let Some(stored) = (self.foreign)(state.stored_version) {
            state.stored_version = stored;
            state.forget_all();
            return None;
        }
        let State { version, floor, log, kept, buckets, .. } = &mut *state;
        let figure = kept.get_mut(key)?;
        let stale = figure.version < *floor
            || log.iter().rev().take_while(|(v, _)| *v > figure.version).any(|(_, change)| key.touched_by(change));
        if stale {
            *buckets -= kept.remove(key).map_or(0, |k| k.buckets);
            return None;
        }
        figure.version = *version;
        Arc::clone(&figure.value).downcast::<T>().ok()
    }

    /// Keep a figure read after `version` was taken; `buckets` is its size.
    pub fn put<T: Any + Send + Sync>(&self, key: FigureKey, version: u64, value: T, buckets: usize) {
        let mut state = self.state();
        if version < state.floor {
            return;
        }
        if state.buckets + buckets > KEPT_BUCKETS {
            state.forget_all();
        }
        state.buckets += buckets;
        let kept = Kept { version, value: Arc::new(value), buckets };
        if let Some(old) = state.kept.insert(key, kept) {
            state.buckets -= old.buckets;
        }
    }
}

impl State {
    fn forget_all(&mut self) {
        self.kept.clear();
        self.buckets = 0;
        self.floor = self.version + 1;
        self.version += 1;
        self.log.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(meter: &str, from_ms: i64, to_ms: i64) -> FigureKey {
        FigureKey {
            figure: "test",
            meters: vec![meter.parse().unwrap()],
            from_ms,
            to_ms,
            step: Step::Day,
            resolution: Resolution::Day,
            question: String::new(),
        }
    }

    fn change(meter: &str, first: i64, end: i64) -> ChangedHours {
        HashMap::from([(meter.parse().unwrap(), (first, end))])
    }

    fn feed() -> ChangeFeed {
        ChangeFeed::new(0, Box::new(|_| None))
    }

    #[test]
    fn a_write_drops_the_figures_it_touches_and_keeps_the_others() {
        let feed = feed();
        let v = feed.version();
        feed.put(key("a", 0, 100), v, 1.0_f64, 1);
        feed.put(key("a", 100, 200), v, 2.0_f64, 1);
        feed.put(key("b", 0, 100), v, 3.0_f64, 1);
        feed.record(change("a", 50, 60), 1, false);
        assert_eq!(feed.get::<f64>(&key("a", 0, 100)), None);
        assert_eq!(feed.get::<f64>(&key("a", 100, 200)).as_deref(), Some(&2.0));
        assert_eq!(feed.get::<f64>(&key("b", 0, 100)).as_deref(), Some(&3.0));
    }

    #[test]
    fn a_figure_read_while_a_write_committed_is_not_used() {
        let feed = feed();
        let v = feed.version();
        // The write commits after the figure's version was taken, before it is kept.
        feed.record(change("a", 0, 10), 1, false);
        feed.put(key("a", 0, 100), v, 1.0_f64, 1);
        assert_eq!(feed.get::<f64>(&key("a", 0, 100)), None);
    }

    #[test]
    fn another_process_writing_drops_everything() {
        let stored = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = Arc::clone(&stored);
        let feed = ChangeFeed::new(
            0,
            Box::new(move |own| Some(seen.load(std::sync::atomic::Ordering::SeqCst)).filter(|s| *s != own)),
        );
        feed.put(key("a", 0, 100), feed.version(), 1.0_f64, 1);
        assert!(feed.get::<f64>(&key("a", 0, 100)).is_some());
        stored.store(1, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(feed.get::<f64>(&key("a", 0, 100)), None);
        // Read before the foreign write was noticed: not kept.
        feed.put(key("a", 0, 100), 0, 1.0_f64, 1);
        assert_eq!(feed.get::<f64>(&key("a", 0, 100)), None);
    }
}
