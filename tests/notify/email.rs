//! E-mail: HC-QT's mailbox gets the leak alert in Vietnamese with the night's chart, over
//! STARTTLS or TLS with Xanh's login; a wrong password or a refused address is given up, a
//! full mailbox or a server that is down is tried again later.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::civil::date;
use xanh::charts::night::{self, NightChart};
use xanh::locale::Lang;
use xanh::notify::{Address, Attachment, Notification, SendError};

use super::{channel_for, channels};
use crate::common::{TestPki, free_port, test_ca_and_certificate};

pub(crate) const LOGIN: &str = "xanh@ubnd-tinh.gov.vn";
pub(crate) const PASSWORD: &str = "mật-khẩu-smtp";

/// aiosmtpd (tests/smtp_server.py) on a free port, storing what it receives in a folder.
pub(crate) struct SmtpServer {
    child: Child,
    port: u16,
    mode: String,
    inbox: PathBuf,
    pki: TestPki,
    dir: tempfile::TempDir,
}

/// Start smtp_server.py on `port` (0: a free one); its process and the port it got.
fn spawn_server(inbox: &Path, pki: &TestPki, mode: &str, port: u16) -> (Child, u16) {
    let mut child = Command::new("/usr/bin/python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py"))
        .arg(inbox)
        .args([&pki.cert, &pki.key])
        .args([LOGIN, PASSWORD, mode, &port.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 runs (scripts/test installs python3-aiosmtpd)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| panic!("smtp_server.py did not start: {line:?}"));
    (child, port)
}

