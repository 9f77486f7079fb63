//! What ingest reports to the health check: connected or not, what arrived and was stored, the
//! last error, and the peers' batches when instances share a subscription.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

use crate::store::WriteReport;

/// Live counters for the health endpoint and the dashboard.
#[derive(Debug, Default)]
pub struct IngestStatus {
    pub(super) connected: AtomicBool,
    pub(super) messages: AtomicU64,
    pub(super) stored: AtomicU64,
    pub(super) duplicates: AtomicU64,
    pub(super) rejected: AtomicU64,
    pub(super) last_error: Mutex<Option<String>>,
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

#[derive(Debug, Clone, Serialize)]
pub struct IngestSnapshot {
    pub connected: bool,
    /// Device messages this instance received (with a shared group: its share of them).
    pub messages: u64,
    /// Readings stored, its own and its peers'.
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peers: Option<PeerSnapshot>,
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
        IngestSnapshot {
            connected: self.connected.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            last_error: self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
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

    pub(crate) fn count_write(&self, report: &WriteReport) {
        self.stored.fetch_add(report.stored as u64, Ordering::Relaxed);
        self.duplicates.fetch_add(report.duplicates as u64, Ordering::Relaxed);
        self.rejected.fetch_add(report.rejected as u64, Ordering::Relaxed);
    }

    pub(crate) fn set_error(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }
}
