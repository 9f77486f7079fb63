//! What ingest reports to the health check: connected or not, what arrived and was stored, the
//! current error (with when it began) and the last few that cleared, and the peers' batches
//! when instances share a subscription.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::tally::WriteTally;
use crate::domain::Incoming;
use crate::store::WriteReport;

/// Live counters for the health endpoint and the dashboard.
#[derive(Debug, Default)]
pub struct IngestStatus {
    pub(super) connected: AtomicBool,
    pub(super) messages: AtomicU64,
    pub(super) stored: AtomicU64,
    pub(super) duplicates: AtomicU64,
    pub(super) rejected: AtomicU64,
    pub(super) sessions_lost: AtomicU64,
    pub(super) errors: Mutex<ErrorLog>,
    pub(super) tally: Mutex<WriteTally>,
    /// The embedded broker's device connections open now, and those refused over its limits.
    pub(super) broker_connections: AtomicU64,
    pub(super) broker_refused: AtomicU64,
    /// Device messages handed to ingest's queue and not yet taken by the store's writer.
    pub(super) queued: AtomicU64,
    /// Set when the ingestor is one of a shared subscription's group.
    pub(super) peers: Option<PeerCounters>,
}

/// What a group's instance sent to and received from the others.
#[derive(Debug)]
pub(super) struct PeerCounters {
    pub(super) topic: String,
    pub(super) sent: AtomicU64,
    pub(super) received: AtomicU64,
    pub(super) returned: AtomicU64,
}

#[derive(Debug, Clone)]
pub struct IngestSnapshot {
    pub connected: bool,
    /// Device messages this instance received (with a shared group: its share of them).
    pub messages: u64,
    /// Readings stored, its own and its peers'.
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Reconnections on which the broker no longer had Xanh's session (and the messages it
    /// had queued for it).
    pub sessions_lost: u64,
    /// The error ingest has now (`None` once it recovered).
    pub last_error: Option<String>,
    /// When that error began.
    pub last_error_at: Option<jiff::Timestamp>,
    /// The last errors, newest first, with when each began and cleared.
    pub recent_errors: Vec<ErrorEvent>,
    pub peers: Option<PeerSnapshot>,
    /// The same writes in detail, for `/metrics`.
    pub tally: WriteTally,
    /// The embedded broker's device connections open now (0 with an external broker).
    pub broker_connections: u64,
    /// Connections the embedded broker refused over `mqtt.max_connections` or
    /// `mqtt.max_connections_per_address`.
    pub broker_refused: u64,
    /// Device messages waiting in ingest's queue, not yet taken into a batch.
    pub queued: u64,
}

/// The exchange with the other instances of a shared subscription.
#[derive(Debug, Clone, Serialize)]
pub struct PeerSnapshot {
    pub topic: String,
    /// Batches of stored readings published to the others.
    pub sent: u64,
    /// Batches received from the others.
    pub received: u64,
    /// This instance's own batches back from the broker: fewer than `sent` for long means the
    /// broker does not let Xanh publish or subscribe on the peer topic (check its ACL).
    pub returned: u64,
}

/// How many past errors the health report keeps.
const ERROR_HISTORY: usize = 10;

/// What went wrong, from where: an error clears only when its own part recovers (a stored
/// batch does not prove the connection is back, nor the other way round).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSource {
    Broker,
    Store,
    Peers,
}

/// One error as the health report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorEvent {
    pub source: ErrorSource,
    pub error: String,
    pub since: jiff::Timestamp,
    /// `None` while it lasts.
    pub cleared_at: Option<jiff::Timestamp>,
}

/// The current error and the last ones, newest first.
#[derive(Debug, Default)]
pub(super) struct ErrorLog {
    events: VecDeque<ErrorEvent>,
}

impl ErrorLog {
    fn current(&self) -> Option<&ErrorEvent> {
        self.events.front().filter(|e| e.cleared_at.is_none())
    }

    fn fail(&mut self, source: ErrorSource, error: String, now: jiff::Timestamp) {
        // The same error again is one event, not a new one per retry.
        if self.events.iter().any(|e| e.cleared_at.is_none() && e.source == source && e.error == error) {
            return;
        }
        self.recover(source, now);
        self.events.push_front(ErrorEvent { source, error, since: now, cleared_at: None });
        self.events.truncate(ERROR_HISTORY);
    }

    /// Something that went wrong and is already over: kept in the history only.
    fn past(&mut self, source: ErrorSource, error: String, now: jiff::Timestamp) {
        self.events.push_front(ErrorEvent { source, error, since: now, cleared_at: Some(now) });
        self.events.truncate(ERROR_HISTORY);
        self.recover(source, now);
    }

    fn recover(&mut self, source: ErrorSource, now: jiff::Timestamp) {
        for event in self.events.iter_mut().filter(|e| e.source == source && e.cleared_at.is_none()) {
            event.cleared_at = Some(now);
        }
        // The error still open, if another part has one, stays the current one.
        if let Some(open) = self.events.iter().position(|e| e.cleared_at.is_none()) {
            let event = self.events.remove(open).expect("found above");
            self.events.push_front(event);
        }
    }
}

