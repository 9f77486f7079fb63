//! The reports the schedule made (docs/reports.md), kept in the embedded SQLite database so
//! that they survive a restart and travel in every backup. A report is kept once per period,
//! and its e-mails are queued in the alerts' outbox in the same transaction: a period is
//! never made or sent twice, and a made report is never left unsent. Methods block: call
//! them from `spawn_blocking`.

use std::path::Path;
use std::sync::Mutex;

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::alerts::{Queued, enqueue};
use super::{StoreError, from_ms, ms};

/// A kept report, without its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptReport {
    /// The period as written in the API: 2026-11, 2026-Q4, 2026.
    pub period: String,
    /// The office's local date it was made for (the date on the report).
    pub issued: Date,
    pub made_at: Timestamp,
}

pub struct ReportShelf {
    conn: Mutex<Connection>,
}

impl ReportShelf {
    /// Open the kept reports of the store at `path`; the store's own migrations (run by
    /// `store::open`) made their table.
    pub fn open(path: &Path) -> Result<ReportShelf, StoreError> {
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        let conn = super::sqlite::open_writer(path).map_err(|e| open_error(e.to_string()))?;
        Ok(ReportShelf { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work(&mut conn)?)
    }

    /// Whether the report of `period` is kept.
    pub fn has(&self, period: &str) -> Result<bool, StoreError> {
        self.with(|conn| {
            conn.query_row("SELECT count(*) > 0 FROM scheduled_reports WHERE period = ?1", [period], |r| r.get(0))
        })
    }

    /// Keep the report of `period` and queue `mail` with it, unless it is kept already;
    /// `true` if it was kept now.
    pub fn keep(
        &self,
        period: &str,
        issued: Date,
        now: Timestamp,
        pdf: &[u8],
        docx: &[u8],
        mail: &[Queued],
    ) -> Result<bool, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let added = tx.execute(
                "INSERT INTO scheduled_reports (period, issued, made_at, pdf, docx) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (period) DO NOTHING",
                params![period, issued.to_string(), ms(now), pdf, docx],
            )?;
            if added == 1 {
                for queued in mail {
                    enqueue(&tx, now, queued)?;
                }
            }
            tx.commit()?;
            Ok(added == 1)
        })
    }

    /// The kept reports, the latest made first.
    pub fn list(&self) -> Result<Vec<KeptReport>, StoreError> {
        self.with(|conn| {
            conn.prepare("SELECT period, issued, made_at FROM scheduled_reports ORDER BY made_at DESC, period DESC")?
                .query_map([], |row| {
                    let issued: String = row.get(1)?;
                    Ok(KeptReport {
                        period: row.get(0)?,
                        issued: issued.parse().map_err(|e: jiff::Error| {
                            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
                        })?,
                        made_at: from_ms(row.get(2)?),
                    })
                })?
                .collect()
        })
    }

    /// The kept PDF (or DOCX) of `period`.
    pub fn file(&self, period: &str, pdf: bool) -> Result<Option<Vec<u8>>, StoreError> {
        let column = if pdf { "pdf" } else { "docx" };
        self.with(|conn| {
            conn.query_row(&format!("SELECT {column} FROM scheduled_reports WHERE period = ?1"), [period], |r| r.get(0))
                .optional()
        })
    }
}
