//! The embedded MQTT broker (rumqttd), so that a fresh install needs nothing else running.
//!
//! rumqttd keeps sessions in memory and acknowledges a publisher as soon as it has routed the
//! message, before Xanh has stored it: for zero loss across crashes run Mosquitto instead
//! (see the README).
//!
//! Xanh starts rumqttd's router and listeners itself (rather than `Broker::start`) so that
//! each listener uses [`TopicGuard`], the codec that enforces each client's publish topics.
//! TLS is served in front of a loopback listener (see `broker_tls`).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttd::{ConnectionSettings, LinkType, Router, RouterConfig, Server, ServerSettings};

mod access;
mod tls;

use self::access::{Access, IngestLogin, TopicGuard};
use crate::config::EmbeddedBroker;

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

/// The running broker: its addresses and the login Xanh's ingestor must use (none when open).
pub struct Started {
    pub addr: SocketAddr,
    pub tls_addr: Option<SocketAddr>,
    pub ingest_login: Option<IngestLogin>,
}

/// Start the broker (port 0 picks a free port). `config_file` names the config in errors;
/// `ingest_client_id` is Xanh's own client id, which no other client may take.
pub fn start(broker: &EmbeddedBroker, config_file: &str, ingest_client_id: &str) -> Result<Started, BrokerError> {
    let addr = probe(broker.listen, "mqtt.listen (or XANH_MQTT_LISTEN)")?;
    // The TLS listener stays bound from here on, and its files are checked before anything starts.
    let tls = match &broker.tls {
        Some(tls) => {
            let listener = TcpListener::bind(tls.listen).map_err(|e| bind_error("mqtt.tls.listen", tls.listen, e))?;
            let tls_addr = listener.local_addr().map_err(|e| bind_error("mqtt.tls.listen", tls.listen, e))?;
            let acceptor = tls::load(tls, config_file)?;
            let backend = probe(SocketAddr::from(([127, 0, 0, 1], 0)), "mqtt.tls.listen")?;
            Some((listener, tls_addr, acceptor, backend))
        }
        None => None,
    };
    let access = Arc::new(if broker.clients.is_empty() {
        Access::open()
    } else {
        Access::with_clients(&broker.clients, ingest_client_id)
    });

    let mut connections = ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: 256 * 1024,
        max_inflight_count: 500,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    if !access.is_open() {
        let checker = Arc::clone(&access);
        connections.set_auth_handler(move |client_id, username, password| {
            Arc::clone(&checker).check_login(client_id, username, password)
        });
    }
    // The default router config allows zero connections; these limits are explicit. The
    // router keeps each subscription's recent messages in memory segments (here 8 × 2 MiB,
    // which bounds its memory) and skips the oldest when they are full: a subscriber more
    // than about 16 MiB behind loses messages. The README says so and the simulator paces
    // itself.
    let router = RouterConfig {
        max_connections: 10_000,
        max_outgoing_packet_count: 500,
        max_segment_size: 2 * 1024 * 1024,
        max_segment_count: 8,
        ..RouterConfig::default()
    };
    // The router runs on a thread of its own for the life of the process (it has no
    // shutdown call), and so does each listener.
    let router_tx = Router::new(0, router).spawn();
    let mut listeners = vec![("mqtt-broker", addr)];
    if let Some((_, _, _, backend)) = &tls {
        listeners.push(("mqtt-broker-behind-tls", *backend));
    }
    for (name, listen) in listeners {
        let settings = ServerSettings {
            name: name.to_owned(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections: connections.clone(),
        };
        let mut server = Server::new(settings, router_tx.clone(), TopicGuard::new(Arc::clone(&access)));
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(e) => return tracing::error!(error = %e, "embedded MQTT broker: no runtime for {listen}"),
                };
                if let Err(e) = runtime.block_on(server.start(LinkType::Remote)) {
                    tracing::error!(error = %e, "embedded MQTT broker stopped listening on {listen}");
                }
            })
            .map_err(|e| bind_error("mqtt.listen", listen, e))?;
        wait_listening(listen)?;
    }
    let tls_addr = match tls {
        Some((listener, tls_addr, acceptor, backend)) => {
            tls::spawn(listener, acceptor, backend).map_err(|e| bind_error("mqtt.tls.listen", tls_addr, e))?;
            Some(tls_addr)
        }
        None => None,
    };
    Ok(Started { addr, tls_addr, ingest_login: access.ingest_login() })
}

fn bind_error(key: &'static str, addr: SocketAddr, e: std::io::Error) -> BrokerError {
    BrokerError::Bind { key, addr, reason: e.to_string() }
}

/// rumqttd binds inside its own thread and only logs a failure, so check the address here
/// first; this also turns port 0 into a concrete port we can report.
fn probe(listen: SocketAddr, key: &'static str) -> Result<SocketAddr, BrokerError> {
    let probe = TcpListener::bind(listen).map_err(|e| bind_error(key, listen, e))?;
    probe.local_addr().map_err(|e| bind_error(key, listen, e))
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
