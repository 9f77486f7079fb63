//! The pages defined in dashboards/: the controls a page offers (resource, department,
//! period or dates, step), then its panels, each with a PNG download of its chart.

pub mod panels;
pub mod spec;
mod supplies;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use self::panels::{Context, named_label};
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Resource};
use crate::domain::{Step, TimeRange};
use crate::locale::{self, Lang};
use crate::web::auth::OverviewReader;
use crate::web::extract::ApiQuery;
use crate::web::pages::dashboard::spec::{Control, Page, PeriodSpec, RELATIVE_PERIODS};
use crate::web::pages::layout;
use crate::web::{ApiError, AppState};

/// What a dashboard page's address may say; each is checked before any figure is asked for.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardParams {
    lang: Option<String>,
    resource: Option<String>,
    department: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Read the page's settings from its address; a mistake comes back as a sentence saying what
/// to send instead.
async fn context<'a>(
    state: &'a AppState,
    page: &Page,
    params: &DashboardParams,
    lang: Lang,
) -> Result<Context<'a>, String> {
    let config = &state.config();
    let tz = &config.office.timezone;
    let resource = match given(&params.resource).filter(|_| page.has(Control::Resource)) {
        Some(r) => Some(r.parse::<Resource>().map_err(|e| e.to_string())?),
        None => None,
    };
    let department = match given(&params.department).filter(|_| page.has(Control::Department)) {
        Some(d) => {
            let id: DepartmentId = d.parse().map_err(|e| format!("department: {e}"))?;
            if config.department(&id).is_none() {
                return Err(format!(
                    "no department `{id}` is configured: choose one of {}",
                    config.departments.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            Some(id)
        }
        None if page.department_required => config.departments.first().map(|d| d.id.clone()),
        None => None,
    };
    let (mut period, mut range) = (None, None);
    if page.has(Control::Period) {
        match (given(&params.from), given(&params.to)) {
            (Some(from), Some(to)) => {
                range = Some(TimeRange::parse(&typed_day(from), &typed_day(to), tz).map_err(|e| e.0)?)
            }
            (None, None) => {}
            _ => return Err("give both `from` and `to` (local dates such as 2026-11-01), or neither".into()),
        }
        if range.is_none() {
            period = given(&params.period).map(PeriodSpec::parse).transpose().map_err(|e| e.0)?;
        }
    }
    let step = given(&params.step).filter(|_| page.has(Control::Step)).map(Step::parse).transpose().map_err(|e| e.0)?;
    let statuses = state.store.meter_status().await.map_err(|e| {
        tracing::error!(detail = %e, "meter status for a dashboard page");
        "the store did not answer: the details are in the server's log".to_owned()
    })?;
    Ok(Context {
        config: state.config(),
        state,
        lang,
        now: Timestamp::now(),
        department,
        resource,
        period,
        range,
        step,
        statuses,
        plan: Default::default(),
        progress: Default::default(),
        hours: Default::default(),
    })
}

pub async fn dashboard(
    State(state): State<AppState>,
    reader: OverviewReader,
    index: usize,
    params: Result<Query<DashboardParams>, QueryRejection>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(page) = state.dashboards.pages.get(index) else {
        return ApiError::internal(format!("dashboard page {index} is not loaded")).into_response();
    };
    let query = raw.as_ref().map(|q| format!("?{q}")).unwrap_or_default();
    let who = match reader.for_page(&page.path, &format!("{}{query}", page.path)) {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    let params = match params {
        Ok(Query(p)) => p,
        Err(e) => return error_page(&state, page, Lang::Vi, &e.body_text()),
    };
    let lang = Lang::from_query(params.lang.as_deref());
    let ctx = match context(&state, page, &params, lang).await {
        Ok(ctx) => ctx,
        Err(message) => return error_page(&state, page, lang, &message),
    };
    let mut views = Vec::new();
    for panel in &page.panels {
        match panels::panel(&ctx, panel).await {
            Ok(view) => views.push(view),
            Err(ApiError::BadRequest(message)) => return error_page(&state, page, lang, &message),
            Err(e) => return e.into_response(),
        }
    }
    let mut charts = Vec::new();
    for view in &views {
        match view.chart.as_ref().map(|c| c.svg()).transpose() {
            Ok(svg) => charts.push(svg),
            Err(e) => return ApiError::internal(e).into_response(),
        }
    }
    let (_, rejected_total) = match state.store.rejected(1).await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let ingest = state.ingest.snapshot();
    let tz = &state.config().office.timezone;
    let body = html! {
        main.dashboard data-page=(page.id) {
            p.status {
                (lang.pick("Cập nhật lúc", "Updated at")) " " span data-figure="updated" { (locale::date_time(ctx.now, tz, lang)) }
                " · "
                @if ingest.connected { span { (lang.pick("MQTT: đã kết nối", "MQTT: connected")) } } @else { span.bad { (lang.pick("MQTT: mất kết nối", "MQTT: disconnected")) } }
                " · " a href=(format!("/rejected?lang={}", lang.code())) { (lang.pick("Số liệu bị từ chối", "Rejected readings")) ": " span data-figure="rejected" { (locale::number(rejected_total as f64, 0, lang)) } }
            }
            h2.page-title { (title(page, lang)) }
            @if !page.controls.is_empty() { (controls(&ctx, page, &params)) }
            section.panels {
                @for (i, (view, svg)) in views.iter().zip(&charts).enumerate() {
                    article.panel data-panel=(i) data-kind=(page.panels[i].chart.as_str()) data-resource=[view.resource.map(|r| r.as_str())] {
                        h3 { (view.title) }
                        (view.body)
                        @if let Some(svg) = svg {
                            figure data-chart=(i) { (PreEscaped(svg)) }
                            p.download { a href=(format!("/charts/{}/{i}.png{query}", page.id)) download=(format!("xanh-{}-{i}.png", page.id)) data-png=(i) {
                                (lang.pick("Tải ảnh PNG", "Download PNG"))
                            } }
                        }
                    }
                }
            }
        }
    };
    layout(&state, lang, &page.path, page.refresh_s, who.as_ref(), body).into_response()
}

fn title(page: &Page, lang: Lang) -> &str {
    match lang {
        Lang::Vi => &page.title.vi,
        Lang::En => &page.title.en,
    }
}

/// The page with nothing but what was wrong with its address, as a 400.
fn error_page(state: &AppState, page: &Page, lang: Lang, message: &str) -> Response {
    let body = html! {
        main.dashboard {
            h2.page-title { (title(page, lang)) }
            p.alert data-error="query" { (message) }
            p { a href=(format!("{}?lang={}", page.path, lang.code())) { (lang.pick("Về trang mặc định", "Back to the page's defaults")) } }
        }
    };
    (StatusCode::BAD_REQUEST, layout(state, lang, &page.path, None, None, body)).into_response()
}

/// The form at the top of a page: a GET of the page itself, so its address can be shared.
fn controls(ctx: &Context<'_>, page: &Page, params: &DashboardParams) -> Markup {
    let lang = ctx.lang;
    let config = &ctx.config;
    let this_year = ctx.now.to_zoned(config.office.timezone.clone()).year();
    let chosen_period = given(&params.period).unwrap_or("");
    let mut periods: Vec<(String, String)> = RELATIVE_PERIODS
        .iter()
        .map(|(code, spec)| (code.to_string(), relative_label(*spec, lang).to_owned()))
        .collect();
    let today = ctx.now.to_zoned(config.office.timezone.clone()).date();
    let last_month = today.first_of_month().yesterday().unwrap_or(today);
    for named in [
        NamedPeriod::Month(last_month.year(), last_month.month()),
        NamedPeriod::Quarter(today.year(), (today.month() - 1) / 3 + 1),
        NamedPeriod::Year(this_year - 1),
        NamedPeriod::Year(this_year),
        NamedPeriod::Phase(crate::domain::period::Phase::One),
        NamedPeriod::Phase(crate::domain::period::Phase::Two),
    ] {
        periods.push((named.to_string(), named_label(named, lang)));
    }
    if let Some(PeriodSpec::Named(named)) = ctx.period
        && !periods.iter().any(|(code, _)| *code == named.to_string())
    {
        periods.push((named.to_string(), named_label(named, lang)));
    }
    html! {
        form.controls method="get" action=(page.path) {
            input type="hidden" name="lang" value=(lang.code());
            @if page.has(Control::Resource) {
                label { (lang.pick("Tài nguyên", "Resource"))
                    select name="resource" {
                        option value="" { (lang.pick("như trang", "as the page")) }
                        @for r in Resource::ALL { option value=(r.as_str()) selected[ctx.resource == Some(r)] { (locale::resource_name(r, lang)) } }
                    }
                }
            }
            @if page.has(Control::Department) {
                label { (lang.pick("Phòng, ban", "Department"))
                    select name="department" {
                        @if !page.department_required { option value="" { (lang.pick("Toàn cơ quan", "Whole office")) } }
                        @for d in &config.departments { option value=(d.id.as_str()) selected[ctx.department.as_ref() == Some(&d.id)] { (d.name) } }
                    }
                }
            }
            @if page.has(Control::Period) {
                label { (lang.pick("Kỳ", "Period"))
                    select name="period" {
                        option value="" { (lang.pick("như trang", "as the page")) }
                        @for (code, label) in &periods { option value=(code) selected[*code == chosen_period] { (label) } }
                    }
                }
                label { (lang.pick("hoặc từ ngày", "or from")) input name="from" inputmode="numeric" placeholder="01/11/2026" value=(shown_day(given(&params.from))); }
                label { (lang.pick("đến trước ngày", "to (not included)")) input name="to" inputmode="numeric" placeholder="01/12/2026" value=(shown_day(given(&params.to))); }
            }
            @if page.has(Control::Step) {
                label { (lang.pick("Bước", "Step"))
                    select name="step" {
                        option value="" { (lang.pick("tự động", "automatic")) }
                        @for (step, vi, en) in [(Step::Hour, "giờ", "hour"), (Step::Day, "ngày", "day"), (Step::Month, "tháng", "month")] {
                            option value=(step.as_str()) selected[ctx.step == Some(step)] { (lang.pick(vi, en)) }
                        }
                    }
                }
            }
            button type="submit" { (lang.pick("Xem", "Show")) }
        }
    }
}

/// A day typed as 28/11/2026 in the form, as the range wants it (2026-11-28); anything else
/// (an ISO day or time from an address) as it is.
fn typed_day(text: &str) -> String {
    locale::parse_date(text).map(|d| d.to_string()).unwrap_or_else(|| text.to_owned())
}

/// A day of the address as the form shows it: 28/11/2026.
fn shown_day(text: Option<&str>) -> String {
    let text = text.unwrap_or("");
    locale::parse_date(text).map(|d| d.strftime("%d/%m/%Y").to_string()).unwrap_or_else(|| text.to_owned())
}

fn relative_label(spec: PeriodSpec, lang: Lang) -> &'static str {
    match spec {
        PeriodSpec::Today => lang.pick("Hôm nay", "Today"),
        PeriodSpec::Last7Days => lang.pick("7 ngày qua", "Last 7 days"),
        PeriodSpec::Last30Days => lang.pick("30 ngày qua", "Last 30 days"),
        PeriodSpec::ThisMonth => lang.pick("Tháng này", "This month"),
        PeriodSpec::ThisYear => lang.pick("Năm nay", "This year"),
        PeriodSpec::Last12Months => lang.pick("12 tháng qua", "Last 12 months"),
        PeriodSpec::Named(_) => "",
    }
}

/// `GET /charts/{page}/{n}.png`: panel `n` of a page as a PNG, with the page's own settings.
pub async fn chart_png(
    State(state): State<AppState>,
    reader: OverviewReader,
    Path((page_id, file)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<DashboardParams>,
) -> Result<Response, ApiError> {
    let page = state.dashboards.page(&page_id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no dashboard page `{page_id}`: use one of {}",
            state.dashboards.pages.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    if let Err(denied) = reader.for_page(&page.path, &format!("/charts/{page_id}/{file}")) {
        return Ok(denied.into_response());
    }
    let index =
        file.strip_suffix(".png").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n < page.panels.len()).ok_or_else(
            || {
                ApiError::NotFound(format!(
                    "`{file}` is not a chart of `{page_id}`: ask for 0.png to {}.png",
                    page.panels.len().saturating_sub(1)
                ))
            },
        )?;
    let lang = Lang::from_query(params.lang.as_deref());
    let ctx = context(&state, page, &params, lang).await.map_err(ApiError::BadRequest)?;
    let view = panels::panel(&ctx, &page.panels[index]).await?;
    let chart = view
        .chart
        .ok_or_else(|| ApiError::NotFound(format!("panel {index} of `{page_id}` is a table, not a chart")))?;
    let png = chart.png().map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png".to_owned()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"xanh-{page_id}-{index}.png\"")),
        ],
        png,
    )
        .into_response())
}
