//! The outbox: line protocol committed in the embedded database in the same transaction as
//! the change it mirrors, and the task that sends it to InfluxDB oldest first, deleting rows
//! only once InfluxDB took them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::{Notify, watch};

use super::line::{self, MeterTags};
use super::{WriteFailure, write_lines};
use crate::domain::{Meter, MeterId, OfficeId};
use crate::store::{ChangeSink, SeriesChanges, StoreError};

/// The first wait after a failed write; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often an idle drainer looks for rows that another process (`xanh import`) committed.
const IDLE_POLL: Duration = Duration::from_secs(5);

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
    fn record(&self, tx: &Transaction<'_>, changes: &SeriesChanges) -> Result<(), rusqlite::Error> {
        let now = Timestamp::now().as_millisecond();
        let mut insert = tx.prepare_cached("INSERT INTO influx_outbox (line, enqueued_at) VALUES (?1, ?2)")?;
        let tags = self.tags.read().unwrap_or_else(|p| p.into_inner());
        let readings = changes
            .readings
            .iter()
            .map(|(meter, ts, value)| (meter, tags.get(meter).map(|t| line::reading(t, *value, *ts))));
        let hours = changes
            .hours
            .iter()
            .map(|(meter, hour, amount)| (meter, tags.get(meter).map(|t| line::consumption(t, *amount, *hour))));
        for (meter, line) in readings.chain(hours) {
            match line {
                Some(Some(line)) => {
                    insert.execute(params![line, now])?;
                }
                // Readings are validated finite and only configured meters are stored, so
                // this is a meter removed from the config whose old readings changed.
                _ => {
                    tracing::warn!(%meter, "a change of a meter that is not configured is kept only in the embedded database")
                }
            }
        }
        Ok(())
    }
}

/// One row waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
struct Pending {
    seq: i64,
    line: String,
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

    /// The oldest `limit` rows, in the order they were committed.
    fn oldest(&self, limit: usize) -> Result<Vec<Pending>, rusqlite::Error> {
        self.with(|conn| {
            conn.prepare_cached("SELECT seq, line FROM influx_outbox ORDER BY seq LIMIT ?1")?
                .query_map([limit as i64], |r| Ok(Pending { seq: r.get(0)?, line: r.get(1)? }))?
                .collect()
        })
    }

    /// Forget the rows up to `last_seq`: InfluxDB has them. Rows committed later all have a
    /// higher seq (one writer at a time, AUTOINCREMENT never reuses one).
    fn remove_through(&self, last_seq: i64) -> Result<(), rusqlite::Error> {
        self.with(|conn| conn.execute("DELETE FROM influx_outbox WHERE seq <= ?1", [last_seq]).map(|_| ()))
    }

