//! `xanh import FILE.csv`: history from a spreadsheet (years of bills to build a baseline),
//! through the same validation as every other reading, in chunks, with progress.

use std::path::Path;

use jiff::Timestamp;

use super::Pipeline;
use super::manual::Entry;
use crate::config::Config;
use crate::domain::{Incoming, Role, Sender, Source};
use crate::store::{Outcome, Store, WriteReport};

/// Rows per transaction.
const CHUNK: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// What an import did, with the first rejected rows to show.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub rows: usize,
    pub report: WriteReport,
    /// (row number, counting data rows from 1, and reason) of the first rejected rows.
    pub first_rejected: Vec<(usize, String)>,
}

/// Import `path`; `progress(done, total)` is called after each chunk.
pub async fn import_csv(
    path: &Path,
    config: &Config,
    store: &dyn Store,
    entered_by: Option<String>,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportSummary, ImportError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::Read { path: shown.clone(), reason: e.to_string() })?;
    let text = String::from_utf8(bytes).map_err(|_| ImportError::Format {
        path: shown.clone(),
        reason: "the file is not UTF-8 text: save it as \"CSV UTF-8\"".into(),
    })?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap_or("");
    let rows: Vec<&str> = lines.collect();
    let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone.clone());
    // The meters the store holds, those added in the web app among them (docs/setup.md).
    let kept = store.meter_setup().await?;
    if !kept.is_empty() {
        // The store's departments, those added in the web app among them.
        let kept_departments = store.department_setup().await?;
        let departments: Vec<_> = if kept_departments.is_empty() {
            config.departments.iter().map(|d| d.id.clone()).collect()
        } else {
            kept_departments.iter().filter_map(|d| d.id.parse().ok()).collect()
        };
        let meters = pipeline.set_setup(&kept, &departments).map_err(|problems| ImportError::Format {
            path: shown.clone(),
            reason: problems
                .iter()
                .map(|p| format!("the meters kept in the store: {}: {}; fix: {}", p.key, p.problem, p.fix))
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        store.use_meters(&meters);
    }
    // Whoever runs the command line holds the store itself: an admin's rights.
    let sender = entered_by.map(|name| Sender { name, role: Role::Admin, departments: Vec::new(), meters: None });
    let entry = Entry { config, pipeline: &pipeline, source: Source::Import, sender, received_at: Timestamp::now() };
    let mut summary = ImportSummary { rows: rows.len(), ..ImportSummary::default() };
    for (chunk_index, chunk) in rows.chunks(CHUNK).enumerate() {
        let chunk_text = std::iter::once(header).chain(chunk.iter().copied()).collect::<Vec<_>>().join("\n");
        let items: Vec<Incoming> =
            entry.from_csv(&chunk_text).map_err(|e| ImportError::Format { path: shown.clone(), reason: e.0 })?;
        let report = store.write(items).await?;
        for (i, outcome) in report.outcomes.iter().enumerate() {
            if let Outcome::Rejected { detail, .. } = outcome
                && summary.first_rejected.len() < 20
            {
                summary.first_rejected.push((chunk_index * CHUNK + i + 1, detail.clone()));
            }
        }
        summary.report.stored += report.stored;
        summary.report.duplicates += report.duplicates;
        summary.report.rejected += report.rejected;
        progress((chunk_index * CHUNK + chunk.len()).min(rows.len()), rows.len());
    }
    Ok(summary)
}
