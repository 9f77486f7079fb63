//! The dashboard pages, rendered on the server: Vietnamese by default, `?lang=en` for English.

use crate::web::auth::OverviewReader;
use std::collections::HashMap;

use axum::extract::{Query, State};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use maud::{html, Markup, PreEscaped};

use super::{layout, PageParams};
use crate::web::charts::{bar_chart, BarChart};
use crate::web::format::{self, Lang};
use crate::web::{ApiError, AppState};
use crate::analysis::figures::{self, ConsumptionQuery};
use crate::analysis::series::{select_meters, Series};
use crate::analysis::{freshness, Freshness};
use crate::analysis::{Step, TimeRange};
use crate::domain::{MeterKind, Resource};

/// The words of the overview page in one language.
struct Words {
    updated: &'static str,
    broker_ok: &'static str,
    broker_down: &'static str,
    rejected: &'static str,
    this_month: &'static str,
    year_to_date: &'static str,
    by_day: &'static str,
    by_month: &'static str,
    no_meters: &'static str,
    meters: &'static str,
    meter: &'static str,
    department: &'static str,
    whole_building: &'static str,
    last_value: &'static str,
    reading_time: &'static str,
    last_seen: &'static str,
    never: &'static str,
    total: &'static str,
    highest: &'static str,
    status: &'static str,
    on_time: &'static str,
    late_since: &'static str,
    no_data: &'static str,
    incomplete: &'static str,
    not_sent_since: &'static str,
    never_sent: &'static str,
}

const VI: Words = Words {
    updated: "Cập nhật lúc",
    broker_ok: "MQTT: đã kết nối",
    broker_down: "MQTT: mất kết nối",
    rejected: "Số liệu bị từ chối",
    this_month: "Tháng",
    year_to_date: "Từ đầu năm",
    by_day: "theo ngày",
    by_month: "theo tháng",
    no_meters: "Chưa có công tơ nào cho tài nguyên này.",
    meters: "Công tơ và đồng hồ",
    meter: "Công tơ",
    department: "Phòng, ban",
    whole_building: "Toàn toà nhà",
    last_value: "Chỉ số cuối",
    reading_time: "Thời điểm đo",
    last_seen: "Nhận lần cuối",
    never: "chưa có số liệu",
    total: "Tổng",
    highest: "cao nhất",
    status: "Trạng thái",
    on_time: "Đúng hạn",
    late_since: "Chậm: chưa gửi từ",
    no_data: "Chưa có số liệu",
    incomplete: "Số liệu chưa đầy đủ",
    not_sent_since: "chưa gửi số liệu từ",
    never_sent: "chưa có số liệu",
};

