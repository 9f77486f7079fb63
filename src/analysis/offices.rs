//! The province's view: every office the store holds, each resource's consumption over a
//! period next to the same period a year earlier, and each office's departments.
//!
//! The InfluxDB backend holds many offices and answers with every meter's total; the embedded
//! store holds only this office, whose meter totals come from its own consumption. Both go
//! through the same rule as the office's own figures: a meter whose parent is counted is not
//! counted again.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::figures::FigureError;
use crate::config::Config;
use crate::domain::Resource;
use crate::domain::period::{NamedPeriod, TimeRange};
use crate::store::{MeterTotal, Resolution, StoreReads};

/// One resource's consumption over the period and the same period a year earlier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceFigure {
    pub resource: Resource,
    pub unit: &'static str,
    pub amount: f64,
    /// `None` for a phase of the movement, which has no year before it to compare with.
    pub last_year: Option<f64>,
    /// The change against last year, in percent; `None` without last year's figure or when
    /// it was zero.
    pub change_percent: Option<f64>,
}

/// A department of an office: its id as tagged, and its name when it is this office's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentFigures {
    pub department: String,
    pub name: Option<String>,
    pub resources: Vec<ResourceFigure>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeFigures {
    pub office: String,
    /// Known for this office only: the store keeps other offices' ids, not their names.
    pub name: Option<String>,
    pub this_office: bool,
    pub resources: Vec<ResourceFigure>,
    pub departments: Vec<DepartmentFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeComparison {
    pub period: NamedPeriod,
    /// Whether the store can hold other offices (InfluxDB) or only this one (SQLite).
    pub shared_store: bool,
    pub offices: Vec<OfficeFigures>,
}

pub async fn compare(
    store: &dyn StoreReads,
    config: &Config,
    period: &NamedPeriod,
) -> Result<OfficeComparison, FigureError> {
    let tz = &config.office.timezone;
    let (now, shared_store) = meter_totals(store, config, period.range(tz)?).await?;
    let before = match period.previous_year() {
        Some(previous) => Some(meter_totals(store, config, previous.range(tz)?).await?.0),
        None => None,
    };
    let this_office = this_office_id(config);
    let mut offices: BTreeMap<&str, Vec<&MeterTotal>> = BTreeMap::new();
    for total in &now {
        offices.entry(total.office.as_str()).or_default().push(total);
    }
    // An office with readings last year and none this period still belongs in the table.
    for total in before.iter().flatten() {
        offices.entry(total.office.as_str()).or_default();
    }
    offices.entry(this_office).or_default();

    let figures = offices
        .keys()
        .map(|office| {
            let of_office =
                |totals: &[MeterTotal]| totals.iter().filter(|t| t.office == *office).cloned().collect::<Vec<_>>();
            let current = of_office(&now);
            let earlier = before.as_deref().map(of_office);
            let departments = departments_of(&current, earlier.as_deref())
                .into_iter()
                .map(|department| DepartmentFigures {
                    name: (*office == this_office)
                        .then(|| {
                            config.departments.iter().find(|d| d.id.as_str() == department).map(|d| d.name.clone())
                        })
                        .flatten(),
                    resources: resource_figures(&current, earlier.as_deref(), Some(&department)),
                    department,
                })
                .collect();
            OfficeFigures {
                office: office.to_string(),
                name: (*office == this_office).then(|| config.office.name.clone()),
                this_office: *office == this_office,
                resources: resource_figures(&current, earlier.as_deref(), None),
                departments,
            }
        })
        .collect();
    Ok(OfficeComparison { period: *period, shared_store, offices: figures })
}

/// The office's id as the comparison lists it: `[office] id`, which an office on the embedded
/// store need not set.
fn this_office_id(config: &Config) -> &str {
    config.office.id.as_ref().map_or(UNNAMED_OFFICE, |id| id.as_str())
}

/// The id shown for an office whose config gives none.
const UNNAMED_OFFICE: &str = "van-phong";

/// Every meter's total over `range`: from the store when it holds several offices, else
/// this office's meters from its own consumption.
async fn meter_totals(
    store: &dyn StoreReads,
    config: &Config,
    range: TimeRange,
) -> Result<(Vec<MeterTotal>, bool), FigureError> {
    if let Some(totals) = store.meter_totals(range).await? {
        return Ok((totals, true));
    }
    let mut totals = Vec::with_capacity(config.meters.len());
    for meter in &config.meters {
        let rows = store.consumption(vec![meter.id.clone()], range, Resolution::Day).await?;
        totals.push(MeterTotal {
            office: this_office_id(config).to_owned(),
            meter: meter.id.as_str().to_owned(),
            resource: meter.resource,
            department: meter.department.as_ref().map(|d| d.as_str().to_owned()),
            parent: meter.parent.as_ref().map(|p| p.as_str().to_owned()),
            amount: rows.iter().map(|(_, amount)| amount).sum(),
        });
    }
    Ok((totals, false))
}

fn departments_of(current: &[MeterTotal], earlier: Option<&[MeterTotal]>) -> Vec<String> {
    let mut departments: Vec<String> =
        current.iter().chain(earlier.into_iter().flatten()).filter_map(|t| t.department.clone()).collect();
    departments.sort();
    departments.dedup();
    departments
}

fn resource_figures(
    current: &[MeterTotal],
    earlier: Option<&[MeterTotal]>,
    department: Option<&str>,
) -> Vec<ResourceFigure> {
    Resource::ALL
        .into_iter()
        .map(|resource| {
            let amount = counted_sum(current, resource, department);
            let last_year = earlier.map(|e| counted_sum(e, resource, department));
            let change_percent = last_year.filter(|l| *l != 0.0).map(|l| 100.0 * (amount - l) / l);
            ResourceFigure {
                resource,
                unit: resource.canonical_unit().config_name(),
                amount,
                last_year,
                change_percent,
            }
        })
        .collect()
}

/// The sum over one office's meters of a resource (of one department), leaving out a meter
/// whose parent, or a parent's parent, is counted too.
fn counted_sum(totals: &[MeterTotal], resource: Resource, department: Option<&str>) -> f64 {
    let chosen: HashMap<&str, &MeterTotal> = totals
        .iter()
        .filter(|t| t.resource == resource && (department.is_none() || t.department.as_deref() == department))
        .map(|t| (t.meter.as_str(), t))
        .collect();
    let parents: HashMap<&str, Option<&str>> = totals.iter().map(|t| (t.meter.as_str(), t.parent.as_deref())).collect();
    chosen
        .values()
        .filter(|t| {
            let mut parent = t.parent.as_deref();
            // Bounded: tags written by another office's Xanh could, in principle, form a loop.
            for _ in 0..parents.len() {
                let Some(id) = parent else { return true };
                if chosen.contains_key(id) {
                    return false;
                }
                parent = parents.get(id).copied().flatten();
            }
            true
        })
        .map(|t| t.amount)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(
        meter: &str,
        resource: Resource,
        department: Option<&str>,
        parent: Option<&str>,
        amount: f64,
    ) -> MeterTotal {
        MeterTotal {
            office: "so-tai-chinh".into(),
            meter: meter.into(),
            resource,
            department: department.map(Into::into),
            parent: parent.map(Into::into),
            amount,
        }
    }

    #[test]
    fn a_sub_meter_counts_for_its_department_but_not_again_for_the_office() {
        let totals = [
            total("dien-tong", Resource::Electricity, None, None, 1000.0),
            total("dien-a", Resource::Electricity, Some("phong-a"), Some("dien-tong"), 300.0),
            total("dien-a-tang2", Resource::Electricity, Some("phong-a"), Some("dien-a"), 100.0),
            total("dien-b", Resource::Electricity, Some("phong-b"), Some("dien-tong"), 200.0),
            total("nuoc-tong", Resource::Water, None, None, 40.0),
        ];
        assert_eq!(counted_sum(&totals, Resource::Electricity, None), 1000.0);
        // dien-a-tang2 is inside dien-a, which phong-a already counts.
        assert_eq!(counted_sum(&totals, Resource::Electricity, Some("phong-a")), 300.0);
        assert_eq!(counted_sum(&totals, Resource::Electricity, Some("phong-b")), 200.0);
        assert_eq!(counted_sum(&totals, Resource::Water, None), 40.0);
        assert_eq!(counted_sum(&totals, Resource::Paper, None), 0.0);
    }

    #[test]
    fn a_parent_loop_in_foreign_tags_ends() {
        let totals =
            [total("a", Resource::Water, None, Some("b"), 1.0), total("b", Resource::Water, None, Some("a"), 2.0)];
        // Each one's parent is counted, so neither is: the loop must not hang.
        assert_eq!(counted_sum(&totals, Resource::Water, None), 0.0);
    }

    #[test]
    fn the_change_is_against_last_year_and_absent_without_it() {
        let now = [total("nuoc-tong", Resource::Water, None, None, 90.0)];
        let before = [total("nuoc-tong", Resource::Water, None, None, 100.0)];
        let water = |figures: Vec<ResourceFigure>| figures.into_iter().find(|f| f.resource == Resource::Water).unwrap();
        let compared = water(resource_figures(&now, Some(&before), None));
        assert_eq!((compared.amount, compared.last_year), (90.0, Some(100.0)));
        assert!((compared.change_percent.unwrap() - -10.0).abs() < 1e-9);
        let alone = water(resource_figures(&now, None, None));
        assert_eq!((alone.last_year, alone.change_percent), (None, None));
        let from_zero = water(resource_figures(&now, Some(&[]), None));
        assert_eq!((from_zero.last_year, from_zero.change_percent), (Some(0.0), None));
    }
}
