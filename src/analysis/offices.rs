//! The province's view: every office the store holds, each resource's consumption over a
//! period next to the same period a year earlier, and each office's departments.
//!
//! The InfluxDB backend holds many offices and answers with every meter's total; the embedded
//! store holds only this office, whose meter totals come from its own consumption. Both go
//! through the same rule as the office's own figures: a meter whose parent is counted is not
//! counted again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::figures::FigureError;
use super::progress::year_earlier;
use crate::config::Config;
use crate::domain::MeterId;
use crate::domain::Resource;
use crate::domain::consumption::floor_hour;
use crate::domain::period::local_rfc3339;
use crate::domain::period::{NamedPeriod, TimeRange};
use crate::store::{FigureKey, MeterTotal, Resolution, StoreReads};

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
    /// Whether a meter measures this resource here: a department without one of its own
    /// shows "chưa có công tơ riêng", not 0.
    pub metered: bool,
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
    /// Where the period's figures end: now (to the hour) while it runs, else its end.
    pub as_of: String,
    pub finished: bool,
    /// Where last year's figures end: the same point of last year's period, so that a period
    /// still running is compared like with like.
    pub last_year_as_of: Option<String>,
    /// Whether the store can hold other offices (InfluxDB) or only this one (SQLite).
    pub shared_store: bool,
    pub offices: Vec<OfficeFigures>,
}

pub async fn compare(
    store: &dyn StoreReads,
    config: &Config,
    period: &NamedPeriod,
    now: Timestamp,
) -> Result<OfficeComparison, FigureError> {
    let tz = &config.office.timezone;
    let range = period.range(tz)?;
    let now_hour = Timestamp::from_millisecond(floor_hour(now.as_millisecond())).unwrap_or(now);
    let as_of = now_hour.clamp(range.from(), range.to());
    let finished = as_of >= range.to();
    // A period not begun yet has nothing stored: it is compared whole, like a finished one.
    let whole = finished || as_of <= range.from();
    let until_now = if whole { range.to() } else { as_of };
    let (now, shared_store) = meter_totals(store, config, range.from(), until_now).await?;
    let mut last_year_as_of = None;
    let before = match period.previous_year() {
        Some(previous) => {
            let last = previous.range(tz)?;
            let until = if whole { last.to() } else { year_earlier(as_of, tz).clamp(last.from(), last.to()) };
            last_year_as_of = Some(local_rfc3339(until, tz));
            Some(meter_totals(store, config, last.from(), until).await?.0)
        }
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
            let (current, earlier) = (of_office(&now), before.as_deref().map(of_office));
            let names = departments_of(&current, earlier.as_deref());
            let (current, earlier) = (Counted::new(&current), earlier.as_deref().map(Counted::new));
            let mut departments: Vec<DepartmentFigures> = names
                .iter()
                .map(|department| DepartmentFigures {
                    name: (*office == this_office)
                        .then(|| {
                            config.departments.iter().find(|d| d.id.as_str() == department).map(|d| d.name.clone())
                        })
                        .flatten(),
                    resources: resource_figures(&current, earlier.as_ref(), Some(department)),
                    department: department.clone(),
                })
                .collect();
            if let Some(common) = common_areas(&current, earlier.as_ref(), &names) {
                departments.push(common);
            }
            OfficeFigures {
                office: office.to_string(),
                name: (*office == this_office).then(|| config.office.name.clone()),
                this_office: *office == this_office,
                resources: resource_figures(&current, earlier.as_ref(), None),
                departments,
            }
        })
        .collect();
    Ok(OfficeComparison {
        period: *period,
        as_of: local_rfc3339(as_of, tz),
        finished,
        last_year_as_of,
        shared_store,
        offices: figures,
    })
}

/// The office's id as the comparison lists it: `[office] id`, which an office on the embedded
/// store need not set.
fn this_office_id(config: &Config) -> &str {
    config.office.id.as_ref().map_or(UNNAMED_OFFICE, |id| id.as_str())
}

/// The id shown for an office whose config gives none.
const UNNAMED_OFFICE: &str = "van-phong";

