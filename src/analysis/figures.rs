//! The consumption figures the pages, the API and the exports all show, from one place so
//! that they always agree.

use crate::config::Config;
use crate::domain::{DepartmentId, MeterId, Resource};
use crate::store::{FigureKey, Resolution, StoreError, StoreReads};

use super::series::{Bucket, Series, into_buckets, select_meters};
use crate::domain::period::local_rfc3339;
use crate::domain::period::{PeriodError, Step, TimeRange};

/// What to total: a resource, for the office, one department or one meter.
#[derive(Debug, Clone)]
pub struct ConsumptionQuery {
    pub resource: Resource,
    pub department: Option<DepartmentId>,
    pub meter: Option<MeterId>,
    pub range: TimeRange,
    pub step: Step,
}

#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// The question cannot be answered as asked; the message says how to ask it.
    #[error("{0}")]
    BadQuery(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PeriodError> for FigureError {
    fn from(e: PeriodError) -> Self {
        FigureError::BadQuery(e.0)
    }
}

pub async fn consumption(
    store: &dyn StoreReads,
    config: &Config,
    query: &ConsumptionQuery,
) -> Result<Series, FigureError> {
    let tz = &config.office.timezone;
    let meters = match &query.meter {
        Some(id) => {
            let meter = config.meter(id).ok_or_else(|| {
                FigureError::BadQuery(format!("no meter `{id}` is configured: see /api/v1/meters for the ids"))
            })?;
            if meter.resource != query.resource {
                return Err(FigureError::BadQuery(format!(
                    "meter `{id}` measures {}, not {}: send resource={}",
                    meter.resource, query.resource, meter.resource
                )));
            }
            if query.department.as_ref().is_some_and(|d| meter.department.as_ref() != Some(d)) {
                return Err(FigureError::BadQuery(format!(
                    "meter `{id}` does not belong to that department: leave department out or pick one of its meters"
                )));
            }
            vec![id.clone()]
        }
        None => {
            if let Some(d) = &query.department
                && config.department(d).is_none()
            {
                return Err(FigureError::BadQuery(format!(
                    "no department `{d}` is configured: use one of {}",
                    config.departments.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            select_meters(&config.meters, query.resource, query.department.as_ref())
        }
    };
    // Daily rollups answer whole-day questions quickly; anything finer needs hours.
    let resolution =
        if query.step != Step::Hour && query.range.is_whole_days(tz) { Resolution::Day } else { Resolution::Hour };
    let series = buckets(store, meters, query, resolution, tz).await?;
    let total = series.iter().map(|b| b.value).sum();
    Ok(Series {
        resource: query.resource,
        unit: query.resource.canonical_unit().config_name(),
        step: query.step,
        from: local_rfc3339(query.range.from(), tz),
        to: local_rfc3339(query.range.to(), tz),
        total,
        series,
    })
}

/// The buckets of a query, kept between requests while no write touches their meters and
/// range: a year of a department's days is read once, not at every page.
async fn buckets(
    store: &dyn StoreReads,
    meters: Vec<MeterId>,
    query: &ConsumptionQuery,
    resolution: Resolution,
    tz: &jiff::tz::TimeZone,
) -> Result<Vec<Bucket>, FigureError> {
    let feed = store.change_feed();
    let key = FigureKey::new("buckets", meters, query.range, query.step, resolution);
    if let Some(kept) = feed.and_then(|f| f.get::<Vec<Bucket>>(&key)) {
        return Ok(kept.as_ref().clone());
    }
    // Check the bucket count before asking the store for rows.
    query.range.buckets(query.step, tz)?;
    let version = feed.map(|f| f.version());
    let rows = store.consumption(key.meters.clone(), query.range, resolution).await?;
    let buckets = into_buckets(&query.range, query.step, tz, &rows)?;
    if let (Some(feed), Some(version)) = (feed, version) {
        feed.put(key, version, buckets.clone(), buckets.len());
    }
    Ok(buckets)
}
