//! The embedded MQTT broker (rumqttd), so that a fresh install needs nothing else running.
//!
//! rumqttd keeps sessions in memory and acknowledges a publisher as soon as it has routed the
//! message, before Xanh has stored it: for zero loss across crashes run Mosquitto instead
//! (see the README).
//!
//! Xanh starts rumqttd's router and listeners itself (rather than `Broker::start`) so that
//! each listener uses [`TopicGuard`], the codec that enforces each client's publish topics.

use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttd::{ConnectionSettings, LinkType, Router, RouterConfig, Server, ServerSettings, TlsConfig};

use super::broker_access::{Access, IngestLogin, TopicGuard};
use crate::config::{BrokerTls, EmbeddedBroker};

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("the embedded MQTT broker cannot listen on {addr}: {reason}; set {key} to a free address, or stop whatever holds it")]
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
    let tls = match &broker.tls {
        Some(tls) => Some((probe(tls.listen, "mqtt.tls.listen")?, check_tls(tls, config_file)?)),
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
    let mut listeners = vec![(addr, None)];
    if let Some((tls_addr, tls_config)) = &tls {
        listeners.push((*tls_addr, Some(tls_config.clone())));
    }
    for (listen, tls_config) in listeners {
        let name = if tls_config.is_some() { "mqtt-broker-tls" } else { "mqtt-broker" };
        let settings = ServerSettings {
            name: name.to_owned(),
            listen,
            tls: tls_config,
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
            .map_err(|e| BrokerError::Bind { key: "mqtt.listen", addr: listen, reason: e.to_string() })?;
        wait_listening(listen)?;
    }
    Ok(Started { addr, tls_addr: tls.map(|(a, _)| a), ingest_login: access.ingest_login() })
}

/// rumqttd binds inside its own thread and only logs a failure, so check the address here
/// first; this also turns port 0 into a concrete port we can report.
fn probe(listen: SocketAddr, key: &'static str) -> Result<SocketAddr, BrokerError> {
    let bind_error = |e: std::io::Error| BrokerError::Bind { key, addr: listen, reason: e.to_string() };
    let probe = TcpListener::bind(listen).map_err(bind_error)?;
    probe.local_addr().map_err(bind_error)
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

/// Load the certificate chain and key as rumqttd will (it reads them again for every
/// connection and only logs a failure), so that a wrong path or file stops Xanh at start-up.
fn check_tls(tls: &BrokerTls, config_file: &str) -> Result<TlsConfig, BrokerError> {
    use tokio_rustls::rustls::ServerConfig;
    let problem = |key: &'static str, problem: String, fix: &str| BrokerError::Tls {
        file: config_file.to_owned(),
        key,
        problem,
        fix: fix.to_owned(),
    };
    let open = |key: &'static str, path: &Path| {
        std::fs::File::open(path).map(BufReader::new).map_err(|e| {
            problem(key, format!("`{}` cannot be read: {e}", path.display()), "give the path of a PEM file that Xanh's user can read")
        })
    };
    let certs = rustls_pemfile::certs(&mut open("mqtt.tls.cert", &tls.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|certs| !certs.is_empty())
        .ok_or_else(|| {
            problem(
                "mqtt.tls.cert",
                format!("`{}` holds no PEM certificate", tls.cert.display()),
                "give the broker's certificate (-----BEGIN CERTIFICATE-----), followed by any intermediate ones",
            )
        })?;
    let key = rustls_pemfile::private_key(&mut open("mqtt.tls.key", &tls.key)?).ok().flatten().ok_or_else(|| {
        problem(
            "mqtt.tls.key",
            format!("`{}` holds no PEM private key", tls.key.display()),
            "give the certificate's private key, unencrypted (-----BEGIN PRIVATE KEY-----, RSA or EC)",
        )
    })?;
    ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).map_err(|e| {
        problem("mqtt.tls.key", format!("cannot be used with the certificate: {e}"), "give the private key that belongs to mqtt.tls.cert")
    })?;
    Ok(TlsConfig::Rustls {
        capath: None,
        certpath: tls.cert.display().to_string(),
        keypath: tls.key.display().to_string(),
    })
}
