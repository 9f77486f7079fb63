//! Corrections and the readings they apply to, over the API: `GET /api/v1/readings` lists a
//! meter's readings, `POST /api/v1/corrections` changes or removes one, keeping the old value
//! with who, when and why; `GET /api/v1/corrections` lists them.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::CorrectionRecord;
use crate::domain::period::local_rfc3339;
use crate::web::auth::{Viewer, Writer};
use crate::web::commands::corrections::CorrectionBody;
use crate::web::extract::{ApiQuery, meter_id};
use crate::web::{ApiError, AppState};

pub fn record_json(record: &CorrectionRecord, tz: &jiff::tz::TimeZone) -> Value {
    json!({
        "id": record.id,
        "meter": record.meter,
        "ts": local_rfc3339(record.ts, tz),
        "old_value": record.old_value,
        "new_value": record.new_value,
        "by": record.by,
        "at": local_rfc3339(record.at, tz),
        "reason": record.reason,
    })
}

pub async fn post_correction(
    State(state): State<AppState>,
    writer: Writer,
    body: Result<Json<CorrectionBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "{}; send {{\"meter\": \"dien-tong-hop\", \"ts\": \"2026-11-28T07:00:00+07:00\", \"value\": 1234.5, \"reason\": \"…\"}} (value null removes the reading)",
            e.body_text()
        ))
    })?;
    let record = crate::web::commands::corrections::apply(&state, &writer, body).await?;
    tracing::info!(meter = %record.meter, by = %record.by, "reading corrected");
    Ok(Json(record_json(&record, &state.config().office.timezone)))
}

#[derive(Deserialize)]
pub struct CorrectionsParams {
    meter: Option<String>,
    limit: Option<usize>,
}

pub async fn list_corrections(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<CorrectionsParams>,
) -> Result<Json<Value>, ApiError> {
    let meter = params.meter.as_deref().filter(|m| !m.is_empty()).map(meter_id).transpose()?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::BadRequest("`limit` must be between 1 and 10000".into()));
    }
    let records = state.store.corrections(meter, limit).await?;
    let tz = &state.config().office.timezone;
    Ok(Json(json!({ "items": records.iter().map(|r| record_json(r, tz)).collect::<Vec<_>>() })))
}
