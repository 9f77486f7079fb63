//! Retention: a counter's raw readings older than the configured age thinned to the first and
//! the last of each hour, which is all its hourly consumption needs. The hourly and daily
//! totals are never touched, and an hour is thinned only when recomputing it from what stays
//! gives the same amounts, so a later correction or late reading nearby still counts alike.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Inner, lock};
use crate::domain::consumption::{
    GLITCH_LOOKAHEAD, HOUR_MS, Sample, ceil_hour, counter_intervals, floor_hour, spread_hourly,
};
use crate::domain::{MeterId, MeterKind};
use crate::store::StoreError;

/// One transaction thins at most this span of one meter, so ingest never waits long.
const CHUNK_MS: i64 = 24 * HOUR_MS;

/// Readings fetched on either side of a chunk: enough for every glitch decision that the
/// chunk's readings take part in (as `recompute_counter` reads them).
const CONTEXT: i64 = 2 * (GLITCH_LOOKAHEAD as i64 + 1);

/// The `meta` key holding the time before which every meter has been thinned.
const THINNED_BEFORE: &str = "readings_thinned_before";

/// What one thinning pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thinned {
    /// Raw readings removed.
    pub removed: u64,
}

impl Inner {
    /// Thin every counter's readings before `before_ms` (rounded down to an hour).
    pub(super) fn thin(&self, before_ms: i64) -> Result<Thinned, StoreError> {
        let until = floor_hour(before_ms);
        let (from, meters) = {
            let conn = lock(&self.writer);
            let from: Option<i64> = conn
                .query_row("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1", [THINNED_BEFORE], |r| r.get(0))
                .optional()?;
            let mut meters = Vec::new();
            let mut rows = conn.prepare("SELECT meter, min(ts) FROM readings GROUP BY meter")?;
            let mut rows = rows.query([])?;
            while let Some(row) = rows.next()? {
                let Ok(meter) = MeterId::try_from(row.get::<_, String>(0)?) else { continue };
                if self.rule(&meter).resource.is_some() && self.rule(&meter).kind == MeterKind::Counter {
                    meters.push((meter, row.get::<_, i64>(1)?));
                }
            }
            (from, meters)
        };
        let mut done = Thinned::default();
        for (meter, oldest) in meters {
            let mut chunk_start = floor_hour(from.unwrap_or(oldest).max(oldest));
            while chunk_start < until {
                let chunk_end = (chunk_start + CHUNK_MS).min(until);
                let mut conn = lock(&self.writer);
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let chunk = self.thin_chunk(&tx, &meter, chunk_start, chunk_end)?;
                tx.commit()?;
                drop(conn);
                done.removed += chunk;
                chunk_start = chunk_end;
            }
        }
        if from.is_none_or(|from| from < until) {
            lock(&self.writer)
                .execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![THINNED_BEFORE, until])?;
        }
        Ok(done)
    }

    /// Thin one meter's readings in `[start, end)`, both on hour boundaries; how many went.
    fn thin_chunk(&self, tx: &Transaction<'_>, meter: &MeterId, start: i64, end: i64) -> Result<u64, StoreError> {
        let id = meter.as_str();
        let sample = |r: &rusqlite::Row<'_>| Ok(Sample { ts_ms: r.get(0)?, value: r.get(1)?, period_start_ms: None });
        let mut before = tx
            .prepare_cached("SELECT ts, value FROM readings WHERE meter = ?1 AND ts < ?2 ORDER BY ts DESC LIMIT ?3")?
            .query_map(params![id, start, CONTEXT], sample)?
            .collect::<Result<Vec<_>, _>>()?;
        before.reverse();
        let inside = tx
            .prepare_cached("SELECT ts, value FROM readings WHERE meter = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts")?
            .query_map(params![id, start, end], sample)?
            .collect::<Result<Vec<_>, _>>()?;
        let after = tx
            .prepare_cached("SELECT ts, value FROM readings WHERE meter = ?1 AND ts >= ?2 ORDER BY ts LIMIT ?3")?
            .query_map(params![id, end, CONTEXT], sample)?
            .collect::<Result<Vec<_>, _>>()?;
        let removed = removable(&before, &inside, &after);
        if removed.is_empty() {
            return Ok(0);
        }
        let rule = self.rule(meter);
        let all: Vec<Sample> = before.iter().chain(&inside).chain(&after).copied().collect();
        let kept: Vec<Sample> = all.iter().filter(|s| removed.binary_search(&s.ts_ms).is_err()).copied().collect();
        let (Some(first), Some(last)) = (all.first(), all.last()) else { return Ok(0) };
        let (window_start, window_end) =
            (floor_hour(first.ts_ms), ceil_hour(last.ts_ms).max(floor_hour(first.ts_ms) + HOUR_MS));
        let full = spread_hourly(&counter_intervals(&all, rule.register_max), window_start, window_end);
        let thinned = spread_hourly(&counter_intervals(&kept, rule.register_max), window_start, window_end);
        if !same_amounts(&full, &thinned) {
            // The readings count differently without the ones removed: keep the chunk whole.
            tracing::debug!(
                meter = id,
                start,
                "retention left a day's readings whole: thinning would change its hours"
            );
            return Ok(0);
        }
        let mut delete = tx.prepare_cached("DELETE FROM readings WHERE meter = ?1 AND ts = ?2")?;
        for ts in &removed {
            delete.execute(params![id, ts])?;
        }
        tx.prepare_cached("UPDATE meter_status SET readings = max(readings - ?2, 0) WHERE meter = ?1")?
            .execute(params![id, removed.len() as i64])?;
        Ok(removed.len() as u64)
    }
}

/// The times of the readings in `inside` that may go, sorted: every reading of an hour but its
/// first and last, where the readings from the one before the hour to the one after it never
/// drop (a reset, a wrap or a glitch keeps its hour whole).
fn removable(before: &[Sample], inside: &[Sample], after: &[Sample]) -> Vec<i64> {
    let mut hours: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    for (i, s) in inside.iter().enumerate() {
        hours.entry(floor_hour(s.ts_ms)).and_modify(|range| range.1 = i).or_insert((i, i));
    }
    let mut removed = Vec::new();
    for (first, last) in hours.into_values() {
        if last - first < 2 {
            continue;
        }
        let mut run: Vec<f64> = inside[first..=last].iter().map(|s| s.value).collect();
        let previous = if first == 0 { before.last() } else { inside.get(first - 1) };
        let next = if last + 1 == inside.len() { after.first() } else { inside.get(last + 1) };
        run.splice(0..0, previous.map(|s| s.value));
        run.extend(next.map(|s| s.value));
        if run.windows(2).all(|pair| pair[1] >= pair[0]) {
            removed.extend(inside[first + 1..last].iter().map(|s| s.ts_ms));
        }
    }
    removed
}

/// Whether two sets of hourly amounts agree to within floating-point rounding.
fn same_amounts(a: &BTreeMap<i64, f64>, b: &BTreeMap<i64, f64>) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    let hours = a.keys().chain(b.keys());
    hours.into_iter().all(|h| close(a.get(h).copied().unwrap_or(0.0), b.get(h).copied().unwrap_or(0.0)))
}
