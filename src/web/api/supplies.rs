//! The configured resources over the API: `GET /api/v1/supplies?period=…[&resource=…]` (each
//! department's use, value and per-person figure) and `POST /api/v1/slips` (an issue slip).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::supplies::SupplyFigures;
use crate::analysis::{plan_in_force, supplies};
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Source, SupplyId};
use crate::web::auth::{Viewer, Writer};
use crate::web::commands::slips::SlipBody;
use crate::web::extract::{ApiQuery, period_param};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str = r#"send {"number": "PX-2026-001", "department": "phong-tong-hop", "date": "2026-01-05", "lines": [{"resource": "van-phong-pham", "item": "but-bi", "quantity": 20}]}"#;
const QUERY_EXAMPLE: &str = "for example /api/v1/supplies?resource=van-phong-pham&period=2026";

pub async fn post_slip(
    State(state): State<AppState>,
    writer: Writer,
    body: Result<Json<SlipBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    let record = crate::web::commands::slips::apply(&state, &writer, body, Source::Api).await?;
    let total: f64 = record.lines.iter().map(|l| l.value_vnd).sum();
    Ok(Json(json!({
        "id": record.id,
        "number": record.slip.number,
        "department": record.slip.department,
        "date": record.slip.date.to_string(),
        "lines": record.lines,
        "value_vnd": total,
        "entered_by": record.entered_by,
    })))
}

/// One configured resource's figures over a period (its departments, then the office), for
/// the endpoints asked about it by `resource=<id>`; `department` keeps only that department's.
pub(super) async fn figures_of(
    state: &AppState,
    id: &SupplyId,
    department: Option<&DepartmentId>,
    period: &NamedPeriod,
) -> Result<SupplyFigures, ApiError> {
    let config = state.config();
    if let Some(d) = department
        && config.department(d).is_none()
    {
        let known: Vec<&str> = config.departments.iter().map(|d| d.id.as_str()).collect();
        return Err(ApiError::BadRequest(format!(
            "no department `{d}` is configured: use one of {}",
            known.join(", ")
        )));
    }
    let store = state.store.as_ref();
    let plan = plan_in_force::in_force(store, &config).await?;
    let figures = supplies::all(store, &config, &plan, period, jiff::Timestamp::now()).await?;
    let mut figures = figures
        .into_iter()
        .find(|f| &f.resource == id)
        .ok_or_else(|| ApiError::BadRequest(format!("`{id}` is not a configured resource")))?;
    if let Some(d) = department {
        figures.departments.retain(|u| u.department.as_ref() == Some(d));
    }
    Ok(figures)
}

#[derive(Deserialize)]
pub struct SupplyParams {
    resource: Option<String>,
    period: Option<String>,
}

pub async fn get_supplies(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<SupplyParams>,
) -> Result<Json<Value>, ApiError> {
    let period = period_param(params.period, QUERY_EXAMPLE)?;
    let resource = params.resource.filter(|r| !r.is_empty());
    if let Some(resource) = &resource
        && state.config().supply(resource).is_none()
    {
        let config = state.config();
        let known: Vec<&str> = config.supplies.iter().map(|s| s.id.as_str()).collect();
        return Err(ApiError::BadRequest(format!(
            "`{resource}` is not a configured resource: use one of {}",
            known.join(", ")
        )));
    }
    let store = state.store.as_ref();
    let plan = plan_in_force::in_force(store, &state.config()).await?;
    let mut figures = supplies::all(store, &state.config(), &plan, &period, jiff::Timestamp::now()).await?;
    figures.retain(|f| resource.as_ref().is_none_or(|r| f.resource.as_str() == r));
    Ok(Json(json!({ "period": period, "resources": figures })))
}
