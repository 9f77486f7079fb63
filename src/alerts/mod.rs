//! Alerts: the rules of issue 16 evaluated as readings arrive and at least every minute, one
//! alert per condition (raised, updated while it lasts, resolved by the data), kept in the
//! store with the notifications they cause; acknowledged by a person; sent by the
//! [`dispatch::Dispatcher`] through the configured channels and
//! published on MQTT by [`mqtt::Publisher`]. See docs/alerts.md.

pub mod dispatch;
pub mod mqtt;
pub mod recipients;
pub mod rules;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use crate::analysis::figures::FigureError;
use crate::config::Config;
use crate::domain::{AlertRule, Condition};
use crate::ingest::mqtt::IngestStatus;
use crate::store::alerts::{AlertChanges, AlertRecord, AlertState};
use crate::store::{Actor, AlertBook, OutboxStatus, StoreError, StoreReads};

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Figure(#[from] FigureError),
}

/// The alert engine and the alerts as kept.
pub struct Alerts {
    config: Arc<Config>,
    store: Arc<dyn StoreReads>,
    book: Arc<AlertBook>,
    ingest: Arc<IngestStatus>,
    outbox: Option<Arc<OutboxStatus>>,
    /// The count of lost MQTT sessions last seen, and when it last grew.
    sessions: Mutex<(u64, Option<Timestamp>)>,
    /// Active alerts nobody has acknowledged yet, for the banner.
    attention: AtomicU64,
    /// Conditions found that the store could not record (it is not writable), for the banner.
    unrecorded: Mutex<Vec<Condition>>,
    /// One round at a time.
    round: tokio::sync::Mutex<()>,
}

/// Queue each digest recipient's digest of the day, once, when its time has come.
fn queue_digests(
    book: &AlertBook,
    recipients: &[crate::config::Recipient],
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Result<(), StoreError> {
    if recipients.iter().all(|r| r.digest_at.is_none()) {
        return Ok(());
    }
    let (active, _) = book.list(AlertState::Active, None, None, 10_000)?;
    let resolved = book.resolved_since(now - jiff::SignedDuration::from_hours(24))?;
    let digests: Vec<_> =
        recipients.iter().filter_map(|r| recipients::digest(r, &active, &resolved, now, tz)).collect();
    book.enqueue(now, &digests)?;
    Ok(())
}

/// Run `work` on the alert book off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    book: &Arc<AlertBook>,
    work: impl FnOnce(&AlertBook) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let book = Arc::clone(book);
    tokio::task::spawn_blocking(move || work(&book)).await.map_err(|e| StoreError::Worker(e.to_string()))?
}

