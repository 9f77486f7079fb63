//! Readings sent by scripts (`POST /api/v1/readings`) and a second attempt at rejected input.
//! Web only routes bodies to ingest, which reads them.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use jiff::Timestamp;
use serde_json::{json, Value};

use super::{ApiError, AppState};
use crate::domain::{Incoming, Source};
use crate::ingest::manual::Entry;
use crate::ingest::retry::{reprocess_rejected, RetrySummary};
use crate::store::Outcome;

pub async fn post_readings(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let entry = Entry {
        config: &state.config,
        pipeline: &state.pipeline,
        source: Source::Api,
        entered_by: None,
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
    let report = state.store.write(items).await?;
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

pub async fn reprocess(State(state): State<AppState>) -> Result<Json<RetrySummary>, ApiError> {
    let summary = reprocess_rejected(state.store.as_ref(), &state.pipeline, &state.config).await?;
    tracing::info!(?summary, "rejected input reprocessed");
    Ok(Json(summary))
}
