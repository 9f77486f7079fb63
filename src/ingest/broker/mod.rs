//! The embedded MQTT broker (rumqttd) behind Xanh's own gate, so that a fresh install needs
//! nothing else running and loses nothing a device was told is stored.
//!
//! Clients connect to the gate ([`gate`]), plain or over TLS ([`tls`]); it checks logins and
//! topics ([`access`]) and holds each connection and each address to its limits ([`limits`]),
//! commits what a device publishes on a meter's topic ([`commit`]), and only then forwards the
//! frame to rumqttd on 127.0.0.1, which acknowledges it and routes it to any subscriber. Xanh
//! itself needs no MQTT session on its own broker.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttd::{ConnectionSettings, LinkType, Router, RouterConfig, Server, ServerSettings};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

mod access;
mod commit;
pub mod drops;
mod gate;
mod limits;
mod tls;

use self::access::Access;
use self::gate::Gate;
use self::limits::Limits;
use crate::auth::secret::{random_secret, same};
use crate::config::EmbeddedBroker;
use crate::ingest::Pipeline;
use crate::ingest::mqtt::IngestStatus;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error(
        "the embedded MQTT broker cannot listen on {addr}: {reason}; set {key} to a free address, or stop whatever holds it"
    )]
    Bind { key: &'static str, addr: SocketAddr, reason: String },
    #[error("the embedded MQTT broker did not start listening on {0} within 5 s")]
    NotReady(SocketAddr),
    #[error("{file}: {key}: {problem}; fix: {fix}")]
    Tls { file: String, key: &'static str, problem: String, fix: String },
}

/// Where what devices publish goes: the pipeline, the store, the counters, and when to stop.
pub struct Ingest {
    pub pipeline: Pipeline,
    pub store: Arc<dyn Store>,
    pub status: Arc<IngestStatus>,
    pub batch_size: usize,
    pub shutdown: watch::Receiver<bool>,
}

/// The running broker: its addresses, and the task that ends once Xanh was asked to stop and
/// everything devices had sent before is committed.
pub struct Started {
    pub addr: SocketAddr,
    pub tls_addr: Option<SocketAddr>,
    pub done: JoinHandle<()>,
    /// Where Xanh's own clients (the alerts publisher) connect, past the gate: rumqttd on
    /// 127.0.0.1, with this run's secret as their password. Neither leaves the process, so no
    /// outside client can log in this way, and the gate refuses their client ids.
    pub own_clients: OwnClients,
}

#[derive(Clone)]
pub struct OwnClients {
    pub addr: SocketAddr,
    pub password: String,
}

impl std::fmt::Debug for OwnClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnClients").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// Descriptors one device connection holds: its socket, the gate's socket to rumqttd and
/// rumqttd's end of that one.
pub const DESCRIPTORS_PER_CONNECTION: usize = 3;

/// Start the broker (port 0 picks a free port). `config_file` names the config in errors;
/// `reserved_client_ids` are Xanh's own clients' ids, which no client may take.
pub fn start(
    broker: &EmbeddedBroker,
    config_file: &str,
    reserved_client_ids: &[String],
    ingest: Ingest,
) -> Result<Started, BrokerError> {
    let listener = bind("mqtt.listen (or XANH_MQTT_LISTEN)", broker.listen)?;
    let addr = listener.local_addr().map_err(|e| bind_error("mqtt.listen", broker.listen, e))?;
    // Bound from here on, and its files checked before anything starts.
    let tls = match &broker.tls {
        Some(tls) => {
            let listener = bind("mqtt.tls.listen", tls.listen)?;
            let tls_addr = listener.local_addr().map_err(|e| bind_error("mqtt.tls.listen", tls.listen, e))?;
            Some((listener, tls_addr, tls::load(tls, config_file)?))
        }
        None => None,
    };
    let backend_secret = random_secret();
    let backend = start_rumqttd(broker, &backend_secret)?;

    let access =
        Arc::new(if broker.clients.is_empty() { Access::open() } else { Access::with_clients(&broker.clients) });
    let (commits, done) = commit::spawn(ingest.store, Arc::clone(&ingest.status), ingest.batch_size);
    let gate = Arc::new(Gate {
        access,
        limits: Limits::new(broker.max_connections, broker.max_connections_per_address),
        pipeline: ingest.pipeline,
        commits,
        status: Arc::clone(&ingest.status),
        backend,
        backend_secret: backend_secret.clone(),
        reserved_client_ids: reserved_client_ids.to_vec(),
        connect_timeout: broker.connect_timeout,
        shutdown: ingest.shutdown,
    });
    let tls_addr = tls.as_ref().map(|(_, tls_addr, _)| *tls_addr);
    let mut listeners = vec![(listener, addr, None)];
    listeners.extend(tls.map(|(listener, tls_addr, acceptor)| (listener, tls_addr, Some(acceptor))));
    for (listener, at, acceptor) in listeners {
        listener.set_nonblocking(true).map_err(|e| bind_error("mqtt.listen", at, e))?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| bind_error("mqtt.listen", at, e))?;
        tokio::spawn(accept(listener, Arc::clone(&gate), acceptor));
    }
    ingest.status.set_connected(true);
    tokio::spawn(warn_of_drops(gate.shutdown.clone()));
    Ok(Started { addr, tls_addr, done, own_clients: OwnClients { addr: backend, password: backend_secret } })
}