impl Alerts {
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn StoreReads>,
        book: Arc<AlertBook>,
        ingest: Arc<IngestStatus>,
        outbox: Option<Arc<OutboxStatus>>,
    ) -> Alerts {
        let lost = ingest.snapshot().sessions_lost;
        Alerts {
            config,
            store,
            book,
            ingest,
            outbox,
            sessions: Mutex::new((lost, None)),
            attention: AtomicU64::new(0),
            unrecorded: Mutex::new(Vec::new()),
            round: tokio::sync::Mutex::new(()),
        }
    }

    pub fn book(&self) -> Arc<AlertBook> {
        Arc::clone(&self.book)
    }

    /// Evaluate every rule at `now` and record what changed (with its notifications).
    pub async fn evaluate(&self, now: Timestamp) -> Result<AlertChanges, AlertError> {
        let _one = self.round.lock().await;
        let (conditions, judged) = self.conditions(now).await;
        let recipients = self.config.alerts.recipients.clone();
        let tz = self.config.office.timezone.clone();
        let found = conditions.clone();
        let recorded = blocking(&self.book, move |book| {
            let changes = book.reconcile(now, &found, &judged, |changes| {
                recipients::compose(&recipients, changes, &found, now, &tz)
            })?;
            queue_digests(book, &recipients, now, &tz)?;
            Ok(changes)
        })
        .await;
        let unrecorded = |kept: Vec<Condition>| *self.unrecorded.lock().unwrap_or_else(|p| p.into_inner()) = kept;
        match recorded {
            Ok(changes) => {
                unrecorded(Vec::new());
                self.refresh_attention().await?;
                Ok(changes)
            }
            Err(e) => {
                unrecorded(conditions.into_iter().filter(|c| c.rule == AlertRule::StoreUnwritable).collect());
                Err(e.into())
            }
        }
    }

    /// The conditions found at `now`, and the rules that could be judged (a rule whose figures
    /// failed leaves its alerts as they are).
    async fn conditions(&self, now: Timestamp) -> (Vec<Condition>, Vec<AlertRule>) {
        let store = self.store.as_ref();
        let config = self.config.as_ref();
        let mut conditions = Vec::new();
        let mut judged = Vec::new();
        let mut take = |rules: &[AlertRule], result: Result<Vec<Condition>, FigureError>| match result {
            Ok(found) => {
                conditions.extend(found);
                judged.extend_from_slice(rules);
            }
            Err(e) => tracing::warn!(rules = ?rules, error = %e, "an alert rule could not be evaluated"),
        };
        take(&[AlertRule::NightLeak], rules::night_leak(store, config, now).await);
        take(&[AlertRule::OffHours], rules::off_hours(store, config, now).await);
        take(&[AlertRule::SilentMeter], rules::silent_meters(store, config, now).await);
        take(&[AlertRule::Forecast], rules::forecast(store, config, now).await);
        take(&[AlertRule::HeldReadings, AlertRule::RejectedInput], rules::rejected_input(store, config, now).await);
        take(&[AlertRule::StoreUnwritable], Ok(rules::store_health(store, config).await));
        take(&[AlertRule::InfluxOutbox], Ok(rules::influx_outbox(self.outbox.as_deref(), now)));
        let (lost, lost_at) = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let lost = self.ingest.snapshot().sessions_lost;
            if lost > sessions.0 {
                *sessions = (lost, Some(now));
            }
            *sessions
        };
        take(&[AlertRule::MqttSession], Ok(rules::mqtt_session(lost_at, lost, now)));
        (conditions, judged)
    }

    async fn refresh_attention(&self) -> Result<(), StoreError> {
        let (active, _) = blocking(&self.book, |book| book.list(AlertState::Active, None, None, 10_000)).await?;
        self.attention.store(active.iter().filter(|a| a.ack.is_none()).count() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// How many active alerts need someone's attention (not yet acknowledged), and what could
    /// not be recorded: for the banner on every page.
    pub fn attention(&self) -> (u64, Vec<Condition>) {
        let unrecorded = self.unrecorded.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (self.attention.load(Ordering::Relaxed), unrecorded)
    }

    /// A person acknowledges an alert with a comment (kept, with its audit line).
    pub async fn acknowledge(&self, id: i64, actor: Actor, comment: String) -> Result<Option<AlertRecord>, StoreError> {
        let acked = blocking(&self.book, move |book| book.acknowledge(id, &actor, &comment)).await?;
        self.refresh_attention().await?;
        Ok(acked)
    }

    /// Evaluate every `alerts.evaluate_every`, and within a second of readings (or rejected
    /// input) arriving, until shutdown.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let every = self.config.alerts.evaluate_every;
        let mut last_round = tokio::time::Instant::now() - every;
        let mut seen = (u64::MAX, u64::MAX);
        loop {
            let snapshot = self.ingest.snapshot();
            let arrived = (snapshot.stored + snapshot.duplicates, snapshot.rejected);
            if arrived != seen || last_round.elapsed() >= every {
                seen = arrived;
                last_round = tokio::time::Instant::now();
                match self.evaluate(Timestamp::now()).await {
                    Ok(changes) if !changes.raised.is_empty() || !changes.resolved.is_empty() => {
                        tracing::info!(
                            raised = changes.raised.len(),
                            resolved = changes.resolved.len(),
                            "alerts changed"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "alerts could not be evaluated"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}
