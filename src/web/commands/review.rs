//! Decisions on rejected and held input: a second attempt at all of it, a person's verdict on
//! one item, or one verdict with one reason on every item a filter picks.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::{Incoming, MeterId, RejectReason, TimeRange};
use crate::ingest::reprocess::{RetrySummary, decode_again, reprocess_rejected};
use crate::store::{AuditDetail, RetryItem, Review, Reviewed};
use crate::web::auth::Admin;
use crate::web::commands::{actor, audit_line};
use crate::web::{ApiError, AppState};

/// Decode every rejected item again with the current config (an admin's action).
pub async fn reprocess(state: &AppState, admin: &Admin) -> Result<RetrySummary, ApiError> {
    let by = actor(admin.principal());
    let summary = reprocess_rejected(admin.store(state), &state.pipeline, &state.config(), Some(&by)).await?;
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

/// Accept (store) or reject a reading held for review, or dismiss a conflicting duplicate;
/// who and why are kept.
pub async fn apply_review(state: &AppState, admin: &Admin, id: i64, body: ReviewBody) -> Result<usize, ApiError> {
    let accept = parse_decision(&body.decision)?;
    let reason = checked_reason(&body.reason)?;
    let not_waiting =
        || ApiError::NotFound(format!("không có mục {id} nào đang chờ quyết định; xem GET /api/v1/rejected"));
    let item = state
        .store
        .rejected_for_retry(id.saturating_sub(1), 1)
        .await?
        .into_iter()
        .find(|item| item.id == id)
        .ok_or_else(not_waiting)?;
    if accept && item.reason == Some(RejectReason::ConflictingDuplicate) {
        return Err(ApiError::Conflict(format!(
            "mục {id} trùng thời điểm với một số liệu đã lưu: không thể chấp nhận; hãy sửa số liệu đã lưu (đính chính) rồi bỏ qua mục này"
        )));
    }
    let accepted = if accept {
        accepted_readings(state, &item).ok_or_else(|| {
            ApiError::Conflict(format!(
                "mục {id} không còn đọc được với cấu hình hiện tại; hãy sửa cấu hình, hoặc loại bỏ mục này"
            ))
        })?
    } else {
        Vec::new()
    };
    let review = Review { accept, by: admin.principal().name(), reason: reason.to_owned() };
    let (decision, why) = (body.decision.clone(), reason.to_owned());
    let line = audit_line(admin.principal(), "rejected.review", move |reviewed: &Reviewed| AuditDetail {
        target: format!("rejected item {id}"),
        before: None,
        after: Some(json!({ "decision": decision, "reason": why, "stored": reviewed.report.stored })),
    });
    let reviewed = admin.store(state).review(vec![(id, accepted)], review, Some(line)).await?;
    if reviewed.decided.is_empty() {
        return Err(not_waiting());
    }
    tracing::info!(id, accept, by = %admin.principal().name(), "held reading reviewed");
    Ok(reviewed.report.stored)
}

/// One decision with one reason for every waiting item the filter picks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkReviewBody {
    pub decision: String,
    pub reason: String,
    #[serde(default)]
    pub filter: ReviewFilter,
}

/// Which waiting items a bulk decision is for; every part is optional.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewFilter {
    pub meter: Option<String>,
    /// `held_for_review` or `conflicting_duplicate`.
    pub reason: Option<String>,
    /// The readings' time: local dates or RFC 3339 times, `to` exclusive; both or neither.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What a bulk decision did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct BulkOutcome {
    /// Items decided.
    pub decided: usize,
    /// Readings stored from the accepted ones.
    pub stored: usize,
    /// Items the filter picked that this decision cannot apply to (a conflicting duplicate
    /// cannot be accepted; a reading that no longer decodes cannot be stored): still waiting.
    pub left: usize,
}

/// The filter checked: the meter, the reason and the period as types.
struct Picked {
    meter: Option<MeterId>,
    reasons: Vec<RejectReason>,
    period: Option<TimeRange>,
}

