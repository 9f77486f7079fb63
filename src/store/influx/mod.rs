//! The InfluxDB 2 backend: readings and hourly consumption go to InfluxDB as line protocol
//! (see [`line`]); everything else, and the journal the consumption is derived from, stays
//! in the embedded SQLite database.
//!
//! A write commits the readings, the consumption they change and the matching outbox rows in
//! one SQLite transaction, so a QoS 1 acknowledgement (sent when `write` returns) covers the
//! outbox too. The [`Drainer`] then sends the outbox to InfluxDB in order; while InfluxDB is
//! slow or down the rows wait, and the health report and the dashboard show the backlog.

mod flux;
pub mod line;
pub mod migrate;
mod outbox;
mod refs;

pub use outbox::{Drainer, OutboxSnapshot, OutboxStatus};

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use influxdb2::api::write::TimestampPrecision;
use influxdb2::models::WriteDataPoint;
use influxdb2::{Client, RequestError};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use tokio::sync::Notify;

use super::{
    AuditLine, DocumentRecord, IssuedLine, MeetingRecord, MeterStatus, MeterTotal, PlanEdit, PlanEditRecord,
    Resolution, RetryItem, Review, Reviewed, SlipRecord, SqliteStore, Store, StoreError, StoreReads, StoredReading,
    StoredRejection, WriteReport,
};
use crate::config::InfluxConfig;
use crate::domain::TimeRange;
use crate::domain::{
    Correction, CorrectionRecord, DocumentCount, Incoming, IssueSlip, MeetingCount, Meter, MeterId, Month, PricedLine,
};
use flux::FluxReader;
use outbox::{Outbox, OutboxWriter};

/// A client for the configured InfluxDB (its token in the `Authorization` header, request
/// bodies gzipped). The config has checked the URL, which the client would panic on.
pub fn connect(config: &InfluxConfig) -> Result<Client, StoreError> {
    influxdb2::ClientBuilder::new(config.url.as_str(), &config.org, &config.token)
        .gzip(true)
        .build()
        .map_err(|e| StoreError::Influx(format!("cannot build the client for {}: {e}", config.url)))
}

/// Why a batch was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteFailure {
    /// InfluxDB refused the batch itself (malformed lines, a field type conflict, points
    /// outside the retention, too large): sending it again cannot help.
    BadBatch(String),
    /// Unreachable, too slow, overloaded, or refusing the token or the bucket: worth trying
    /// again once InfluxDB (or its configuration) is back.
    Retry(String),
}

/// Post `lines` (line protocol, millisecond timestamps) to `bucket` as one gzipped request,
/// giving up after `timeout`.
pub async fn write_lines(
    client: &Client,
    bucket: &str,
    lines: Vec<String>,
    timeout: Duration,
) -> Result<(), WriteFailure> {
    let points = futures_util::stream::iter(lines.into_iter().map(Line));
    let write = client.write_with_precision(bucket, points, TimestampPrecision::Milliseconds);
    match tokio::time::timeout(timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(RequestError::Http { status, text })) => classify(status.as_u16(), &text),
        Ok(Err(e)) => Err(WriteFailure::Retry(e.to_string())),
        Err(_) => Err(WriteFailure::Retry(format!("no answer within {} s", timeout.as_secs()))),
    }
}

/// What an answer other than 204 means for the batch. The client counts any status but 204
/// as an error, so another 2xx is a success here.
fn classify(status: u16, text: &str) -> Result<(), WriteFailure> {
    let message = format!("HTTP {status}: {}", text.trim());
    match status {
        200..=299 => Ok(()),
        // InfluxDB 2: 400 a malformed line (nothing written); 413 the request is too large;
        // 422 some points refused (a field type conflict, outside the retention).
        400 | 413 | 422 => Err(WriteFailure::BadBatch(message)),
        // 401/403/404 (token, bucket), 429 and 5xx: the batch is fine, InfluxDB is not (yet).
        _ => Err(WriteFailure::Retry(message)),
    }
}

/// One line of line protocol, as the client's streaming, gzipping write wants it.
struct Line(String);

impl WriteDataPoint for Line {
    fn write_data_point_to<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        w.write_all(self.0.as_bytes())?;
        w.write_all(b"\n")
    }
}

/// The InfluxDB store: the embedded journal for everything, with an outbox to InfluxDB.
pub struct InfluxStore {
    journal: SqliteStore,
    /// What tags the journal's changes on their way to the outbox.
    sink: Arc<OutboxWriter>,
    outbox: Arc<Outbox>,
    client: Client,
    flux: FluxReader,
    config: InfluxConfig,
    status: Arc<OutboxStatus>,
    /// Tells the drainer that a write committed new rows.
    wake: Arc<Notify>,
}

