//! Decisions on rejected and held input: a second attempt at all of it, or a person's verdict
//! on one item.

use serde::Deserialize;
use serde_json::json;

use crate::domain::Incoming;
use crate::ingest::reprocess::{RetrySummary, decode_again, reprocess_rejected};
use crate::store::{AuditDetail, Review, WriteReport};
use crate::web::auth::Admin;
use crate::web::commands::{actor, audit_line};
use crate::web::{ApiError, AppState};

/// Decode every rejected item again with the current config (an admin's action).
pub async fn reprocess(state: &AppState, admin: &Admin) -> Result<RetrySummary, ApiError> {
    let by = actor(admin.principal());
    let summary = reprocess_rejected(admin.store(state), &state.pipeline, &state.config, Some(&by)).await?;
    tracing::info!(?summary, by = %admin.principal().name(), "rejected input reprocessed");
    Ok(summary)
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
    let (decision, why) = (body.decision.clone(), reason.to_owned());
    let line = audit_line(admin.principal(), "rejected.review", move |report: &WriteReport| AuditDetail {
        target: format!("rejected item {id}"),
        before: None,
        after: Some(json!({ "decision": decision, "reason": why, "stored": report.stored })),
    });
    let report = admin.store(state).review(id, review, accepted, Some(line)).await?.ok_or_else(not_waiting)?;
    tracing::info!(id, accept, by, "held reading reviewed");
    Ok(report.stored)
}
