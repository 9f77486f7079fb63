//! Consumption kept up to date as readings arrive: each meter's hours recomputed around what
//! changed, and the local days rolled up from the hours.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Inner, MeterRule, lock};
use crate::domain::MeterId;
use crate::domain::consumption::{
    GLITCH_LOOKAHEAD, HOUR_MS, Interval, Sample, ceil_hour, counter_intervals, delta_interval, floor_hour,
    spread_hourly,
};
use crate::domain::period::day_start;
use crate::store::{from_ms, ms};

/// Stored readings before a run of late ones that must not go down for the run to be added
/// by difference: a drop up to this far back could be a glitch the run decides, or decide
/// whether a reading after it is kept (a glitch is undone within the lookahead, so the
/// readings a run could change are kept once a rising stretch this long precedes them).
const LATE_CONTEXT_BEFORE: usize = 2 * (GLITCH_LOOKAHEAD + 1);

/// Whether an hour rebuilt from its readings keeps its stored amount: the same sum taken in
/// another order may differ in the last bits, far below anything a figure shows.
fn same_amount(stored: f64, rebuilt: f64) -> bool {
    (stored - rebuilt).abs() <= 1e-12 * stored.abs().max(1.0)
}

impl Inner {
    /// Up to `count` stored readings just before `ts`, oldest first.
    pub(super) fn readings_before(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        ts: i64,
        count: usize,
    ) -> Result<Vec<Sample>, rusqlite::Error> {
        let mut rows = tx
            .prepare_cached("SELECT ts, value FROM readings WHERE meter = ?1 AND ts < ?2 ORDER BY ts DESC LIMIT ?3")?
            .query_map(params![meter.as_str(), ts, count as i64], |r| {
                Ok(Sample { ts_ms: r.get(0)?, value: r.get(1)?, period_start_ms: None })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// Add amounts to a meter's hourly and daily totals.
    pub(super) fn add_hours(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        hours: &BTreeMap<i64, f64>,
    ) -> Result<(), rusqlite::Error> {
        let mut add_hour = tx.prepare_cached(
            "INSERT INTO consumption_hourly (meter, hour, amount) VALUES (?1, ?2, ?3)
             ON CONFLICT (meter, hour) DO UPDATE SET amount = amount + excluded.amount",
        )?;
        let mut days: BTreeMap<i64, f64> = BTreeMap::new();
        for (&hour, &amount) in hours {
            add_hour.execute(params![meter.as_str(), hour, amount])?;
            *days.entry(self.day_of(hour)).or_insert(0.0) += amount;
        }
        let mut add_day = tx.prepare_cached(
            "INSERT INTO consumption_daily (meter, day, amount) VALUES (?1, ?2, ?3)
             ON CONFLICT (meter, day) DO UPDATE SET amount = amount + excluded.amount",
        )?;
        for (day, amount) in days {
            add_day.execute(params![meter.as_str(), day, amount])?;
        }
        Ok(())
    }

    pub(super) fn day_of(&self, hour_ms: i64) -> i64 {
        ms(day_start(from_ms(hour_ms), &self.tz))
    }

    /// Recompute a counter's hours around readings that arrived out of order, were corrected
    /// or undo a glitch: every hour that an interval touching `[tmin, tmax]`, or one a
    /// glitch decision near it moves, covers is rebuilt from the readings.
    pub(super) fn recompute_counter(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        rule: MeterRule,
        tmin: i64,
        tmax: i64,
    ) -> Result<(), rusqlite::Error> {
        let id = meter.as_str();
        // A change can turn readings up to the lookahead on either side from glitch to reset
        // or back, and so move where their intervals start and end: the window reaches the
        // `reach`-th reading on either side. Hours at the window's edges also hold parts of
        // intervals reaching outside it, and telling a glitch from a reset there needs
        // `2 × reach` readings beyond each edge. The readings are read outwards from
        // `[tmin, tmax]`, one statement each way, stopping once both are known.
        let reach = GLITCH_LOOKAHEAD + 1;
        let mut before = Vec::new();
        let mut window_start = None;
        let mut beyond_start = 0;
        {
            let mut statement =
                tx.prepare_cached("SELECT ts, value FROM readings WHERE meter = ?1 AND ts < ?2 ORDER BY ts DESC")?;
            let mut rows = statement.query(params![id, tmin])?;
            while let Some(row) = rows.next()? {
                let sample = Sample { ts_ms: row.get(0)?, value: row.get(1)?, period_start_ms: None };
                before.push(sample);
                if before.len() == reach {
                    window_start = Some(floor_hour(sample.ts_ms));
                }
                if window_start.is_some_and(|start| sample.ts_ms <= start) {
                    beyond_start += 1;
                    if beyond_start == 2 * reach {
                        break;
                    }
                }
            }
        }
        // Fewer readings than the reach: the window starts at the oldest (or at `tmin`).
        let window_start = window_start.unwrap_or_else(|| floor_hour(before.last().map_or(tmin, |s| s.ts_ms)));
        let mut samples: Vec<Sample> = before.into_iter().rev().collect();
        let end_at = |ts: i64| ceil_hour(ts).max(window_start + HOUR_MS);
        let mut after = 0;
        let mut window_end = None;
        let mut beyond_end = 0;
        {
            let mut statement =
                tx.prepare_cached("SELECT ts, value FROM readings WHERE meter = ?1 AND ts >= ?2 ORDER BY ts")?;
            let mut rows = statement.query(params![id, tmin])?;
            while let Some(row) = rows.next()? {
                let sample = Sample { ts_ms: row.get(0)?, value: row.get(1)?, period_start_ms: None };
                samples.push(sample);
                if sample.ts_ms > tmax {
                    after += 1;
                    if after == reach {
                        window_end = Some(end_at(sample.ts_ms));
                    }
                }
                if window_end.is_some_and(|end| sample.ts_ms >= end) {
                    beyond_end += 1;
                    if beyond_end == 2 * reach {
                        break;
                    }
                }
            }
        }
        // Fewer readings than the reach after `tmax`: the window ends after the newest.
        let newest_after = samples.last().map(|s| s.ts_ms).filter(|&ts| ts > tmax);
        let window_end = window_end.unwrap_or_else(|| end_at(newest_after.unwrap_or(tmax)));
        let hours = spread_hourly(&counter_intervals(&samples, rule.register_max), window_start, window_end);
        self.replace_hours(tx, id, window_start, window_end, &hours)
    }

    /// Recompute a counter's hours around newly stored samples (oldest first) of which some
    /// arrived late: samples whose windows meet are recomputed together, and the hours between
    /// samples with enough stored readings between them, which neither can change, are left as
    /// they are (a backlog replayed while live readings go on would otherwise rebuild
    /// everything between the two at every batch).
    pub(super) fn recompute_counter_around(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        rule: MeterRule,
        samples: &[Sample],
    ) -> Result<(), rusqlite::Error> {
        let reach = GLITCH_LOOKAHEAD as i64 + 1;
        let mut reach_after = tx.prepare_cached(
            "SELECT max(ts) FROM (SELECT ts FROM readings WHERE meter = ?1 AND ts > ?2 ORDER BY ts LIMIT ?3)",
        )?;
        let mut first = 0;
        // How far the cluster's windows reach so far: a later sample's reach is no shorter,
        // so it is asked again only when the next sample lies beyond it.
        let mut reached = i64::MIN;
        for (i, sample) in samples.iter().enumerate() {
            let ends_cluster = match samples.get(i + 1) {
                None => true,
                Some(next) if next.ts_ms <= reached => false,
                Some(next) => {
                    let end: Option<i64> =
                        reach_after.query_row(params![meter.as_str(), sample.ts_ms, reach], |r| r.get(0))?;
                    reached = end.unwrap_or(i64::MIN);
                    next.ts_ms > reached
                }
            };
            if ends_cluster {
                self.recompute_counter(tx, meter, rule, samples[first].ts_ms, sample.ts_ms)?;
                first = i + 1;
                reached = i64::MIN;
            }
        }
        Ok(())
    }

    /// Add a counter's late samples (oldest first) to its hours where that can be done by
    /// difference: a run of them that falls between two stored readings with no drop near it
    /// (the run, [`LATE_CONTEXT_BEFORE`] stored readings before it and [`GLITCH_LOOKAHEAD`] + 1
    /// after, never going down) changes no glitch decision, so it only splits the stored
    /// interval it falls in. Its hours take the difference, one statement a run instead of a
    /// rebuild of the hours around it. Returns the samples left to rebuild: runs near a drop,
    /// near another of `batch`'s samples (the meter's newly stored ones, sorted), or splitting
    /// an interval that used something into a piece that used nothing (its hours would drop
    /// out of the totals, which only a rebuild does).
    pub(super) fn add_late_by_difference(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        late: &[Sample],
        batch: &[Sample],
    ) -> Result<Vec<Sample>, rusqlite::Error> {
        if late.is_empty() {
            return Ok(Vec::new());
        }
        let after_run = GLITCH_LOOKAHEAD + 1;
        let new = |ts: i64| batch.binary_search_by_key(&ts, |s| s.ts_ms).is_ok();
        let mut statement = tx.prepare_cached(
            "SELECT ts, value FROM (SELECT ts, value FROM readings WHERE meter = ?1 AND ts < ?2 ORDER BY ts DESC LIMIT ?3)
             UNION ALL
             SELECT ts, value FROM (SELECT ts, value FROM readings WHERE meter = ?1 AND ts >= ?2 ORDER BY ts)",
        )?;
        let mut rebuild = Vec::new();
        // Each hour's difference, and how much of it the split intervals held.
        let mut differences: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        let mut first = 0;
        while first < late.len() {
            let start = late[first].ts_ms;
            let (mut before, mut run, mut after) = (Vec::new(), first, Vec::new());
            let mut near_new = false;
            let mut rows = statement.query(params![meter.as_str(), start, LATE_CONTEXT_BEFORE as i64])?;
            while let Some(row) = rows.next()? {
                let sample = Sample { ts_ms: row.get(0)?, value: row.get(1)?, period_start_ms: None };
                if sample.ts_ms < start {
                    near_new |= new(sample.ts_ms);
                    before.push(sample);
                } else if after.is_empty() && late.get(run).is_some_and(|s| s.ts_ms == sample.ts_ms) {
                    run += 1;
                } else {
                    near_new |= new(sample.ts_ms);
                    after.push(sample);
                    if after.len() == after_run {
                        break;
                    }
                }
            }
            drop(rows);
            let pieces = &late[first..run];
            first = run;
            before.reverse();
            match (near_new, after.first()) {
                (false, Some(&next)) => {
                    let context: Vec<&Sample> = before.iter().chain(pieces).chain(&after).collect();
                    let rising = context.windows(2).all(|pair| pair[0].value <= pair[1].value);
                    let mut chain: Vec<Sample> = before.last().into_iter().copied().collect();
                    chain.extend_from_slice(pieces);
                    chain.push(next);
                    let split = chain.windows(2).map(|pair| Interval {
                        start_ms: pair[0].ts_ms,
                        end_ms: pair[1].ts_ms,
                        amount: pair[1].value - pair[0].value,
                    });
                    let split: Vec<Interval> = split.collect();
                    let was = before.last().map(|previous| Interval {
                        start_ms: previous.ts_ms,
                        end_ms: next.ts_ms,
                        amount: next.value - previous.value,
                    });
                    let used_before = was.is_some_and(|was| was.amount > 0.0);
                    if rising && !(used_before && split.iter().any(|piece| piece.amount == 0.0)) {
                        for (hour, amount) in spread_hourly(&split, i64::MIN / 2, i64::MAX / 2) {
                            differences.entry(hour).or_insert((0.0, 0.0)).0 += amount;
                        }
                        for (hour, amount) in spread_hourly(&Vec::from_iter(was), i64::MIN / 2, i64::MAX / 2) {
                            let (difference, replaced) = differences.entry(hour).or_insert((0.0, 0.0));
                            *difference -= amount;
                            *replaced += amount;
                        }
                        continue;
                    }
                    rebuild.extend_from_slice(pieces);
                }
                _ => rebuild.extend_from_slice(pieces),
            }
        }
        drop(statement);
        // As a rebuild leaves an hour whose amount comes out the same (see `same_amount`).
        let differences: BTreeMap<i64, f64> = differences
            .into_iter()
            .filter(|(_, (difference, replaced))| difference.abs() > 1e-12 * replaced.max(1.0))
            .map(|(hour, (difference, _))| (hour, difference))
            .collect();
        self.add_hours(tx, meter, &differences)?;
        Ok(rebuild)
    }

    /// Recompute a delta meter's hours in `[window_start, window_end)` from every amount whose
    /// period reaches into it, after one was corrected or removed.
    pub(super) fn recompute_delta(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        window_start: i64,
        window_end: i64,
    ) -> Result<(), rusqlite::Error> {
        let id = meter.as_str();
        // An amount is stamped at the end of its period, so only later stamps can reach in.
        let intervals = tx
            .prepare_cached("SELECT ts, value, period_start FROM readings WHERE meter = ?1 AND ts >= ?2")?
            .query_map(params![id, window_start], |r| {
                Ok(delta_interval(Sample { ts_ms: r.get(0)?, value: r.get(1)?, period_start_ms: r.get(2)? }))
            })?
            .filter(|i| i.as_ref().map_or(true, |i| i.start_ms < window_end))
            .collect::<Result<Vec<_>, _>>()?;
        let hours = spread_hourly(&intervals, window_start, window_end);
        self.replace_hours(tx, id, window_start, window_end, &hours)
    }

    /// Put `hours` in place of a meter's hourly totals in the window and rebuild the days of
    /// those that changed. An hour whose amount comes out the same is left as it is: a late
    /// reading rebuilds a window of which most hours often keep their amounts.
    pub(super) fn replace_hours(
        &self,
        tx: &Transaction<'_>,
        meter: &str,
        window_start: i64,
        window_end: i64,
        hours: &BTreeMap<i64, f64>,
    ) -> Result<(), rusqlite::Error> {
        let stored: BTreeMap<i64, f64> = tx
            .prepare_cached(
                "SELECT hour, amount FROM consumption_hourly WHERE meter = ?1 AND hour >= ?2 AND hour < ?3",
            )?
            .query_map(params![meter, window_start, window_end], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut days = BTreeSet::new();
        let mut remove = tx.prepare_cached("DELETE FROM consumption_hourly WHERE meter = ?1 AND hour = ?2")?;
        for &hour in stored.keys().filter(|hour| !hours.contains_key(hour)) {
            remove.execute(params![meter, hour])?;
            days.insert(self.day_of(hour));
        }
        let mut put = tx.prepare_cached(
            "INSERT INTO consumption_hourly (meter, hour, amount) VALUES (?1, ?2, ?3)
             ON CONFLICT (meter, hour) DO UPDATE SET amount = excluded.amount",
        )?;
        for (&hour, &amount) in hours {
            if stored.get(&hour).is_some_and(|&was| same_amount(was, amount)) {
                continue;
            }
            put.execute(params![meter, hour, amount])?;
            days.insert(self.day_of(hour));
        }
        for day in days {
            self.rebuild_day(tx, meter, day)?;
        }
        Ok(())
    }

    /// Set a meter's daily total from its hourly totals.
    pub(super) fn rebuild_day(&self, tx: &Transaction<'_>, meter: &str, day: i64) -> Result<(), rusqlite::Error> {
        let next = day_start(from_ms(day + 36 * HOUR_MS), &self.tz);
        let sum: Option<f64> = tx
            .prepare_cached("SELECT sum(amount) FROM consumption_hourly WHERE meter = ?1 AND hour >= ?2 AND hour < ?3")?
            .query_row(params![meter, day, ms(next)], |r| r.get(0))?;
        match sum {
            Some(amount) => tx
                .prepare_cached("INSERT OR REPLACE INTO consumption_daily (meter, day, amount) VALUES (?1, ?2, ?3)")?
                .execute(params![meter, day, amount])?,
            None => tx
                .prepare_cached("DELETE FROM consumption_daily WHERE meter = ?1 AND day = ?2")?
                .execute(params![meter, day])?,
        };
        Ok(())
    }

    /// Daily totals are keyed by local midnight: if the office's time zone changed since they
    /// were built, build them again from the hourly totals.
    pub(super) fn ensure_day_rollup_zone(&self, timezone_name: &str) -> Result<(), rusqlite::Error> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let built_for: Option<String> =
            tx.query_row("SELECT value FROM meta WHERE key = 'day_timezone'", [], |r| r.get(0)).optional()?;
        if built_for.as_deref() != Some(timezone_name) {
            tx.execute("DELETE FROM consumption_daily", [])?;
            let mut days: BTreeMap<(String, i64), f64> = BTreeMap::new();
            {
                let mut rows = tx.prepare("SELECT meter, hour, amount FROM consumption_hourly")?;
                let mut rows = rows.query([])?;
                while let Some(row) = rows.next()? {
                    let hour: i64 = row.get(1)?;
                    *days.entry((row.get(0)?, self.day_of(hour))).or_insert(0.0) += row.get::<_, f64>(2)?;
                }
            }
            let mut insert = tx.prepare("INSERT INTO consumption_daily (meter, day, amount) VALUES (?1, ?2, ?3)")?;
            for ((meter, day), amount) in days {
                insert.execute(params![meter, day, amount])?;
            }
            drop(insert);
            tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('day_timezone', ?1)", [timezone_name])?;
        }
        tx.commit()
    }
}
