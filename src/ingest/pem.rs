//! PEM files named in `[mqtt.tls]`, read once at start-up for both sides of TLS (the embedded
//! broker's listener and the client to an external broker), each problem named by its key.

use std::path::Path;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What is wrong with one file, and what to give instead.
#[derive(Debug)]
pub struct PemProblem {
    pub key: &'static str,
    pub problem: String,
    pub fix: String,
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, PemProblem> {
    std::fs::read(path).map_err(|e| PemProblem {
        key,
        problem: format!("`{}` cannot be read: {e}", path.display()),
        fix: "give the path of a PEM file that Xanh's user can read".into(),
    })
}

/// Every certificate in the file at `path` (config key `key`); `what` tells what it should hold.
pub fn certificates(key: &'static str, path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, PemProblem> {
    CertificateDer::pem_slice_iter(&read(key, path)?)
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|certs| !certs.is_empty())
        .ok_or_else(|| PemProblem {
            key,
            problem: format!("`{}` holds no PEM certificate", path.display()),
            fix: what.into(),
        })
}

/// The private key in the file at `path` (config key `key`); `what` tells which key it should be.
pub fn private_key(key: &'static str, path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, PemProblem> {
    PrivateKeyDer::from_pem_slice(&read(key, path)?).map_err(|_| PemProblem {
        key,
        problem: format!("`{}` holds no PEM private key", path.display()),
        fix: what.into(),
    })
}
