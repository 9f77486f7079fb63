//! `GET /api/v1/progress`: a resource's progress against the saving plan over a period.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::auth::Viewer;
use super::{ApiError, AppState};
use crate::analysis::progress::{self, Progress, ProgressQuery};
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Resource};

const EXAMPLE: &str = "for example /api/v1/progress?resource=electricity&period=2026 (department optional)";

#[derive(Deserialize)]
pub struct ProgressParams {
    resource: Option<String>,
    department: Option<String>,
    period: Option<String>,
}

/// The `period` parameter: a year, quarter, month or phase.
pub(crate) fn period_param(value: Option<String>, example: &str) -> Result<NamedPeriod, ApiError> {
    let text = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("`period` is missing: {example}")))?;
    NamedPeriod::parse(&text).map_err(|e| ApiError::BadRequest(e.0))
}

pub async fn progress(
    State(state): State<AppState>,
    _: Viewer,
    params: Result<Query<ProgressParams>, QueryRejection>,
) -> Result<Json<Progress>, ApiError> {
    let params = super::api::query(params)?;
    let resource: Resource = params
        .resource
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("`resource` is missing: {EXAMPLE}")))?
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("{e}")))?;
    let department = super::api::optional_id::<DepartmentId>(params.department, "department")?;
    let period = period_param(params.period, EXAMPLE)?;
    let query = ProgressQuery { resource, department, period };
    let figures = progress::progress(state.store.as_ref(), &state.config, &query, jiff::Timestamp::now()).await?;
    Ok(Json(figures))
}
