//! The embedded SQLite store (WAL, synchronous = FULL): one writer connection, a few readers.

mod calendar;
mod changes;
mod checkpoint;
mod corrections;
mod departments;
mod emission_factors;
mod history;
mod meetings;
mod plan_edits;
mod reads;
mod retention;
mod rollup;
mod schema;
mod setup;
mod slips;
mod supply_prices;
mod tariffs;
#[cfg(test)]
mod upgrades;
mod write;

pub use changes::{ChangeSink, SeriesChanges};
use changes::{HOUR_TRACKING, READING_TRACKING};
pub use history::{Cursor, HistoryKind, HistoryPoint};
pub use retention::Thinned;
pub use schema::{SCHEMA_VERSION, newer_schema_message, schema_version};
use schema::{migrate, open_connection, refuse_newer};

/// A connection to the store's file as its writer uses one (WAL, synchronous = FULL), for the
/// parts kept beside the readings (alerts).
pub(crate) fn open_writer(path: &Path) -> Result<Connection, rusqlite::Error> {
    open_connection(path)
}

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::tz::TimeZone;
use rusqlite::Connection;

use super::{
    AuditLine, ChangeFeed, DocumentRecord, MeetingRecord, MeterChange, PlanEdit, PlanEditRecord, Review, Reviewed,
    SlipRecord, Store, StoreError, WriteReport,
};
use crate::config::MeterSpec;
use crate::domain::consumption::RateLimit;
use crate::domain::{
    Correction, CorrectionRecord, DocumentCount, Incoming, IssueSlip, MeetingCount, Meter, MeterId, MeterKind,
    PricedLine, Resource,
};

/// How the store turns one meter's readings into consumption.
#[derive(Debug, Clone, Copy)]
struct MeterRule {
    kind: MeterKind,
    /// `None` for a meter not configured (its readings are kept, not checked for rate).
    resource: Option<Resource>,
    register_max: Option<f64>,
    max_rate: Option<f64>,
}

impl MeterRule {
    fn of(meter: &Meter) -> MeterRule {
        MeterRule {
            kind: meter.kind,
            resource: Some(meter.resource),
            register_max: meter.register_max,
            max_rate: meter.max_rate,
        }
    }
}

/// The writer's page cache, in KiB (SQLite's default is 2 000).
const WRITER_CACHE_KIB: i64 = 16 * 1024;

pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    tz: TimeZone,
    /// How each meter's readings become consumption; a meter added in the web app joins it.
    rules: std::sync::RwLock<HashMap<MeterId, MeterRule>>,
    sink: Option<Arc<dyn ChangeSink>>,
    /// Which hours each committed write changed, for the figures kept between requests.
    feed: ChangeFeed,
    /// Each meter's limit learned from its history, and when (see `write::rate_limit`).
    learned_limits: Mutex<HashMap<MeterId, (RateLimit, std::time::Instant)>>,
    /// Copies the WAL back into the file off the commit path (none: the writer does).
    checkpointer: Option<checkpoint::Checkpointer>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (the transaction rolls
    // back), so the connection stays usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SqliteStore {
    /// Open (creating if needed) the store at `path` for these meters, with days in `tz`.
    pub fn open(path: &Path, tz: &TimeZone, timezone_name: &str, meters: &[Meter]) -> Result<SqliteStore, StoreError> {
        Self::open_with_sink(path, tz, timezone_name, meters, None)
    }

    /// As [`SqliteStore::open`], telling `sink` in each write's transaction what it changed
    /// in the readings and hourly consumption.
    pub fn open_with_sink(
        path: &Path,
        tz: &TimeZone,
        timezone_name: &str,
        meters: &[Meter],
        sink: Option<Arc<dyn ChangeSink>>,
    ) -> Result<SqliteStore, StoreError> {
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = open_connection(path).map_err(|e| open_error(explain_open_failure(path, e)))?;
        // A batch touches the latest pages of every meter it has readings for, and late
        // readings the pages around them: with SQLite's default 2 MiB the writer evicted them
        // mid-batch, read them again and wrote them to the WAL more than once per commit.
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(|e| open_error(format!("cannot size the page cache: {e}")))?;
        refuse_newer(&conn).map_err(open_error)?;
        migrate(&mut conn).map_err(|e| open_error(format!("schema migration failed: {e}")))?;
        conn.execute_batch(HOUR_TRACKING).map_err(|e| open_error(format!("cannot track changes: {e}")))?;
        if sink.is_some() {
            conn.execute_batch(READING_TRACKING).map_err(|e| open_error(format!("cannot track changes: {e}")))?;
        }
        let feed = change_feed(path, &conn).map_err(|e| open_error(format!("cannot track changes: {e}")))?;
        let checkpointer = checkpoint::Checkpointer::start(path);
        if checkpointer.is_some() {
            conn.pragma_update(None, "wal_autocheckpoint", checkpoint::WRITER_PAGES)
                .map_err(|e| open_error(format!("cannot set the checkpoint threshold: {e}")))?;
        }
        let rules = meters.iter().map(|m| (m.id.clone(), MeterRule::of(m))).collect();
        let inner = Inner {
            path: path.to_owned(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            tz: tz.clone(),
            rules: std::sync::RwLock::new(rules),
            sink,
            feed,
            learned_limits: Mutex::new(HashMap::new()),
            checkpointer,
        };
        inner
            .ensure_day_rollup_zone(timezone_name)
            .map_err(|e| open_error(format!("cannot rebuild daily totals: {e}")))?;
        Ok(SqliteStore { inner: Arc::new(inner) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner)).await.map_err(|e| StoreError::Worker(e.to_string()))?
    }
}

/// The feed of what this process's writes change, with a watch on the file for another
/// process's: `PRAGMA data_version` on a connection of its own moves at every commit by any
/// other connection, and then the count of series writes in `meta` tells whether one was not
/// this process's.
fn change_feed(path: &Path, writer: &Connection) -> Result<ChangeFeed, rusqlite::Error> {
    let watch = Mutex::new((open_connection(path)?, None::<i64>));
    let foreign: super::ForeignCheck = Box::new(move |own| {
        let mut guard = lock(&watch);
        let (conn, seen) = &mut *guard;
        // Unable to tell: drop what is kept rather than risk showing old figures.
        let Ok(now) = conn.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0)) else { return Some(own) };
        if *seen == Some(now) {
            return None;
        }
        let Ok(stored) = changes::stored_series_version(conn) else { return Some(own) };
        *seen = Some(now);
        (stored != own).then_some(stored)
    });
    Ok(ChangeFeed::new(changes::stored_series_version(writer)?, foreign))
}