impl InfluxStore {
    /// Open the embedded database at `config.path` with an outbox for these meters' points.
    /// Nothing is sent until [`InfluxStore::drainer`] runs.
    pub fn open(
        config: &InfluxConfig,
        tz: &TimeZone,
        timezone_name: &str,
        meters: &[Meter],
    ) -> Result<InfluxStore, StoreError> {
        let sink = Arc::new(OutboxWriter::new(&config.office, meters));
        let journal = SqliteStore::open_with_sink(&config.path, tz, timezone_name, meters, Some(sink.clone()))?;
        let outbox = Arc::new(Outbox::open(&config.path)?);
        let status = Arc::new(OutboxStatus::new(config.outbox_alert_after));
        outbox.show_backlog(&status)?;
        let client = connect(config)?;
        let flux = FluxReader::new(client.clone(), &config.bucket, config.office.as_str(), timezone_name);
        Ok(InfluxStore {
            journal,
            sink,
            outbox,
            client,
            flux,
            config: config.clone(),
            status,
            wake: Arc::new(Notify::new()),
        })
    }

    /// The outbox's status, kept current by the drainer.
    pub fn status(&self) -> Arc<OutboxStatus> {
        Arc::clone(&self.status)
    }

    /// The task that sends the outbox to InfluxDB; run it once, with the app's shutdown.
    pub fn drainer(&self) -> Drainer {
        Drainer {
            outbox: Arc::clone(&self.outbox),
            client: self.client.clone(),
            bucket: self.config.bucket.clone(),
            batch_size: self.config.batch_size,
            timeout: self.config.timeout,
            status: Arc::clone(&self.status),
            wake: Arc::clone(&self.wake),
        }
    }

    /// Whether InfluxDB answers `/ready` (InfluxDB 2 and VictoriaMetrics both answer 200).
    async fn ping(&self) -> Result<(), String> {
        let wait = self.config.timeout.min(Duration::from_secs(2));
        match tokio::time::timeout(wait, self.client.ready()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} s", wait.as_secs())),
        }
    }

    /// After a write: count the backlog at once, so that the health report never shows an
    /// empty outbox while the points of a committed write wait, and wake the drainer.
    async fn committed<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if result.is_ok() {
            let (outbox, status) = (Arc::clone(&self.outbox), Arc::clone(&self.status));
            match tokio::task::spawn_blocking(move || outbox.show_backlog(&status)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot count the InfluxDB outbox"),
                Err(e) => tracing::warn!(error = %e, "cannot count the InfluxDB outbox"),
            }
            self.wake.notify_one();
        }
        result
    }
}