/// Every meter's total over `[from, to)` (nothing when it is empty): from the store when it
/// holds several offices, else this office's meters from its own consumption.
async fn meter_totals(
    store: &dyn StoreReads,
    config: &Config,
    from: Timestamp,
    to: Timestamp,
) -> Result<(Vec<MeterTotal>, bool), FigureError> {
    let range = TimeRange::new(from, to)?;
    if let Some(totals) = store.meter_totals(range).await? {
        return Ok((totals, true));
    }
    let amounts = by_meter(store, config, range).await?;
    let mut totals = Vec::with_capacity(config.meters.len());
    for (meter, (_, amount)) in config.meters.iter().zip(amounts.iter()) {
        totals.push(MeterTotal {
            office: this_office_id(config).to_owned(),
            meter: meter.id.as_str().to_owned(),
            resource: meter.resource,
            department: meter.department.as_ref().map(|d| d.as_str().to_owned()),
            parent: meter.parent.as_ref().map(|p| p.as_str().to_owned()),
            amount: *amount,
        });
    }
    Ok((totals, false))
}

/// Each of this office's meters' use over `range`, kept between requests until a write
/// touches one of them within it.
async fn by_meter(
    store: &dyn StoreReads,
    config: &Config,
    range: TimeRange,
) -> Result<Arc<Vec<(MeterId, f64)>>, FigureError> {
    let ids: Vec<MeterId> = config.meters.iter().map(|m| m.id.clone()).collect();
    let Some(feed) = store.change_feed() else {
        return Ok(Arc::new(store.consumption_by_meter(ids, range, Resolution::Day).await?));
    };
    let key = FigureKey::answer("meter totals", String::new(), ids, range);
    if let Some(kept) = feed.get(&key) {
        return Ok(kept);
    }
    let version = feed.version();
    let amounts = store.consumption_by_meter(key.meters.clone(), range, Resolution::Day).await?;
    feed.put(key, version, amounts.clone(), amounts.len());
    Ok(Arc::new(amounts))
}

fn departments_of(current: &[MeterTotal], earlier: Option<&[MeterTotal]>) -> Vec<String> {
    let mut departments: Vec<String> =
        current.iter().chain(earlier.into_iter().flatten()).filter_map(|t| t.department.clone()).collect();
    departments.sort();
    departments.dedup();
    departments
}

fn resource_figures(current: &Counted, earlier: Option<&Counted>, department: Option<&str>) -> Vec<ResourceFigure> {
    Resource::ALL
        .into_iter()
        .map(|resource| {
            let amount = current.sum(resource, department);
            let last_year = earlier.map(|e| e.sum(resource, department));
            let metered = [Some(current), earlier]
                .into_iter()
                .flatten()
                .any(|counted| counted.of(department).iter().any(|t| t.resource == resource));
            figure(resource, amount, last_year, metered)
        })
        .collect()
}

fn figure(resource: Resource, amount: f64, last_year: Option<f64>, metered: bool) -> ResourceFigure {
    let change_percent = last_year.filter(|l| *l != 0.0).map(|l| 100.0 * (amount - l) / l);
    ResourceFigure {
        resource,
        unit: resource.canonical_unit().config_name(),
        amount,
        last_year,
        change_percent,
        metered,
    }
}

/// The common areas (Khu vực chung) of an office: for each resource with a meter for the
/// whole building, the office's total less its departments'.
fn common_areas(current: &Counted, earlier: Option<&Counted>, departments: &[String]) -> Option<DepartmentFigures> {
    let building = |resource: Resource| {
        [Some(current), earlier]
            .into_iter()
            .flatten()
            .any(|counted| counted.building.iter().any(|t| t.resource == resource))
    };
    if !Resource::ALL.into_iter().any(building) {
        return None;
    }
    let rest = |totals: &Counted, resource: Resource| {
        totals.sum(resource, None) - departments.iter().map(|d| totals.sum(resource, Some(d))).sum::<f64>()
    };
    let resources = Resource::ALL
        .into_iter()
        .map(|resource| {
            let metered = building(resource);
            let amount = if metered { rest(current, resource) } else { 0.0 };
            let last_year = earlier.map(|e| if metered { rest(e, resource) } else { 0.0 });
            figure(resource, amount, last_year, metered)
        })
        .collect();
    Some(DepartmentFigures {
        department: super::common_area::ID.to_owned(),
        name: Some(super::common_area::NAME_VI.to_owned()),
        resources,
    })
}

/// One office's meter totals with each meter's parent and each department's meters found
/// once: the table sums them for every department and resource, and a province's office has
/// thousands of meters.
struct Counted<'a> {
    all: Vec<&'a MeterTotal>,
    parents: HashMap<&'a str, Option<&'a str>>,
    by_department: HashMap<&'a str, Vec<&'a MeterTotal>>,
    /// The meters of no department (the whole building's).
    building: Vec<&'a MeterTotal>,
}

