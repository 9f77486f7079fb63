//! Departments (or meters) compared over a period: in all, per person and per m².

use super::staffing::average_size;
use serde::Serialize;

use super::common_area::{CommonArea, common_area, has_own_meter};
use super::figures::{self, ConsumptionQuery, FigureError};
use super::points;
use crate::config::Config;
use crate::domain::period::local_rfc3339;
use crate::domain::{DepartmentId, Resource};
use crate::domain::{Step, TimeRange};
use crate::store::StoreReads;

/// One department's (or meter's) use over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub id: String,
    pub name: String,
    pub total: f64,
    /// Departments only.
    pub per_person: Option<f64>,
    pub per_m2: Option<f64>,
    /// Whether a meter measures it: a department without a meter of its own for the
    /// resource has no figure ("chưa có công tơ riêng"), is not ranked and is not 0.
    pub has_meter: bool,
}

impl Ranked {
    /// The total, for what a meter measures.
    pub fn measured(&self) -> Option<f64> {
        self.has_meter.then_some(self.total)
    }
}

/// The departments' use of a resource over a period, ranked by total, with the common areas
/// and the office's total they add up to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentTable {
    pub resource: Resource,
    pub unit: &'static str,
    pub from: String,
    pub to: String,
    /// In the config's order; `rank` 1 for the largest total, `None` without a meter.
    pub departments: Vec<RankedDepartment>,
    /// `None` when no meter covers the whole building.
    pub common_area: Option<CommonArea>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedDepartment {
    pub department: String,
    pub name: String,
    pub has_meter: bool,
    /// `None`: no meter of its own ("chưa có công tơ riêng").
    pub total: Option<f64>,
    pub per_person: Option<f64>,
    pub per_m2: Option<f64>,
    pub rank: Option<usize>,
}

/// The departments' table for `range`: each department's total, the metered ones ranked.
pub async fn department_table(
    store: &dyn StoreReads,
    config: &Config,
    resource: Resource,
    range: TimeRange,
) -> Result<DepartmentTable, FigureError> {
    let ranked = departments(store, config, resource, range).await?;
    let totals: Vec<f64> = ranked.iter().filter_map(Ranked::measured).collect();
    let ranks = points::ranks(&totals);
    let mut next = ranks.into_iter();
    let departments = ranked
        .into_iter()
        .map(|r| RankedDepartment {
            rank: if r.has_meter { next.next() } else { None },
            total: r.measured(),
            department: r.id,
            name: r.name,
            has_meter: r.has_meter,
            per_person: r.per_person,
            per_m2: r.per_m2,
        })
        .collect();
    let tz = &config.office.timezone;
    Ok(DepartmentTable {
        resource,
        unit: resource.canonical_unit().config_name(),
        from: local_rfc3339(range.from(), tz),
        to: local_rfc3339(range.to(), tz),
        departments,
        common_area: common_area(store, config, resource, range).await?,
    })
}

/// Every department's use of `resource` over `range`, in the config's order.
pub async fn departments(
    store: &dyn StoreReads,
    config: &Config,
    resource: Resource,
    range: TimeRange,
) -> Result<Vec<Ranked>, FigureError> {
    let mut ranked = Vec::new();
    // Per person and per m² over the range's average headcount and area, changes included.
    let plan = super::plan_in_force::in_force(store, config).await?;
    for department in &config.departments {
        let (headcount, area_m2) = average_size(config, &plan, Some(&department.id), range.from(), range.to());
        let query = ConsumptionQuery {
            resource,
            department: Some(department.id.clone()),
            meter: None,
            range,
            step: Step::Month,
        };
        let has_meter = has_own_meter(config, resource, &department.id);
        let total = figures::consumption(store, config, &query).await?.total;
        ranked.push(Ranked {
            id: department.id.to_string(),
            name: department.name.clone(),
            total,
            per_person: (has_meter && headcount > 0.0).then(|| total / headcount),
            per_m2: (has_meter && area_m2 > 0.0).then(|| total / area_m2),
            has_meter,
        });
    }
    Ok(ranked)
}

/// Each meter of `resource` (of one department, or all), with its own use over `range`.
pub async fn meters(
    store: &dyn StoreReads,
    config: &Config,
    resource: Resource,
    department: Option<&DepartmentId>,
    range: TimeRange,
) -> Result<Vec<Ranked>, FigureError> {
    let mut ranked = Vec::new();
    let chosen = config
        .meters
        .iter()
        .filter(|m| m.resource == resource && (department.is_none() || m.department.as_ref() == department));
    for meter in chosen {
        let query =
            ConsumptionQuery { resource, department: None, meter: Some(meter.id.clone()), range, step: Step::Month };
        let total = figures::consumption(store, config, &query).await?.total;
        ranked.push(Ranked {
            id: meter.id.to_string(),
            name: meter.name.clone(),
            total,
            per_person: None,
            per_m2: None,
            has_meter: true,
        });
    }
    Ok(ranked)
}

/// Sort largest first by `key`; those without a value go last.
pub fn sort_by(ranked: &mut [Ranked], key: impl Fn(&Ranked) -> Option<f64>) {
    ranked.sort_by(|a, b| match (key(a), key(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(id: &str, total: f64, per_person: Option<f64>) -> Ranked {
        Ranked { id: id.into(), name: id.into(), total, per_person, per_m2: None, has_meter: true }
    }

    #[test]
    fn the_largest_comes_first_and_the_unknown_last() {
        let mut list = vec![ranked("a", 10.0, Some(1.0)), ranked("b", 5.0, None), ranked("c", 1.0, Some(2.0))];
        sort_by(&mut list, |r| r.per_person);
        assert_eq!(list.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["c", "a", "b"]);
        sort_by(&mut list, |r| Some(r.total));
        assert_eq!(list.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    }
}
