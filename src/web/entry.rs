//! Readings sent by scripts (`POST /api/v1/readings`) and a second attempt at rejected input.
//! Web only routes bodies to ingest, which reads them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, AppState};
use crate::domain::{Incoming, Source};
use crate::ingest::manual::Entry;
use crate::ingest::retry::{decode_again, reprocess_rejected, RetrySummary};
use crate::store::{Outcome, Review};

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

/// A reviewer's decision on a held reading, as sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub decision: String,
    pub by: String,
    pub reason: String,
}

/// Accept (store) or reject a reading held for review; who and why are kept.
pub async fn apply_review(state: &AppState, id: i64, body: ReviewBody) -> Result<usize, ApiError> {
    let accept = match body.decision.as_str() {
        "accept" => true,
        "reject" => false,
        other => return Err(ApiError::BadRequest(format!("decision `{other}` is not known: send \"accept\" or \"reject\""))),
    };
    let (by, reason) = (body.by.trim(), body.reason.trim());
    if by.is_empty() || reason.chars().count() < 5 {
        return Err(ApiError::BadRequest("say who decides (`by`) and why (`reason`, at least a few words)".into()));
    }
    let not_waiting = || ApiError::NotFound(format!("no reading {id} is waiting for review; see GET /api/v1/rejected"));
    let item = state.store.rejected_for_retry(id.saturating_sub(1), 1).await?.into_iter().find(|item| item.id == id).ok_or_else(not_waiting)?;
    let accepted = if accept {
        let items = decode_again(&item.origin, &state.pipeline, &state.config);
        if items.is_empty() || !items.iter().all(|i| matches!(i, Incoming::Reading(..))) {
            return Err(ApiError::BadRequest(format!(
                "reading {id} no longer decodes with the current config; fix the config, or reject it"
            )));
        }
        items
    } else {
        Vec::new()
    };
    let review = Review { accept, by: by.to_owned(), reason: reason.to_owned() };
    let report = state.store.review(id, review, accepted).await?.ok_or_else(not_waiting)?;
    tracing::info!(id, accept, by, "held reading reviewed");
    Ok(report.stored)
}

pub async fn review(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Result<Json<ReviewBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::BadRequest(format!("{}; send {{\"decision\": \"accept\" or \"reject\", \"by\": \"…\", \"reason\": \"…\"}}", e.body_text()))
    })?;
    let decision = body.decision.clone();
    let stored = apply_review(&state, id, body).await?;
    Ok(Json(json!({ "id": id, "decision": decision, "stored": stored })))
}
