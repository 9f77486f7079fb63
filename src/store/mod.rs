//! The time-series store: readings, the hourly and daily consumption they imply, meter status
//! and rejected input. A trait, so that other backends (InfluxDB) can stand beside SQLite and
//! pass the same conformance tests.

pub mod accounts;
pub mod alert_recipients;
pub mod alerts;
pub mod announcements;
mod audit;
mod backup;
mod change_feed;
pub mod disk;
pub mod influx;
mod lock;
pub mod scheduled_reports;
mod sqlite;

pub use accounts::Accounts;
pub use alerts::AlertBook;
pub use audit::{Actor, AuditDetail, AuditLine};
pub use backup::{BackupFailure, BackupStatus, Restored, StoreSummary, backup, check, restore};
pub use change_feed::{ChangeFeed, ChangedHours, FigureKey, ForeignCheck};
pub use influx::{Drainer, InfluxStore, OutboxStatus};
pub use lock::ServiceLock;
pub use scheduled_reports::{KeptReport, ReportShelf};
pub use sqlite::{ChangeSink, Cursor, HistoryKind, HistoryPoint, SeriesChanges, SqliteStore, Thinned};

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

use crate::config::{Config, MeterSpec, StoreConfig};
use crate::domain::TimeRange;
use crate::domain::consumption::HOUR_MS;
use crate::domain::period::NamedPeriod;
use crate::domain::{
    Correction, CorrectionRecord, DepartmentId, DocumentCount, Incoming, IssueSlip, MeetingCount, Meter, MeterId,
    Month, Origin, PricedLine, RejectReason, Resource,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot open the store at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("the store cannot take writes now: {0}")]
    Unwritable(String),
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("the store's worker stopped: {0}")]
    Worker(String),
    #[error("the store holds a value this version cannot read: {0}")]
    Corrupt(String),
    #[error("InfluxDB: {0}")]
    Influx(String),
}

/// The configured store, open.
pub struct OpenStore {
    pub store: Arc<dyn Store>,
    /// With InfluxDB: the outbox's status and the task that sends it. Commands that write
    /// without serving (`xanh import`, `xanh simulate --into-store`) leave the drainer unrun:
    /// the points wait in the outbox for the running service (or its next start).
    pub outbox: Option<(Arc<OutboxStatus>, Drainer)>,
}

/// Open the store the config names: the whole store in SQLite, or InfluxDB with its journal.
pub fn open(config: &Config) -> Result<OpenStore, StoreError> {
    let office = &config.office;
    Ok(match &config.store {
        StoreConfig::Sqlite { path } => {
            let store = SqliteStore::open(path, &office.timezone, &office.timezone_name, &config.meters)?;
            OpenStore { store: Arc::new(store), outbox: None }
        }
        StoreConfig::Influx(influx) => {
            let store = InfluxStore::open(influx, &office.timezone, &office.timezone_name, &config.meters)?;
            let outbox = Some((store.status(), store.drainer()));
            OpenStore { store: Arc::new(store), outbox }
        }
    })
}

/// What one write did with its batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteReport {
    pub stored: usize,
    /// Readings the store already had (same meter, time and value): stored once.
    pub duplicates: usize,
    pub rejected: usize,
    /// What became of each item, in the order of the batch.
    #[serde(skip)]
    pub outcomes: Vec<Outcome>,
}

/// What a review decided: the items, and what storing the accepted ones did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reviewed {
    /// The items decided, in the order they were given.
    pub decided: Vec<i64>,
    pub report: WriteReport,
}

/// What became of one item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    Duplicate,
    Rejected { reason: RejectReason, detail: String },
}

/// The grain the store answers consumption queries at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    Hour,
    /// Local days in the office's time zone; only for ranges of whole local days.
    Day,
}