impl ReviewFilter {
    fn check(&self, state: &AppState) -> Result<Picked, ApiError> {
        let meter = match &self.meter {
            Some(id) => Some(
                id.parse::<MeterId>()
                    .ok()
                    .filter(|id| state.config().meters.iter().any(|m| &m.id == id))
                    .ok_or_else(|| ApiError::BadRequest(format!("không có công tơ `{id}`; xem GET /api/v1/meters")))?,
            ),
            None => None,
        };
        let reasons = match self.reason.as_deref() {
            None => vec![RejectReason::HeldForReview, RejectReason::ConflictingDuplicate],
            Some(code) => match RejectReason::parse(code) {
                Some(r @ (RejectReason::HeldForReview | RejectReason::ConflictingDuplicate)) => vec![r],
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "lý do `{code}` không dùng được: chọn \"held_for_review\" hoặc \"conflicting_duplicate\""
                    )));
                }
            },
        };
        let period = match (&self.from, &self.to) {
            (None, None) => None,
            (Some(from), Some(to)) => Some(
                TimeRange::parse(from, to, &state.config().office.timezone)
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?,
            ),
            _ => {
                return Err(ApiError::BadRequest(
                    "gửi cả `from` và `to` (ngày, `to` không tính), hoặc không gửi cả hai".into(),
                ));
            }
        };
        Ok(Picked { meter, reasons, period })
    }
}

/// Accept or reject every waiting item the filter picks, with one reason, audited once.
pub async fn apply_bulk_review(state: &AppState, admin: &Admin, body: BulkReviewBody) -> Result<BulkOutcome, ApiError> {
    let accept = parse_decision(&body.decision)?;
    let reason = checked_reason(&body.reason)?;
    let picked = body.filter.check(state)?;
    let mut outcome = BulkOutcome::default();
    let mut picked_items = Vec::new();
    // The items waiting when the decision was made, each once.
    let Some(newest) = state.store.rejected(1).await?.0.first().map(|r| r.id) else {
        return Ok(outcome);
    };
    let mut after = 0;
    while after < newest {
        let page = state.store.rejected_for_retry(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for item in page.into_iter().filter(|item| item.id <= newest) {
            if !item.reason.is_some_and(|r| picked.reasons.contains(&r))
                || picked.meter.as_ref().is_some_and(|m| item.meter.as_ref() != Some(m))
            {
                continue;
            }
            let readings = accepted_readings(state, &item);
            if let Some(period) = &picked.period {
                let within =
                    |r: &Incoming| matches!(r, Incoming::Reading(r, _) if r.ts >= period.from() && r.ts < period.to());
                if !readings.as_ref().is_some_and(|rs| rs.iter().all(within)) {
                    continue;
                }
            }
            match (accept, item.reason, readings) {
                (false, ..) => picked_items.push((item.id, Vec::new())),
                (true, Some(RejectReason::HeldForReview), Some(readings)) => picked_items.push((item.id, readings)),
                _ => outcome.left += 1,
            }
        }
    }
    if picked_items.is_empty() {
        return Ok(outcome);
    }
    // One transaction for the whole batch and its one audit line.
    let review = Review { accept, by: admin.principal().name(), reason: reason.to_owned() };
    let (decision, why, filter) = (body.decision.clone(), reason.to_owned(), body.filter.clone());
    let line = audit_line(admin.principal(), "rejected.review_bulk", move |reviewed: &Reviewed| AuditDetail {
        target: "rejected items".into(),
        before: None,
        after: Some(json!({
            "decision": decision,
            "reason": why,
            "filter": filter,
            "ids": reviewed.decided,
            "decided": reviewed.decided.len(),
            "stored": reviewed.report.stored,
        })),
    });
    let reviewed = admin.store(state).review(picked_items, review, Some(line)).await?;
    outcome.decided = reviewed.decided.len();
    outcome.stored = reviewed.report.stored;
    tracing::info!(?outcome, accept, by = %admin.principal().name(), "rejected items decided in bulk");
    Ok(outcome)
}

fn parse_decision(decision: &str) -> Result<bool, ApiError> {
    match decision {
        "accept" => Ok(true),
        "reject" => Ok(false),
        other => Err(ApiError::BadRequest(format!(
            "quyết định `{other}` không hợp lệ: gửi \"accept\" (chấp nhận) hoặc \"reject\" (loại bỏ)"
        ))),
    }
}

fn checked_reason(reason: &str) -> Result<&str, ApiError> {
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(ApiError::BadRequest("hãy ghi lý do (`reason`, ít nhất vài từ)".into()));
    }
    Ok(reason)
}

/// What a kept item decodes to now, if it decodes to readings only.
fn accepted_readings(state: &AppState, item: &RetryItem) -> Option<Vec<Incoming>> {
    let items = decode_again(&item.origin, &state.pipeline, &state.config());
    (!items.is_empty() && items.iter().all(|i| matches!(i, Incoming::Reading(..)))).then_some(items)
}
