//! `GET /api/v1/calendar/{year}`: a year of the working calendar in force (its days off, days
//! worked instead, status and working days); `POST` (admin, audited): days added or taken off,
//! the year marked official.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde_json::Value;

use crate::web::auth::{Admin, Viewer};
use crate::web::commands::calendar::{CalendarBody, change, year_json, year_sent};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str = r#"send {"status": "official", "add": [{"date": "2027-02-12", "kind": "off", "reason": "Nghỉ Tết"}], "remove": ["2027-02-05"]}"#;

pub async fn get_calendar_year(
    State(state): State<AppState>,
    _: Viewer,
    Path(year): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let year = year_sent(&year)?;
    Ok(Json(year_json(&state.config().office, year)))
}

pub async fn post_calendar_year(
    State(state): State<AppState>,
    admin: Admin,
    Path(year): Path<String>,
    body: Result<Json<CalendarBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    let year = year_sent(&year)?;
    change(&state, &admin, year, body).await?;
    Ok(Json(year_json(&state.config().office, year)))
}
