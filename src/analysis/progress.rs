//! Progress against the saving plan for a resource, a department (or the whole office) and a
//! named period: use to date, the same period last year, the baseline scaled to the period,
//! the target, a forecast to the period's end, the status, CO2e and cost. The dashboard, the
//! API, the scores and the exports all take their figures from here.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use super::explain::{self, Explain};
use super::figures::{self, ConsumptionQuery, FigureError};
use super::staffing::{average_size, basis_weight};
use super::tariff_cost::{self, Projected, SchemeUse};
use crate::config::{Basis, Config, EmissionFactor, Plan, Tariff};
use crate::domain::consumption::floor_hour;
use crate::domain::period::local_rfc3339;
use crate::domain::period::{NamedPeriod, Step, TimeRange, day_start};
use crate::domain::{CalendarYear, DepartmentId, Resource};
use crate::store::StoreReads;

/// What to report on: a resource, for one department or (`None`) the whole office, over a
/// named period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressQuery {
    pub resource: Resource,
    pub department: Option<DepartmentId>,
    pub period: NamedPeriod,
}

/// Whether the period's use meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Đạt: the use (or its forecast) is within the target.
    Dat,
    /// Có nguy cơ: forecast above the target but not above the baseline.
    CoNguyCo,
    /// Không đạt: the period ended above its target, or the forecast is above the baseline.
    KhongDat,
}

impl Status {
    /// The word the council uses: đạt, có nguy cơ, không đạt.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Status::Dat => "đạt",
            Status::CoNguyCo => "có nguy cơ",
            Status::KhongDat => "không đạt",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Status::Dat => "on target",
            Status::CoNguyCo => "at risk",
            Status::KhongDat => "off target",
        }
    }
}

