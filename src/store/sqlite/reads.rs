//! The queries the pages and the API ask: consumption, meter status, readings, rejected input,
//! corrections, documents and plan edits.

use async_trait::async_trait;
use std::time::Duration;

use jiff::civil::Date;
use rusqlite::{Connection, OpenFlags, params, params_from_iter};

use super::SqliteStore;
use crate::domain::TimeRange;
use crate::domain::consumption::HOUR_MS;
use crate::domain::{CorrectionRecord, MeterId, Month, Origin, RejectReason, Source};
use crate::store::from_ms;
use crate::store::{
    DocumentRecord, IssuedLine, MeetingRecord, MeterStatus, MeterTotal, PlanEditRecord, Resolution, RetryItem,
    StoreError, StoreReads, StoredReading, StoredRejection,
};

/// How long the health check waits for the write lock: ingest's own writes hold it for
/// milliseconds, so longer means someone else holds it.
const WRITE_PROBE_WAIT: Duration = Duration::from_secs(1);

/// Spans asked in one statement by `measured_through`: four parameters each, well under
/// SQLite's limit of bound parameters.
const MEASURED_SPANS_A_QUERY: usize = 300;

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

    async fn consumption_by_meter(
        &self,
        meters: Vec<MeterId>,
        range: TimeRange,
        resolution: Resolution,
    ) -> Result<Vec<(MeterId, f64)>, StoreError> {
        if meters.is_empty() {
            return Ok(Vec::new());
        }
        self.blocking(move |inner| {
            let (table, key) = match resolution {
                Resolution::Hour => ("consumption_hourly", "hour"),
                Resolution::Day => ("consumption_daily", "day"),
            };
            let sql =
                format!("SELECT amount FROM {table} WHERE meter = ?1 AND {key} >= ?2 AND {key} < ?3 ORDER BY {key}");
            inner.read(|conn| {
                let mut stmt = conn.prepare_cached(&sql)?;
                let mut totals = Vec::with_capacity(meters.len());
                for meter in meters {
                    let total = stmt
                        .query_map(params![meter.as_str(), range.from_ms(), range.to_ms()], |r| r.get::<_, f64>(0))?
                        .sum::<Result<f64, _>>()?;
                    totals.push((meter, total));
                }
                Ok(totals)
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

    async fn rejected_page(
        &self,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<StoredRejection>, u64), StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                let total: i64 = conn.query_row(
                    "SELECT count(*) FROM rejected WHERE reprocessed_at IS NULL AND review_decision IS NULL",
                    [],
                    |r| r.get(0),
                )?;
                let mut stmt = conn.prepare_cached(
                    "SELECT id, received_at, source, topic, payload, meter, reason, detail
                     FROM rejected WHERE reprocessed_at IS NULL AND review_decision IS NULL AND id < ?2
                     ORDER BY id DESC LIMIT ?1",
                )?;
                let rows = stmt
                    .query_map(params![limit as i64, before_id.unwrap_or(i64::MAX)], |r| {
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
                    "SELECT id, received_at, source, topic, payload, reason, meter, sender FROM rejected
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
                            // Written by this store from the type; unreadable means none.
                            sender: r.get::<_, Option<String>>(7)?.and_then(|s| serde_json::from_str(&s).ok()),
                        },
                        reason: RejectReason::parse(&r.get::<_, String>(5)?),
                        meter: r.get::<_, Option<String>>(6)?.and_then(|m| m.parse().ok()),
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

    async fn held_count(&self, range: TimeRange) -> Result<u64, StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                conn.query_row(
                    "SELECT count(*) FROM rejected WHERE reprocessed_at IS NULL AND review_decision IS NULL
                     AND reason = ?1 AND received_at >= ?2 AND received_at < ?3",
                    params![RejectReason::HeldForReview.code(), range.from_ms(), range.to_ms()],
                    |r| r.get::<_, i64>(0),
                )
            })
        })
        .await
        .map(|n| n.max(0) as u64)
    }

    async fn corrections_count(&self, range: TimeRange) -> Result<u64, StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                conn.query_row(
                    "SELECT count(*) FROM corrections WHERE ts >= ?1 AND ts < ?2",
                    params![range.from_ms(), range.to_ms()],
                    |r| r.get::<_, i64>(0),
                )
            })
        })
        .await
        .map(|n| n.max(0) as u64)
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

    async fn measured_through(&self, spans: Vec<(MeterId, i64, i64)>) -> Result<Vec<bool>, StoreError> {
        self.blocking(move |inner| {
            inner.read(|conn| {
                let mut measured = Vec::with_capacity(spans.len());
                for chunk in spans.chunks(MEASURED_SPANS_A_QUERY) {
                    let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
                    // Three probes of the (meter, ts) key a span, in one round trip.
                    let sql = format!(
                        "WITH spans (i, meter, start_ms, end_ms) AS (VALUES {values})
                         SELECT EXISTS (SELECT 1 FROM readings r WHERE r.meter = s.meter
                                          AND r.ts >= s.start_ms + {HOUR_MS} AND r.ts < s.end_ms)
                            AND EXISTS (SELECT 1 FROM readings r WHERE r.meter = s.meter AND r.ts <= s.start_ms)
                            AND EXISTS (SELECT 1 FROM readings r WHERE r.meter = s.meter AND r.ts >= s.end_ms)
                         FROM spans s ORDER BY s.i"
                    );
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let bind = chunk.iter().enumerate().flat_map(|(i, (meter, start_ms, end_ms))| {
                        [
                            rusqlite::types::Value::Integer(i as i64),
                            rusqlite::types::Value::Text(meter.as_str().to_owned()),
                            rusqlite::types::Value::Integer(*start_ms),
                            rusqlite::types::Value::Integer(*end_ms),
                        ]
                    });
                    for row in stmt.query_map(params_from_iter(bind), |r| r.get::<_, bool>(0))? {
                        measured.push(row?);
                    }
                }
                Ok(measured)
            })
        })
        .await
    }

    async fn documents(&self, first: Month, last_exclusive: Month) -> Result<Vec<DocumentRecord>, StoreError> {
        self.blocking(move |inner| inner.documents(first, last_exclusive)).await
    }

    async fn meetings(&self, first: Month, last_exclusive: Month) -> Result<Vec<MeetingRecord>, StoreError> {
        self.blocking(move |inner| inner.meetings(first, last_exclusive)).await
    }

    async fn issued(&self, first: Date, last_exclusive: Date) -> Result<Vec<IssuedLine>, StoreError> {
        self.blocking(move |inner| inner.issued(first, last_exclusive)).await
    }

    async fn plan_edits(&self) -> Result<Vec<PlanEditRecord>, StoreError> {
        self.blocking(|inner| inner.plan_edits()).await
    }

    async fn meter_setup(&self) -> Result<Vec<crate::store::MeterRecord>, StoreError> {
        self.blocking(|inner| inner.meter_setup()).await
    }

    async fn department_setup(&self) -> Result<Vec<crate::config::DepartmentSpec>, StoreError> {
        self.blocking(|inner| inner.department_setup()).await
    }

    async fn staffing_changes(&self) -> Result<Vec<crate::store::StaffingRecord>, StoreError> {
        self.blocking(|inner| inner.staffing_changes()).await
    }

    async fn calendar_years(&self) -> Result<Vec<crate::store::CalendarYearRecord>, StoreError> {
        self.blocking(|inner| inner.calendar_years()).await
    }

    async fn tariff_changes(&self) -> Result<Vec<crate::store::TariffRecord>, StoreError> {
        self.blocking(|inner| inner.tariff_changes()).await
    }

    async fn supply_norm_changes(&self) -> Result<Vec<crate::store::SupplyNormRecord>, StoreError> {
        self.blocking(|inner| inner.supply_norm_changes()).await
    }

    async fn supply_price_changes(&self) -> Result<Vec<crate::store::SupplyPriceRecord>, StoreError> {
        self.blocking(|inner| inner.supply_price_changes()).await
    }

    async fn factor_changes(&self) -> Result<Vec<crate::store::FactorRecord>, StoreError> {
        self.blocking(|inner| inner.factor_changes()).await
    }

    async fn meter_totals(&self, _range: TimeRange) -> Result<Option<Vec<MeterTotal>>, StoreError> {
        Ok(None)
    }

    /// Whether a write could start now: the write lock within a second, on a connection of
    /// its own (another process holding the lock, or a read-only file, shows here).
    async fn check(&self) -> Result<(), StoreError> {
        self.blocking(|inner| {
            let conn = Connection::open_with_flags(&inner.path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            conn.busy_timeout(WRITE_PROBE_WAIT)?;
            conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").map_err(|e| StoreError::Unwritable(e.to_string()))
        })
        .await
    }

    fn change_feed(&self) -> Option<&crate::store::ChangeFeed> {
        Some(&self.inner.feed)
    }
}
