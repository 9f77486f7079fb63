//! `POST /api/v1/departments/{id}/staffing` (admin, audited): a department's headcount or
//! floor area from a day on.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::store::StaffingRecord;
use crate::web::auth::Admin;
use crate::web::commands::staffing::{StaffingBody, record};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str =
    r#"send {"from": "2026-12-01", "headcount": 12, "area_m2": 110.5} (one of headcount and area_m2 at least)"#;

pub async fn post_staffing(
    State(state): State<AppState>,
    admin: Admin,
    Path(department): Path<String>,
    body: Result<Json<StaffingBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    Ok(Json(record_json(&record(&state, &admin, &department, body).await?)))
}

pub fn record_json(record: &StaffingRecord) -> Value {
    let c = &record.change;
    json!({
        "id": record.id,
        "department": c.department,
        "from": c.from.to_string(),
        "headcount": c.headcount,
        "area_m2": c.area_m2,
        "entered_by": record.entered_by,
    })
}
