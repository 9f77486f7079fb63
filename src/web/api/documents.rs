//! Electronic documents over the API: `GET /api/v1/documents?period=…` (shares per department
//! and for the office) and `POST /api/v1/documents` (a department's counts for a month).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::documents;
use crate::web::auth::{Viewer, Writer};
use crate::web::commands::documents::DocumentBody;
use crate::web::extract::{ApiQuery, period_param};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str =
    r#"send {"department": "phong-tong-hop", "month": "2026-11", "electronic": 120, "paper": 4}"#;

pub async fn post_documents(
    State(state): State<AppState>,
    writer: Writer,
    body: Result<Json<DocumentBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    let record = crate::web::commands::documents::apply(&state, &writer, body).await?;
    let c = &record.count;
    Ok(Json(json!({
        "department": c.department,
        "month": c.month.to_string(),
        "electronic": c.electronic,
        "paper": c.paper,
        "entered_by": record.entered_by,
    })))
}

#[derive(Deserialize)]
pub struct DocumentParams {
    period: Option<String>,
}

pub async fn get_documents(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<DocumentParams>,
) -> Result<Json<Value>, ApiError> {
    let period = period_param(params.period, "for example /api/v1/documents?period=2026")?;
    let mut departments =
        documents::shares(state.store.as_ref(), &state.config(), &period, jiff::Timestamp::now()).await?;
    let office = departments.pop();
    Ok(Json(json!({ "period": period, "departments": departments, "office": office })))
}
