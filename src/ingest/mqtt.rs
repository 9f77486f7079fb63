//! The MQTT ingestor: QoS 1, a persistent session under a stable client id, and manual acks
//! sent only after the store has committed what a message became.
//!
//! Two tasks: one polls the event loop and never waits on the store; the other decodes,
//! stores in batches and acknowledges. Acks go through `try_ack`, so the storing task never
//! blocks on the event loop either, and neither can deadlock the other.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, Publish, QoS, SubscribeFilter};
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::Pipeline;
use crate::config::MqttConfig;
use crate::store::Store;

/// Messages waiting between the two tasks. When it is full the poll task waits for room, so
/// the broker's backlog stays with the broker (Mosquitto was seen sending well beyond its
/// in-flight window, so this bound, not the broker's, limits what Xanh holds).
const QUEUE: usize = 20_000;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The largest packet MQTT can carry (its remaining-length field tops out at 256 MiB).
const MQTT_MAX_PACKET: usize = 268_435_455 + 5;

/// Live counters for the health endpoint and the dashboard.
#[derive(Debug, Default)]
pub struct IngestStatus {
    connected: AtomicBool,
    messages: AtomicU64,
    stored: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    last_error: Mutex<Option<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestSnapshot {
    pub connected: bool,
    pub messages: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub last_error: Option<String>,
}

impl IngestStatus {
    pub fn snapshot(&self) -> IngestSnapshot {
        IngestSnapshot {
            connected: self.connected.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            last_error: self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    fn set_error(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }
}

/// Where to connect and how.
pub struct Connection {
    pub host: String,
    pub port: u16,
    pub settings: MqttConfig,
}

/// Start ingesting; the task ends after `shutdown` turns true and the last batch is stored
/// and acknowledged.
pub fn spawn(
    connection: Connection,
    pipeline: Pipeline,
    store: Arc<dyn Store>,
    batch_size: usize,
    status: Arc<IngestStatus>,
    shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let settings = &connection.settings;
    let mut options = MqttOptions::new(settings.client_id.clone(), connection.host.clone(), connection.port);
    options
        .set_keep_alive(settings.keep_alive)
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_inflight(settings.inflight)
        // Read any packet the broker may deliver (MQTT's own limit): a client that cannot read
        // one drops the connection, and the broker sends it again on every reconnect, stalling
        // ingest for good. The pipeline refuses what is too large to be a reading.
        .set_max_packet_size(MQTT_MAX_PACKET, 256 * 1024);
    if let Some(user) = &settings.username {
        options.set_credentials(user.clone(), settings.password.clone().unwrap_or_default());
    }
    let (client, eventloop) = AsyncClient::new(options, 10_000);
    let (queue_tx, queue_rx) = mpsc::channel(QUEUE);
    let storer = tokio::spawn(store_loop(queue_rx, client.clone(), pipeline.clone(), store, batch_size, Arc::clone(&status)));
    tokio::spawn(poll_loop(eventloop, client, pipeline.subscriptions(), queue_tx, status, shutdown, storer))
}

async fn poll_loop(
    mut eventloop: EventLoop,
    client: AsyncClient,
    filters: Vec<String>,
    queue: mpsc::Sender<(Publish, Timestamp)>,
    status: Arc<IngestStatus>,
    mut shutdown: watch::Receiver<bool>,
    storer: JoinHandle<()>,
) {
    let mut queue = Some(queue);
    let mut backoff = Duration::from_millis(500);
    loop {
        if queue.is_some() && *shutdown.borrow() {
            // Stop taking messages; the storing task finishes, acks and disconnects, and we
            // keep polling so that those acks reach the broker.
            tracing::info!("ingest: stopping, finishing the last batch");
            queue = None;
        }
        tokio::select! {
            changed = shutdown.changed(), if queue.is_some() => {
                if changed.is_err() {
                    queue = None;
                }
            }
            event = eventloop.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    tracing::info!(session_present = ack.session_present, "ingest: connected to the MQTT broker");
                    status.connected.store(true, Ordering::Relaxed);
                    status.set_error(None);
                    backoff = Duration::from_millis(500);
                    // From a task of its own: it may wait for room behind queued acks, which
                    // only this loop's polling makes, and it must not be dropped when full.
                    let subscriptions: Vec<_> = filters.iter().map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce)).collect();
                    let client = client.clone();
                    tokio::spawn(async move {
                        if let Err(e) = client.subscribe_many(subscriptions).await {
                            tracing::error!(error = %e, "ingest: cannot subscribe");
                        }
                    });
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    status.messages.fetch_add(1, Ordering::Relaxed);
                    if let Some(queue) = &queue {
                        // Waits only while the storing task catches up; it never waits on us.
                        // Stamped on arrival: a reading without a device time is taken now.
                        if queue.send((publish, Timestamp::now())).await.is_err() {
                            break;
                        }
                    }
                    // After shutdown began, the message stays unacknowledged and the broker
                    // delivers it again to the next session.
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
                Ok(_) => {}
                Err(e) => {
                    status.connected.store(false, Ordering::Relaxed);
                    if queue.is_none() {
                        break;
                    }
                    tracing::warn!(error = %e, retry_in = ?backoff, "ingest: MQTT connection lost");
                    status.set_error(Some(format!("MQTT: {e}")));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
    status.connected.store(false, Ordering::Relaxed);
    drop(queue);
    let _ = storer.await;
}

async fn store_loop(
    mut queue: mpsc::Receiver<(Publish, Timestamp)>,
    client: AsyncClient,
    pipeline: Pipeline,
    store: Arc<dyn Store>,
    batch_size: usize,
    status: Arc<IngestStatus>,
) {
    let mut unacked: VecDeque<Publish> = VecDeque::new();
    loop {
        let first = tokio::select! {
            message = queue.recv() => message,
            _ = tokio::time::sleep(Duration::from_millis(5)), if !unacked.is_empty() => {
                send_acks(&client, &mut unacked);
                continue;
            }
        };
        let Some(first) = first else { break };
        let mut publishes = vec![first];
        while publishes.len() < batch_size {
            match queue.try_recv() {
                Ok(publish) => publishes.push(publish),
                Err(_) => break,
            }
        }
        let batch: Vec<_> = publishes
            .iter()
            .flat_map(|(p, received_at)| pipeline.from_mqtt(&p.topic, &p.payload, *received_at))
            .collect();
        let mut backoff = Duration::from_millis(200);
        loop {
            match store.write(batch.clone()).await {
                Ok(report) => {
                    status.stored.fetch_add(report.stored as u64, Ordering::Relaxed);
                    status.duplicates.fetch_add(report.duplicates as u64, Ordering::Relaxed);
                    status.rejected.fetch_add(report.rejected as u64, Ordering::Relaxed);
                    break;
                }
                Err(e) => {
                    // Not acknowledged, so not lost: keep trying; the broker keeps the messages.
                    tracing::error!(error = %e, retry_in = ?backoff, "ingest: cannot store a batch");
                    status.set_error(Some(format!("store: {e}")));
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        // An ack needs only the packet id and QoS: drop topics and payloads now, so that acks
        // waiting for room in the event loop's request queue (full while a flood keeps the
        // poll task waiting on ours) do not hold every stored payload in memory.
        unacked.extend(publishes.into_iter().map(|(mut publish, _)| {
            publish.payload = Default::default();
            publish.topic = String::new();
            publish
        }));
        send_acks(&client, &mut unacked);
    }
    // Shutting down: the acks for what was stored must leave before we disconnect.
    for _ in 0..200 {
        send_acks(&client, &mut unacked);
        if unacked.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Queued behind the acks, so the poll task sends them all before it sees this.
    let _ = client.disconnect().await;
}

/// Hand acks to the event loop without waiting; what does not fit is retried shortly.
fn send_acks(client: &AsyncClient, unacked: &mut VecDeque<Publish>) {
    while let Some(publish) = unacked.front() {
        if publish.qos == QoS::AtMostOnce {
            unacked.pop_front();
            continue;
        }
        match client.try_ack(publish) {
            Ok(()) => {
                unacked.pop_front();
            }
            Err(_) => return,
        }
    }
}
