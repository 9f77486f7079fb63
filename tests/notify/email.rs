//! E-mail: HC-QT's mailbox gets the leak alert in Vietnamese with the night's chart, over
//! STARTTLS or TLS with Xanh's login; a wrong password or a refused address is given up, a
//! full mailbox or a server that is down is tried again later.

use std::time::{Duration, Instant};

use jiff::civil::date;
use xanh::charts::night::{self, NightChart};
use xanh::locale::Lang;
use xanh::notify::{Address, Attachment, Notification, SendError};

use super::{channel_for, channels};
use crate::common::{SMTP_LOGIN, SMTP_PASSWORD, SmtpServer, free_port, test_ca_and_certificate};

const LOGIN: &str = SMTP_LOGIN;
const PASSWORD: &str = SMTP_PASSWORD;

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
