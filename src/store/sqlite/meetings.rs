//! Meeting counts per department and month, held and paperless.

use jiff::Timestamp;
use rusqlite::{TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::domain::{MeetingCount, Month};
use crate::store::{AuditLine, MeetingRecord, StoreError, from_ms, ms};

impl Inner {
    pub(super) fn set_meetings(
        &self,
        count: MeetingCount,
        by: String,
        audit: Option<AuditLine<MeetingRecord>>,
    ) -> Result<MeetingRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = Timestamp::now();
        tx.execute(
            "INSERT INTO meetings (department, month, held, paperless, entered_by, entered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (month, department) DO UPDATE SET
                 held = excluded.held, paperless = excluded.paperless,
                 entered_by = excluded.entered_by, entered_at = excluded.entered_at",
            params![
                count.department().as_str(),
                count.month().to_string(),
                count.held(),
                count.paperless(),
                by,
                ms(at)
            ],
        )?;
        let record = MeetingRecord { count, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn meetings(&self, first: Month, last_exclusive: Month) -> Result<Vec<MeetingRecord>, StoreError> {
        let rows: Vec<(String, String, u32, u32, String, i64)> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT department, month, held, paperless, entered_by, entered_at FROM meetings
                 WHERE month >= ?1 AND month < ?2 ORDER BY month, department",
            )?;
            let rows = stmt.query_map(params![first.to_string(), last_exclusive.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(department, month, held, paperless, entered_by, entered_at)| {
                let corrupt =
                    |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("meetings.{what}: {e}"));
                let department = department.parse().map_err(|e| corrupt("department", &e))?;
                let month = Month::parse(&month).map_err(|e| corrupt("month", &e))?;
                let count =
                    MeetingCount::new(department, month, held, paperless).map_err(|e| corrupt("paperless", &e))?;
                Ok(MeetingRecord { count, entered_by, entered_at: from_ms(entered_at) })
            })
            .collect()
    }
}
