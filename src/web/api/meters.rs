//! `GET /api/v1/meters`: every meter with its latest reading.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::domain::MeterId;
use crate::domain::period::local_rfc3339;
use crate::web::auth::Viewer;
use crate::web::{ApiError, AppState};

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
