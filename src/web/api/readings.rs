//! Readings over the API: `POST /api/v1/readings` stores what scripts send (JSON or CSV), read
//! by ingest as MQTT messages are; `GET /api/v1/readings` lists a meter's stored readings.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::period::local_rfc3339;
use crate::domain::{Incoming, Source};
use crate::ingest::manual::{Entry, parse_time};
use crate::store::Outcome;
use crate::web::auth::{Viewer, Writer};
use crate::web::commands::write_as;
use crate::web::extract::{ApiQuery, meter_id};
use crate::web::{ApiError, AppState};

pub async fn post_readings(
    State(state): State<AppState>,
    writer: Writer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let entry = Entry {
        config: &state.config(),
        pipeline: &state.pipeline,
        source: Source::Api,
        sender: Some(writer.principal().sender()),
        received_at: Timestamp::now(),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let items = if content_type.starts_with("application/json") {
        entry.from_json(&body)
    } else if content_type.starts_with("text/csv") {
        let text = std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("the CSV is not UTF-8 text: save it as CSV UTF-8".into()))?;
        entry.from_csv(text)
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "send Content-Type: application/json (an object or an array of objects) or text/csv (a header line, then rows)".into(),
        ));
    }
    .map_err(|e| ApiError::BadRequest(e.0))?;
    let meters: Vec<Option<String>> = items
        .iter()
        .map(|item| match item {
            Incoming::Reading(reading, _) => Some(reading.meter.to_string()),
            Incoming::Rejected(rejection) => rejection.meter.as_ref().map(|m| m.to_string()),
        })
        .collect();
    let report = write_as(&state, &writer, items, "readings.submit").await?;
    let rows: Vec<Value> = report
        .outcomes
        .iter()
        .zip(meters)
        .enumerate()
        .map(|(i, (outcome, meter))| {
            let (status, reason, detail) = match outcome {
                Outcome::Stored => ("stored", None, None),
                Outcome::Duplicate => ("duplicate", None, None),
                Outcome::Rejected { reason, detail } => ("rejected", Some(reason.code()), Some(detail.as_str())),
            };
            json!({ "row": i + 1, "meter": meter, "status": status, "reason": reason, "detail": detail })
        })
        .collect();
    Ok(Json(json!({
        "stored": report.stored,
        "duplicates": report.duplicates,
        "rejected": report.rejected,
        "rows": rows,
    })))
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
    ApiQuery(params): ApiQuery<ReadingsParams>,
) -> Result<Json<Value>, ApiError> {
    let tz = &state.config().office.timezone;
    let meter = meter_id(params.meter.as_deref().unwrap_or_default())?;
    if state.pipeline.meter(&meter).is_none() {
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
