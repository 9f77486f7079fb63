//! Baselines and targets changed in the web app, each change kept with who, when, the old and
//! the new value: `POST /api/v1/plan/baseline`, `POST /api/v1/plan/target`,
//! `GET /api/v1/plan/edits`. The values in force are the config's with the latest edits over
//! them (`analysis::plan`).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde_json::{Value, json};

use crate::domain::period::local_rfc3339;
use crate::store::PlanEditRecord;
use crate::web::auth::{Admin, Viewer};
use crate::web::commands::plan::{BaselineBody, TargetBody, apply_baseline, apply_target};
use crate::web::{ApiError, AppState};

pub(crate) fn edit_json(record: &PlanEditRecord, tz: &jiff::tz::TimeZone) -> Value {
    let e = &record.edit;
    json!({
        "id": record.id,
        "at": local_rfc3339(record.at, tz),
        "kind": if e.target { "target" } else { "baseline" },
        "resource": e.resource,
        "department": e.department,
        "period": e.period,
        "old": e.old,
        "new": e.new,
        "by": e.by,
        "reason": e.reason,
    })
}

const BASELINE_EXAMPLE: &str = r#"send {"resource": "electricity", "department": "phong-tong-hop", "period": "2025", "amount": 21900, "note": "Hoá đơn EVN 2025", "reason": "…"} (or "reset": true)"#;
const TARGET_EXAMPLE: &str = r#"send {"resource": "water", "department": "phong-tong-hop", "period": "2026", "saving_percent": 7, "stretch_percent": 10, "reason": "…"} (department and period optional; or "reset": true)"#;

pub async fn post_baseline(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<BaselineBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BASELINE_EXAMPLE}", e.body_text())))?;
    let record = apply_baseline(&state, &admin, body).await?;
    Ok(Json(edit_json(&record, &state.config().office.timezone)))
}

pub async fn post_target(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<TargetBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {TARGET_EXAMPLE}", e.body_text())))?;
    let record = apply_target(&state, &admin, body).await?;
    Ok(Json(edit_json(&record, &state.config().office.timezone)))
}

/// Every change, newest first.
pub async fn edits(State(state): State<AppState>, _: Viewer) -> Result<Json<Vec<Value>>, ApiError> {
    let edits = state.store.plan_edits().await?;
    Ok(Json(edits.iter().rev().map(|r| edit_json(r, &state.config().office.timezone)).collect()))
}
