//! Consumption series: which meters count towards a figure, and how stored hours or days fall
//! into the buckets a chart or the API asks for.

use std::collections::HashSet;

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::period::{PeriodError, Step, TimeRange, local_rfc3339};
use crate::domain::{DepartmentId, Meter, MeterId, Resource};

/// The meters whose consumption adds up to a resource's figure, for the whole office or one
/// department. A meter whose parent is also selected is left out: the parent already measured
/// what it used, and counting both would count it twice.
pub fn select_meters(meters: &[Meter], resource: Resource, department: Option<&DepartmentId>) -> Vec<MeterId> {
    let chosen: Vec<&Meter> = meters
        .iter()
        .filter(|m| m.resource == resource)
        .filter(|m| department.is_none() || m.department.as_ref() == department)
        .collect();
    let ids: HashSet<&MeterId> = chosen.iter().map(|m| &m.id).collect();
    chosen.iter().filter(|m| !has_selected_ancestor(m, meters, &ids)).map(|m| m.id.clone()).collect()
}

fn has_selected_ancestor(meter: &Meter, meters: &[Meter], selected: &HashSet<&MeterId>) -> bool {
    let mut parent = meter.parent.as_ref();
    // The config refuses cycles; the bound only guards against a bug turning into a hang.
    for _ in 0..meters.len() {
        let Some(id) = parent else { return false };
        if selected.contains(id) {
            return true;
        }
        parent = meters.iter().find(|m| &m.id == id).and_then(|m| m.parent.as_ref());
    }
    false
}

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    #[serde(skip)]
    pub start: Timestamp,
    /// `start` in the office's time zone, as RFC 3339: 2026-11-01T00:00:00+07:00.
    #[serde(rename = "start")]
    pub start_local: String,
    pub value: f64,
}

/// A resource's consumption over a range, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub resource: Resource,
    pub unit: &'static str,
    pub step: Step,
    pub from: String,
    pub to: String,
    pub total: f64,
    pub series: Vec<Bucket>,
}

/// Sum stored rows `(start in ms, amount)` into the range's buckets at `step`.
pub fn into_buckets(
    range: &TimeRange,
    step: Step,
    tz: &jiff::tz::TimeZone,
    rows: &[(i64, f64)],
) -> Result<Vec<Bucket>, PeriodError> {
    let bounds = range.buckets(step, tz)?;
    let starts: Vec<i64> = bounds.iter().map(|(s, _)| s.as_millisecond()).collect();
    let mut values = vec![0.0; bounds.len()];
    for &(start, amount) in rows {
        if start < range.from_ms() || start >= range.to_ms() {
            continue;
        }
        let index = starts.partition_point(|&s| s <= start).saturating_sub(1);
        values[index] += amount;
    }
    Ok(bounds
        .into_iter()
        .zip(values)
        .map(|((start, _), value)| Bucket { start, start_local: local_rfc3339(start, tz), value })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(id: &str, dept: Option<&str>, parent: Option<&str>) -> Meter {
        Meter {
            department: dept.map(|d| d.parse().unwrap()),
            parent: parent.map(|p| p.parse().unwrap()),
            ..Meter::test_counter(id)
        }
    }

    #[test]
    fn the_office_counts_the_main_meter_not_its_sub_meters_twice() {
        let meters = vec![
            meter("main", None, None),
            meter("a", Some("dept-a"), Some("main")),
            meter("b", Some("dept-b"), Some("main")),
            meter("annex", None, None),
        ];
        let office = select_meters(&meters, Resource::Electricity, None);
        assert_eq!(office.iter().map(|m| m.as_str()).collect::<Vec<_>>(), vec!["main", "annex"]);
        let dept_a = select_meters(&meters, Resource::Electricity, Some(&"dept-a".parse().unwrap()));
        assert_eq!(dept_a.iter().map(|m| m.as_str()).collect::<Vec<_>>(), vec!["a"]);
        assert!(select_meters(&meters, Resource::Water, None).is_empty());
    }
}