/// What the store knows of a meter's latest reading.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterStatus {
    pub meter: MeterId,
    pub last_ts: Option<Timestamp>,
    pub last_value: Option<f64>,
    /// When Xanh last received a reading from it.
    pub last_seen: Option<Timestamp>,
    pub readings: u64,
}

/// A refused piece of input as kept in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRejection {
    pub id: i64,
    pub received_at: Timestamp,
    pub source: String,
    pub topic: Option<String>,
    /// The payload as text (invalid UTF-8 shown with replacement characters).
    pub payload: String,
    pub meter: Option<String>,
    pub reason: String,
    pub detail: String,
}

/// A stored reading as listed for people checking a meter.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReading {
    pub ts: Timestamp,
    pub value: f64,
    pub period_start: Option<Timestamp>,
    pub source: String,
    pub entered_by: Option<String>,
    pub received_at: Timestamp,
    pub cost_vnd: Option<f64>,
}

/// A reviewer's decision on a held reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub accept: bool,
    pub by: String,
    pub reason: String,
}

/// A rejected item with what is needed to decode it again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryItem {
    pub id: i64,
    pub origin: Origin,
    /// The meter it was for, when that was known.
    pub meter: Option<MeterId>,
    /// Why it was rejected; `None` for a reason this version does not know.
    pub reason: Option<RejectReason>,
}

/// A department's document counts for a month as stored, with who entered them and when.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    pub count: DocumentCount,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// A department's meeting counts for a month as stored, with who entered them and when.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRecord {
    pub count: MeetingCount,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// An issue slip as stored: its lines priced on its date, who entered it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct SlipRecord {
    pub id: i64,
    pub slip: IssueSlip,
    pub lines: Vec<PricedLine>,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// One stored slip line with its slip's department and date, for figures.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedLine {
    pub slip: i64,
    pub department: DepartmentId,
    pub date: jiff::civil::Date,
    pub line: PricedLine,
}

/// A baseline or a target as the web app sets it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanValue {
    /// A baseline amount (kWh, m³, sheets) over the edit's period, entered by hand.
    Baseline {
        amount: f64,
        note: String,
    },
    Target {
        saving_percent: f64,
        stretch_percent: Option<f64>,
    },
}

/// A change to a baseline or a target made in the web app: `new` is `None` when the change
/// goes back to the config's value; `old` is what was in force before.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEdit {
    pub resource: Resource,
    /// `None`: the whole office.
    pub department: Option<DepartmentId>,
    /// A baseline's reference period; a target's period (`None`: every period).
    pub period: Option<NamedPeriod>,
    pub target: bool,
    pub old: Option<PlanValue>,
    pub new: Option<PlanValue>,
    pub by: String,
    pub reason: String,
}

/// A kept plan edit.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEditRecord {
    pub id: i64,
    pub at: Timestamp,
    pub edit: PlanEdit,
}

/// A meter as the store keeps it: its keys as text, and the local date it was retired from.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterRecord {
    pub spec: MeterSpec,
    pub retired_from: Option<jiff::civil::Date>,
}

/// A meter before and after a change made in the web app (`before`: `None` when added).
#[derive(Debug, Clone, PartialEq)]
pub struct MeterChange {
    pub before: Option<MeterRecord>,
    pub after: MeterRecord,
}

/// A department before and after a change made in the web app (`before`: `None` when added).
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentChange {
    pub before: Option<crate::config::DepartmentSpec>,
    pub after: crate::config::DepartmentSpec,
}

/// What the store did with a department sent to it.
#[derive(Debug, Clone, PartialEq)]
pub enum DepartmentPut {
    Kept(DepartmentChange),
    /// No department has the id of the one to change.
    NotFound,
    /// Another department has the id asked for.
    Exists,
    /// Its id stays: these hold it.
    IdHeld(Vec<DepartmentUse>),
}

