//! Item prices of the configured resources entered in the web app, each with its audit line in
//! one transaction; laid over the config's price lists by `analysis::supplies_in_force`.

use jiff::civil::Date;
use rusqlite::{TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::domain::{ItemId, Price, SupplyId};
use crate::store::{AuditLine, StoreError, SupplyPriceRecord, from_ms, ms};

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
}