#[async_trait]
impl StoreReads for InfluxStore {
    fn backend(&self) -> &'static str {
        "influxdb"
    }

    /// From InfluxDB, summed there into hours or local days. While InfluxDB does not answer,
    /// from the journal, which holds the same figures (and the points still in the outbox):
    /// the dashboard keeps working through an outage, its banner saying what waits.
    async fn consumption(
        &self,
        meters: Vec<MeterId>,
        range: TimeRange,
        resolution: Resolution,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        match self.flux.consumption(&meters, range, resolution).await {
            Ok(rows) => Ok(rows),
            Err(e) => {
                tracing::warn!(error = %e, "consumption read from the embedded journal: InfluxDB did not answer the query");
                self.status.read_from_journal();
                self.journal.consumption(meters, range, resolution).await
            }
        }
    }

    /// From the journal: it knows when each reading arrived and which readings a correction
    /// removed, neither of which InfluxDB's points can say.
    async fn meter_status(&self) -> Result<Vec<MeterStatus>, StoreError> {
        self.journal.meter_status().await
    }

    /// Every office's meters from InfluxDB, for the province's comparison.
    async fn meter_totals(&self, range: TimeRange) -> Result<Option<Vec<MeterTotal>>, StoreError> {
        self.flux.meter_totals(range).await.map(Some)
    }

    async fn rejected_page(
        &self,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<StoredRejection>, u64), StoreError> {
        self.journal.rejected_page(before_id, limit).await
    }

    async fn rejected_for_retry(&self, after_id: i64, limit: usize) -> Result<Vec<RetryItem>, StoreError> {
        self.journal.rejected_for_retry(after_id, limit).await
    }

    async fn corrections(&self, meter: Option<MeterId>, limit: usize) -> Result<Vec<CorrectionRecord>, StoreError> {
        self.journal.corrections(meter, limit).await
    }

    async fn held_count(&self, range: TimeRange) -> Result<u64, StoreError> {
        self.journal.held_count(range).await
    }

    async fn corrections_count(&self, range: TimeRange) -> Result<u64, StoreError> {
        self.journal.corrections_count(range).await
    }

    async fn readings(
        &self,
        meter: MeterId,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredReading>, StoreError> {
        self.journal.readings(meter, from_ms, to_ms, limit).await
    }

    async fn documents(&self, first: Month, last_exclusive: Month) -> Result<Vec<DocumentRecord>, StoreError> {
        self.journal.documents(first, last_exclusive).await
    }

    async fn meetings(&self, first: Month, last_exclusive: Month) -> Result<Vec<MeetingRecord>, StoreError> {
        self.journal.meetings(first, last_exclusive).await
    }

    async fn issued(&self, first: Date, last_exclusive: Date) -> Result<Vec<IssuedLine>, StoreError> {
        self.journal.issued(first, last_exclusive).await
    }

    async fn plan_edits(&self) -> Result<Vec<PlanEditRecord>, StoreError> {
        self.journal.plan_edits().await
    }

    async fn meter_setup(&self) -> Result<Vec<crate::store::MeterRecord>, StoreError> {
        self.journal.meter_setup().await
    }

    async fn department_setup(&self) -> Result<Vec<crate::config::DepartmentSpec>, StoreError> {
        self.journal.department_setup().await
    }

    async fn staffing_changes(&self) -> Result<Vec<crate::store::StaffingRecord>, StoreError> {
        self.journal.staffing_changes().await
    }

    async fn calendar_years(&self) -> Result<Vec<crate::store::CalendarYearRecord>, StoreError> {
        self.journal.calendar_years().await
    }

    async fn tariff_changes(&self) -> Result<Vec<crate::store::TariffRecord>, StoreError> {
        self.journal.tariff_changes().await
    }

    async fn supply_norm_changes(&self) -> Result<Vec<crate::store::SupplyNormRecord>, StoreError> {
        self.journal.supply_norm_changes().await
    }

    async fn supply_price_changes(&self) -> Result<Vec<crate::store::SupplyPriceRecord>, StoreError> {
        self.journal.supply_price_changes().await
    }

    async fn factor_changes(&self) -> Result<Vec<crate::store::FactorRecord>, StoreError> {
        self.journal.factor_changes().await
    }

    /// The embedded database must answer. InfluxDB is asked too, but its absence is no
    /// failure: the outbox holds its points, and the health report turns degraded when they
    /// have waited longer than `store.outbox_alert_s`.
    async fn check(&self) -> Result<(), StoreError> {
        self.journal.check().await?;
        let answered = self.ping().await;
        if let Err(e) = &answered {
            tracing::debug!(error = %e, "InfluxDB does not answer /ready");
        }
        self.status.set_reachable(answered.is_ok());
        Ok(())
    }
}