/// SQLite says only "unable to open database file" when it cannot create the store or its
/// `-wal` and `-shm` files: find out whether the folder is the cause, and say how to fix it.
fn explain_open_failure(path: &Path, error: rusqlite::Error) -> String {
    let folder = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let probe = folder.join(".xanh-write-test");
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            error.to_string()
        }
        Err(e) => format!(
            "the folder {} is not writable by this user ({e}); SQLite must create the store and its -wal and -shm files there: \
             give the service's user write access to it (for example `chown xanh: {}`) or set store.path to a writable folder such as /var/lib/xanh/xanh.db",
            folder.display(),
            folder.display()
        ),
    }
}

impl Inner {
    fn rule(&self, meter: &MeterId) -> MeterRule {
        self.rules.read().unwrap_or_else(|p| p.into_inner()).get(meter).copied().unwrap_or(MeterRule {
            kind: MeterKind::Counter,
            resource: None,
            register_max: None,
            max_rate: None,
        })
    }

    fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>) -> Result<T, StoreError> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = work(&conn);
        lock(&self.readers).push(conn);
        Ok(result?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn write_audited(
        &self,
        batch: Vec<Incoming>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError> {
        self.blocking(move |inner| inner.write(batch, audit)).await
    }

    async fn reprocess_audited(
        &self,
        retried: Vec<(i64, Vec<Incoming>)>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError> {
        self.blocking(move |inner| inner.reprocess(retried, audit)).await
    }

    async fn correct(
        &self,
        correction: Correction,
        audit: Option<AuditLine<CorrectionRecord>>,
    ) -> Result<Option<CorrectionRecord>, StoreError> {
        self.blocking(move |inner| inner.correct(&correction, audit)).await
    }

    async fn review(
        &self,
        items: Vec<(i64, Vec<Incoming>)>,
        review: Review,
        audit: Option<AuditLine<Reviewed>>,
    ) -> Result<Reviewed, StoreError> {
        self.blocking(move |inner| inner.review(items, &review, audit)).await
    }

    async fn set_documents(
        &self,
        count: DocumentCount,
        by: String,
        audit: Option<AuditLine<DocumentRecord>>,
    ) -> Result<DocumentRecord, StoreError> {
        self.blocking(move |inner| inner.set_documents(count, by, audit)).await
    }

    async fn set_documents_grid(
        &self,
        counts: Vec<DocumentCount>,
        by: String,
        audit: Option<AuditLine<Vec<DocumentRecord>>>,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.blocking(move |inner| inner.set_documents_grid(counts, by, audit)).await
    }

    async fn set_meetings(
        &self,
        count: MeetingCount,
        by: String,
        audit: Option<AuditLine<MeetingRecord>>,
    ) -> Result<MeetingRecord, StoreError> {
        self.blocking(move |inner| inner.set_meetings(count, by, audit)).await
    }

    async fn record_slip(
        &self,
        slip: IssueSlip,
        lines: Vec<PricedLine>,
        by: String,
        audit: Option<AuditLine<SlipRecord>>,
    ) -> Result<SlipRecord, StoreError> {
        self.blocking(move |inner| inner.record_slip(slip, lines, by, audit)).await
    }

    async fn record_plan_edit(
        &self,
        edit: PlanEdit,
        audit: Option<AuditLine<PlanEditRecord>>,
    ) -> Result<PlanEditRecord, StoreError> {
        self.blocking(move |inner| inner.record_plan_edit(edit, audit)).await
    }

    fn use_meters(&self, meters: &[Meter]) {
        let rules = meters.iter().map(|m| (m.id.clone(), MeterRule::of(m))).collect();
        *self.inner.rules.write().unwrap_or_else(|p| p.into_inner()) = rules;
    }

    async fn seed_meters(&self, specs: Vec<MeterSpec>) -> Result<bool, StoreError> {
        self.blocking(move |inner| inner.seed_meters(&specs)).await
    }

    async fn seed_departments(&self, specs: Vec<crate::config::DepartmentSpec>) -> Result<bool, StoreError> {
        self.blocking(move |inner| inner.seed_departments(&specs)).await
    }

    async fn put_department(
        &self,
        was: Option<String>,
        spec: crate::config::DepartmentSpec,
        audit: Option<AuditLine<crate::store::DepartmentChange>>,
    ) -> Result<crate::store::DepartmentPut, StoreError> {
        self.blocking(move |inner| inner.put_department(was, spec, audit)).await
    }

    async fn put_meter(
        &self,
        spec: MeterSpec,
        meter: Meter,
        audit: Option<AuditLine<MeterChange>>,
    ) -> Result<MeterChange, StoreError> {
        self.blocking(move |inner| inner.put_meter(spec, &meter, audit)).await
    }

    async fn record_staffing(
        &self,
        change: crate::config::StaffingChange,
        by: String,
        audit: Option<AuditLine<crate::store::StaffingRecord>>,
    ) -> Result<crate::store::StaffingRecord, StoreError> {
        self.blocking(move |inner| inner.record_staffing(change, by, audit)).await
    }

    async fn record_calendar_year(
        &self,
        days: crate::domain::YearDays,
        by: String,
        audit: Option<AuditLine<crate::store::CalendarYearRecord>>,
    ) -> Result<crate::store::CalendarYearRecord, StoreError> {
        self.blocking(move |inner| inner.record_calendar_year(days, by, audit)).await
    }

    async fn record_supply_norm(
        &self,
        resource: crate::domain::SupplyId,
        norm: crate::domain::Norm,
        by: String,
        audit: Option<AuditLine<crate::store::SupplyNormRecord>>,
    ) -> Result<crate::store::SupplyNormRecord, StoreError> {
        self.blocking(move |inner| inner.record_supply_norm(resource, norm, by, audit)).await
    }

    async fn record_supply_price(
        &self,
        resource: crate::domain::SupplyId,
        item: crate::domain::ItemId,
        price: crate::domain::Price,
        note: String,
        by: String,
        audit: Option<AuditLine<crate::store::SupplyPriceRecord>>,
    ) -> Result<crate::store::SupplyPriceRecord, StoreError> {
        self.blocking(move |inner| inner.record_supply_price(resource, item, price, note, by, audit)).await
    }

    async fn record_tariff(
        &self,
        tariff: crate::config::Tariff,
        by: String,
        audit: Option<AuditLine<crate::store::TariffRecord>>,
    ) -> Result<crate::store::TariffRecord, StoreError> {
        self.blocking(move |inner| inner.record_tariff(tariff, by, audit)).await
    }

    async fn record_factor(
        &self,
        factor: crate::config::EmissionFactor,
        by: String,
        audit: Option<AuditLine<crate::store::FactorRecord>>,
    ) -> Result<crate::store::FactorRecord, StoreError> {
        self.blocking(move |inner| inner.record_factor(factor, by, audit)).await
    }

    async fn retire_meter(
        &self,
        id: MeterId,
        from: Option<jiff::civil::Date>,
        audit: Option<AuditLine<MeterChange>>,
    ) -> Result<Option<MeterChange>, StoreError> {
        self.blocking(move |inner| inner.retire_meter(&id, from, audit)).await
    }

    async fn thin_readings(&self, before: jiff::Timestamp) -> Result<Thinned, StoreError> {
        self.blocking(move |inner| inner.thin(super::ms(before))).await
    }
}

/// Add a change's audit line, if it has one, inside the change's transaction.
fn audit_in<R>(tx: &rusqlite::Transaction<'_>, audit: Option<AuditLine<R>>, outcome: &R) -> Result<(), StoreError> {
    if let Some(line) = audit {
        line.insert(tx, outcome)?;
    }
    Ok(())
}
