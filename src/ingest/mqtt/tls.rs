//! TLS from Xanh's MQTT client to an external broker: rustls with ring (the provider the
//! embedded broker's listener already uses), the broker's CA from `mqtt.tls.ca_file` or the
//! system's trusted roots, and an optional client certificate.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::config::ClientTls;
use crate::ingest::pem::{self, PemProblem};

/// A TLS setting that cannot be used, named the way the config names it.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}: {problem}; fix: {fix}")]
pub struct MqttTlsError {
    pub file: String,
    pub key: &'static str,
    pub problem: String,
    pub fix: String,
}

/// Read and check the files once, at start-up, so that a wrong path or a file that is not PEM
/// stops Xanh with the key to fix instead of failing every reconnect. Restart Xanh after
/// renewing them.
pub fn client_config(tls: &ClientTls, config_file: &str) -> Result<Arc<ClientConfig>, MqttTlsError> {
    let problem = |key: &'static str, problem: String, fix: &str| MqttTlsError {
        file: config_file.to_owned(),
        key,
        problem,
        fix: fix.to_owned(),
    };
    let from_pem =
        |p: PemProblem| MqttTlsError { file: config_file.to_owned(), key: p.key, problem: p.problem, fix: p.fix };
    let certificates =
        |key: &'static str, path: &Path, what: &str| pem::certificates(key, path, what).map_err(from_pem);

    let mut roots = RootCertStore::empty();
    match &tls.ca_file {
        Some(path) => {
            let fix = "give the certificate (-----BEGIN CERTIFICATE-----) of the CA that signed the broker's certificate, such as Mosquitto's cafile";
            for cert in certificates("mqtt.tls.ca_file", path, fix)? {
                roots.add(cert).map_err(|e| {
                    problem(
                        "mqtt.tls.ca_file",
                        format!("`{}` holds a certificate that cannot be a trusted root: {e}", path.display()),
                        fix,
                    )
                })?;
            }
        }
        None => {
            // A broker whose certificate a public CA signed: trust what the system trusts.
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(problem(
                    "mqtt.tls.ca_file",
                    "is not set, and this system has no trusted root certificates to check the broker with".into(),
                    "set ca_file to the CA that signed the broker's certificate (or install the ca-certificates package)",
                ));
            }
        }
    }

    let builder = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            problem("mqtt.tls", format!("rustls refused its default protocol versions: {e}"), "report this as a bug")
        })?
        .with_root_certificates(roots);
    let config = match &tls.client_auth {
        None => builder.with_no_client_auth(),
        Some(auth) => {
            let chain = certificates(
                "mqtt.tls.client_cert",
                &auth.cert,
                "give Xanh's client certificate (-----BEGIN CERTIFICATE-----), followed by any intermediate ones",
            )?;
            let key = pem::private_key(
                "mqtt.tls.client_key",
                &auth.key,
                "give the client certificate's private key, unencrypted (-----BEGIN PRIVATE KEY-----, RSA or EC)",
            )
            .map_err(from_pem)?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                problem(
                    "mqtt.tls.client_key",
                    format!("cannot be used with the client certificate: {e}"),
                    "give the private key that belongs to mqtt.tls.client_cert",
                )
            })?
        }
    };
    Ok(Arc::new(config))
}
