//! The office's meters: `GET /api/v1/meters` (each with its latest reading), and for an
//! admin `POST /api/v1/meters`, `PUT /api/v1/meters/{id}` and
//! `POST /api/v1/meters/{id}/retire` (audited; see docs/setup.md).

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::MeterSpec;
use crate::domain::MeterId;
use crate::domain::period::local_rfc3339;
use crate::web::auth::{Admin, Viewer};
use crate::web::commands::meters::{self, Put, parse_day, record_json};
use crate::web::{ApiError, AppState};

const METER_EXAMPLE: &str = r#"send the keys of a [[meters]] entry, such as {"id": "dien-photo", "name": "Máy photo", "resource": "electricity", "department": "phong-a", "kind": "counter", "unit": "kWh", "format": "tasmota", "topic": "tele/may-photo/SENSOR"}"#;

pub async fn meters(State(state): State<AppState>, _: Viewer) -> Result<Json<Vec<Value>>, ApiError> {
    let statuses = state.store.meter_status().await?;
    let by_id: HashMap<&MeterId, _> = statuses.iter().map(|s| (&s.meter, s)).collect();
    let tz = &state.config().office.timezone;
    let now = jiff::Timestamp::now();
    let meters = state
        .pipeline
        .meters()
        .iter()
        .map(|(m, retired)| {
            let status = by_id.get(&m.id);
            let last_seen = status.and_then(|s| s.last_seen);
            json!({
                "id": m.id,
                "name": m.name,
                "resource": m.resource,
                "department": m.department,
                "parent": m.parent,
                "kind": m.kind,
                "unit": m.resource.canonical_unit().config_name(),
                "reports_in": m.conversion.unit().config_name(),
                "format": m.format,
                "topic": m.topic,
                "last_value": status.and_then(|s| s.last_value),
                "last_reading_at": status.and_then(|s| s.last_ts).map(|t| local_rfc3339(t, tz)),
                "last_seen": status.and_then(|s| s.last_seen).map(|t| local_rfc3339(t, tz)),
                "readings": status.map(|s| s.readings).unwrap_or(0),
                "status": crate::analysis::freshness(m, last_seen, now),
                "expected_interval_s": m.expected_interval.map(|d| d.as_secs()),
                "retired_from": retired.map(|t| t.to_zoned(tz.clone()).date().to_string()),
            })
        })
        .collect();
    Ok(Json(meters))
}

fn body(body: Result<Json<MeterSpec>, JsonRejection>) -> Result<MeterSpec, ApiError> {
    body.map(|Json(spec)| spec).map_err(|e| ApiError::BadRequest(format!("{}; {METER_EXAMPLE}", e.body_text())))
}

pub async fn add_meter(
    State(state): State<AppState>,
    admin: Admin,
    spec: Result<Json<MeterSpec>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let record = meters::put(&state, &admin, body(spec)?, Put::Add).await?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

pub async fn change_meter(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    spec: Result<Json<MeterSpec>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let spec = body(spec)?;
    if spec.id != id {
        return Err(ApiError::BadRequest(format!(
            "the body's id `{}` is not `{id}`: a meter keeps its id (retire it and add a new one to change it)",
            spec.id
        )));
    }
    let record = meters::put(&state, &admin, spec, Put::Change).await?;
    Ok(Json(record_json(&record)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetireBody {
    /// The first local day whose readings are refused; `null`: back in use.
    from: Option<String>,
}

pub async fn retire_meter(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    body: Result<Json<RetireBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "{}; send {{\"from\": \"2026-12-01\"}} (the first day refused), or {{\"from\": null}} to put it back in use",
            e.body_text()
        ))
    })?;
    let from = body.from.as_deref().map(parse_day).transpose()?;
    let record = meters::retire(&state, &admin, &id, from).await?;
    Ok(Json(record_json(&record)))
}
