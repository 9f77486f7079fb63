//! The office's setup as the web app keeps it, each change with its audit line in one
//! transaction: the meters, seeded once from the config file (a meter is retired from a date,
//! never deleted, so its history stays readable), and headcount and floor area over time.

use jiff::civil::Date;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Inner, MeterRule, audit_in, lock};
use crate::config::{MeterSpec, StaffingChange};
use crate::domain::{Meter, MeterId};
use crate::store::{AuditLine, MeterChange, MeterRecord, StaffingRecord, StoreError, from_ms, ms};

/// The `meta` key set once the config file's meters were copied into the store.
const SEEDED: &str = "meters_seeded";

impl Inner {
    /// Copy the config file's meters into a store that never held any; `false` when the store
    /// already holds the setup (the file is then only compared with it).
    pub(super) fn seed_meters(&self, specs: &[MeterSpec]) -> Result<bool, StoreError> {
        let rows =
            specs.iter().map(|spec| Ok((spec.id.as_str(), to_json(spec)?))).collect::<Result<Vec<_>, StoreError>>()?;
        self.seed_once("meters", SEEDED, &rows)
    }

    /// Fill `table` (id, position, spec) with the config file's `rows` (id, spec as JSON) unless
    /// it was filled once before (`marker` in `meta`): what an admin removed later stays removed.
    pub(super) fn seed_once(&self, table: &str, marker: &str, rows: &[(&str, String)]) -> Result<bool, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seeded: Option<String> =
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [marker], |r| r.get(0)).optional()?;
        if seeded.is_some() {
            return Ok(false);
        }
        for (position, (id, spec)) in rows.iter().enumerate() {
            tx.execute(
                &format!("INSERT INTO {table} (id, position, spec) VALUES (?1, ?2, ?3)"),
                params![id, position as i64, spec],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![marker, jiff::Timestamp::now().to_string()],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub(super) fn meter_setup(&self) -> Result<Vec<MeterRecord>, StoreError> {
        let rows: Vec<(String, Option<String>)> = self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT spec, retired_from FROM meters ORDER BY position, id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        rows.into_iter().map(|(spec, retired)| record(&spec, retired)).collect()
    }

    /// Add a meter, or change the one with its id (keeping its place and retirement).
    /// `meter` is the spec as checked, for the rules the store counts consumption by.
    pub(super) fn put_meter(
        &self,
        spec: MeterSpec,
        meter: &Meter,
        audit: Option<AuditLine<MeterChange>>,
    ) -> Result<MeterChange, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = stored(&tx, &spec.id)?;
        tx.execute(
            "INSERT INTO meters (id, position, spec) VALUES (?1, (SELECT COALESCE(MAX(position), -1) + 1 FROM meters), ?2)
             ON CONFLICT (id) DO UPDATE SET spec = excluded.spec",
            params![spec.id, to_json(&spec)?],
        )?;
        let after = MeterRecord { spec, retired_from: before.as_ref().and_then(|b| b.retired_from) };
        let change = MeterChange { before, after };
        audit_in(&tx, audit, &change)?;
        tx.commit()?;
        self.rules.write().unwrap_or_else(|p| p.into_inner()).insert(meter.id.clone(), MeterRule::of(meter));
        Ok(change)
    }

    /// Retire a meter from a local date (its readings from that day on are refused), or put
    /// it back in use (`None`). `Ok(None)`: no such meter.
    pub(super) fn retire_meter(
        &self,
        id: &MeterId,
        from: Option<Date>,
        audit: Option<AuditLine<MeterChange>>,
    ) -> Result<Option<MeterChange>, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(before) = stored(&tx, id.as_str())? else { return Ok(None) };
        tx.execute(
            "UPDATE meters SET retired_from = ?2 WHERE id = ?1",
            params![id.as_str(), from.map(|d| d.to_string())],
        )?;
        let after = MeterRecord { spec: before.spec.clone(), retired_from: from };
        let change = MeterChange { before: Some(before), after };
        audit_in(&tx, audit, &change)?;
        tx.commit()?;
        Ok(Some(change))
    }
}

impl Inner {
    pub(super) fn record_staffing(
        &self,
        change: StaffingChange,
        by: String,
        audit: Option<AuditLine<StaffingRecord>>,
    ) -> Result<StaffingRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = jiff::Timestamp::now();
        tx.execute(
            "INSERT INTO staffing_changes (department, from_day, headcount, area_m2, entered_by, entered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![change.department.as_str(), change.from.to_string(), change.headcount, change.area_m2, by, ms(at)],
        )?;
        let record = StaffingRecord { id: tx.last_insert_rowid(), change, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn staffing_changes(&self) -> Result<Vec<StaffingRecord>, StoreError> {
        type Raw = (i64, String, String, Option<u32>, Option<f64>, String, i64);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, department, from_day, headcount, area_m2, entered_by, entered_at FROM staffing_changes ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?;
            rows.collect()
        })?;
        let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("staffing_changes.{what}: {e}"));
        rows.into_iter()
            .map(|(id, department, from, headcount, area_m2, entered_by, entered_at)| {
                let department =
                    department.parse().map_err(|e: crate::domain::InvalidId| corrupt("department", e.to_string()))?;
                let from = from.parse::<Date>().map_err(|e| corrupt("from_day", e.to_string()))?;
                Ok(StaffingRecord {
                    id,
                    change: StaffingChange { department, from, headcount, area_m2 },
                    entered_by,
                    entered_at: from_ms(entered_at),
                })
            })
            .collect()
    }
}

fn stored(conn: &rusqlite::Connection, id: &str) -> Result<Option<MeterRecord>, StoreError> {
    let row: Option<(String, Option<String>)> = conn
        .query_row("SELECT spec, retired_from FROM meters WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(spec, retired)| record(&spec, retired)).transpose()
}

fn record(spec: &str, retired: Option<String>) -> Result<MeterRecord, StoreError> {
    let spec = serde_json::from_str(spec).map_err(|e| StoreError::Corrupt(format!("meters.spec: {e}")))?;
    let retired_from = retired
        .map(|d| d.parse::<Date>().map_err(|e| StoreError::Corrupt(format!("meters.retired_from: {e}"))))
        .transpose()?;
    Ok(MeterRecord { spec, retired_from })
}

fn to_json(spec: &MeterSpec) -> Result<String, StoreError> {
    serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(format!("meters.spec: {e}")))
}
