//! A configured resource's use over a range, by hour, day or month, from its slips: what
//! `/api/v1/consumption?resource=<id>` answers for stationery, toner or fuel. A slip counts at
//! the start of its local day.

use serde::Serialize;

use super::figures::FigureError;
use super::series::{Bucket, into_buckets};
use crate::config::Config;
use crate::domain::period::local_rfc3339;
use crate::domain::{DepartmentId, Measure, Step, Supply, SupplyId, TimeRange};
use crate::store::StoreReads;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplySeries {
    pub resource: SupplyId,
    pub name_vi: String,
    pub name_en: String,
    /// The resource's unit: each bucket's value is its quantity or its value in VND, as the
    /// resource's measure says.
    pub unit: String,
    pub measure: Measure,
    pub step: Step,
    pub from: String,
    pub to: String,
    pub total: f64,
    /// The slips' value over the range, whatever the measure.
    pub value_vnd: f64,
    pub series: Vec<Bucket>,
}

pub async fn series(
    store: &dyn StoreReads,
    config: &Config,
    supply: &Supply,
    department: Option<&DepartmentId>,
    range: TimeRange,
    step: Step,
) -> Result<SupplySeries, FigureError> {
    if let Some(d) = department
        && config.department(d).is_none()
    {
        return Err(FigureError::BadQuery(format!(
            "no department `{d}` is configured: use one of {}",
            config.departments.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let tz = &config.office.timezone;
    // Check the bucket count before reading the slips.
    range.buckets(step, tz)?;
    let first = range.from().to_zoned(tz.clone()).date();
    let end = range.to().to_zoned(tz.clone());
    let last_exclusive = if end.time() == jiff::civil::Time::midnight() {
        end.date()
    } else {
        end.date().tomorrow().unwrap_or(end.date())
    };
    let lines = store.issued(first, last_exclusive).await?;
    let mine: Vec<_> = lines
        .iter()
        .filter(|l| l.line.resource == supply.id && department.is_none_or(|d| &l.department == d))
        .collect();
    let (mut amounts, mut values) = (Vec::with_capacity(mine.len()), Vec::with_capacity(mine.len()));
    for line in &mine {
        let day = line.date.to_zoned(tz.clone()).map_err(|e| FigureError::BadQuery(e.to_string()))?;
        let start = day.timestamp().as_millisecond();
        amounts.push((start, supply.amount(line.line.quantity, line.line.value_vnd)));
        values.push((start, line.line.value_vnd));
    }
    let series = into_buckets(&range, step, tz, &amounts)?;
    let value_vnd = into_buckets(&range, step, tz, &values)?.iter().map(|b| b.value).sum();
    Ok(SupplySeries {
        resource: supply.id.clone(),
        name_vi: supply.name_vi.clone(),
        name_en: supply.name_en.clone(),
        unit: supply.unit.clone(),
        measure: supply.measure,
        step,
        from: local_rfc3339(range.from(), tz),
        to: local_rfc3339(range.to(), tz),
        total: series.iter().map(|b| b.value).sum(),
        value_vnd,
        series,
    })
}