#[async_trait]
impl Store for InfluxStore {
    async fn write_audited(
        &self,
        batch: Vec<Incoming>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError> {
        let result = self.journal.write_audited(batch, audit).await;
        self.committed(result).await
    }

    async fn reprocess_audited(
        &self,
        retried: Vec<(i64, Vec<Incoming>)>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError> {
        let result = self.journal.reprocess_audited(retried, audit).await;
        self.committed(result).await
    }

    async fn correct(
        &self,
        correction: Correction,
        audit: Option<AuditLine<CorrectionRecord>>,
    ) -> Result<Option<CorrectionRecord>, StoreError> {
        let result = self.journal.correct(correction, audit).await;
        self.committed(result).await
    }

    async fn review(
        &self,
        items: Vec<(i64, Vec<Incoming>)>,
        review: Review,
        audit: Option<AuditLine<Reviewed>>,
    ) -> Result<Reviewed, StoreError> {
        let result = self.journal.review(items, review, audit).await;
        self.committed(result).await
    }

    async fn set_documents_grid(
        &self,
        counts: Vec<DocumentCount>,
        by: String,
        audit: Option<AuditLine<Vec<DocumentRecord>>>,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.journal.set_documents_grid(counts, by, audit).await
    }

    async fn set_documents(
        &self,
        count: DocumentCount,
        by: String,
        audit: Option<AuditLine<DocumentRecord>>,
    ) -> Result<DocumentRecord, StoreError> {
        self.journal.set_documents(count, by, audit).await
    }

    async fn set_meetings(
        &self,
        count: MeetingCount,
        by: String,
        audit: Option<AuditLine<MeetingRecord>>,
    ) -> Result<MeetingRecord, StoreError> {
        self.journal.set_meetings(count, by, audit).await
    }

    async fn record_slip(
        &self,
        slip: IssueSlip,
        lines: Vec<PricedLine>,
        by: String,
        audit: Option<AuditLine<SlipRecord>>,
    ) -> Result<SlipRecord, StoreError> {
        self.journal.record_slip(slip, lines, by, audit).await
    }

    async fn record_plan_edit(
        &self,
        edit: PlanEdit,
        audit: Option<AuditLine<PlanEditRecord>>,
    ) -> Result<PlanEditRecord, StoreError> {
        self.journal.record_plan_edit(edit, audit).await
    }

    /// The journal's rules, and the tags points are sent with.
    fn use_meters(&self, meters: &[crate::domain::Meter]) {
        self.journal.use_meters(meters);
        self.sink.use_meters(meters);
    }

    async fn seed_meters(&self, specs: Vec<crate::config::MeterSpec>) -> Result<bool, StoreError> {
        self.journal.seed_meters(specs).await
    }

    async fn seed_departments(&self, specs: Vec<crate::config::DepartmentSpec>) -> Result<bool, StoreError> {
        self.journal.seed_departments(specs).await
    }

    async fn put_department(
        &self,
        was: Option<String>,
        spec: crate::config::DepartmentSpec,
        audit: Option<AuditLine<crate::store::DepartmentChange>>,
    ) -> Result<crate::store::DepartmentPut, StoreError> {
        self.journal.put_department(was, spec, audit).await
    }

    async fn put_meter(
        &self,
        spec: crate::config::MeterSpec,
        meter: crate::domain::Meter,
        audit: Option<AuditLine<crate::store::MeterChange>>,
    ) -> Result<crate::store::MeterChange, StoreError> {
        let change = self.journal.put_meter(spec, meter.clone(), audit).await?;
        self.sink.use_meter(&meter);
        Ok(change)
    }

    async fn record_staffing(
        &self,
        change: crate::config::StaffingChange,
        by: String,
        audit: Option<AuditLine<crate::store::StaffingRecord>>,
    ) -> Result<crate::store::StaffingRecord, StoreError> {
        self.journal.record_staffing(change, by, audit).await
    }

    async fn record_calendar_year(
        &self,
        days: crate::domain::YearDays,
        by: String,
        audit: Option<AuditLine<crate::store::CalendarYearRecord>>,
    ) -> Result<crate::store::CalendarYearRecord, StoreError> {
        self.journal.record_calendar_year(days, by, audit).await
    }

    async fn record_supply_norm(
        &self,
        resource: crate::domain::SupplyId,
        norm: crate::domain::Norm,
        by: String,
        audit: Option<AuditLine<crate::store::SupplyNormRecord>>,
    ) -> Result<crate::store::SupplyNormRecord, StoreError> {
        self.journal.record_supply_norm(resource, norm, by, audit).await
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
        self.journal.record_supply_price(resource, item, price, note, by, audit).await
    }

    async fn record_tariff(
        &self,
        tariff: crate::config::Tariff,
        by: String,
        audit: Option<AuditLine<crate::store::TariffRecord>>,
    ) -> Result<crate::store::TariffRecord, StoreError> {
        self.journal.record_tariff(tariff, by, audit).await
    }

    async fn record_factor(
        &self,
        factor: crate::config::EmissionFactor,
        by: String,
        audit: Option<AuditLine<crate::store::FactorRecord>>,
    ) -> Result<crate::store::FactorRecord, StoreError> {
        self.journal.record_factor(factor, by, audit).await
    }

    async fn retire_meter(
        &self,
        id: crate::domain::MeterId,
        from: Option<jiff::civil::Date>,
        audit: Option<AuditLine<crate::store::MeterChange>>,
    ) -> Result<Option<crate::store::MeterChange>, StoreError> {
        self.journal.retire_meter(id, from, audit).await
    }

    /// Thins the journal's copy only: the raw points in InfluxDB follow the bucket's own
    /// retention period (docs/retention.md).
    async fn thin_readings(&self, before: jiff::Timestamp) -> Result<super::Thinned, StoreError> {
        self.journal.thin_readings(before).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_batch_is_told_from_an_influxdb_that_is_not_ready() {
        assert_eq!(classify(204, ""), Ok(()));
        assert_eq!(classify(200, "ok"), Ok(()));
        for bad in [400, 413, 422] {
            let verdict = classify(bad, "partial write: field type conflict\n");
            assert_eq!(verdict, Err(WriteFailure::BadBatch(format!("HTTP {bad}: partial write: field type conflict"))));
        }
        for later in [401, 403, 404, 408, 429, 500, 502, 503, 504] {
            assert!(matches!(classify(later, "x"), Err(WriteFailure::Retry(_))), "{later}");
        }
    }
}
