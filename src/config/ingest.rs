//! `[ingest]`: the limits that decide whether a reading's time is believable, and the batch
//! size of a write.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct IngestSection {
    pub(super) max_clock_skew_s: u64,
    pub(super) max_age_days: u32,
    pub(super) batch_size: usize,
}

impl Default for IngestSection {
    fn default() -> Self {
        Self { max_clock_skew_s: 600, max_age_days: 3660, batch_size: 2000 }
    }
}

pub(super) fn resolve_ingest(ingest: &IngestSection, problem: &mut impl FnMut(String, String, String)) -> IngestConfig {
    if ingest.batch_size == 0 {
        problem("ingest.batch_size".into(), "is 0".into(), "use a value such as 2000".into());
    }
    IngestConfig {
        max_clock_skew: Duration::from_secs(ingest.max_clock_skew_s),
        max_age: Duration::from_secs(u64::from(ingest.max_age_days) * 86_400),
        batch_size: ingest.batch_size.max(1),
    }
}

/// Limits that decide whether a reading's time is believable.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    pub max_clock_skew: Duration,
    pub max_age: Duration,
    pub batch_size: usize,
}
