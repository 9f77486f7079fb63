//! The outbox: committed in the embedded database in the same transaction as the change it
//! mirrors (one row for a transaction's readings, by reference: see [`super::refs`]; the
//! hours it changed marked as waiting), and the task that sends it to InfluxDB oldest first,
//! reading the readings' values and the hours' amounts from the journal as it sends them and
//! forgetting points only once InfluxDB took them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use tokio::sync::{Notify, watch};

use super::line::{self, MeterTags};
use super::refs::{self, MeterReadings, ReadingRefs};
use super::{WriteFailure, write_lines};
use crate::domain::{Meter, MeterId, OfficeId};
use crate::store::{ChangeSink, SeriesChanges, StoreError};

/// The first wait after a failed write; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often an idle drainer looks for rows that another process (`xanh import`) committed.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// How long a drainer that caught up waits before it sends what came meanwhile.
const LINGER: Duration = Duration::from_millis(500);

/// Turns what a transaction changed into outbox rows, inside that transaction.
pub(super) struct OutboxWriter {
    office: OfficeId,
    /// Each meter's tags; a meter added or changed in the web app is sent with its own.
    tags: RwLock<HashMap<MeterId, MeterTags>>,
}

impl OutboxWriter {
    pub(super) fn new(office: &OfficeId, meters: &[Meter]) -> OutboxWriter {
        OutboxWriter { office: office.clone(), tags: RwLock::new(line::tags_of(office, meters)) }
    }

    /// Tag points with these meters from now on.
    pub(super) fn use_meters(&self, meters: &[Meter]) {
        *self.tags.write().unwrap_or_else(|p| p.into_inner()) = line::tags_of(&self.office, meters);
    }

    /// Tag `meter`'s points with its keys as they are now.
    pub(super) fn use_meter(&self, meter: &Meter) {
        let tags = line::tags_of(&self.office, std::slice::from_ref(meter));
        self.tags.write().unwrap_or_else(|p| p.into_inner()).extend(tags);
    }
}

impl ChangeSink for OutboxWriter {
    /// One outbox row for the transaction's readings (their keys, not their lines), and each
    /// changed hour marked as waiting (once, however many transactions change it before it
    /// is sent).
    fn record(&self, tx: &Transaction<'_>, changes: &SeriesChanges) -> Result<(), rusqlite::Error> {
        let now = Timestamp::now().as_millisecond();
        let tags = self.tags.read().unwrap_or_else(|p| p.into_inner());
        let mut text = String::new();
        let mut points = 0_usize;
        for (meter, times) in &changes.readings {
            match tags.get(meter) {
                Some(tags) => {
                    refs::encode_meter(&mut text, meter.as_str(), &line::reading_series(tags), times);
                    points += times.len();
                }
                None => not_sent(meter),
            }
        }
        if points > 0 {
            tx.prepare_cached("INSERT INTO influx_outbox (line, refs, points, enqueued_at) VALUES ('', ?1, ?2, ?3)")?
                .execute(params![text, points as i64, now])?;
        }
        let mut waiting = tx.prepare_cached(
            "INSERT INTO influx_outbox_hours (meter, hour, series, enqueued_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (meter, hour) DO UPDATE SET series = excluded.series",
        )?;
        for (meter, hour) in &changes.hours {
            match tags.get(meter) {
                Some(tags) => {
                    waiting.execute(params![meter.as_str(), hour, line::consumption_series(tags), now])?;
                }
                None => not_sent(meter),
            }
        }
        Ok(())
    }
}

/// Readings are validated finite and only configured meters are stored, so this is a meter
/// removed from the config whose old readings changed.
fn not_sent(meter: &MeterId) {
    tracing::warn!(%meter, "a change of a meter that is not configured is kept only in the embedded database");
}

/// What one write to InfluxDB sends, and what leaves the outbox once InfluxDB took it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Batch {
    lines: Vec<String>,
    /// The points taken from the outbox: its lines, but also readings deleted since they
    /// were written (by a correction or the retention), which have no line left to send.
    taken: usize,
    /// The last outbox row sent whole.
    whole_through: Option<i64>,
    /// A row sent in part: its seq, what it has not sent, and how many points that is.
    split: Option<(i64, Unsent, i64)>,
    /// The hours sent, each with the amount it was sent with.
    hours: Vec<(String, i64, f64)>,
    /// When the oldest point sent was committed.
    enqueued_at: i64,
}

