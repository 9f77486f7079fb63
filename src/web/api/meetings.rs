//! Paperless meetings over the API: `GET /api/v1/meetings?period=…` (shares, trend and target
//! per department and for the office) and `POST /api/v1/meetings` (a department's month).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::meetings;
use crate::web::auth::{Viewer, Writer};
use crate::web::commands::meetings::MeetingBody;
use crate::web::extract::{ApiQuery, period_param};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str = r#"send {"department": "phong-tong-hop", "month": "2026-11", "held": 8, "paperless": 6}"#;

pub async fn post_meetings(
    State(state): State<AppState>,
    writer: Writer,
    body: Result<Json<MeetingBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    let record = crate::web::commands::meetings::apply(&state, &writer, body).await?;
    let c = &record.count;
    Ok(Json(json!({
        "department": c.department(),
        "month": c.month().to_string(),
        "held": c.held(),
        "paperless": c.paperless(),
        "entered_by": record.entered_by,
    })))
}

#[derive(Deserialize)]
pub struct MeetingParams {
    period: Option<String>,
}

pub async fn get_meetings(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<MeetingParams>,
) -> Result<Json<Value>, ApiError> {
    let period = period_param(params.period, "for example /api/v1/meetings?period=2026")?;
    let mut departments =
        meetings::shares(state.store.as_ref(), &state.config(), &period, jiff::Timestamp::now()).await?;
    let office = departments.pop();
    Ok(Json(json!({ "period": period, "departments": departments, "office": office })))
}
