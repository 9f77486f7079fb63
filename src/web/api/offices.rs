//! The province's comparison: `GET /api/v1/offices?period=…`, every office the store holds
//! with each resource against the same period a year earlier, and each office's departments.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::analysis::offices::{self, OfficeComparison};
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, period_param};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct OfficeParams {
    period: Option<String>,
}

pub async fn offices(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<OfficeParams>,
) -> Result<Json<OfficeComparison>, ApiError> {
    let period =
        period_param(params.period, "for example /api/v1/offices?period=2026-11 (or 2026, 2026-Q3, gd1, gd2)")?;
    Ok(Json(offices::compare(state.store.as_ref(), &state.config(), &period, jiff::Timestamp::now()).await?))
}
