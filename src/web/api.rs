//! The JSON API under /api/v1: the same figures the pages show.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Admin, Viewer};
use super::{ApiError, AppState};
use crate::analysis::figures::{self, ConsumptionQuery};
use crate::domain::period::local_rfc3339;
use crate::domain::{DepartmentId, MeterId, Resource};
use crate::domain::{Step, TimeRange};

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
    let now = jiff::Timestamp::now();
    let outbox = state.outbox.as_ref().map(|status| (status.snapshot(), status));
    let overdue = outbox.as_ref().is_some_and(|(snapshot, status)| status.overdue(snapshot, now));
    let healthy = store.is_ok() && ingest.connected && !overdue;
    let tz = &state.config.office.timezone;
    let outbox = outbox.map(|(o, _)| {
        json!({
            "pending": o.pending,
            "oldest_pending_age_s": o.oldest_pending_age(now).map(|age| age.as_secs()),
            "overdue": overdue,
            "last_error": o.last_error,
            "last_written_at": o.last_written_at.map(|t| local_rfc3339(t, tz)),
            "dead_letters": o.dead_letters,
            "influxdb_reachable": o.reachable,
            "reads_from_journal": o.reads_from_journal,
        })
    });
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
            "outbox": outbox,
        },
        "ingest": ingest,
    });
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}

pub async fn meters(State(state): State<AppState>, _: Viewer) -> Result<Json<Vec<Value>>, ApiError> {
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
    _: Viewer,
    params: Result<Query<ConsumptionParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let params = query(params)?;
    let required = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::BadRequest(format!("`{name}` is missing: {CONSUMPTION_EXAMPLE}")))
    };
    let resource: Resource =
        required(params.resource, "resource")?.parse().map_err(|e| ApiError::BadRequest(format!("{e}")))?;
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
    _: Viewer,
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

/// Who is asking: their user name, name, role, departments, and how they signed in.
pub async fn me(Viewer(who): Viewer) -> Json<Value> {
    let via = match &who.via {
        crate::auth::Via::Session { .. } => json!({ "kind": "session" }),
        crate::auth::Via::Token { id, name, meters, .. } => {
            json!({ "kind": "token", "id": id, "name": name, "meters": meters })
        }
    };
    Json(json!({
        "username": who.user.username,
        "display_name": who.user.display_name,
        "role": who.role(),
        "departments": who.user.departments,
        "via": via,
    }))
}

#[derive(Deserialize)]
pub struct AuditParams {
    before: Option<i64>,
    limit: Option<usize>,
}

/// The audit log, newest first; `before` pages back by id.
pub async fn audit(
    State(state): State<AppState>,
    _: Admin,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let params = query(params)?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::BadRequest("`limit` must be between 1 and 10000".into()));
    }
    let records = state.auth.audit_log(params.before, limit).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let tz = &state.config.office.timezone;
    let items: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({ "id": r.id, "at": local_rfc3339(r.at, tz), "actor": r.actor, "address": r.address, "action": r.action,
                    "target": r.target, "before": r.before, "after": r.after })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// The whole audit log as CSV (UTF-8 with BOM, so Excel shows Vietnamese names), oldest last.
pub async fn audit_csv(State(state): State<AppState>, _: Admin) -> Result<impl IntoResponse, ApiError> {
    let tz = &state.config.office.timezone;
    let mut csv = String::from("\u{feff}id,at,actor,address,action,target,before,after\r\n");
    let mut before = None;
    loop {
        let page = state.auth.audit_log(before, 5_000).await.map_err(|e| ApiError::Internal(e.to_string()))?;
        for r in &page {
            let json = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
            let fields = [
                r.id.to_string(),
                local_rfc3339(r.at, tz),
                r.actor.clone(),
                r.address.clone().unwrap_or_default(),
                r.action.clone(),
                r.target.clone(),
                json(&r.before),
                json(&r.after),
            ];
            csv.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            csv.push_str("\r\n");
        }
        match page.last() {
            Some(last) if page.len() == 5_000 => before = Some(last.id),
            _ => break,
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"xanh-audit.csv\""),
        ],
        csv,
    ))
}

/// A CSV field, quoted when it holds a separator, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so that a spreadsheet does not run it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}
