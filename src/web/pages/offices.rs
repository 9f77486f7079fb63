//! The province's page: the offices side by side for a period, each resource against the
//! same period a year earlier, and the departments of the office chosen in the selector.

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use super::{layout, period_choice};
use crate::analysis::offices::{self, OfficeFigures, ResourceFigure};
use crate::domain::Resource;
use crate::domain::period::NamedPeriod;
use crate::locale::{self, Lang};
use crate::web::auth::Viewer;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct OfficesPageParams {
    lang: Option<String>,
    period: Option<String>,
    office: Option<String>,
}

/// A resource's cells; a department without a meter of its own says so rather than 0.
fn figure_cells(figure: &ResourceFigure, department: bool, lang: Lang) -> Markup {
    let kind = figure.resource.as_str();
    if department && !figure.metered {
        return html! {
            td.num.no-meter data-figure=(format!("{kind}-amount")) { (lang.pick("chưa có công tơ riêng", "no meter of its own")) }
            td.num data-figure=(format!("{kind}-change")) { "—" }
        };
    }
    html! {
        td.num data-figure=(format!("{kind}-amount")) { (locale::quantity(figure.resource, figure.amount, lang)) }
        td.num data-figure=(format!("{kind}-change")) {
            @match figure.change_percent {
                Some(change) => { (locale::number(change, 1, lang)) " %" }
                None => { "—" }
            }
        }
    }
}

fn office_label(office: &OfficeFigures) -> String {
    match &office.name {
        Some(name) => format!("{name} ({})", office.office),
        None => office.office.clone(),
    }
}

pub async fn offices_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<OfficesPageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let now = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone());
    let this_month = NamedPeriod::Month(now.year(), now.month());
    let (period, error) = period_choice::chosen(params.period.as_deref(), this_month, lang);
    let comparison = offices::compare(state.store.as_ref(), &state.config(), &period, jiff::Timestamp::now()).await?;
    let tz = &state.config().office.timezone;
    let local =
        |text: &str| text.parse::<jiff::Timestamp>().map(|ts| locale::date_time(ts, tz, lang)).unwrap_or_default();
    let chosen = params
        .office
        .as_deref()
        .and_then(|id| comparison.offices.iter().find(|o| o.office == id))
        .or_else(|| comparison.offices.iter().find(|o| o.this_office));
    let body = html! {
        main.offices {
            @if let Some(error) = &error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("So sánh các văn phòng", "Offices compared")) " · " span data-figure="period" data-period=(period) { (locale::period_name(period, lang)) } }
                form method="get" action="/offices" {
                    input type="hidden" name="lang" value=(lang.code());
                    (period_choice::select(period, now.date(), lang))
                    label { (lang.pick("Văn phòng", "Office"))
                        select name="office" {
                            @for office in &comparison.offices {
                                option value=(office.office) selected[chosen.is_some_and(|c| c.office == office.office)] { (office_label(office)) }
                            }
                        }
                    }
                    button type="submit" { (lang.pick("Xem", "Show")) }
                }
                @if !comparison.shared_store {
                    p.note data-note="single-office" {
                        (lang.pick("Kho dữ liệu nhúng (SQLite) chỉ chứa văn phòng này. Khi nhiều văn phòng ghi vào cùng một InfluxDB, bảng này so sánh tất cả.",
                           "The embedded store (SQLite) holds this office only. When several offices write to one InfluxDB, this table compares them all."))
                    }
                }
                @if let (false, Some(last)) = (comparison.finished, &comparison.last_year_as_of) {
                    p.note data-note="to-date" {
                        (lang.pick("Kỳ chưa kết thúc: so sánh lượng dùng đến", "The period is not over: use up to")) " "
                        strong data-figure="as-of" { (local(&comparison.as_of)) }
                        " " (lang.pick("với cùng kỳ năm trước đến", "against the same part of last year, up to")) " "
                        strong data-figure="last-year-as-of" { (local(last)) } "."
                    }
                }
                p.note { (lang.pick("Mỗi tài nguyên: lượng dùng trong kỳ và thay đổi so với cùng kỳ năm trước. Công tơ con không được cộng thêm khi công tơ tổng của nó đã được tính.",
                            "Each resource: use in the period and the change against the same period last year. A sub-meter is not added again when its main meter is counted.")) }
                div.table-wrap { table data-table="offices" {
                    thead {
                        tr {
                            th rowspan="2" { (lang.pick("Văn phòng", "Office")) }
                            @for resource in Resource::ALL { th colspan="2" { (locale::resource_name(resource, lang)) " (" (locale::unit(resource, lang)) ")" } }
                        }
                        tr { @for _ in Resource::ALL { th { (lang.pick("Trong kỳ", "Period")) } th { (lang.pick("So với năm trước", "vs last year")) } } }
                    }
                    tbody {
                        @for office in &comparison.offices {
                            tr data-office=(office.office) aria-current=[office.this_office.then_some("true")] {
                                th scope="row" { a href=(format!("/offices?lang={}&period={period}&office={}", lang.code(), office.office)) { (office_label(office)) } }
                                @for figure in &office.resources { (figure_cells(figure, false, lang)) }
                            }
                        }
                    }
                } }
            }
            @if let Some(office) = chosen {
                section data-section="departments" {
                    h2 { (lang.pick("Phòng, ban của ", "Departments of ")) (office_label(office)) }
                    @if office.departments.is_empty() {
                        p { (lang.pick("Chưa có số liệu theo phòng, ban trong kỳ này.", "No department figures in this period.")) }
                    } @else {
                        div.table-wrap { table data-table="departments" {
                            thead {
                                tr {
                                    th rowspan="2" { (lang.pick("Phòng, ban", "Department")) }
                                    @for resource in Resource::ALL { th colspan="2" { (locale::resource_name(resource, lang)) " (" (locale::unit(resource, lang)) ")" } }
                                }
                                tr { @for _ in Resource::ALL { th { (lang.pick("Trong kỳ", "Period")) } th { (lang.pick("So với năm trước", "vs last year")) } } }
                            }
                            tbody {
                                @for department in &office.departments {
                                    tr data-department=(department.department) {
                                        th scope="row" { (department.name.clone().unwrap_or_else(|| department.department.clone())) }
                                        @for figure in &department.resources { (figure_cells(figure, true, lang)) }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/offices", None, Some(&who), body))
}