/// A transaction's readings of a meter closer together than this are read with one range
/// query rather than one lookup each: they usually follow each other, with few readings of
/// other transactions between them.
const RUN_GAP_MS: i64 = 3_600_000;

/// The lines of `meter`'s readings as the journal holds them now (`values`: a meter's
/// readings in a time range); a reading deleted since it was written has none.
fn push_readings(
    values: &mut rusqlite::CachedStatement<'_>,
    meter: &MeterReadings,
    lines: &mut Vec<String>,
) -> Result<(), rusqlite::Error> {
    for run in meter.times.chunk_by(|a, b| b - a <= RUN_GAP_MS) {
        let (Some(&first), Some(&last)) = (run.first(), run.last()) else { continue };
        let mut wanted = run.iter().copied().peekable();
        let mut rows = values.query(params![meter.meter, first, last])?;
        while let Some(row) = rows.next()? {
            let ts: i64 = row.get(0)?;
            while wanted.next_if(|&t| t < ts).is_some() {}
            if wanted.next_if_eq(&ts).is_some() {
                lines.extend(line::reading_at(&meter.series, row.get(1)?, ts));
            }
        }
    }
    Ok(())
}

/// What a row sent in part keeps for the next batch.
#[derive(Debug, Clone, PartialEq)]
enum Unsent {
    /// Lines of a row committed before readings were kept by reference.
    Lines(String),
    /// Readings by reference ([`ReadingRefs::encode`]).
    Refs(String),
}

impl Batch {
    /// Whether it takes nothing from the outbox.
    fn is_empty(&self) -> bool {
        self.whole_through.is_none() && self.split.is_none() && self.hours.is_empty()
    }
}

/// The outbox's rows as the drainer sees them, on its own connection to the embedded file.
pub(super) struct Outbox {
    conn: Mutex<Connection>,
}

/// How much is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Backlog {
    pub(super) pending: u64,
    pub(super) oldest_enqueued_at: Option<i64>,
    pub(super) dead_letters: u64,
}

