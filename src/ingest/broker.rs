//! The embedded MQTT broker (rumqttd), so that a fresh install needs nothing else running.
//!
//! rumqttd keeps sessions in memory and acknowledges a publisher as soon as it has routed the
//! message, before Xanh has stored it: for zero loss across crashes run Mosquitto instead
//! (see the README).

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("the embedded MQTT broker cannot listen on {addr}: {reason}; set mqtt.listen (or XANH_MQTT_LISTEN) to a free address, or stop whatever holds it")]
    Bind { addr: SocketAddr, reason: String },
    #[error("the embedded MQTT broker did not start listening on {0} within 5 s")]
    NotReady(SocketAddr),
}

/// Start the broker on `listen` (port 0 picks a free port) and return the address it took.
pub fn start(listen: SocketAddr) -> Result<SocketAddr, BrokerError> {
    // rumqttd binds inside its own thread and only logs a failure, so check the address
    // here first; this also turns port 0 into a concrete port we can report.
    let probe = TcpListener::bind(listen).map_err(|e| BrokerError::Bind {
        addr: listen,
        reason: e.to_string(),
    })?;
    let addr = probe.local_addr().map_err(|e| BrokerError::Bind {
        addr: listen,
        reason: e.to_string(),
    })?;
    drop(probe);

    let connections = ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: 256 * 1024,
        max_inflight_count: 500,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let server = ServerSettings {
        name: "xanh-embedded".to_owned(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let config = Config {
        id: 0,
        // The default router config allows zero connections; these limits are explicit.
        // The router keeps each subscription's recent messages in memory segments (here
        // 8 × 2 MiB, which bounds its memory) and skips the oldest when they are full: a
        // subscriber more than about 16 MiB behind loses messages. The README says so and
        // the simulator paces itself.
        router: RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 500,
            max_segment_size: 2 * 1024 * 1024,
            max_segment_count: 8,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("xanh".to_owned(), server)])),
        ..Config::default()
    };
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            // start() blocks for the life of the broker; it has no shutdown call, so the
            // thread ends with the process.
            if let Err(e) = Broker::new(config).start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
        })
        .map_err(|e| BrokerError::Bind {
            addr,
            reason: e.to_string(),
        })?;

    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(addr);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(BrokerError::NotReady(addr))
}
