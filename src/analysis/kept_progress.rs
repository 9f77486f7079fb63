//! Progress kept between requests: the departments' page, the scores and the overview ask for
//! every department's progress on every resource, and working each out again (a year of days
//! three times, the basis weights, the cost, the explanation) at every request grows with the
//! province's departments. A progress is kept in the store's change feed under the meters and
//! the span of time it read, so a write to one department's meters drops that department's
//! progress and keeps the others'; the plan and the parts of the config it was worked out
//! with are kept beside it and compared at each use, so an edit to them is seen at once.

use jiff::Timestamp;

use super::figures::FigureError;
use super::progress::{Progress, ProgressQuery, work_out};
use super::series::select_meters;
use crate::config::{Config, Plan};
use crate::domain::consumption::floor_hour;
use crate::domain::period::{TimeRange, local_midnight};
use crate::domain::{Calendar, Department, PriceScheme, WorkingDays};
use crate::store::{FigureKey, StoreReads};

/// A kept progress counts as this many buckets of figures towards the feed's limit (its
/// explanation and its copy of the plan and departments are a few kilobytes).
const KEPT_SIZE: usize = 100;

/// A progress and what it was worked out with besides its meters' use.
struct Kept {
    plan: Plan,
    departments: Vec<Department>,
    calendar: Calendar,
    working_days: WorkingDays,
    progress: Progress,
}

impl Kept {
    fn worked_out_with(&self, config: &Config, plan: &Plan) -> bool {
        self.plan == *plan
            && self.departments == config.departments
            && self.calendar == config.office.calendar
            && self.working_days == config.office.working_days
    }
}

/// The progress kept for this query and hour, else worked out (and kept when the store has a
/// change feed).
pub(super) async fn kept_or_worked_out(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    query: &ProgressQuery,
    now: Timestamp,
) -> Result<Progress, FigureError> {
    let Some(feed) = store.change_feed() else {
        return work_out(store, config, plan, query, now).await;
    };
    let key = key(config, plan, query, now)?;
    if let Some(kept) = feed.get::<Kept>(&key).filter(|kept| kept.worked_out_with(config, plan)) {
        return Ok(kept.progress.clone());
    }
    let version = feed.version();
    let progress = work_out(store, config, plan, query, now).await?;
    let kept = Kept {
        plan: plan.clone(),
        departments: config.departments.clone(),
        calendar: config.office.calendar.clone(),
        working_days: config.office.working_days,
        progress: progress.clone(),
    };
    feed.put(key, version, kept, KEPT_SIZE);
    Ok(progress)
}

/// The meters a progress reads and the span its reads lie in: the department's (or office's)
/// meters of the resource, with the office's when a price by monthly blocks needs its month
/// totals; from the earliest of the period, last year's and the baseline's reference period
/// (and the period's first month) to the end of the month the period ends in. The question
/// names the resource, department, period and hour, which the figures depend on.
fn key(config: &Config, plan: &Plan, query: &ProgressQuery, now: Timestamp) -> Result<FigureKey, FigureError> {
    let tz = &config.office.timezone;
    let resource = query.resource;
    let dept = query.department.as_ref();
    let mut meters = select_meters(&config.meters, resource, dept);
    let blocks = plan.tariffs.iter().any(|t| t.resource == resource && matches!(t.scheme, PriceScheme::Blocks(_)));
    if blocks && dept.is_some() {
        meters.extend(select_meters(&config.meters, resource, None));
    }
    let range = query.period.range(tz)?;
    let reference = plan.baselines.entered(resource, dept).map_or(plan.baselines.reference, |e| e.period);
    let mut from = range.from().min(reference.range(tz)?.from());
    if let Some(last_year) = query.period.previous_year() {
        from = from.min(last_year.range(tz)?.from());
    }
    let first_month = local_midnight(range.from().to_zoned(tz.clone()).date().first_of_month(), tz)?;
    let end_month = range.to().to_zoned(tz.clone()).date().last_of_month().tomorrow().ok();
    let to = match end_month {
        Some(day) => local_midnight(day, tz)?.max(range.to()),
        None => range.to(),
    };
    let span = TimeRange::new(from.min(first_month), to)?;
    let hour = floor_hour(now.as_millisecond());
    let department = dept.map_or("", |d| d.as_str());
    let question = format!("{resource}/{department}/{}/{hour}", query.period);
    Ok(FigureKey::answer("progress", question, meters, span))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Incoming, MeterId, NamedPeriod, Origin, Reading, Resource, Source};
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
id = "dien-a"
name = "Điện A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"
[[meters]]
id = "dien-b"
name = "Điện B"
resource = "electricity"
department = "phong-b"
kind = "counter"
unit = "kWh"
"#;

    fn reading(meter: &str, ts: &str, value: f64) -> Incoming {
        let reading = Reading {
            meter: MeterId::try_from(meter.to_owned()).unwrap(),
            ts: ts.parse().unwrap(),
            ts_assumed: false,
            value,
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
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-6
    }

    fn query(department: &str) -> ProgressQuery {
        ProgressQuery {
            resource: Resource::Electricity,
            department: Some(department.parse().unwrap()),
            period: NamedPeriod::parse("2026").unwrap(),
        }
    }

    #[tokio::test]
    async fn a_write_to_one_departments_meter_drops_its_progress_and_keeps_the_others() {
        let config = Config::parse("test.toml", OFFICE, &|_| None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let tz = &config.office.timezone;
        let store =
            SqliteStore::open(&dir.path().join("x.db"), tz, &config.office.timezone_name, &config.meters).unwrap();
        let mut batch = Vec::new();
        for meter in ["dien-a", "dien-b"] {
            batch.push(reading(meter, "2025-01-01T00:00:00+07:00", 0.0));
            batch.push(reading(meter, "2026-01-01T00:00:00+07:00", 3650.0));
            batch.push(reading(meter, "2026-06-01T00:00:00+07:00", 5000.0));
        }
        store.write(batch).await.unwrap();
        let plan = crate::analysis::plan_in_force::in_force(&store, &config).await.unwrap();
        let now: Timestamp = "2026-06-15T10:30:00+07:00".parse().unwrap();
        let kept = |department: &str| {
            let key = key(&config, &plan, &query(department), now).unwrap();
            store.change_feed().unwrap().get::<Kept>(&key).map(|kept| kept.progress.actual)
        };
        for department in ["phong-a", "phong-b"] {
            let worked_out = kept_or_worked_out(&store, &config, &plan, &query(department), now).await.unwrap();
            assert!(close(worked_out.actual, 1350.0), "{}", worked_out.actual);
            assert!(worked_out.target.is_some(), "the office's default target");
            assert!(kept(department).is_some_and(|actual| close(actual, 1350.0)));
        }

        store.write(vec![reading("dien-a", "2026-06-10T00:00:00+07:00", 5100.0)]).await.unwrap();
        assert_eq!(kept("phong-a"), None, "Phòng A's meter was written");
        assert!(kept("phong-b").is_some_and(|actual| close(actual, 1350.0)), "Phòng B's meters were not");
        let a = kept_or_worked_out(&store, &config, &plan, &query("phong-a"), now).await.unwrap();
        assert!(close(a.actual, 1450.0), "{}", a.actual);
        // A plan edited since is a different progress, not the kept one.
        let mut edited = plan.clone();
        edited.targets.clear();
        let b = kept_or_worked_out(&store, &config, &edited, &query("phong-b"), now).await.unwrap();
        assert!(b.target.is_none());
    }
}