impl Outbox {
    /// Open the outbox of the embedded database at `path` (its journal has migrated it).
    pub(super) fn open(path: &Path) -> Result<Outbox, StoreError> {
        let open = || -> Result<Connection, rusqlite::Error> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(10))?;
            // This connection only forgets sent rows (or sets refused ones aside): one lost to
            // a power cut is sent again, which InfluxDB overwrites, so its commits need not
            // wait for the disk, and ingest's commits (which do) no longer queue behind them.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            Ok(conn)
        };
        let conn = open().map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            reason: format!("the InfluxDB outbox: {e}"),
        })?;
        Ok(Outbox { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>) -> Result<T, rusqlite::Error> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&mut conn)
    }

    /// Up to `limit` points: the oldest readings in the order they were committed, each with
    /// its value as the journal holds it now (a reading deleted since is not sent), then the
    /// hours that wait, each with its amount as the journal holds it now.
    fn next_batch(&self, limit: usize) -> Result<Batch, rusqlite::Error> {
        self.with(|conn| {
            // One read transaction: the rows, values and amounts as of one moment.
            let tx = conn.transaction()?;
            let mut batch = Batch { enqueued_at: i64::MAX, ..Batch::default() };
            {
                let mut rows =
                    tx.prepare_cached("SELECT seq, line, refs, enqueued_at FROM influx_outbox ORDER BY seq")?;
                let mut values = tx.prepare_cached(
                    "SELECT ts, value FROM readings WHERE meter = ?1 AND ts BETWEEN ?2 AND ?3 ORDER BY ts",
                )?;
                let mut rows = rows.query([])?;
                while batch.taken < limit
                    && let Some(row) = rows.next()?
                {
                    let (seq, text, refs, enqueued_at): (i64, String, Option<String>, i64) =
                        (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
                    batch.enqueued_at = batch.enqueued_at.min(enqueued_at);
                    let room = limit - batch.taken;
                    let unsent = match refs {
                        None => {
                            let mut lines = text.lines();
                            let sent: Vec<String> = lines.by_ref().take(room).map(str::to_owned).collect();
                            batch.taken += sent.len();
                            batch.lines.extend(sent);
                            let rest: Vec<&str> = lines.collect();
                            (!rest.is_empty()).then(|| (Unsent::Lines(rest.join("\n")), rest.len()))
                        }
                        Some(refs) => {
                            let mut now = ReadingRefs::decode(&refs).map_err(|reason| {
                                rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, reason.into())
                            })?;
                            let rest = now.split_off(room);
                            batch.taken += now.points();
                            for meter in &now.0 {
                                push_readings(&mut values, meter, &mut batch.lines)?;
                            }
                            (!rest.is_empty()).then(|| (Unsent::Refs(rest.encode()), rest.points()))
                        }
                    };
                    match unsent {
                        None => batch.whole_through = Some(seq),
                        Some((unsent, points)) => batch.split = Some((seq, unsent, points as i64)),
                    }
                }
            }
            let room = limit - batch.taken;
            if room > 0 {
                let mut hours = tx.prepare_cached(
                    "SELECT w.meter, w.hour, w.series, coalesce(h.amount, 0.0), w.enqueued_at FROM influx_outbox_hours w
                     LEFT JOIN consumption_hourly h ON h.meter = w.meter AND h.hour = w.hour
                     ORDER BY w.enqueued_at, w.meter, w.hour LIMIT ?1",
                )?;
                let rows = hours.query_map([room as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
                })?;
                for row in rows {
                    let (meter, hour, series, amount, enqueued_at): (String, i64, String, f64, i64) = row?;
                    batch.taken += 1;
                    batch.lines.extend(line::consumption_at(&series, amount, hour));
                    batch.hours.push((meter, hour, amount));
                    batch.enqueued_at = batch.enqueued_at.min(enqueued_at);
                }
            }
            Ok(batch)
        })
    }

    /// Forget what `batch` sent: InfluxDB has it, or refused it as bad (`refused`: its answer
    /// and when), in which case its lines are kept in the dead letters. An hour whose amount
    /// changed since it was read stays waiting, to be sent again with its new amount.
    fn forget(&self, batch: &Batch, refused: Option<(&str, i64)>) -> Result<(), rusqlite::Error> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some((error, now_ms)) = refused {
                tx.execute(
                    "INSERT INTO influx_dead_letters (line, points, enqueued_at, failed_at, error)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![batch.lines.join("\n"), batch.lines.len() as i64, batch.enqueued_at, now_ms, error],
                )?;
            }
            // Rows committed later all have a higher seq (one writer at a time, AUTOINCREMENT
            // never reuses one).
            if let Some(seq) = batch.whole_through {
                tx.execute("DELETE FROM influx_outbox WHERE seq <= ?1", [seq])?;
            }
            match &batch.split {
                Some((seq, Unsent::Lines(rest), points)) => {
                    tx.execute(
                        "UPDATE influx_outbox SET line = ?2, points = ?3 WHERE seq = ?1",
                        params![seq, rest, points],
                    )?;
                }
                Some((seq, Unsent::Refs(rest), points)) => {
                    tx.execute(
                        "UPDATE influx_outbox SET refs = ?2, points = ?3 WHERE seq = ?1",
                        params![seq, rest, points],
                    )?;
                }
                None => {}
            }
            let mut sent = tx.prepare_cached(
                "DELETE FROM influx_outbox_hours WHERE meter = ?1 AND hour = ?2
                 AND coalesce((SELECT amount FROM consumption_hourly WHERE meter = ?1 AND hour = ?2), 0.0) = ?3",
            )?;
            for (meter, hour, amount) in &batch.hours {
                sent.execute(params![meter, hour, amount])?;
            }
            drop(sent);
            tx.commit()
        })
    }

    /// The backlog, cheaply: rows leave only from the head and each carries the running count
    /// of points through it, so the readings waiting are the span between the first and the
    /// last; the hours waiting are few (one per meter and hour changed since the last send).
    #[cfg(test)]
    pub(super) fn backlog(&self) -> Result<Backlog, rusqlite::Error> {
        self.with(|conn| count_backlog(conn))
    }

    /// Count the backlog and show it in `status` while holding the outbox's connection, so
    /// that counts are shown in the order they were taken: a write and the drainer each
    /// count, and an older count shown after a newer one would say nothing waits while a
    /// committed write's points do.
    pub(super) fn show_backlog(&self, status: &OutboxStatus) -> Result<(), rusqlite::Error> {
        self.with(|conn| {
            status.set_backlog(count_backlog(conn)?);
            Ok(())
        })
    }
}