/// What holds a department's id in the store.
#[derive(Debug, Clone, PartialEq)]
pub enum DepartmentUse {
    /// The meters of the department (their readings are its readings), by id.
    Meters(Vec<String>),
    Staffing,
    Documents,
    Meetings,
    IssueSlips,
    PlanEdits,
    AlertRecipients,
}

/// A headcount or floor area change as kept, with who entered it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffingRecord {
    pub id: i64,
    pub change: crate::config::StaffingChange,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// A year of the working calendar set in the web app, with who set it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarYearRecord {
    pub id: i64,
    pub days: crate::domain::YearDays,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// A price entered in the web app, with who entered it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct TariffRecord {
    pub id: i64,
    pub tariff: crate::config::Tariff,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// An item's price from a day on, entered in the web app, with who entered it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyPriceRecord {
    pub id: i64,
    pub resource: crate::domain::SupplyId,
    pub item: crate::domain::ItemId,
    pub price: crate::domain::Price,
    pub note: String,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// A configured resource's norm from a day on, entered in the web app, with who entered it and
/// when.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyNormRecord {
    pub id: i64,
    pub resource: crate::domain::SupplyId,
    pub norm: crate::domain::Norm,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// An emission factor entered in the web app, with who entered it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorRecord {
    pub id: i64,
    pub factor: crate::config::EmissionFactor,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// One meter's consumption over a range, as a store that holds several offices tags it.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterTotal {
    pub office: String,
    pub meter: String,
    pub resource: Resource,
    pub department: Option<String>,
    /// The meter above it, whose consumption already includes this one's.
    pub parent: Option<String>,
    pub amount: f64,
}

