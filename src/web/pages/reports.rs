//! The Báo cáo page: the signed report of a period to download as PDF or DOCX, for the month,
//! quarter and year just over, this year and the movement's phases, or any period chosen from the list;
//! and the reports the schedule made (`[reports]`), as they were kept.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{layout, period_choice};
use crate::domain::period::NamedPeriod;
use crate::locale::{self, Lang};
use crate::reports::{self, ReportFormat, content::period_words};
use crate::store::KeptReport;
use crate::web::auth::Viewer;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct ReportPageParams {
    lang: Option<String>,
    period: Option<String>,
}

/// The periods offered first: the month, quarter and year just over, this year, the phases.
fn usual_periods(today: jiff::civil::Date) -> Vec<NamedPeriod> {
    let (year, month) = (today.year(), today.month());
    let last_month = if month == 1 { NamedPeriod::Month(year - 1, 12) } else { NamedPeriod::Month(year, month - 1) };
    let quarter = (month - 1) / 3 + 1;
    let last_quarter =
        if quarter == 1 { NamedPeriod::Quarter(year - 1, 4) } else { NamedPeriod::Quarter(year, quarter - 1) };
    vec![
        last_month,
        last_quarter,
        NamedPeriod::Year(year - 1),
        NamedPeriod::Year(year),
        NamedPeriod::parse("gd1").expect("gd1 is a period"),
        NamedPeriod::parse("gd2").expect("gd2 is a period"),
    ]
}

fn links(period: &NamedPeriod, lang: Lang) -> Markup {
    html! {
        a href=(format!("/api/v1/export/report.pdf?period={period}")) download data-format="pdf" { (lang.pick("PDF (để ký)", "PDF (to sign)")) }
        " · "
        a href=(format!("/api/v1/export/report.docx?period={period}")) download data-format="docx" { (lang.pick("DOCX (để sửa)", "DOCX (to edit)")) }
    }
}

pub async fn reports_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<ReportPageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let today = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date();
    let usual = usual_periods(today);
    let (chosen, error) = period_choice::chosen(params.period.as_deref(), usual[0], lang);
    let shelf = std::sync::Arc::clone(&state.report_shelf);
    let kept = tokio::task::spawn_blocking(move || shelf.list())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let body = html! {
        main.reports {
            @if let Some(error) = &error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Báo cáo", "Reports")) }
                p { (lang.pick(
                    "Báo cáo kết quả sử dụng tiết kiệm điện, nước, giấy theo thể thức văn bản hành chính (Nghị định 30/2020/NĐ-CP): PDF để trình ký, DOCX để chỉnh sửa.",
                    "The report on electricity, water and paper savings in the Vietnamese administrative layout (Decree 30/2020/NĐ-CP): PDF to sign, DOCX to edit."
                )) }
                form method="get" action="/reports" {
                    input type="hidden" name="lang" value=(lang.code());
                    (period_choice::select(chosen, today, lang))
                    button type="submit" { (lang.pick("Chọn", "Choose")) }
                }
                p.downloads data-period=(chosen) { strong data-figure="period" { (locale::period_name(chosen, lang)) } ": " (links(&chosen, lang)) }
                @if !kept.is_empty() { (kept_list(&kept, lang)) }
                h3 { (lang.pick("Các kỳ thường dùng", "Usual periods")) }
                ul {
                    @for period in &usual {
                        li data-period=(period) { strong { (locale::period_name(*period, lang)) } ": " (links(period, lang)) }
                    }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/reports", None, Some(&who), body))
}

/// The reports the schedule made, the latest first, each with the date it bears.
fn kept_list(kept: &[KeptReport], lang: Lang) -> Markup {
    html! {
        h3 { (lang.pick("Báo cáo đã lập tự động", "Reports made by the schedule")) }
        ul.kept {
            @for report in kept {
                @let period = NamedPeriod::parse(&report.period).ok();
                li data-kept=(report.period) {
                    strong { (period.as_ref().map(period_words).unwrap_or_else(|| report.period.clone())) }
                    " (" (lang.pick("lập ngày ", "made on ")) (report.issued.strftime("%d/%m/%Y")) "): "
                    @for (i, format) in [ReportFormat::Pdf, ReportFormat::Docx].into_iter().enumerate() {
                        @if i > 0 { " · " }
                        @if let Some(period) = &period {
                            a href=(format!("/reports/kept/{}", reports::file_name(period, format))) download data-format=(format.extension()) {
                                (format.extension().to_uppercase())
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /reports/kept/xanh-bao-cao-2026-11.pdf`: a report the schedule made, as it was kept.
pub async fn kept_report(
    State(state): State<AppState>,
    _: Viewer,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("Không có báo cáo đã lập `{file}`."));
    let format = ReportFormat::from_file_name(&file).map_err(|_| not_found())?;
    let period = file
        .strip_prefix("xanh-bao-cao-")
        .and_then(|rest| rest.rsplit_once('.'))
        .and_then(|(period, _)| NamedPeriod::parse(period).ok())
        .ok_or_else(not_found)?;
    let shelf = std::sync::Arc::clone(&state.report_shelf);
    let key = period.to_string();
    let bytes = tokio::task::spawn_blocking(move || shelf.file(&key, format == ReportFormat::Pdf))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?
        .ok_or_else(not_found)?;
    let disposition = format!("attachment; filename=\"{}\"", reports::file_name(&period, format));
    Ok(([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}