/// Where a baseline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    /// Summed from stored readings over the reference period.
    Computed,
    /// Entered by hand (from old bills) in the config or the web app.
    Entered,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineFigure {
    /// The period the baseline amount covers.
    pub reference: NamedPeriod,
    /// The use over `reference`.
    pub reference_amount: f64,
    pub source: BaselineSource,
    pub note: String,
    /// How the amount carries over to this period.
    pub basis: Basis,
    /// Scaled to the whole period.
    pub amount: f64,
    /// Scaled to the part of the period up to `as_of`.
    pub to_date: f64,
    /// How much of the basis (days, working days, person-days, m²-days) the reference
    /// period, the whole period and the period to date hold: `amount` is
    /// `reference_amount × period_weight / reference_weight`.
    pub reference_weight: f64,
    pub period_weight: f64,
    pub to_date_weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetFigure {
    pub saving_percent: f64,
    pub stretch_percent: Option<f64>,
    /// The most the period may use: the baseline less the saving.
    pub amount: f64,
    pub stretch_amount: Option<f64>,
    /// The rule's own scope: the period it is for (`None`: every period) and whether it is a
    /// department's own or office-wide.
    pub rule_period: Option<NamedPeriod>,
    pub department_rule: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastMethod {
    /// The period is over: the forecast is what was used.
    Final,
    /// The rest of the period as it went last year, scaled by this year's use to date.
    LastYear,
    /// The rest of the period at this period's average daily use so far, working days and
    /// days off apart.
    Trend,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub amount: f64,
    pub method: ForecastMethod,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastYear {
    pub period: NamedPeriod,
    pub total: f64,
    /// Up to the same point of last year's period as `as_of` is of this one.
    pub to_date: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Co2e {
    pub actual_kg: f64,
    pub forecast_kg: Option<f64>,
    pub baseline_kg: Option<f64>,
    pub target_kg: Option<f64>,
    /// The factor of the period's year (or the latest one before it).
    pub factor: EmissionFactor,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    /// Each day's use at the tariff in force that day.
    pub actual_vnd: f64,
    pub forecast_vnd: Option<f64>,
    pub baseline_vnd: Option<f64>,
    pub target_vnd: Option<f64>,
    /// The tariffs the actual cost used, oldest first.
    pub tariffs: Vec<Tariff>,
    /// The tariff forecast, baseline and target are priced at: the one in force on the
    /// period's last day (or on `as_of` for a period still running).
    pub projection_tariff: Tariff,
    /// Use on days before any tariff was in force, left out of `actual_vnd`.
    pub unpriced: f64,
}

/// A resource's progress against the plan over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub resource: Resource,
    pub unit: &'static str,
    pub department: Option<DepartmentId>,
    pub period: NamedPeriod,
    pub from: String,
    pub to: String,
    /// Where "to date" ends: the current hour, or the period's end once it is over.
    pub as_of: String,
    pub finished: bool,
    /// Used from the period's start to `as_of`.
    pub actual: f64,
    pub last_year: Option<LastYear>,
    pub baseline: Option<BaselineFigure>,
    pub target: Option<TargetFigure>,
    pub forecast: Option<Forecast>,
    /// Saved to date, in percent of the baseline to date (negative: used more).
    pub saving_percent: Option<f64>,
    pub status: Option<Status>,
    /// Average over the period.
    pub headcount: f64,
    pub area_m2: f64,
    pub per_person: Option<f64>,
    pub per_m2: Option<f64>,
    pub co2e: Option<Co2e>,
    pub cost: Option<Cost>,
    /// How each figure above was computed, step by step.
    pub explain: Explain,
}

/// Progress with the plan in force (the config's, with the web app's edits over it).
pub async fn progress(
    store: &dyn StoreReads,
    config: &Config,
    query: &ProgressQuery,
    now: Timestamp,
) -> Result<Progress, FigureError> {
    let plan = super::plan_in_force::in_force(store, config).await?;
    progress_with(store, config, &plan, query, now).await
}

/// Progress under a given plan, for callers that compute many figures with one plan: kept
/// between requests until a write touches its meters or the plan or config it used changes.
pub async fn progress_with(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    query: &ProgressQuery,
    now: Timestamp,
) -> Result<Progress, FigureError> {
    super::kept_progress::kept_or_worked_out(store, config, plan, query, now).await
}

/// Progress worked out from the store's figures, nothing of it kept.
pub(super) async fn work_out(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    query: &ProgressQuery,
    now: Timestamp,
) -> Result<Progress, FigureError> {
    let tz = &config.office.timezone;
    let range = query.period.range(tz)?;
    let dept = query.department.as_ref();
    let now_hour = Timestamp::from_millisecond(floor_hour(now.as_millisecond())).unwrap_or(now);
    let as_of = now_hour.clamp(range.from(), range.to());
    let finished = as_of >= range.to();

    let days = daily_amounts(store, config, query, range.from(), as_of).await?;
    let actual: f64 = days.iter().map(|(_, a)| a).sum();

    let last_year = match query.period.previous_year() {
        Some(period) => {
            let ly = period.range(tz)?;
            let ly_days = daily_amounts(store, config, query, ly.from(), ly.to()).await?;
            let total: f64 = ly_days.iter().map(|(_, a)| a).sum();
            let ly_as_of = year_earlier(as_of, tz).clamp(ly.from(), ly.to());
            // Its whole days are those of the whole period's: only the part-day is read.
            let midnight = day_start(ly_as_of, tz).max(ly.from());
            let first_part_day = local_date(midnight, tz);
            let whole_days = ly_days.iter().take_while(|(day, _)| *day < first_part_day);
            let part_day = daily_amounts(store, config, query, midnight, ly_as_of).await?;
            let to_date: f64 = whole_days.chain(&part_day).map(|(_, a)| a).sum();
            Some(LastYear { period, total, to_date })
        }
        None => None,
    };

    let (baseline, refused) = match baseline(store, config, plan, query, &range, as_of).await? {
        Ok(figure) => (Some(figure), None),
        Err(refused) => (None, refused),
    };
    let target = baseline.as_ref().and_then(|b| {
        plan.target(query.resource, dept, &query.period).map(|rule| TargetFigure {
            saving_percent: rule.saving_percent,
            stretch_percent: rule.stretch_percent,
            amount: b.amount * (1.0 - rule.saving_percent / 100.0),
            stretch_amount: rule.stretch_percent.map(|s| b.amount * (1.0 - s / 100.0)),
            rule_period: rule.period,
            department_rule: rule.department.is_some(),
        })
    });

    let forecast = forecast(config, &days, actual, last_year.as_ref(), as_of, &range, finished);
    let saving_percent =
        baseline.as_ref().filter(|b| b.to_date > 0.0).map(|b| (b.to_date - actual) / b.to_date * 100.0);
    let status = match (&target, &baseline, &forecast) {
        (Some(t), _, _) if finished => Some(if actual <= t.amount { Status::Dat } else { Status::KhongDat }),
        (Some(t), Some(b), Some(f)) => Some(if f.amount <= t.amount {
            Status::Dat
        } else if f.amount <= b.amount {
            Status::CoNguyCo
        } else {
            Status::KhongDat
        }),
        _ => None,
    };

    let (headcount, area_m2) = average_size(config, plan, dept, range.from(), range.to());
    let per = |size: f64| (size > 0.0).then(|| actual / size);
    let year = range.from().to_zoned(tz.clone()).year();
    let co2e = plan.emission_factor(query.resource, year).map(|factor| Co2e {
        actual_kg: actual * factor.kg_per_unit,
        forecast_kg: forecast.as_ref().map(|f| f.amount * factor.kg_per_unit),
        baseline_kg: baseline.as_ref().map(|b| b.amount * factor.kg_per_unit),
        target_kg: target.as_ref().map(|t| t.amount * factor.kg_per_unit),
        factor: factor.clone(),
    });
    let last_day = local_date(if finished { range.to() } else { as_of }, tz)
        .checked_sub(if finished { 1.day() } else { 0.days() })
        .unwrap_or_else(|_| local_date(as_of, tz));
    let so_far = TimeRange::new(range.from(), as_of).ok();
    let used =
        scheme_use(store, config, plan, query, so_far, (local_date(range.from(), tz), last_day), now_hour).await?;
    let projected = Projected { forecast: forecast.as_ref(), baseline: baseline.as_ref(), target: target.as_ref() };
    let cost = tariff_cost::cost(plan, query.resource, &days, &used, last_day, projected);

    let calendar = match (&baseline, plan.baselines.basis(query.resource)) {
        (Some(b), Basis::PerWorkingDay) => {
            let reference = b.reference.range(tz)?;
            calendar_years(config, &[reference, range]).into_iter().filter_map(|(_, known)| known).collect()
        }
        _ => Vec::new(),
    };
    let mut progress = Progress {
        resource: query.resource,
        unit: query.resource.canonical_unit().config_name(),
        department: query.department.clone(),
        period: query.period,
        from: local_rfc3339(range.from(), tz),
        to: local_rfc3339(range.to(), tz),
        as_of: local_rfc3339(as_of, tz),
        finished,
        actual,
        last_year,
        baseline,
        target,
        forecast,
        saving_percent,
        status,
        headcount,
        area_m2,
        per_person: per(headcount),
        per_m2: per(area_m2),
        co2e,
        cost,
        explain: Explain::default(),
    };
    progress.explain = explain::of_progress(&progress, calendar, refused);
    Ok(progress)
}

/// Each local year that `ranges` touch, with how the office's calendar knows it.
fn calendar_years(config: &Config, ranges: &[TimeRange]) -> Vec<(i16, Option<CalendarYear>)> {
    let tz = &config.office.timezone;
    let mut years: Vec<i16> = ranges
        .iter()
        .flat_map(|r| {
            let last = r.to().checked_sub(jiff::SignedDuration::from_millis(1)).unwrap_or(r.to());
            local_date(r.from(), tz).year()..=local_date(last, tz).year()
        })
        .collect();
    years.sort_unstable();
    years.dedup();
    years.into_iter().map(|y| (y, config.office.calendar.year(y).cloned())).collect()
}

fn local_date(ts: Timestamp, tz: &jiff::tz::TimeZone) -> Date {
    ts.to_zoned(tz.clone()).date()
}

/// The same local time a year earlier (29 February falls back to 28).
pub(super) fn year_earlier(ts: Timestamp, tz: &jiff::tz::TimeZone) -> Timestamp {
    ts.to_zoned(tz.clone()).checked_sub(1.year()).map(|z| z.timestamp()).unwrap_or(ts)
}

/// Use per local day over `[from, to)`: whole days from the daily rollup, a last part-day from
/// the hourly one. Days with nothing used are kept, with 0.
async fn daily_amounts(
    store: &dyn StoreReads,
    config: &Config,
    query: &ProgressQuery,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(Date, f64)>, FigureError> {
    let tz = &config.office.timezone;
    let mut out = Vec::new();
    let midnight = day_start(to, tz).max(from);
    for (start, end) in [(from, midnight), (midnight, to)] {
        let Ok(range) = TimeRange::new(start, end) else { continue };
        let series = figures::consumption(
            store,
            config,
            &ConsumptionQuery {
                resource: query.resource,
                department: query.department.clone(),
                meter: None,
                range,
                step: Step::Day,
            },
        )
        .await?;
        out.extend(series.series.into_iter().map(|b| (local_date(b.start, tz), b.value)));
    }
    Ok(out)
}

/// The hours and the office's month totals that time-of-use prices and blocks in force over
/// the period's days (`so_far`: its hours to date) need; the months whole, as the bill counts
/// them, up to now.
async fn scheme_use(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    query: &ProgressQuery,
    so_far: Option<TimeRange>,
    (first_day, last_day): (Date, Date),
    now_hour: Timestamp,
) -> Result<SchemeUse, FigureError> {
    let tz = &config.office.timezone;
    let (hours, months) = tariff_cost::needs(plan, query.resource, first_day, last_day);
    let mut used = SchemeUse::default();
    if let (true, Some(so_far)) = (hours, so_far) {
        let query = ConsumptionQuery {
            resource: query.resource,
            department: query.department.clone(),
            meter: None,
            range: so_far,
            step: Step::Hour,
        };
        let series = figures::consumption(store, config, &query).await?;
        used = used.with_hours(series.series.into_iter().map(|b| (b.start, b.value)), tz);
    }
    let local_start = |day: Date| day.to_zoned(tz.clone()).map(|z| z.timestamp());
    let month_ends = last_day.last_of_month().tomorrow().ok().and_then(|d| local_start(d).ok());
    if let (true, Ok(first), Some(next_month)) = (months, local_start(first_day.first_of_month()), month_ends) {
        let office = ProgressQuery { department: None, ..query.clone() };
        used = used.with_months(&daily_amounts(store, config, &office, first, next_month.min(now_hour)).await?);
    }
    Ok(used)
}

async fn baseline(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    query: &ProgressQuery,
    range: &TimeRange,
    as_of: Timestamp,
) -> Result<Result<BaselineFigure, Option<explain::NoCalendar>>, FigureError> {
    let tz = &config.office.timezone;
    let dept = query.department.as_ref();
    let basis = plan.baselines.basis(query.resource);
    let reference = plan.baselines.entered(query.resource, dept).map_or(plan.baselines.reference, |e| e.period);
    if basis == Basis::PerWorkingDay {
        let unknown: Vec<i16> = calendar_years(config, &[reference.range(tz)?, *range])
            .into_iter()
            .filter(|(_, known)| known.is_none())
            .map(|(year, _)| year)
            .collect();
        if !unknown.is_empty() {
            return Ok(Err(Some(explain::NoCalendar { years: unknown, resource: query.resource })));
        }
    }
    let (reference, reference_amount, source, note) = match plan.baselines.entered(query.resource, dept) {
        Some(entered) => (entered.period, entered.amount, BaselineSource::Entered, entered.note.clone()),
        None => {
            let reference = plan.baselines.reference;
            let r = reference.range(tz)?;
            let amount: f64 = daily_amounts(store, config, query, r.from(), r.to()).await?.iter().map(|(_, a)| a).sum();
            (reference, amount, BaselineSource::Computed, String::new())
        }
    };
    let r = reference.range(tz)?;
    let reference_weight = basis_weight(config, plan, basis, dept, r.from(), r.to());
    if reference_amount <= 0.0 || reference_weight <= 0.0 {
        return Ok(Err(None));
    }
    let period_weight = basis_weight(config, plan, basis, dept, range.from(), range.to());
    let to_date_weight = basis_weight(config, plan, basis, dept, range.from(), as_of);
    Ok(Ok(BaselineFigure {
        reference,
        reference_amount,
        source,
        note,
        basis,
        amount: reference_amount * period_weight / reference_weight,
        to_date: reference_amount * to_date_weight / reference_weight,
        reference_weight,
        period_weight,
        to_date_weight,
    }))
}

fn forecast(
    config: &Config,
    days: &[(Date, f64)],
    actual: f64,
    last_year: Option<&LastYear>,
    as_of: Timestamp,
    range: &TimeRange,
    finished: bool,
) -> Option<Forecast> {
    if finished {
        return Some(Forecast { amount: actual, method: ForecastMethod::Final });
    }
    if let Some(ly) = last_year.filter(|ly| ly.total > 0.0) {
        // This year's pace against last year's, applied to what last year used after this point.
        let pace = if ly.to_date > 0.0 && actual > 0.0 { actual / ly.to_date } else { 1.0 };
        return Some(Forecast { amount: actual + (ly.total - ly.to_date) * pace, method: ForecastMethod::LastYear });
    }
    // Whole days so far, working days and days off apart: offices use far less on days off.
    let tz = &config.office.timezone;
    let today = local_date(as_of, tz);
    let whole: Vec<&(Date, f64)> = days.iter().filter(|(d, _)| *d < today).collect();
    let mean = |working: bool| {
        let of_kind: Vec<f64> =
            whole.iter().filter(|(d, _)| config.office.is_working_day(*d) == working).map(|(_, a)| *a).collect();
        (!of_kind.is_empty()).then(|| of_kind.iter().sum::<f64>() / of_kind.len() as f64)
    };
    let overall = (!whole.is_empty()).then(|| whole.iter().map(|(_, a)| a).sum::<f64>() / whole.len() as f64)?;
    let (working_rate, off_rate) = (mean(true).unwrap_or(overall), mean(false).unwrap_or(overall));
    let mut rest = 0.0;
    let (mut day, end) = (today, local_date(range.to(), tz));
    // Today's use so far is in `actual`; the rest of today counts in proportion.
    let today_done = days.iter().find(|(d, _)| *d == today).map(|_| {
        let start = day_start(as_of, tz);
        (as_of.as_millisecond() - start.as_millisecond()) as f64 / 86_400_000.0
    });
    while day < end {
        let rate = if config.office.is_working_day(day) { working_rate } else { off_rate };
        let share = if day == today { 1.0 - today_done.unwrap_or(0.0) } else { 1.0 };
        rest += rate * share;
        let Ok(next) = day.tomorrow() else { break };
        day = next;
    }
    Some(Forecast { amount: actual + rest, method: ForecastMethod::Trend })
}

#[cfg(test)]
mod tests {
    use super::*;
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
id = "dien-a"
name = "Điện A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"
"#;

    /// Phòng A's counter: 0 at the start of 2025, 3 650 at the start of 2026 (10 kWh a day
    /// through 2025) and 4 460 at 1 April 2026 (810 kWh in the 90 days of Q1: 9 a day).
    async fn seeded(extra: &str) -> (tempfile::TempDir, SqliteStore, Config) {
        let readings = [
            ("2025-01-01T00:00:00+07:00", 0.0),
            ("2026-01-01T00:00:00+07:00", 3650.0),
            ("2026-04-01T00:00:00+07:00", 4460.0),
        ];
        seeded_with(OFFICE, extra, &readings).await
    }

    async fn seeded_with(
        office: &str,
        extra: &str,
        readings: &[(&str, f64)],
    ) -> (tempfile::TempDir, SqliteStore, Config) {
        let config = Config::parse("test.toml", &format!("{office}{extra}"), &|_| None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            &dir.path().join("x.db"),
            &config.office.timezone,
            &config.office.timezone_name,
            &config.meters,
        )
        .unwrap();
        let reading = |ts: &str, value: f64| {
            let reading = Reading {
                meter: MeterId::try_from("dien-a".to_owned()).unwrap(),
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
        };
        let batch: Vec<Incoming> = readings.iter().map(|(ts, value)| reading(ts, *value)).collect();
        assert_eq!(store.write(batch).await.unwrap().stored, readings.len());
        (dir, store, config)
    }

    fn query(period: &str) -> ProgressQuery {
        ProgressQuery {
            resource: Resource::Electricity,
            department: Some("phong-a".parse().unwrap()),
            period: NamedPeriod::parse(period).unwrap(),
        }
    }

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-6, "expected {expected}, got {actual}");
    }

    #[tokio::test]
    async fn a_finished_quarter_against_a_baseline_scaled_by_days() {
        let (_dir, store, config) = seeded("[baselines]\nelectricity = \"total\"\n").await;
        let now: Timestamp = "2026-11-28T10:00:00+07:00".parse().unwrap();
        let p = progress(&store, &config, &query("2026-Q1"), now).await.unwrap();
        assert!(p.finished);
        // Q1 2026 used 4 460 − 3 650 = 810 kWh; Q1 2025 used 90 days × 10 = 900.
        close(p.actual, 810.0);
        close(p.last_year.as_ref().unwrap().total, 900.0);
        // Baseline: 2025's 3 650 kWh × 90 days / 365 days = 900; target −2 %: 882; stretch
        // −10 %: 810.
        let b = p.baseline.as_ref().unwrap();
        assert_eq!(
            (b.source, b.basis, b.reference.to_string()),
            (BaselineSource::Computed, Basis::Total, "2025".into())
        );
        close(b.reference_amount, 3650.0);
        close(b.amount, 900.0);
        let t = p.target.as_ref().unwrap();
        close(t.amount, 882.0);
        close(t.stretch_amount.unwrap(), 810.0);
        // Saved (900 − 810) / 900 = 10 %: within the target.
        close(p.saving_percent.unwrap(), 10.0);
        assert_eq!(p.status, Some(Status::Dat));
        assert_eq!(p.forecast.as_ref().unwrap().method, ForecastMethod::Final);
        // 10 people, 100 m²: 81 kWh a person, 8,1 kWh a m².
        close(p.per_person.unwrap(), 81.0);
        close(p.per_m2.unwrap(), 8.1);
        // 810 kWh × 0.6592 kg/kWh = 533,952 kg CO2e; 810 × 2 226 VND = 1 803 060 VND.
        let co2e = p.co2e.as_ref().unwrap();
        close(co2e.actual_kg, 533.952);
        assert_eq!(co2e.factor.year, 2023);
        let cost = p.cost.as_ref().unwrap();
        close(cost.actual_vnd, 1_803_060.0);
        close(cost.baseline_vnd.unwrap(), 900.0 * 2226.0);
        assert_eq!(cost.tariffs.len(), 1);
        assert_eq!(cost.tariffs[0].price_vnd, 2226.0);
    }

    #[tokio::test]
    async fn a_running_year_is_forecast_from_last_year_at_this_years_pace() {
        let (_dir, store, config) = seeded("[baselines]\nelectricity = \"total\"\n").await;
        let now: Timestamp = "2026-04-01T00:00:00+07:00".parse().unwrap();
        let p = progress(&store, &config, &query("2026"), now).await.unwrap();
        assert!(!p.finished);
        // To date (Q1): 810 against 900 last year, a pace of 0,9; last year used 3 650 − 900
        // = 2 750 after this point, so the forecast is 810 + 2 750 × 0,9 = 3 285.
        let ly = p.last_year.as_ref().unwrap();
        close(ly.to_date, 900.0);
        let f = p.forecast.as_ref().unwrap();
        assert_eq!(f.method, ForecastMethod::LastYear);
        close(f.amount, 3285.0);
        // Baseline for the year 3 650, to date 3 650 × 90 / 365 = 900; target 3 577.
        close(p.baseline.as_ref().unwrap().amount, 3650.0);
        close(p.baseline.as_ref().unwrap().to_date, 900.0);
        close(p.target.as_ref().unwrap().amount, 3577.0);
        assert_eq!(p.status, Some(Status::Dat));
    }

    #[tokio::test]
    async fn a_phase_has_no_last_year_and_is_forecast_from_the_trend() {
        let (_dir, store, config) = seeded("").await;
        let now: Timestamp = "2026-04-01T00:00:00+07:00".parse().unwrap();
        let p = progress(&store, &config, &query("gd1"), now).await.unwrap();
        assert!(p.last_year.is_none());
        // 9 kWh every day so far, on working days and days off alike; 803 days remain from
        // 01/04/2026 to 11/06/2028 (365 + 366 + 72): 810 + 9 × 803 = 8 037.
        let f = p.forecast.as_ref().unwrap();
        assert_eq!(f.method, ForecastMethod::Trend);
        close(f.amount, 8037.0);
    }

    #[tokio::test]
    async fn baselines_follow_headcount_working_days_and_entered_bills() {
        // Phòng A grows from 10 to 12 people on 02/03/2026. Q1 2026 holds 60 days × 10 + 30
        // days × 12 = 960 person-days against 365 × 10 = 3 650 in 2025: 3 650 × 960 / 3 650
        // = 960 kWh.
        let staffing = "[[staffing]]\ndepartment = \"phong-a\"\nfrom = \"2026-03-02\"\nheadcount = 12\n[baselines]\nelectricity = \"per_person\"\n";
        let (_dir, store, config) = seeded(staffing).await;
        let now: Timestamp = "2026-11-28T10:00:00+07:00".parse().unwrap();
        let p = progress(&store, &config, &query("2026-Q1"), now).await.unwrap();
        close(p.baseline.as_ref().unwrap().amount, 960.0);
        // The average headcount over the quarter is 960 / 90 person-days a day.
        close(p.headcount, 960.0 / 90.0);

        // By working days (the shipped calendar): 250 in 2025; 58 in Q1 2026 (64 weekdays,
        // less 01–02/01 and Tết 16–20/02, plus Saturday 10/01 worked): 3 650 × 58 / 250.
        let (_dir, store, config) = seeded("[baselines]\nelectricity = \"per_working_day\"\n").await;
        let p = progress(&store, &config, &query("2026-Q1"), now).await.unwrap();
        close(p.baseline.as_ref().unwrap().amount, 3650.0 * 58.0 / 250.0);

        // Entered from the bills of Q1 2025 (90 days): 1 800 kWh.
        let entered = "[baselines]\nelectricity = \"total\"\n[[baselines.entered]]\nresource = \"electricity\"\ndepartment = \"phong-a\"\nperiod = \"2025-Q1\"\namount = 1800.0\nnote = \"Hoá đơn EVN\"\n";
        let (_dir, store, config) = seeded(entered).await;
        let p = progress(&store, &config, &query("2026-Q1"), now).await.unwrap();
        let b = p.baseline.as_ref().unwrap();
        assert_eq!((b.source, b.note.as_str()), (BaselineSource::Entered, "Hoá đơn EVN"));
        // Q1 2025 and Q1 2026 both have 90 days: the bill's 1 800 carries over whole.
        close(b.amount, 1800.0);
    }

    #[tokio::test]
    async fn the_whole_office_without_data_has_no_baseline_and_no_status() {
        let (_dir, store, config) = seeded("").await;
        let now: Timestamp = "2026-11-28T10:00:00+07:00".parse().unwrap();
        let q =
            ProgressQuery { resource: Resource::Water, department: None, period: NamedPeriod::parse("2026").unwrap() };
        let p = progress(&store, &config, &q, now).await.unwrap();
        assert_eq!((p.actual, p.baseline.is_none(), p.status), (0.0, true, None));
        // No water tariff ships: the office sets its own price.
        assert!(p.cost.is_none());
        // The whole office: 10 + 5 people.
        close(p.headcount, 15.0);
    }

    /// The issue's case: 2026 to date used exactly what the same part of 2025 did, the
    /// office listing only 2026's holidays (as its config did). 2025: 0 → 900 kWh in Q1,
    /// 3 650 in the year; 2026: 3 650 → 4 550, 900 in Q1.
    #[tokio::test]
    async fn a_year_using_what_last_year_did_is_at_risk_not_off_target() {
        let holidays_2026 = "holidays = [\"2026-01-01\", \"2026-02-16\", \"2026-02-17\", \"2026-02-18\", \"2026-02-19\", \"2026-02-20\", \"2026-04-27\", \"2026-04-30\", \"2026-05-01\", \"2026-09-01\", \"2026-09-02\"]\n[[departments]]";
        let office = OFFICE.replacen("[[departments]]", holidays_2026, 1);
        let readings = [
            ("2025-01-01T00:00:00+07:00", 0.0),
            ("2025-04-01T00:00:00+07:00", 900.0),
            ("2026-01-01T00:00:00+07:00", 3650.0),
            ("2026-04-01T00:00:00+07:00", 4550.0),
        ];
        let (_dir, store, config) =
            seeded_with(&office, "[baselines]\nelectricity = \"per_working_day\"\n", &readings).await;
        let now: Timestamp = "2026-04-01T00:00:00+07:00".parse().unwrap();
        let p = progress(&store, &config, &query("2026"), now).await.unwrap();
        assert_eq!(p.status, Some(Status::CoNguyCo), "{:?}", p.explain);
        // Both years have 250 working days (the shipped calendar: 2025 has 261 weekdays, 12
        // days off and one Saturday worked; 2026 the same): the baseline is 3 650 × 250 / 250
        // = 3 650, not 3 650 × 250 / 261 = 3 496,2 as when 2025 had no holidays.
        let b = p.baseline.as_ref().unwrap();
        close(b.reference_weight, 250.0);
        close(b.period_weight, 250.0);
        close(b.amount, 3650.0);
        // Forecast 900 + (3 650 − 900) × 1 = 3 650: above the target (3 650 × 0,98 = 3 577)
        // but not above the baseline.
        close(p.forecast.as_ref().unwrap().amount, 3650.0);
        assert_eq!(p.status, Some(Status::CoNguyCo));
        let explain = &p.explain;
        assert_eq!(
            explain.line("baseline").unwrap().vi,
            "Mốc cơ sở: 3.650 kWh trong kỳ 2025 (tính từ số liệu công tơ) × 250 / 250 ngày làm việc = 3.650 kWh cả kỳ; đến nay × 58 / 250 ngày làm việc = 846,8 kWh"
        );
        assert_eq!(
            explain.line("target").unwrap().vi,
            "Mục tiêu: tiết kiệm 2,0 % (quy tắc: toàn văn phòng, mọi kỳ; kế hoạch tiết kiệm, trang Kế hoạch): 3.650 kWh × (100 % − 2,0 %) = 3.577 kWh"
        );
        assert_eq!(
            explain.line("forecast").unwrap().vi,
            "Dự báo theo cùng kỳ năm trước (phần còn lại của năm trước, nhân nhịp độ năm nay): 900,0 kWh + (3.650 kWh − 900,0 kWh) × 1,000 = 3.650 kWh"
        );
        assert_eq!(
            explain.line("status").unwrap().vi,
            "Trạng thái: có nguy cơ: dự báo 3.650 kWh > mục tiêu 3.577 kWh nhưng ≤ mốc cơ sở 3.650 kWh"
        );
        assert_eq!(
            explain.line("calendar").unwrap().vi,
            "Lịch ngày nghỉ lễ, Tết: năm 2025: chính thức; năm 2026: chính thức"
        );
    }

    #[tokio::test]
    async fn a_working_day_baseline_is_refused_for_a_year_without_a_calendar() {
        let (_dir, store, config) = seeded("[baselines]\nelectricity = \"per_working_day\"\n").await;
        let now: Timestamp = "2031-03-01T00:00:00+07:00".parse().unwrap();
        let p = progress(&store, &config, &query("2031"), now).await.unwrap();
        assert!(p.baseline.is_none() && p.status.is_none());
        let refused = p.explain.baseline_refused.as_deref().unwrap();
        assert!(refused.contains("năm 2031") && refused.contains("office.holidays"), "{refused}");
        assert_eq!(p.explain.line("refused").map(|l| l.vi.as_str()), Some(refused));
        assert!(p.explain.line("refused").unwrap().en.contains("no holiday calendar for 2031"));
        // A provisional year is computed, and says it is provisional.
        let p = progress(&store, &config, &query("2027-Q1"), now).await.unwrap();
        assert!(p.baseline.is_some());
        assert!(p.explain.line("calendar").unwrap().vi.contains("năm 2027: tạm tính"), "{:?}", p.explain);
    }
}
