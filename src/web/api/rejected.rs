//! Rejected and held input: `GET /api/v1/rejected`, a second attempt at all of it, and a
//! person's verdict on one item or on every item a filter picks.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::period::local_rfc3339;
use crate::ingest::reprocess::RetrySummary;
use crate::web::auth::{Admin, Viewer};
use crate::web::commands::review::{
    BulkOutcome, BulkReviewBody, ReviewBody, apply_bulk_review, apply_review, reprocess,
};
use crate::web::extract::ApiQuery;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct RejectedParams {
    limit: Option<usize>,
    /// The `next_before` of the page before: items with a smaller id.
    before: Option<i64>,
}

/// The most items one answer lists.
const MAX_LIMIT: usize = 1000;

pub async fn rejected(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<RejectedParams>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!("`limit` must be between 1 and {MAX_LIMIT}")));
    }
    let (items, total) = state.store.rejected_page(params.before, limit).await?;
    // A full page may have more after it.
    let next_before = items.last().filter(|_| items.len() == limit).map(|last| last.id);
    let tz = &state.config().office.timezone;
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
    Ok(Json(json!({ "total": total, "items": items, "next_before": next_before })))
}

pub async fn post_reprocess(State(state): State<AppState>, admin: Admin) -> Result<Json<RetrySummary>, ApiError> {
    Ok(Json(reprocess(&state, &admin).await?))
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

pub async fn bulk_review(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<BulkReviewBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<BulkOutcome>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "{}; gửi {{\"decision\": \"accept\" hoặc \"reject\", \"reason\": \"…\", \"filter\": {{\"meter\", \"reason\", \"from\", \"to\"}}}}",
            e.body_text()
        ))
    })?;
    Ok(Json(apply_bulk_review(&state, &admin, body).await?))
}
