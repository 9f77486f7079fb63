//! Readings sent by scripts (`POST /api/v1/readings`) and a second attempt at rejected input.
//! Web only routes bodies to ingest, which reads them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::domain::{Incoming, Source};
use crate::ingest::manual::Entry;
use crate::ingest::retry::{RetrySummary, decode_again, reprocess_rejected};
use crate::store::{Outcome, Review, WriteReport};
use crate::web::auth::{AccessDenied, Admin, Writer};

pub async fn post_readings(
    State(state): State<AppState>,
    writer: Writer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let entry = Entry {
        config: &state.config,
        pipeline: &state.pipeline,
        source: Source::Api,
        entered_by: Some(writer.principal().name()),
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

/// Store what a writer sent, if every reading is for a meter they may write: otherwise a 403
/// and nothing is stored. The submission is recorded in the audit log as `action`.
pub async fn write_as(
    state: &AppState,
    writer: &Writer,
    items: Vec<Incoming>,
    action: &str,
) -> Result<WriteReport, ApiError> {
    for item in &items {
        let meter = match item {
            Incoming::Reading(reading, _) => Some(&reading.meter),
            Incoming::Rejected(rejection) => rejection.meter.as_ref(),
        };
        if let Some(meter) = meter.and_then(|id| state.config.meter(id)) {
            writer.check_meter(meter).map_err(|denied| match denied {
                AccessDenied::Forbidden { message, .. } => ApiError::Forbidden(message),
                other => ApiError::Internal(format!("{other:?}")),
            })?;
        }
    }
    let summary: Vec<Value> = items
        .iter()
        .filter_map(|item| match item {
            Incoming::Reading(r, _) => Some(json!({ "meter": r.meter, "ts": r.ts.to_string(), "value": r.value })),
            Incoming::Rejected(_) => None,
        })
        .take(AUDITED_READINGS)
        .collect();
    let count = items.len();
    let report = writer.store(state).write(items).await?;
    let after = json!({ "stored": report.stored, "duplicates": report.duplicates, "rejected": report.rejected, "readings": summary });
    audit(state, writer.principal(), action, format!("{count} item(s)"), None, Some(after)).await?;
    Ok(report)
}

/// How many readings of one submission the audit log lists (a CSV import can hold thousands;
/// the readings themselves keep who entered them).
const AUDITED_READINGS: usize = 20;

/// Record an action in the audit log; a failure to record it is an internal error.
pub async fn audit(
    state: &AppState,
    who: &Principal,
    action: &str,
    target: String,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), ApiError> {
    state
        .auth
        .audit(Some(who), action, target, before, after)
        .await
        .map_err(|e| ApiError::Internal(format!("the audit log could not record {action}: {e}")))
}

/// Decode every rejected item again with the current config (an admin's action).
pub async fn reprocess(state: &AppState, admin: &Admin) -> Result<RetrySummary, ApiError> {
    let summary = reprocess_rejected(admin.store(state), &state.pipeline, &state.config).await?;
    tracing::info!(?summary, by = %admin.principal().name(), "rejected input reprocessed");
    audit(state, admin.principal(), "rejected.reprocess", "rejected input".into(), None, Some(json!(summary))).await?;
    Ok(summary)
}

pub async fn post_reprocess(State(state): State<AppState>, admin: Admin) -> Result<Json<RetrySummary>, ApiError> {
    Ok(Json(reprocess(&state, &admin).await?))
}

/// A reviewer's decision on a held reading, as sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub decision: String,
    pub reason: String,
}

/// Accept (store) or reject a reading held for review; who and why are kept.
pub async fn apply_review(state: &AppState, admin: &Admin, id: i64, body: ReviewBody) -> Result<usize, ApiError> {
    let accept = match body.decision.as_str() {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(ApiError::BadRequest(format!(
                "decision `{other}` is not known: send \"accept\" or \"reject\""
            )));
        }
    };
    let (by, reason) = (admin.principal().name(), body.reason.trim());
    if reason.chars().count() < 5 {
        return Err(ApiError::BadRequest("say why (`reason`, at least a few words)".into()));
    }
    let not_waiting = || ApiError::NotFound(format!("no reading {id} is waiting for review; see GET /api/v1/rejected"));
    let item = state
        .store
        .rejected_for_retry(id.saturating_sub(1), 1)
        .await?
        .into_iter()
        .find(|item| item.id == id)
        .ok_or_else(not_waiting)?;
    let accepted = if accept {
        let items = decode_again(&item.origin, &state.pipeline, &state.config);
        if items.is_empty() || !items.iter().all(|i| matches!(i, Incoming::Reading(..))) {
            return Err(ApiError::Conflict(format!(
                "reading {id} no longer decodes with the current config; fix the config, or reject it"
            )));
        }
        items
    } else {
        Vec::new()
    };
    let review = Review { accept, by: by.clone(), reason: reason.to_owned() };
    let report = admin.store(state).review(id, review, accepted).await?.ok_or_else(not_waiting)?;
    tracing::info!(id, accept, by, "held reading reviewed");
    let after = json!({ "decision": body.decision, "reason": reason, "stored": report.stored });
    audit(state, admin.principal(), "rejected.review", format!("rejected item {id}"), None, Some(after)).await?;
    Ok(report.stored)
}

pub async fn review(
    State(state): State<AppState>,
    admin: Admin,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ReviewBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "{}; send {{\"decision\": \"accept\" or \"reject\", \"reason\": \"…\"}}",
            e.body_text()
        ))
    })?;
    let Path(id) = id.map_err(|_| {
        ApiError::BadRequest("the id in the path must be a whole number, as listed by GET /api/v1/rejected".into())
    })?;
    let decision = body.decision.clone();
    let stored = apply_review(&state, &admin, id, body).await?;
    Ok(Json(json!({ "id": id, "decision": decision, "stored": stored })))
}
