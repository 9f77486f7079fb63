//! `GET /api/v1/progress`: a resource's progress against the saving plan over a period.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::analysis::progress::{self, Progress, ProgressQuery};
use crate::domain::DepartmentId;
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, period_param, resource_param};
use crate::web::{ApiError, AppState};

const EXAMPLE: &str = "for example /api/v1/progress?resource=electricity&period=2026 (department optional)";

#[derive(Deserialize)]
pub struct ProgressParams {
    resource: Option<String>,
    department: Option<String>,
    period: Option<String>,
}

pub async fn progress(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<ProgressParams>,
) -> Result<Json<Progress>, ApiError> {
    let resource = resource_param(params.resource, EXAMPLE)?;
    let department = crate::web::extract::optional_id::<DepartmentId>(params.department, "department")?;
    let period = period_param(params.period, EXAMPLE)?;
    let query = ProgressQuery { resource, department, period };
    let figures = progress::progress(state.store.as_ref(), &state.config(), &query, jiff::Timestamp::now()).await?;
    Ok(Json(figures))
}
