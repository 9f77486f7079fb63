//! Issue slips of the configured resources and their priced lines.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::domain::{IssueSlip, PricedLine};
use crate::store::{AuditLine, IssuedLine, SlipRecord, StoreError, ms};

impl Inner {
    pub(super) fn record_slip(
        &self,
        slip: IssueSlip,
        lines: Vec<PricedLine>,
        by: String,
        audit: Option<AuditLine<SlipRecord>>,
    ) -> Result<SlipRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = Timestamp::now();
        tx.execute(
            "INSERT INTO issue_slips (number, department, day, entered_by, entered_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![slip.number, slip.department.as_str(), slip.date.to_string(), by, ms(at)],
        )?;
        let id = tx.last_insert_rowid();
        for (n, line) in lines.iter().enumerate() {
            tx.execute(
                "INSERT INTO issue_lines (slip, line, resource, item, quantity, unit_price_vnd, value_vnd)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    n as i64 + 1,
                    line.resource.as_str(),
                    line.item.as_str(),
                    line.quantity,
                    line.unit_price_vnd,
                    line.value_vnd
                ],
            )?;
        }
        let record = SlipRecord { id, slip, lines, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn issued(&self, first: Date, last_exclusive: Date) -> Result<Vec<IssuedLine>, StoreError> {
        type Row = (i64, String, String, String, String, f64, f64, f64);
        let rows: Vec<Row> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT s.id, s.department, s.day, l.resource, l.item, l.quantity, l.unit_price_vnd, l.value_vnd
                 FROM issue_slips s JOIN issue_lines l ON l.slip = s.id
                 WHERE s.day >= ?1 AND s.day < ?2 ORDER BY s.day, s.id, l.line",
            )?;
            let rows = stmt.query_map(params![first.to_string(), last_exclusive.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })?;
            rows.collect()
        })?;
        let corrupt = |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("issue slips.{what}: {e}"));
        rows.into_iter()
            .map(|(slip, department, day, resource, item, quantity, unit_price_vnd, value_vnd)| {
                Ok(IssuedLine {
                    slip,
                    department: department.parse().map_err(|e| corrupt("department", &e))?,
                    date: day.parse().map_err(|e| corrupt("day", &e))?,
                    line: PricedLine {
                        resource: resource.parse().map_err(|e| corrupt("resource", &e))?,
                        item: item.parse().map_err(|e| corrupt("item", &e))?,
                        quantity,
                        unit_price_vnd,
                        value_vnd,
                    },
                })
            })
            .collect()
    }
}
