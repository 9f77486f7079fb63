//! Corrections: change or remove a stored reading, keep the old value with who, when and why,
//! and recompute the consumption it touched.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::domain::consumption::{Sample, ceil_hour, delta_interval, floor_hour};
use crate::domain::{Correction, CorrectionRecord, MeterId, MeterKind};
use crate::store::{AuditLine, StoreError};
use crate::store::{from_ms, ms};

impl Inner {
    pub(super) fn correct(
        &self,
        correction: &Correction,
        audit: Option<AuditLine<CorrectionRecord>>,
    ) -> Result<Option<CorrectionRecord>, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let meter = correction.meter();
        let ts = ms(correction.ts());
        let old: Option<(f64, Option<i64>)> = tx
            .query_row(
                "SELECT value, period_start FROM readings WHERE meter = ?1 AND ts = ?2",
                params![meter.as_str(), ts],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((old_value, period_start)) = old else { return Ok(None) };
        match correction.new_value() {
            Some(value) => tx.execute(
                "UPDATE readings SET value = ?3 WHERE meter = ?1 AND ts = ?2",
                params![meter.as_str(), ts, value],
            )?,
            None => tx.execute("DELETE FROM readings WHERE meter = ?1 AND ts = ?2", params![meter.as_str(), ts])?,
        };
        let at = Timestamp::now();
        tx.execute(
            "INSERT INTO corrections (meter, ts, old_value, new_value, corrected_by, corrected_at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                meter.as_str(),
                ts,
                old_value,
                correction.new_value(),
                correction.by(),
                ms(at),
                correction.reason()
            ],
        )?;
        let id = tx.last_insert_rowid();
        let rule = self.rule(meter);
        match rule.kind {
            MeterKind::Counter => self.recompute_counter(&tx, meter, rule, ts, ts)?,
            MeterKind::Delta => {
                let covered = delta_interval(Sample { ts_ms: ts, value: old_value, period_start_ms: period_start });
                self.recompute_delta(&tx, meter, floor_hour(covered.start_ms), ceil_hour(covered.end_ms))?;
            }
        }
        refresh_status(&tx, meter)?;
        let record = CorrectionRecord {
            id,
            meter: meter.to_string(),
            ts: correction.ts(),
            old_value,
            new_value: correction.new_value(),
            by: correction.by().to_owned(),
            at,
            reason: correction.reason().to_owned(),
        };
        audit_in(&tx, audit, &record)?;
        let changes = self.report_changes(&tx)?;
        tx.commit()?;
        self.committed(changes);
        Ok(Some(record))
    }

    pub(super) fn corrections(
        &self,
        meter: Option<&MeterId>,
        limit: usize,
    ) -> Result<Vec<CorrectionRecord>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, meter, ts, old_value, new_value, corrected_by, corrected_at, reason FROM corrections
                 WHERE ?1 IS NULL OR meter = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![meter.map(MeterId::as_str), limit as i64], |r| {
                Ok(CorrectionRecord {
                    id: r.get(0)?,
                    meter: r.get(1)?,
                    ts: from_ms(r.get(2)?),
                    old_value: r.get(3)?,
                    new_value: r.get(4)?,
                    by: r.get(5)?,
                    at: from_ms(r.get(6)?),
                    reason: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }
}

/// After a change, the meter's latest reading and count come from the readings themselves.
fn refresh_status(tx: &rusqlite::Transaction<'_>, meter: &MeterId) -> Result<(), rusqlite::Error> {
    let latest: Option<(i64, f64)> = tx
        .query_row("SELECT ts, value FROM readings WHERE meter = ?1 ORDER BY ts DESC LIMIT 1", [meter.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match latest {
        Some((ts, value)) => tx.execute(
            "UPDATE meter_status SET last_ts = ?2, last_value = ?3,
                 readings = (SELECT count(*) FROM readings WHERE meter = ?1)
             WHERE meter = ?1",
            params![meter.as_str(), ts, value],
        )?,
        None => tx.execute("DELETE FROM meter_status WHERE meter = ?1", [meter.as_str()])?,
    };
    Ok(())
}
