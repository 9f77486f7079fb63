//! One dashboard panel: its figures from `analysis`, the words around them and its chart. The
//! page shows the chart as SVG; the download link asks for the same panel as PNG.

use std::collections::HashMap;

use jiff::Timestamp;
use maud::{Markup, html};

use crate::analysis::figures::{self, ConsumptionQuery};
use crate::analysis::progress::{self, Progress, ProgressQuery};
use crate::analysis::series::{Series, select_meters};
use crate::analysis::{Freshness, common_area, compare, freshness, plan_in_force, waste};
use crate::config::{Basis, Plan};
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, MeterKind, Resource};
use crate::domain::{Step, TimeRange};
use crate::locale::{self, Lang};
use crate::store::MeterStatus;
use crate::web::charts::{BarChart, Chart, Drawing, HeatmapChart, RankingChart};
use crate::web::pages::dashboard::spec::{ChartKind, Group, Measure, Panel, PeriodSpec};
use crate::web::pages::explain::{explain_details, status_badge};
use crate::web::{ApiError, AppState};

/// What the page's controls (or its defaults) settled for every panel.
pub(super) struct Context<'a> {
    pub state: &'a AppState,
    /// The config as this request found it, one meter list for every panel.
    pub config: std::sync::Arc<crate::config::Config>,
    pub lang: Lang,
    pub now: Timestamp,
    pub department: Option<DepartmentId>,
    pub resource: Option<Resource>,
    pub period: Option<PeriodSpec>,
    /// An explicit date range, which wins over any period.
    pub range: Option<TimeRange>,
    pub step: Option<Step>,
    pub statuses: Vec<MeterStatus>,
    /// The plan in force, read once for the request's progress figures.
    pub plan: tokio::sync::OnceCell<Plan>,
    /// Progress already worked out for this request: the overview asks for each twice.
    pub progress: std::sync::Mutex<HashMap<(Resource, NamedPeriod), Progress>>,
    /// Hourly use already read for this request: a heat map and a waste panel share it.
    pub hours: std::sync::Mutex<HashMap<(Resource, i64, i64), waste::Hourly>>,
}

/// A panel ready to show.
pub(super) struct PanelView {
    pub title: String,
    pub resource: Option<Resource>,
    pub body: Markup,
    pub chart: Option<Chart>,
}

pub(super) fn colour(resource: Resource) -> (u8, u8, u8) {
    match resource {
        Resource::Electricity => (46, 125, 50),
        Resource::Water => (21, 101, 192),
        Resource::Paper => (121, 85, 72),
    }
}