impl<'a> Counted<'a> {
    fn new(totals: &'a [MeterTotal]) -> Counted<'a> {
        let (mut by_department, mut building): (HashMap<&str, Vec<&MeterTotal>>, _) = (HashMap::new(), Vec::new());
        for total in totals {
            match total.department.as_deref() {
                Some(d) => by_department.entry(d).or_default().push(total),
                None => building.push(total),
            }
        }
        Counted {
            all: totals.iter().collect(),
            parents: totals.iter().map(|t| (t.meter.as_str(), t.parent.as_deref())).collect(),
            by_department,
            building,
        }
    }

    /// The meters of a department, or (`None`) all of them.
    fn of(&self, department: Option<&str>) -> &[&'a MeterTotal] {
        match department {
            None => &self.all,
            Some(d) => self.by_department.get(d).map_or(&[], Vec::as_slice),
        }
    }

    /// The sum over the office's meters of a resource (of one department), leaving out a
    /// meter whose parent, or a parent's parent, is counted too.
    fn sum(&self, resource: Resource, department: Option<&str>) -> f64 {
        let chosen: HashMap<&str, &MeterTotal> =
            self.of(department).iter().filter(|t| t.resource == resource).map(|t| (t.meter.as_str(), *t)).collect();
        counted_sum(&chosen, &self.parents)
    }
}

fn counted_sum(chosen: &HashMap<&str, &MeterTotal>, parents: &HashMap<&str, Option<&str>>) -> f64 {
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
        assert_eq!(Counted::new(&totals).sum(Resource::Electricity, None), 1000.0);
        // dien-a-tang2 is inside dien-a, which phong-a already counts.
        assert_eq!(Counted::new(&totals).sum(Resource::Electricity, Some("phong-a")), 300.0);
        assert_eq!(Counted::new(&totals).sum(Resource::Electricity, Some("phong-b")), 200.0);
        assert_eq!(Counted::new(&totals).sum(Resource::Water, None), 40.0);
        assert_eq!(Counted::new(&totals).sum(Resource::Paper, None), 0.0);
    }

    #[test]
    fn a_parent_loop_in_foreign_tags_ends() {
        let totals =
            [total("a", Resource::Water, None, Some("b"), 1.0), total("b", Resource::Water, None, Some("a"), 2.0)];
        // Each one's parent is counted, so neither is: the loop must not hang.
        assert_eq!(Counted::new(&totals).sum(Resource::Water, None), 0.0);
    }

    #[test]
    fn the_change_is_against_last_year_and_absent_without_it() {
        let now = [total("nuoc-tong", Resource::Water, None, None, 90.0)];
        let before = [total("nuoc-tong", Resource::Water, None, None, 100.0)];
        let water = |figures: Vec<ResourceFigure>| figures.into_iter().find(|f| f.resource == Resource::Water).unwrap();
        let (now, before) = (Counted::new(&now), Counted::new(&before));
        let compared = water(resource_figures(&now, Some(&before), None));
        assert_eq!((compared.amount, compared.last_year), (90.0, Some(100.0)));
        assert!((compared.change_percent.unwrap() - -10.0).abs() < 1e-9);
        let alone = water(resource_figures(&now, None, None));
        assert_eq!((alone.last_year, alone.change_percent), (None, None));
        let from_zero = water(resource_figures(&now, Some(&Counted::new(&[])), None));
        assert_eq!((from_zero.last_year, from_zero.change_percent), (Some(0.0), None));
    }

    mod stored {
        use super::super::*;
        use crate::domain::{Incoming, MeterId, Origin, Reading, Source};
        use crate::store::{SqliteStore, Store};

        const OFFICE: &str = r#"
[office]
name = "Văn phòng thử"
[[departments]]
id = "phong-a"
name = "Phòng A"
headcount = 10
area_m2 = 100.0
[[departments]]
id = "phong-b"
name = "Phòng B"
headcount = 5
area_m2 = 50.0
[[meters]]
id = "dien-tong"
name = "Công tơ tổng"
resource = "electricity"
kind = "counter"
unit = "kWh"
[[meters]]
id = "dien-a"
name = "Điện A"
resource = "electricity"
department = "phong-a"
parent = "dien-tong"
kind = "counter"
unit = "kWh"
"#;

