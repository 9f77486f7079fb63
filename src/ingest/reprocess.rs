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
            let entry =
                Entry { config, pipeline, source: origin.source, entered_by: None, received_at: origin.received_at };
            match serde_json::from_slice::<Row>(&origin.payload) {
                Ok(row) => vec![entry.row(row)],
                // A row that never read as one cannot read now either.
                Err(_) => Vec::new(),
            }
        }
    }
}

/// Decode every rejected item again; each page of items that now decode is stored with its
/// audit line naming `by`, the person who asked (none when ingest itself retries).
pub async fn reprocess_rejected(
    store: &dyn Store,
    pipeline: &Pipeline,
    config: &Config,
    by: Option<&Actor>,
) -> Result<RetrySummary, StoreError> {
    let mut summary = RetrySummary::default();
    let mut after = 0;
    loop {
        let page = store.rejected_for_retry(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut retried = Vec::new();
        for item in page {
            // A held reading waits for a person's decision, not for a config fix.
            if item.reason == Some(RejectReason::HeldForReview) {
                summary.still_rejected += 1;
                continue;
            }
            let results = decode_again(&item.origin, pipeline, config);
            if !results.is_empty() && results.iter().all(|r| matches!(r, Incoming::Reading(..))) {
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