/// What the store can be asked. Everything that reads figures takes this, so it cannot change
/// anything; the web layer hands out the writing half only to the roles allowed to write.
#[async_trait]
pub trait StoreReads: Send + Sync + 'static {
    /// A short name for health reports: "sqlite".
    fn backend(&self) -> &'static str;

    /// Consumption rows `(start in ms, amount)` of these meters within `range`, one per meter
    /// and hour (or local day); the caller sums them.
    async fn consumption(
        &self,
        meters: Vec<MeterId>,
        range: TimeRange,
        resolution: Resolution,
    ) -> Result<Vec<(i64, f64)>, StoreError>;

    /// Each meter's total within `range` (as [`StoreReads::consumption`] summed meter by
    /// meter, in the order of its rows), in the order of `meters`: one question for many meters.
    async fn consumption_by_meter(
        &self,
        meters: Vec<MeterId>,
        range: TimeRange,
        resolution: Resolution,
    ) -> Result<Vec<(MeterId, f64)>, StoreError> {
        let mut totals = Vec::with_capacity(meters.len());
        for meter in meters {
            let rows = self.consumption(vec![meter.clone()], range, resolution).await?;
            totals.push((meter, rows.iter().map(|(_, amount)| amount).sum()));
        }
        Ok(totals)
    }

    /// The latest reading of every meter that has sent one.
    async fn meter_status(&self) -> Result<Vec<MeterStatus>, StoreError>;

    /// Rejected input not yet reprocessed, newest first, and how many there are in all.
    async fn rejected(&self, limit: usize) -> Result<(Vec<StoredRejection>, u64), StoreError> {
        self.rejected_page(None, limit).await
    }

    /// One page of [`StoreReads::rejected`]: the items with an id below `before_id` (all when
    /// `None`), newest first, and how many are waiting in all.
    async fn rejected_page(
        &self,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<StoredRejection>, u64), StoreError>;

    /// Rejected input not yet reprocessed with id above `after_id`, oldest first, with the
    /// raw payload, for a second attempt after the config was fixed.
    async fn rejected_for_retry(&self, after_id: i64, limit: usize) -> Result<Vec<RetryItem>, StoreError>;

    /// Corrections, newest first, of one meter or of all.
    async fn corrections(&self, meter: Option<MeterId>, limit: usize) -> Result<Vec<CorrectionRecord>, StoreError>;

    /// How many readings held for review (not yet decided) were received within `range`.
    async fn held_count(&self, range: TimeRange) -> Result<u64, StoreError>;

    /// How many corrections are of readings whose time falls within `range`.
    async fn corrections_count(&self, range: TimeRange) -> Result<u64, StoreError>;

    /// A meter's stored readings in `[from_ms, to_ms)`, newest first, at most `limit`.
    async fn readings(
        &self,
        meter: MeterId,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredReading>, StoreError>;

    /// For each `(meter, start_ms, end_ms)`, whether the meter's readings show its use through
    /// that span: a reading from an hour after the start to the end, one at or before the start
    /// and one at or after the end (the waste page's test of a measured night). One question for
    /// all spans: the default asks [`StoreReads::readings`] three times a span.
    async fn measured_through(&self, spans: Vec<(MeterId, i64, i64)>) -> Result<Vec<bool>, StoreError> {
        let mut measured = Vec::with_capacity(spans.len());
        for (meter, start_ms, end_ms) in spans {
            let mut found = true;
            for (from_ms, to_ms) in [(start_ms + HOUR_MS, end_ms), (i64::MIN, start_ms + 1), (end_ms, i64::MAX)] {
                if found {
                    found = !self.readings(meter.clone(), from_ms, to_ms, 1).await?.is_empty();
                }
            }
            measured.push(found);
        }
        Ok(measured)
    }

    /// Document counts of the months in `[first, last_exclusive)`, by month then department.
    async fn documents(&self, first: Month, last_exclusive: Month) -> Result<Vec<DocumentRecord>, StoreError>;

    /// Meeting counts of the months in `[first, last_exclusive)`, by month then department.
    async fn meetings(&self, first: Month, last_exclusive: Month) -> Result<Vec<MeetingRecord>, StoreError>;

    /// The lines of the issue slips dated in `[first, last_exclusive)`, by date then slip.
    async fn issued(
        &self,
        first: jiff::civil::Date,
        last_exclusive: jiff::civil::Date,
    ) -> Result<Vec<IssuedLine>, StoreError>;

    /// Every plan edit, oldest first.
    async fn plan_edits(&self) -> Result<Vec<PlanEditRecord>, StoreError>;

    /// The office's meters as the store keeps them, in the order they were added.
    async fn meter_setup(&self) -> Result<Vec<MeterRecord>, StoreError>;

    /// The office's departments as the store keeps them, in the order they were added.
    async fn department_setup(&self) -> Result<Vec<crate::config::DepartmentSpec>, StoreError>;

    /// Headcount and floor area changes entered in the web app, oldest first.
    async fn staffing_changes(&self) -> Result<Vec<StaffingRecord>, StoreError>;

    /// The years of the working calendar set in the web app, oldest first.
    async fn calendar_years(&self) -> Result<Vec<CalendarYearRecord>, StoreError>;

    /// The prices entered in the web app, oldest first.
    async fn tariff_changes(&self) -> Result<Vec<TariffRecord>, StoreError>;

    /// The item prices of the configured resources entered in the web app, oldest first.
    async fn supply_price_changes(&self) -> Result<Vec<SupplyPriceRecord>, StoreError>;

    /// The norms of the configured resources entered in the web app, oldest first.
    async fn supply_norm_changes(&self) -> Result<Vec<SupplyNormRecord>, StoreError>;

    /// The emission factors entered in the web app, oldest first.
    async fn factor_changes(&self) -> Result<Vec<FactorRecord>, StoreError>;

    /// Every meter's consumption over `range` in every office the store holds, or `None`
    /// when the store holds only this office (the embedded one).
    async fn meter_totals(&self, range: TimeRange) -> Result<Option<Vec<MeterTotal>>, StoreError>;

    /// A cheap round trip that proves the store answers and could take a write now.
    async fn check(&self) -> Result<(), StoreError>;

    /// What the store's writes change in the consumption series, for keeping figures between
    /// requests; `None`: the store cannot tell (figures are then read afresh every time).
    fn change_feed(&self) -> Option<&ChangeFeed> {
        None
    }
}

