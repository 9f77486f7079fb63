//! The council's table: `GET /api/v1/scores?period=…` (JSON) and the exports
//! `GET /api/v1/export/scores.xlsx?period=…` and `…/scores.csv?period=…[&format=csv-vi]`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use serde::Deserialize;

use crate::analysis::score_report::{ScoreReport, report_in_force};
use crate::domain::NamedPeriod;
use crate::export::{self, ExportFormat};
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, period_param};
use crate::web::{ApiError, AppState};
use axum::response::IntoResponse;

#[derive(Deserialize)]
pub struct ScoreParams {
    period: Option<String>,
}

fn period_of(params: ScoreParams, path: &str) -> Result<NamedPeriod, ApiError> {
    period_param(params.period, &format!("for example {path}?period=2026 (or 2026-Q3, 2026-11, gd1, gd2)"))
}

pub async fn scores(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<ScoreParams>,
) -> Result<Json<ScoreReport>, ApiError> {
    let period = period_of(params, "/api/v1/scores")?;
    Ok(Json(report_in_force(state.store.as_ref(), &state.config(), &period, jiff::Timestamp::now()).await?))
}

async fn export(state: &AppState, params: ScoreParams, format: ExportFormat) -> Result<Response, ApiError> {
    let path = format!("/api/v1/export/scores.{}", format.extension());
    let period = period_of(params, &path)?;
    let report = report_in_force(state.store.as_ref(), &state.config(), &period, jiff::Timestamp::now()).await?;
    let today = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date();
    let bytes = export::render(&report, &state.config().office.name, today, format).map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"{}\"", export::file_name(&period, format));
    Ok(([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<ScoreParams>,
) -> Result<Response, ApiError> {
    export(&state, params, ExportFormat::Xlsx).await
}

#[derive(Deserialize)]
pub struct CsvParams {
    period: Option<String>,
    /// `csv` (the default, for scripts) or `csv-vi` (for a Vietnamese Excel).
    format: Option<String>,
}

pub async fn export_csv(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<CsvParams>,
) -> Result<Response, ApiError> {
    let format = match params.format.as_deref().filter(|f| !f.is_empty()) {
        None | Some("csv") => ExportFormat::Csv,
        Some("csv-vi") => ExportFormat::CsvVi,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "`{other}` is not a CSV format: use format=csv (for scripts) or format=csv-vi (for a Vietnamese Excel)"
            )));
        }
    };
    export(&state, ScoreParams { period: params.period }, format).await
}
