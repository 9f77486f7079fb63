//! `GET /api/v1/departments?resource=…&period=…`: each department's use of a resource over a
//! period, ranked, a department without a meter of its own shown as such (not 0, not ranked),
//! and the common areas (the building's meter less the departments') with the office's total.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::analysis::compare::{self, DepartmentTable};
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, period_param, resource_param};
use crate::web::{ApiError, AppState};

const EXAMPLE: &str = "for example /api/v1/departments?resource=electricity&period=2026";

#[derive(Deserialize)]
pub struct DepartmentParams {
    resource: Option<String>,
    period: Option<String>,
}

pub async fn departments(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<DepartmentParams>,
) -> Result<Json<DepartmentTable>, ApiError> {
    let resource = resource_param(params.resource, EXAMPLE)?;
    let period = period_param(params.period, EXAMPLE)?;
    let range = period.range(&state.config().office.timezone).map_err(|e| ApiError::BadRequest(e.0))?;
    Ok(Json(compare::department_table(state.store.as_ref(), &state.config(), resource, range).await?))
}