/// The store: what it can be asked, and the changes it makes durably. Each change can carry
/// the person's [`AuditLine`], which then commits in the change's own transaction: the change
/// and its line are kept together or not at all. Ingest's writes carry none.
#[async_trait]
pub trait Store: StoreReads {
    /// Durably store a batch: readings (a reading already held is counted as a duplicate,
    /// a different value at the same meter and time is rejected) and rejections. When this
    /// returns `Ok`, everything in the batch survives a crash.
    async fn write(&self, batch: Vec<Incoming>) -> Result<WriteReport, StoreError> {
        self.write_audited(batch, None).await
    }

    /// As [`Store::write`], with the audit line of the person who sent the batch.
    async fn write_audited(
        &self,
        batch: Vec<Incoming>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError>;

    /// Store what rejected items became on a second attempt and mark them reprocessed, in
    /// one transaction.
    async fn reprocess(&self, retried: Vec<(i64, Vec<Incoming>)>) -> Result<WriteReport, StoreError> {
        self.reprocess_audited(retried, None).await
    }

    /// As [`Store::reprocess`], with the audit line of the person who asked for it.
    async fn reprocess_audited(
        &self,
        retried: Vec<(i64, Vec<Incoming>)>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError>;

    /// Change or remove one stored reading, keep the correction, and recompute what the
    /// reading touched. `Ok(None)`: the meter has no reading at that time (and no audit line
    /// is written).
    async fn correct(
        &self,
        correction: Correction,
        audit: Option<AuditLine<CorrectionRecord>>,
    ) -> Result<Option<CorrectionRecord>, StoreError>;

    /// A person's decision, with one reason, on items held for review, or the dismissal
    /// (`accept: false`) of conflicting duplicates: each `(id, accepted)`, an accepted one
    /// stored from `accepted` (what it decodes to) without the plausibility check. All in one
    /// transaction with the audit line. An item not waiting for that decision is left out of
    /// [`Reviewed::decided`] (and no audit line is written when none was decided).
    async fn review(
        &self,
        items: Vec<(i64, Vec<Incoming>)>,
        review: Review,
        audit: Option<AuditLine<Reviewed>>,
    ) -> Result<Reviewed, StoreError>;

    /// Store several departments' and months' document counts in one transaction, replacing
    /// any counts they had: all of them or none.
    async fn set_documents_grid(
        &self,
        counts: Vec<DocumentCount>,
        by: String,
        audit: Option<AuditLine<Vec<DocumentRecord>>>,
    ) -> Result<Vec<DocumentRecord>, StoreError>;

    /// Store a department's document counts for a month, replacing any counts it had.
    async fn set_documents(
        &self,
        count: DocumentCount,
        by: String,
        audit: Option<AuditLine<DocumentRecord>>,
    ) -> Result<DocumentRecord, StoreError>;

    /// Store a department's meeting counts for a month, replacing any it had.
    async fn set_meetings(
        &self,
        count: MeetingCount,
        by: String,
        audit: Option<AuditLine<MeetingRecord>>,
    ) -> Result<MeetingRecord, StoreError>;

    /// Store an issue slip with its priced lines, whole, in one transaction.
    async fn record_slip(
        &self,
        slip: IssueSlip,
        lines: Vec<PricedLine>,
        by: String,
        audit: Option<AuditLine<SlipRecord>>,
    ) -> Result<SlipRecord, StoreError>;

    /// Keep a change to a baseline or a target.
    async fn record_plan_edit(
        &self,
        edit: PlanEdit,
        audit: Option<AuditLine<PlanEditRecord>>,
    ) -> Result<PlanEditRecord, StoreError>;

    /// Count readings by these meters' rules (kind, wrap-around, plausible rate) from now on:
    /// the setup in force once the store's own meters are read at start-up.
    fn use_meters(&self, meters: &[Meter]);

    /// Copy the config file's meters into a store that never held any (`true`); a store that
    /// holds them keeps its own (`false`).
    async fn seed_meters(&self, specs: Vec<MeterSpec>) -> Result<bool, StoreError>;

    /// Copy the config file's departments into a store that never held any (`true`); a store
    /// that holds them keeps its own (`false`).
    async fn seed_departments(&self, specs: Vec<crate::config::DepartmentSpec>) -> Result<bool, StoreError>;

    /// Add a department (`was`: `None`) or change the one with the id `was` (its id only while
    /// nothing holds it), with its audit line in the same transaction.
    async fn put_department(
        &self,
        was: Option<String>,
        spec: crate::config::DepartmentSpec,
        audit: Option<AuditLine<DepartmentChange>>,
    ) -> Result<DepartmentPut, StoreError>;

    /// Add a meter or change the one with its id; `meter` is `spec` as checked.
    async fn put_meter(
        &self,
        spec: MeterSpec,
        meter: Meter,
        audit: Option<AuditLine<MeterChange>>,
    ) -> Result<MeterChange, StoreError>;

    /// Keep a change of a department's headcount or floor area from a day on.
    async fn record_staffing(
        &self,
        change: crate::config::StaffingChange,
        by: String,
        audit: Option<AuditLine<StaffingRecord>>,
    ) -> Result<StaffingRecord, StoreError>;

    /// Keep a year of the working calendar, in the place of the year's days before.
    async fn record_calendar_year(
        &self,
        days: crate::domain::YearDays,
        by: String,
        audit: Option<AuditLine<CalendarYearRecord>>,
    ) -> Result<CalendarYearRecord, StoreError>;

    /// Keep a price of a resource from a day on.
    async fn record_tariff(
        &self,
        tariff: crate::config::Tariff,
        by: String,
        audit: Option<AuditLine<TariffRecord>>,
    ) -> Result<TariffRecord, StoreError>;

    /// Keep an item's price from a day on.
    async fn record_supply_price(
        &self,
        resource: crate::domain::SupplyId,
        item: crate::domain::ItemId,
        price: crate::domain::Price,
        note: String,
        by: String,
        audit: Option<AuditLine<SupplyPriceRecord>>,
    ) -> Result<SupplyPriceRecord, StoreError>;

    /// Keep a resource's norm from a day on.
    async fn record_supply_norm(
        &self,
        resource: crate::domain::SupplyId,
        norm: crate::domain::Norm,
        by: String,
        audit: Option<AuditLine<SupplyNormRecord>>,
    ) -> Result<SupplyNormRecord, StoreError>;

    /// Keep an emission factor of a resource from a year on.
    async fn record_factor(
        &self,
        factor: crate::config::EmissionFactor,
        by: String,
        audit: Option<AuditLine<FactorRecord>>,
    ) -> Result<FactorRecord, StoreError>;

    /// Retire a meter from a local date, or put it back in use (`None`); `Ok(None)`: no such
    /// meter.
    async fn retire_meter(
        &self,
        id: MeterId,
        from: Option<jiff::civil::Date>,
        audit: Option<AuditLine<MeterChange>>,
    ) -> Result<Option<MeterChange>, StoreError>;

    /// Retention: thin counters' raw readings older than `before` to what their hourly
    /// consumption needs (see `sqlite::retention`), a day of a meter per transaction. The
    /// consumption totals are never touched.
    async fn thin_readings(&self, before: Timestamp) -> Result<Thinned, StoreError>;
}

/// Times are stored as milliseconds since the Unix epoch.
fn ms(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

fn from_ms(value: i64) -> Timestamp {
    Timestamp::from_millisecond(value).unwrap_or(Timestamp::UNIX_EPOCH)
}
