//! The MQTT ingestor: QoS 1, a persistent session under a stable client id, and manual acks
//! sent only after the store has committed what a message became.
//!
//! Two tasks: one polls the event loop and never waits on the store; the other decodes,
//! stores in batches and acknowledges. Acks go through `try_ack`, so the storing task never
//! blocks on the event loop either, and neither can deadlock the other.
//!
//! With a shared group, device subscriptions are shared (`$share/<group>/…`) and what a batch
//! of device messages stored is published to the other instances (see `peers`) before those
//! messages are acknowledged: both go through one ordered queue into the same connection, so
//! the broker has the peer batch whenever it has the acknowledgement.

pub(crate) mod peers;
mod status;
mod tally;
pub mod tls;

pub use status::{ErrorEvent, ErrorSource, IngestSnapshot, IngestStatus, PeerSnapshot};
pub use tally::{Histogram, MeterTally, WRITE_SECONDS_BUCKETS, WriteTally};

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jiff::Timestamp;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Outgoing, Packet, Publish, QoS,
    SubscribeFilter, TlsConfiguration, Transport,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use self::peers::{PeerBatch, PeerReading, Received};
use super::Pipeline;
use crate::config::MqttConfig;
use crate::domain::{Incoming, ShareGroup};
use crate::store::{Outcome, Store};

/// Messages waiting between the two tasks. When it is full the poll task waits for room, so
/// the broker's backlog stays with the broker (Mosquitto was seen sending well beyond its
/// in-flight window, so this bound, not the broker's, limits what Xanh holds).
const QUEUE: usize = 20_000;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The largest packet MQTT can carry (its remaining-length field tops out at 256 MiB).
const MQTT_MAX_PACKET: usize = 268_435_455 + 5;
/// The largest packet Xanh sends (acks, subscriptions, peer batches).
pub(super) const MAX_OUTGOING_PACKET: usize = 256 * 1024;

/// Where to connect and how.
pub struct Connection {
    pub host: String,
    pub port: u16,
    pub settings: MqttConfig,
    /// TLS to the broker, checked at start-up (`mqtt_tls::client_config`).
    pub tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
    pub shared_group: Option<ShareGroup>,
}

/// What the ingestor subscribes to, and which of it is the peer topic (not a device's).
struct Subscriptions {
    /// The meters' topics, read again at each connection and when the meters change.
    pipeline: Pipeline,
    shared_group: Option<ShareGroup>,
    peer_topic: Option<String>,
}

impl Subscriptions {
    fn filters(&self) -> Vec<String> {
        match &self.shared_group {
            // Devices' messages split between the group; every peer batch reaches every instance.
            Some(group) => self
                .pipeline
                .subscriptions()
                .iter()
                .map(|f| group.share(f))
                .chain([group.peer_topic()])
                .chain(self.pipeline.announcement_filters())
                .collect(),
            None => self.pipeline.subscriptions().into_iter().chain(self.pipeline.announcement_filters()).collect(),
        }
    }

    /// Subscribe to the filters not in `done` (and note them there), from a task of its own:
    /// it may wait for room behind queued acks, which only the poll loop's polling makes, and
    /// it must not be dropped when full.
    fn subscribe(&self, client: &AsyncClient, done: &mut HashSet<String>) {
        let filters: Vec<SubscribeFilter> = self
            .filters()
            .into_iter()
            .filter(|f| done.insert(f.clone()))
            .map(|f| SubscribeFilter::new(f, QoS::AtLeastOnce))
            .collect();
        if filters.is_empty() {
            return;
        }
        let client = client.clone();
        tokio::spawn(async move {
            if let Err(e) = client.subscribe_many(filters).await {
                tracing::error!(error = %e, "ingest: cannot subscribe");
            }
        });
    }
}

/// Where a group's instance sends what it stored, and the id that marks its own batches.
#[derive(Clone)]
struct PeerExchange {
    topic: String,
    own_id: String,
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
        .set_max_packet_size(MQTT_MAX_PACKET, MAX_OUTGOING_PACKET);
    if let Some(user) = &settings.username {
        options.set_credentials(user.clone(), settings.password.clone().unwrap_or_default());
    }
    if let Some(tls) = &connection.tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(Arc::clone(tls))));
    }
    let exchange = connection
        .shared_group
        .as_ref()
        .map(|group| PeerExchange { topic: group.peer_topic(), own_id: settings.client_id.clone() });
    let subscriptions = Subscriptions {
        pipeline: pipeline.clone(),
        shared_group: connection.shared_group.clone(),
        peer_topic: exchange.as_ref().map(|e| e.topic.clone()),
    };
    let (client, eventloop) = AsyncClient::new(options, 10_000);
    let (queue_tx, queue_rx) = mpsc::channel(QUEUE);
    let storer =
        tokio::spawn(store_loop(queue_rx, client.clone(), pipeline, exchange, store, batch_size, Arc::clone(&status)));
    tokio::spawn(poll_loop(eventloop, client, subscriptions, queue_tx, status, shutdown, storer))
}

