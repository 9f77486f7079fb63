//! The embedded broker's TLS listener.
//!
//! rumqttd 0.20 can serve TLS itself, but it does each handshake inside its accept loop with
//! no time limit (one client that opens a connection and sends nothing stops every other TLS
//! client; seen here), and its rustls 0.22 refuses the IP address that OpenSSL-based clients
//! send as the server name. So Xanh terminates TLS here, each handshake in a task of its own
//! with a time limit, and passes the plain bytes to a rumqttd listener on 127.0.0.1: the same
//! router, the same logins and the same topic limits as the plain listener.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use super::BrokerError;
use crate::config::BrokerTls;
use crate::ingest::pem::{self, PemProblem};

/// Longest a client may take to finish its TLS handshake.
const HANDSHAKE_TIME: Duration = Duration::from_secs(10);

/// Read and check the certificate chain and key, so that a wrong path or file stops Xanh at
/// start-up with the key to fix. They are read once: restart Xanh after renewing them.
pub fn load(tls: &BrokerTls, config_file: &str) -> Result<TlsAcceptor, BrokerError> {
    let problem = |key: &'static str, problem: String, fix: &str| BrokerError::Tls {
        file: config_file.to_owned(),
        key,
        problem,
        fix: fix.to_owned(),
    };
    let from_pem =
        |p: PemProblem| BrokerError::Tls { file: config_file.to_owned(), key: p.key, problem: p.problem, fix: p.fix };
    let certs = pem::certificates(
        "mqtt.tls.cert",
        &tls.cert,
        "give the broker's certificate (-----BEGIN CERTIFICATE-----), followed by any intermediate ones",
    )
    .map_err(from_pem)?;
    let key = pem::private_key(
        "mqtt.tls.key",
        &tls.key,
        "give the certificate's private key, unencrypted (-----BEGIN PRIVATE KEY-----, RSA or EC)",
    )
    .map_err(from_pem)?;
    let config = ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).map_err(|e| {
        problem(
            "mqtt.tls.key",
            format!("cannot be used with the certificate: {e}"),
            "give the private key that belongs to mqtt.tls.cert",
        )
    })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serve TLS on `listener` (already bound) for the rumqttd listener at `backend`, on a thread
/// of its own for the life of the process, like the broker's other threads.
pub fn spawn(listener: TcpListener, acceptor: TlsAcceptor, backend: SocketAddr) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    std::thread::Builder::new().name("mqtt-broker-tls".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => return tracing::error!(error = %e, "embedded MQTT broker: no runtime for the TLS listener"),
        };
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => listener,
                Err(e) => return tracing::error!(error = %e, "embedded MQTT broker: the TLS listener failed"),
            };
            loop {
                match listener.accept().await {
                    Ok((client, peer)) => {
                        tokio::spawn(relay(client, peer, acceptor.clone(), backend));
                    }
                    Err(e) => {
                        // Out of file descriptors, usually: wait instead of spinning.
                        tracing::warn!(error = %e, "embedded MQTT broker: cannot accept a TLS connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        })
    })?;
    Ok(())
}

/// One client: the handshake, then bytes both ways until either side closes.
async fn relay(client: TcpStream, peer: SocketAddr, acceptor: TlsAcceptor, backend: SocketAddr) {
    let _ = client.set_nodelay(true);
    let mut tls = match tokio::time::timeout(HANDSHAKE_TIME, acceptor.accept(client)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return tracing::info!(%peer, error = %e, "embedded MQTT broker: TLS handshake failed"),
        Err(_) => return tracing::info!(%peer, "embedded MQTT broker: TLS handshake not finished within 10 s"),
    };
    let mut plain = match TcpStream::connect(backend).await {
        Ok(plain) => plain,
        Err(e) => {
            return tracing::error!(error = %e, "embedded MQTT broker: cannot reach its own listener on {backend}");
        }
    };
    let _ = plain.set_nodelay(true);
    // Ends when either side closes; an error here is only a dropped connection.
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
}
