//! Real servers for the notification channels, on 127.0.0.1: aiosmtpd (tests/smtp_server.py)
//! for e-mail and an axum receiver for webhooks.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;

use super::{TestPki, test_ca_and_certificate};

/// The login the SMTP server accepts, and its password.
pub const SMTP_LOGIN: &str = "xanh@ubnd-tinh.gov.vn";
pub const SMTP_PASSWORD: &str = "mật-khẩu-smtp";

/// aiosmtpd (tests/smtp_server.py) on a free port, storing what it receives in a folder.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub inbox: PathBuf,
    pub pki: TestPki,
    mode: String,
    dir: tempfile::TempDir,
}

/// Start smtp_server.py on `port` (0: a free one); its process and the port it got.
fn spawn_server(inbox: &Path, pki: &TestPki, mode: &str, port: u16) -> (Child, u16) {
    let mut child = Command::new("/usr/bin/python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py"))
        .arg(inbox)
        .args([&pki.cert, &pki.key])
        .args([SMTP_LOGIN, SMTP_PASSWORD, mode, &port.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 runs (scripts/test installs python3-aiosmtpd)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| panic!("smtp_server.py did not start: {line:?}"));
    (child, port)
}

impl SmtpServer {
    /// `mode`: "starttls" or "tls".
    pub fn start(mode: &str) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let pki = test_ca_and_certificate(dir.path());
        let inbox = dir.path().join("inbox");
        std::fs::create_dir(&inbox).unwrap();
        let (child, port) = spawn_server(&inbox, &pki, mode, 0);
        SmtpServer { child, port, inbox, pki, mode: mode.to_owned(), dir }
    }

    /// The server goes down: its port refuses connections until [`SmtpServer::restart`].
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server comes back on the same port with the same certificate and an empty inbox.
    pub fn restart(&mut self) {
        let n = std::fs::read_dir(self.dir.path()).unwrap().count();
        self.inbox = self.dir.path().join(format!("inbox-{n}"));
        std::fs::create_dir(&self.inbox).unwrap();
        (self.child, _) = spawn_server(&self.inbox, &self.pki, &self.mode, self.port);
    }

    /// `[notify.email]` for this server, with `security`; the password is [`SMTP_PASSWORD`]
    /// in `XANH_SMTP_PASSWORD`.
    pub fn config(&self, security: &str) -> String {
        format!(
            "[notify.email]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"{security}\"\nusername = \"{SMTP_LOGIN}\"\nfrom = \"Xanh – Văn phòng UBND tỉnh <{SMTP_LOGIN}>\"\nca_file = \"{}\"\ntimeout_seconds = 5\n",
            self.port,
            self.pki.ca.display()
        )
    }

    /// The `n`th message received (from 1), as the server's e-mail parser read it back.
    pub fn message(&self, n: usize) -> serde_json::Value {
        let path = self.inbox.join(format!("{n}.json"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !path.exists() {
            assert!(Instant::now() < deadline, "message {n} did not arrive");
            std::thread::sleep(Duration::from_millis(20));
        }
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        (1..=self.received()).map(|n| self.message(n)).collect()
    }

    pub fn received(&self) -> usize {
        std::fs::read_dir(&self.inbox)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("json".as_ref()))
            .count()
    }

    /// The bytes of an attachment a message listed.
    pub fn attachment(&self, listed: &serde_json::Value) -> Vec<u8> {
        std::fs::read(self.inbox.join(listed["file"].as_str().unwrap())).unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a webhook receiver got: each request's headers and body.
pub type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook receiver on a free port: `/ok` keeps what it gets and answers 204, `/fail` 500,
/// `/bad` 400, `/slow` answers after 5 s, `/moved` redirects to `/ok`.
pub async fn webhook_receiver() -> (u16, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (port, serve_receiver(listener))
}

/// The same receiver on `port` (one that was closed until now: a receiver coming back).
pub async fn webhook_receiver_on(port: u16) -> Received {
    serve_receiver(tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap())
}

fn serve_receiver(listener: tokio::net::TcpListener) -> Received {
    let received = Received::default();
    let keep = received.clone();
    let app = Router::new()
        .route(
            "/ok",
            post(move |headers: HeaderMap, body: Bytes| async move {
                keep.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }),
        )
        .route("/fail", post(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route("/bad", post(|| async { StatusCode::BAD_REQUEST }))
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                StatusCode::NO_CONTENT
            }),
        )
        .route("/moved", post(|| async { (StatusCode::FOUND, [(header::LOCATION, "/ok")]).into_response() }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    received
}

/// What a receiver does (docs/notifications.md): HMAC-SHA256 of "<timestamp>.<body>".
pub fn signature_is_valid(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex) = signature.strip_prefix("sha256=") else { return false };
    let Ok(tag) =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16)).collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::verify(&key, &[timestamp.as_bytes(), b".", body].concat(), &tag).is_ok()
}

/// Wait up to 10 s for the receiver to have `n` requests.
pub async fn wait_for_requests(received: &Received, n: usize) -> Vec<(HeaderMap, Bytes)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = received.lock().unwrap().clone();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
