//! Document counts per department and month, and the history of plan edits.

use jiff::Timestamp;
use rusqlite::{Row, TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::domain::period::NamedPeriod;
use crate::domain::{DocumentCount, Month};
use crate::store::{AuditLine, DocumentRecord, PlanEdit, PlanEditRecord, PlanValue, StoreError, from_ms, ms};

impl Inner {
    pub(super) fn set_documents(
        &self,
        count: DocumentCount,
        by: String,
        audit: Option<AuditLine<DocumentRecord>>,
    ) -> Result<DocumentRecord, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = Timestamp::now();
        tx.execute(
            "INSERT INTO documents (department, month, electronic, paper, entered_by, entered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (month, department) DO UPDATE SET
                 electronic = excluded.electronic, paper = excluded.paper,
                 entered_by = excluded.entered_by, entered_at = excluded.entered_at",
            params![count.department.as_str(), count.month.to_string(), count.electronic, count.paper, by, ms(at)],
        )?;
        let record = DocumentRecord { count, entered_by: by, entered_at: at };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    /// Store several departments' and months' counts in one transaction with one audit line:
    /// all of them or none.
    pub(super) fn set_documents_grid(
        &self,
        counts: Vec<DocumentCount>,
        by: String,
        audit: Option<AuditLine<Vec<DocumentRecord>>>,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = Timestamp::now();
        let mut records = Vec::with_capacity(counts.len());
        for count in counts {
            tx.execute(
                "INSERT INTO documents (department, month, electronic, paper, entered_by, entered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (month, department) DO UPDATE SET
                     electronic = excluded.electronic, paper = excluded.paper,
                     entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                params![count.department.as_str(), count.month.to_string(), count.electronic, count.paper, by, ms(at)],
            )?;
            records.push(DocumentRecord { count, entered_by: by.clone(), entered_at: at });
        }
        audit_in(&tx, audit, &records)?;
        tx.commit()?;
        Ok(records)
    }

    pub(super) fn documents(&self, first: Month, last_exclusive: Month) -> Result<Vec<DocumentRecord>, StoreError> {
        let rows: Vec<(String, String, u32, u32, String, i64)> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT department, month, electronic, paper, entered_by, entered_at FROM documents
                 WHERE month >= ?1 AND month < ?2 ORDER BY month, department",
            )?;
            let rows = stmt.query_map(params![first.to_string(), last_exclusive.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(department, month, electronic, paper, entered_by, entered_at)| {
                let department =
                    department.parse().map_err(|e| StoreError::Corrupt(format!("documents.department: {e}")))?;
                let month = Month::parse(&month).map_err(|e| StoreError::Corrupt(format!("documents.month: {e}")))?;
                Ok(DocumentRecord {
                    count: DocumentCount { department, month, electronic, paper },
                    entered_by,
                    entered_at: from_ms(entered_at),
                })
            })
            .collect()
    }

    pub(super) fn record_plan_edit(
        &self,
        edit: PlanEdit,
        audit: Option<AuditLine<PlanEditRecord>>,
    ) -> Result<PlanEditRecord, StoreError> {
        let json = |v: &Option<PlanValue>| v.as_ref().map(|v| serde_json::to_string(v).unwrap_or_default());
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = Timestamp::now();
        tx.execute(
            "INSERT INTO plan_edits (kind, resource, department, period, old_value, new_value, edited_by, edited_at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                if edit.target { "target" } else { "baseline" },
                edit.resource.as_str(),
                edit.department.as_ref().map(|d| d.as_str()),
                edit.period.map(|p| p.to_string()),
                json(&edit.old),
                json(&edit.new),
                edit.by,
                ms(at),
                edit.reason,
            ],
        )?;
        let record = PlanEditRecord { id: tx.last_insert_rowid(), at, edit };
        audit_in(&tx, audit, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub(super) fn plan_edits(&self) -> Result<Vec<PlanEditRecord>, StoreError> {
        type Raw =
            (i64, String, String, Option<String>, Option<String>, Option<String>, Option<String>, String, i64, String);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, kind, resource, department, period, old_value, new_value, edited_by, edited_at, reason
                 FROM plan_edits ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r: &Row<'_>| {
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
                ))
            })?;
            rows.collect()
        })?;
        let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("plan_edits.{what}: {e}"));
        let value = |text: Option<String>, what: &str| {
            text.map(|t| serde_json::from_str::<PlanValue>(&t).map_err(|e| corrupt(what, e.to_string()))).transpose()
        };
        rows.into_iter()
            .map(|(id, kind, resource, department, period, old, new, by, at, reason)| {
                Ok(PlanEditRecord {
                    id,
                    at: from_ms(at),
                    edit: PlanEdit {
                        resource: resource
                            .parse()
                            .map_err(|e: crate::domain::UnknownResource| corrupt("resource", e.to_string()))?,
                        department: department
                            .map(|d| d.parse())
                            .transpose()
                            .map_err(|e: crate::domain::InvalidId| corrupt("department", e.to_string()))?,
                        period: period
                            .map(|p| NamedPeriod::parse(&p))
                            .transpose()
                            .map_err(|e| corrupt("period", e.0))?,
                        target: kind == "target",
                        old: value(old, "old_value")?,
                        new: value(new, "new_value")?,
                        by,
                        reason,
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Resource;
    use crate::store::{SqliteStore, Store, StoreReads};

    fn open(dir: &tempfile::TempDir) -> SqliteStore {
        let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        SqliteStore::open(&dir.path().join("x.db"), &tz, "Asia/Ho_Chi_Minh", &[]).unwrap()
    }

    #[tokio::test]
    async fn a_month_entered_again_replaces_its_counts_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let count = |month: &str, electronic, paper| DocumentCount {
            department: "phong-a".parse().unwrap(),
            month: Month::parse(month).unwrap(),
            electronic,
            paper,
        };
        store.set_documents(count("2026-10", 90, 10), "Chị Lan".into(), None).await.unwrap();
        store.set_documents(count("2026-11", 40, 5), "Chị Lan".into(), None).await.unwrap();
        store.set_documents(count("2026-11", 48, 2), "Anh Minh".into(), None).await.unwrap();
        drop(store);
        let store = open(&dir);
        let all = store.documents(Month::parse("2026-01").unwrap(), Month::parse("2027-01").unwrap()).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[1].count.electronic, all[1].count.paper, all[1].entered_by.as_str()), (48, 2, "Anh Minh"));
        let november =
            store.documents(Month::parse("2026-11").unwrap(), Month::parse("2026-12").unwrap()).await.unwrap();
        assert_eq!(november.len(), 1);
    }

    #[tokio::test]
    async fn plan_edits_keep_old_and_new_values_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let edit = PlanEdit {
            resource: Resource::Water,
            department: Some("phong-a".parse().unwrap()),
            period: None,
            target: true,
            old: None,
            new: Some(PlanValue::Target { saving_percent: 7.0, stretch_percent: None }),
            by: "Chị Lan".into(),
            reason: "Kế hoạch năm 2026".into(),
        };
        store.record_plan_edit(edit.clone(), None).await.unwrap();
        let back = PlanEdit { old: edit.new.clone(), new: None, ..edit.clone() };
        store.record_plan_edit(back.clone(), None).await.unwrap();
        let edits = store.plan_edits().await.unwrap();
        assert_eq!(edits.iter().map(|e| e.edit.clone()).collect::<Vec<_>>(), vec![edit, back]);
        assert!(edits[0].id < edits[1].id);
    }
}