impl Context<'_> {
    /// The plan's figures for a resource (for the page's department) over a period.
    async fn progress(&self, resource: Resource, period: NamedPeriod) -> Result<Progress, ApiError> {
        let known = self.progress.lock().ok().and_then(|cache| cache.get(&(resource, period)).cloned());
        if let Some(figures) = known {
            return Ok(figures);
        }
        let query = ProgressQuery { resource, department: self.department.clone(), period };
        let figures =
            progress::progress_with(self.state.store.as_ref(), &self.config, self.plan().await?, &query, self.now)
                .await?;
        if let Ok(mut cache) = self.progress.lock() {
            cache.insert((resource, period), figures.clone());
        }
        Ok(figures)
    }

    async fn plan(&self) -> Result<&Plan, ApiError> {
        let store = self.state.store.as_ref();
        Ok(self.plan.get_or_try_init(|| plan_in_force::in_force(store, &self.config)).await?)
    }

    /// The hourly use of a resource (for the page's department) over a range.
    async fn hourly(&self, resource: Resource, range: TimeRange) -> Result<waste::Hourly, ApiError> {
        let known =
            self.hours.lock().ok().and_then(|cache| cache.get(&(resource, range.from_ms(), range.to_ms())).cloned());
        if let Some(hours) = known {
            return Ok(hours);
        }
        let hours =
            waste::hourly(self.state.store.as_ref(), &self.config, resource, self.department.as_ref(), range).await?;
        if let Ok(mut cache) = self.hours.lock() {
            cache.insert((resource, range.from_ms(), range.to_ms()), hours.clone());
        }
        Ok(hours)
    }

    fn tz(&self) -> &jiff::tz::TimeZone {
        &self.config.office.timezone
    }

    /// The range a panel shows, and the period it came from (none for explicit dates).
    pub(super) fn range(&self, panel: &Panel) -> Result<(TimeRange, Option<PeriodSpec>), ApiError> {
        if let Some(range) = self.range {
            return Ok((range, None));
        }
        let spec = self.period.unwrap_or(panel.period);
        let range = spec.range(self.now, self.tz()).map_err(|e| ApiError::BadRequest(e.0))?;
        Ok((range, Some(spec)))
    }

    /// The step of a bars panel: the page's, the panel's unless the period was changed, or
    /// the period's own.
    fn step(&self, panel: &Panel, range: &TimeRange) -> Step {
        let chosen_period = self.range.is_some() || self.period.is_some();
        self.step.or(if chosen_period { None } else { panel.step }).unwrap_or_else(|| panel.period.default_step(range))
    }

    fn department_name(&self) -> Option<&str> {
        let id = self.department.as_ref()?;
        self.config.department(id).map(|d| d.name.as_str())
    }

    /// "Điện", or "Điện — Phòng A" on a department's page.
    fn subject(&self, resource: Resource) -> String {
        let name = locale::resource_name(resource, self.lang);
        match self.department_name() {
            Some(department) => format!("{name} — {department}"),
            None => name.to_owned(),
        }
    }

    /// The period as people say it: tháng 11/2026, năm 2026, 30 ngày qua, 01/11/2026 – 15/11/2026.
    pub fn period_label(&self, range: &TimeRange, spec: Option<PeriodSpec>) -> String {
        let lang = self.lang;
        match spec {
            Some(PeriodSpec::Today) => lang.pick("hôm nay", "today").to_owned(),
            Some(PeriodSpec::Last7Days) => lang.pick("7 ngày qua", "the last 7 days").to_owned(),
            Some(PeriodSpec::Last30Days) => lang.pick("30 ngày qua", "the last 30 days").to_owned(),
            Some(PeriodSpec::Last12Months) => lang.pick("12 tháng qua", "the last 12 months").to_owned(),
            Some(PeriodSpec::ThisMonth) | Some(PeriodSpec::ThisYear) | Some(PeriodSpec::Named(_)) | None => {
                let named = match spec {
                    Some(PeriodSpec::ThisMonth) => {
                        let today = self.now.to_zoned(self.tz().clone()).date();
                        Some(NamedPeriod::Month(today.year(), today.month()))
                    }
                    Some(PeriodSpec::ThisYear) => Some(NamedPeriod::Year(self.now.to_zoned(self.tz().clone()).year())),
                    Some(PeriodSpec::Named(named)) => Some(named),
                    _ => None,
                };
                match named {
                    Some(named) => named_label(named, lang),
                    None => {
                        let last = range.to().checked_sub(jiff::SignedDuration::from_hours(1)).unwrap_or(range.to());
                        format!("{} – {}", locale::date(range.from(), self.tz()), locale::date(last, self.tz()))
                    }
                }
            }
        }
    }
}

/// năm 2026, quý 3/2026, tháng 11/2026, Giai đoạn 1 (2026–06/2028).
pub(super) fn named_label(named: NamedPeriod, lang: Lang) -> String {
    match (named, lang) {
        (NamedPeriod::Year(y), Lang::Vi) => format!("năm {y}"),
        (NamedPeriod::Quarter(y, q), Lang::Vi) => format!("quý {q}/{y}"),
        (NamedPeriod::Month(y, m), Lang::Vi) => format!("tháng {m:02}/{y}"),
        // A phase is a name: Giai đoạn 1 (2026–06/2028), Phase 1 (2026–06/2028).
        _ => locale::period_name(named, lang),
    }
}

/// Axis labels for the buckets of a series: hours, days or months, with more context when
/// the range spans more.
fn bucket_labels(series: &Series, step: Step, tz: &jiff::tz::TimeZone, lang: Lang) -> Vec<String> {
    let zoned: Vec<jiff::Zoned> = series.series.iter().map(|b| b.start.to_zoned(tz.clone())).collect();
    let (first, last) = match (zoned.first(), zoned.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Vec::new(),
    };
    let many_days = first.date() != last.date();
    let many_months = (first.year(), first.month()) != (last.year(), last.month());
    let many_years = first.year() != last.year();
    zoned
        .iter()
        .map(|z| match step {
            Step::Hour if many_days => z.strftime("%d/%m %Hh").to_string(),
            Step::Hour => z.strftime("%Hh").to_string(),
            Step::Day if many_months => z.strftime("%d/%m").to_string(),
            Step::Day => z.day().to_string(),
            Step::Month if many_years => format!("{}/{}", locale::month_label(z.month(), lang), z.year() % 100),
            Step::Month => locale::month_label(z.month(), lang),
        })
        .collect()
}

fn step_words(step: Step, lang: Lang) -> &'static str {
    match step {
        Step::Hour => lang.pick("theo giờ", "by hour"),
        Step::Day => lang.pick("theo ngày", "by day"),
        Step::Month => lang.pick("theo tháng", "by month"),
    }
}