        async fn store_with(readings: &[(&str, &str, f64)]) -> (tempfile::TempDir, SqliteStore, Config) {
            let config = Config::parse("test.toml", OFFICE, &|_| None).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let tz = &config.office.timezone;
            let store =
                SqliteStore::open(&dir.path().join("x.db"), tz, &config.office.timezone_name, &config.meters).unwrap();
            let batch = readings
                .iter()
                .map(|(meter, ts, value)| {
                    let reading = Reading {
                        meter: MeterId::try_from(meter.to_string()).unwrap(),
                        ts: ts.parse().unwrap(),
                        ts_assumed: false,
                        value: *value,
                        period_start: None,
                        source: Source::Import,
                        entered_by: None,
                        cost_vnd: None,
                    };
                    let origin = Origin {
                        source: Source::Import,
                        received_at: Timestamp::now(),
                        topic: None,
                        payload: Vec::new(),
                        sender: None,
                    };
                    Incoming::Reading(reading, origin)
                })
                .collect();
            assert_eq!(store.write(batch).await.unwrap().stored, readings.len());
            (dir, store, config)
        }

        fn close(actual: f64, expected: f64) {
            assert!((actual - expected).abs() < 1e-6, "expected {expected}, got {actual}");
        }

        /// The issue's case: 2 days of December against the whole of last December.
        #[tokio::test]
        async fn a_running_period_is_compared_with_the_same_part_of_last_year() {
            // The main meter used 10 kWh a day through December 2025 (0 → 310) and again on
            // 1–2 December 2026 (310 → 330).
            let (_dir, store, config) = store_with(&[
                ("dien-tong", "2025-12-01T00:00:00+07:00", 0.0),
                ("dien-tong", "2026-01-01T00:00:00+07:00", 310.0),
                ("dien-tong", "2026-12-01T00:00:00+07:00", 310.0),
                ("dien-tong", "2026-12-03T00:00:00+07:00", 330.0),
            ])
            .await;
            let now: Timestamp = "2026-12-03T00:20:00+07:00".parse().unwrap();
            let c = compare(&store, &config, &NamedPeriod::parse("2026-12").unwrap(), now).await.unwrap();
            let electricity = c.offices[0].resources.iter().find(|f| f.resource == Resource::Electricity).unwrap();
            // Like with like: 20 kWh against the 20 kWh of 1–2 December 2025 (0 %), not
            // against the 310 of the whole month (−93,5 %).
            close(electricity.amount, 20.0);
            close(electricity.last_year.unwrap(), 20.0);
            close(electricity.change_percent.unwrap(), 0.0);
            assert!(!c.finished);
            assert_eq!(c.as_of, "2026-12-03T00:00:00+07:00");
            assert_eq!(c.last_year_as_of.as_deref(), Some("2025-12-03T00:00:00+07:00"));
            // Once the month is over, whole months are compared.
            let later: Timestamp = "2027-01-05T00:00:00+07:00".parse().unwrap();
            let c = compare(&store, &config, &NamedPeriod::parse("2026-12").unwrap(), later).await.unwrap();
            assert!(c.finished);
            close(c.offices[0].resources[0].last_year.unwrap(), 310.0);
        }

        #[tokio::test]
        async fn common_areas_are_a_row_and_a_department_without_a_meter_is_not_zero() {
            // The main meter counted 100 kWh, Phòng A's sub-meter 30 of them: the common areas
            // used 100 − 30 = 70. Phòng B has no electricity meter of its own.
            let (_dir, store, config) = store_with(&[
                ("dien-tong", "2026-11-02T00:00:00+07:00", 0.0),
                ("dien-tong", "2026-11-20T00:00:00+07:00", 100.0),
                ("dien-a", "2026-11-02T00:00:00+07:00", 0.0),
                ("dien-a", "2026-11-20T00:00:00+07:00", 30.0),
            ])
            .await;
            let now: Timestamp = "2026-12-03T00:00:00+07:00".parse().unwrap();
            let c = compare(&store, &config, &NamedPeriod::parse("2026-11").unwrap(), now).await.unwrap();
            let departments = &c.offices[0].departments;
            let row = |id: &str| departments.iter().find(|d| d.department == id).unwrap();
            let common = &row("khu-vuc-chung").resources[0];
            assert_eq!((common.resource, common.metered), (Resource::Electricity, true));
            close(common.amount, 70.0);
            assert_eq!(row("khu-vuc-chung").name.as_deref(), Some("Khu vực chung"));
            close(row("phong-a").resources[0].amount, 30.0);
            // The water row of the common areas: no building water meter, nothing to show.
            assert!(!row("khu-vuc-chung").resources[1].metered);
        }
    }
}
