//! What pages and the API both do to the store: each command checks the writer's rights, writes,
//! and records who did it in the audit log.

pub mod corrections;
pub mod documents;
pub mod plan;
pub mod review;

use serde_json::{Value, json};

use crate::auth::Principal;
use crate::domain::Incoming;
use crate::store::WriteReport;
use crate::web::auth::{AccessDenied, Writer};
use crate::web::{ApiError, AppState};

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
                other => ApiError::internal(format!("{other:?}")),
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
        .map_err(|e| ApiError::internal(format!("the audit log could not record {action}: {e}")))
}
