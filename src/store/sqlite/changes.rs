//! What a transaction changed in the time series, told to a sink (the InfluxDB outbox) before it
//! commits.

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::Inner;
use crate::domain::MeterId;
use crate::store::ChangedHours;

/// What one transaction changed in the time series: the stored readings it added or changed
/// and every consumption hour whose amount it changed (the journal holds the new amount; none:
/// the hour lost all its use).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesChanges {
    /// Each meter with the times (ms, ascending) of its readings added or changed; their
    /// values are in the journal.
    pub readings: Vec<(MeterId, Vec<i64>)>,
    /// (meter, start of the UTC hour in ms).
    pub hours: Vec<(MeterId, i64)>,
}

/// Told, inside the transaction and before it commits, what a write changed in the time
/// series, so that a mirror of them (the InfluxDB outbox) commits with the change or not at
/// all.
pub trait ChangeSink: Send + Sync + 'static {
    fn record(&self, tx: &Transaction<'_>, changes: &SeriesChanges) -> Result<(), rusqlite::Error>;
}

/// Temporary triggers on the writer connection that note which hours a transaction touches,
/// whichever code path touched them, with each hour's amount before the transaction (NULL: it
/// had none): the change feed (always) and a sink (with its amounts) are told of them. Their
/// inserts say `ON CONFLICT DO NOTHING`, not `OR IGNORE`: an outer upsert's conflict handling
/// replaces a trigger's `OR` clause, and would fail on an hour already noted.
pub(super) const HOUR_TRACKING: &str = r#"
    CREATE TEMP TABLE changed_hours (meter TEXT NOT NULL, hour INTEGER NOT NULL, old_amount REAL, PRIMARY KEY (meter, hour)) WITHOUT ROWID;
    CREATE TEMP TRIGGER hour_inserted AFTER INSERT ON main.consumption_hourly
        BEGIN INSERT INTO changed_hours VALUES (new.meter, new.hour, NULL) ON CONFLICT DO NOTHING; END;
    CREATE TEMP TRIGGER hour_updated AFTER UPDATE ON main.consumption_hourly
        BEGIN INSERT INTO changed_hours VALUES (new.meter, new.hour, old.amount) ON CONFLICT DO NOTHING; END;
    CREATE TEMP TRIGGER hour_deleted AFTER DELETE ON main.consumption_hourly
        BEGIN INSERT INTO changed_hours VALUES (old.meter, old.hour, old.amount) ON CONFLICT DO NOTHING; END;
"#;

/// As [`HOUR_TRACKING`], for the readings a transaction adds or changes; only with a sink.
pub(super) const READING_TRACKING: &str = r#"
    CREATE TEMP TABLE changed_readings (meter TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (meter, ts)) WITHOUT ROWID;
    CREATE TEMP TRIGGER reading_inserted AFTER INSERT ON main.readings
        BEGIN INSERT INTO changed_readings VALUES (new.meter, new.ts) ON CONFLICT DO NOTHING; END;
    CREATE TEMP TRIGGER reading_updated AFTER UPDATE OF value ON main.readings
        BEGIN INSERT INTO changed_readings VALUES (new.meter, new.ts) ON CONFLICT DO NOTHING; END;
"#;

/// The readings a transaction added or changed, by key. Only the temporary table: a join to
/// `readings` ordered by its key had SQLite scan the whole journal at every write.
const CHANGED_READINGS: &str = "SELECT meter, ts FROM temp.changed_readings ORDER BY meter, ts";

/// The hours a transaction changed whose amount moved (or that are new).
const CHANGED_HOURS: &str = "SELECT c.meter, c.hour FROM temp.changed_hours c
     LEFT JOIN consumption_hourly h ON h.meter = c.meter AND h.hour = c.hour
     WHERE c.old_amount IS NULL
        OR abs(coalesce(h.amount, 0.0) - c.old_amount) > ?1 * max(abs(c.old_amount), 1.0)
     ORDER BY c.meter, c.hour";

/// The key in `meta` of the store's count of transactions that changed consumption hours,
/// counted by every process that writes to the file: a process that finds it moved by
/// another knows its kept figures may be out of date.
pub(super) const SERIES_VERSION_KEY: &str = "series_version";

/// What a transaction changed in the consumption hours, for the change feed once committed.
#[must_use]
pub(super) struct Pending {
    hours: ChangedHours,
    stored_version: u64,
    foreign: bool,
}

