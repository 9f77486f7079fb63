//! Alerts: the rules of issue 16 evaluated as readings arrive and at least every minute, one
//! alert per condition (raised, updated while it lasts, resolved by the data), kept in the
//! store with the notifications they cause; acknowledged by a person; sent by the
//! [`dispatch::Dispatcher`] through the configured channels and
//! published on MQTT by [`mqtt::Publisher`]. See docs/alerts.md.

pub mod dispatch;
pub mod mqtt;
pub mod night_base_load;
pub mod recipients;
pub mod rules;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use crate::analysis::figures::FigureError;
use crate::config::RecipientFields;
use crate::domain::{AlertRule, Condition};
use crate::ingest::ConfigInForce;
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
    config: ConfigInForce,
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

/// How many active alerts no one has acknowledged yet.
fn unacknowledged(book: &AlertBook) -> Result<u64, StoreError> {
    let (active, _) = book.list(AlertState::Active, None, None, 10_000)?;
    Ok(active.iter().filter(|a| a.ack.is_none()).count() as u64)
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
    /// The engine; the book's recipients are seeded from `[[alerts.recipients]]` if it has
    /// never held any (from then on an admin keeps them).
    pub fn new(
        config: impl Into<ConfigInForce>,
        store: Arc<dyn StoreReads>,
        book: Arc<AlertBook>,
        ingest: Arc<IngestStatus>,
        outbox: Option<Arc<OutboxStatus>>,
    ) -> Result<Alerts, StoreError> {
        let config = config.into();
        let from_config: Vec<RecipientFields> =
            config.get().alerts.recipients.iter().map(RecipientFields::from).collect();
        if book.seed_recipients(&from_config)? > 0 {
            tracing::info!(
                count = from_config.len(),
                "alert recipients kept from [[alerts.recipients]]: edit them on /admin/recipients from now on"
            );
        }
        let lost = ingest.snapshot().sessions_lost;
        Ok(Alerts {
            config,
            store,
            book,
            ingest,
            outbox,
            sessions: Mutex::new((lost, None)),
            attention: AtomicU64::new(0),
            unrecorded: Mutex::new(Vec::new()),
            round: tokio::sync::Mutex::new(()),
        })
    }

    pub fn book(&self) -> Arc<AlertBook> {
        Arc::clone(&self.book)
    }

    /// Evaluate every rule at `now` and record what changed (with its notifications).
    pub async fn evaluate(&self, now: Timestamp) -> Result<AlertChanges, AlertError> {
        let _one = self.round.lock().await;
        let (conditions, judged) = self.conditions(now).await;
        let config = self.config.get();
        let tz = config.office.timezone.clone();
        let found = conditions.clone();
        let recorded = blocking(&self.book, move |book| {
            let recipients = recipients::in_force(book, &config)?;
            let changes = book.reconcile(now, &found, &judged, |changes| {
                recipients::compose(&recipients, changes, &found, now, &tz)
            })?;
            queue_digests(book, &recipients, now, &tz)?;
            // Counted in the same call, so the banner follows the alerts' list as closely as it
            // can: a page asked right after the list showed an alert shows its banner too.
            Ok((changes, unacknowledged(book)?))
        })
        .await;
        let unrecorded = |kept: Vec<Condition>| *self.unrecorded.lock().unwrap_or_else(|p| p.into_inner()) = kept;
        match recorded {
            Ok((changes, attention)) => {
                unrecorded(Vec::new());
                self.attention.store(attention, Ordering::Relaxed);
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
        let in_force = self.config.get();
        let config = in_force.as_ref();
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
        take(&[AlertRule::NightBaseLoad], night_base_load::night_base_load(store, config, now).await);
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
        let last_drop = crate::ingest::broker::drops::last_drop();
        let dropped = crate::ingest::broker::drops::dropped_messages();
        take(&[AlertRule::BrokerDrops], Ok(rules::broker_drops(last_drop.as_ref(), dropped, now)));
        (conditions, judged)
    }

    async fn refresh_attention(&self) -> Result<(), StoreError> {
        let attention = blocking(&self.book, unacknowledged).await?;
        self.attention.store(attention, Ordering::Relaxed);
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

    /// Evaluate every `alerts.evaluate_every`, and soon after readings (or rejected input)
    /// arrive: at most once per `alerts.after_readings` while they stream in, until shutdown.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let (every, after_readings) = {
            let config = self.config.get();
            (config.alerts.evaluate_every, config.alerts.after_readings)
        };
        let mut last_round = tokio::time::Instant::now() - every;
        let mut seen = (u64::MAX, u64::MAX);
        loop {
            let snapshot = self.ingest.snapshot();
            let arrived = (snapshot.stored + snapshot.duplicates, snapshot.rejected);
            if round_due(last_round.elapsed(), arrived != seen, every, after_readings) {
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

/// Whether a round is due `since_last` the last one: after `every` in any case, and after
/// `after_readings` if anything arrived since, so that a stream of readings (one a second from
/// a busy office) costs one round per `after_readings`, not one per reading.
fn round_due(since_last: Duration, arrived: bool, every: Duration, after_readings: Duration) -> bool {
    since_last >= every || (arrived && since_last >= after_readings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_every_second_give_one_round_per_interval_and_the_last_ones_are_judged_soon() {
        let (every, after) = (Duration::from_secs(60), Duration::from_secs(5));
        // Readings arrive every second for two minutes, then stop; the loop looks every second.
        let mut rounds = Vec::new();
        let mut last_round: Option<u64> = None;
        let mut unjudged = false;
        for second in 0..250u64 {
            unjudged |= second < 120;
            let since = last_round.map_or(every, |last| Duration::from_secs(second - last));
            if round_due(since, unjudged, every, after) {
                rounds.push(second);
                last_round = Some(second);
                unjudged = false;
            }
        }
        let while_streaming = rounds.iter().filter(|s| **s < 120).count();
        assert_eq!(while_streaming, 24, "one round per 5 s, not 120: {rounds:?}");
        let last_reading_judged = rounds.iter().find(|s| **s >= 119).unwrap();
        assert!(*last_reading_judged <= 119 + 5, "{rounds:?}");
        // With nothing arriving, a round a minute still.
        let quiet: Vec<u64> = rounds.iter().copied().filter(|s| *s > *last_reading_judged).collect();
        assert_eq!(quiet, [last_reading_judged + 60, last_reading_judged + 120]);
    }
}