fn count_backlog(conn: &Connection) -> Result<Backlog, rusqlite::Error> {
    let (readings, hours, oldest_row, oldest_hour, dead): (Option<i64>, i64, Option<i64>, Option<i64>, i64) = conn
        .prepare_cached(
            "SELECT (SELECT upto FROM influx_outbox ORDER BY seq DESC LIMIT 1)
                      - (SELECT upto - points FROM influx_outbox ORDER BY seq LIMIT 1),
                    (SELECT count(*) FROM influx_outbox_hours),
                    (SELECT enqueued_at FROM influx_outbox ORDER BY seq LIMIT 1),
                    (SELECT min(enqueued_at) FROM influx_outbox_hours),
                    (SELECT coalesce(sum(points), 0) FROM influx_dead_letters)",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    let oldest = oldest_row.into_iter().chain(oldest_hour).min();
    Ok(Backlog {
        pending: (readings.unwrap_or(0).max(0) + hours.max(0)) as u64,
        oldest_enqueued_at: oldest,
        dead_letters: dead.max(0) as u64,
    })
}

/// What the health report and the dashboard show of the outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxSnapshot {
    /// Points waiting to be written.
    pub pending: u64,
    /// When the oldest waiting point was committed.
    pub oldest_pending_at: Option<Timestamp>,
    /// The last failed write's error; cleared by a successful one.
    pub last_error: Option<String>,
    pub last_written_at: Option<Timestamp>,
    /// Points InfluxDB refused as bad, kept in `influx_dead_letters`.
    pub dead_letters: u64,
    /// Whether InfluxDB answered the last health check (`None`: not asked yet).
    pub reachable: Option<bool>,
    /// Consumption queries answered from the journal because InfluxDB did not answer them.
    pub reads_from_journal: u64,
}

impl OutboxSnapshot {
    /// How long the oldest waiting point has waited.
    pub fn oldest_pending_age(&self, now: Timestamp) -> Option<Duration> {
        self.oldest_pending_at
            .map(|at| Duration::from_millis((now.as_millisecond() - at.as_millisecond()).max(0) as u64))
    }
}

/// The outbox's status, shared by the drainer (which keeps it current), the health report
/// and the dashboard.
#[derive(Debug)]
pub struct OutboxStatus {
    alert_after: Duration,
    state: Mutex<OutboxSnapshot>,
}

impl OutboxStatus {
    pub(super) fn new(alert_after: Duration) -> OutboxStatus {
        OutboxStatus { alert_after, state: Mutex::new(OutboxSnapshot::default()) }
    }

    pub fn snapshot(&self) -> OutboxSnapshot {
        self.lock().clone()
    }