async fn poll_loop(
    mut eventloop: EventLoop,
    client: AsyncClient,
    subscriptions: Subscriptions,
    queue: mpsc::Sender<(Publish, Timestamp)>,
    status: Arc<IngestStatus>,
    mut shutdown: watch::Receiver<bool>,
    storer: JoinHandle<()>,
) {
    let mut queue = Some(queue);
    let mut backoff = Duration::from_millis(500);
    // A first connection has no session yet; a later one without its session lost messages.
    let mut connected_before = false;
    let mut meter_changes = subscriptions.pipeline.meter_changes();
    // The filters subscribed on this connection.
    let mut subscribed: HashSet<String> = HashSet::new();
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
            // A meter added in the web app: its topic is subscribed at once; the others are
            // left alone (a second SUBSCRIBE would send their retained messages again).
            Ok(()) = meter_changes.changed() => {
                if status.connected.load(Ordering::Relaxed) {
                    subscriptions.subscribe(&client, &mut subscribed);
                }
            }
            event = eventloop.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    status.connected.store(true, Ordering::Relaxed);
                    status.recover(ErrorSource::Broker);
                    if std::mem::replace(&mut connected_before, true) && !ack.session_present {
                        tracing::warn!("ingest: reconnected, but the broker had lost Xanh's session: what it queued for Xanh meanwhile is gone; keep its sessions on disk (Mosquitto: persistence true)");
                        status.session_lost();
                    } else {
                        tracing::info!(session_present = ack.session_present, "ingest: connected to the MQTT broker");
                    }
                    backoff = Duration::from_millis(500);
                    subscriptions.subscribe(&client, &mut subscribed);
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    if subscriptions.peer_topic.as_deref() != Some(publish.topic.as_str()) {
                        status.messages.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Some(queue) = &queue {
                        // Waits only while the storing task catches up; it never waits on us.
                        // Stamped on arrival: a reading without a device time is taken now.
                        status.enqueued(1);
                        if queue.send((publish, Timestamp::now())).await.is_err() {
                            status.dequeued(1);
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
                    let error = explain(&e);
                    tracing::warn!(%error, retry_in = ?backoff, "ingest: MQTT connection lost");
                    status.fail(ErrorSource::Broker, error);
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

/// Messages taken from the queue and decoded, waiting for the writer.
#[derive(Default)]
struct Gathered {
    publishes: Vec<(Publish, Timestamp)>,
    batch: Vec<Incoming>,
    /// For each item of `batch`, whether it came from a device here (and so goes on to the peers).
    from_device: Vec<bool>,
}

impl Gathered {
    fn decode(
        &mut self,
        (publish, received_at): (Publish, Timestamp),
        pipeline: &Pipeline,
        exchange: Option<&PeerExchange>,
        status: &IngestStatus,
        returns: &mut ReturnWatch,
    ) {
        match exchange {
            Some(exchange) if publish.topic == exchange.topic => {
                match peers::receive(&publish.payload, &publish.topic, &exchange.own_id, pipeline, received_at) {
                    Received::Own => {
                        status.count_peer(|p| &p.returned);
                        returns.returned(status);
                    }
                    Received::Peer(items) => {
                        status.count_peer(|p| &p.received);
                        self.from_device.extend(items.iter().map(|_| false));
                        self.batch.extend(items);
                    }
                }
            }
            _ => {
                let items = pipeline.from_mqtt(&publish.topic, &publish.payload, received_at);
                self.from_device.extend(items.iter().map(|_| true));
                self.batch.extend(items);
            }
        }
        self.publishes.push((publish, received_at));
    }
}

/// A batch handed to the store, with what its acknowledgement needs.
struct Writing {
    publishes: Vec<(Publish, Timestamp)>,
    from_device: Vec<bool>,
    /// The batch and what became of each item, once committed.
    task: JoinHandle<(Vec<Incoming>, Vec<Outcome>)>,
}

/// Store a batch, trying again until the store takes it: not acknowledged, so not lost; the
/// broker keeps the messages meanwhile.
async fn write_batch(
    store: Arc<dyn Store>,
    batch: Vec<Incoming>,
    status: Arc<IngestStatus>,
) -> (Vec<Incoming>, Vec<Outcome>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let started = Instant::now();
        match store.write(batch.clone()).await {
            Ok(report) => {
                status.count_write(&batch, &report, started.elapsed());
                status.recover(ErrorSource::Store);
                return (batch, report.outcomes);
            }
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?backoff, "ingest: cannot store a batch");
                status.fail(ErrorSource::Store, format!("store: {e}"));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Takes messages from the queue, decodes them and writes them in batches, acknowledging each
/// batch's messages once it is committed. While one batch is written the next is taken and
/// decoded, and it goes to the store, as large as it grew, as soon as the store is free.
async fn store_loop(
    mut queue: mpsc::Receiver<(Publish, Timestamp)>,
    client: AsyncClient,
    pipeline: Pipeline,
    exchange: Option<PeerExchange>,
    store: Arc<dyn Store>,
    batch_size: usize,
    status: Arc<IngestStatus>,
) {
    let mut pending: VecDeque<Request> = VecDeque::new();
    let mut returns = ReturnWatch::default();
    let mut next = Gathered::default();
    let mut writing: Option<Writing> = None;
    let mut open = true;
    while open || writing.is_some() || !next.publishes.is_empty() {
        let overdue = returns.deadline();
        tokio::select! {
            message = queue.recv(), if open && next.publishes.len() < batch_size => match message {
                Some(message) => {
                    let mut taken = 1;
                    next.decode(message, &pipeline, exchange.as_ref(), &status, &mut returns);
                    while next.publishes.len() < batch_size {
                        let Ok(message) = queue.try_recv() else { break };
                        taken += 1;
                        next.decode(message, &pipeline, exchange.as_ref(), &status, &mut returns);
                    }
                    status.dequeued(taken);
                }
                None => open = false,
            },
            written = async { (&mut writing.as_mut().expect("guarded by is_some").task).await }, if writing.is_some() => {
                let done = writing.take().expect("guarded by is_some");
                acknowledge(done, written, exchange.as_ref(), &mut pending);
                send_pending(&client, &mut pending, &status, &mut returns);
            }
            _ = tokio::time::sleep(Duration::from_millis(5)), if !pending.is_empty() => {
                send_pending(&client, &mut pending, &status, &mut returns);
            }
            _ = tokio::time::sleep_until(overdue.unwrap_or_else(Instant::now)), if overdue.is_some() => {
                if let Some(exchange) = &exchange {
                    returns.overdue(&status, &exchange.topic);
                }
            }
        }
        if writing.is_none() && !next.publishes.is_empty() {
            let Gathered { publishes, batch, from_device } = std::mem::take(&mut next);
            let task = tokio::spawn(write_batch(Arc::clone(&store), batch, Arc::clone(&status)));
            writing = Some(Writing { publishes, from_device, task });
        }
    }
    // Shutting down: the acks for what was stored must leave before we disconnect.
    for _ in 0..200 {
        send_pending(&client, &mut pending, &status, &mut returns);
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Queued behind the acks, so the poll task sends them all before it sees this.
    let _ = client.disconnect().await;
}

/// Queue what a committed batch owes the broker: its peers' copy, then its acknowledgements.
/// A write task that panicked stored nothing for sure: its messages stay unacknowledged and
/// the broker delivers them again to the next session.
fn acknowledge(
    done: Writing,
    written: Result<(Vec<Incoming>, Vec<Outcome>), tokio::task::JoinError>,
    exchange: Option<&PeerExchange>,
    pending: &mut VecDeque<Request>,
) {
    let (batch, outcomes) = match written {
        Ok(written) => written,
        Err(e) => {
            tracing::error!(error = %e, "ingest: a batch's write ended without an answer; its messages are left unacknowledged");
            return;
        }
    };
    // Queued before the acks: on one connection, in order, so the broker holds the
    // peers' copy of every device message it has an acknowledgement for.
    if let Some(exchange) = exchange {
        pending.extend(peer_batches(exchange, &batch, &done.from_device, &outcomes));
    }
    // An ack needs only the packet id and QoS: drop topics and payloads now, so that acks
    // waiting for room in the event loop's request queue (full while a flood keeps the
    // poll task waiting on ours) do not hold every stored payload in memory.
    pending.extend(done.publishes.into_iter().map(|(mut publish, _)| {
        publish.payload = Default::default();
        publish.topic = String::new();
        Request::Ack(publish)
    }));
}

/// What the storing task hands to the event loop, in this order.
enum Request {
    PeerBatch { topic: String, payload: Vec<u8> },
    Ack(Publish),
}

/// The peer messages for what a batch of device messages became: every reading stored, and
/// every duplicate too (its message may be a redelivery after a crash that came before the
/// peers had it). A backend that does not say what became of each item gets every reading.
fn peer_batches(
    exchange: &PeerExchange,
    batch: &[Incoming],
    from_device: &[bool],
    outcomes: &[Outcome],
) -> Vec<Request> {
    let known = outcomes.len() == batch.len();
    let readings: Vec<PeerReading> = batch
        .iter()
        .zip(from_device)
        .enumerate()
        .filter(|(i, (_, device))| **device && (!known || matches!(outcomes[*i], Outcome::Stored | Outcome::Duplicate)))
        .filter_map(|(_, (item, _))| match item {
            Incoming::Reading(reading, origin) => Some(PeerReading::of(reading, origin)),
            Incoming::Rejected(_) => None,
        })
        .collect();
    readings
        .chunks(peers::MAX_READINGS)
        .map(|chunk| {
            let batch = PeerBatch { sender: exchange.own_id.clone(), readings: chunk.to_vec() };
            Request::PeerBatch {
                topic: exchange.topic.clone(),
                payload: serde_json::to_vec(&batch).unwrap_or_default(),
            }
        })
        .collect()
}

/// Hand requests to the event loop in order without waiting; what does not fit is retried
/// shortly, and nothing behind it overtakes it.
fn send_pending(
    client: &AsyncClient,
    pending: &mut VecDeque<Request>,
    status: &IngestStatus,
    returns: &mut ReturnWatch,
) {
    while let Some(request) = pending.front() {
        let sent = match request {
            Request::Ack(publish) if publish.qos == QoS::AtMostOnce => Ok(()),
            Request::Ack(publish) => client.try_ack(publish),
            Request::PeerBatch { topic, payload } => {
                client.try_publish(topic.as_str(), QoS::AtLeastOnce, false, payload.clone())
            }
        };
        if sent.is_err() {
            return;
        }
        if let Some(Request::PeerBatch { .. }) = pending.pop_front() {
            status.count_peer(|p| &p.sent);
            returns.sent();
        }
    }
}

/// How long an instance's own peer batch may take to come back from the broker before the
/// health report says so; one normally returns within milliseconds.
const RETURN_TIME: Duration = Duration::from_secs(15);

/// Watches that this instance's peer batches come back from the broker. Mosquitto
/// acknowledges a publish its ACL denies and drops it, so their silence is the only sign that
/// the peers never get them.
#[derive(Default)]
struct ReturnWatch {
    /// Batches sent and not back yet (batches sent before a restart may come back after it).
    outstanding: u64,
    /// Since when nothing has come back while batches are out.
    waiting_since: Option<Instant>,
    told: bool,
}

impl ReturnWatch {
    fn sent(&mut self) {
        self.outstanding += 1;
        self.waiting_since.get_or_insert_with(Instant::now);
    }

    fn returned(&mut self, status: &IngestStatus) {
        self.outstanding = self.outstanding.saturating_sub(1);
        self.waiting_since = (self.outstanding > 0).then(Instant::now);
        if std::mem::take(&mut self.told) {
            status.recover(ErrorSource::Peers);
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.waiting_since.filter(|_| !self.told).map(|since| since + RETURN_TIME)
    }

    fn overdue(&mut self, status: &IngestStatus, topic: &str) {
        if !status.connected.load(Ordering::Relaxed) {
            // Nothing comes back while the connection is down; the poll task reports that.
            self.waiting_since = Some(Instant::now());
            return;
        }
        self.told = true;
        status.fail(ErrorSource::Peers, format!(
            "none of this instance's readings sent on {topic} came back from the broker within {} s, so the other instances may not get them either: \
             let Xanh's MQTT user publish and read {topic} in the broker's ACL (Mosquitto drops a denied publish silently), or, if ingest is far behind, wait",
            RETURN_TIME.as_secs()
        ));
    }
}

/// A connection error as a person can act on it.
fn explain(error: &ConnectionError) -> String {
    let text = error.to_string();
    let hint = match error {
        ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized,
        ) => "; check mqtt.username and XANH_MQTT_PASSWORD against the broker's password file",
        ConnectionError::ConnectionRefused(ConnectReturnCode::BadClientId) => {
            "; give each instance its own mqtt.client_id (XANH_MQTT_CLIENT_ID)"
        }
        ConnectionError::Tls(_) => {
            "; check that mqtt.tls.ca_file is the CA that signed the broker's certificate, that the certificate names mqtt.host, and that mqtt.port is the broker's TLS listener"
        }
        // With TLS 1.3 the broker refuses a missing certificate after the handshake, as an alert.
        _ if text.contains("CertificateRequired") => {
            "; the broker asks for a client certificate: set mqtt.tls.client_cert and mqtt.tls.client_key"
        }
        _ if text.contains("alert") => {
            "; the broker ended the TLS session: compare [mqtt.tls] with its TLS listener's settings and look at its log"
        }
        _ => "",
    };
    format!("MQTT: {text}{hint}")
}