impl SmtpServer {
    pub(crate) fn start(mode: &str) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let pki = test_ca_and_certificate(dir.path());
        let inbox = dir.path().join("inbox");
        std::fs::create_dir(&inbox).unwrap();
        let (child, port) = spawn_server(&inbox, &pki, mode, 0);
        SmtpServer { child, port, mode: mode.to_owned(), inbox, pki, dir }
    }

    /// The server goes down: its port refuses connections until [`SmtpServer::restart`].
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server comes back on the same port with the same certificate and an empty inbox.
    pub(crate) fn restart(&mut self) {
        let n = std::fs::read_dir(self.dir.path()).unwrap().count();
        self.inbox = self.dir.path().join(format!("inbox-{n}"));
        std::fs::create_dir(&self.inbox).unwrap();
        (self.child, _) = spawn_server(&self.inbox, &self.pki, &self.mode, self.port);
    }

    /// The file the server stored as attachment `name` of a message (`1-0.bin`).
    pub(crate) fn attachment(&self, name: &str) -> PathBuf {
        self.inbox.join(name)
    }

    /// `[notify.email]` for this server, with `security`.
    pub(crate) fn config(&self, security: &str) -> String {
        format!(
            "[notify.email]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"{security}\"\nusername = \"{LOGIN}\"\nfrom = \"Xanh – Văn phòng UBND tỉnh <{LOGIN}>\"\nca_file = \"{}\"\ntimeout_seconds = 5\n",
            self.port,
            self.pki.ca.display()
        )
    }

    /// The `n`th message received, as the server's e-mail parser read it back.
    pub(crate) fn message(&self, n: usize) -> serde_json::Value {
        let path = self.inbox.join(format!("{n}.json"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !path.exists() {
            assert!(Instant::now() < deadline, "message {n} did not arrive");
            std::thread::sleep(Duration::from_millis(20));
        }
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    pub(crate) fn received(&self) -> usize {
        std::fs::read_dir(&self.inbox)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("json".as_ref()))
            .count()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn leak_chart() -> Vec<u8> {
    let start = date(2026, 12, 5).at(22, 0, 0, 0);
    NightChart {
        title: "Lưu lượng nước đêm 05/12/2026 — Phòng Kế toán".into(),
        unit: "L/phút".into(),
        points: (0..=32).map(|i| (start + jiff::SignedDuration::from_mins(15 * i), 3.2 + (i % 3) as f64)).collect(),
        lang: Lang::Vi,
        colour: (21, 101, 192),
    }
    .png()
    .unwrap()
}

const SUBJECT: &str = "[Xanh] Rò rỉ nước ban đêm — Phòng Kế toán: 1.536 lít";
const TEXT: &str = "Kính gửi Trưởng phòng Kế toán,\n\nĐồng hồ nước phòng Kế toán chảy suốt đêm 05/12/2026, thấp nhất 3,2 lít/phút: đã mất khoảng 1.536 lít (≈ 24.576 đồng).\nĐề nghị kiểm tra vòi và bồn cầu tầng 2.\n";

fn leak_alert(to: &str, attachments: Vec<Attachment>) -> Notification {
    Notification {
        to: Address::Email(to.into()),
        subject: SUBJECT.into(),
        text: TEXT.into(),
        event: serde_json::json!({"rule": "night_leak"}),
        attachments,
    }
}

#[tokio::test]
async fn the_leak_alert_arrives_over_starttls_in_vietnamese_with_the_nights_chart() {
    let server = SmtpServer::start("starttls");
    let channels = channels(&server.config("starttls"), &[("XANH_SMTP_PASSWORD", PASSWORD)]);
    let to = "truong.phong.ke.toan@ubnd-tinh.gov.vn";
    let chart = leak_chart();
    let attachment =
        Attachment { file_name: "dem-05-12-2026.png".into(), content_type: "image/png".into(), bytes: chart.clone() };
    let alert = leak_alert(to, vec![attachment]);

    channel_for(&channels, &alert.to).send(&alert).await.unwrap();

    let message = server.message(1);
    assert_eq!(message["starttls"], true, "the message went over TLS after STARTTLS");
    assert_eq!(message["subject"], SUBJECT);
    assert_eq!(message["to"], to);
    assert_eq!(message["from"], format!("Xanh – Văn phòng UBND tỉnh <{LOGIN}>"));
    assert_eq!(message["rcpt_tos"], serde_json::json!([to]));
    assert!(!message["date"].as_str().unwrap().is_empty(), "the message is dated");
    assert_eq!(message["text"].as_str().unwrap().replace("\r\n", "\n").trim_end(), TEXT.trim_end());
    let attachments = message["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["file_name"], "dem-05-12-2026.png");
    assert_eq!(attachments[0]["content_type"], "image/png");
    let bytes = std::fs::read(server.inbox.join(attachments[0]["file"].as_str().unwrap())).unwrap();
    assert_eq!(bytes, chart, "the chart arrives byte for byte");
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).expect("the attachment is a PNG");
    assert_eq!((image.width(), image.height()), (night::WIDTH, night::HEIGHT));
}

#[tokio::test]
async fn a_message_goes_over_implicit_tls_too() {
    let server = SmtpServer::start("tls");
    let channels = channels(&server.config("tls"), &[("XANH_SMTP_PASSWORD", PASSWORD)]);
    let alert = leak_alert("hc-qt@ubnd-tinh.gov.vn", Vec::new());

    channel_for(&channels, &alert.to).send(&alert).await.unwrap();

    let message = server.message(1);
    assert_eq!(message["subject"], SUBJECT);
    assert_eq!(message["attachments"], serde_json::json!([]));
}

#[tokio::test]
async fn a_wrong_password_is_given_up_not_retried() {
    let server = SmtpServer::start("starttls");
    let channels = channels(&server.config("starttls"), &[("XANH_SMTP_PASSWORD", "sai-mật-khẩu")]);
    let alert = leak_alert("hc-qt@ubnd-tinh.gov.vn", Vec::new());

    let error = channel_for(&channels, &alert.to).send(&alert).await.unwrap_err();

    assert!(matches!(error, SendError::Permanent(_)), "{error:?}");
    assert_eq!(server.received(), 0);
}

#[tokio::test]
async fn a_refused_address_is_given_up_and_a_full_mailbox_is_tried_later() {
    let server = SmtpServer::start("starttls");
    let channels = channels(&server.config("starttls"), &[("XANH_SMTP_PASSWORD", PASSWORD)]);
    let refused = leak_alert("khong-ton-tai@ubnd-tinh.gov.vn", Vec::new());
    let full = leak_alert("hop-thu-day@ubnd-tinh.gov.vn", Vec::new());
    let channel = channel_for(&channels, &refused.to);

    let error = channel.send(&refused).await.unwrap_err();
    assert!(matches!(error, SendError::Permanent(ref m) if m.contains("550")), "{error:?}");
    let error = channel.send(&full).await.unwrap_err();
    assert!(matches!(error, SendError::Retryable(ref m) if m.contains("452")), "{error:?}");
    assert_eq!(server.received(), 0);
}

#[tokio::test]
async fn a_server_that_is_down_is_tried_again_later() {
    let port = free_port();
    let config = format!(
        "[notify.email]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\nfrom = \"{LOGIN}\"\ntimeout_seconds = 5\n"
    );
    let channels = channels(&config, &[]);
    let alert = leak_alert("hc-qt@ubnd-tinh.gov.vn", Vec::new());

    let error = channel_for(&channels, &alert.to).send(&alert).await.unwrap_err();

    assert!(matches!(error, SendError::Retryable(_)), "{error:?}");
}

#[tokio::test]
async fn a_server_that_stops_answering_is_given_up_at_the_timeout_and_tried_later() {
    // Takes the connection and never says a word, like a relay that hangs.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            open.push(connection);
        }
    });
    let config = format!(
        "[notify.email]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\nfrom = \"{LOGIN}\"\ntimeout_seconds = 2\n"
    );
    let channels = channels(&config, &[]);
    let alert = leak_alert("hc-qt@ubnd-tinh.gov.vn", Vec::new());
    let started = Instant::now();

    let sent = tokio::time::timeout(Duration::from_secs(30), channel_for(&channels, &alert.to).send(&alert)).await;

    let error = sent.expect("the channel gave up by itself").unwrap_err();
    assert!(matches!(error, SendError::Retryable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(6), "gave up after its 2 s timeout, not {:?}", started.elapsed());
    held.abort();
}

#[tokio::test]
async fn a_server_whose_certificate_another_ca_signed_gets_nothing() {
    let server = SmtpServer::start("starttls");
    let elsewhere = tempfile::tempdir().unwrap();
    let other_ca = test_ca_and_certificate(elsewhere.path()).ca;
    let config =
        server.config("starttls").replace(&server.pki.ca.display().to_string(), &other_ca.display().to_string());
    let channels = channels(&config, &[("XANH_SMTP_PASSWORD", PASSWORD)]);
    let alert = leak_alert("hc-qt@ubnd-tinh.gov.vn", Vec::new());

    let error = channel_for(&channels, &alert.to).send(&alert).await.unwrap_err();

    // Retryable: a certificate being renewed may fix it; the password was never sent.
    assert!(matches!(error, SendError::Retryable(ref m) if m.to_lowercase().contains("certificate")), "{error:?}");
    assert_eq!(server.received(), 0);
}
