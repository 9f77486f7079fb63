//! The council's page: each department's points, total, classification and rank for a
//! period, the figures behind them per resource, and the downloads of the same table.

use crate::web::auth::Viewer;
use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use super::explain::{explain_details, status_badge};
use super::{layout, period_choice};
use crate::analysis::common_area;
use crate::analysis::points::{CriterionScore, Standing};
use crate::analysis::score_report::report_in_force;
use crate::domain::Resource;
use crate::domain::period::NamedPeriod;
use crate::locale::{self, Lang};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct ScorePageParams {
    lang: Option<String>,
    period: Option<String>,
}

fn optional(value: Option<f64>, decimals: usize, lang: Lang) -> String {
    value.map(|v| locale::number(v, decimals, lang)).unwrap_or_else(|| "—".to_owned())
}

/// A criterion's key in the page: its code, or the configured resource's id.
fn criterion_key(c: &CriterionScore) -> &str {
    c.supply.as_ref().map_or(c.criterion.code(), |id| id.as_str())
}

pub async fn scores_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<ScorePageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let today = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date();
    let (period, error) = period_choice::chosen(params.period.as_deref(), NamedPeriod::Year(today.year()), lang);
    let report = report_in_force(state.store.as_ref(), &state.config(), &period, jiff::Timestamp::now()).await?;
    let no_meter = lang.pick("chưa có công tơ riêng", "no meter of its own");
    let criteria = report.criterion_names(lang);
    let body = html! {
        main.scores {
            @if let Some(error) = &error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Chấm điểm thi đua", "Emulation scores")) " · " span data-figure="period" data-period=(period) { (locale::period_name(period, lang)) } }
                form method="get" action="/scores" {
                    input type="hidden" name="lang" value=(lang.code());
                    (period_choice::select(period, today, lang))
                    button type="submit" { (lang.pick("Xem", "Show")) }
                }
                p.downloads {
                    a href=(format!("/api/v1/export/scores.xlsx?period={period}")) download { (lang.pick("Tải Excel (XLSX)", "Download Excel (XLSX)")) }
                    " · "
                    // Vietnamese: the CSV a Vietnamese Excel reads (`;`, decimal commas) first.
                    @if lang == Lang::Vi {
                        a href=(format!("/api/v1/export/scores.csv?period={period}&format=csv-vi")) download data-export="csv-vi" { "Tải CSV (Excel tiếng Việt)" }
                        " · "
                        a href=(format!("/api/v1/export/scores.csv?period={period}")) download data-export="csv" { "CSV cho phần mềm (dấu phẩy, đủ chữ số)" }
                    } @else {
                        a href=(format!("/api/v1/export/scores.csv?period={period}")) download data-export="csv" { "Download CSV" }
                        " · "
                        a href=(format!("/api/v1/export/scores.csv?period={period}&format=csv-vi")) download data-export="csv-vi" { "CSV for a Vietnamese Excel (; and decimal commas)" }
                    }
                }
                div.table-wrap { table {
                    thead { tr {
                        th { (lang.pick("Phòng, ban", "Department")) }
                        @for c in criteria { th { (c) } }
                        th { (lang.pick("Tổng điểm", "Total")) } th { (lang.pick("Xếp loại", "Classification")) } th { (lang.pick("Xếp hạng", "Rank")) }
                    } }
                    tbody {
                        @for d in &report.departments {
                            tr data-department=(d.department.as_str()) {
                                td { (d.name) }
                                @for c in &d.criteria {
                                    td.num data-criterion=(criterion_key(c)) {
                                        @if c.standing == Standing::NotApplicable { span.no-meter { (no_meter) } } @else { (locale::number(c.points, 2, lang)) }
                                    }
                                }
                                td.num data-figure="total" { (locale::number(d.total, 2, lang)) }
                                td data-figure="classification" { (d.classification) }
                                td.num data-figure="rank" { (d.rank) }
                            }
                        }
                    }
                } }
                @for d in &report.departments {
                    details.explain data-explain=(format!("{}-points", d.department)) {
                        summary { (lang.pick("Cách tính điểm", "How the points are computed")) " — " (d.name) }
                        ol {
                            @for c in &d.criteria { li data-line=(criterion_key(c)) { (c.explain) } }
                            li data-line="total" { (d.total_explain) }
                        }
                    }
                }
            }
            @for (index, resource) in Resource::ALL.into_iter().enumerate() {
                section data-resource=(resource.as_str()) {
                    h3 { (locale::resource_name(resource, lang)) " (" (locale::unit(resource, lang)) ")" }
                    div.table-wrap { table {
                        thead { tr {
                            th { (lang.pick("Phòng, ban", "Department")) } th { (lang.pick("Mốc cơ sở", "Baseline")) } th { (lang.pick("Mục tiêu", "Target")) }
                            th { (lang.pick("Thực tế đến nay", "Actual to date")) } th { (lang.pick("Tiết kiệm", "Saving")) } th { (lang.pick("Theo đầu người", "Per person")) }
                            th { (lang.pick("Theo m²", "Per m²")) } th { "CO2e (kg)" } th { (lang.pick("Chi phí (đồng)", "Cost (VND)")) } th { (lang.pick("Trạng thái", "Status")) }
                        } }
                        tbody {
                            @for d in &report.departments {
                                @if d.criteria.get(index).is_some_and(|c| c.standing == Standing::NotApplicable) {
                                    tr data-department=(d.department.as_str()) {
                                        td { (d.name) }
                                        td.num data-figure="actual" colspan="9" { (no_meter) }
                                    }
                                } @else if let Some(p) = d.resources.get(index) {
                                    tr data-department=(d.department.as_str()) {
                                        td { (d.name) }
                                        td.num data-figure="baseline" { (optional(p.baseline.as_ref().map(|b| b.amount), 1, lang)) }
                                        td.num data-figure="target" { (optional(p.target.as_ref().map(|t| t.amount), 1, lang)) }
                                        td.num data-figure="actual" { (locale::number(p.actual, 1, lang)) }
                                        td.num data-figure="saving" { (optional(p.saving_percent, 1, lang)) @if p.saving_percent.is_some() { " %" } }
                                        td.num data-figure="per-person" { (optional(p.per_person, 1, lang)) }
                                        td.num data-figure="per-m2" { (optional(p.per_m2, 2, lang)) }
                                        td.num data-figure="co2e" { (optional(p.co2e.as_ref().map(|c| c.actual_kg), 1, lang)) }
                                        td.num data-figure="cost" { (optional(p.cost.as_ref().map(|c| c.actual_vnd), 0, lang)) }
                                        td data-figure="status" { (status_badge(p.status, lang)) }
                                    }
                                }
                            }
                            @if let Some(c) = report.common_areas.iter().find(|c| c.resource == resource) {
                                tr.common-area data-department=(common_area::ID) {
                                    td { (lang.pick(common_area::NAME_VI, common_area::NAME_EN)) }
                                    td.num { "—" } td.num { "—" }
                                    td.num data-figure="actual" { (locale::number(c.amount, 1, lang)) }
                                    td.num { "—" } td.num { "—" } td.num { "—" } td.num { "—" } td.num { "—" }
                                    td { (lang.pick("không chấm điểm", "not scored")) }
                                }
                                tr.office-total data-department="ca-van-phong" {
                                    th { (lang.pick("Cả văn phòng", "Whole office")) }
                                    td.num { "—" } td.num { "—" }
                                    td.num data-figure="actual" { strong { (locale::number(c.office_total, 1, lang)) } }
                                    td.num { "—" } td.num { "—" } td.num { "—" } td.num { "—" } td.num { "—" } td {}
                                }
                            }
                        }
                    } }
                    @for d in &report.departments {
                        @if let Some(p) = d.resources.get(index).filter(|_| d.criteria.get(index).is_some_and(|c| c.standing != Standing::NotApplicable)) {
                            (explain_details(&p.explain, &format!("{}-{}", d.department, resource.as_str()), &d.name, lang))
                        }
                    }
                }
            }
            (super::meetings::score_section(&report, lang))
            (super::supplies::score_sections(&report, lang))
        }
    };
    Ok(layout(&state, lang, "/scores", None, Some(&who), body))
}
