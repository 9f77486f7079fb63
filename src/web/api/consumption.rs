//! `GET /api/v1/consumption`: a resource's use over a range, by hour, day or month; for a
//! configured resource (stationery, toner, fuel), what its slips issued.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::analysis::figures::ConsumptionQuery;
use crate::analysis::{figures, supply_series};
use crate::domain::{AnyResource, DepartmentId, MeterId, Step, TimeRange};
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, optional_id};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct ConsumptionParams {
    resource: Option<String>,
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
    department: Option<String>,
    meter: Option<String>,
}

const CONSUMPTION_EXAMPLE: &str =
    "for example /api/v1/consumption?resource=electricity&from=2026-11-01&to=2026-12-01&step=day";

pub async fn consumption(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<ConsumptionParams>,
) -> Result<impl IntoResponse, ApiError> {
    let required = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::BadRequest(format!("`{name}` is missing: {CONSUMPTION_EXAMPLE}")))
    };
    let config = state.config();
    let resource = config.any_resource(&required(params.resource, "resource")?).map_err(ApiError::BadRequest)?;
    let from = required(params.from, "from")?;
    let to = required(params.to, "to")?;
    let step = Step::parse(&required(params.step, "step")?).map_err(|e| ApiError::BadRequest(e.0))?;
    let range = TimeRange::parse(&from, &to, &config.office.timezone).map_err(|e| ApiError::BadRequest(e.0))?;
    let department = optional_id::<DepartmentId>(params.department, "department")?;
    let meter = optional_id::<MeterId>(params.meter, "meter")?;
    let store = state.store.as_ref();
    match resource {
        AnyResource::Metered(resource) => {
            let query = ConsumptionQuery { resource, department, meter, range, step };
            Ok(Json(figures::consumption(store, &config, &query).await?).into_response())
        }
        AnyResource::Supply(id) => {
            if meter.is_some() {
                return Err(ApiError::BadRequest(format!(
                    "`{id}` is issued on slips, not metered: leave `meter` out (department optional)"
                )));
            }
            let supply = config
                .supply(id.as_str())
                .ok_or_else(|| ApiError::BadRequest(format!("`{id}` is not a configured resource")))?;
            let series = supply_series::series(store, &config, supply, department.as_ref(), range, step).await?;
            Ok(Json(series).into_response())
        }
    }
}
