//! `xanh migrate --to influxdb`: copy an office's history from the embedded store to
//! InfluxDB, in (meter, time) order, page by page, saving where it got to after every page
//! that InfluxDB took, so that a copy that stops (Ctrl-C, InfluxDB down) goes on from there
//! the next time.
//!
//! It copies what is in the embedded store when it starts; what arrives later reaches
//! InfluxDB through the running service's outbox. Points are written again rather than
//! skipped when in doubt: the same meter and time replaces the same point.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::line::{self, MeterTags};
use super::{WriteFailure, connect, write_lines};
use crate::config::{Config, InfluxConfig};
use crate::domain::MeterId;
use crate::store::{Cursor, HistoryKind, SqliteStore, StoreError};

/// How to copy.
#[derive(Debug, Clone, Copy)]
pub struct MigrateOptions {
    /// Points per write.
    pub batch: usize,
    /// Forget where an earlier copy stopped and copy everything again.
    pub from_start: bool,
}

/// Where a copy is, for the progress line.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub series: HistoryKind,
    pub copied: u64,
    /// What this run has to copy of the series, counted when it started.
    pub total: u64,
    pub elapsed: Duration,
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateSummary {
    pub readings: u64,
    pub hours: u64,
    /// Points of meters no longer in the config: their tags are unknown, so they stay behind.
    pub skipped: u64,
    /// Stopped by Ctrl-C before the end; the next run goes on from where it stopped.
    pub interrupted: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "InfluxDB refused a batch of {series} starting at meter {meter}, {at}: {reason}. The copy stopped there; fix the cause and run `xanh migrate --to influxdb` again to go on"
    )]
    Refused { series: HistoryKind, meter: String, at: Timestamp, reason: String },
    #[error(
        "InfluxDB did not take a batch after {attempts} attempts ({reason}). What was copied is kept; run `xanh migrate --to influxdb` again to go on"
    )]
    Unreachable { attempts: u32, reason: String },
}

/// Attempts at one batch before the copy gives up (about two minutes of back-off).
const ATTEMPTS: u32 = 8;

/// Copy the embedded store's readings, then its hourly consumption, to InfluxDB.
pub async fn migrate(
    config: &Config,
    influx: &InfluxConfig,
    options: MigrateOptions,
    mut progress: impl FnMut(&Progress),
) -> Result<MigrateSummary, MigrateError> {
    let journal =
        SqliteStore::open(&influx.path, &config.office.timezone, &config.office.timezone_name, &config.meters)?;
    let client = connect(influx)?;
    let tags = line::tags_of(&influx.office, &config.meters);
    let until = Timestamp::now();
    let mut summary = MigrateSummary::default();
    let mut interrupt = Interrupt::listen();

    for series in [HistoryKind::Readings, HistoryKind::Consumption] {
        if options.from_start {
            journal.save_migration_cursor(series, None).await?;
        }
        let mut cursor = journal.migration_cursor(series).await?.unwrap_or_default();
        let total = journal.history_len_after(series, &cursor, until).await?;
        let started = Instant::now();
        let mut copied = 0;
        progress(&Progress { series, copied, total, elapsed: started.elapsed() });
        loop {
            let page = journal.history_page(series, cursor.clone(), until, options.batch).await?;
            let Some(last) = page.last() else { break };
            let next = Cursor { meter: last.meter.as_str().to_owned(), ts_ms: last.ts.as_millisecond() };
            let first = (page[0].meter.clone(), page[0].ts);
            let lines = encode(series, &tags, &page, &mut summary.skipped);
            let write = send(&client, influx, series, first, lines);
            tokio::select! {
                sent = write => sent?,
                _ = interrupt.received() => {
                    summary.interrupted = true;
                    return Ok(summary);
                }
            }
            journal.save_migration_cursor(series, Some(next.clone())).await?;
            cursor = next;
            copied += page.len() as u64;
            match series {
                HistoryKind::Readings => summary.readings += page.len() as u64,
                HistoryKind::Consumption => summary.hours += page.len() as u64,
            }
            progress(&Progress { series, copied, total, elapsed: started.elapsed() });
        }
    }
    Ok(summary)
}

/// Ctrl-C, listened for from the start, so that even an early one ends the copy cleanly.
struct Interrupt {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Interrupt {
    fn listen() -> Interrupt {
        #[cfg(unix)]
        {
            Interrupt { signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok() }
        }
        #[cfg(not(unix))]
        {
            Interrupt {}
        }
    }

    async fn received(&mut self) {
        #[cfg(unix)]
        match &mut self.signal {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn encode(
    series: HistoryKind,
    tags: &HashMap<MeterId, MeterTags>,
    page: &[crate::store::HistoryPoint],
    skipped: &mut u64,
) -> Vec<String> {
    page.iter()
        .filter_map(|point| {
            let Some(tags) = tags.get(&point.meter) else {
                *skipped += 1;
                return None;
            };
            let ts = point.ts.as_millisecond();
            match series {
                HistoryKind::Readings => line::reading(tags, point.value, ts),
                HistoryKind::Consumption => line::consumption(tags, point.value, ts),
            }
        })
        .collect()
}

/// Write one batch, trying again with back-off while InfluxDB cannot take it.
async fn send(
    client: &influxdb2::Client,
    influx: &InfluxConfig,
    series: HistoryKind,
    (meter, at): (MeterId, Timestamp),
    lines: Vec<String>,
) -> Result<(), MigrateError> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=ATTEMPTS {
        match write_lines(client, &influx.bucket, lines.clone(), influx.timeout).await {
            Ok(()) => return Ok(()),
            Err(WriteFailure::BadBatch(reason)) => {
                return Err(MigrateError::Refused { series, meter: meter.to_string(), at, reason });
            }
            Err(WriteFailure::Retry(reason)) if attempt == ATTEMPTS => {
                return Err(MigrateError::Unreachable { attempts: ATTEMPTS, reason });
            }
            Err(WriteFailure::Retry(reason)) => {
                tracing::warn!(attempt, %reason, "migrate: InfluxDB did not take the batch; trying again in {} s", wait.as_secs());
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
    Ok(())
}
