//! The signed report of a period: `GET /api/v1/export/report.pdf?period=…` and
//! `…/report.docx?period=…`. A bad period is answered in Vietnamese: the page's links and
//! the people who type the address are the office's.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::analysis::period_report::period_report;
use crate::domain::NamedPeriod;
use crate::reports::{self, ReportFormat};
use crate::web::auth::Viewer;
use crate::web::extract::ApiQuery;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct ReportParams {
    period: Option<String>,
}

/// The period asked for, or a Vietnamese message that says what to send.
fn period_of(params: ReportParams, format: ReportFormat) -> Result<NamedPeriod, ApiError> {
    let example = format!(
        "ví dụ /api/v1/export/report.{}?period=2026-11 (năm 2026, quý 2026-Q3, tháng 2026-11, giai đoạn gd1 hoặc gd2)",
        format.extension()
    );
    match params.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Err(ApiError::BadRequest(format!("Thiếu kỳ báo cáo `period`: {example}"))),
        Some(text) => NamedPeriod::parse(text)
            .map_err(|_| ApiError::BadRequest(format!("`{text}` không phải là một kỳ báo cáo: {example}"))),
    }
}

async fn report(state: &AppState, params: ReportParams, format: ReportFormat) -> Result<Response, ApiError> {
    let period = period_of(params, format)?;
    let now = jiff::Timestamp::now();
    let config = &state.config();
    let figures = period_report(state.store.as_ref(), config, &period, now).await?;
    let issued = now.to_zoned(config.office.timezone.clone()).date();
    let bytes = reports::render(&figures, &config.letterhead, issued, format).map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"{}\"", reports::file_name(&period, format));
    Ok(([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

pub async fn report_pdf(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    report(&state, params, ReportFormat::Pdf).await
}

pub async fn report_docx(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    report(&state, params, ReportFormat::Docx).await
}