const EN: Words = Words {
    updated: "Updated at",
    broker_ok: "MQTT: connected",
    broker_down: "MQTT: disconnected",
    rejected: "Rejected readings",
    this_month: "Month",
    year_to_date: "Year to date",
    by_day: "by day",
    by_month: "by month",
    no_meters: "No meter is configured for this resource.",
    meters: "Meters",
    meter: "Meter",
    department: "Department",
    whole_building: "Whole building",
    last_value: "Last reading",
    reading_time: "Taken at",
    last_seen: "Last received",
    never: "no data yet",
    total: "Total",
    highest: "highest",
    status: "Status",
    on_time: "On time",
    late_since: "Late: nothing since",
    no_data: "No data yet",
    incomplete: "Figures incomplete",
    not_sent_since: "has sent nothing since",
    never_sent: "has never sent a reading",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

fn colour(resource: Resource) -> (u8, u8, u8) {
    match resource {
        Resource::Electricity => (46, 125, 50),
        Resource::Water => (21, 101, 192),
        Resource::Paper => (121, 85, 72),
    }
}

/// One resource's panel: this month by day and this year by month.
struct ResourcePanel {
    resource: Resource,
    has_meters: bool,
    month: Series,
    year: Series,
    /// The meters counting towards these figures that are late or never reported, as a
    /// sentence: the figures are missing their use.
    incomplete: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    OverviewReader(who): OverviewReader,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = params.lang();
    let w = words(lang);
    let config = &state.config;
    let tz = &config.office.timezone;
    let now = Timestamp::now();
    let today = now.to_zoned(tz.clone()).date();
    let month_start = today.first_of_month();
    let year_start = Date::new(today.year(), 1, 1).map_err(|e| ApiError::Internal(e.to_string()))?;
    let next = |d: Date, span| d.checked_add(span).map_err(|e: jiff::Error| ApiError::Internal(e.to_string()));
    let month_range = TimeRange::days(month_start, next(month_start, 1.month())?, tz).map_err(|e| ApiError::Internal(e.0))?;
    let year_range = TimeRange::days(year_start, next(year_start, 1.year())?, tz).map_err(|e| ApiError::Internal(e.0))?;

    let mut panels = Vec::new();
    for resource in Resource::ALL {
        let has_meters = config.meters.iter().any(|m| m.resource == resource);
        let series = |range, step| ConsumptionQuery { resource, department: None, meter: None, range, step };
        let month = figures::consumption(state.store.as_ref(), config, &series(month_range, Step::Day)).await?;
        let year = figures::consumption(state.store.as_ref(), config, &series(year_range, Step::Month)).await?;
        panels.push(ResourcePanel { resource, has_meters, month, year, incomplete: None });
    }
    let statuses = state.store.meter_status().await?;
    let status_of: HashMap<_, _> = statuses.iter().map(|s| (&s.meter, s)).collect();
    let fresh_of: HashMap<_, _> = config
        .meters
        .iter()
        .map(|m| (&m.id, freshness(m, status_of.get(&m.id).and_then(|s| s.last_seen), now)))
        .collect();
    for panel in &mut panels {
        let gaps: Vec<String> = select_meters(&config.meters, panel.resource, None)
            .iter()
            .filter_map(|id| Some((config.meter(id)?, *fresh_of.get(id)?)))
            .filter_map(|(meter, fresh)| match fresh {
                Freshness::Ok => None,
                Freshness::Late { since } => Some(format!("{} {} {}", meter.name, w.not_sent_since, format::date_time(since, tz, lang))),
                Freshness::Never => Some(format!("{} {}", meter.name, w.never_sent)),
            })
            .collect();
        if !gaps.is_empty() {
            panel.incomplete = Some(format!("{}: {}", w.incomplete, gaps.join("; ")));
        }
    }
    let (_, rejected_total) = state.store.rejected(1).await?;
    let ingest = state.ingest.snapshot();

    let month_label = format!("{} {}", w.this_month, month_start.strftime("%m/%Y"));
    let year_label = format!("{} {}", w.year_to_date, today.year());
    let mut charts = Vec::new();
    for panel in &panels {
        let name = format::resource_name(panel.resource, lang);
        let unit = format::unit(panel.resource, lang);
        // A bar chart of one series, with a sentence for screen readers: total and peak.
        let chart = |title: String, series: &Series, label: &dyn Fn(usize) -> String| {
            let quantity = |value| format::quantity(panel.resource, value, lang);
            let mut description = format!("{}: {}", w.total, quantity(series.total));
            let peak = series.series.iter().enumerate().max_by(|a, b| a.1.value.total_cmp(&b.1.value));
            if let Some((i, bucket)) = peak.filter(|(_, b)| b.value > 0.0) {
                description.push_str(&format!("; {} {}: {}", w.highest, label(i), quantity(bucket.value)));
            }
            bar_chart(&BarChart {
                title,
                description,
                labels: (0..series.series.len()).map(label).collect(),
                values: series.series.iter().map(|b| b.value).collect(),
                unit: unit.to_owned(),
                lang,
                colour: colour(panel.resource),
            })
            .map_err(|e| ApiError::Internal(e.to_string()))
        };
        let day_label = |i: usize| (i + 1).to_string();
        let month_name = |i: usize| format::month_label(i as i8 + 1, lang);
        let month_chart = chart(format!("{name} — {} {}", month_label.to_lowercase(), w.by_day), &panel.month, &day_label)?;
        let year_chart = chart(format!("{name} — {} {}", today.year(), w.by_month), &panel.year, &month_name)?;
        charts.push((month_chart, year_chart));
    }

    let departments: HashMap<_, _> = config.departments.iter().map(|d| (&d.id, d.name.as_str())).collect();
    let body = html! {
        main {
            p.status {
                (w.updated) " " span data-figure="updated" { (format::date_time(now, tz, lang)) }
                " · "
                @if ingest.connected { span { (w.broker_ok) } } @else { span.bad { (w.broker_down) } }
                " · " a href=(format!("/rejected?lang={}", lang.code())) { (w.rejected) ": " span data-figure="rejected" { (format::number(rejected_total as f64, 0, lang)) } }
            }
            section.resources {
                @for (panel, (month_chart, year_chart)) in panels.iter().zip(&charts) {
                    article.resource id=(format!("resource-{}", panel.resource)) data-resource=(panel.resource.as_str()) {
                        h2 { (format::resource_name(panel.resource, lang)) " (" (format::unit(panel.resource, lang)) ")" }
                        @if let Some(note) = &panel.incomplete {
                            p.incomplete data-incomplete=(panel.resource.as_str()) { (note) }
                        }
                        @if panel.has_meters {
                            dl.totals {
                                div { dt { (month_label) } dd data-figure="month-total" { (format::quantity(panel.resource, panel.month.total, lang)) } }
                                div { dt { (year_label) } dd data-figure="year-total" { (format::quantity(panel.resource, panel.year.total, lang)) } }
                            }
                            figure data-chart="month" { (PreEscaped(month_chart)) }
                            figure data-chart="year" { (PreEscaped(year_chart)) }
                        } @else {
                            p.empty { (w.no_meters) }
                        }
                    }
                }
            }
            section {
                h2 { (w.meters) }
                div.table-wrap { table {
                    thead { tr { th { (w.meter) } th { (w.department) } th { (w.last_value) } th { (w.reading_time) } th { (w.last_seen) } th { (w.status) } } }
                    tbody {
                        @for meter in &config.meters {
                            @let status = status_of.get(&meter.id);
                            tr data-meter=(meter.id.as_str()) {
                                td { (meter.name) br; small { code { (meter.id.as_str()) } } }
                                td { @match &meter.department { Some(d) => (departments.get(d).copied().unwrap_or(d.as_str())), None => (w.whole_building) } }
                                @match status.and_then(|s| s.last_value.zip(s.last_ts).zip(s.last_seen)) {
                                    Some(((value, ts), seen)) => {
                                        td.num {
                                            (format::quantity(meter.resource, value, lang))
                                            @if meter.kind == MeterKind::Delta { " (Δ)" }
                                        }
                                        td { (format::date_time(ts, tz, lang)) }
                                        td { (format::date_time(seen, tz, lang)) }
                                    }
                                    None => { td.empty colspan="3" { (w.never) } }
                                }
                                @match fresh_of.get(&meter.id).copied().unwrap_or(Freshness::Never) {
                                    Freshness::Ok => { td.fresh data-status="ok" { (w.on_time) } }
                                    Freshness::Late { since } => { td.late data-status="late" { (w.late_since) " " (format::date_time(since, tz, lang)) } }
                                    Freshness::Never => { td.never data-status="never" { (w.no_data) } }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    // New readings show up without a click.
    Ok(layout(&config.office.name, lang, "/", Some(30), who.as_ref(), body))
}
