//! The figures of the signed report for a period: the office against its targets, the
//! departments compared, the waste found, the data's quality, the electronic-document share
//! and the council's scores. Each part comes from the same function the dashboard and the API
//! call, so the report cannot disagree with them.

use jiff::Timestamp;

use super::compare::{DepartmentTable, department_table};
use super::documents::{self, DocumentShare};
use super::figures::FigureError;
use super::progress::{Progress, ProgressQuery, progress_with};
use super::score_report::{ScoreReport, scores};
use super::waste::{self, NightLoad, TimeSplit};
use crate::config::Config;
use crate::domain::period::NamedPeriod;
use crate::domain::{Resource, TimeRange};
use crate::store::{Resolution, StoreReads};

/// Use outside working time and at night, for one resource over the whole office.
#[derive(Debug, Clone, PartialEq)]
pub struct WasteFound {
    pub resource: Resource,
    pub split: TimeSplit,
    pub night: Option<NightLoad>,
    /// Water only: meters that never stop at night (a leak or a running tap).
    pub leaking_meters: Vec<String>,
}

/// How complete and how clean the period's data is, for one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct DataQuality {
    pub resource: Resource,
    pub meters: usize,
    /// Whole days of the period so far on which a meter of the resource gave no figure,
    /// counted per meter.
    pub missing_meter_days: u64,
}

/// The figures of the report for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodReport {
    pub period: NamedPeriod,
    /// Electricity, water, paper for the whole office.
    pub office: Vec<Progress>,
    /// Electricity, water, paper.
    pub departments: Vec<DepartmentTable>,
    /// Electricity and water; empty for a period longer than the waste figures cover.
    pub waste: Vec<WasteFound>,
    /// Electricity and water.
    pub quality: Vec<DataQuality>,
    /// Readings held for review (an unlikely jump) received in the period and not yet decided.
    pub held_readings: u64,
    /// Readings corrected by hand whose time falls in the period.
    pub corrected_readings: u64,
    /// The whole office's share.
    pub documents: DocumentShare,
    pub scores: ScoreReport,
}

/// Gather the report's figures for `period` with the plan in force now.
pub async fn period_report(
    store: &dyn StoreReads,
    config: &Config,
    period: &NamedPeriod,
    now: Timestamp,
) -> Result<PeriodReport, FigureError> {
    let plan = super::plan_in_force::in_force(store, config).await?;
    let tz = &config.office.timezone;
    let range = period.range(tz)?;
    let mut office = Vec::new();
    let mut departments = Vec::new();
    for resource in Resource::ALL {
        let query = ProgressQuery { resource, department: None, period: *period };
        office.push(progress_with(store, config, &plan, &query, now).await?);
        departments.push(department_table(store, config, resource, range).await?);
    }
    let mut found = Vec::new();
    if range.to_ms() - range.from_ms() <= waste::MAX_DAYS * 24 * 3_600_000 {
        for resource in [Resource::Electricity, Resource::Water] {
            let hours = waste::hourly(store, config, resource, None, range).await?;
            let figures = waste::waste(store, config, resource, None, range, &hours).await?;
            found.push(WasteFound {
                resource,
                split: figures.split,
                night: figures.night,
                leaking_meters: figures.never_stop.iter().map(|m| m.meter.to_string()).collect(),
            });
        }
    }
    let mut quality = Vec::new();
    // Paper is counted when a ream is opened, not every day: a day without a figure is normal.
    for resource in [Resource::Electricity, Resource::Water] {
        quality.push(data_quality(store, config, resource, range, now).await?);
    }
    let held_readings = store.held_count(range).await?;
    let corrected_readings = store.corrections_count(range).await?;
    let documents = documents::shares(store, config, period, now)
        .await?
        .pop()
        .ok_or_else(|| FigureError::BadQuery("no document share for the office".into()))?;
    let scores = scores(store, config, &plan, period, now).await?;
    Ok(PeriodReport {
        period: *period,
        office,
        departments,
        waste: found,
        quality,
        held_readings,
        corrected_readings,
        documents,
        scores,
    })
}

/// The meter-days without a figure, over the whole days of the period before today.
async fn data_quality(
    store: &dyn StoreReads,
    config: &Config,
    resource: Resource,
    range: TimeRange,
    now: Timestamp,
) -> Result<DataQuality, FigureError> {
    let tz = &config.office.timezone;
    let mut all: Vec<_> = config.meters.iter().filter(|m| m.resource == resource).map(|m| m.id.clone()).collect();
    all.sort();
    all.dedup();
    let today = crate::domain::period::day_start(now, tz);
    let end = range.to().min(today);
    let mut missing = 0;
    if end > range.from() {
        let elapsed = TimeRange::new(range.from(), end)?;
        let days = elapsed.buckets(crate::domain::Step::Day, tz)?.len() as u64;
        for meter in &all {
            let rows = store.consumption(vec![meter.clone()], elapsed, Resolution::Day).await?;
            let with_figure = rows.iter().map(|(start, _)| *start).collect::<std::collections::BTreeSet<_>>().len();
            missing += days.saturating_sub(with_figure as u64);
        }
    }
    Ok(DataQuality { resource, meters: all.len(), missing_meter_days: missing })
}
