//! What a transaction changed in the time series, told to a sink (the InfluxDB outbox) before it
//! commits.

use rusqlite::Transaction;

use super::Inner;
use crate::domain::MeterId;

/// What one transaction changed in the time series: the stored readings it added or changed
/// and the new amount of every consumption hour whose amount it changed (0: the hour lost all
/// its use).
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
/// transaction touches, whichever code path touched them, with each hour's amount before the
/// transaction (NULL: it had none); installed only with a sink.
pub(super) const CHANGE_TRACKING: &str = r#"
    CREATE TEMP TABLE changed_readings (meter TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (meter, ts)) WITHOUT ROWID;
    CREATE TEMP TABLE changed_hours (meter TEXT NOT NULL, hour INTEGER NOT NULL, old_amount REAL, PRIMARY KEY (meter, hour)) WITHOUT ROWID;
    CREATE TEMP TRIGGER reading_inserted AFTER INSERT ON main.readings
        BEGIN INSERT OR IGNORE INTO changed_readings VALUES (new.meter, new.ts); END;
    CREATE TEMP TRIGGER reading_updated AFTER UPDATE OF value ON main.readings
        BEGIN INSERT OR IGNORE INTO changed_readings VALUES (new.meter, new.ts); END;
    CREATE TEMP TRIGGER hour_inserted AFTER INSERT ON main.consumption_hourly
        BEGIN INSERT OR IGNORE INTO changed_hours VALUES (new.meter, new.hour, NULL); END;
    CREATE TEMP TRIGGER hour_updated AFTER UPDATE ON main.consumption_hourly
        BEGIN INSERT OR IGNORE INTO changed_hours VALUES (new.meter, new.hour, old.amount); END;
    CREATE TEMP TRIGGER hour_deleted AFTER DELETE ON main.consumption_hourly
        BEGIN INSERT OR IGNORE INTO changed_hours VALUES (old.meter, old.hour, old.amount); END;
"#;

/// How close, relative to the amount, an hour rebuilt from its readings must come to its amount
/// before the transaction to count as unchanged (the sum of its parts may differ in the last
/// bits); an unchanged hour is not sent again.
const SAME_AMOUNT: f64 = 1e-9;

impl Inner {
    /// Tell the sink, if any, what this transaction changed, and start the next one afresh.
    pub(super) fn report_changes(&self, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
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
                 LEFT JOIN consumption_hourly h ON h.meter = c.meter AND h.hour = c.hour
                 WHERE c.old_amount IS NULL
                    OR abs(coalesce(h.amount, 0.0) - c.old_amount) > ?1 * max(abs(c.old_amount), 1.0)
                 ORDER BY c.meter, c.hour",
            )?
            .query_map([SAME_AMOUNT], |r| Ok((meter(r.get(0)?), r.get(1)?, r.get(2)?)))?
            .filter_map(|row| row.map(|(m, hour, amount)| m.map(|m| (m, hour, amount))).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        tx.execute_batch("DELETE FROM temp.changed_readings; DELETE FROM temp.changed_hours;")?;
        if readings.is_empty() && hours.is_empty() {
            return Ok(());
        }
        sink.record(tx, &SeriesChanges { readings, hours })
    }
}