impl IngestStatus {
    /// Counters for an ingestor of a shared subscription's group, which exchanges readings on `peer_topic`.
    pub fn with_peers(peer_topic: String) -> IngestStatus {
        IngestStatus {
            peers: Some(PeerCounters {
                topic: peer_topic,
                sent: AtomicU64::new(0),
                received: AtomicU64::new(0),
                returned: AtomicU64::new(0),
            }),
            ..IngestStatus::default()
        }
    }

    pub fn snapshot(&self) -> IngestSnapshot {
        let (current, recent_errors) = {
            let log = self.errors();
            (log.current().cloned(), log.events.iter().cloned().collect())
        };
        IngestSnapshot {
            connected: self.connected.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            sessions_lost: self.sessions_lost.load(Ordering::Relaxed),
            last_error: current.as_ref().map(|e| e.error.clone()),
            last_error_at: current.map(|e| e.since),
            recent_errors,
            broker_connections: self.broker_connections.load(Ordering::Relaxed),
            broker_refused: self.broker_refused.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
            tally: self.tally.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            peers: self.peers.as_ref().map(|p| PeerSnapshot {
                topic: p.topic.clone(),
                sent: p.sent.load(Ordering::Relaxed),
                received: p.received.load(Ordering::Relaxed),
                returned: p.returned.load(Ordering::Relaxed),
            }),
        }
    }

    pub(super) fn count_peer(&self, counter: impl Fn(&PeerCounters) -> &AtomicU64) {
        if let Some(peers) = &self.peers {
            counter(peers).fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether devices' messages can reach Xanh now (its client is connected, or the embedded
    /// broker's gate is open).
    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
    }

    pub(crate) fn count_message(&self) {
        self.messages.fetch_add(1, Ordering::Relaxed);
    }

    /// `count` device messages went into ingest's queue for the store's writer.
    pub(crate) fn enqueued(&self, count: usize) {
        self.queued.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// The store's writer took `count` messages from the queue (or they never went in).
    pub(crate) fn dequeued(&self, count: usize) {
        self.queued.fetch_sub(count as u64, Ordering::Relaxed);
    }

    /// One write of `batch`, which `report` answered, that took `took`.
    pub(crate) fn count_write(&self, batch: &[Incoming], report: &WriteReport, took: std::time::Duration) {
        self.tally.lock().unwrap_or_else(|p| p.into_inner()).count(batch, report, took);
        self.stored.fetch_add(report.stored as u64, Ordering::Relaxed);
        self.duplicates.fetch_add(report.duplicates as u64, Ordering::Relaxed);
        self.rejected.fetch_add(report.rejected as u64, Ordering::Relaxed);
    }

    /// `source` has this error now; logged once however often it is repeated.
    pub(crate) fn fail(&self, source: ErrorSource, error: String) {
        self.errors().fail(source, error, jiff::Timestamp::now());
    }

    /// `source` works again: its error, if it had one, is cleared and kept in the history.
    pub(crate) fn recover(&self, source: ErrorSource) {
        self.errors().recover(source, jiff::Timestamp::now());
    }

    /// The embedded broker took a device's connection: counted open until the guard is dropped.
    pub(crate) fn connection_opened(self: &Arc<Self>) -> OpenConnection {
        self.broker_connections.fetch_add(1, Ordering::Relaxed);
        OpenConnection(Arc::clone(self))
    }

    /// The embedded broker refused a connection over its limits.
    pub(crate) fn connection_refused(&self) {
        self.broker_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// The broker took Xanh back without its session: the messages it held for Xanh are gone.
    pub(crate) fn session_lost(&self) {
        self.sessions_lost.fetch_add(1, Ordering::Relaxed);
        let error =
            "the broker reconnected Xanh without its session: messages queued for Xanh while it was away were lost"
                .to_owned();
        self.errors().past(ErrorSource::Broker, error, jiff::Timestamp::now());
    }

    fn errors(&self) -> std::sync::MutexGuard<'_, ErrorLog> {
        self.errors.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A device connection the embedded broker holds, counted open while this lives.
pub(crate) struct OpenConnection(Arc<IngestStatus>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.broker_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_clears_when_its_own_part_recovers_and_stays_in_the_history() {
        let status = IngestStatus::default();
        status.fail(ErrorSource::Broker, "connection refused".into());
        status.fail(ErrorSource::Store, "database is locked".into());
        status.fail(ErrorSource::Store, "database is locked".into());
        status.recover(ErrorSource::Store);
        let now = status.snapshot();
        assert_eq!(now.last_error.as_deref(), Some("connection refused"), "the broker has not recovered");
        assert_eq!(now.recent_errors.len(), 2, "a repeated error is one event: {:?}", now.recent_errors);
        assert!(now.recent_errors.iter().any(|e| e.source == ErrorSource::Store && e.cleared_at.is_some()));
        status.recover(ErrorSource::Broker);
        let now = status.snapshot();
        assert_eq!((now.last_error, now.last_error_at), (None, None));
        assert!(now.recent_errors.iter().all(|e| e.cleared_at.is_some()));
    }

    #[test]
    fn the_history_keeps_the_last_errors_only() {
        let status = IngestStatus::default();
        for i in 0..(ERROR_HISTORY + 5) {
            status.fail(ErrorSource::Store, format!("error {i}"));
        }
        let now = status.snapshot();
        assert_eq!(now.recent_errors.len(), ERROR_HISTORY);
        assert_eq!(now.last_error, Some(format!("error {}", ERROR_HISTORY + 4)));
    }
}
