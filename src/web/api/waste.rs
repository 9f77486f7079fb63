//! `GET /api/v1/waste`: the figures of the waste page (use by hour of the week, outside
//! working hours, at weekends and holidays, night base load, meters that never stop at night).

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::period::local_rfc3339;
use crate::domain::{DepartmentId, TimeRange};
use crate::web::auth::Viewer;
use crate::web::extract::{ApiQuery, resource_param};
use crate::web::pages::dashboard::spec::PeriodSpec;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct WasteParams {
    resource: Option<String>,
    department: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

const EXAMPLE: &str = "for example /api/v1/waste?resource=water&period=last-30-days (or from=2026-11-01&to=2026-12-01)";

pub async fn waste(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<WasteParams>,
) -> Result<Json<Value>, ApiError> {
    let config = &state.config();
    let tz = &config.office.timezone;
    let resource = resource_param(params.resource, EXAMPLE)?;
    let department = match params.department.filter(|d| !d.is_empty()) {
        Some(d) => {
            let id: DepartmentId = d.parse().map_err(|e| ApiError::BadRequest(format!("department: {e}")))?;
            config.department(&id).ok_or_else(|| {
                ApiError::BadRequest(format!("no department `{id}` is configured: see the config's departments"))
            })?;
            Some(id)
        }
        None => None,
    };
    let range = match (
        params.from.filter(|v| !v.is_empty()),
        params.to.filter(|v| !v.is_empty()),
        params.period.filter(|v| !v.is_empty()),
    ) {
        (Some(from), Some(to), None) => TimeRange::parse(&from, &to, tz),
        (None, None, Some(period)) => PeriodSpec::parse(&period).and_then(|p| p.range(Timestamp::now(), tz)),
        (None, None, None) => PeriodSpec::Last30Days.range(Timestamp::now(), tz),
        _ => return Err(ApiError::BadRequest(format!("send either `period` or both `from` and `to`: {EXAMPLE}"))),
    }
    .map_err(|e| ApiError::BadRequest(e.0))?;
    let store = state.store.as_ref();
    let hours = crate::analysis::waste::hourly(store, config, resource, department.as_ref(), range).await?;
    let figures = crate::analysis::waste::waste(store, config, resource, department.as_ref(), range, &hours).await?;
    let split = figures.split;
    Ok(Json(json!({
        "resource": resource,
        "unit": resource.canonical_unit().config_name(),
        "department": department,
        "from": local_rfc3339(range.from(), tz),
        "to": local_rfc3339(range.to(), tz),
        "split": split,
        "shares": {
            "working_hours": split.share(split.working_hours),
            "outside_hours": split.share(split.outside_hours),
            "weekends": split.share(split.weekends),
            "holidays": split.share(split.holidays),
            "outside_working_time": split.share(split.outside_hours + split.weekends + split.holidays),
        },
        "night": figures.night,
        "never_stop_at_night": figures.never_stop,
        "hour_of_week": crate::analysis::waste::hour_of_week(&hours, tz),
    })))
}
