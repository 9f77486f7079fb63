//! The embedded SQLite store (WAL, synchronous = FULL): one writer connection, a few readers.

mod corrections;
mod history;
mod plan;

pub use history::{Cursor, HistoryPoint, Series};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter};

use super::{
    DocumentRecord, MeterStatus, MeterTotal, Outcome, PlanEdit, PlanEditRecord, Resolution, RetryItem, Review, Store,
    StoreError, StoreReads, StoredReading, StoredRejection, WriteReport,
};
use crate::domain::TimeRange;
use crate::domain::consumption::{
    GLITCH_LOOKAHEAD, HOUR_MS, Sample, ceil_hour, counter_intervals, delta_interval, floor_hour, implausible_step,
    spread_hourly, without_glitches,
};
use crate::domain::period::day_start;
use crate::domain::period::local_rfc3339;
use crate::domain::{
    Correction, CorrectionRecord, DocumentCount, Incoming, Meter, MeterId, MeterKind, Month, Origin, RejectReason,
    Rejection, Source,
};

/// Schema versions, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE readings (
        meter        TEXT    NOT NULL,
        ts           INTEGER NOT NULL,   -- ms since the Unix epoch
        value        REAL    NOT NULL,   -- canonical unit
        period_start INTEGER,            -- delta meters: start of the period the amount covers
        source       TEXT    NOT NULL,
        entered_by   TEXT,
        received_at  INTEGER NOT NULL,
        PRIMARY KEY (meter, ts)
    ) WITHOUT ROWID;
    CREATE TABLE consumption_hourly (
        meter  TEXT    NOT NULL,
        hour   INTEGER NOT NULL,         -- ms, start of a UTC hour
        amount REAL    NOT NULL,
        PRIMARY KEY (meter, hour)
    ) WITHOUT ROWID;
    CREATE TABLE consumption_daily (
        meter  TEXT    NOT NULL,
        day    INTEGER NOT NULL,         -- ms, local midnight in the office's time zone
        amount REAL    NOT NULL,
        PRIMARY KEY (meter, day)
    ) WITHOUT ROWID;
    CREATE TABLE meter_status (
        meter            TEXT PRIMARY KEY,
        last_ts          INTEGER NOT NULL,
        last_value       REAL    NOT NULL,
        last_received_at INTEGER NOT NULL,
        readings         INTEGER NOT NULL
    );
    CREATE TABLE rejected (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at INTEGER NOT NULL,
        source      TEXT    NOT NULL,
        topic       TEXT,
        payload     BLOB    NOT NULL,
        meter       TEXT,
        reason      TEXT    NOT NULL,
        detail      TEXT    NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"#,
    r#"
    -- A rejected item that a second attempt stored is kept, marked, for the record.
    ALTER TABLE rejected ADD COLUMN reprocessed_at INTEGER;
"#,
    r#"
    -- Every change to a stored reading: the old value, the new one (NULL: removed), who,
    -- when and why.
    CREATE TABLE corrections (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        meter        TEXT    NOT NULL,
        ts           INTEGER NOT NULL,
        old_value    REAL    NOT NULL,
        new_value    REAL,
        corrected_by TEXT    NOT NULL,
        corrected_at INTEGER NOT NULL,
        reason       TEXT    NOT NULL
    );
    CREATE INDEX corrections_by_meter ON corrections (meter, ts);
"#,
    r#"
    -- A person's decision on an item held for review: accepted (then stored) or rejected.
    ALTER TABLE rejected ADD COLUMN review_decision TEXT;
    ALTER TABLE rejected ADD COLUMN reviewed_by TEXT;
    ALTER TABLE rejected ADD COLUMN review_reason TEXT;
"#,
    r#"
    -- What a bill charged for an amount entered from it, in VND.
    ALTER TABLE readings ADD COLUMN cost_vnd REAL;
"#,
    r#"
    -- Documents a department issued in a month (YYYY-MM), electronically and on paper.
    CREATE TABLE documents (
        department TEXT    NOT NULL,
        month      TEXT    NOT NULL,
        electronic INTEGER NOT NULL,
        paper      INTEGER NOT NULL,
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL,
        PRIMARY KEY (month, department)
    ) WITHOUT ROWID;
    -- Changes to baselines and targets made in the web app; the latest per key is in force.
    CREATE TABLE plan_edits (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT    NOT NULL,     -- baseline | target
        resource   TEXT    NOT NULL,
        department TEXT,                 -- NULL: the whole office
        period     TEXT,                 -- NULL: every period (targets)
        old_value  TEXT,                 -- JSON; NULL: the config's value was in force
        new_value  TEXT,                 -- JSON; NULL: back to the config's value
        edited_by  TEXT    NOT NULL,
        edited_at  INTEGER NOT NULL,
        reason     TEXT    NOT NULL
    );
"#,
    r#"
    -- The InfluxDB backend's outbox: line protocol committed with the change it mirrors,
    -- sent in seq order, deleted once InfluxDB took it.
    CREATE TABLE influx_outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        line        TEXT    NOT NULL,
        enqueued_at INTEGER NOT NULL
    );
    -- Lines InfluxDB refused as bad, moved aside with its answer so the queue goes on.
    CREATE TABLE influx_dead_letters (
        seq         INTEGER PRIMARY KEY,
        line        TEXT    NOT NULL,
        enqueued_at INTEGER NOT NULL,
        failed_at   INTEGER NOT NULL,
        error       TEXT    NOT NULL
    );
