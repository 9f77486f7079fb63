//! Certificates for the TLS tests, made with openssl: a self-signed server certificate, or a CA
//! with server and client certificates.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A self-signed certificate for 127.0.0.1 and localhost and its key, made with the openssl
/// command in `dir`: (certificate, key).
pub fn test_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("broker.crt"), dir.join("broker.key"));
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=xanh-test-broker", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed (scripts/test installs it)");
    assert!(status.success(), "openssl could not make a test certificate");
    (cert, key)
}

/// A test CA and a broker certificate it signed for 127.0.0.1 and localhost, made with the
/// openssl command in `dir` (rustls, unlike OpenSSL, refuses a self-signed CA certificate as
/// a server's own).
pub struct TestPki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn test_ca_and_certificate(dir: &Path) -> TestPki {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is installed (scripts/test installs it)");
        assert!(status.success(), "openssl {args:?} failed");
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=xanh-test-ca", "-keyout", "ca.key", "-out", "ca.crt"],
        ]
        .concat(),
    );
    openssl(
        &[&["req", "-new"][..], &ec, &["-subj", "/CN=xanh-test-broker", "-keyout", "broker.key", "-out", "broker.csr"]]
            .concat(),
    );
    std::fs::write(
        dir.join("broker.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "broker.ext",
        "-out",
        "broker.crt",
    ]);
    TestPki { ca: dir.join("ca.crt"), cert: dir.join("broker.crt"), key: dir.join("broker.key") }
}

/// A client certificate that `pki`'s CA signed, for a broker that asks for one:
/// (certificate, key), in the CA's directory.
pub fn test_client_certificate(pki: &TestPki, name: &str) -> (PathBuf, PathBuf) {
    let dir = pki.ca.parent().unwrap();
    let (cert, key, csr, ext) =
        (format!("{name}.crt"), format!("{name}.key"), format!("{name}.csr"), format!("{name}.ext"));
    std::fs::write(dir.join(&ext), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n").unwrap();
    for args in [
        vec![
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=xanh",
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
        vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    ] {
        let status = Command::new("openssl")
            .current_dir(dir)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "openssl {args:?} failed");
    }
    (dir.join(cert), dir.join(key))
}
