//! Years of the working calendar set in the web app, each with its audit line in one
//! transaction; the latest of a year takes the place of the shipped and configured days
//! (`ingest::ConfigInForce`).

use jiff::civil::Date;
use rusqlite::{TransactionBehavior, params};
use serde_json::{Value, json};

use super::{Inner, audit_in, lock};
use crate::domain::{CalendarDay, CalendarYear, DayKind, YearDays, YearStatus};
use crate::store::{AuditLine, CalendarYearRecord, StoreError, from_ms, ms};

/// A year's days as the `days` column keeps them.
fn days_json(days: &[CalendarDay]) -> String {
    let days: Vec<Value> =
        days.iter().map(|d| json!({"date": d.date.to_string(), "kind": d.kind.as_str(), "reason": d.reason})).collect();
    Value::Array(days).to_string()
}

fn parse_days(text: &str) -> Result<Vec<CalendarDay>, StoreError> {
    let corrupt = |e: String| StoreError::Corrupt(format!("calendar_years.days: {e}"));
    let values: Vec<Value> = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    values
        .iter()
        .map(|v| {
            let date = v["date"].as_str().and_then(|d| d.parse::<Date>().ok());
            let kind = v["kind"].as_str().and_then(DayKind::parse);
            match (date, kind) {
                (Some(date), Some(kind)) => {
                    Ok(CalendarDay { date, kind, reason: v["reason"].as_str().unwrap_or_default().to_owned() })
                }
                _ => Err(corrupt(format!("`{v}` is not a day"))),
            }
        })
        .collect()
}

impl Inner {
    pub(super) fn record_calendar_year(
        &self,
        days: YearDays,
        by: String,
        audit: Option<AuditLine<CalendarYearRecord>>,
    ) -> Result<CalendarYearRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = jiff::Timestamp::now();
        let status = match days.year.status {
            YearStatus::Official => "official",
            _ => "provisional",
        };
        tx.execute(
            "INSERT INTO calendar_years (year, status, source, days, entered_by, entered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![days.year.year, status, days.year.source, days_json(&days.days), by, ms(at)],
        )?;
        let record = CalendarYearRecord { id: tx.last_insert_rowid(), days, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn calendar_years(&self) -> Result<Vec<CalendarYearRecord>, StoreError> {
        type Raw = (i64, i16, String, String, String, String, i64);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, year, status, source, days, entered_by, entered_at FROM calendar_years ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(id, year, status, source, days, entered_by, entered_at)| {
                let status = match status.as_str() {
                    "official" => YearStatus::Official,
                    "provisional" => YearStatus::Provisional,
                    other => return Err(StoreError::Corrupt(format!("calendar_years.status: `{other}`"))),
                };
                let days = YearDays { year: CalendarYear { year, status, source }, days: parse_days(&days)? };
                Ok(CalendarYearRecord { id, days, entered_by, entered_at: from_ms(entered_at) })
            })
            .collect()
    }
}