    /// Whether points have waited longer than `store.outbox_alert_s`: the service is then
    /// degraded, though nothing is lost.
    pub fn overdue(&self, snapshot: &OutboxSnapshot, now: Timestamp) -> bool {
        snapshot.oldest_pending_age(now).is_some_and(|age| age > self.alert_after)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxSnapshot> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn set_backlog(&self, backlog: Backlog) {
        let mut state = self.lock();
        state.pending = backlog.pending;
        state.oldest_pending_at = backlog.oldest_enqueued_at.and_then(|ms| Timestamp::from_millisecond(ms).ok());
        state.dead_letters = backlog.dead_letters;
    }

    fn written(&self, at: Timestamp) {
        let mut state = self.lock();
        state.last_written_at = Some(at);
        state.last_error = None;
        state.reachable = Some(true);
    }

    fn failed(&self, error: String) {
        self.lock().last_error = Some(error);
    }

    pub(super) fn read_from_journal(&self) {
        self.lock().reads_from_journal += 1;
    }

    pub(super) fn set_reachable(&self, reachable: bool) {
        self.lock().reachable = Some(reachable);
    }
}

/// The background task that empties the outbox into InfluxDB.
pub struct Drainer {
    pub(super) outbox: Arc<Outbox>,
    pub(super) client: influxdb2::Client,
    pub(super) bucket: String,
    pub(super) batch_size: usize,
    pub(super) timeout: Duration,
    pub(super) status: Arc<OutboxStatus>,
    pub(super) wake: Arc<Notify>,
}

/// Whether to go on after a wait.
enum Wait {
    Go,
    Stop,
}

impl Drainer {
    /// Send batches oldest first until `shutdown`; after a failure wait 1 s, then twice as
    /// long each time up to 30 s, and send the same batch again, so order is kept. A batch
    /// InfluxDB refuses as bad goes to the dead letters instead, and the queue goes on.
    /// Stopping leaves unsent rows in the outbox for the next start.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = MIN_BACKOFF;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let batch = match self
                .db({
                    let limit = self.batch_size;
                    move |o| o.next_batch(limit)
                })
                .await
            {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the InfluxDB outbox");
                    self.status.failed(format!("reading the outbox: {e}"));
                    if let Wait::Stop = self.pause(backoff, false, &mut shutdown).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            if batch.is_empty() {
                if let Wait::Stop = self.pause(IDLE_POLL, true, &mut shutdown).await {
                    return;
                }
                continue;
            }
            let count = batch.lines.len();
            let outcome = if count == 0 {
                // Only readings deleted since they were written: nothing to send, only to forget.
                Ok(())
            } else {
                write_lines(&self.client, &self.bucket, batch.lines.clone(), self.timeout).await
            };
            let batch = Arc::new(batch);
            let done = match outcome {
                Ok(()) => {
                    backoff = MIN_BACKOFF;
                    let sent = Arc::clone(&batch);
                    let removed = self.db(move |o| o.forget(&sent, None)).await;
                    if removed.is_ok() {
                        self.status.written(Timestamp::now());
                    }
                    removed
                }
                Err(WriteFailure::BadBatch(error)) => {
                    tracing::error!(%error, points = count, "InfluxDB refused a batch as bad: its points are kept in influx_dead_letters");
                    self.status.failed(error.clone());
                    let now = Timestamp::now().as_millisecond();
                    let refused = Arc::clone(&batch);
                    self.db(move |o| o.forget(&refused, Some((&error, now)))).await
                }
                Err(WriteFailure::Retry(error)) => {
                    tracing::warn!(%error, points = count, retry_in_s = backoff.as_secs(), "cannot write to InfluxDB; the points wait in the outbox");
                    self.status.failed(error);
                    if let Wait::Stop = self.pause(backoff, false, &mut shutdown).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            if let Err(e) = done {
                // Sent but not forgotten: the rows go again, and InfluxDB overwrites them.
                tracing::error!(error = %e, "cannot update the InfluxDB outbox");
                self.status.failed(format!("updating the outbox: {e}"));
            }
            if batch.taken < self.batch_size {
                // Caught up: let the next writes gather for a moment, so that an hour that
                // each of them rewrites goes once with its amount by then, not once a write.
                if let Wait::Stop = self.pause(LINGER, false, &mut shutdown).await {
                    return;
                }
                continue;
            }
            self.refresh().await;
        }
    }

    /// Refresh the status from the database, then wait `how_long`, or until a write when
    /// `until_write`; a write does not cut a backoff short (the store counts its points).
    async fn pause(&self, how_long: Duration, until_write: bool, shutdown: &mut watch::Receiver<bool>) -> Wait {
        let until = tokio::time::Instant::now() + how_long;
        self.refresh().await;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return Wait::Go,
                _ = self.wake.notified() => {
                    if until_write {
                        return Wait::Go;
                    }
                }
                _ = shutdown.wait_for(|stop| *stop) => return Wait::Stop,
            }
        }
    }

    async fn refresh(&self) {
        let status = Arc::clone(&self.status);
        if let Err(e) = self.db(move |o| o.show_backlog(&status)).await {
            tracing::warn!(error = %e, "cannot count the InfluxDB outbox");
        }
    }

    async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Outbox) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let outbox = Arc::clone(&self.outbox);
        tokio::task::spawn_blocking(move || work(&outbox))
            .await
            .map_err(|e| StoreError::Worker(e.to_string()))?
            .map_err(StoreError::from)
    }
}

#[cfg(test)]
mod tests;