    /// Move the rows up to `last_seq` to the dead letters with InfluxDB's answer.
    fn set_aside_through(&self, last_seq: i64, error: &str, now_ms: i64) -> Result<(), rusqlite::Error> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT OR REPLACE INTO influx_dead_letters (seq, line, enqueued_at, failed_at, error)
                 SELECT seq, line, enqueued_at, ?2, ?3 FROM influx_outbox WHERE seq <= ?1",
                params![last_seq, now_ms, error],
            )?;
            tx.execute("DELETE FROM influx_outbox WHERE seq <= ?1", [last_seq])?;
            tx.commit()
        })
    }

    /// The backlog, cheaply: rows leave only from the head, so the seqs left are contiguous
    /// and their count is the span between the lowest and the highest.
    pub(super) fn backlog(&self) -> Result<Backlog, rusqlite::Error> {
        self.with(|conn| {
            let (first, last, oldest, dead): (Option<i64>, Option<i64>, Option<i64>, i64) = conn
                .prepare_cached(
                    "SELECT (SELECT min(seq) FROM influx_outbox), (SELECT max(seq) FROM influx_outbox),
                            (SELECT enqueued_at FROM influx_outbox ORDER BY seq LIMIT 1),
                            (SELECT count(*) FROM influx_dead_letters)",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?
                .unwrap_or((None, None, None, 0));
            let pending = match (first, last) {
                (Some(first), Some(last)) => (last - first + 1).max(0) as u64,
                _ => 0,
            };
            Ok(Backlog { pending, oldest_enqueued_at: oldest, dead_letters: dead.max(0) as u64 })
        })
    }
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
                    move |o| o.oldest(limit)
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
            let Some(last_seq) = batch.last().map(|p| p.seq) else {
                if let Wait::Stop = self.pause(IDLE_POLL, true, &mut shutdown).await {
                    return;
                }
                continue;
            };
            let count = batch.len();
            let lines = batch.into_iter().map(|p| p.line).collect();
            let outcome = write_lines(&self.client, &self.bucket, lines, self.timeout).await;
            let done = match outcome {
                Ok(()) => {
                    backoff = MIN_BACKOFF;
                    let removed = self.db(move |o| o.remove_through(last_seq)).await;
                    if removed.is_ok() {
                        self.status.written(Timestamp::now());
                    }
                    removed
                }
                Err(WriteFailure::BadBatch(error)) => {
                    tracing::error!(%error, points = count, "InfluxDB refused a batch as bad: its points are kept in influx_dead_letters");
                    self.status.failed(error.clone());
                    let now = Timestamp::now().as_millisecond();
                    self.db(move |o| o.set_aside_through(last_seq, &error, now)).await
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
        match self.db(|o| o.backlog()).await {
            Ok(backlog) => self.status.set_backlog(backlog),
            Err(e) => tracing::warn!(error = %e, "cannot count the InfluxDB outbox"),
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
mod tests {
    use super::*;
    use crate::config::{Config, MeterSpec, StoreConfig, check_meters};
    use crate::domain::{Correction, Incoming, Origin, Reading, Source};
    use crate::store::{InfluxStore, Resolution, Store, StoreReads};

    /// An office with one electricity meter of a department and one building water meter,
    /// writing to an InfluxDB that nothing answers (nothing is sent in these tests).
    fn open(dir: &tempfile::TempDir) -> (InfluxStore, Config) {
        let text = format!(
            "[office]\nid = \"vp-thu\"\nname = \"X\"\n\
             [store]\nbackend = \"influxdb\"\nurl = \"http://127.0.0.1:9\"\norg = \"vp\"\nbucket = \"xanh\"\npath = \"{}\"\n\
             [[departments]]\nid = \"phong-a\"\nname = \"A\"\nheadcount = 1\narea_m2 = 10.0\n\
             [[meters]]\nid = \"dien-a\"\nname = \"a\"\nresource = \"electricity\"\ndepartment = \"phong-a\"\nkind = \"counter\"\nunit = \"kWh\"\n",
            dir.path().join("x.db").display()
        );
        let config =
            Config::parse("t.toml", &text, &|name| (name == "XANH_INFLUXDB_TOKEN").then(|| "t".to_owned())).unwrap();
        let StoreConfig::Influx(influx) = &config.store else { unreachable!() };
        let store =
            InfluxStore::open(influx, &config.office.timezone, &config.office.timezone_name, &config.meters).unwrap();
        (store, config)
    }

    fn reading(value: f64, at: &str) -> Incoming {
        reading_of("dien-a", value, at)
    }

    fn reading_of(meter: &str, value: f64, at: &str) -> Incoming {
        let ts: Timestamp = at.parse().unwrap();
        Incoming::Reading(
            Reading {
                meter: meter.parse().unwrap(),
                ts,
                ts_assumed: false,
                value,
                period_start: None,
                source: Source::Mqtt,
                entered_by: None,
                cost_vnd: None,
            },
            Origin { source: Source::Mqtt, received_at: ts, topic: None, payload: Vec::new(), sender: None },
        )
    }

    fn lines(store: &InfluxStore) -> Vec<String> {
        store.outbox.oldest(1000).unwrap().into_iter().map(|p| p.line).collect()
    }

    const TAGS: &str = "department=phong-a,meter=dien-a,office=vp-thu,resource=electricity";

    #[tokio::test]
    async fn a_meter_added_after_opening_is_sent_with_its_tags() {
        let dir = tempfile::tempdir().unwrap();
        let (store, config) = open(&dir);
        let added = MeterSpec { id: "dien-b".into(), topic: None, ..config.meter_specs[0].clone() };
        let specs = [config.meter_specs[0].clone(), added.clone()];
        let meter = check_meters(&specs, &["phong-a".parse().unwrap()]).unwrap().remove(1);
        store.put_meter(added, meter, None).await.unwrap();
        store
            .write(vec![
                reading_of("dien-b", 1.0, "2026-11-02T00:00:00Z"),
                reading_of("dien-b", 2.0, "2026-11-02T01:00:00Z"),
            ])
            .await
            .unwrap();
        let sent = lines(&store);
        let tags = "department=phong-a,meter=dien-b,office=vp-thu,resource=electricity";
        assert!(!sent.is_empty() && sent.iter().all(|l| l.contains(tags)), "{sent:#?}");
    }

    #[tokio::test]
    async fn a_write_commits_its_readings_and_changed_hours_to_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(&dir);
        // 10 kWh from 00:30 to 02:30 UTC: 2,5 + 5 + 2,5 over three hours.
        store
            .write(vec![reading(100.0, "2026-11-02T00:30:00Z"), reading(110.0, "2026-11-02T02:30:00Z")])
            .await
            .unwrap();
        let h = |hour: u32| Timestamp::from_second(1_793_577_600 + i64::from(hour) * 3600).unwrap().as_millisecond();
        assert_eq!(h(0), "2026-11-02T00:00:00Z".parse::<Timestamp>().unwrap().as_millisecond());
        assert_eq!(
            lines(&store),
            vec![
                format!("reading,{TAGS} value=100 {}", h(0) + 1_800_000),
                format!("reading,{TAGS} value=110 {}", h(2) + 1_800_000),
                format!("consumption,{TAGS} consumption=2.5 {}", h(0)),
                format!("consumption,{TAGS} consumption=5 {}", h(1)),
                format!("consumption,{TAGS} consumption=2.5 {}", h(2)),
            ]
        );
        let backlog = store.outbox.backlog().unwrap();
        assert_eq!((backlog.pending, backlog.dead_letters), (5, 0));
        assert!(backlog.oldest_enqueued_at.is_some());

        // The same readings again change nothing, so nothing more waits.
        store.write(vec![reading(100.0, "2026-11-02T00:30:00Z")]).await.unwrap();
        assert_eq!(store.outbox.backlog().unwrap().pending, 5);
    }

    #[tokio::test]
    async fn a_late_reading_that_changes_no_hour_sends_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(&dir);
        store
            .write(vec![reading(100.0, "2026-11-02T00:30:00Z"), reading(110.0, "2026-11-02T02:30:00Z")])
            .await
            .unwrap();
        let sent = store.outbox.oldest(1000).unwrap();
        store.outbox.remove_through(sent.last().unwrap().seq).unwrap();

        // 105 at 01:30 lies on the line between the two: the hours stay 2.5, 5 and 2.5, and
        // InfluxDB already has them.
        let late: Timestamp = "2026-11-02T01:30:00Z".parse().unwrap();
        store.write(vec![reading(105.0, "2026-11-02T01:30:00Z")]).await.unwrap();
        assert_eq!(lines(&store), vec![format!("reading,{TAGS} value=105 {}", late.as_millisecond())]);

        // One that does change them sends the hours it changed, and only those.
        store.outbox.remove_through(store.outbox.oldest(1000).unwrap().last().unwrap().seq).unwrap();
        store.write(vec![reading(112.0, "2026-11-02T03:30:00Z")]).await.unwrap();
        let h3 = "2026-11-02T03:00:00Z".parse::<Timestamp>().unwrap().as_millisecond();
        assert_eq!(
            lines(&store),
            vec![
                format!("reading,{TAGS} value=112 {}", h3 + 1_800_000),
                format!("consumption,{TAGS} consumption=3.5 {}", h3 - 3_600_000),
                format!("consumption,{TAGS} consumption=1 {}", h3),
            ]
        );
    }

    #[tokio::test]
    async fn a_correction_sends_the_new_value_and_every_hour_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(&dir);
        store
            .write(vec![reading(100.0, "2026-11-02T00:30:00Z"), reading(110.0, "2026-11-02T02:30:00Z")])
            .await
            .unwrap();
        let sent = store.outbox.oldest(1000).unwrap();
        store.outbox.remove_through(sent.last().unwrap().seq).unwrap();

        let meter = "dien-a".parse().unwrap();
        let at: Timestamp = "2026-11-02T02:30:00Z".parse().unwrap();
        store.correct(Correction::new(meter, at, Some(104.0), "Chị Lan", "đọc nhầm").unwrap(), None).await.unwrap();
        let after = lines(&store);
        assert!(after.contains(&format!("reading,{TAGS} value=104 {}", at.as_millisecond())), "{after:#?}");
        // 4 kWh now: 1 + 2 + 1; every hour carries its new amount, as the journal has it.
        let hours: Vec<(i64, f64)> = after
            .iter()
            .filter(|l| l.starts_with("consumption,"))
            .map(|l| {
                let mut parts = l.rsplit(' ');
                let ts = parts.next().unwrap().parse().unwrap();
                let amount = parts.next().unwrap().trim_start_matches("consumption=").parse().unwrap();
                (ts, amount)
            })
            .collect();
        let range = crate::domain::TimeRange::new(
            "2026-11-02T00:00:00Z".parse().unwrap(),
            "2026-11-02T03:00:00Z".parse().unwrap(),
        );
        let mut journal =
            store.consumption(vec!["dien-a".parse().unwrap()], range.unwrap(), Resolution::Hour).await.unwrap();
        journal.sort_by_key(|(ts, _)| *ts);
        assert_eq!(hours, journal);
        assert_eq!(hours.iter().map(|(_, a)| a).sum::<f64>(), 4.0);

        // Removed: the hours it fed go to 0 in InfluxDB too.
        let first: Timestamp = "2026-11-02T00:30:00Z".parse().unwrap();
        store.outbox.remove_through(store.outbox.oldest(1000).unwrap().last().unwrap().seq).unwrap();
        store
            .correct(
                Correction::new("dien-a".parse().unwrap(), first, None, "Chị Lan", "công tơ lắp nhầm").unwrap(),
                None,
            )
            .await
            .unwrap();
        let after = lines(&store);
        assert!(after.iter().all(|l| l.starts_with("consumption,") && l.contains(" consumption=0 ")), "{after:#?}");
        assert_eq!(after.len(), 3, "{after:#?}");
    }

    #[tokio::test]
    async fn a_refused_batch_is_set_aside_with_the_answer_and_the_rest_stays_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(&dir);
        store
            .write(vec![
                reading(1.0, "2026-11-02T00:30:00Z"),
                reading(2.0, "2026-11-02T01:30:00Z"),
                reading(3.0, "2026-11-02T02:30:00Z"),
            ])
            .await
            .unwrap();
        let all = store.outbox.oldest(1000).unwrap();
        let first_two = store.outbox.oldest(2).unwrap();
        assert_eq!(first_two, all[..2]);
        store.outbox.set_aside_through(first_two[1].seq, "HTTP 400: partial write", 42).unwrap();
        assert_eq!(store.outbox.oldest(1000).unwrap(), all[2..]);
        let backlog = store.outbox.backlog().unwrap();
        assert_eq!((backlog.pending, backlog.dead_letters), (all.len() as u64 - 2, 2));
        let kept: Vec<(String, String)> = store
            .outbox
            .with(|c| {
                c.prepare("SELECT line, error FROM influx_dead_letters ORDER BY seq")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .unwrap();
        assert_eq!(
            kept,
            all[..2].iter().map(|p| (p.line.clone(), "HTTP 400: partial write".to_owned())).collect::<Vec<_>>()
        );
    }

    /// A stand-in for InfluxDB's write endpoint: it answers the n-th request with the n-th
    /// status of `answers` (204 after them) and reports each request's status and lines.
    fn write_endpoint(answers: Vec<u16>) -> (String, std::sync::mpsc::Receiver<(u16, Vec<String>)>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let answers = Arc::new(Mutex::new(answers.into_iter()));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let (tx, answers) = (tx.clone(), Arc::clone(&answers));
                std::thread::spawn(move || {
                    let mut stream = stream.unwrap();
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    loop {
                        let mut head = Vec::new();
                        loop {
                            let mut line = String::new();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            head.push(line.to_ascii_lowercase());
                        }
                        assert!(head[0].starts_with("post /api/v2/write?bucket=xanh&org=vp&precision=ms "), "{head:?}");
                        let mut body = Vec::new();
                        if head.iter().any(|h| h.starts_with("transfer-encoding: chunked")) {
                            loop {
                                let mut size = String::new();
                                reader.read_line(&mut size).unwrap();
                                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                                let mut chunk = vec![0; size + 2];
                                reader.read_exact(&mut chunk).unwrap();
                                if size == 0 {
                                    break;
                                }
                                body.extend_from_slice(&chunk[..size]);
                            }
                        } else if let Some(length) = head.iter().find_map(|h| h.strip_prefix("content-length: ")) {
                            body.resize(length.trim().parse().unwrap(), 0);
                            reader.read_exact(&mut body).unwrap();
                        }
                        let status = answers.lock().unwrap().next().unwrap_or(204);
                        let text = if status == 400 {
                            r#"{"code":"invalid","message":"partial write: field type conflict"}"#
                        } else {
                            ""
                        };
                        // Reported before answering, so the test has it once the drainer moves on.
                        let lines = String::from_utf8(body).unwrap().lines().map(str::to_owned).collect();
                        let _ = tx.send((status, lines));
                        write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n{text}", text.len()).unwrap();
                    }
                });
            }
        });
        (url, rx)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_drainer_sends_in_order_retries_a_failure_and_sets_a_refused_batch_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(&dir);
        store
            .write(vec![
                reading(1.0, "2026-11-02T00:30:00Z"),
                reading(2.0, "2026-11-02T01:30:00Z"),
                reading(3.0, "2026-11-02T02:30:00Z"),
            ])
            .await
            .unwrap();
        let queued = lines(&store);
        assert_eq!(queued.len(), 6, "three readings, three hours: {queued:#?}");
        // Unavailable once, then taken; then a batch refused as bad; then taken.
        let (url, requests) = write_endpoint(vec![503, 204, 400, 204]);
        let drainer = Drainer {
            outbox: Arc::clone(&store.outbox),
            client: influxdb2::Client::new(url, "vp", "t"),
            bucket: "xanh".into(),
            batch_size: 2,
            timeout: Duration::from_secs(5),
            status: store.status(),
            wake: Arc::new(Notify::new()),
        };
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(drainer.run(shutdown));
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while store.outbox.backlog().unwrap().pending > 0 {
            assert!(std::time::Instant::now() < deadline, "the outbox did not empty: {:?}", store.status().snapshot());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop.send_replace(true);
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("the drainer stops when asked").unwrap();

        let batch = |i: usize| queued[2 * i..2 * i + 2].to_vec();
        let seen: Vec<(u16, Vec<String>)> = requests.try_iter().collect();
        assert_eq!(seen, vec![(503, batch(0)), (204, batch(0)), (400, batch(1)), (204, batch(2))]);
        let dead: Vec<(String, String)> = store
            .outbox
            .with(|c| {
                c.prepare("SELECT line, error FROM influx_dead_letters ORDER BY seq")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .unwrap();
        assert_eq!(dead.iter().map(|(line, _)| line.clone()).collect::<Vec<_>>(), batch(1));
        assert!(dead[0].1.starts_with("HTTP 400: ") && dead[0].1.contains("partial write"), "{dead:?}");
        let status = store.status().snapshot();
        assert_eq!((status.pending, status.dead_letters, status.last_error.as_deref()), (0, 2, None));
        assert!(status.last_written_at.is_some());
    }

    #[tokio::test]
    async fn the_sqlite_backend_fills_no_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let (influx, config) = open(&dir);
        drop(influx);
        let plain = crate::store::SqliteStore::open(
            config.store.embedded_path(),
            &config.office.timezone,
            "Asia/Ho_Chi_Minh",
            &config.meters,
        )
        .unwrap();
        plain.write(vec![reading(1.0, "2026-11-02T00:30:00Z"), reading(2.0, "2026-11-02T01:30:00Z")]).await.unwrap();
        assert_eq!(Outbox::open(config.store.embedded_path()).unwrap().backlog().unwrap().pending, 0);
    }
}
