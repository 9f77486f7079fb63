//! `GET /api/v1/departments?resource=…&period=…`: each department's use of a resource over a
//! period, ranked, a department without a meter of its own shown as such (not 0, not ranked),
//! and the common areas (the building's meter less the departments') with the office's total;
//! for a configured resource, each department's and the office's use against the norm.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::analysis::compare;
use crate::domain::AnyResource;
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, any_resource_param, period_param};
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
) -> Result<Response, ApiError> {
    let resource = any_resource_param(params.resource, &state.config(), EXAMPLE)?;
    let period = period_param(params.period, EXAMPLE)?;
    let resource = match resource {
        AnyResource::Metered(resource) => resource,
        AnyResource::Supply(id) => {
            return Ok(Json(super::supplies::figures_of(&state, &id, None, &period).await?).into_response());
        }
    };
    let range = period.range(&state.config().office.timezone).map_err(|e| ApiError::BadRequest(e.0))?;
    Ok(Json(compare::department_table(state.store.as_ref(), &state.config(), resource, range).await?).into_response())
}