"#,
];

/// What one transaction changed in the time series: the stored readings it added or changed
/// and the new amount of every consumption hour it touched (0: the hour lost all its use).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesChanges {
    /// (meter, ts in ms, value in the canonical unit).
    pub readings: Vec<(MeterId, i64, f64)>,
    /// (meter, start of the UTC hour in ms, amount).
    pub hours: Vec<(MeterId, i64, f64)>,
}

/// Told, inside the transaction and before it commits, what a write changed in the time
/// series, so that a mirror of them (the InfluxDB outbox) commits with the change or not at
/// all.
pub trait ChangeSink: Send + Sync + 'static {
    fn record(&self, tx: &Transaction<'_>, changes: &SeriesChanges) -> Result<(), rusqlite::Error>;
}

/// Temporary triggers on the writer connection that note which readings and hours a
/// transaction touches, whichever code path touched them; installed only with a sink.
const CHANGE_TRACKING: &str = r#"
    CREATE TEMP TABLE changed_readings (meter TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (meter, ts)) WITHOUT ROWID;
    CREATE TEMP TABLE changed_hours (meter TEXT NOT NULL, hour INTEGER NOT NULL, PRIMARY KEY (meter, hour)) WITHOUT ROWID;
    CREATE TEMP TRIGGER reading_inserted AFTER INSERT ON main.readings
        BEGIN INSERT OR IGNORE INTO changed_readings VALUES (new.meter, new.ts); END;
    CREATE TEMP TRIGGER reading_updated AFTER UPDATE OF value ON main.readings
        BEGIN INSERT OR IGNORE INTO changed_readings VALUES (new.meter, new.ts); END;
    CREATE TEMP TRIGGER hour_inserted AFTER INSERT ON main.consumption_hourly
        BEGIN INSERT OR IGNORE INTO changed_hours VALUES (new.meter, new.hour); END;
    CREATE TEMP TRIGGER hour_updated AFTER UPDATE ON main.consumption_hourly
        BEGIN INSERT OR IGNORE INTO changed_hours VALUES (new.meter, new.hour); END;
    CREATE TEMP TRIGGER hour_deleted AFTER DELETE ON main.consumption_hourly
        BEGIN INSERT OR IGNORE INTO changed_hours VALUES (old.meter, old.hour); END;
"#;

/// Each meter's last few stored readings, oldest first, as a batch is written.
type Latest = HashMap<MeterId, Vec<Sample>>;

/// Whether a reading's step from the one before is checked for plausibility: always, except
/// for a held reading a person has accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plausibility {
    Check,
    Accepted,
}

/// How the store turns one meter's readings into consumption.
#[derive(Debug, Clone, Copy)]
struct MeterRule {
    kind: MeterKind,
    register_max: Option<f64>,
    max_rate: Option<f64>,
}

pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    tz: TimeZone,
    rules: HashMap<MeterId, MeterRule>,
    sink: Option<Arc<dyn ChangeSink>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (the transaction rolls
    // back), so the connection stays usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn open_connection(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a committed batch survives a power cut, which is what a QoS 1 ack promises.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

impl SqliteStore {
    /// Open (creating if needed) the store at `path` for these meters, with days in `tz`.
    pub fn open(path: &Path, tz: &TimeZone, timezone_name: &str, meters: &[Meter]) -> Result<SqliteStore, StoreError> {
        Self::open_with_sink(path, tz, timezone_name, meters, None)
    }

    /// As [`SqliteStore::open`], telling `sink` in each write's transaction what it changed
    /// in the readings and hourly consumption.
    pub fn open_with_sink(
        path: &Path,
        tz: &TimeZone,
        timezone_name: &str,
        meters: &[Meter],
        sink: Option<Arc<dyn ChangeSink>>,
    ) -> Result<SqliteStore, StoreError> {
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = open_connection(path).map_err(|e| open_error(e.to_string()))?;
        migrate(&mut conn).map_err(|e| open_error(format!("schema migration failed: {e}")))?;
        if sink.is_some() {
            conn.execute_batch(CHANGE_TRACKING).map_err(|e| open_error(format!("cannot track changes: {e}")))?;
        }
        let rules = meters
            .iter()
            .map(|m| {
                let rule = MeterRule { kind: m.kind, register_max: m.register_max, max_rate: m.max_rate };
                (m.id.clone(), rule)
            })
            .collect();
        let inner = Inner {
            path: path.to_owned(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            tz: tz.clone(),
            rules,
            sink,
        };
        inner
            .ensure_day_rollup_zone(timezone_name)
            .map_err(|e| open_error(format!("cannot rebuild daily totals: {e}")))?;
        Ok(SqliteStore { inner: Arc::new(inner) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner)).await.map_err(|e| StoreError::Worker(e.to_string()))?
    }
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn ms(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

fn from_ms(value: i64) -> Timestamp {
    Timestamp::from_millisecond(value).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn insert_rejection(tx: &Transaction<'_>, rejection: &Rejection) -> Result<(), rusqlite::Error> {
    let origin = &rejection.origin;
    tx.prepare_cached(
        "INSERT INTO rejected (received_at, source, topic, payload, meter, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        ms(origin.received_at),
        origin.source.as_str(),
        origin.topic,
        origin.payload,
        rejection.meter.as_ref().map(MeterId::as_str),
        rejection.reason.code(),
        rejection.detail,
    ])?;
    Ok(())
}

impl Inner {
    /// Tell the sink, if any, what this transaction changed, and start the next one afresh.
    fn report_changes(&self, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
        let Some(sink) = &self.sink else { return Ok(()) };
        let meter = |text: String| MeterId::try_from(text).ok();
        let readings = tx
            .prepare_cached(
                "SELECT r.meter, r.ts, r.value FROM temp.changed_readings c
                 JOIN readings r ON r.meter = c.meter AND r.ts = c.ts ORDER BY r.meter, r.ts",
            )?
            .query_map([], |r| Ok((meter(r.get(0)?), r.get(1)?, r.get(2)?)))?
            .filter_map(|row| row.map(|(m, ts, v)| m.map(|m| (m, ts, v))).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        let hours = tx
            .prepare_cached(
                "SELECT c.meter, c.hour, coalesce(h.amount, 0.0) FROM temp.changed_hours c
                 LEFT JOIN consumption_hourly h ON h.meter = c.meter AND h.hour = c.hour ORDER BY c.meter, c.hour",
            )?
            .query_map([], |r| Ok((meter(r.get(0)?), r.get(1)?, r.get(2)?)))?
            .filter_map(|row| row.map(|(m, hour, amount)| m.map(|m| (m, hour, amount))).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        tx.execute_batch("DELETE FROM temp.changed_readings; DELETE FROM temp.changed_hours;")?;
        if readings.is_empty() && hours.is_empty() {
            return Ok(());
        }
        sink.record(tx, &SeriesChanges { readings, hours })
    }

    fn rule(&self, meter: &MeterId) -> MeterRule {
        self.rules.get(meter).copied().unwrap_or(MeterRule {
            kind: MeterKind::Counter,
            register_max: None,
            max_rate: None,
        })
    }

    fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>) -> Result<T, StoreError> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = work(&conn);
        lock(&self.readers).push(conn);
        Ok(result?)
    }

    fn write(&self, batch: Vec<Incoming>) -> Result<WriteReport, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let report = self.write_in(&tx, batch, Plausibility::Check)?;
        self.report_changes(&tx)?;
        tx.commit()?;
        Ok(report)
    }

    fn reprocess(&self, retried: Vec<(i64, Vec<Incoming>)>) -> Result<WriteReport, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = ms(Timestamp::now());
        let mut mark = tx.prepare_cached("UPDATE rejected SET reprocessed_at = ?1 WHERE id = ?2")?;
        let mut batch = Vec::new();
        for (id, items) in retried {
            mark.execute(params![now, id])?;
            batch.extend(items);
        }
        drop(mark);
        let report = self.write_in(&tx, batch, Plausibility::Check)?;
        self.report_changes(&tx)?;
        tx.commit()?;
        Ok(report)
    }

    fn write_in(
        &self,
        tx: &Transaction<'_>,
        batch: Vec<Incoming>,
        plausibility: Plausibility,
    ) -> Result<WriteReport, StoreError> {
        let mut report = WriteReport { outcomes: Vec::with_capacity(batch.len()), ..WriteReport::default() };
        let mut latest = Latest::new();
        // Newly stored samples per meter, and the latest receive time among them.
        let mut fresh: BTreeMap<MeterId, (Vec<Sample>, i64)> = BTreeMap::new();
        for item in batch {
            let outcome = match item {
                Incoming::Reading(reading, origin) => {
                    let sample = Sample {
                        ts_ms: ms(reading.ts),
                        value: reading.value,
                        period_start_ms: reading.period_start.map(ms),
                    };
                    if let Some(held) = self.held(tx, &reading, sample, &origin, plausibility, &mut latest)? {
                        insert_rejection(tx, &held)?;
                        report.rejected += 1;
                        report.outcomes.push(Outcome::Rejected { reason: held.reason, detail: held.detail });
                        continue;
                    }
                    let mut sample = sample;
                    let mut inserted = insert_reading(tx, &reading, sample, &origin)?;
                    if !inserted && reading.ts_assumed {
                        // The device sent no time, so readings that arrived in the same
                        // millisecond (a backlog delivered at once) take the next free one
                        // instead of clashing; a counter's repeated value is still one reading.
                        let counter = self.rule(&reading.meter).kind == MeterKind::Counter;
                        for _ in 0..1000 {
                            if counter && conflicting(tx, &reading.meter, sample, origin.clone())?.is_none() {
                                break;
                            }
                            sample.ts_ms += 1;
                            inserted = insert_reading(tx, &reading, sample, &origin)?;
                            if inserted {
                                break;
                            }
                        }
                    }
                    if inserted {
                        if let Some(tail) = latest.get_mut(&reading.meter) {
                            if tail.last().is_none_or(|last| last.ts_ms < sample.ts_ms) {
                                tail.push(sample);
                                if tail.len() > GLITCH_LOOKAHEAD + 1 {
                                    tail.remove(0);
                                }
                            }
                        }
                        let entry = fresh.entry(reading.meter).or_insert((Vec::new(), i64::MIN));
                        entry.0.push(sample);
                        entry.1 = entry.1.max(ms(origin.received_at));
                        Outcome::Stored
                    } else if let Some(conflict) = conflicting(tx, &reading.meter, sample, origin)? {
                        insert_rejection(tx, &conflict)?;
                        Outcome::Rejected { reason: conflict.reason, detail: conflict.detail }
                    } else {
                        Outcome::Duplicate
                    }
                }
                Incoming::Rejected(rejection) => {
                    insert_rejection(tx, &rejection)?;
                    Outcome::Rejected { reason: rejection.reason, detail: rejection.detail }
                }
            };
            match outcome {
                Outcome::Stored => report.stored += 1,
                Outcome::Duplicate => report.duplicates += 1,
                Outcome::Rejected { .. } => report.rejected += 1,
            }
            report.outcomes.push(outcome);
        }
        for (meter, (mut samples, received_at)) in fresh {
            samples.sort_by_key(|s| s.ts_ms);
            self.apply(tx, &meter, &samples, received_at)?;
        }
        Ok(report)
    }

    /// The rejection that holds a counter reading for review, if its step from the reading
    /// before is too unlikely to count unseen.
    fn held(
        &self,
        tx: &Transaction<'_>,
        reading: &crate::domain::Reading,
        sample: Sample,
        origin: &Origin,
        plausibility: Plausibility,
        latest: &mut Latest,
    ) -> Result<Option<Rejection>, rusqlite::Error> {
        let rule = self.rule(&reading.meter);
        if plausibility == Plausibility::Accepted || rule.kind != MeterKind::Counter {
            return Ok(None);
        }
        let Some(before) = self.previous(tx, &reading.meter, sample, latest)? else {
            return Ok(None);
        };
        Ok(implausible_step(before, sample, rule.register_max, rule.max_rate).map(|why| Rejection {
            origin: origin.clone(),
            meter: Some(reading.meter.clone()),
            reason: RejectReason::HeldForReview,
            detail: format!(
                "held for review: {why} (from {} to {})",
                local_rfc3339(from_ms(before.ts_ms), &self.tz),
                local_rfc3339(reading.ts, &self.tz)
            ),
        }))
    }

    /// The stored reading a new one at `ts` follows, glitches left out: a device that came
    /// back from a restart is compared with its total before the restart, not with the zero
    /// it sent meanwhile. Readings mostly arrive in order, so the meter's last few readings
    /// (read once a batch, then kept up to date) answer without a query.
    fn previous(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        sample: Sample,
        latest: &mut Latest,
    ) -> Result<Option<Sample>, rusqlite::Error> {
        let context = GLITCH_LOOKAHEAD + 1;
        if !latest.contains_key(meter) {
            let tail = self.readings_before(tx, meter, i64::MAX, context)?;
            latest.insert(meter.clone(), tail);
        }
        let mut chain = match latest.get(meter) {
            Some(tail) if tail.last().is_none_or(|last| last.ts_ms < sample.ts_ms) => tail.clone(),
            _ => self.readings_before(tx, meter, sample.ts_ms, context)?,
        };
        chain.push(sample);
        let kept = without_glitches(&chain);
        Ok(kept.iter().rev().find(|s| s.ts_ms < sample.ts_ms).copied())
    }

    /// Record a person's decision on a held item; an accepted one is stored as it is.
    /// `Ok(None)`: no item with that id is waiting for review.
    fn review(&self, id: i64, review: &Review, accepted: Vec<Incoming>) -> Result<Option<WriteReport>, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let waiting: Option<i64> = tx
            .query_row(
                "SELECT id FROM rejected WHERE id = ?1 AND reason = ?2 AND reprocessed_at IS NULL AND review_decision IS NULL",
                params![id, RejectReason::HeldForReview.code()],
                |r| r.get(0),
            )
            .optional()?;
        if waiting.is_none() {
            return Ok(None);
        }
        let report = if review.accept {
            tx.execute("UPDATE rejected SET reprocessed_at = ?2 WHERE id = ?1", params![id, ms(Timestamp::now())])?;
            self.write_in(&tx, accepted, Plausibility::Accepted)?
        } else {
            WriteReport::default()
        };
        tx.execute(
            "UPDATE rejected SET review_decision = ?2, reviewed_by = ?3, review_reason = ?4 WHERE id = ?1",
            params![id, if review.accept { "accepted" } else { "rejected" }, review.by, review.reason],
        )?;
        self.report_changes(&tx)?;
        tx.commit()?;
        Ok(Some(report))
    }

    /// Bring consumption and status up to date with a meter's newly stored samples.
    fn apply(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        samples: &[Sample],
        received_at: i64,
    ) -> Result<(), rusqlite::Error> {
        let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
            return Ok(());
        };
        let prior: Option<(i64, f64)> = tx
            .prepare_cached("SELECT last_ts, last_value FROM meter_status WHERE meter = ?1")?
            .query_row([meter.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let rule = self.rule(meter);
        match rule.kind {
            MeterKind::Delta => {
                // Each amount stands alone, so a late one simply adds to its hours.
                let intervals: Vec<_> = samples.iter().copied().map(delta_interval).collect();
                self.add_hours(tx, meter, &spread_hourly(&intervals, i64::MIN / 2, i64::MAX / 2))?;
            }
            MeterKind::Counter => match prior {
                Some((last_ts, _)) if first.ts_ms < last_ts => {
                    self.recompute_counter(tx, meter, rule, first.ts_ms, last.ts_ms)?;
                }
                _ => {
                    // The last few stored readings: a drop among them may turn out to be a
                    // glitch that the new readings undo.
                    // One more than the lookahead: the drop may sit that far back.
                    let mut chain = self.readings_before(tx, meter, first.ts_ms, GLITCH_LOOKAHEAD + 1)?;
                    let stored = chain.len();
                    chain.extend_from_slice(samples);
                    if chain.windows(2).any(|pair| pair[1].value < pair[0].value) {
                        self.recompute_counter(tx, meter, rule, chain[0].ts_ms, last.ts_ms)?;
                    } else {
                        // The common case, readings in order: only the new intervals add.
                        let tail = &chain[stored.saturating_sub(1)..];
                        let intervals = counter_intervals(tail, rule.register_max);
                        self.add_hours(tx, meter, &spread_hourly(&intervals, i64::MIN / 2, i64::MAX / 2))?;
                    }
                }
            },
        }
        let (last_ts, last_value) = match prior {
            Some((ts, value)) if ts > last.ts_ms => (ts, value),
            _ => (last.ts_ms, last.value),
        };
        tx.prepare_cached(
            "INSERT INTO meter_status (meter, last_ts, last_value, last_received_at, readings)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (meter) DO UPDATE SET
                 last_ts = excluded.last_ts,
                 last_value = excluded.last_value,
                 last_received_at = max(last_received_at, excluded.last_received_at),
                 readings = readings + excluded.readings",
        )?
        .execute(params![meter.as_str(), last_ts, last_value, received_at, samples.len() as i64])?;
        Ok(())
    }

    /// Up to `count` stored readings just before `ts`, oldest first.
    fn readings_before(
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
    fn add_hours(
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

    fn day_of(&self, hour_ms: i64) -> i64 {
        ms(day_start(from_ms(hour_ms), &self.tz))
    }

    /// Recompute a counter's hours around readings that arrived out of order, were corrected
    /// or undo a glitch: every hour that an interval touching `[tmin, tmax]`, or one a
    /// glitch decision near it moves, covers is rebuilt from the readings.
    fn recompute_counter(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        rule: MeterRule,
        tmin: i64,
        tmax: i64,
    ) -> Result<(), rusqlite::Error> {
        let id = meter.as_str();
        // The reading `count` places before (or after) `ts`, or the nearest one there is.
        let nth = |sql: &str, ts: i64, count: i64| -> Result<Option<i64>, rusqlite::Error> {
            tx.prepare_cached(sql)?.query_row(params![id, ts, count], |r| r.get(0))
        };
        let before =
            "SELECT min(ts) FROM (SELECT ts FROM readings WHERE meter = ?1 AND ts < ?2 ORDER BY ts DESC LIMIT ?3)";
        let after = "SELECT max(ts) FROM (SELECT ts FROM readings WHERE meter = ?1 AND ts > ?2 ORDER BY ts LIMIT ?3)";
        // A change can turn readings up to the lookahead on either side from glitch to reset
        // or back, and so move where their intervals start and end.
        let reach = GLITCH_LOOKAHEAD as i64 + 1;
        let window_start = floor_hour(nth(before, tmin, reach)?.unwrap_or(tmin));
        let window_end = ceil_hour(nth(after, tmax, reach)?.unwrap_or(tmax)).max(window_start + HOUR_MS);
        // Hours at the window's edges also hold parts of intervals reaching outside it, and
        // telling a glitch from a reset there needs as many readings again.
        let fetch_from = nth(before, window_start + 1, 2 * reach)?.unwrap_or(window_start);
        let fetch_to = nth(after, window_end - 1, 2 * reach)?.unwrap_or(window_end);
        let samples = tx
            .prepare_cached("SELECT ts, value FROM readings WHERE meter = ?1 AND ts >= ?2 AND ts <= ?3 ORDER BY ts")?
            .query_map(params![id, fetch_from, fetch_to], |r| {
                Ok(Sample { ts_ms: r.get(0)?, value: r.get(1)?, period_start_ms: None })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let hours = spread_hourly(&counter_intervals(&samples, rule.register_max), window_start, window_end);
        self.replace_hours(tx, id, window_start, window_end, &hours)
    }

    /// Recompute a delta meter's hours in `[window_start, window_end)` from every amount whose
    /// period reaches into it, after one was corrected or removed.
    fn recompute_delta(
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

    /// Put `hours` in place of a meter's hourly totals in the window and rebuild its days.
    fn replace_hours(
        &self,
        tx: &Transaction<'_>,
        meter: &str,
        window_start: i64,
        window_end: i64,
        hours: &BTreeMap<i64, f64>,
    ) -> Result<(), rusqlite::Error> {
        tx.prepare_cached("DELETE FROM consumption_hourly WHERE meter = ?1 AND hour >= ?2 AND hour < ?3")?
            .execute(params![meter, window_start, window_end])?;
        let mut insert =
            tx.prepare_cached("INSERT INTO consumption_hourly (meter, hour, amount) VALUES (?1, ?2, ?3)")?;
        for (hour, amount) in hours {
            insert.execute(params![meter, hour, amount])?;
        }
        let mut days = BTreeSet::new();
        let mut hour = window_start;
        while hour < window_end {
            days.insert(self.day_of(hour));
            hour += HOUR_MS;
        }
        for day in days {
            self.rebuild_day(tx, meter, day)?;
        }
        Ok(())
    }

    /// Set a meter's daily total from its hourly totals.
    fn rebuild_day(&self, tx: &Transaction<'_>, meter: &str, day: i64) -> Result<(), rusqlite::Error> {
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
    fn ensure_day_rollup_zone(&self, timezone_name: &str) -> Result<(), rusqlite::Error> {
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

/// Insert a reading unless the meter already has one at that time; whether it went in.
fn insert_reading(
    tx: &Transaction<'_>,
    reading: &crate::domain::Reading,
    sample: Sample,
    origin: &Origin,
) -> Result<bool, rusqlite::Error> {
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO readings
             (meter, ts, value, period_start, source, entered_by, received_at, cost_vnd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            reading.meter.as_str(),
            sample.ts_ms,
            sample.value,
            sample.period_start_ms,
            reading.source.as_str(),
            reading.entered_by,
            ms(origin.received_at),
            reading.cost_vnd,
        ])?;
    Ok(inserted == 1)
}

/// If the store holds a different value for this meter and time, the rejection to keep.
fn conflicting(
    tx: &Transaction<'_>,
    meter: &MeterId,
    sample: Sample,
    origin: Origin,
) -> Result<Option<Rejection>, rusqlite::Error> {
    let (value, period_start): (f64, Option<i64>) = tx
        .prepare_cached("SELECT value, period_start FROM readings WHERE meter = ?1 AND ts = ?2")?
        .query_row(params![meter.as_str(), sample.ts_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let same_value = (value - sample.value).abs() <= 1e-9 * value.abs().max(1.0);
    if same_value && period_start == sample.period_start_ms {
        return Ok(None);
    }
    Ok(Some(Rejection {
        origin,
        meter: Some(meter.clone()),
        reason: RejectReason::ConflictingDuplicate,
        detail: format!(
            "meter {meter} already has the value {value} at {}; a different value {} at the same time was not stored (correct the reading instead)",
            from_ms(sample.ts_ms),
            sample.value
        ),
    }))
}

#[async_trait]
impl StoreReads for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn consumption(
        &self,
        meters: Vec<MeterId>,
        range: TimeRange,
        resolution: Resolution,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        if meters.is_empty() {
            return Ok(Vec::new());
        }
        self.blocking(move |inner| {
            let (table, key) = match resolution {
                Resolution::Hour => ("consumption_hourly", "hour"),
                Resolution::Day => ("consumption_daily", "day"),
            };
            let placeholders = vec!["?"; meters.len()].join(", ");
            let sql = format!(
                "SELECT {key}, amount FROM {table}
                 WHERE meter IN ({placeholders}) AND {key} >= ? AND {key} < ?"
            );
            inner.read(|conn| {
                let mut stmt = conn.prepare_cached(&sql)?;
                let bind = meters.iter().map(|m| rusqlite::types::Value::Text(m.as_str().to_owned())).chain([
                    rusqlite::types::Value::Integer(range.from_ms()),
                    rusqlite::types::Value::Integer(range.to_ms()),
                ]);
                let rows = stmt
                    .query_map(params_from_iter(bind), |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
        })
        .await
    }

    async fn meter_status(&self) -> Result<Vec<MeterStatus>, StoreError> {
        self.blocking(|inner| {
            inner.read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT meter, last_ts, last_value, last_received_at, readings FROM meter_status ORDER BY meter",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?))
                })?;
                let mut statuses = Vec::new();
                for row in rows {
                    let (meter, last_ts, last_value, last_seen, readings) = row?;
                    // A meter removed from the config may still have rows; its id stays valid.
                    let Ok(meter) = MeterId::try_from(meter) else { continue };
                    statuses.push(MeterStatus {
                        meter,
                        last_ts: Some(from_ms(last_ts)),
                        last_value: Some(last_value),
                        last_seen: Some(from_ms(last_seen)),
                        readings: readings.max(0) as u64,
                    });
                }
                Ok(statuses)
            })
        })
        .await
    }

    async fn rejected(&self, limit: usize) -> Result<(Vec<StoredRejection>, u64), StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                let total: i64 = conn.query_row(
                    "SELECT count(*) FROM rejected WHERE reprocessed_at IS NULL AND review_decision IS NULL",
                    [],
                    |r| r.get(0),
                )?;
                let mut stmt = conn.prepare_cached(
                    "SELECT id, received_at, source, topic, payload, meter, reason, detail
                     FROM rejected WHERE reprocessed_at IS NULL AND review_decision IS NULL ORDER BY id DESC LIMIT ?1",
                )?;
                let rows = stmt
                    .query_map([limit as i64], |r| {
                        let payload: Vec<u8> = r.get(4)?;
                        Ok(StoredRejection {
                            id: r.get(0)?,
                            received_at: from_ms(r.get(1)?),
                            source: r.get(2)?,
                            topic: r.get(3)?,
                            payload: String::from_utf8_lossy(&payload).into_owned(),
                            meter: r.get(5)?,
                            reason: r.get(6)?,
                            detail: r.get(7)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((rows, total.max(0) as u64))
            })
        })
        .await
    }

    async fn rejected_for_retry(&self, after_id: i64, limit: usize) -> Result<Vec<RetryItem>, StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, received_at, source, topic, payload, reason FROM rejected
                     WHERE reprocessed_at IS NULL AND review_decision IS NULL AND id > ?1 ORDER BY id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after_id, limit as i64], |r| {
                    let source: String = r.get(2)?;
                    Ok(RetryItem {
                        id: r.get(0)?,
                        origin: Origin {
                            // Sources are written by this store from the enum; an unknown
                            // one can only be a row from a newer version: retry it as MQTT.
                            source: Source::parse(&source).unwrap_or(Source::Mqtt),
                            received_at: from_ms(r.get(1)?),
                            topic: r.get(3)?,
                            payload: r.get(4)?,
                        },
                        reason: RejectReason::parse(&r.get::<_, String>(5)?),
                    })
                })?;
                rows.collect()
            })
        })
        .await
    }

    async fn corrections(&self, meter: Option<MeterId>, limit: usize) -> Result<Vec<CorrectionRecord>, StoreError> {
        self.blocking(move |inner| inner.corrections(meter.as_ref(), limit)).await
    }

    async fn readings(
        &self,
        meter: MeterId,
        start_ms: i64,
        end_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredReading>, StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT ts, value, period_start, source, entered_by, received_at, cost_vnd FROM readings
                     WHERE meter = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts DESC LIMIT ?4",
                )?;
                let rows = stmt.query_map(params![meter.as_str(), start_ms, end_ms, limit as i64], |r| {
                    Ok(StoredReading {
                        ts: from_ms(r.get(0)?),
                        value: r.get(1)?,
                        period_start: r.get::<_, Option<i64>>(2)?.map(from_ms),
                        source: r.get(3)?,
                        entered_by: r.get(4)?,
                        received_at: from_ms(r.get(5)?),
                        cost_vnd: r.get(6)?,
                    })
                })?;
                rows.collect()
            })
        })
        .await
    }

    async fn documents(&self, first: Month, last_exclusive: Month) -> Result<Vec<DocumentRecord>, StoreError> {
        self.blocking(move |inner| inner.documents(first, last_exclusive)).await
    }

    async fn plan_edits(&self) -> Result<Vec<PlanEditRecord>, StoreError> {
        self.blocking(|inner| inner.plan_edits()).await
    }

    async fn meter_totals(&self, _range: TimeRange) -> Result<Option<Vec<MeterTotal>>, StoreError> {
        Ok(None)
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.blocking(|inner| inner.read(|conn| conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map(|_| ())))
            .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn write(&self, batch: Vec<Incoming>) -> Result<WriteReport, StoreError> {
        self.blocking(move |inner| inner.write(batch)).await
    }

    async fn reprocess(&self, retried: Vec<(i64, Vec<Incoming>)>) -> Result<WriteReport, StoreError> {
        self.blocking(move |inner| inner.reprocess(retried)).await
    }

    async fn correct(&self, correction: Correction) -> Result<Option<CorrectionRecord>, StoreError> {
        self.blocking(move |inner| inner.correct(&correction)).await
    }

    async fn review(
        &self,
        id: i64,
        review: Review,
        accepted: Vec<Incoming>,
    ) -> Result<Option<WriteReport>, StoreError> {
        self.blocking(move |inner| inner.review(id, &review, accepted)).await
    }

    async fn set_documents(&self, count: DocumentCount, by: String) -> Result<DocumentRecord, StoreError> {
        self.blocking(move |inner| inner.set_documents(count, by)).await
    }

    async fn record_plan_edit(&self, edit: PlanEdit) -> Result<PlanEditRecord, StoreError> {
        self.blocking(move |inner| inner.record_plan_edit(edit)).await
    }
}