/// Log a WARN whenever rumqttd dropped messages for a lagging subscriber (its own WARN is
/// filtered out with the rest of its noise).
async fn warn_of_drops(mut shutdown: watch::Receiver<bool>) {
    let mut seen = drops::dropped_messages();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        }
        let now = drops::dropped_messages();
        if now > seen {
            let filter = drops::last_drop().map(|d| d.filter).unwrap_or_default();
            tracing::warn!(
                dropped = now - seen,
                total = now,
                %filter,
                "embedded MQTT broker dropped messages for a subscriber that fell behind (not Xanh's: it stores at the gate); \
                 a subscriber that must not lose messages should read from Mosquitto"
            );
            seen = now;
        }
    }
}

/// rumqttd on 127.0.0.1, taking only the gate's connections; its address.
fn start_rumqttd(broker: &EmbeddedBroker, backend_secret: &str) -> Result<SocketAddr, BrokerError> {
    let backend = bind("mqtt.listen", SocketAddr::from(([127, 0, 0, 1], 0)))?
        .local_addr()
        .map_err(|e| bind_error("mqtt.listen", broker.listen, e))?;
    let mut connections = ConnectionSettings {
        // The gate sends the CONNECT as soon as it connects.
        connection_timeout_ms: 5_000,
        max_payload_size: gate::MAX_PACKET,
        max_inflight_count: 500,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let secret = backend_secret.to_owned();
    connections.set_auth_handler(move |_client_id, _username, password: String| {
        let from_gate = same(&password, &secret);
        async move { from_gate }
    });
    // The router keeps each subscription's recent messages in memory segments (here 8 × 2 MiB,
    // which bounds its memory) and skips the oldest when they are full: a subscriber more than
    // about 16 MiB behind loses messages. Xanh stores in the gate, so this concerns only other
    // subscribers, whose drops `drops` counts (docs/deployment.md says so).
    let router = RouterConfig {
        // The gate's connections, and Xanh's own alerts publisher.
        max_connections: broker.max_connections + 1,
        max_outgoing_packet_count: 500,
        max_segment_size: 2 * 1024 * 1024,
        max_segment_count: 8,
        ..RouterConfig::default()
    };
    // The router runs on a thread of its own for the life of the process (it has no shutdown
    // call), and so does its listener.
    let router_tx = Router::new(0, router).spawn();
    let settings = ServerSettings {
        name: "mqtt-broker-behind-gate".to_owned(),
        listen: backend,
        tls: None,
        next_connection_delay_ms: 0,
        connections,
    };
    let mut server = Server::new(settings, router_tx, rumqttd::protocol::v4::V4);
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => return tracing::error!(error = %e, "embedded MQTT broker: no runtime for {backend}"),
            };
            if let Err(e) = runtime.block_on(server.start(LinkType::Remote)) {
                tracing::error!(error = %e, "embedded MQTT broker stopped listening on {backend}");
            }
        })
        .map_err(|e| bind_error("mqtt.listen", backend, e))?;
    wait_listening(backend)?;
    Ok(backend)
}

/// Take connections until Xanh stops, each within the limits, each served by a task.
async fn accept(listener: tokio::net::TcpListener, gate: Arc<Gate>, tls: Option<TlsAcceptor>) {
    let mut shutdown = gate.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, usually: wait instead of spinning.
                tracing::warn!(error = %e, "embedded MQTT broker: cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let slot = match gate.limits.connection(peer.ip()) {
            Ok(slot) => slot,
            Err(full) => {
                tracing::debug!(%peer, ?full, "embedded MQTT broker: refused a connection over the limit");
                gate.status.connection_refused();
                continue;
            }
        };
        let open = gate.status.connection_opened();
        let _ = stream.set_nodelay(true);
        let gate = Arc::clone(&gate);
        match &tls {
            None => tokio::spawn(async move {
                let _open = open;
                gate.serve(stream, peer, slot).await
            }),
            Some(acceptor) => {
                let handshake = acceptor.accept(stream);
                tokio::spawn(async move {
                    let _open = open;
                    match tokio::time::timeout(tls::HANDSHAKE_TIME, handshake).await {
                        Ok(Ok(stream)) => gate.serve(stream, peer, slot).await,
                        Ok(Err(e)) => tracing::info!(%peer, error = %e, "embedded MQTT broker: TLS handshake failed"),
                        Err(_) => tracing::info!(%peer, "embedded MQTT broker: TLS handshake not finished in time"),
                    }
                })
            }
        };
    }
}

fn bind_error(key: &'static str, addr: SocketAddr, e: std::io::Error) -> BrokerError {
    BrokerError::Bind { key, addr, reason: e.to_string() }
}

fn bind(key: &'static str, addr: SocketAddr) -> Result<TcpListener, BrokerError> {
    TcpListener::bind(addr).map_err(|e| bind_error(key, addr, e))
}

fn wait_listening(addr: SocketAddr) -> Result<(), BrokerError> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(BrokerError::NotReady(addr))
}