pub(super) async fn panel(ctx: &Context<'_>, panel: &Panel) -> Result<PanelView, ApiError> {
    let resource = ctx.resource.or(panel.resource);
    let mut view = match (panel.chart, resource) {
        (ChartKind::Meters, resource) => meters(ctx, resource),
        (ChartKind::Supplies, _) => super::supplies::panel(ctx, panel).await?,
        (_, None) => return Err(ApiError::internal("a panel without a resource passed the dashboard check")),
        (ChartKind::Progress, Some(r)) => progress(ctx, r).await?,
        (ChartKind::Bars, Some(r)) => bars(ctx, panel, r).await?,
        (ChartKind::Ranking, Some(r)) => ranking(ctx, panel, r).await?,
        (ChartKind::Heatmap, Some(r)) => heatmap(ctx, panel, r).await?,
        (ChartKind::Waste, Some(r)) => waste_panel(ctx, panel, r).await?,
    };
    if let Some(title) = &panel.title {
        view.title = match ctx.lang {
            Lang::Vi => title.vi.clone(),
            Lang::En => title.en.clone(),
        };
        if let Some(chart) = &mut view.chart {
            chart.title = view.title.clone();
        }
    }
    Ok(view)
}

/// A sentence for screen readers: the total and the largest bucket.
fn describe(resource: Resource, values: &[f64], labels: &[String], lang: Lang) -> String {
    let quantity = |v| locale::quantity(resource, v, lang);
    let total: f64 = values.iter().sum();
    let mut text = format!("{}: {}", lang.pick("Tổng", "Total"), quantity(total));
    let peak = values.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1));
    if let Some((i, value)) = peak.filter(|(_, v)| **v > 0.0) {
        text.push_str(&format!(
            "; {} {}: {}",
            lang.pick("cao nhất", "highest"),
            labels.get(i).map(String::as_str).unwrap_or(""),
            quantity(*value)
        ));
    }
    text
}

async fn series(ctx: &Context<'_>, resource: Resource, range: TimeRange, step: Step) -> Result<Series, ApiError> {
    let query = ConsumptionQuery { resource, department: ctx.department.clone(), meter: None, range, step };
    Ok(figures::consumption(ctx.state.store.as_ref(), &ctx.config, &query).await?)
}

