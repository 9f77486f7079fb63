//! Prices entered in the web app, each with its audit line in one transaction; laid over the
//! config's `[[tariffs]]` by `analysis::plan_in_force`.

use jiff::civil::Date;
use rusqlite::{TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::config::Tariff;
use crate::domain::electricity_price::{Block, TimeOfUseSpec};
use crate::domain::{PriceScheme, Resource};
use crate::store::{AuditLine, StoreError, TariffRecord, from_ms, ms};

impl Inner {
    pub(super) fn record_tariff(
        &self,
        tariff: Tariff,
        by: String,
        audit: Option<AuditLine<TariffRecord>>,
    ) -> Result<TariffRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = jiff::Timestamp::now();
        tx.execute(
            "INSERT INTO tariff_changes (resource, from_day, price_vnd, per, note, entered_by, entered_at, scheme)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                tariff.resource.as_str(),
                tariff.from.to_string(),
                tariff.price_vnd,
                tariff.per,
                tariff.note,
                by,
                ms(at),
                scheme_json(&tariff.scheme)
            ],
        )?;
        let record = TariffRecord { id: tx.last_insert_rowid(), tariff, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn tariff_changes(&self) -> Result<Vec<TariffRecord>, StoreError> {
        type Raw = (i64, String, String, f64, String, String, String, i64, Option<String>);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, resource, from_day, price_vnd, per, note, entered_by, entered_at, scheme
                 FROM tariff_changes ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
            })?;
            rows.collect()
        })?;
        let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("tariff_changes.{what}: {e}"));
        rows.into_iter()
            .map(|(id, resource, from, price_vnd, per, note, entered_by, entered_at, scheme)| {
                let resource: Resource = resource.parse().map_err(|e| corrupt("resource", format!("{e}")))?;
                let from = from.parse::<Date>().map_err(|e| corrupt("from_day", e.to_string()))?;
                let tariff = Tariff::new(resource, from, price_vnd, &per, &note).map_err(|e| corrupt("per", e))?;
                let scheme = match scheme {
                    None => PriceScheme::Flat,
                    Some(text) => {
                        let parts: SchemeParts =
                            serde_json::from_str(&text).map_err(|e| corrupt("scheme", e.to_string()))?;
                        PriceScheme::from_parts(parts.time_of_use, parts.blocks)
                            .map_err(|e| corrupt("scheme", e.english()))?
                    }
                };
                let tariff = tariff.priced_by(scheme).map_err(|(e, _)| corrupt("scheme", e))?;
                Ok(TariffRecord { id, tariff, entered_by, entered_at: from_ms(entered_at) })
            })
            .collect()
    }
}

/// The `scheme` column: the scheme's written parts.
#[derive(serde::Serialize, serde::Deserialize)]
struct SchemeParts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time_of_use: Option<TimeOfUseSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    blocks: Option<Vec<Block>>,
}

fn scheme_json(scheme: &PriceScheme) -> Option<String> {
    let (time_of_use, blocks) = scheme.parts();
    if time_of_use.is_none() && blocks.is_none() {
        return None;
    }
    let parts = SchemeParts { time_of_use: time_of_use.cloned(), blocks: blocks.map(<[Block]>::to_vec) };
    serde_json::to_string(&parts).ok()
}
