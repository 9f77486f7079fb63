//! The electronic documents page: a department's counts for a month, and the share issued
//! electronically per department over a period.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::{back_to, csrf_field, layout, period_choice};
use crate::analysis::documents;
use crate::domain::Month;
use crate::domain::period::NamedPeriod;
use crate::locale::{self, Lang};
use crate::web::auth::{CsrfForm, Viewer, Writer};
use crate::web::commands::documents::{DocumentBody, apply};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct DocumentPageParams {
    lang: Option<String>,
    period: Option<String>,
    /// The year or quarter of the grid (2026, 2026-Q3).
    grid: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

fn back(lang: Lang, result: Result<String, String>) -> Redirect {
    back_to("/documents", lang, result)
}

pub async fn documents_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<DocumentPageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(state.config().office.timezone.clone()).date();
    let (period, period_error) = period_choice::chosen(params.period.as_deref(), NamedPeriod::Year(today.year()), lang);
    // The departments this person may enter counts for; none for a viewer.
    let config = state.config();
    let writable: Vec<_> = config.departments.iter().filter(|d| who.may_write_department(&d.id)).collect();
    let shares = documents::shares(state.store.as_ref(), &state.config(), &period, now).await?;
    let last_month = Month::of(today.first_of_month().yesterday().unwrap_or(today));
    let name = |id: Option<&crate::domain::DepartmentId>| match id {
        Some(id) => state.config().department(id).map(|d| d.name.clone()).unwrap_or_else(|| id.to_string()),
        None => lang.pick("Toàn cơ quan", "Whole office").to_owned(),
    };
    let meetings = super::meetings::section(&state, &who, lang, &period, now).await?;
    let grid_span = super::document_grid::GridSpan::chosen(params.grid.as_deref(), today);
    let grid = super::document_grid::section(&state, &who, lang, grid_span, today).await?;
    let body = html! {
        main.documents {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = params.error.as_ref().or(period_error.as_ref()) { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Văn bản điện tử", "Electronic documents")) }
                p { (lang.pick("Phong trào yêu cầu 100 % văn bản (trừ văn bản mật) được phát hành dưới dạng điện tử. Mỗi phòng, ban nhập số văn bản phát hành trong tháng; nhập lại một tháng sẽ thay số đã nhập.",
                       "The movement asks that 100 % of documents (classified ones aside) be issued electronically. Each department enters the documents it issued in a month; entering a month again replaces its counts.")) }
                @if !writable.is_empty() { form method="post" action=(format!("/documents?lang={}", lang.code())) {
                    (csrf_field(&who))
                    label { (lang.pick("Phòng, ban", "Department")) select name="department" required {
                        @for d in &writable { option value=(d.id.as_str()) { (d.name) } }
                    } }
                    label { (lang.pick("Tháng", "Month")) input name="month" value=(format!("{:02}/{}", last_month.month(), last_month.year())) placeholder="11/2026" required; }
                    label { (lang.pick("Số văn bản điện tử", "Issued electronically")) input name="electronic" inputmode="numeric" required; }
                    label { (lang.pick("Số văn bản giấy", "Issued on paper")) input name="paper" inputmode="numeric" required; }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                } }
            }
            (grid)
            section {
                h2 { (lang.pick("Tỷ lệ văn bản điện tử", "Share issued electronically")) " · " span data-figure="period" data-period=(period) { (locale::period_name(period, lang)) } }
                form method="get" action="/documents" {
                    input type="hidden" name="lang" value=(lang.code());
                    (period_choice::select(period, today, lang))
                    button type="submit" { (lang.pick("Xem", "Show")) }
                }
                div.table-wrap { table {
                    thead { tr {
                        th { (lang.pick("Phòng, ban", "Department")) } th { (lang.pick("Điện tử", "Electronic")) } th { (lang.pick("Giấy", "Paper")) }
                        th { (lang.pick("Tỷ lệ điện tử", "Electronic share")) } th { (lang.pick("Tháng chưa nhập", "Months not entered")) }
                    } }
                    tbody {
                        @for s in &shares {
                            tr data-department=(s.department.as_ref().map(|d| d.as_str()).unwrap_or("office")) {
                                td { (name(s.department.as_ref())) }
                                td.num { (locale::number(s.electronic as f64, 0, lang)) }
                                td.num { (locale::number(s.paper as f64, 0, lang)) }
                                td.num data-figure="share" { @match s.share_percent { Some(v) => { (locale::number(v, 1, lang)) " %" }, None => "—" } }
                                td { (s.missing_months.iter().map(|m| format!("{:02}/{}", m.month(), m.year())).collect::<Vec<_>>().join(", ")) }
                            }
                        }
                    }
                } }
            }
            (meetings)
        }
    };
    Ok(layout(&state, lang, "/documents", None, Some(&who), body))
}

#[derive(Deserialize)]
pub struct DocumentForm {
    department: String,
    month: String,
    electronic: String,
    paper: String,
}

pub async fn documents_form(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<DocumentPageParams>,
    CsrfForm(form): CsrfForm<DocumentForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = DocumentBody {
        department: form.department,
        month: form.month,
        electronic: serde_json::Value::String(form.electronic),
        paper: serde_json::Value::String(form.paper),
    };
    let result = match apply(&state, &writer, body).await {
        Ok(record) => {
            let c = &record.count;
            Ok(match lang {
                Lang::Vi => {
                    format!("Đã lưu văn bản tháng {:02}/{} của {}.", c.month.month(), c.month.year(), c.department)
                }
                Lang::En => {
                    format!("Stored the documents of {} for {:02}/{}.", c.department, c.month.month(), c.month.year())
                }
            })
        }
        Err(e) => Err(e.refusal(lang)?),
    };
    Ok(back(lang, result))
}
