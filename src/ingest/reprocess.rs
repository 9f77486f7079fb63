//! A second attempt at rejected input, after the config was fixed (a meter added, a unit or a
//! topic corrected). What decodes now is stored and its rejection marked reprocessed; what
//! still fails stays among the rejected.

use serde::Serialize;

use super::Pipeline;
use super::manual::{Entry, Row};
use crate::config::Config;
use crate::domain::{Incoming, Origin, RejectReason, Source};
use crate::store::{Actor, AuditDetail, AuditLine, Store, StoreError, WriteReport};

/// What a second attempt did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetrySummary {
    /// Rejected items that decode now.
    pub reprocessed: usize,
    /// Readings stored from them.
    pub stored: usize,
    /// Items that still cannot be stored.
    pub still_rejected: usize,
}

const PAGE: usize = 1000;

/// What a kept message or row decodes to with the current config.
pub fn decode_again(origin: &Origin, pipeline: &Pipeline, config: &Config) -> Vec<Incoming> {
    match (&origin.source, &origin.topic) {
        (Source::Mqtt, Some(topic)) => pipeline.from_mqtt(topic, &origin.payload, origin.received_at),
        (Source::Peer, _) => super::mqtt::peers::decode_again(origin, pipeline),
        _ => {
            let entry = Entry {
                config,
                pipeline,
                source: origin.source,
                sender: origin.sender.clone(),
                received_at: origin.received_at,
            };
            match serde_json::from_slice::<Row>(&origin.payload) {
                Ok(row) => vec![entry.row(row)],
                // A row that never read as one cannot read now either.
                Err(_) => Vec::new(),
            }
        }
    }
}

/// Try every rejected item once more: the items there were when it started, each once, so
/// that what a second attempt rejects again (kept as a new item) is not retried in the same
/// run. A row a person sent is stored only if they may write its meter. Held readings and
/// conflicting duplicates wait for a person instead: no config fix changes them, and retried
/// they would only be rejected again. Each page of items that now decode is stored with its
/// audit line naming `by`, the person who asked (none when ingest itself retries).
pub async fn reprocess_rejected(
    store: &dyn Store,
    pipeline: &Pipeline,
    config: &Config,
    by: Option<&Actor>,
) -> Result<RetrySummary, StoreError> {
    reprocess_from(store, pipeline, config, by, None).await
}

/// [`reprocess_rejected`] for the messages that came on one MQTT topic only: the history of a
/// device adopted as a meter.
pub async fn reprocess_topic(
    store: &dyn Store,
    pipeline: &Pipeline,
    config: &Config,
    by: Option<&Actor>,
    topic: &str,
) -> Result<RetrySummary, StoreError> {
    reprocess_from(store, pipeline, config, by, Some(topic)).await
}

async fn reprocess_from(
    store: &dyn Store,
    pipeline: &Pipeline,
    config: &Config,
    by: Option<&Actor>,
    topic: Option<&str>,
) -> Result<RetrySummary, StoreError> {
    let mut summary = RetrySummary::default();
    let Some(newest) = store.rejected(1).await?.0.first().map(|r| r.id) else {
        return Ok(summary);
    };
    let mut after = 0;
    while after < newest {
        let page = store.rejected_for_retry(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut retried = Vec::new();
        let wanted = |item: &crate::store::RetryItem| {
            item.id <= newest && topic.is_none_or(|topic| item.origin.topic.as_deref() == Some(topic))
        };
        for item in page.into_iter().filter(wanted) {
            if matches!(item.reason, Some(RejectReason::HeldForReview | RejectReason::ConflictingDuplicate)) {
                summary.still_rejected += 1;
                continue;
            }
            let results = decode_again(&item.origin, pipeline, config);
            // What a person sent is stored only where they may write: a row for a meter added
            // since, in another department, stays rejected.
            let allowed = |reading: &crate::domain::Reading| match &item.origin.sender {
                Some(sender) => pipeline.meter(&reading.meter).is_some_and(|meter| sender.may_write(&meter)),
                None => true,
            };
            if !results.is_empty()
                && results.iter().all(|r| matches!(r, Incoming::Reading(reading, _) if allowed(reading)))
            {
                retried.push((item.id, results));
            } else {
                summary.still_rejected += 1;
            }
        }
        summary.reprocessed += retried.len();
        if !retried.is_empty() {
            let count = retried.len();
            let line = by.map(|by| {
                AuditLine::new(by.clone(), "rejected.reprocess", move |report: &WriteReport| AuditDetail {
                    target: "rejected input".into(),
                    before: None,
                    after: Some(serde_json::json!({ "reprocessed": count, "stored": report.stored })),
                })
            });
            summary.stored += store.reprocess_audited(retried, line).await?.stored;
        }
    }
    Ok(summary)
}
