//! Emission factors entered in the web app, each with its audit line in one transaction; laid
//! over the config's `[[emission_factors]]` by `analysis::plan_in_force`.

use rusqlite::{TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::config::EmissionFactor;
use crate::domain::Resource;
use crate::store::{AuditLine, FactorRecord, StoreError, from_ms, ms};

impl Inner {
    pub(super) fn record_factor(
        &self,
        factor: EmissionFactor,
        by: String,
        audit: Option<AuditLine<FactorRecord>>,
    ) -> Result<FactorRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = jiff::Timestamp::now();
        tx.execute(
            "INSERT INTO emission_factor_changes (resource, year, value, unit, kg_per_ream, source, entered_by, entered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                factor.resource.as_str(),
                factor.year,
                factor.value,
                factor.unit,
                factor.kg_per_ream,
                factor.source,
                by,
                ms(at)
            ],
        )?;
        let record = FactorRecord { id: tx.last_insert_rowid(), factor, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn factor_changes(&self) -> Result<Vec<FactorRecord>, StoreError> {
        type Raw = (i64, String, i16, f64, String, Option<f64>, String, String, i64);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, resource, year, value, unit, kg_per_ream, source, entered_by, entered_at
                 FROM emission_factor_changes ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
            })?;
            rows.collect()
        })?;
        let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("emission_factor_changes.{what}: {e}"));
        rows.into_iter()
            .map(|(id, resource, year, value, unit, kg_per_ream, source, entered_by, entered_at)| {
                let resource: Resource = resource.parse().map_err(|e| corrupt("resource", format!("{e}")))?;
                let factor = EmissionFactor::new(resource, year, value, &unit, kg_per_ream, &source)
                    .map_err(|p| corrupt(p.field, p.message))?;
                Ok(FactorRecord { id, factor, entered_by, entered_at: from_ms(entered_at) })
            })
            .collect()
    }
}
