//! The embedded store's history, read in pages for `xanh migrate`: readings and hourly
//! consumption in (meter, time) order, each page after a cursor, so a copy can stop and
//! resume where it left off.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::domain::MeterId;
use crate::store::StoreError;
use crate::store::from_ms;

/// Which of the two time series a page or a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    Readings,
    Consumption,
}

impl std::fmt::Display for HistoryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HistoryKind::Readings => "readings",
            HistoryKind::Consumption => "hourly consumption",
        })
    }
}

impl HistoryKind {
    fn query(self) -> &'static str {
        match self {
            HistoryKind::Readings => {
                "SELECT meter, ts, value FROM readings
                 WHERE (meter > ?1 OR (meter = ?1 AND ts > ?2)) AND ts < ?3
                 ORDER BY meter, ts LIMIT ?4"
            }
            HistoryKind::Consumption => {
                "SELECT meter, hour, amount FROM consumption_hourly
                 WHERE (meter > ?1 OR (meter = ?1 AND hour > ?2)) AND hour < ?3
                 ORDER BY meter, hour LIMIT ?4"
            }
        }
    }

    fn count(self) -> &'static str {
        match self {
            HistoryKind::Readings => {
                "SELECT count(*) FROM readings WHERE (meter > ?1 OR (meter = ?1 AND ts > ?2)) AND ts < ?3"
            }
            HistoryKind::Consumption => {
                "SELECT count(*) FROM consumption_hourly WHERE (meter > ?1 OR (meter = ?1 AND hour > ?2)) AND hour < ?3"
            }
        }
    }

    fn key(self) -> &'static str {
        match self {
            HistoryKind::Readings => "migrate_readings_after",
            HistoryKind::Consumption => "migrate_consumption_after",
        }
    }
}

/// One point of history: a reading's value, or an hour's consumption.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    pub meter: MeterId,
    pub ts: Timestamp,
    pub value: f64,
}

/// Where a copy stopped: the last (meter, time in ms) it finished.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    pub meter: String,
    pub ts_ms: i64,
}

impl SqliteStore {
    /// The points of `series` after `cursor` and before `until`, at most `limit`.
    pub async fn history_page(
        &self,
        series: HistoryKind,
        cursor: Cursor,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<HistoryPoint>, StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                let mut stmt = conn.prepare_cached(series.query())?;
                let rows = stmt
                    .query_map(params![cursor.meter, cursor.ts_ms, until.as_millisecond(), limit as i64], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, f64>(2)?))
                    })?;
                let mut points = Vec::new();
                for row in rows {
                    let (meter, ts, value) = row?;
                    // A meter removed from the config keeps its rows; an id this version
                    // refuses cannot be tagged, so it is skipped like everywhere else.
                    let Ok(meter) = MeterId::try_from(meter) else { continue };
                    points.push(HistoryPoint { meter, ts: from_ms(ts), value });
                }
                Ok(points)
            })
        })
        .await
    }

    /// How many points of `series` lie after `cursor` and before `until`: what a copy has
    /// left to do.
    pub async fn history_len_after(
        &self,
        series: HistoryKind,
        cursor: &Cursor,
        until: Timestamp,
    ) -> Result<u64, StoreError> {
        let cursor = cursor.clone();
        self.blocking(move |inner| {
            inner
                .read(|conn| {
                    conn.query_row(series.count(), params![cursor.meter, cursor.ts_ms, until.as_millisecond()], |r| {
                        r.get::<_, i64>(0)
                    })
                })
                .map(|n| n.max(0) as u64)
        })
        .await
    }

    /// The cursor a copy of `series` saved, if it saved one.
    pub async fn migration_cursor(&self, series: HistoryKind) -> Result<Option<Cursor>, StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                let saved: Option<String> = conn
                    .query_row("SELECT value FROM meta WHERE key = ?1", params![series.key()], |r| r.get(0))
                    .optional()?;
                Ok(saved.and_then(|text| {
                    let (meter, ts) = text.rsplit_once(' ')?;
                    Some(Cursor { meter: meter.to_owned(), ts_ms: ts.parse().ok()? })
                }))
            })
        })
        .await
    }

    /// Remember that the copy of `series` finished everything up to `cursor`; `None` forgets
    /// it, so the next copy starts from the beginning.
    pub async fn save_migration_cursor(&self, series: HistoryKind, cursor: Option<Cursor>) -> Result<(), StoreError> {
        self.blocking(move |inner| {
            let conn = super::lock(&inner.writer);
            match cursor {
                Some(c) => conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                    params![series.key(), format!("{} {}", c.meter, c.ts_ms)],
                )?,
                None => conn.execute("DELETE FROM meta WHERE key = ?1", params![series.key()])?,
            };
            Ok(())
        })
        .await
    }
}
