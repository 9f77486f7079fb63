//! `GET /api/v1/progress`: a resource's progress against the saving plan over a period; for a
//! configured resource, its use against the regulation's norm (the department's, or each
//! department's and the office's).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::analysis::progress::{self, ProgressQuery};
use crate::domain::{AnyResource, DepartmentId};
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, any_resource_param, period_param};
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
) -> Result<Response, ApiError> {
    let resource = any_resource_param(params.resource, &state.config(), EXAMPLE)?;
    let department = crate::web::extract::optional_id::<DepartmentId>(params.department, "department")?;
    let period = period_param(params.period, EXAMPLE)?;
    let resource = match resource {
        AnyResource::Metered(resource) => resource,
        AnyResource::Supply(id) => {
            let figures = super::supplies::figures_of(&state, &id, department.as_ref(), &period).await?;
            return Ok(Json(figures).into_response());
        }
    };
    let query = ProgressQuery { resource, department, period };
    let figures = progress::progress(state.store.as_ref(), &state.config(), &query, jiff::Timestamp::now()).await?;
    Ok(Json(figures).into_response())
}
