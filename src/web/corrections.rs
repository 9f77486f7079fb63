//! Corrections and the readings they apply to, over the API: `GET /api/v1/readings` lists a
//! meter's readings, `POST /api/v1/corrections` changes or removes one, keeping the old value
//! with who, when and why; `GET /api/v1/corrections` lists them.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{AccessDenied, Viewer, Writer};
use super::entry::audit;
use super::{ApiError, AppState};
use crate::domain::period::local_rfc3339;
use crate::domain::{Correction, CorrectionRecord, MeterId};
use crate::ingest::manual::parse_time;

fn meter_id(value: &str) -> Result<MeterId, ApiError> {
    value.parse::<MeterId>().map_err(|e| ApiError::BadRequest(format!("meter: {e}")))
}

#[derive(Deserialize)]
pub struct ReadingsParams {
    meter: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
}

pub async fn readings(
    State(state): State<AppState>,
    _: Viewer,
    params: Result<Query<ReadingsParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let tz = &state.config.office.timezone;
    let meter = meter_id(params.meter.as_deref().unwrap_or_default())?;
    if state.config.meter(&meter).is_none() {
        return Err(ApiError::NotFound(format!("no meter `{meter}` is configured; see /api/v1/meters")));
    }
    let time = |value: Option<String>, default: i64| -> Result<i64, ApiError> {
        value
            .map(|v| parse_time(&v, tz).map(|t| t.as_millisecond()).map_err(ApiError::BadRequest))
            .unwrap_or(Ok(default))
    };
    let from = time(params.from, i64::MIN / 2)?;
    let to = time(params.to, i64::MAX / 2)?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::BadRequest("`limit` must be between 1 and 10000".into()));
    }
    let rows = state.store.readings(meter.clone(), from, to, limit).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "ts": local_rfc3339(r.ts, tz),
                "value": r.value,
                "from": r.period_start.map(|t| local_rfc3339(t, tz)),
                "source": r.source,
                "entered_by": r.entered_by,
                "cost_vnd": r.cost_vnd,
                "received_at": local_rfc3339(r.received_at, tz),
            })
        })
        .collect();
    Ok(Json(json!({ "meter": meter, "readings": items })))
}

/// A correction as sent: `value` in the unit figures are shown in (kWh, m3, sheet), or null
/// to remove the reading.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    pub meter: String,
    pub ts: String,
    pub value: Option<f64>,
    pub reason: String,
}

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

/// Check a correction as sent and apply it, if the writer may correct that meter.
pub async fn apply(state: &AppState, writer: &Writer, body: CorrectionBody) -> Result<CorrectionRecord, ApiError> {
    let tz = &state.config.office.timezone;
    let meter = meter_id(&body.meter)?;
    let Some(configured) = state.config.meter(&meter) else {
        return Err(ApiError::NotFound(format!("no meter `{meter}` is configured; see /api/v1/meters")));
    };
    writer.check_meter(configured).map_err(|denied| match denied {
        AccessDenied::Forbidden { message, .. } => ApiError::Forbidden(message),
        other => ApiError::Internal(format!("{other:?}")),
    })?;
    let ts = parse_time(&body.ts, tz).map_err(ApiError::BadRequest)?;
    let correction = Correction::new(meter.clone(), ts, body.value, &writer.principal().name(), &body.reason)
        .map_err(|e| ApiError::BadRequest(e.0))?;
    let record = writer.store(state).correct(correction).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "meter `{meter}` has no reading at {}: see GET /api/v1/readings?meter={meter} for the exact times",
            local_rfc3339(ts, tz)
        ))
    })?;
    let before = json!({ "value": record.old_value });
    let after = json!({ "value": record.new_value, "reason": record.reason });
    audit(
        state,
        writer.principal(),
        "reading.correct",
        format!("{} {}", record.meter, local_rfc3339(record.ts, tz)),
        Some(before),
        Some(after),
    )
    .await?;
    Ok(record)
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
    let record = apply(&state, &writer, body).await?;
    tracing::info!(meter = %record.meter, by = %record.by, "reading corrected");
    Ok(Json(record_json(&record, &state.config.office.timezone)))
}

#[derive(Deserialize)]
pub struct CorrectionsParams {
    meter: Option<String>,
    limit: Option<usize>,
}

pub async fn list_corrections(
    State(state): State<AppState>,
    _: Viewer,
    params: Result<Query<CorrectionsParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let meter = params.meter.as_deref().filter(|m| !m.is_empty()).map(meter_id).transpose()?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::BadRequest("`limit` must be between 1 and 10000".into()));
    }
    let records = state.store.corrections(meter, limit).await?;
    let tz = &state.config.office.timezone;
    Ok(Json(json!({ "items": records.iter().map(|r| record_json(r, tz)).collect::<Vec<_>>() })))
}