/// This month and this year against the plan: use to date, the same period last year, the
/// baseline, the target, the forecast to the period's end and its status; CO2e and cost.
async fn progress(ctx: &Context<'_>, resource: Resource) -> Result<PanelView, ApiError> {
    let lang = ctx.lang;
    let today = ctx.now.to_zoned(ctx.tz().clone()).date();
    let mut periods = Vec::new();
    for period in [NamedPeriod::Month(today.year(), today.month()), NamedPeriod::Year(today.year())] {
        periods.push(ctx.progress(resource, period).await?);
    }
    let incomplete = incomplete_note(ctx, resource);
    let has_meters = ctx.config.meters.iter().any(|m| m.resource == resource);
    let q = |v: f64| locale::quantity(resource, v, lang);
    let optional = |v: Option<f64>| v.map(q).unwrap_or_else(|| "—".to_owned());
    let co2e = |kg: f64| format!("{} kg CO2e", locale::amount(kg, lang));
    let vnd = |v: f64| format!("{} đ", locale::number(v, 0, lang));
    let keys = ["month", "year"];
    let headings = [
        format!("{} {}", lang.pick("Tháng", "Month"), today.strftime("%m/%Y")),
        format!("{} {}", lang.pick("Năm", "Year"), today.year()),
    ];
    let has_co2e = periods.iter().any(|p| p.co2e.is_some());
    let has_cost = periods.iter().any(|p| p.cost.is_some());
    let body = html! {
        @if let Some(note) = incomplete { p.incomplete data-incomplete=(resource.as_str()) { (note) } }
        @if has_meters {
            div.table-wrap { table.progress {
                thead { tr { th {} @for h in &headings { th.num { (h) } } } }
                tbody {
                    tr.actual { th { (lang.pick("Đã dùng đến nay", "Used to date")) }
                        @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-total")) { strong { (q(p.actual)) } } } }
                    tr { th { (lang.pick("Cùng kỳ năm trước", "Same period last year")) }
                        @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-last-year")) { (optional(p.last_year.as_ref().map(|l| l.to_date))) } } }
                    tr { th { (lang.pick("Định mức (cả kỳ)", "Baseline (whole period)")) }
                        @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-baseline")) { (optional(p.baseline.as_ref().map(|b| b.amount))) } } }
                    tr { th { (lang.pick("Mục tiêu (cả kỳ)", "Target (whole period)")) }
                        @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-target")) {
                            (optional(p.target.as_ref().map(|t| t.amount)))
                            @if let Some(t) = &p.target { br; small { "−" (locale::number(t.saving_percent, 1, lang)) " %" } }
                        } } }
                    tr { th { (lang.pick("Dự báo cuối kỳ", "Forecast to the end")) }
                        @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-forecast")) { (optional(p.forecast.as_ref().map(|f| f.amount))) } } }
                    tr { th { (lang.pick("Trạng thái", "Status")) }
                        @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-status")) {
                            (status_badge(p.status, lang))
                        } } }
                    @if has_co2e {
                        tr { th { (lang.pick("Phát thải", "Emissions")) }
                            @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-co2e")) { (p.co2e.as_ref().map(|c| co2e(c.actual_kg)).unwrap_or_else(|| "—".into())) } } }
                    }
                    @if has_cost {
                        tr { th { (lang.pick("Chi phí", "Cost")) }
                            @for (k, p) in keys.iter().zip(&periods) { td.num data-figure=(format!("{k}-cost")) { (p.cost.as_ref().map(|c| vnd(c.actual_vnd)).unwrap_or_else(|| "—".into())) } } }
                    }
                }
            } }
            @for ((k, p), h) in keys.iter().zip(&periods).zip(&headings) { (explain_details(&p.explain, &format!("{k}-explain"), h, lang)) }
        } @else {
            p.empty { (lang.pick("Chưa có công tơ nào cho tài nguyên này.", "No meter is configured for this resource.")) }
        }
    };
    Ok(PanelView {
        title: format!("{} ({})", ctx.subject(resource), locale::unit(resource, lang)),
        resource: Some(resource),
        body,
        chart: None,
    })
}

/// The period a panel's range is, when it is one the plan has targets for.
fn named_period(ctx: &Context<'_>, spec: Option<PeriodSpec>) -> Option<NamedPeriod> {
    let today = ctx.now.to_zoned(ctx.tz().clone()).date();
    match spec? {
        PeriodSpec::ThisMonth => Some(NamedPeriod::Month(today.year(), today.month())),
        PeriodSpec::ThisYear => Some(NamedPeriod::Year(today.year())),
        PeriodSpec::Named(named) => Some(named),
        _ => None,
    }
}

/// Each bucket's share of the period's target: by working days when the baseline carries
/// over by working days, else by calendar days.
fn target_per_bucket(ctx: &Context<'_>, series: &Series, range: &TimeRange, target: f64, basis: Basis) -> Vec<f64> {
    let office = &ctx.config.office;
    let tz = ctx.tz();
    let date = |ts: Timestamp| ts.to_zoned(tz.clone()).date();
    let weight = |from: Timestamp, to: Timestamp| -> f64 {
        let (first, last) = (date(from), date(to));
        match basis {
            Basis::PerWorkingDay => f64::from(office.working_days_between(first, last)),
            _ => first.until(last).map(|span| f64::from(span.get_days())).unwrap_or(0.0),
        }
    };
    let ends: Vec<Timestamp> = series.series.iter().skip(1).map(|b| b.start).chain([range.to()]).collect();
    let whole = weight(range.from(), range.to());
    series
        .series
        .iter()
        .zip(ends)
        .map(|(bucket, end)| if whole > 0.0 { target * weight(bucket.start, end) / whole } else { 0.0 })
        .collect()
}

/// The meters counting towards a resource's figures that are late or never reported.
fn incomplete_note(ctx: &Context<'_>, resource: Resource) -> Option<String> {
    let config = &ctx.config;
    let lang = ctx.lang;
    let seen: HashMap<_, _> = ctx.statuses.iter().map(|s| (&s.meter, s.last_seen)).collect();
    let gaps: Vec<String> = select_meters(&config.meters, resource, ctx.department.as_ref())
        .iter()
        .filter_map(|id| config.meter(id))
        .filter_map(|meter| match freshness(meter, seen.get(&meter.id).copied().flatten(), ctx.now) {
            Freshness::Ok => None,
            Freshness::Late { since } => Some(format!(
                "{} {} {}",
                meter.name,
                lang.pick("chưa gửi số liệu từ", "has sent nothing since"),
                locale::date_time(since, ctx.tz(), lang)
            )),
            Freshness::Never => {
                Some(format!("{} {}", meter.name, lang.pick("chưa có số liệu", "has never sent a reading")))
            }
        })
        .collect();
    (!gaps.is_empty())
        .then(|| format!("{}: {}", lang.pick("Số liệu chưa đầy đủ", "Figures incomplete"), gaps.join("; ")))
}

async fn bars(ctx: &Context<'_>, panel: &Panel, resource: Resource) -> Result<PanelView, ApiError> {
    let lang = ctx.lang;
    let (range, spec) = ctx.range(panel)?;
    let step = ctx.step(panel, &range);
    if let Some(department) = &ctx.department
        && !common_area::has_own_meter(&ctx.config, resource, department)
    {
        // No meter of its own: nothing measured, which is not a 0 to chart.
        let title = format!("{} — {}", ctx.subject(resource), ctx.period_label(&range, spec));
        let body = html! { p.empty.no-meter data-figure="total" { (lang.pick("Chưa có công tơ riêng cho tài nguyên này.", "No meter of its own for this resource.")) } };
        return Ok(PanelView { title, resource: Some(resource), body, chart: None });
    }
    let series = series(ctx, resource, range, step).await?;
    let labels = bucket_labels(&series, step, ctx.tz(), lang);
    let values: Vec<f64> = series.series.iter().map(|b| b.value).collect();
    // The target line: the period's target spread over its buckets (not for hours, where a
    // day's shape matters more than its share).
    let mut target = None;
    if let Some(period) = named_period(ctx, spec).filter(|_| step != Step::Hour) {
        let figures = ctx.progress(resource, period).await?;
        if let (Some(t), Some(b)) = (figures.target, figures.baseline) {
            target = Some((t.amount, target_per_bucket(ctx, &series, &range, t.amount, b.basis)));
        }
    }
    let title = format!("{} — {} {}", ctx.subject(resource), ctx.period_label(&range, spec), step_words(step, lang));
    let mut description = describe(resource, &values, &labels, lang);
    if let Some((whole, _)) = &target {
        description.push_str(&format!(
            "; {}: {}",
            lang.pick("mục tiêu cả kỳ", "target for the period"),
            locale::quantity(resource, *whole, lang)
        ));
    }
    let body = html! {
        p.figure {
            (lang.pick("Tổng", "Total")) ": " strong data-figure="total" { (locale::quantity(resource, series.total, lang)) }
            @if let Some((whole, _)) = &target {
                " · " span.target-key { (lang.pick("mục tiêu cả kỳ (đường đứt đỏ)", "target for the period (dashed red line)")) ": " }
                strong data-figure="target" { (locale::quantity(resource, *whole, lang)) }
            }
        }
    };
    let chart = Chart {
        title: title.clone(),
        description,
        lang,
        drawing: Drawing::Bars(BarChart {
            labels,
            values,
            target: target.map(|(_, per_bucket)| per_bucket),
            unit: locale::unit(resource, lang).to_owned(),
            colour: colour(resource),
        }),
    };
    Ok(PanelView { title, resource: Some(resource), body, chart: Some(chart) })
}

async fn ranking(ctx: &Context<'_>, panel: &Panel, resource: Resource) -> Result<PanelView, ApiError> {
    let lang = ctx.lang;
    let (range, spec) = ctx.range(panel)?;
    let store = ctx.state.store.as_ref();
    let config = &ctx.config;
    let unit = locale::unit(resource, lang);
    let (mut ranked, what) = match panel.group {
        Group::Meters => (
            compare::meters(store, config, resource, ctx.department.as_ref(), range).await?,
            lang.pick("theo công tơ", "by meter"),
        ),
        _ => {
            (compare::departments(store, config, resource, range).await?, lang.pick("theo phòng, ban", "by department"))
        }
    };
    let (key, measure_unit): (fn(&compare::Ranked) -> Option<f64>, String) = match panel.measure {
        Measure::Total => (compare::Ranked::measured, unit.to_owned()),
        Measure::PerPerson => (|r| r.per_person, format!("{unit}/{}", lang.pick("người", "person"))),
        Measure::PerArea => (|r| r.per_m2, format!("{unit}/m²")),
    };
    compare::sort_by(&mut ranked, key);
    let shown: Vec<&compare::Ranked> = ranked.iter().filter(|r| key(r).is_some()).collect();
    let labels: Vec<String> = shown.iter().map(|r| r.name.clone()).collect();
    let values: Vec<f64> = shown.iter().filter_map(|r| key(r)).collect();
    let title = format!(
        "{} {} — {} — {}",
        locale::resource_name(resource, lang),
        what,
        measure_unit,
        ctx.period_label(&range, spec)
    );
    let number = |v: Option<f64>, decimals| v.map(|v| locale::number(v, decimals, lang)).unwrap_or_else(|| "—".into());
    let description = match shown.first() {
        Some(first) => {
            format!("{}: {} ({} {})", lang.pick("Cao nhất", "Highest"), first.name, number(key(first), 2), measure_unit)
        }
        None => lang.pick("Chưa có số liệu", "No data yet").to_owned(),
    };
    let departments = panel.group == Group::Departments;
    let common = match departments {
        true => common_area::common_area(store, config, resource, range).await?,
        false => None,
    };
    let ranks: HashMap<String, usize> = {
        let mut by_total: Vec<&compare::Ranked> = ranked.iter().filter(|r| r.has_meter).collect();
        by_total.sort_by(|a, b| b.total.total_cmp(&a.total));
        let totals: Vec<f64> = by_total.iter().map(|r| r.total).collect();
        by_total.iter().map(|r| r.id.clone()).zip(crate::analysis::points::ranks(&totals)).collect()
    };
    let no_meter = lang.pick("chưa có công tơ riêng", "no meter of its own");
    // Each department against its own baseline, when the period is one the plan covers:
    // positive, it used more than its baseline to date.
    let mut against_baseline: HashMap<String, Option<f64>> = HashMap::new();
    if let Some(period) = named_period(ctx, spec).filter(|_| departments) {
        for department in &config.departments {
            let query = ProgressQuery { resource, department: Some(department.id.clone()), period };
            let figures = progress::progress_with(store, config, ctx.plan().await?, &query, ctx.now).await?;
            against_baseline.insert(department.id.to_string(), figures.saving_percent.map(|saved| -saved));
        }
    }
    let change = |id: &str| match against_baseline.get(id).copied().flatten() {
        Some(pct) => format!("{}{} %", if pct > 0.0 { "+" } else { "" }, locale::number(pct, 1, lang)),
        None => "—".to_owned(),
    };
    let body = html! {
        div.table-wrap { table.ranking {
            thead { tr {
                th { "#" }
                th { @if departments { (lang.pick("Phòng, ban", "Department")) } @else { (lang.pick("Công tơ", "Meter")) } }
                th.num { (lang.pick("Tổng", "Total")) " (" (unit) ")" }
                @if departments {
                    th.num { (unit) "/" (lang.pick("người", "person")) }
                    th.num { (unit) "/m²" }
                    @if !against_baseline.is_empty() { th.num { (lang.pick("So với mốc cơ sở (đến nay)", "Against its baseline (to date)")) } }
                }
            } }
            tbody {
                @for r in &ranked {
                    tr data-row=(r.id) {
                        td data-figure="rank" { @if let Some(rank) = ranks.get(&r.id) { (rank) } }
                        td { (r.name) }
                        @if r.has_meter {
                            td.num data-figure="total" { (amount_of(resource, r.total, lang)) }
                        } @else {
                            td.num.no-meter data-figure="total" { (no_meter) }
                        }
                        @if departments {
                            td.num data-figure="per-person" { (number(r.per_person, 2)) }
                            td.num data-figure="per-m2" { (number(r.per_m2, 2)) }
                            @if !against_baseline.is_empty() { td.num data-figure="vs-baseline" { (change(&r.id)) } }
                        }
                    }
                }
                @if let Some(c) = &common {
                    tr.common-area data-row=(common_area::ID) {
                        td {}
                        td { (lang.pick(common_area::NAME_VI, common_area::NAME_EN)) " " small { (lang.pick("(công tơ tổng − công tơ các phòng, ban)", "(main meter − the departments' meters)")) } }
                        td.num data-figure="total" { (amount_of(resource, c.amount, lang)) }
                        td.num { "—" } td.num { "—" }
                        @if !against_baseline.is_empty() { td.num { "—" } }
                    }
                    tr.office-total data-row="ca-van-phong" {
                        td {}
                        th { (lang.pick("Cả văn phòng", "Whole office")) }
                        td.num data-figure="total" { strong { (amount_of(resource, c.office_total, lang)) } }
                        td.num { "—" } td.num { "—" }
                        @if !against_baseline.is_empty() { td.num { "—" } }
                    }
                }
            }
        } }
    };
    let chart = Chart {
        title: title.clone(),
        description,
        lang,
        drawing: Drawing::Ranking(RankingChart { labels, values, unit: measure_unit, colour: colour(resource) }),
    };
    Ok(PanelView { title, resource: Some(resource), body, chart: Some(chart) })
}

/// A figure without its unit, sheets whole: 1.234,5 (kWh) or 1.500 (tờ).
fn amount_of(resource: Resource, value: f64, lang: Lang) -> String {
    match resource {
        Resource::Paper => locale::number(value, 0, lang),
        _ => locale::amount(value, lang),
    }
}

pub(super) fn day_names(lang: Lang) -> [String; 7] {
    match lang {
        Lang::Vi => ["T2", "T3", "T4", "T5", "T6", "T7", "CN"],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }
    .map(String::from)
}

async fn heatmap(ctx: &Context<'_>, panel: &Panel, resource: Resource) -> Result<PanelView, ApiError> {
    let lang = ctx.lang;
    let (range, spec) = ctx.range(panel)?;
    let hours = ctx.hourly(resource, range).await?;
    let cells = waste::hour_of_week(&hours, ctx.tz());
    let days = day_names(lang);
    let unit = format!("{}/{}", locale::unit(resource, lang), lang.pick("giờ", "hour"));
    let peak =
        (0..7).flat_map(|d| (0..24).map(move |h| (d, h))).max_by(|a, b| cells[a.0][a.1].total_cmp(&cells[b.0][b.1]));
    let description = match peak.filter(|(d, h)| cells[*d][*h] > 0.0) {
        Some((d, h)) => format!(
            "{} {} {h}h: {} {unit}",
            lang.pick("Trung bình theo giờ trong tuần; cao nhất", "Average by hour of the week; highest"),
            days[d],
            locale::amount(cells[d][h], lang)
        ),
        None => lang.pick("Chưa có số liệu", "No data yet").to_owned(),
    };
    let title = format!(
        "{} {} — {}",
        ctx.subject(resource),
        lang.pick("theo giờ trong tuần", "by hour of the week"),
        ctx.period_label(&range, spec)
    );
    let body = html! { p.note { (lang.pick("Ô càng đậm, giờ đó dùng càng nhiều.", "The darker the cell, the more used in that hour.")) " " (description) } };
    let chart = Chart {
        title: title.clone(),
        description,
        lang,
        drawing: Drawing::Heatmap(Box::new(HeatmapChart { cells, day_labels: days, unit, colour: colour(resource) })),
    };
    Ok(PanelView { title, resource: Some(resource), body, chart: Some(chart) })
}

async fn waste_panel(ctx: &Context<'_>, panel: &Panel, resource: Resource) -> Result<PanelView, ApiError> {
    let lang = ctx.lang;
    let (range, spec) = ctx.range(panel)?;
    let store = ctx.state.store.as_ref();
    let config = &ctx.config;
    let hours = ctx.hourly(resource, range).await?;
    let figures = waste::waste(store, config, resource, ctx.department.as_ref(), range, &hours).await?;
    let split = figures.split;
    let pct = |part: f64| {
        split.share(part).map(|s| format!("{} %", locale::number(s * 100.0, 1, lang))).unwrap_or_else(|| "—".into())
    };
    let q = |v: f64| locale::quantity(resource, v, lang);
    let rate_unit = match resource {
        Resource::Electricity => "kW".to_owned(),
        _ => format!("{}/{}", locale::unit(resource, lang), lang.pick("giờ", "hour")),
    };
    let parts = [
        (lang.pick("Trong giờ làm việc", "In working hours"), "working-hours", split.working_hours),
        (lang.pick("Ngoài giờ, ngày làm việc", "Outside hours, working days"), "outside-hours", split.outside_hours),
        (lang.pick("Cuối tuần", "Weekends"), "weekends", split.weekends),
        (lang.pick("Ngày lễ, nghỉ", "Holidays"), "holidays", split.holidays),
    ];
    let wasted = split.outside_hours + split.weekends + split.holidays;
    let title = format!(
        "{} {} — {}",
        ctx.subject(resource),
        lang.pick("ngoài giờ làm việc", "outside working hours"),
        ctx.period_label(&range, spec)
    );
    let meter_name =
        |id: &crate::domain::MeterId| config.meter(id).map(|m| m.name.clone()).unwrap_or_else(|| id.to_string());
    let body = html! {
        p.figure {
            (lang.pick("Ngoài giờ làm việc (kể cả cuối tuần, ngày lễ)", "Outside working hours (weekends and holidays included)")) ": "
            strong data-figure="outside-share" { (pct(wasted)) } " (" (q(wasted)) ")"
        }
        div.table-wrap { table {
            thead { tr { th { (lang.pick("Thời gian", "When")) } th.num { (lang.pick("Lượng dùng", "Used")) } th.num { (lang.pick("Tỷ lệ", "Share")) } } }
            tbody {
                @for (label, key, value) in parts {
                    tr data-row=(key) { td { (label) } td.num { (q(value)) } td.num data-figure="share" { (pct(value)) } }
                }
            }
        } }
        @if let Some(night) = figures.night {
            p.figure {
                (lang.pick("Tải nền ban đêm (0–5 giờ, trung vị)", "Night base load (00:00–05:00, median)")) ": "
                strong data-figure="night-base" { (locale::amount(night.base_per_hour, lang)) " " (rate_unit) }
                @if let Some(work) = night.working_per_hour.filter(|w| *w > 0.0) {
                    " — " (locale::number(night.base_per_hour / work * 100.0, 0, lang)) " % "
                    (lang.pick("mức trung bình giờ làm việc", "of the working-hours average"))
                }
            }
        }
        @if resource == Resource::Water {
            @if figures.never_stop.is_empty() {
                p.ok data-figure="leaks" { (lang.pick("Không đồng hồ nào chảy suốt đêm.", "No meter runs all night.")) }
            } @else {
                div.alert data-figure="leaks" {
                    strong { (lang.pick("Có thể rò rỉ: đồng hồ không về 0 ban đêm", "Likely leak: meters that never stop at night")) }
                    ul { @for found in &figures.never_stop {
                        li data-leak=(found.meter.as_str()) {
                            (meter_name(&found.meter)) ": " (found.nights) " " (lang.pick("đêm liền, thấp nhất", "nights, lowest"))
                            " " (locale::amount(found.lowest_per_hour * 1000.0, lang)) " " (lang.pick("lít/giờ", "litres/hour"))
                        }
                    } }
                }
            }
        }
    };
    let labels: Vec<String> = parts.iter().map(|(l, _, _)| (*l).to_owned()).collect();
    let values: Vec<f64> = parts.iter().map(|(_, _, v)| *v).collect();
    let description = format!("{}: {}", lang.pick("Ngoài giờ làm việc", "Outside working hours"), pct(wasted));
    let chart = Chart {
        title: title.clone(),
        description,
        lang,
        drawing: Drawing::Ranking(RankingChart {
            labels,
            values,
            unit: locale::unit(resource, lang).to_owned(),
            colour: colour(resource),
        }),
    };
    Ok(PanelView { title, resource: Some(resource), body, chart: Some(chart) })
}

fn meters(ctx: &Context<'_>, resource: Option<Resource>) -> PanelView {
    let lang = ctx.lang;
    let config = &ctx.config;
    let tz = ctx.tz();
    let status_of: HashMap<_, _> = ctx.statuses.iter().map(|s| (&s.meter, s)).collect();
    let departments: HashMap<_, _> = config.departments.iter().map(|d| (&d.id, d.name.as_str())).collect();
    let shown = config
        .meters
        .iter()
        .filter(|m| resource.is_none_or(|r| m.resource == r))
        .filter(|m| ctx.department.is_none() || m.department == ctx.department);
    let body = html! {
        div.table-wrap { table.meters {
            thead { tr {
                th { (lang.pick("Công tơ", "Meter")) } th { (lang.pick("Phòng, ban", "Department")) } th.num { (lang.pick("Chỉ số cuối", "Last reading")) }
                th { (lang.pick("Thời điểm đo", "Taken at")) } th { (lang.pick("Nhận lần cuối", "Last received")) } th { (lang.pick("Trạng thái", "Status")) }
            } }
            tbody {
                @for meter in shown {
                    @let status = status_of.get(&meter.id);
                    tr data-meter=(meter.id.as_str()) {
                        td { (meter.name) br; small { a href=(format!("/api/v1/readings?meter={}", meter.id)) { code { (meter.id.as_str()) } } } }
                        td { @match &meter.department { Some(d) => (departments.get(d).copied().unwrap_or(d.as_str())), None => (lang.pick("Toàn toà nhà", "Whole building")) } }
                        @match status.and_then(|s| s.last_value.zip(s.last_ts).zip(s.last_seen)) {
                            Some(((value, ts), seen)) => {
                                td.num data-figure="last-value" {
                                    (locale::quantity(meter.resource, value, lang))
                                    @if meter.kind == MeterKind::Delta { " (Δ)" }
                                }
                                td { (locale::date_time(ts, tz, lang)) }
                                td { (locale::date_time(seen, tz, lang)) }
                            }
                            None => { td.empty colspan="3" { (lang.pick("chưa có số liệu", "no data yet")) } }
                        }
                        @match freshness(meter, status.and_then(|s| s.last_seen), ctx.now) {
                            Freshness::Ok => { td.fresh data-status="ok" { (lang.pick("Đúng hạn", "On time")) } }
                            Freshness::Late { since } => { td.late data-status="late" { (lang.pick("Chậm: chưa gửi từ", "Late: nothing since")) " " (locale::date_time(since, tz, lang)) } }
                            Freshness::Never => { td.never data-status="never" { (lang.pick("Chưa có số liệu", "No data yet")) } }
                        }
                    }
                }
            }
        } }
    };
    let title = match (resource, ctx.department_name()) {
        (Some(r), _) => format!("{} — {}", lang.pick("Công tơ", "Meters"), ctx.subject(r)),
        (None, Some(d)) => format!("{} — {d}", lang.pick("Công tơ và đồng hồ", "Meters")),
        (None, None) => lang.pick("Công tơ và đồng hồ", "Meters").to_owned(),
    };
    PanelView { title, resource, body, chart: None }
}
