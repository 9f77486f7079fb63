//! The JSON API under /api/v1: the same figures the pages show.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, AppState};
use crate::analysis::figures::{self, ConsumptionQuery};
use crate::analysis::series::local_rfc3339;
use crate::analysis::{Step, TimeRange};
use crate::domain::{DepartmentId, MeterId, Resource};

pub(super) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::BadRequest(format!("the query string cannot be read: {}", e.body_text())))
}

/// An optional id parameter: absent or empty is `None`, anything else must be a valid id.
pub(super) fn optional_id<T: std::str::FromStr<Err = crate::domain::InvalidId>>(
    value: Option<String>,
    name: &str,
) -> Result<Option<T>, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<T>())
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
}

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.store.check().await;
    let ingest = state.ingest.snapshot();
    let healthy = store.is_ok() && ingest.connected;
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "office": state.config.office.name,
        "broker": {
            "embedded": state.broker.embedded,
            "address": state.broker.address,
            "connected": ingest.connected,
        },
        "store": {
            "backend": state.store.backend(),
            "ok": store.is_ok(),
            "error": store.err().map(|e| e.to_string()),
        },
        "ingest": ingest,
    });
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}

pub async fn meters(State(state): State<AppState>) -> Result<Json<Vec<Value>>, ApiError> {
    let statuses = state.store.meter_status().await?;
    let by_id: HashMap<&MeterId, _> = statuses.iter().map(|s| (&s.meter, s)).collect();
    let tz = &state.config.office.timezone;
    let now = jiff::Timestamp::now();
    let meters = state
        .config
        .meters
        .iter()
        .map(|m| {
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
            })
        })
        .collect();
    Ok(Json(meters))
}

#[derive(Deserialize)]
pub struct ConsumptionParams {
    resource: Option<String>,
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
    department: Option<String>,
    meter: Option<String>,
}

const CONSUMPTION_EXAMPLE: &str =
    "for example /api/v1/consumption?resource=electricity&from=2026-11-01&to=2026-12-01&step=day";

pub async fn consumption(
    State(state): State<AppState>,
    params: Result<Query<ConsumptionParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let params = query(params)?;
    let required = |value: Option<String>, name: &str| {
        value.filter(|v| !v.is_empty()).ok_or_else(|| {
            ApiError::BadRequest(format!("`{name}` is missing: {CONSUMPTION_EXAMPLE}"))
        })
    };
    let resource: Resource = required(params.resource, "resource")?
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("{e}")))?;
    let from = required(params.from, "from")?;
    let to = required(params.to, "to")?;
    let step = Step::parse(&required(params.step, "step")?).map_err(|e| ApiError::BadRequest(e.0))?;
    let range = TimeRange::parse(&from, &to, &state.config.office.timezone).map_err(|e| ApiError::BadRequest(e.0))?;
    let department = optional_id::<DepartmentId>(params.department, "department")?;
    let meter = optional_id::<MeterId>(params.meter, "meter")?;
    let series = figures::consumption(
        state.store.as_ref(),
        &state.config,
        &ConsumptionQuery { resource, department, meter, range, step },
    )
    .await?;
    Ok(Json(series))
}

#[derive(Deserialize)]
pub struct RejectedParams {
    limit: Option<usize>,
}

pub async fn rejected(
    State(state): State<AppState>,
    params: Result<Query<RejectedParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = query(params)?.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::BadRequest("`limit` must be between 1 and 10000".into()));
    }
    let (items, total) = state.store.rejected(limit).await?;
    let tz = &state.config.office.timezone;
    let items: Vec<Value> = items
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "received_at": local_rfc3339(r.received_at, tz),
                "source": r.source,
                "topic": r.topic,
                "payload": r.payload,
                "meter": r.meter,
                "reason": r.reason,
                "detail": r.detail,
            })
        })
        .collect();
    Ok(Json(json!({ "total": total, "items": items })))
}

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json"))
}
