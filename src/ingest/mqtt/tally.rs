//! What ingest's writes did, in detail for `/metrics`: readings stored and duplicate by meter,
//! rejected (and held for review) by reason, and how long each store write took.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::domain::Incoming;
use crate::store::{Outcome, WriteReport};

/// The upper bounds, in seconds, of the store write latency histogram's buckets: from a quick
/// SQLite commit to a write waiting on a busy store.
pub const WRITE_SECONDS_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// Counts of what ingest's writes did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteTally {
    /// By meter: readings stored, and readings the store already had.
    pub by_meter: BTreeMap<String, MeterTally>,
    /// Readings refused (and held for review), by reason code.
    pub rejected_by_reason: BTreeMap<&'static str, u64>,
    /// Readings refused (and held for review), by the meter they were for (`None`: no meter
    /// could be told, such as a topic no meter has).
    pub rejected_by_meter: BTreeMap<Option<String>, u64>,
    pub write_seconds: Histogram,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeterTally {
    pub stored: u64,
    pub duplicates: u64,
}

/// Store writes by how long they took.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Writes that took at most each bound of [`WRITE_SECONDS_BUCKETS`] (not cumulative).
    pub buckets: [u64; WRITE_SECONDS_BUCKETS.len()],
    pub count: u64,
    pub sum_seconds: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { buckets: [0; WRITE_SECONDS_BUCKETS.len()], count: 0, sum_seconds: 0.0 }
    }
}

impl WriteTally {
    /// One write of `batch`, whose outcomes `report` lists in order, that took `took`.
    pub(super) fn count(&mut self, batch: &[Incoming], report: &WriteReport, took: Duration) {
        for (item, outcome) in batch.iter().zip(&report.outcomes) {
            match (item, outcome) {
                (Incoming::Reading(reading, _), Outcome::Stored) => {
                    self.by_meter.entry(reading.meter.as_str().to_owned()).or_default().stored += 1;
                }
                (Incoming::Reading(reading, _), Outcome::Duplicate) => {
                    self.by_meter.entry(reading.meter.as_str().to_owned()).or_default().duplicates += 1;
                }
                (_, Outcome::Rejected { reason, .. }) => {
                    *self.rejected_by_reason.entry(reason.code()).or_default() += 1;
                    let meter = match item {
                        Incoming::Reading(reading, _) => Some(&reading.meter),
                        Incoming::Rejected(rejection) => rejection.meter.as_ref(),
                    };
                    *self.rejected_by_meter.entry(meter.map(|m| m.as_str().to_owned())).or_default() += 1;
                }
                // A refusal is never stored.
                (Incoming::Rejected(_), Outcome::Stored | Outcome::Duplicate) => {}
            }
        }
        let seconds = took.as_secs_f64();
        let histogram = &mut self.write_seconds;
        if let Some(bucket) = WRITE_SECONDS_BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[bucket] += 1;
        }
        histogram.count += 1;
        histogram.sum_seconds += seconds;
    }
}
