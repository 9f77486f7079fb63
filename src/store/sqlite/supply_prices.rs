//! Item prices and norms of the configured resources entered in the web app, each with its
//! audit line in one transaction; laid over the config's by `analysis::supplies_in_force`.

use jiff::civil::Date;
use rusqlite::{TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::domain::{DepartmentId, ItemId, Measure, Norm, NormBasis, NormEvery, Price, SupplyId};
use crate::store::{AuditLine, StoreError, SupplyNormRecord, SupplyPriceRecord, from_ms, ms};

impl Inner {
    pub(super) fn record_supply_price(
        &self,
        resource: SupplyId,
        item: ItemId,
        price: Price,
        note: String,
        by: String,
        audit: Option<AuditLine<SupplyPriceRecord>>,
    ) -> Result<SupplyPriceRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = jiff::Timestamp::now();
        tx.execute(
            "INSERT INTO supply_price_changes (resource, item, from_day, price_vnd, note, entered_by, entered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![resource.as_str(), item.as_str(), price.from.to_string(), price.vnd, note, by, ms(at)],
        )?;
        let record = SupplyPriceRecord {
            id: tx.last_insert_rowid(),
            resource,
            item,
            price,
            note,
            entered_by: by,
            entered_at: at,
        };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn supply_price_changes(&self) -> Result<Vec<SupplyPriceRecord>, StoreError> {
        type Raw = (i64, String, String, String, f64, String, String, i64);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, resource, item, from_day, price_vnd, note, entered_by, entered_at
                 FROM supply_price_changes ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })?;
            rows.collect()
        })?;
        let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("supply_price_changes.{what}: {e}"));
        rows.into_iter()
            .map(|(id, resource, item, from, vnd, note, entered_by, entered_at)| {
                let resource: SupplyId = resource.parse().map_err(|e| corrupt("resource", format!("{e}")))?;
                let item: ItemId = item.parse().map_err(|e| corrupt("item", format!("{e}")))?;
                let from = from.parse::<Date>().map_err(|e| corrupt("from_day", e.to_string()))?;
                Ok(SupplyPriceRecord {
                    id,
                    resource,
                    item,
                    price: Price { from, vnd },
                    note,
                    entered_by,
                    entered_at: from_ms(entered_at),
                })
            })
            .collect()
    }

    pub(super) fn record_supply_norm(
        &self,
        resource: SupplyId,
        norm: Norm,
        by: String,
        audit: Option<AuditLine<SupplyNormRecord>>,
    ) -> Result<SupplyNormRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = jiff::Timestamp::now();
        tx.execute(
            "INSERT INTO supply_norm_changes (resource, department, from_day, per, every, amount, measure, regulation,
                                              regulation_date, entered_by, entered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                resource.as_str(),
                norm.department.as_ref().map(|d| d.as_str()),
                norm.from.to_string(),
                norm.basis.as_str(),
                norm.every.as_str(),
                norm.amount,
                norm.measure.as_str(),
                norm.regulation,
                norm.regulation_date.to_string(),
                by,
                ms(at)
            ],
        )?;
        let record = SupplyNormRecord { id: tx.last_insert_rowid(), resource, norm, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn supply_norm_changes(&self) -> Result<Vec<SupplyNormRecord>, StoreError> {
        type Raw = (i64, String, Option<String>, String, String, String, f64, String, String, String, String, i64);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, resource, department, from_day, per, every, amount, measure, regulation, regulation_date,
                        entered_by, entered_at
                 FROM supply_norm_changes ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            })?;
            rows.collect()
        })?;
        let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("supply_norm_changes.{what}: {e}"));
        rows.into_iter()
            .map(
                |(id, resource, department, from, per, every, amount, measure, regulation, regulation_date, by, at)| {
                    let resource: SupplyId = resource.parse().map_err(|e| corrupt("resource", format!("{e}")))?;
                    let department = department
                        .map(|d| d.parse::<DepartmentId>())
                        .transpose()
                        .map_err(|e| corrupt("department", e.to_string()))?;
                    let day = |what: &str, text: String| text.parse::<Date>().map_err(|e| corrupt(what, e.to_string()));
                    let norm = Norm {
                        department,
                        from: day("from_day", from)?,
                        basis: NormBasis::parse(&per).ok_or_else(|| corrupt("per", per.clone()))?,
                        every: NormEvery::parse(&every).ok_or_else(|| corrupt("every", every.clone()))?,
                        amount,
                        measure: Measure::parse(&measure).ok_or_else(|| corrupt("measure", measure.clone()))?,
                        regulation,
                        regulation_date: day("regulation_date", regulation_date)?,
                    };
                    Ok(SupplyNormRecord { id, resource, norm, entered_by: by, entered_at: from_ms(at) })
                },
            )
            .collect()
    }
}