/// The store's count of series writes as kept in the file.
pub(super) fn stored_series_version(conn: &Connection) -> Result<u64, rusqlite::Error> {
    let value: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([SERIES_VERSION_KEY], |r| r.get(0))
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// How close, relative to the amount, an hour rebuilt from its readings must come to its amount
/// before the transaction to count as unchanged (the sum of its parts may differ in the last
/// bits); an unchanged hour is not sent again.
const SAME_AMOUNT: f64 = 1e-9;

impl Inner {
    /// Note what this transaction changed: tell the sink, if any, count the write in the
    /// file, and start the next transaction afresh. What it returns goes to
    /// [`Inner::committed`] once the transaction has committed.
    pub(super) fn report_changes(&self, tx: &Transaction<'_>) -> Result<Pending, rusqlite::Error> {
        let meter = |text: String| MeterId::try_from(text).ok();
        let mut hours = ChangedHours::new();
        let mut spans =
            tx.prepare_cached("SELECT meter, min(hour), max(hour) FROM temp.changed_hours GROUP BY meter")?;
        for row in spans.query_map([], |r| Ok((meter(r.get(0)?), r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))? {
            if let (Some(m), first, last) = row? {
                hours.insert(m, (first, last + 3_600_000));
            }
        }
        drop(spans);
        if let Some(sink) = &self.sink {
            self.tell_sink(sink.as_ref(), tx)?;
        }
        tx.execute_batch("DELETE FROM temp.changed_hours;")?;
        let own = self.feed.stored_version();
        if hours.is_empty() {
            return Ok(Pending { hours, stored_version: own, foreign: false });
        }
        let before = stored_series_version(tx)?;
        tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
            .execute(rusqlite::params![SERIES_VERSION_KEY, (before + 1).to_string()])?;
        Ok(Pending { hours, stored_version: before + 1, foreign: before != own })
    }

    /// Tell the change feed what a committed transaction changed.
    pub(super) fn committed(&self, pending: Pending) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.committed();
        }
        if !pending.hours.is_empty() || pending.foreign {
            self.feed.record(pending.hours, pending.stored_version, pending.foreign);
        }
    }

    fn tell_sink(&self, sink: &dyn ChangeSink, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
        let meter = |text: String| MeterId::try_from(text).ok();
        // The readings by key only: the sink keeps references, not values.
        let mut readings: Vec<(MeterId, Vec<i64>)> = Vec::new();
        let mut keys = tx.prepare_cached(CHANGED_READINGS)?;
        let mut rows = keys.query([])?;
        while let Some(row) = rows.next()? {
            let ts: i64 = row.get(1)?;
            let id = row.get_ref(0)?;
            match readings.last_mut() {
                Some((m, times)) if id.as_str().is_ok_and(|id| id == m.as_str()) => times.push(ts),
                _ => {
                    if let Some(m) = meter(row.get(0)?) {
                        readings.push((m, vec![ts]));
                    }
                }
            }
        }
        drop(rows);
        drop(keys);
        let hours = tx
            .prepare_cached(CHANGED_HOURS)?
            .query_map([SAME_AMOUNT], |r| Ok((meter(r.get(0)?), r.get(1)?)))?
            .filter_map(|row| row.map(|(m, hour)| m.map(|m| (m, hour))).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        tx.execute_batch("DELETE FROM temp.changed_readings;")?;
        if readings.is_empty() && hours.is_empty() {
            return Ok(());
        }
        sink.record(tx, &SeriesChanges { readings, hours })
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{CHANGED_HOURS, CHANGED_READINGS, HOUR_TRACKING, READING_TRACKING, SAME_AMOUNT};

    /// An upsert that updates a row makes SQLite apply the upsert's conflict handling to the
    /// trigger's insert too, so an `INSERT OR IGNORE` there failed on an hour noted earlier in
    /// the same transaction ("UNIQUE constraint failed: changed_hours…"), and the write retried
    /// for ever: a peer's batch late for a shared-subscription instance did that.
    #[test]
    fn an_hour_upserted_twice_in_a_transaction_is_noted_once_with_its_first_amount() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE consumption_hourly (meter TEXT NOT NULL, hour INTEGER NOT NULL, amount REAL NOT NULL,
                 PRIMARY KEY (meter, hour)) WITHOUT ROWID;
             CREATE TABLE readings (meter TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
                 PRIMARY KEY (meter, ts)) WITHOUT ROWID;
             INSERT INTO consumption_hourly VALUES ('dien-a', 0, 1.0);",
        )
        .unwrap();
        conn.execute_batch(HOUR_TRACKING).unwrap();
        conn.execute_batch(READING_TRACKING).unwrap();
        let upsert = "INSERT INTO consumption_hourly (meter, hour, amount) VALUES ('dien-a', 0, ?1)
                      ON CONFLICT (meter, hour) DO UPDATE SET amount = excluded.amount";
        let reading = "INSERT INTO readings VALUES ('dien-a', 0, ?1) ON CONFLICT (meter, ts) DO UPDATE SET value = excluded.value";
        conn.execute_batch("BEGIN").unwrap();
        for amount in [2.0, 3.0] {
            conn.execute(upsert, [amount]).unwrap();
            conn.execute(reading, [amount]).unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        let noted: Vec<(i64, Option<f64>)> = conn
            .prepare("SELECT hour, old_amount FROM temp.changed_hours")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(noted, [(0, Some(1.0))]);
        let readings: i64 = conn.query_row("SELECT count(*) FROM temp.changed_readings", [], |r| r.get(0)).unwrap();
        assert_eq!(readings, 1);
    }

    /// What the sink asks at every write reads the transaction's own changes and seeks the
    /// journal by key; it never walks the journal, which grows with every reading (the join
    /// that fetched the readings' values did, at every write of the InfluxDB backend).
    #[test]
    fn the_sink_reads_what_the_transaction_changed_without_walking_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let mut conn = super::super::schema::open_connection(&path).unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn.execute_batch(HOUR_TRACKING).unwrap();
        conn.execute_batch(READING_TRACKING).unwrap();
        for (sql, parameters) in [(CHANGED_READINGS, 0), (CHANGED_HOURS, 1)] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(rusqlite::params_from_iter(vec![SAME_AMOUNT; parameters]), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let walks: Vec<&String> = plan
                .iter()
                .filter(|step| {
                    let mut words = step.split_whitespace();
                    words.next() == Some("SCAN")
                        && !words.next().is_some_and(|table| ["c", "temp.changed_readings"].contains(&table))
                })
                .collect();
            assert!(walks.is_empty(), "{sql}\n{plan:#?}");
        }
    }
}
