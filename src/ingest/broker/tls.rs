//! The embedded broker's TLS listener.
//!
//! rumqttd 0.20 can serve TLS itself, but it does each handshake inside its accept loop with
//! no time limit (one client that opens a connection and sends nothing stops every other TLS
//! client; seen here), and its rustls 0.22 refuses the IP address that OpenSSL-based clients
//! send as the server name. So Xanh terminates TLS in its gate, each handshake in a task of
//! its own with a time limit: the same logins, topic limits and commits as the plain listener.

use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use super::BrokerError;
use crate::config::BrokerTls;
use crate::ingest::pem::{self, PemProblem};

/// Longest a client may take to finish its TLS handshake.
pub const HANDSHAKE_TIME: Duration = Duration::from_secs(10);

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
